"""The whole detector: frames -> signals -> per-operator state -> camera_alert records, with
evidence written next to them: a JPEG snapshot of each alert (the frame it sounded on, field
`evidence`) and a short clip around that frame (CLIP_BEFORE_S before to CLIP_AFTER_S after,
MJPG .avi at the video's frame rate, field `clip`), named <video>-<alert>-<start time>.avi; and,
optionally, a per-second signal log (CSV) for plotting."""
from __future__ import annotations

import csv
import datetime as dt
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .params import CameraParams
from .records import alert_record, frame_time
from .signals import HANDS_HZ, FaceSignals, Signals
from .state import Alert, OperatorState

CLIP_BEFORE_S = 2.0
CLIP_AFTER_S = 2.0
SIGNAL_COLUMNS = ("second", "face", "ear", "perclos", "mar", "yaw", "pitch", "blocked")


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "x"


class _Clips:
    """Keeps the last CLIP_BEFORE_S of frames; an alert that sounds opens a clip with them and
    goes on writing until CLIP_AFTER_S after it (or the end of the video)."""

    def __init__(self, folder: Path, fps: float):
        self.folder, self.fps = folder, fps
        self.recent: deque[np.ndarray] = deque(maxlen=max(1, round(CLIP_BEFORE_S * fps)))
        self.open: list[tuple[cv2.VideoWriter, int]] = []  # writer, frames still to write

    def add(self, frame: np.ndarray) -> None:
        self.recent.append(frame)
        still = []
        for writer, left in self.open:
            writer.write(frame)
            if left > 1:
                still.append((writer, left - 1))
            else:
                writer.release()
        self.open = still

    def start(self, name: str) -> None:
        """Call after add() of the frame the alert sounded on."""
        h, w = self.recent[-1].shape[:2]
        writer = cv2.VideoWriter(str(self.folder / name), cv2.VideoWriter.fourcc(*"MJPG"), self.fps, (w, h))
        if not writer.isOpened():
            raise OSError(f"cannot write clip {self.folder / name}")
        for frame in self.recent:
            writer.write(frame)
        self.open.append((writer, max(1, round(CLIP_AFTER_S * self.fps))))

    def close(self) -> None:
        for writer, _ in self.open:
            writer.release()
        self.open = []


class _SignalLog:
    """One CSV row per second of video: share of frames with a face and blocked, means of the
    measured signals over the second's frames with a face, PERCLOS at the second's end."""

    def __init__(self, path: str | Path, fps: float):
        self.file = open(path, "w", newline="", encoding="utf-8")
        self.writer = csv.writer(self.file)
        self.writer.writerow(SIGNAL_COLUMNS)
        self.fps, self.second = fps, 0
        self.rows: list[Signals] = []  # the current second's frames

    def add(self, index: int, s: Signals, perclos: float | None) -> None:
        second = int(index // self.fps)
        if second != self.second and self.rows:
            self._flush()
        self.second, self.perclos = second, perclos
        self.rows.append(s)

    def _flush(self) -> None:
        rows, n = self.rows, len(self.rows)

        def mean(values):
            values = [v for v in values if v is not None]
            return f"{sum(values) / len(values):.3f}" if values else ""

        self.writer.writerow([self.second, f"{sum(r.face for r in rows) / n:.2f}", mean(r.ear for r in rows),
                              "" if self.perclos is None else f"{self.perclos:.3f}", mean(r.mar for r in rows),
                              mean(r.yaw_deg for r in rows), mean(r.pitch_deg for r in rows),
                              f"{sum(r.blocked for r in rows) / n:.2f}"])
        self.rows = []

    def close(self) -> None:
        if self.rows:
            self._flush()
        self.file.close()


def detect_alerts(frames: Iterable[np.ndarray], *, fps: float, params: CameraParams, employee: str, unit: str,
                  start: dt.datetime, video: str = "", out: str | Path | None = None,
                  moving: Callable[[dt.datetime], bool | None] | None = None,
                  speed: Callable[[dt.datetime], float | None] | None = None,
                  progress: Callable[[int], None] | None = None,
                  signals_csv: str | Path | None = None) -> Iterator[dict[str, Any]]:
    """camera_alert records, each as soon as its alert is finished. `frames` are BGR images in
    order at `fps`; `moving(time)` says whether the unit moves then (None: unknown). With `out`,
    each alert's snapshot and clip are written there and named in its `evidence` and `clip`
    (relative to `out`). With `signals_csv`, the per-second signal log is written there."""
    state = OperatorState(params, fps)
    snapshots: dict[int, np.ndarray] = {}
    clips: dict[int, str] = {}
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
                               clip=clips.pop(id(alert), None), speed_kmh=speed(at) if speed else None)

    recorder = _Clips(folder, fps) if folder is not None else None
    log = _SignalLog(signals_csv, fps) if signals_csv is not None else None
    try:
        with FaceSignals(hands_every=max(1, round(fps / HANDS_HZ))) as face:
            for index, frame in enumerate(frames):
                signals, _ = face(frame)
                now = moving(frame_time(start, index, fps)) if moving else None
                finished = state.update(index, signals, now)
                if log is not None:
                    log.add(index, signals, state.perclos)
                if recorder is not None:
                    recorder.add(frame)
                    for alert in state.sounded:
                        snapshots[id(alert)] = frame.copy()
                        first = frame_time(start, alert.first, fps)
                        name = f"{stem}-{alert.kind}-{first:%Y%m%dT%H%M%S}.{first.microsecond // 1000:03d}.avi"
                        recorder.start(name)
                        clips[id(alert)] = name
                yield from emit(finished)
                if progress:
                    progress(index + 1)
        yield from emit(state.finish())
    finally:
        if recorder is not None:
            recorder.close()
        if log is not None:
            log.close()
