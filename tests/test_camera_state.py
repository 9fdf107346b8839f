"""The camera state machine, driven by synthetic per-frame signals: exact boundary timing of the
procedure's durations (table 6.4.3.3, as the fatigue pack's parameters give them)."""
from __future__ import annotations

import datetime as dt

import pytest

pytest.importorskip("cv2")
pytest.importorskip("mediapipe")

from patuh.detectors.camera import CameraParams, OperatorState, Signals, alert_fact, alert_record, load_params

FPS = 10
OPEN = Signals(face=True, blocked=False, ear_left=0.32, ear_right=0.34, mar=0.2, yaw_deg=2.0, pitch_deg=-10.0)
CLOSED = Signals(face=True, blocked=False, ear_left=0.10, ear_right=0.12, mar=0.2, yaw_deg=2.0, pitch_deg=-10.0)
DOWN = Signals(face=True, blocked=False, ear_left=0.30, ear_right=0.30, mar=0.2, yaw_deg=2.0, pitch_deg=15.0)
TURNED = Signals(face=True, blocked=False, ear_left=0.32, ear_right=0.34, mar=0.2, yaw_deg=40.0, pitch_deg=-10.0)
YAWN = Signals(face=True, blocked=False, ear_left=0.25, ear_right=0.25, mar=0.8, yaw_deg=2.0, pitch_deg=-10.0)
PHONE = Signals(face=True, blocked=False, ear_left=0.32, ear_right=0.34, mar=0.2, yaw_deg=2.0, pitch_deg=-10.0,
                hand_ear=True, hand_mouth=False)
PUFF = Signals(face=True, blocked=False, ear_left=0.32, ear_right=0.34, mar=0.2, yaw_deg=2.0, pitch_deg=-10.0,
               hand_ear=False, hand_mouth=True)
NOFACE = Signals(face=False, blocked=False)
BLOCKED = Signals(face=False, blocked=True)


@pytest.fixture(scope="module")
def params() -> CameraParams:
    return load_params()


def run(params, *segments, moving=None, fps=FPS):
    """Segments of (signals, seconds); 3 s of open eyes first, to calibrate. Alerts, in order."""
    state = OperatorState(params, fps)
    frames = [OPEN] * round(3 * fps)
    for signals, seconds in segments:
        frames += [signals] * round(seconds * fps)
    frames += [OPEN] * fps
    alerts = []
    for i, s in enumerate(frames):
        alerts += state.update(i, s, moving)
    return alerts + state.finish()


def kinds(alerts):
    return [a.kind for a in alerts]


def test_reads_the_pack_parameters(params):
    assert (params.wl1_closed_s, params.wl2_closed_s, params.face_missing_s, params.look_around_s) == (2, 3, 30, 5)
    assert params.sources["camera_wl1_closed_s"].startswith("pack fatigue")


def test_every_threshold_is_a_pack_parameter(params):
    from dataclasses import fields

    names = [f.name for f in fields(CameraParams) if f.name != "sources"]
    assert sorted(params.sources) == sorted(f"camera_{n}" for n in names)
    assert all(source.startswith("pack fatigue") for source in params.sources.values())
    assert (params.covered_s, params.wl2_armed_s, params.calibration_s, params.smoking_count) == (30, 7200, 3, 3)


def test_site_config_sets_a_former_detector_setting():
    p = load_params({"parameters": {"fatigue": {"camera_closed_fraction": 0.5, "camera_yawn_s": 3}}})
    assert (p.closed_fraction, p.yawn_s) == (0.5, 3) and p.sources["camera_yawn_s"] == "config"


def test_settings_override_for_python_callers():
    assert load_params(settings={"calibration_s": 1}).calibration_s == 1
    with pytest.raises(ValueError, match="unknown camera setting"):
        load_params(settings={"nonsense": 1})


def test_site_config_overrides_a_pack_parameter():
    p = load_params({"parameters": {"fatigue": {"camera_face_missing_s": 4}}})
    assert p.face_missing_s == 4 and p.sources["camera_face_missing_s"] == "config"


def test_calibration_learns_the_baseline(params):
    state = OperatorState(params, FPS)
    for i in range(3 * FPS):
        state.update(i, OPEN)
    assert state.ear_baseline == pytest.approx(0.33)
    assert state.closed_threshold() == pytest.approx(0.33 * params.closed_fraction)


def test_eyes_closed_1_9_s_is_nothing(params):
    assert run(params, (CLOSED, 1.9)) == []


