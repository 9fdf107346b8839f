"""Per-frame signals from one cab camera frame: is there a face, how open are the eyes and the
mouth, where is the head turned, and is the frame itself blocked (dark or uniform).

Landmarks come from MediaPipe face mesh (`mp.solutions.face_mesh`, whose model ships in the
mediapipe 0.10.21 wheel: no download), with `refine_landmarks=True` (478 points, irises too).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

# The usual six points per eye, in the order p1..p6 of Soukupova & Cech's eye aspect ratio:
# p1, p4 the corners; p2, p3 on the upper lid; p6, p5 below them on the lower lid.
LEFT_EYE = (33, 160, 158, 133, 153, 144)
RIGHT_EYE = (362, 385, 387, 263, 373, 380)
# Inner lips (upper 13, lower 14) and mouth corners (78, 308): mouth aspect ratio for yawns.
MOUTH = (13, 14, 78, 308)
# Head pose from the mesh's own 3D points: the cheeks (234, 454) give yaw, forehead (10) to
# chin (152) gives pitch. The mesh predicts z in the same scale as x, so atan2 reads an angle.
CHEEKS = (234, 454)
FOREHEAD_CHIN = (10, 152)

# A frame is "blocked" (lens covered, camera in the dark) when it is almost black or almost
# uniform: mean grey level below DARK, or its spread below UNIFORM (both on 0-255). A grey
# night-time image of a face keeps a spread well above UNIFORM; a hand or cloth over the lens,
# or a black frame, does not.
DARK = 12.0
UNIFORM = 6.0


@dataclass(frozen=True)
class Signals:
    """What one frame says. Angles in degrees; None where there is no face to measure."""

    face: bool
    blocked: bool
    ear_left: float | None = None
    ear_right: float | None = None
    mar: float | None = None
    yaw_deg: float | None = None  # + the head turned to the image's right
    pitch_deg: float | None = None  # + the head tilted down

    @property
    def ear(self) -> float | None:
        if self.ear_left is None or self.ear_right is None:
            return None
        return (self.ear_left + self.ear_right) / 2


def blocked(frame: np.ndarray) -> bool:
    """Dark or uniform: the frame shows nothing, whether or not a face could be there."""
    small = cv2.resize(frame, (80, 60), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
    mean, std = cv2.meanStdDev(grey)
    return bool(mean[0][0] < DARK or std[0][0] < UNIFORM)


def eye_aspect_ratio(pts: np.ndarray, idx: tuple[int, ...]) -> float:
    p1, p2, p3, p4, p5, p6 = (pts[i, :2] for i in idx)
    width = np.linalg.norm(p1 - p4)
    if width == 0:
        return 0.0
    return float((np.linalg.norm(p2 - p6) + np.linalg.norm(p3 - p5)) / (2 * width))


def mouth_aspect_ratio(pts: np.ndarray) -> float:
    top, bottom, left, right = (pts[i, :2] for i in MOUTH)
    width = np.linalg.norm(left - right)
    return float(np.linalg.norm(top - bottom) / width) if width else 0.0


def head_angles(pts: np.ndarray) -> tuple[float, float]:
    """(yaw, pitch) in degrees from the mesh's 3D points, in pixel units."""
    a, b = pts[CHEEKS[0]], pts[CHEEKS[1]]
    yaw = math.degrees(math.atan2(b[2] - a[2], b[0] - a[0]))
    top, chin = pts[FOREHEAD_CHIN[0]], pts[FOREHEAD_CHIN[1]]
    pitch = math.degrees(math.atan2(top[2] - chin[2], chin[1] - top[1]))
    return yaw, pitch


def from_landmarks(pts: np.ndarray, is_blocked: bool = False) -> Signals:
    """Signals from a (N, 3) array of landmarks in pixels (x, y, z), N >= 468."""
    yaw, pitch = head_angles(pts)
    return Signals(face=True, blocked=is_blocked, ear_left=eye_aspect_ratio(pts, LEFT_EYE),
                   ear_right=eye_aspect_ratio(pts, RIGHT_EYE), mar=mouth_aspect_ratio(pts),
                   yaw_deg=yaw, pitch_deg=pitch)


class FaceSignals:
    """Frame (BGR, as OpenCV decodes it) in, Signals out. One per video stream: face mesh runs
    in tracking mode, which is fast only while frames follow each other."""

    def __init__(self, static: bool = False):
        import mediapipe as mp  # imported here: the rest of the package stays usable without it

        self._mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=static, max_num_faces=1, refine_landmarks=True,
            min_detection_confidence=0.5, min_tracking_confidence=0.5)

    def __call__(self, frame: np.ndarray) -> tuple[Signals, np.ndarray | None]:
        """The frame's signals, and its landmarks in pixels (None without a face)."""
        is_blocked = blocked(frame)
        if is_blocked:
            return Signals(face=False, blocked=True), None
        h, w = frame.shape[:2]
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        found = self._mesh.process(rgb).multi_face_landmarks
        if not found:
            return Signals(face=False, blocked=False), None
        pts = np.array([(p.x * w, p.y * h, p.z * w) for p in found[0].landmark], dtype=np.float32)
        return from_landmarks(pts), pts

    def close(self) -> None:
        self._mesh.close()

    def __enter__(self) -> "FaceSignals":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
