"""Per-operator state over time: per-frame signals in, the procedure's camera alerts out
(table 6.4.3.3 of CK-PR-SHE-25), with the durations of the fatigue pack's parameters.

Time is counted in frames: frame n covers [n/fps, (n+1)/fps), so k consecutive frames last
k/fps seconds. An alert has a first and a last frame; it "sounds" on the frame its duration is
reached (where a vendor camera would speak) and is finished, with its full duration, on the
first frame the condition no longer holds (or at the end of the video).

- warning_level_1: eyes closed, or the head pitched down, for camera_wl1_closed_s (2 s, the
  lower end of "2-3 detik": duration >= 2 s). Closed means both eyes closed: each eye under its
  own threshold, so the more open one decides; a wink or a one-sided squint is not closure. Nor
  is a laugh (see "Laugh" below), nor the screwed-up eyes of a yawn (the mouth open past
  camera_yawn_mar: that is a yawn alert).
- warning_level_2: after a level 1 sounded, closed or looking down for more than
  camera_wl2_closed_s (> 3 s). In the episode that sounded the level 1, the 3 s count from
  that moment (so a first closure needs > 5 s); in a later episode that starts within
  camera_wl2_armed_s of the last level 1 (the procedure names no such time; the pack takes
  2 h, a company choice), from the episode's start, since a level 1 has already sounded.
- face_missing / camera_covered: no face for more than camera_face_missing_s, or, when most of
  the frames so far were blocked (dark or uniform: an object over the lens), for more than
  camera_covered_s. The kind is fixed on the frame the alert sounds.
- look_around: head yaw beyond camera_look_around_yaw_deg from the operator's straight-ahead
  for more than camera_look_around_s, while the unit moves.
- yawn: mouth aspect ratio above camera_yawn_mar for camera_yawn_s, while the unit moves, the
  mouth not laughing. Talk opens the mouth for a syllable (a tenth of a second to a few),
  under the ratio and never for camera_yawn_s on end; a laugh opens it wide rather than tall.
- phone: a hand held at an ear (signals.hand_places) for more than camera_phone_s, while the
  unit moves.
- smoking: a hand brought to the mouth camera_smoking_count times within
  camera_smoking_window_s, while the unit moves. A touch is the first frame of a hand at the
  mouth after at least TOUCH_GAP_S away from it, so a hand detected on and off at the lips
  (or resting there) counts once. The alert spans the counted touches, first to last; its
  touches are then spent, and the next alert needs as many new ones.
"While the unit moves" (look_around, yawn, phone, smoking): per frame True, False or None (no
telemetry, or no sample within telemetry.MAX_GAP). Known not moving holds the alert back.
Unknown raises it, and the record leaves `moving` out, which is how the fatigue pack's
camera_alert says "absent when no telemetry said". Why raise rather than drop: the issue has the
alert record that moving is unknown, which needs the alert to exist; a detector that dropped it
would throw away the frames an auditor could still judge (a cab video shows a moving landscape),
and a rule that needs moving == true can still discard it in the pack, whereas a dropped alert
cannot be recovered there. A site that wants no such alerts supplies telemetry.

Presence (face_missing, and every face-based condition): a frame "sees" a face when the mesh
found one and it is plausible (plausible()): the face detector vouches for it with at least
camera_face_min_score, or, while the operator is present, it is where the detector last vouched
for the operator's face (within camera_face_track_shift face widths; a turned head the mesh
follows reads 0 on the detector in a frame of three); it is camera_face_min_width to
camera_face_max_width of the frame wide; its pose is within camera_face_max_yaw_deg and
camera_face_max_pitch_deg of the camera; its height over width is within camera_face_min_shape
and camera_face_max_shape (a measure a caller did not give is not judged). Presence then
follows the frames with hysteresis over the last camera_presence_window_s: while present, it
ends when camera_presence_share of the window's frames saw no face; while absent, it ends when
that share saw one. Either turn is dated back to the earliest frame of the window from which
on that share holds (_turn), so an absence runs from its first missing frame to its last, and a
stray frame at its edge is left out. A phantom frame or three in an empty cab (a picture, a
seat, an animal the mesh takes for a face) neither ends nor restarts an absence, and a face
lost for a frame or two is not an absence. An absence sounds only on a frame that sees no face,
so a face back a moment before the limit is never sounded as missing. Eyes, mouth, head and
hands count only on frames that see a face while present; a frame that sees none while present
(a dropout) neither ends nor proves what was going on: its time counts to the episodes under
way, and when the absence is decided they end where it began.

Laugh: the mouth wider than camera_laugh_width times the operator's calibrated width (in eye
spans) with its corners raised camera_laugh_lift or more above where they were in calibration
(against the upper lip's inner middle, in mouth widths). A yawn drops the jaw and pulls the
corners down; speech parts the lips without widening them. Before the baseline exists no laugh
is told (a neutral mouth's width varies from face to face more than a laugh changes it), so a
laugh in the first seconds is judged as any face is.

Calibration: a fixed EAR threshold fails on operators whose open eyes read 0.22 (narrow eyes,
a camera above the dash looking down) or 0.38, so the first calibration_s seconds of face with
open eyes (both eyes' EAR above the fixed fallback) give the operator's baseline: the median,
which a blink or two cannot move, of each eye and of their mean. Closed then means each eye
under closed_fraction x its baseline. The same frames give the straight-ahead yaw and pitch,
since a cab camera is rarely mounted square to the face, and the mouth's width. Its failure
modes, and what is done about them:
- An operator who starts with closed eyes: those frames are not taken (under the fallback),
  the fixed fallback judges until open eyes have been seen for calibration_s, so a closure is
  caught (the alert says "not calibrated" and has no ear_baseline); if the eyes never open the
  baseline is never set.
- A phantom face in the calibration window (a picture on the wall while the seat is empty):
  only frames that see a plausible face while present are taken, so the frames a phantom
  shows in an empty cab are not; and after an absence long enough to raise face_missing or
  camera_covered, the baseline is taken anew, as someone else may be in the seat.
- Eyes half closed through the whole window: the baseline is low, closure is judged against
  it (as it should be for narrow eyes); the fallback's floor keeps frames under 0.2 out.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from statistics import median

from .params import CameraParams
from .signals import Signals

TOUCH_GAP_S = 1.0  # signal hygiene, not a rule threshold: hand-at-mouth flicker counts as one touch
TRACK_SCALE = 1.5  # signal hygiene: a face the mesh follows may grow or shrink by this (leaning in or back)
EPS = 1e-9  # durations are k/fps: compare them with a hair of tolerance for float rounding


@dataclass
class Alert:
    kind: str  # "warning_level_1", ...
    first: int
    sounded: int
    last: int
    fps: float
    ear: float | None = None
    ear_baseline: float | None = None
    perclos: float | None = None
    mar: float | None = None
    yaw_deg: float | None = None
    pitch_deg: float | None = None
    moving: bool | None = None
    ear_left: float | None = None
    ear_right: float | None = None
    ear_threshold: float | None = None  # the mean of the two eyes' thresholds it was judged against
    mouth_width: float | None = None
    face_share: float | None = None  # share of the presence window's frames that saw a face, when it sounded
    face_score: float | None = None  # the face detector's mean confidence over the alert's frames
    confidence: float | None = None
    reason: str | None = None

    @property
    def duration_s(self) -> float:
        return (self.last - self.first + 1) / self.fps


@dataclass
class _Episode:
    """Consecutive frames on which one condition held, and what they measured."""

    first: int
    frames: int = 0
    blocked: int = 0
    seen: int = 0  # frames that saw a face (in an absence: phantoms)
    ear: list[float] = field(default_factory=list)
    ear_left: list[float] = field(default_factory=list)
    ear_right: list[float] = field(default_factory=list)
    mar: float | None = None
    mouth_width: list[float] = field(default_factory=list)
    yaw: list[float] = field(default_factory=list)
    pitch: list[float] = field(default_factory=list)
    score: list[float] = field(default_factory=list)
    margin: list[float] = field(default_factory=list)  # per frame, how far past its threshold (0-1)
    closed: int = 0  # frames of a drowsy episode with both eyes closed (the others: looking down)
    alerts: list[Alert] = field(default_factory=list)
    level2_from: int | None = None  # where a level 2 starts counting (None: no level 1 arms it yet)

    def add(self, s: Signals, yaw: float | None, pitch: float | None, margin: float | None = None) -> None:
        self.frames += 1
        self.blocked += s.blocked
        if s.ear is not None and s.ear_left is not None and s.ear_right is not None:
            self.ear.append(s.ear)
            self.ear_left.append(s.ear_left)
            self.ear_right.append(s.ear_right)
        if s.mar is not None:
            self.mar = s.mar if self.mar is None else max(self.mar, s.mar)
        if s.mouth_width is not None:
            self.mouth_width.append(s.mouth_width)
        if yaw is not None and pitch is not None:  # both or neither: measured on a face
            self.yaw.append(yaw)
            self.pitch.append(pitch)
        if s.face_score is not None:
            self.score.append(s.face_score)
        if margin is not None:
            self.margin.append(margin)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _margin(past: float, limit: float) -> float:
    """How far a measure is past its limit, 0 at the limit to 1 at half the limit again."""
    return max(0.0, min(1.0, past / (0.5 * limit))) if limit > 0 else 1.0


class OperatorState:
    """One operator in one video stream. Feed every frame, in order, to `update`."""

    def __init__(self, params: CameraParams, fps: float):
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.p, self.fps = params, float(fps)
        self.ear_baseline: float | None = None
        self.eye_baselines: tuple[float, float] | None = None
        self.mouth_baseline: float | None = None
        self.lift_baseline: float | None = None
        self.yaw0 = self.pitch0 = 0.0
        self._calibration: list[tuple[float, float, float, float, float, float | None, float | None]] = []
        self._calibration_frames = max(1, round(params.calibration_s * self.fps))
        self._perclos: deque[bool] = deque(maxlen=max(1, round(params.perclos_window_s * self.fps)))
        self._episodes: dict[str, _Episode] = {}
        self._level1_at: int | None = None  # frame the last level 1 sounded on
        self.sounded: list[Alert] = []  # alerts that sounded on the last update (for snapshots)
        self.frame = -1
        self._touches: deque[int] = deque()  # frames a hand was brought to the mouth (while moving)
        self._mouth_last: int | None = None  # last frame a hand was at the mouth
        # presence: the last window's frames (saw a face, blocked), the decision, and where it turned
        self._window: deque[tuple[bool, bool]] = deque(maxlen=max(1, round(params.presence_window_s * self.fps)))
        self._need = max(1, math.ceil(params.presence_share * self._window.maxlen - EPS))  # type: ignore[operator]
        self.present = True
        self._last_missed = -1  # last frame that saw no face
        self.rejected: str | None = None  # why the last frame's face was not taken (None: taken, or none)
        self._anchor: tuple[float, float, float] | None = None  # x, y, width of the face last vouched for

    # -- per frame --------------------------------------------------------------------------
    def closed_threshold(self) -> float:
        """The EAR under which eyes count as closed: the mean of the two eyes' thresholds."""
        if self.ear_baseline is None:
            return self.p.fallback_closed_ear
        return self.p.closed_fraction * self.ear_baseline

    def eye_thresholds(self) -> tuple[float, float]:
        if self.eye_baselines is None:
            return self.p.fallback_closed_ear, self.p.fallback_closed_ear
        return self.p.closed_fraction * self.eye_baselines[0], self.p.closed_fraction * self.eye_baselines[1]

    def laughing(self, s: Signals) -> bool:
        """Mouth wide and its corners raised, against the operator's calibrated mouth."""
        if self.mouth_baseline is None or self.lift_baseline is None or s.mouth_width is None or s.corner_lift is None:
            return False
        return (s.mouth_width >= self.p.laugh_width * self.mouth_baseline
                and s.corner_lift >= self.lift_baseline + self.p.laugh_lift)

    def _tracked(self, s: Signals) -> bool:
        """Is the face, while the operator is present, where the detector last vouched for the
        operator's (its centre within face_track_shift face widths, its width within TRACK_SCALE
        times)? The mesh follows a face it found from frame to frame; a head turned past 30
        deg reads 0 on the detector in a frame of three, a cat or a portrait is somewhere else."""
        if not self.present or self._anchor is None or None in (s.face_x, s.face_y, s.face_width):
            return False
        x, y, width = self._anchor
        shift = ((s.face_x - x) ** 2 + (s.face_y - y) ** 2) ** 0.5 / width  # type: ignore[operator]
        return shift <= self.p.face_track_shift and 1 / TRACK_SCALE <= s.face_width / width <= TRACK_SCALE  # type: ignore[operator]

    def plausible(self, s: Signals) -> str | None:
        """None when the frame's face may be the operator's; else why not."""
        p = self.p
        if s.face_score is not None and s.face_score < p.face_min_score and not self._tracked(s):
            return f"face detector {s.face_score:.2f} < {p.face_min_score:g}, not where the operator's face was"
        if s.face_width is not None and not p.face_min_width <= s.face_width <= p.face_max_width:
            return f"face {s.face_width:.2f} of the frame wide, outside {p.face_min_width:g}-{p.face_max_width:g}"
        if s.yaw_deg is not None and abs(s.yaw_deg) > p.face_max_yaw_deg:
            return f"yaw {s.yaw_deg:.0f} deg beyond {p.face_max_yaw_deg:g}"
        if s.pitch_deg is not None and abs(s.pitch_deg) > p.face_max_pitch_deg:
            return f"pitch {s.pitch_deg:.0f} deg beyond {p.face_max_pitch_deg:g}"
        if s.face_shape is not None and not p.face_min_shape <= s.face_shape <= p.face_max_shape:
            return f"face height/width {s.face_shape:.2f} outside {p.face_min_shape:g}-{p.face_max_shape:g}"
        return None

    @property
    def face_share(self) -> float:
        """Share of the presence window's frames that saw a face."""
        return sum(seen for seen, _ in self._window) / len(self._window) if self._window else 1.0

    def update(self, index: int, s: Signals, moving: bool | None = None) -> list[Alert]:
        """Take frame `index`'s signals; return the alerts that finished on it."""
        if index <= self.frame:
            raise ValueError(f"frames must come in order: {index} after {self.frame}")
        self.frame = index
        self.sounded = []
        self.rejected = self.plausible(s) if s.face else None
        seen = s.face and self.rejected is None
        if seen and s.face_x is not None and s.face_y is not None and s.face_width is not None and (
                s.face_score is None or s.face_score >= self.p.face_min_score):
            self._anchor = (s.face_x, s.face_y, s.face_width)
        finished = self._presence(index, seen, s.blocked, moving)
        if self.present and not seen:  # a dropout: the face is still there, its frame unmeasured
            for name, ongoing in self._episodes.items():
                ongoing.frames += 1  # what was going on goes on, neither proven nor ended by it
                self._sound(name, ongoing, index, moving)
            return finished
        face = seen and self.present  # eyes, mouth, head and hands count on these frames
        yaw = pitch = None
        if face and s.yaw_deg is not None and s.pitch_deg is not None:  # a face always has its angles
            self._calibrate(s)
            yaw, pitch = s.yaw_deg - self.yaw0, s.pitch_deg - self.pitch0
        laughing = face and self.laughing(s)
        yawning = face and s.mar is not None and s.mar > self.p.yawn_mar and not laughing
        closed = bool(face and self._closed(s) and not laughing and not yawning)
        if face:
            self._perclos.append(closed)
        looking_down = bool(face and pitch is not None and pitch > self.p.look_down_pitch_deg)
        held = moving is not False
        conditions = {
            "drowsy": closed or looking_down,
            "look_around": bool(face and yaw is not None and abs(yaw) > self.p.look_around_yaw_deg and held),
            "yawn": yawning and held,
            "phone": bool(face and s.hand_ear and held),
        }
        margins = {
            "drowsy": self._drowsy_margin(s, pitch, closed),
            "look_around": _margin(abs(yaw) - self.p.look_around_yaw_deg, self.p.look_around_yaw_deg)
            if yaw is not None else None,
            "yawn": _margin(s.mar - self.p.yawn_mar, self.p.yawn_mar) if s.mar is not None else None,
            "phone": 1.0,
        }
        for name, holds in conditions.items():
            episode = self._episodes.get(name)
            if not holds:
                if episode is not None:
                    finished += self._finish(name, episode, index - 1)
                continue
            if episode is None:
                episode = self._episodes[name] = _Episode(first=index)
                if name == "drowsy" and self._armed(index):
                    episode.level2_from = index
            episode.add(s, yaw, pitch, margins[name])
            episode.closed += name == "drowsy" and closed
            self._sound(name, episode, index, moving)
        finished += self._smoking(index, bool(face and s.hand_mouth), held, moving)
        return finished

    def finish(self) -> list[Alert]:
        """End of the video: finish what is still going on."""
        out: list[Alert] = []
        for name in list(self._episodes):
            last = self._last_missed if name == "no_face" else self.frame
            out += self._finish(name, self._episodes[name], last)
        return out

    @property
    def perclos(self) -> float | None:
        return sum(self._perclos) / len(self._perclos) if self._perclos else None

    # -- inside -----------------------------------------------------------------------------
    def _closed(self, s: Signals) -> bool:
        if s.ear_left is None or s.ear_right is None:
            return False
        left, right = self.eye_thresholds()
        return s.ear_left < left and s.ear_right < right

    def _drowsy_margin(self, s: Signals, pitch: float | None, closed: bool) -> float | None:
        margins = []
        if closed and s.ear_left is not None and s.ear_right is not None:
            left, right = self.eye_thresholds()
            margins.append(min(_margin(left - s.ear_left, left), _margin(right - s.ear_right, right)))
        if pitch is not None and pitch > self.p.look_down_pitch_deg:
            margins.append(_margin(pitch - self.p.look_down_pitch_deg, self.p.look_down_pitch_deg))
        return max(margins) if margins else None

    def _presence(self, index: int, seen: bool, blocked: bool, moving: bool | None) -> list[Alert]:
        """The presence decision with hysteresis, and the no_face episode it makes."""
        self._window.append((seen, blocked))
        if not seen:
            self._last_missed = index
        count = sum(1 for was, _ in self._window if was == (not self.present))
        finished: list[Alert] = []
        if self.present and count >= self._need:
            self.present = False
            frames = list(self._window)
            k = self._turn(frames, seen=False)  # the absence's first frame, in the window
            first = index - (len(frames) - 1) + k
            episode = self._episodes["no_face"] = _Episode(first=first)
            episode.frames = len(frames) - k
            episode.blocked = sum(b for _, b in frames[k:])
            episode.seen = sum(w for w, _ in frames[k:])
            for name in [n for n in self._episodes if n != "no_face"]:  # the face's episodes end with it
                ongoing = self._episodes[name]
                finished += self._finish(name, ongoing, max(ongoing.first, first - 1))
            if not seen:
                self._sound("no_face", episode, index, moving)  # a limit shorter than the window
        elif not self.present and count >= self._need:
            self.present = True
            frames = list(self._window)
            k = self._turn(frames, seen=True)  # the first frame of the face back, in the window
            absence = self._episodes.get("no_face")
            if absence is not None:
                last = max(absence.first, index - (len(frames) - 1) + k - 1)
                finished += self._finish("no_face", absence, last)
                if absence.alerts:  # someone else may be in the seat now
                    self._recalibrate()
        elif not self.present:
            episode = self._episodes["no_face"]
            episode.frames += 1
            episode.blocked += blocked
            episode.seen += seen
            if not seen:
                self._sound("no_face", episode, index, moving)
        return finished

    def _turn(self, frames: list[tuple[bool, bool]], seen: bool) -> int:
        """Where in the window the presence turned: the earliest frame that is `seen` (a face,
        or no face) from which on that share of the window's frames reaches presence_share.
        A stray frame before the turn (a phantom, a dropout) is left out of it."""
        count = 0
        turn = len(frames) - 1
        for k in range(len(frames) - 1, -1, -1):
            count += frames[k][0] == seen
            if frames[k][0] == seen and count >= self.p.presence_share * (len(frames) - k) - EPS:
                turn = k
        return turn

    def _recalibrate(self) -> None:
        self.ear_baseline = self.eye_baselines = self.mouth_baseline = self.lift_baseline = None
        self.yaw0 = self.pitch0 = 0.0
        self._calibration = []

    def _calibrate(self, s: Signals) -> None:
        if self.ear_baseline is not None or s.ear_left is None or s.ear_right is None:
            return
        if min(s.ear_left, s.ear_right) < self.p.fallback_closed_ear:
            return
        if s.yaw_deg is None or s.pitch_deg is None:  # never on a face (see update)
            return
        if s.mar is not None and s.mar > self.p.yawn_mar:
            return
        self._calibration.append((s.ear_left, s.ear_right, (s.ear_left + s.ear_right) / 2, s.yaw_deg, s.pitch_deg,
                                  s.mouth_width, s.corner_lift))
        if len(self._calibration) >= self._calibration_frames:
            lefts, rights, ears, yaws, pitches, mouths, lifts = zip(*self._calibration, strict=True)
            self.eye_baselines = (median(lefts), median(rights))
            self.ear_baseline, self.yaw0, self.pitch0 = median(ears), median(yaws), median(pitches)
            widths = [m for m in mouths if m is not None]
            raised = [m for m in lifts if m is not None]
            self.mouth_baseline = median(widths) if widths else None
            self.lift_baseline = median(raised) if raised else None
            self._calibration = []

    def _armed(self, index: int) -> bool:
        """Does an earlier level 1 still arm a level 2 at frame `index`?"""
        return self._level1_at is not None and (index - self._level1_at) / self.fps <= self.p.wl2_armed_s + EPS

    def _sound(self, name: str, ep: _Episode, index: int, moving: bool | None) -> None:
        duration = ep.frames / self.fps
        sounded = {a.kind for a in ep.alerts}
        new: list[tuple[str, int]] = []
        if name == "drowsy":
            if "warning_level_1" not in sounded and duration >= self.p.wl1_closed_s - EPS:
                new.append(("warning_level_1", ep.first))
                self._level1_at = index
                if ep.level2_from is None:
                    ep.level2_from = index + 1  # the > 3 s count from this level 1
            if "warning_level_2" not in sounded and ep.level2_from is not None:
                if (index - ep.level2_from + 1) / self.fps > self.p.wl2_closed_s + EPS:
                    new.append(("warning_level_2", ep.level2_from))
        elif name == "no_face" and not sounded:
            covered = ep.blocked * 2 >= ep.frames
            if duration > (self.p.covered_s if covered else self.p.face_missing_s) + EPS:
                new.append(("camera_covered" if covered else "face_missing", ep.first))
        elif name == "look_around" and not sounded and duration > self.p.look_around_s + EPS:
            new.append(("look_around", ep.first))
        elif name == "yawn" and not sounded and duration >= self.p.yawn_s - EPS:
            new.append(("yawn", ep.first))
        elif name == "phone" and not sounded and duration > self.p.phone_s + EPS:
            new.append(("phone", ep.first))
        for kind, first in new:
            alert = Alert(kind=kind, first=first, sounded=index, last=index, fps=self.fps, moving=moving,
                          face_share=round(self.face_share, 3))
            ep.alerts.append(alert)
            self.sounded.append(alert)

    def _smoking(self, index: int, at_mouth: bool, held: bool, moving: bool | None) -> list[Alert]:
        if not at_mouth:
            return []
        touch = self._mouth_last is None or (index - self._mouth_last - 1) / self.fps >= TOUCH_GAP_S - EPS
        self._mouth_last = index
        if not (touch and held):
            return []
        self._touches.append(index)
        while (index - self._touches[0]) / self.fps > self.p.smoking_window_s + EPS:
            self._touches.popleft()
        if len(self._touches) < int(self.p.smoking_count):
            return []
        alert = Alert(kind="smoking", first=self._touches[0], sounded=index, last=index, fps=self.fps,
                      moving=moving, ear_baseline=self.ear_baseline, perclos=self.perclos,
                      face_share=round(self.face_share, 3), confidence=round(self.face_share, 2))
        alert.reason = (f"a hand brought to the mouth {len(self._touches)} times in "
                        f"{(index - self._touches[0]) / self.fps:.0f} s (at least {self.p.smoking_count:g} "
                        f"in {self.p.smoking_window_s:g} s){self._moving_text(moving)}")
        self._touches.clear()
        self.sounded.append(alert)
        return [alert]

    def _finish(self, name: str, ep: _Episode, last: int) -> list[Alert]:
        del self._episodes[name]
        for alert in ep.alerts:
            alert.last = last
            alert.ear, alert.mar = _mean(ep.ear), ep.mar
            alert.ear_left, alert.ear_right = _mean(ep.ear_left), _mean(ep.ear_right)
            alert.yaw_deg, alert.pitch_deg = _mean(ep.yaw), _mean(ep.pitch)
            alert.mouth_width = _mean(ep.mouth_width)
            alert.ear_baseline, alert.perclos = self.ear_baseline, self.perclos
            alert.face_score = _mean(ep.score)
            if name == "drowsy":
                alert.ear_threshold = self.closed_threshold()
            self._explain(name, ep, alert)
        return ep.alerts

    # -- why: the confidence and the reason of an alert -------------------------------------
    @staticmethod
    def _moving_text(moving: bool | None) -> str:
        return "" if moving is None else (", the unit moving" if moving else ", the unit parked")

    def _explain(self, name: str, ep: _Episode, alert: Alert) -> None:
        """The alert's confidence (0-1: how far its signals were past their thresholds, times
        the face evidence) and its reason, in words a dispatcher confirming it can check."""
        evidence = (alert.face_share if alert.face_share is not None else 1.0) * (
            alert.face_score if alert.face_score is not None else 1.0)
        face = (f"face seen in {alert.face_share:.0%} of the last {self.p.presence_window_s:g} s"
                if alert.face_share is not None else "")
        if alert.face_score is not None:
            face += f", detector {alert.face_score:.2f}"
        pose = (f"; yaw {alert.yaw_deg:+.0f} deg, pitch {alert.pitch_deg:+.0f} deg from straight ahead"
                if alert.yaw_deg is not None and alert.pitch_deg is not None else "")
        seconds = f"{alert.duration_s:.1f} s"
        margin = _mean(ep.margin)
        if name == "no_face":
            phantoms = ep.seen / ep.frames if ep.frames else 0.0
            alert.confidence = round(1.0 - phantoms, 2)
            what = "lens blocked (dark or uniform)" if alert.kind == "camera_covered" else "no face seen"
            limit = self.p.covered_s if alert.kind == "camera_covered" else self.p.face_missing_s
            alert.reason = (f"{what} for {seconds} (more than {limit:g} s); a face-like detection "
                            f"in {phantoms:.0%} of those frames")
            return
        alert.confidence = round((margin if margin is not None else 1.0) * evidence, 2)
        if name == "drowsy":
            left, right = self.eye_thresholds()
            calibrated = (f"{self.p.closed_fraction:g} x the operator's baseline"
                          if self.eye_baselines is not None else "the fixed fallback, not calibrated")
            eyes = (f"EAR left {alert.ear_left:.2f}, right {alert.ear_right:.2f} under {left:.2f}, {right:.2f} "
                    f"({calibrated})" if alert.ear_left is not None and alert.ear_right is not None else "")
            if ep.closed * 2 >= ep.frames:
                what = f"both eyes closed for {seconds}: {eyes}"
            else:
                what = (f"looking down for {seconds}: pitch past {self.p.look_down_pitch_deg:g} deg"
                        + (f"; {eyes}" if eyes else ""))
            if alert.kind == "warning_level_2":
                what += f", more than {self.p.wl2_closed_s:g} s after a level 1"
        elif name == "yawn":
            what = (f"mouth open tall for {seconds}: MAR up to {alert.mar:.2f} over {self.p.yawn_mar:g}, "
                    f"not laughing (mouth {alert.mouth_width or 0:.2f} eye spans wide)")
        elif name == "look_around":
            what = f"head turned past {self.p.look_around_yaw_deg:g} deg for {seconds}"
        else:
            what = f"a hand held at an ear for {seconds}"
        alert.reason = f"{what}; {face}{pose}{self._moving_text(alert.moving)}"