def test_eyes_closed_2_0_s_is_level_1(params):
    alerts = run(params, (CLOSED, 2.0))
    assert kinds(alerts) == ["warning_level_1"]
    a = alerts[0]
    assert (a.first, a.last, a.duration_s) == (30, 49, 2.0)
    assert a.ear == pytest.approx(0.11) and a.ear_baseline == pytest.approx(0.33)


def test_looking_down_2_0_s_is_level_1(params):
    assert kinds(run(params, (DOWN, 1.9))) == []
    assert kinds(run(params, (DOWN, 2.0))) == ["warning_level_1"]


def test_level_1_then_3_0_s_more_is_no_level_2(params):
    assert kinds(run(params, (CLOSED, 2.0 + 3.0))) == ["warning_level_1"]


def test_level_1_then_3_1_s_more_is_level_2(params):
    alerts = run(params, (CLOSED, 2.0 + 3.1))
    assert kinds(alerts) == ["warning_level_1", "warning_level_2"]
    level2 = alerts[1]
    assert level2.first == 30 + 20 and level2.duration_s == pytest.approx(3.1)


def test_after_a_level_1_a_later_closure_counts_from_its_start(params):
    assert kinds(run(params, (CLOSED, 2.0), (OPEN, 1), (CLOSED, 3.0))) == ["warning_level_1", "warning_level_1"]
    assert kinds(run(params, (CLOSED, 2.0), (OPEN, 1), (CLOSED, 3.1))) == [
        "warning_level_1", "warning_level_1", "warning_level_2"]


def test_blinks_never_alert(params):
    blinks = [(CLOSED, 0.3), (OPEN, 2.7)] * 20
    assert run(params, *blinks) == []


def test_face_missing_29_s_is_nothing_31_s_is_face_missing(params):
    assert run(params, (NOFACE, 29)) == []
    alerts = run(params, (NOFACE, 31))
    assert kinds(alerts) == ["face_missing"]
    assert alerts[0].first == 30 and alerts[0].duration_s == 31
    assert alerts[0].sounded == 30 + 300  # the first frame beyond 30 s


def test_a_blocked_frame_is_camera_covered(params):
    assert kinds(run(params, (BLOCKED, 31))) == ["camera_covered"]
    assert run(params, (BLOCKED, 29)) == []


def test_look_around_more_than_5_s_while_moving(params):
    assert run(params, (TURNED, 5.0), moving=True) == []
    alerts = run(params, (TURNED, 5.1), moving=True)
    assert kinds(alerts) == ["look_around"] and alerts[0].moving is True
    assert run(params, (TURNED, 8), moving=False) == []  # parked: looking around is allowed
    unknown = run(params, (TURNED, 8))  # no telemetry: raised, moving unknown
    assert kinds(unknown) == ["look_around"] and unknown[0].moving is None


def test_covered_and_face_missing_have_their_own_durations(params):
    from dataclasses import replace

    p = replace(params, covered_s=10, face_missing_s=20)
    assert kinds(run(p, (BLOCKED, 10.1))) == ["camera_covered"] and run(p, (BLOCKED, 10)) == []
    assert run(p, (NOFACE, 15)) == [] and kinds(run(p, (NOFACE, 20.1))) == ["face_missing"]


def test_level_1_arms_level_2_for_wl2_armed_s(params):
    from dataclasses import replace

    p = replace(params, wl2_armed_s=10)
    # level 1 sounds on the last frame of the first closure; a closure starting 9.9 s later is armed
    assert kinds(run(p, (CLOSED, 2.0), (OPEN, 9.8), (CLOSED, 3.1))) == [
        "warning_level_1", "warning_level_1", "warning_level_2"]
    # 10.1 s after it: a fresh level 1, whose own > 3 s count has not run out
    assert kinds(run(p, (CLOSED, 2.0), (OPEN, 10), (CLOSED, 3.1))) == ["warning_level_1", "warning_level_1"]
    assert kinds(run(p, (CLOSED, 2.0), (OPEN, 10), (CLOSED, 5.1))) == [
        "warning_level_1", "warning_level_1", "warning_level_2"]


def test_yawn(params):
    assert kinds(run(params, (YAWN, 2.5))) == ["yawn"]
    assert run(params, (YAWN, 0.5)) == []  # talking
    assert run(params, (YAWN, 2.5), moving=False) == []


