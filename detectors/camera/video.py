"""Opening a video file (or a camera device number, or a stream URL) with one clear error for
bad input, before any output is written; and, once a file has been read, whether every frame
its container declares was decoded."""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# FFmpeg's own log ("moov atom not found" on a file that is not a video) would add a second,
# cryptic line to our one-line error; quiet it unless the user asked for a level.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import cv2  # noqa: E402 - after the log level is set, which OpenCV reads when imported
import numpy as np  # noqa: E402 - with cv2

EXPECTED = "expected a video file such as .mp4 or .avi, a camera number or a stream URL"


class VideoError(ValueError):
    """Bad input: the message names the file and what was expected."""


def _image(head: bytes) -> str | None:
    """The image format a file's leading bytes announce. OpenCV's FFmpeg backend opens all of
    these as a one-frame video and names itself FFMPEG for them as for a video (measured on
    OpenCV 4.11), so only the bytes tell them apart; the suffix may lie."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"avif"):
        return "HEIF"  # a phone photo: the MP4 box layout, but an image brand
    if head[:2] == b"BM" and head[6:10] == bytes(4):  # "BM", the size, 4 reserved zero bytes
        return "BMP"
    for magic, kind in ((b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"), (b"GIF87a", "GIF"),
                        (b"GIF89a", "GIF"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF")):
        if head.startswith(magic):
            return kind
    return None


def _container(head: bytes) -> str | None:
    """The video container a file's leading bytes announce, to tell a damaged video from a file
    that never was one when OpenCV cannot open it (an MP4 cut short has lost its index, which
    MP4 writers put at the end)."""
    if head[4:8] == b"ftyp":
        return "an MP4"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "an AVI"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "a Matroska"
    return None


@dataclass(frozen=True)
class Loss:
    """Frames a file declares that were not decoded in place. The first `kept` frames are sound
    (None: not known, see Video.loss); after a skip that time stamps show, decoding went on at
    frame `resumed`; `read` frames were decoded in all, of `total`."""
    source: str
    kept: int | None
    read: int
    total: int
    fps: float
    resumed: int | None = None

    def at(self, frame: int) -> str:
        return f"{frame / self.fps:.3f}".rstrip("0").rstrip(".") + " s"

    def __str__(self) -> str:
        of = f"of {self.total}"
        if self.kept is None:
            return (f"{self.source}: {self.read} {of} frames decoded ({self.at(self.read)} of "
                    f"{self.at(self.total)}), some skipped at a point the container does not tell")
        if self.resumed is not None:
            return (f"{self.source}: decoding skipped frames {self.kept} to {self.resumed - 1} {of} "
                    f"({self.at(self.kept)} to {self.at(self.resumed)} of {self.at(self.total)})")
        return (f"{self.source}: decoding stopped at frame {self.kept} {of} "
                f"(at {self.at(self.kept)} of {self.at(self.total)})")


class Video:
    def __init__(self, source: str):
        self.source = source
        is_device = source.isdigit()
        is_url = "://" in source
        self.is_file = not (is_device or is_url)
        head = b""  # a file's leading bytes
        if self.is_file:
            path = Path(source)
            if not path.is_file():
                raise VideoError(f"{source}: no such file")
            if path.stat().st_size == 0:
                raise VideoError(f"{source}: empty file, expected a video")
            with open(path, "rb") as file:
                head = file.read(16)
            kind = _image(head)
            if kind:
                raise VideoError(f"{source}: an image ({kind}), not a video; {EXPECTED}")
        self._cap = cv2.VideoCapture(int(source) if is_device else source)
        if not self._cap.isOpened():
            kind = _container(head)
            raise VideoError(f"{source}: cannot open as video ("
                             + (f"{kind} file, but truncated or damaged)" if kind else f"{EXPECTED})"))
        ok, first = self._cap.read()
        if not ok or first is None:
            self._cap.release()
            raise VideoError(f"{source}: no frames (a zero-length or unreadable video)")
        self._first: np.ndarray | None = first
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        real_fps = bool(fps and 0 < fps < 1000)
        self.fps = float(fps) if real_fps else 30.0
        # FFmpeg reports the frames a container declares, or its duration times the frame rate;
        # with no real rate (ASF reports 1000) that product is no count (measured: a 1-frame WMV
        # "declares" 33). MP4, MOV, AVI, MKV, WebM and FLV as OpenCV writes them declared exactly
        # the frames written (1, 2, 59 and 301, at 7.5 to 29.97 fps), so no tolerance: a frame
        # short is a frame lost. MPEG-PS declares fewer than it holds, which only lets it pass.
        count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.frame_count = count if count > 0 and real_fps and self.is_file else None
        self._stamped = _container(head) != "an AVI"  # see loss()
        self.read = 0  # frames decoded so far
        self._ended = False
        self._last: np.ndarray | None = None
        self._skip: tuple[int, int] | None = None  # the first gap in the time stamps: (at, resumed)

    def frames(self) -> Iterator[np.ndarray]:
        frame, self._first = self._first, None
        step, stamp = 1000 / self.fps, self._cap.get(cv2.CAP_PROP_POS_MSEC)
        while frame is not None:
            self.read += 1
            self._last = frame  # for loss(); nothing here writes into a frame
            yield frame
            ok, frame = self._cap.read()
            frame = frame if ok else None
            if frame is not None and self.frame_count and self._skip is None:
                # a damaged stretch skipped shows as a jump in the time stamps (see loss())
                before, stamp = stamp, self._cap.get(cv2.CAP_PROP_POS_MSEC)
                if stamp - before > 1.5 * step:
                    self._skip = (self.read, self.read - 1 + round((stamp - before) / step))
        self._ended = True

    def loss(self) -> Loss | None:
        """Once frames() has run to its end: None if the file gave every frame it declares (or
        declares none), else what was lost. A jump in the time stamps shows where frames were
        skipped (measured on MKV); without one, decoding stopped. But AVI has no time stamps:
        FFmpeg numbers its frames as they come (measured: with frames 31 and 32 of 60 zeroed it
        resyncs on 33 and gives it out as 31). There decoding stopped if seeking to the last frame
        read, which goes by the container's index, gives that same image; if not, frames were
        skipped at a point nothing tells. OpenCV seeks 16 frames (or a GOP) early and reads on,
        so a skip within that distance of the end passes for a stop."""
        if not self._ended or self.frame_count is None or self.read >= self.frame_count:
            return None
        if self._skip:
            return Loss(self.source, self._skip[0], self.read, self.frame_count, self.fps, self._skip[1])
        if self._stamped:
            return Loss(self.source, self.read, self.read, self.frame_count, self.fps)
        cap = cv2.VideoCapture(self.source)
        try:
            ok = cap.set(cv2.CAP_PROP_POS_FRAMES, self.read - 1)
            ok, frame = cap.read() if ok else (False, None)
        finally:
            cap.release()
        stopped = ok and frame is not None and self._last is not None and np.array_equal(frame, self._last)
        return Loss(self.source, self.read if stopped else None, self.read, self.frame_count, self.fps)

    def close(self) -> None:
        self._cap.release()

    def __enter__(self) -> Video:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
