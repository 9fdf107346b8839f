"""Per-operator state over time: per-frame signals in, the procedure's camera alerts out
(table 6.4.3.3 of CK-PR-SHE-25), with the durations of the fatigue pack's parameters.

Time is counted in frames: frame n covers [n/fps, (n+1)/fps), so k consecutive frames last
k/fps seconds. An alert has a first and a last frame; it "sounds" on the frame its duration is
reached (where a vendor camera would speak) and is finished, with its full duration, on the
first frame the condition no longer holds (or at the end of the video).

- warning_level_1: eyes closed, or the head pitched down, for camera_wl1_closed_s (2 s, the
  lower end of "2-3 detik": duration >= 2 s).
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
- yawn: mouth aspect ratio above camera_yawn_mar for camera_yawn_s, while the unit moves.
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

Calibration: a fixed EAR threshold fails on operators whose open eyes read 0.22 (narrow eyes,
a camera above the dash looking down) or 0.38, so the first calibration_s seconds of face with
open eyes (EAR above the fixed fallback) give the operator's baseline: the median, which a blink
or two cannot move. Closed then means EAR < closed_fraction x baseline. The same frames give
the straight-ahead yaw and pitch, since a cab camera is rarely mounted square to the face.
Until the baseline exists the fixed fallback threshold judges the eyes, so an operator who
starts with closed eyes is still caught (and does not calibrate the detector to closed eyes).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from statistics import median

from .params import CameraParams
from .signals import Signals

TOUCH_GAP_S = 1.0  # signal hygiene, not a rule threshold: hand-at-mouth flicker counts as one touch
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

    @property
    def duration_s(self) -> float:
        return (self.last - self.first + 1) / self.fps


@dataclass
class _Episode:
    """Consecutive frames on which one condition held, and what they measured."""

    first: int
    frames: int = 0
    blocked: int = 0
    ear: list[float] = field(default_factory=list)
    mar: float | None = None
    yaw: list[float] = field(default_factory=list)
    pitch: list[float] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    level2_from: int | None = None  # where a level 2 starts counting (None: no level 1 arms it yet)

    def add(self, s: Signals, yaw: float | None, pitch: float | None) -> None:
        self.frames += 1
        self.blocked += s.blocked
        if s.ear is not None:
            self.ear.append(s.ear)
        if s.mar is not None:
            self.mar = s.mar if self.mar is None else max(self.mar, s.mar)
        if yaw is not None and pitch is not None:  # both or neither: measured on a face
            self.yaw.append(yaw)
            self.pitch.append(pitch)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


class OperatorState:
    """One operator in one video stream. Feed every frame, in order, to `update`."""

    def __init__(self, params: CameraParams, fps: float):
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.p, self.fps = params, float(fps)
        self.ear_baseline: float | None = None
        self.yaw0 = self.pitch0 = 0.0
        self._calibration: list[tuple[float, float, float]] = []
        self._calibration_frames = max(1, round(params.calibration_s * self.fps))
        self._perclos: deque[bool] = deque(maxlen=max(1, round(params.perclos_window_s * self.fps)))
        self._episodes: dict[str, _Episode] = {}
        self._level1_at: int | None = None  # frame the last level 1 sounded on
        self.sounded: list[Alert] = []  # alerts that sounded on the last update (for snapshots)
        self.frame = -1
        self._touches: deque[int] = deque()  # frames a hand was brought to the mouth (while moving)
        self._mouth_last: int | None = None  # last frame a hand was at the mouth

    # -- per frame --------------------------------------------------------------------------
    def closed_threshold(self) -> float:
        if self.ear_baseline is None:
            return self.p.fallback_closed_ear
        return self.p.closed_fraction * self.ear_baseline

    def update(self, index: int, s: Signals, moving: bool | None = None) -> list[Alert]:
        """Take frame `index`'s signals; return the alerts that finished on it."""
        if index <= self.frame:
            raise ValueError(f"frames must come in order: {index} after {self.frame}")
        self.frame = index
        self.sounded = []
        yaw = pitch = None
        if s.face and s.yaw_deg is not None and s.pitch_deg is not None:  # a face always has its angles
            self._calibrate(s)
            yaw, pitch = s.yaw_deg - self.yaw0, s.pitch_deg - self.pitch0
        closed = s.face and s.ear is not None and s.ear < self.closed_threshold()
        if s.face:
            self._perclos.append(closed)
        looking_down = s.face and pitch is not None and pitch > self.p.look_down_pitch_deg
        held = moving is not False
        conditions = {
            "drowsy": closed or looking_down,
            "no_face": not s.face,
            "look_around": s.face and yaw is not None and abs(yaw) > self.p.look_around_yaw_deg and held,
            "yawn": s.face and s.mar is not None and s.mar > self.p.yawn_mar and held,
            "phone": bool(s.face and s.hand_ear and held),
        }
        finished: list[Alert] = []
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
            episode.add(s, yaw, pitch)
            self._sound(name, episode, index, moving)
        finished += self._smoking(index, bool(s.face and s.hand_mouth), held, moving)
        return finished

    def finish(self) -> list[Alert]:
        """End of the video: finish what is still going on."""
        out: list[Alert] = []
        for name in list(self._episodes):
            out += self._finish(name, self._episodes[name], self.frame)
        return out

    @property
    def perclos(self) -> float | None:
        return sum(self._perclos) / len(self._perclos) if self._perclos else None

    # -- inside -----------------------------------------------------------------------------
    def _calibrate(self, s: Signals) -> None:
        if self.ear_baseline is not None or s.ear is None or s.ear < self.p.fallback_closed_ear:
            return
        if s.yaw_deg is None or s.pitch_deg is None:  # never on a face (see update)
            return
        self._calibration.append((s.ear, s.yaw_deg, s.pitch_deg))
        if len(self._calibration) >= self._calibration_frames:
            ears, yaws, pitches = zip(*self._calibration, strict=True)
            self.ear_baseline, self.yaw0, self.pitch0 = median(ears), median(yaws), median(pitches)
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
            alert = Alert(kind=kind, first=first, sounded=index, last=index, fps=self.fps, moving=moving)
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
                      moving=moving, ear_baseline=self.ear_baseline, perclos=self.perclos)
        self._touches.clear()
        self.sounded.append(alert)
        return [alert]

    def _finish(self, name: str, ep: _Episode, last: int) -> list[Alert]:
        del self._episodes[name]
        for alert in ep.alerts:
            alert.last = last
            alert.ear, alert.mar = _mean(ep.ear), ep.mar
            alert.yaw_deg, alert.pitch_deg = _mean(ep.yaw), _mean(ep.pitch)
            alert.ear_baseline, alert.perclos = self.ear_baseline, self.perclos
        return ep.alerts
