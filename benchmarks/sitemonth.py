"""A site-month for the fatigue pack: 300 operators, 2 shifts a day, 30 days, ~100k camera
alerts and speed samples, as a site's exports would give them (rulesets/fatigue/facts.yaml).

    month = sitemonth.build()          # deterministic: the same records in every process
    paths = month.write(folder)        # one .jsonl file per export, as `patuh eval --facts` reads them
    sitemonth.expected(month)          # findings per rule, counted in plain Python

The plan, seeded (random.Random(SEED), no hash(), no clock):

- Fleet: 150 units (OHT 40, DT 30, ADT 20, CT 10, WT 25, FT 25), half of them (75, mostly haulers)
  with a fatigue camera; two operators per unit, 300 in all, one per shift.
- Roster: a 14-day rotation of 6 day shifts (I, 06:00-18:00), a day off, 6 night shifts (II,
  18:00-06:00), a day off, the unit's two operators on opposite shifts; units staggered so every
  day has as many day as night shifts. About 7,700 roster entries (300 x 30 less days off), times
  in WITA (+08:00) and the site config's zone Asia/Makassar.
- Readiness forms, one per rostered shift: missing 2 %, filled after the shift started 3 %, sleep
  under 4 h 1.2 % (30 % again the next day), 4-7 h 12 %, not fit 1 % (30 % after a short sleep).
- P2H camera checks for every camera-unit shift (missing 3 %, damaged 1.5 %); fatigue inspections
  for ~40 % of the shifts on units without a camera, 85 % of them inside 13:00-18:00 (shift I) or
  01:00-06:00 (shift II); fatigue surveys after most sleep shortfalls and Level 2 alerts;
  medics' observations after a "fatigued" survey; alert confirmations of Level 2 and some Level 1.
- Camera alerts (~20k) on camera-unit shifts: ~5 a shift, more at night and in the last hours of a
  shift, scaled per operator (some operators alert far more), mostly warning_level_1, yawn and
  look_around; face_missing, camera_covered, warning_level_2, smoking (mostly smokers), phone.
  Each with employee, unit, time, camera_sn, evidence (a snapshot path), duration_s, speed_kmh.
- Speed telemetry of every unit (speed_sample: unit, time, speed_kmh, no employee), and overspeed
  alerts (camera_alert, recorder telemetry) for runs of samples above 50 km/h on ~8 % of the
  unit-shifts (a quarter of them with a second run within 2 h), peaks spread over the 8.1.4 bands;
  a few camera "Speeding" alerts at or under 50 km/h, which must stay silent. Samples fill the
  month so that camera alerts + speed samples = 100,000 exactly.
- Six vendor alerts without a Driver ID (no employee): the engine, partitioning by employee, puts
  them in every session (patuh.api.partition); each is an Action 1 of its row and in no count.

`expected()` counts the findings of the rules in RULES (the pre-shift and camera-alert rules of
the pack's 0.1 version) with the pack's default parameters, from the records alone: no engine.
`planted()` gives those of a few later rules (P2H missing of a shift the operator was not barred
from, damaged, not verified; alert reports
without an employee; inspections outside the 6.3.1 window) straight from the plan's tally.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from . import generate

SEED = 20260301
FIRST_DAY = dt.date(2026, 3, 1)
DAYS = 30
WITA = dt.timezone(dt.timedelta(hours=8), "WITA")
CONFIG = {"timezone": "Asia/Makassar"}  # the site config: naive times would be WITA too
FLEET = (("OHT", 40), ("DT", 30), ("ADT", 20), ("CT", 10), ("WT", 25), ("FT", 25))  # 150 units
CAMERA_SHARE = {"OHT": 0.8, "DT": 0.6, "ADT": 0.5, "CT": 0.2, "WT": 0.1, "FT": 0.1}  # weights: 75 cameras
CYCLE = ("I",) * 6 + (None,) + ("II",) * 6 + (None,)  # 14 days: 6 day shifts, off, 6 nights, off
ALERTS_AND_SAMPLES = 100_000
ALERTS_PER_SHIFT = 5.2
INCOMPLETE = 6  # camera alerts without an employee (a vendor row without Driver ID)
# camera alert mix (6.4.3.3 types) for a non-smoker; smokers smoke more
ALERT_MIX = (("warning_level_1", 37), ("yawn", 27), ("look_around", 23), ("face_missing", 4),
             ("camera_covered", 1), ("warning_level_2", 2.5), ("smoking", 1), ("phone", 1.5))
FILES = {"roster": "roster.jsonl", "readiness_form": "readiness_forms.jsonl", "p2h_camera_check": "p2h.jsonl",
         "fatigue_inspection": "inspections.jsonl", "fatigue_survey": "surveys.jsonl",
         "fatigue_observation": "observations.jsonl", "alert_confirmation": "confirmations.jsonl",
         "camera_alert": "camera_alerts.jsonl", "speed_sample": "speed.jsonl"}

H = dt.timedelta(hours=1)
# The pack's default parameters that expected() assumes; the test checks the pack still has them.
PARAMETERS = {"sleep_no_work_below_h": 4, "sleep_minimum_h": 7, "repeat_next_day_d": 1,
              "repeat_window_wl1_h": 2, "repeat_window_wl2_h": 2, "repeat_window_face_h": 2,
              "repeat_window_look_around_h": 2, "repeat_window_yawn_h": 1, "repeat_window_overspeed_h": 2,
              "overspeed_limit_kmh": 50,
              "overspeed_action1_min_kmh": 56, "overspeed_action1_max_kmh": 65, "overspeed_golden_rule_kmh": 81,
              "wl1_max_per_shift": 2, "wl2_stop_per_shift": 1, "yawn_max_per_shift": 2,
              "shift_stop_repeat_window_d": 7}
# Action 1 / Action 2 rule pairs of 8.1.4: the alert types of the row, and its window parameter
# (None: any earlier alert of the row, as for smoking and phone, which 8.1.4 gives no window)
ROWS = {"wl1": (("warning_level_1",), "repeat_window_wl1_h"), "wl2": (("warning_level_2",), "repeat_window_wl2_h"),
        "yawn": (("yawn",), "repeat_window_yawn_h"),
        "face-missing": (("face_missing", "camera_covered"), "repeat_window_face_h"),
        "look-around": (("look_around",), "repeat_window_look_around_h"),
        "smoking": (("smoking",), None), "phone": (("phone",), None)}
RULES = generate.RULES + tuple(f"fatigue.camera-{row}-action{n}" for row in ROWS for n in (1, 2)) + (
    "fatigue.camera-overspeed-action1", "fatigue.camera-overspeed-golden-rule", "fatigue.camera-overspeed-action2",
    "fatigue.camera-overspeed-not-covered", "fatigue.shift-wl1-over-limit", "fatigue.shift-wl2",
    "fatigue.shift-yawn-over-limit", "fatigue.shift-stop-repeated")


def _iso(t: dt.datetime) -> str:
    return t.isoformat()


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


@dataclass
class Shift:
    employee: str
    unit: str
    unit_type: str
    camera: bool
    date: dt.date
    shift: str
    start: dt.datetime
    end: dt.datetime
    supervisor: str


@dataclass
class SiteMonth:
    records: dict[str, list[dict]] = field(default_factory=lambda: {kind: [] for kind in FILES})
    planted: Counter = field(default_factory=Counter)  # what the plan put in, by name, for the report

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.records.values())

    def counts(self) -> dict[str, int]:
        return {kind: len(v) for kind, v in self.records.items()}

    def write(self, folder: Path | str) -> list[Path]:
        """One JSON-lines file per export, as `patuh eval --facts` reads them."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for kind, name in FILES.items():
            path = folder / name
            with path.open("w", encoding="utf-8") as out:
                out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in self.records[kind])
            paths.append(path)
        return paths


