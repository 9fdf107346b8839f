"""Per-frame signals from one cab camera frame: is there a face, how open are the eyes and the
mouth, where is the head turned, and is the frame itself blocked (dark or uniform).

Landmarks come from MediaPipe face mesh (`mp.solutions.face_mesh`, whose model ships in the
mediapipe 0.10.21 wheel: no download), with `refine_landmarks=True` (478 points, irises too).
Hands (`mp.solutions.hands`, 21 points each) say whether a hand is held at an ear (phone) or at
the mouth (smoking). Hands cost ~19 ms a frame here (palm detection runs on every frame without
a hand), twice the face mesh, so they run HANDS_HZ times a second and the frames between keep
the last answer: a phone call lasts seconds and a puff about one, so 3 looks a second see a
puff two or three times while keeping the pipeline above 60 fps on one core.

The mesh follows up to MESH_FACES faces, and the face detector (`mp.solutions.face_detection`,
BlazeFace short range, also in the wheel) runs on every frame the mesh found a face in: each face
gets the detector's confidence for it (0 when the detector sees no face there), its width and
centre in the frame and its height over width, which the state machine judges plausibility by
(state.OperatorState.plausible); the face returned is the one the detector vouches for most,
weighted by its size. Mouth width (in eye spans) and corner lift tell a laugh from a yawn. The
two cost 3.5 ms a frame together (the second mesh face 1.8 ms, the detector 1.6 ms).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

# The usual six points per eye, in the order p1..p6 of Soukupova & Cech's eye aspect ratio:
# p1, p4 the corners; p2, p3 on the upper lid; p6, p5 below them on the lower lid.
LEFT_EYE = (33, 160, 158, 133, 153, 144)
RIGHT_EYE = (362, 385, 387, 263, 373, 380)
# Inner lips (upper 13, lower 14) and mouth corners (78, 308): mouth aspect ratio for yawns.
MOUTH = (13, 14, 78, 308)
# Outer mouth corners (61, 291) and the outer eye corners (33, 263): how wide the mouth is,
# in eye spans (a laugh widens it), and how high its corners are against the upper lip's inner
# middle (13), in mouth widths (a laugh raises them; a yawn, which drops the jaw, and speech
# pull them down; the lower lip is not used, as it drops with the jaw in all three).
MOUTH_CORNERS = (61, 291)
UPPER_LIP = 13
EYE_CORNERS = (33, 263)
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

HANDS_HZ = 3
# Where a hand counts as "at" a place of the face, in face widths (cheek 234 to cheek 454):
# at an ear when a hand point is within EAR_REACH of a cheek's outer point (234/454, beside the
# ear) and the hand's centre is between the forehead's and the chin's height; at the mouth when
# a hand point is within MOUTH_REACH of the mouth's centre. A phone held to the ear covers the
# ear with the palm; a cigarette at the lips brings the index and middle fingertips there.
EAR_REACH = 0.35
MOUTH_REACH = 0.25
# The face detector (BlazeFace short range, mp.solutions.face_detection, in the mediapipe
# wheel) runs on each frame the mesh found a face in (1.6 ms at 640x480 on one core) and
# reports down to DETECTOR_FLOOR; its box must overlap the mesh's by MATCH_IOU to vouch for it.
# The mesh alone (its own detector runs only to start tracking, then follows whatever it
# latched onto) kept "a face" on a cat and on a framed portrait in every frame.
DETECTOR_FLOOR = 0.2
MATCH_IOU = 0.3
MESH_FACES = 2


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
    hand_ear: bool | None = None  # a hand held at an ear; None: no face, or hands not looked for
    hand_mouth: bool | None = None  # a hand at the mouth
    mouth_width: float | None = None  # mouth corner to corner, in eye spans (outer corners)
    corner_lift: float | None = None  # mouth corners above the upper lip's inner middle, in mouth widths
    face_score: float | None = None  # the face detector's confidence for this face (None: not run)
    face_width: float | None = None  # the face's width (cheek to cheek), share of the frame's width
    face_x: float | None = None  # the face's centre (mean of its landmarks), in frame widths from the left
    face_y: float | None = None  # ... and from the top, in frame widths too
    face_shape: float | None = None  # the face's height (forehead to chin) over its width (cheeks)

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


def hand_places(face: np.ndarray, hands: list[np.ndarray]) -> tuple[bool, bool]:
    """(at an ear, at the mouth) for hands given as (21, 2+) arrays in the face's pixels."""
    width = float(np.linalg.norm(face[CHEEKS[0], :2] - face[CHEEKS[1], :2]))
    if width == 0:
        return False, False
    ears = face[list(CHEEKS), :2]
    mouth = face[list(MOUTH), :2].mean(axis=0)
    top, bottom = face[FOREHEAD_CHIN[0], 1], face[FOREHEAD_CHIN[1], 1]
    at_ear = at_mouth = False
    for hand in hands:
        xy = hand[:, :2]
        near_mouth = float(np.linalg.norm(xy - mouth, axis=1).min()) < MOUTH_REACH * width
        near_ear = min(float(np.linalg.norm(xy - ear, axis=1).min()) for ear in ears) < EAR_REACH * width
        at_ear |= near_ear and not near_mouth and top <= float(xy[:, 1].mean()) <= bottom
        at_mouth |= near_mouth
    return at_ear, at_mouth


