"""The whole detector: frames -> signals -> per-operator state -> camera_alert records, with a
JPEG snapshot of each alert (the frame it sounded on) written as evidence."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import cv2
import numpy as np

from .params import CameraParams
from .records import alert_record, frame_time
from .signals import HANDS_HZ, FaceSignals
from .state import Alert, OperatorState


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "x"


def detect_alerts(frames: Iterable[np.ndarray], *, fps: float, params: CameraParams, employee: str, unit: str,
                  start: dt.datetime, video: str = "", out: str | Path | None = None,
                  moving: Callable[[dt.datetime], bool | None] | None = None,
                  speed: Callable[[dt.datetime], float | None] | None = None,
                  progress: Callable[[int], None] | None = None) -> Iterator[dict[str, Any]]:
    """camera_alert records, each as soon as its alert is finished. `frames` are BGR images in
    order at `fps`; `moving(time)` says whether the unit moves then (None: unknown). With `out`,
    each alert's snapshot is written there and named in its `evidence` (relative to `out`)."""
    state = OperatorState(params, fps)
    snapshots: dict[int, np.ndarray] = {}
    folder = Path(out) if out is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    stem = _safe(Path(video).stem if video else "frames")

    def emit(alerts: list[Alert]) -> Iterator[dict[str, Any]]:
        for alert in sorted(alerts, key=lambda a: (a.first, a.kind)):
            evidence = None
            image = snapshots.pop(id(alert), None)
            if folder is not None and image is not None:
                evidence = f"{stem}_{_safe(employee)}_{alert.kind}_{alert.first:06d}.jpg"
                if not cv2.imwrite(str(folder / evidence), image):
                    raise OSError(f"cannot write snapshot {folder / evidence}")
            at = frame_time(start, alert.sounded, fps)
            yield alert_record(alert, employee=employee, unit=unit, start=start, video=video, evidence=evidence,
                               speed_kmh=speed(at) if speed else None)

    index = -1
    with FaceSignals(hands_every=max(1, round(fps / HANDS_HZ))) as face:
        for index, frame in enumerate(frames):
            signals, _ = face(frame)
            now = moving(frame_time(start, index, fps)) if moving else None
            finished = state.update(index, signals, now)
            if folder is not None:
                for alert in state.sounded:
                    snapshots[id(alert)] = frame.copy()
            yield from emit(finished)
            if progress:
                progress(index + 1)
    yield from emit(state.finish())
