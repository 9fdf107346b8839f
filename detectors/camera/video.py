"""Opening a video file (or a camera device number, or a stream URL) with one clear error for
bad input, before any output is written."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

# FFmpeg's own log ("moov atom not found" on a file that is not a video) would add a second,
# cryptic line to our one-line error; quiet it unless the user asked for a level.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import cv2  # noqa: E402
import numpy as np


class VideoError(ValueError):
    """Bad input: the message names the file and what was expected."""


class Video:
    def __init__(self, source: str):
        self.source = source
        is_device = source.isdigit()
        is_url = "://" in source
        if not (is_device or is_url):
            path = Path(source)
            if not path.is_file():
                raise VideoError(f"{source}: no such file")
            if path.stat().st_size == 0:
                raise VideoError(f"{source}: empty file, expected a video")
        self._cap = cv2.VideoCapture(int(source) if is_device else source)
        if not self._cap.isOpened():
            raise VideoError(f"{source}: cannot open as video (expected a video file such as .mp4 or .avi, "
                             f"a camera number or a stream URL)")
        ok, first = self._cap.read()
        if not ok or first is None:
            self._cap.release()
            raise VideoError(f"{source}: no frames (a zero-length or unreadable video)")
        self._first: np.ndarray | None = first
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and 0 < fps < 1000 else 30.0
        count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.frame_count = count if count > 0 and not (is_device or is_url) else None
        self.is_file = not (is_device or is_url)

    def frames(self) -> Iterator[np.ndarray]:
        if self._first is not None:
            first, self._first = self._first, None
            yield first
        while True:
            ok, frame = self._cap.read()
            if not ok:
                return
            yield frame

    def close(self) -> None:
        self._cap.release()

    def __enter__(self) -> "Video":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