def mouth_shape(pts: np.ndarray) -> tuple[float, float]:
    """(mouth width in eye spans, corner lift in mouth widths): a laugh widens the mouth and
    raises its corners; a yawn pulls them down."""
    left, right = pts[MOUTH_CORNERS[0], :2], pts[MOUTH_CORNERS[1], :2]
    width = float(np.linalg.norm(left - right))
    span = float(np.linalg.norm(pts[EYE_CORNERS[0], :2] - pts[EYE_CORNERS[1], :2]))
    if width == 0 or span == 0:
        return 0.0, 0.0
    return width / span, float(pts[UPPER_LIP, 1] - (left[1] + right[1]) / 2) / width


def face_size(pts: np.ndarray, frame_width: int) -> tuple[float, float]:
    """(the face's width as a share of the frame's, its height over its width), from the cheeks'
    and the forehead's and chin's landmarks, in the image plane."""
    width = float(np.linalg.norm(pts[CHEEKS[0], :2] - pts[CHEEKS[1], :2]))
    height = float(np.linalg.norm(pts[FOREHEAD_CHIN[0], :2] - pts[FOREHEAD_CHIN[1], :2]))
    return width / frame_width, height / width if width else 0.0


def from_landmarks(pts: np.ndarray, is_blocked: bool = False, frame_width: int | None = None,
                   face_score: float | None = None) -> Signals:
    """Signals from a (N, 3) array of landmarks in pixels (x, y, z), N >= 468; with the frame's
    width, the face's size in it."""
    yaw, pitch = head_angles(pts)
    mouth_width, corner_lift = mouth_shape(pts)
    size, shape = face_size(pts, frame_width) if frame_width else (None, None)
    x, y = ((float(pts[:, 0].mean()) / frame_width, float(pts[:, 1].mean()) / frame_width) if frame_width
            else (None, None))
    return Signals(face=True, blocked=is_blocked, ear_left=eye_aspect_ratio(pts, LEFT_EYE),
                   ear_right=eye_aspect_ratio(pts, RIGHT_EYE), mar=mouth_aspect_ratio(pts),
                   yaw_deg=yaw, pitch_deg=pitch, mouth_width=mouth_width, corner_lift=corner_lift,
                   face_score=face_score, face_width=size, face_shape=shape, face_x=x, face_y=y)


def detector_score(pts: np.ndarray, boxes: list[tuple[float, float, float, float, float]]) -> float:
    """The face detector's confidence for the face the mesh found: the best score among its
    detections (x, y, w, h, score, in pixels) whose box overlaps the mesh's box by at least
    MATCH_IOU; 0 when none does (the detector saw no face there)."""
    x0, y0 = float(pts[:, 0].min()), float(pts[:, 1].min())
    x1, y1 = float(pts[:, 0].max()), float(pts[:, 1].max())
    best = 0.0
    for x, y, w, h, score in boxes:
        ix = max(0.0, min(x1, x + w) - max(x0, x))
        iy = max(0.0, min(y1, y + h) - max(y0, y))
        inter = ix * iy
        union = (x1 - x0) * (y1 - y0) + w * h - inter
        if union > 0 and inter / union >= MATCH_IOU:
            best = max(best, score)
    return best


class FaceSignals:
    """Frame (BGR, as OpenCV decodes it) in, Signals out. One per video stream: face mesh runs
    in tracking mode, which is fast only while frames follow each other."""

    def __init__(self, static: bool = False, hands_every: int = 0):
        """`hands_every`: look for hands on every n-th frame with a face (0: never; the hand
        signals stay None)."""
        import mediapipe as mp  # imported here: the rest of the package stays usable without it

        self._mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=static, max_num_faces=MESH_FACES, refine_landmarks=True,
            min_detection_confidence=0.5, min_tracking_confidence=0.5)
        self._hands = mp.solutions.hands.Hands(
            static_image_mode=static, max_num_hands=2, model_complexity=0,
            min_detection_confidence=0.5, min_tracking_confidence=0.5) if hands_every > 0 else None
        self._detector = mp.solutions.face_detection.FaceDetection(model_selection=0,
                                                                   min_detection_confidence=DETECTOR_FLOOR)
        self._hands_every, self._frame, self._last_hands = hands_every, 0, (False, False)

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
        boxes = []
        for detection in self._detector.process(rgb).detections or []:
            box = detection.location_data.relative_bounding_box
            boxes.append((box.xmin * w, box.ymin * h, box.width * w, box.height * h, float(detection.score[0])))
        # the mesh follows up to MESH_FACES faces (with one, it kept following a portrait on the
        # wall after the operator came back): the operator's is the one the detector vouches
        # for most, weighted by its size (the seat is nearer the camera than any wall)
        candidates = []
        for landmarks in found:
            pts = np.array([(p.x * w, p.y * h, p.z * w) for p in landmarks.landmark], dtype=np.float32)
            candidate = from_landmarks(pts, frame_width=w, face_score=detector_score(pts, boxes))
            candidates.append(((candidate.face_score or 0.0) * (candidate.face_width or 0.0), candidate, pts))
        _, signals, pts = max(candidates, key=lambda c: c[0])
        if self._hands is not None:
            if self._frame % self._hands_every == 0:
                hands = self._hands.process(rgb).multi_hand_landmarks or []
                self._last_hands = hand_places(pts, [np.array([(p.x * w, p.y * h) for p in hand.landmark])
                                                     for hand in hands])
            self._frame += 1
            signals = replace(signals, hand_ear=self._last_hands[0], hand_mouth=self._last_hands[1])
        return signals, pts

    def close(self) -> None:
        self._mesh.close()
        self._detector.close()
        if self._hands is not None:
            self._hands.close()

    def __enter__(self) -> FaceSignals:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
