#!/usr/bin/env python3
"""Make the example site's cab video: 12 s of a real face at 10 fps, 320x240, its eyes closed
for 5.5 s in the middle, as the cab camera of OHT-7713 would film a dozing operator.

    python examples/site/make_video.py            # writes cab-oht7713.mp4 next to this script
    python examples/site/make_video.py --out DIR

The face is skimage's astronaut photograph (Eileen Collins, public domain; shipped with
scikit-image, no download), cropped to the face, as tests/test_camera_video.py builds its test
videos. Closed eyes are painted the same way: the skin colour below each eye over the eye, and a
dark lash line from corner to corner, placed on the face mesh's own eye landmarks. Needs the
camera extra (OpenCV, MediaPipe) and scikit-image.

What `patuh detect camera` must find in it (generate.py's VIDEO plan): the first 4 s open-eyed
(more than the 3 s calibration, so the operator's baseline is set before the eyes close), the
eyes closed from 4.0 s to 9.5 s: Warning Level 1 (from 4.0 s, sounding at 6.0 s, when they have
been closed for 2 s) and Warning Level 2 (from 6.0 s, as they stay closed more than 3 s after
Level 1 sounded); then 2.5 s open again.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "cab-oht7713.mp4"
FPS = 10
SIZE = (320, 240)
OPEN_S, CLOSED_S, AFTER_S = 4.0, 5.5, 2.5


def frames():
    import cv2
    from patuh.detectors.camera.sample import astronaut_face, eyes_closed

    face = astronaut_face()
    small = [cv2.resize(f, SIZE, interpolation=cv2.INTER_AREA) for f in (face, eyes_closed(face))]
    for frame, seconds in ((small[0], OPEN_S), (small[1], CLOSED_S), (small[0], AFTER_S)):
        for _ in range(round(seconds * FPS)):
            yield frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="folder to write into (default: next to this script)")
    args = parser.parse_args(argv)
    import cv2

    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / NAME
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, SIZE)
    if not writer.isOpened():
        print(f"error: cannot write {path} (MPEG-4, mp4v)", file=sys.stderr)
        return 1
    n = 0
    for frame in frames():
        writer.write(frame)
        n += 1
    writer.release()
    print(f"{path}: {n} frames, {n / FPS:g} s at {FPS} fps, {SIZE[0]}x{SIZE[1]}, {path.stat().st_size:,} bytes",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
