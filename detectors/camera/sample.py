"""A sample cab face for the demo and the tests: skimage's astronaut photograph (bundled with
scikit-image, no download), cropped to the face at 640x480, and the same face with both eyes
drawn closed. Needs scikit-image (patuh's dev extra) besides the camera extra.
"""
from __future__ import annotations

import cv2
import numpy as np

from .signals import LEFT_EYE, RIGHT_EYE, FaceSignals


def astronaut_face() -> np.ndarray:
    """The astronaut's face, BGR, 640x480."""
    from skimage import data

    image = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    return cv2.resize(image[15:195, 100:340], (640, 480), interpolation=cv2.INTER_CUBIC)


def eyes_closed(face: np.ndarray) -> np.ndarray:
    """The face with both eyes drawn closed: painted over in the colour of the skin below them,
    with a dark lash line from corner to corner. (Paint alone leaves the mesh reading EAR ~0.19,
    0.6 of this face's open 0.31: a half-open eye, too close to call; with the lash line it
    reads ~0.04, as a real closed eye does.)"""
    with FaceSignals(static=True) as signals:
        _, pts = signals(face)
    if pts is None:
        raise ValueError("no face found in the image to close the eyes of")
    painted = face.copy()
    for eye in (LEFT_EYE, RIGHT_EYE):
        ring = pts[list(eye), :2]
        cx, cy = ring.mean(axis=0)
        height = np.ptp(ring[:, 1])
        below = face[int(cy) + 40:int(cy) + 50, int(cx) - 10:int(cx) + 10].reshape(-1, 3)
        skin = np.median(below, axis=0).tolist()
        cv2.ellipse(painted, (int(cx), int(cy)), (int(np.ptp(ring[:, 0]) * 0.7), int(height * 1.4 + 6)), 0, 0, 360,
                    skin, -1)
        xs = np.linspace(ring[0, 0], ring[3, 0], 20)
        ys = np.linspace(ring[0, 1], ring[3, 1], 20) + np.sin(np.linspace(0, np.pi, 20)) * height * 0.3
        cv2.polylines(painted, [np.stack([xs, ys], 1).astype(np.int32)], False, (40, 50, 70), 3, cv2.LINE_AA)
    return np.where(painted != face, cv2.GaussianBlur(painted, (5, 5), 0), painted)
