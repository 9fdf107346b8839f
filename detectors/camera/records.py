"""Alerts -> `camera_alert` fact records, with the fields the fatigue pack declares."""
from __future__ import annotations

import datetime as dt
from typing import Any

from patuh.models import Fact, Source

from .state import Alert

DETECTOR = "patuh.camera"


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(float(value), digits)


def frame_time(start: dt.datetime, index: int, fps: float) -> dt.datetime:
    """Event time of a frame: the video's start plus the frame's time, to the millisecond."""
    return start + dt.timedelta(milliseconds=round(index * 1000 / fps))


def alert_record(alert: Alert, *, employee: str, unit: str, start: dt.datetime, video: str, evidence: str | None = None,
                 clip: str | None = None, speed_kmh: float | None = None) -> dict[str, Any]:
    """One `camera_alert` record (a plain dict, as `patuh eval --facts` reads them). Fields
    with no value (no face to measure, no telemetry) are left out, not written as null."""
    record: dict[str, Any] = {
        "type": "camera_alert",
        "alert": alert.kind,
        "employee": employee,
        "unit": unit,
        "time": frame_time(start, alert.first, alert.fps).isoformat(),
        "duration_s": _round(alert.duration_s),
        "ear": _round(alert.ear),
        "ear_baseline": _round(alert.ear_baseline),
        "perclos": _round(alert.perclos),
        "mar": _round(alert.mar),
        "yaw_deg": _round(alert.yaw_deg, 1),
        "pitch_deg": _round(alert.pitch_deg, 1),
        "ear_left": _round(alert.ear_left),
        "ear_right": _round(alert.ear_right),
        "ear_threshold": _round(alert.ear_threshold),
        "mouth_width": _round(alert.mouth_width),
        "face_share": _round(alert.face_share),
        "face_score": _round(alert.face_score),
        "confidence": _round(alert.confidence, 2),
        "reason": alert.reason,
        "moving": alert.moving,
        "speed_kmh": _round(speed_kmh, 1),
        "frames": [alert.first, alert.last],
        "evidence": evidence,
        "clip": clip,
        "video": video,
        "source": {"detector": DETECTOR, "file": video, "frames": [alert.first, alert.last]},
    }
    return {k: v for k, v in record.items() if v is not None}


def alert_fact(record: dict[str, Any]) -> Fact:
    """The same record as a typed patuh Fact."""
    data = dict(record)
    source = data.pop("source", None)
    return Fact(**data, source=Source(**source) if source else None)
