"""The camera detector through the `patuh_detectors` hook (entry point `builtin-camera`), so a
host app finds it the way it finds any plugin's detector, and runs it on its own frames:

    detector = patuh.plugins.named(patuh.plugins.manager(), "patuh_detectors")["camera"]
    for record in detector.facts(frames, fps=15, employee="OP-7", unit="DT-101", start=start):
        ...

This module imports nothing heavy: OpenCV and MediaPipe load when `facts` is first called.
"""
from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from patuh.plugins import hookimpl


class CameraDetector:
    name = "camera"
    help = "the fatigue camera: video in, camera_alert facts out (needs the camera extra)"

    def add_arguments(self, parser) -> None:
        from .cli import add_arguments  # argparse only: no OpenCV or MediaPipe until run

        add_arguments(parser)

    def run(self, args) -> int:
        try:
            from .cli import run
            from .video import Video  # noqa: F401 - OpenCV, which the camera extra brings
        except ImportError as exc:
            print(f"error: the camera detector needs the camera extra (pip install 'patuh[camera]'): {exc}",
                  file=sys.stderr)
            return 2
        return run(args)
    fact_types = ("camera_alert",)

    def facts(self, frames: Iterable[Any], *, fps: float, employee: str, unit: str, start: dt.datetime,
              config: str | Path | dict | None = None, settings: dict[str, Any] | None = None,
              video: str = "", out: str | Path | None = None,
              moving: Callable[[dt.datetime], bool | None] | None = None) -> Iterator[dict[str, Any]]:
        """camera_alert records from BGR frames (numpy arrays, in order, at `fps`). `config` is a
        site config (file or dict) whose fatigue parameters override the pack's; `start` must
        carry its time zone."""
        from .params import load_params
        from .pipeline import detect_alerts

        if start.tzinfo is None:
            raise ValueError("start needs a time zone, e.g. datetime(..., tzinfo=ZoneInfo('Asia/Jakarta'))")
        params = load_params(config, at=start.date(), settings=settings)
        yield from detect_alerts(frames, fps=fps, params=params, employee=employee, unit=unit, start=start,
                                 video=video, out=out, moving=moving)


@hookimpl
def patuh_detectors():
    return [CameraDetector()]