def build(seed: int = SEED, days: int = DAYS, fleet: int = 1) -> SiteMonth:
    """The site-month; `days` and `fleet` (a multiple of the fleet and crews) only to see how
    the engine scales: telemetry grows with them, so alerts + samples stay ~100,000 per month."""
    rng = random.Random(seed)
    total_alerts_and_samples = ALERTS_AND_SAMPLES * days * fleet // DAYS
    month = SiteMonth()
    rec = month.records
    units = []
    for unit_type, count in FLEET:
        for i in range(count * fleet):
            units.append((f"{unit_type}-{7001 + i if unit_type == 'OHT' else 101 + i}", unit_type))
    weights = [CAMERA_SHARE[t] * rng.random() for _, t in units]
    with_camera = set(sorted(range(len(units)), key=lambda i: -weights[i])[:len(units) // 2])

    shifts: list[Shift] = []
    operators = []  # (employee, unit index, phase)
    for u in range(len(units)):
        phase = u % len(CYCLE)
        for k in range(2):
            operators.append((f"CK-{10001 + len(operators)}", u, (phase + 7 * k) % len(CYCLE)))
    for n, (emp, u, phase) in enumerate(operators):
        unit, unit_type = units[u]
        supervisor = f"SPV-{(n // 20) + 1:02d}"
        for d in range(days):
            which = CYCLE[(phase + d) % len(CYCLE)]
            if which is None:
                continue
            date = FIRST_DAY + dt.timedelta(days=d)
            start = dt.datetime.combine(date, dt.time(6 if which == "I" else 18), WITA)
            shifts.append(Shift(emp, unit, unit_type, u in with_camera, date, which, start, start + 12 * H, supervisor))
    shifts.sort(key=lambda s: (s.start, s.employee))

    profile = {}  # per operator: alert propensity, smoker, short-sleep tendency
    for emp, _, _ in operators:
        profile[emp] = (rng.lognormvariate(-0.18, 0.6), rng.random() < 0.3)

    # -- roster, readiness forms, P2H, inspections, surveys, observations ---------------------------
    short_on: dict[str, dt.date] = {}  # employee -> date of the last short sleep
    for s in shifts:
        rec["roster"].append({"type": "roster", "employee": s.employee, "name": f"Operator {s.employee[3:]}",
                              "date": s.date.isoformat(), "shift": s.shift, "unit": s.unit, "unit_type": s.unit_type,
                              "role": f"Operator {s.unit_type}", "mobile_equipment": True, "high_risk": False,
                              "start": _iso(s.start), "end": _iso(s.end), "site": "Site Kideco Batu Kajang",
                              "supervisor": s.supervisor, "camera": s.camera})
        barred = False  # by the readiness form: sleep under 4 h or not FIT (then no P2H is owed)
        if rng.random() < 0.02:
            month.planted["readiness form missing"] += 1
        else:
            again = short_on.get(s.employee) == s.date - dt.timedelta(days=1)
            short = rng.random() < (0.3 if again else 0.012)
            if short:
                sleep = rng.choice((2, 2.5, 3, 3.5, 3.9))
                short_on[s.employee] = s.date
                month.planted["sleep under 4 h"] += 1
            elif rng.random() < 0.12:
                sleep = rng.choice((4, 4.5, 5, 5.5, 6, 6.5, 6.9))
            else:
                sleep = rng.choice((7, 7.5, 8, 8.5, 9))
            late = rng.random() < 0.03
            filled = s.start + dt.timedelta(minutes=rng.randrange(5, 90) if late else -rng.randrange(10, 90))
            fit = not (rng.random() < (0.3 if short else 0.01))
            barred = short or not fit
            rec["readiness_form"].append({"type": "readiness_form", "employee": s.employee, "date": s.date.isoformat(),
                                          "shift": s.shift, "sleep_hours": sleep, "fit": fit,
                                          "filled_at": _iso(filled), "unit": s.unit, "verified_by": s.supervisor})
            if 4 <= sleep < 7 and rng.random() < 0.75:  # 6.1.1.1.1: the supervisor's survey
                fatigued = rng.random() < 0.05
                _survey(rng, rec, s, s.start - dt.timedelta(minutes=rng.randrange(1, 10)), fatigued,
                        "direct", "rest" if fatigued else None)
                if fatigued:
                    _observation(rng, rec, s, s.start + dt.timedelta(minutes=rng.randrange(10, 40)))
        if s.camera:
            if rng.random() < 0.03:
                month.planted["p2h missing" if not barred else "p2h missing, operator barred"] += 1
            else:
                damaged = rng.random() < 0.015
                check = {"type": "p2h_camera_check", "employee": s.employee, "date": s.date.isoformat(),
                         "shift": s.shift, "unit": s.unit,
                         "time": _iso(s.start - dt.timedelta(minutes=rng.randrange(5, 30))),
                         "result": "damaged" if damaged else "ok", "verified_by": s.supervisor,
                         "signed": rng.random() > 0.04}
                if damaged:
                    check.update(defect=rng.choice(("bracket", "lens", "cable", "speaker")),
                                 reported=rng.random() < 0.9)
                    month.planted["p2h damaged"] += 1
                if rng.random() < 0.03:
                    del check["verified_by"]
                month.planted["p2h not verified"] += "verified_by" not in check or not check["signed"]
                rec["p2h_camera_check"].append(check)
        elif rng.random() < 0.4:  # 6.3.1: the supervisor samples units without a camera
            inside = rng.random() < 0.85
            offset = rng.randrange(7 * 60, 12 * 60) if inside else rng.randrange(60, 7 * 60)  # minutes into the shift
            rec["fatigue_inspection"].append({
                "type": "fatigue_inspection", "employee": s.employee,
                "time": _iso(s.start + dt.timedelta(minutes=offset, seconds=rng.randrange(60))),
                "inspector": s.supervisor, "unit": s.unit, "unit_type": s.unit_type,
                "result": "fatigued" if rng.random() < 0.02 else "fit"})
            month.planted[f"inspection {'inside' if inside else 'outside'} the window, shift {s.shift}"] += 1

    # -- camera alerts on camera-unit shifts ------------------------------------------------------
    used: dict[str, set] = defaultdict(set)  # employee -> alert times (one alert a second)

    def when(s: Shift, minutes_from: int, minutes_to: int) -> dt.datetime:
        while True:
            t = s.start + dt.timedelta(seconds=rng.randrange(minutes_from * 60, minutes_to * 60))
            if t not in used[s.employee]:
                used[s.employee].add(t)
                return t

    types, plain = [a for a, _ in ALERT_MIX], [w for _, w in ALERT_MIX]
    smoker = [w * (6 if a == "smoking" else 1) for a, w in ALERT_MIX]
    for s in shifts:
        if not s.camera:
            continue
        propensity, smokes = profile[s.employee]
        n = _poisson(rng, ALERTS_PER_SHIFT * propensity * (1.2 if s.shift == "II" else 0.8))
        for _ in range(n):
            late = rng.random() < 0.4  # fatigue peaks in the last 5 hours (13-18, 01-06)
            t = when(s, 7 * 60 if late else 0, 12 * 60)
            alert = rng.choices(types, smoker if smokes else plain)[0]
            rec["camera_alert"].append({
                "type": "camera_alert", "alert": alert, "employee": s.employee, "unit": s.unit, "time": _iso(t),
                "duration_s": round(rng.uniform(1.5, 8), 1), "speed_kmh": rng.randrange(8, 40), "moving": True,
                "camera_sn": f"MR{hash_unit(s.unit):08d}",
                "evidence": f"snapshots/{t:%Y%m%d}/{s.unit}_{t:%H%M%S}_{alert}.jpg"})
            if alert == "warning_level_2" or (alert == "warning_level_1" and rng.random() < 0.08):
                done = t + dt.timedelta(minutes=rng.randrange(5, 40))
                rec["alert_confirmation"].append({
                    "type": "alert_confirmation", "employee": s.employee, "alert": alert, "alert_time": _iso(t),
                    "time": _iso(done), "unit": s.unit, "confirmed_by": s.supervisor,
                    "confirmed": rng.random() < 0.9, "result": rng.choice(("alert", "alert", "mild")),
                    "reported_to_heads": rng.random() < 0.85})
                if alert == "warning_level_2":
                    _survey(rng, rec, s, done, rng.random() < 0.2, "radio", "rest")

    # -- telemetry: overspeed runs, the alerts they give, and the speed samples around them ----------
    samples: list[dict] = []
    runs_at: dict[str, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)  # unit -> busy windows
    overspeed = []
    for s in shifts:
        if rng.random() >= 0.08:
            continue
        starts = [s.start + dt.timedelta(minutes=rng.randrange(30, 10 * 60))]
        if rng.random() < 0.25:  # again within 2 h (inclusive), or a little after
            starts.append(starts[0] + dt.timedelta(minutes=rng.choice((20, 45, 90, 119, 120, 150))))
        for first in starts:
            if first >= s.end - 5 * 60 * dt.timedelta(seconds=1):
                continue
            band = rng.random()
            peak = (rng.uniform(50.5, 55.9) if band < 0.3 else rng.uniform(56, 65) if band < 0.75
                    else rng.uniform(65.1, 80.9) if band < 0.95 else rng.uniform(81, 92))
            peak = round(peak, 1)
            length = rng.randrange(2, 7)
            speeds = [round(rng.uniform(50.2, peak), 1) for _ in range(length - 1)] + [peak]
            rng.shuffle(speeds)
            times = [first + dt.timedelta(seconds=10 * i) for i in range(length)]
            before, after = first - dt.timedelta(seconds=10), times[-1] + dt.timedelta(seconds=10)
            run = [(before, rng.randrange(35, 49))] + list(zip(times, speeds, strict=True))
            for t, v in run + [(after, rng.randrange(30, 49))]:
                samples.append({"type": "speed_sample", "unit": s.unit, "time": _iso(t), "speed_kmh": v})
            runs_at[s.unit].append((before - 2 * H / 60, after + 2 * H / 60))
            while first in used[s.employee]:
                first += dt.timedelta(seconds=1)
            used[s.employee].add(first)
            overspeed.append({"type": "camera_alert", "alert": "overspeed", "employee": s.employee, "unit": s.unit,
                              "time": _iso(first), "speed_kmh": max(speeds),
                              "duration_s": 10 * (length - 1), "moving": True, "recorder": "telemetry"})
    for s in rng.sample([s for s in shifts if s.camera], 12):  # the camera's own Speeding at or under the limit
        t = when(s, 60, 11 * 60)
        overspeed.append({"type": "camera_alert", "alert": "overspeed", "employee": s.employee, "unit": s.unit,
                          "time": _iso(t), "speed_kmh": rng.choice((45, 48, 49.5, 50)), "moving": True,
                          "camera_sn": f"MR{hash_unit(s.unit):08d}",
                          "evidence": f"snapshots/{t:%Y%m%d}/{s.unit}_{t:%H%M%S}_overspeed.jpg"})
    rec["camera_alert"] += overspeed
    # vendor rows without a Driver ID (6.3.2.3.1 judges such a report): no employee, so the engine
    # puts them in every session (api.partition), and no repeat or shift count can include them
    for s in rng.sample([s for s in shifts if s.camera], INCOMPLETE):
        t = s.start + dt.timedelta(seconds=rng.randrange(3600, 11 * 3600))
        alert = rng.choice(("warning_level_1", "yawn", "look_around"))
        rec["camera_alert"].append({"type": "camera_alert", "alert": alert, "unit": s.unit, "time": _iso(t),
                                    "camera_sn": f"MR{hash_unit(s.unit):08d}",
                                    "evidence": f"snapshots/{t:%Y%m%d}/{s.unit}_{t:%H%M%S}_{alert}.jpg"})
    month.planted["alerts without employee"] = INCOMPLETE
    rec["camera_alert"].sort(key=lambda r: (r["time"], r["unit"]))
    month.planted["overspeed alerts"] = len(overspeed)

    # the rest of the telemetry: a unit's speed at random moments of its shifts, under the limit
    room = total_alerts_and_samples - len(rec["camera_alert"]) - len(samples)
    unit_shifts = sorted({(s.unit, s.start) for s in shifts})
    for i, (unit, start) in enumerate(unit_shifts):
        k = room // len(unit_shifts) + (1 if i < room % len(unit_shifts) else 0)
        taken = set()
        while k:
            t = start + dt.timedelta(seconds=rng.randrange(0, 12 * 3600))
            if t in taken or any(a <= t <= b for a, b in runs_at.get(unit, ())):
                continue
            taken.add(t)
            samples.append({"type": "speed_sample", "unit": unit, "time": _iso(t),
                            "speed_kmh": rng.choice((0, 0, rng.randrange(5, 48), round(rng.uniform(10, 45), 1)))})
            k -= 1
    samples.sort(key=lambda r: (r["unit"], r["time"]))
    rec["speed_sample"] = samples
    assert len(rec["camera_alert"]) + len(rec["speed_sample"]) == total_alerts_and_samples
    return month


# Rules of the pack whose findings are just what the plan planted: rule -> month.planted key(s).
PLANTED = {"fatigue.p2h-missing": ("p2h missing",), "fatigue.p2h-camera-damaged": ("p2h damaged",),
           "fatigue.p2h-not-verified": ("p2h not verified",),
           "fatigue.alert-report-incomplete": ("alerts without employee",),
           "fatigue.inspection-outside-window-shift-i": ("inspection outside the window, shift I",),
           "fatigue.inspection-outside-window-shift-ii": ("inspection outside the window, shift II",)}


def planted(month: SiteMonth) -> dict[str, int]:
    """The findings of the PLANTED rules, from the plan's own tally."""
    return {rule: sum(month.planted[k] for k in keys) for rule, keys in PLANTED.items()}


def hash_unit(unit: str) -> int:
    """A stable camera serial number for a unit (no hash(): it differs between processes)."""
    return sum((i + 1) * ord(c) * 7919 for i, c in enumerate(unit)) % 10**8


def _survey(rng, rec, s: Shift, time: dt.datetime, fatigued: bool, method: str, follow_up: str | None) -> None:
    survey = {"type": "fatigue_survey", "employee": s.employee, "date": s.date.isoformat(), "shift": s.shift,
              "time": _iso(time), "surveyor": s.supervisor, "unit": s.unit, "method": method,
              "score": rng.randrange(12, 20) if fatigued else rng.randrange(0, 8),
              "result": "fatigued" if fatigued else "fit"}
    if follow_up and fatigued:
        survey["follow_up"] = follow_up
    rec["fatigue_survey"].append(survey)


def _observation(rng, rec, s: Shift, time: dt.datetime) -> None:
    rec["fatigue_observation"].append({
        "type": "fatigue_observation", "employee": s.employee, "date": s.date.isoformat(), "shift": s.shift,
        "time": _iso(time), "observer": "Medic-01", "unit": s.unit,
        "blood_pressure": f"{rng.randrange(110, 150)}/{rng.randrange(70, 95)}", "romberg_ok": rng.random() < 0.8,
        "sick": rng.random() < 0.1, "result": rng.choice(("mild", "mild", "moderate"))})


# -- the findings the pack must give, in plain Python -----------------------------------------------
def _repeats(times: list[dt.datetime], window: dt.timedelta | None) -> list[bool]:
    """For each time (sorted): is there an earlier one at most `window` before it (8.1.4's
    "the same alert again within N hours", first < again <= first + window; any earlier one
    when the window is None)."""
    out, last = [], None
    for t in times:
        out.append(last is not None and last < t and (window is None or t <= last + window))
        last = t if last is None or t > last else last
    return out


def expected(month: SiteMonth, p: dict = PARAMETERS) -> dict[str, int]:
    rec = month.records
    counts: Counter = Counter({rule: 0 for rule in RULES})
    counts.update(generate.expected(rec["roster"] + rec["readiness_form"], p["sleep_no_work_below_h"],
                                    p["sleep_minimum_h"], p["repeat_next_day_d"]))
    alerts = [dict(a, at=dt.datetime.fromisoformat(a["time"])) for a in rec["camera_alert"]]
    by_employee: dict[str, list[dict]] = defaultdict(list)
    for a in sorted(alerts, key=lambda a: a["at"]):
        if "employee" in a:
            by_employee[a["employee"]].append(a)
        else:  # nobody to repeat: Action 1 of its row, in no shift's count
            counts[next(f"fatigue.camera-{row}-action1" for row, (kinds, _) in ROWS.items()
                        if a["alert"] in kinds)] += 1
    for row, (kinds, window) in ROWS.items():
        for mine in by_employee.values():
            times = [a["at"] for a in mine if a["alert"] in kinds]
            again = _repeats(times, p[window] * H if window else None)
            counts[f"fatigue.camera-{row}-action2"] += sum(again)
            counts[f"fatigue.camera-{row}-action1"] += len(again) - sum(again)
    limit, low, high, golden = (p["overspeed_limit_kmh"], p["overspeed_action1_min_kmh"],
                                p["overspeed_action1_max_kmh"], p["overspeed_golden_rule_kmh"])
    for mine in by_employee.values():
        over = [a for a in mine if a["alert"] == "overspeed" and a.get("speed_kmh", 0) > limit]
        again = _repeats([a["at"] for a in over], p["repeat_window_overspeed_h"] * H)
        counts["fatigue.camera-overspeed-action2"] += sum(again)
        for a, repeat in zip(over, again, strict=True):  # one repeat flag per alert
            v = a["speed_kmh"]
            counts["fatigue.camera-overspeed-action1"] += low <= v <= high and not repeat
            counts["fatigue.camera-overspeed-golden-rule"] += v >= golden
            counts["fatigue.camera-overspeed-not-covered"] += v < low or high < v < golden
        counts["fatigue.camera-overspeed-not-covered"] += sum(
            1 for a in mine if a["alert"] == "overspeed" and a.get("speed_kmh") is None)
    stops: dict[str, list[dt.datetime]] = defaultdict(list)  # 6.5.2: alerts per rostered shift
    for r in rec["roster"]:
        start, end = dt.datetime.fromisoformat(r["start"]), dt.datetime.fromisoformat(r["end"])
        n = Counter(a["alert"] for a in by_employee.get(r["employee"], ()) if start <= a["at"] < end)
        hits = {"fatigue.shift-wl1-over-limit": n["warning_level_1"] > p["wl1_max_per_shift"],
                "fatigue.shift-wl2": n["warning_level_2"] >= p["wl2_stop_per_shift"],
                "fatigue.shift-yawn-over-limit": n["yawn"] > p["yawn_max_per_shift"]}
        counts.update(rule for rule, hit in hits.items() if hit)
        if any(hits.values()):
            stops[r["employee"]].append(start)
    for starts in stops.values():
        counts["fatigue.shift-stop-repeated"] += sum(_repeats(sorted(starts), p["shift_stop_repeat_window_d"] * 24 * H))
    return {rule: counts[rule] for rule in RULES}


if __name__ == "__main__":  # python -m benchmarks.sitemonth [FOLDER]: the counts, and the files if asked
    import sys

    month = build()
    print(json.dumps({"records": month.counts(), "total": month.total, "planted": month.planted,
                      "expected": expected(month) | planted(month)}, indent=1))
    if len(sys.argv) > 1:
        month.write(sys.argv[1])