def test_phone_more_than_5_s_while_moving(params):
    assert run(params, (PHONE, 5.0), moving=True) == []
    alerts = run(params, (PHONE, 5.1), moving=True)
    assert kinds(alerts) == ["phone"] and (alerts[0].first, alerts[0].sounded) == (30, 30 + 50)
    assert run(params, (PHONE, 8), moving=False) == []
    assert kinds(run(params, (PHONE, 8))) == ["phone"]  # no telemetry: raised, moving unknown


def puffs(n, every_s=10.0, puff_s=1.0):
    return [(PUFF, puff_s), (OPEN, every_s - puff_s)] * n


def test_smoking_is_3_touches_within_120_s_while_moving(params):
    assert run(params, *puffs(2), moving=True) == []
    alerts = run(params, *puffs(3), moving=True)
    assert kinds(alerts) == ["smoking"]
    assert (alerts[0].first, alerts[0].sounded) == (30, 30 + 200) and alerts[0].moving is True
    assert kinds(run(params, *puffs(6), moving=True)) == ["smoking", "smoking"]  # touches are spent
    assert run(params, *puffs(3), moving=False) == []


def test_smoking_touches_further_apart_than_the_window_do_not_add_up(params):
    assert run(params, *puffs(3, every_s=61), moving=True) == []  # first to third: 122 s
    assert kinds(run(params, *puffs(3, every_s=59), moving=True)) == ["smoking"]


def test_a_hand_resting_at_the_mouth_or_flickering_is_one_touch(params):
    assert run(params, (PUFF, 30), moving=True) == []
    flicker = [(PUFF, 0.2), (OPEN, 0.3)] * 10  # gaps under TOUCH_GAP_S
    assert run(params, *flicker, moving=True) == []


def test_hand_places_from_landmarks():
    import numpy as np
    from patuh.detectors.camera.signals import hand_places

    face = np.zeros((478, 3), np.float32)
    face[234, :2], face[454, :2] = (200, 240), (440, 240)  # cheeks, 240 px apart
    face[10, :2], face[152, :2] = (320, 100), (320, 380)  # forehead, chin
    face[[13, 14, 78, 308], :2] = (320, 300), (320, 310), (290, 305), (350, 305)
    hand = np.zeros((21, 2), np.float32)
    at_ear = hand + (180, 250) + np.linspace(-30, 30, 21)[:, None]
    at_mouth = hand + (330, 310) + np.linspace(0, 60, 21)[:, None] * (1, 1)
    on_lap = hand + (320, 470)
    assert hand_places(face, [at_ear]) == (True, False)
    assert hand_places(face, [at_mouth]) == (False, True)
    assert hand_places(face, [on_lap]) == (False, False) and hand_places(face, []) == (False, False)
    assert hand_places(face, [at_ear + (0, -250)]) == (False, False)  # above the head: not at the ear


def test_closed_from_the_start_is_caught_before_calibration(params):
    state = OperatorState(params, FPS)
    alerts = []
    for i in range(25):
        alerts += state.update(i, CLOSED)
    alerts += state.finish()
    assert kinds(alerts) == ["warning_level_1"] and state.ear_baseline is None


def test_boundaries_hold_at_other_frame_rates(params):
    for fps in (15, 25, 30):
        assert run(params, (CLOSED, 1.9), fps=fps) == []
        assert kinds(run(params, (CLOSED, 2.0), fps=fps)) == ["warning_level_1"]
        assert kinds(run(params, (CLOSED, 5.0), fps=fps)) == ["warning_level_1"]


def test_alert_record_is_a_camera_alert_fact(params):
    alert = run(params, (CLOSED, 2.0))[0]
    start = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    record = alert_record(alert, employee="E1", unit="DT-101", start=start, video="cab.mp4", evidence="x.jpg")
    assert record["time"] == "2026-03-02T06:00:03+08:00"
    assert record["frames"] == [30, 49] and record["duration_s"] == 2.0 and "moving" not in record
    assert alert_fact(record).source.frames == (30, 49)


def test_the_engine_accepts_the_records(params):
    import patuh

    start = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    records = [alert_record(a, employee="E1", unit="DT-101", start=start, video="cab.mp4")
               for a in run(params, (CLOSED, 5.5), (NOFACE, 31))]
    assert [r["alert"] for r in records] == ["warning_level_1", "warning_level_2", "face_missing"]
    result = patuh.Engine(["fatigue"]).evaluate(records)
    assert result.trace.facts_in == 3
