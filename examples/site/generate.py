#!/usr/bin/env python3
"""Generate the bundled example site: one week of a mine site run under the fatigue procedure
CK-PR-SHE-25 Rev 02, and the findings the fatigue pack must produce (the events planted here).

    python examples/site/generate.py            # rewrite the files next to this script
    python examples/site/generate.py --out DIR  # write them somewhere else

What a site has in a week: the roster, the readiness forms (6.1), the P2H camera checks of the
camera fleet (6.4.1), the supervisor's sampled fatigue inspections of the fleet without cameras
(6.3.1), the camera vendor's alarm report (6.4.3, 8.1.4), the fleet system's speed export
(overspeed, 8.1.4), the forms that follow alerts up (Form Survey Fatigue, Form Observasi Fatigue,
Form Konfirmasi Alert: 6.3.1.4, 6.3.1.5, 6.3.2.4), the registers of the other follow-ups (the
supervisors' later P2H sign-offs, the confirmations e-mailed to the department heads, the
interview's berita acara, coaching and counselling, camera repairs, the dispatcher's weekly
summaries: 6.4.1.2.1, 6.3.2.5, 8.1.4, 6.5.2, 6.5.3) and one cab video from patuh's own camera
(made by make_video.py, not here: it needs OpenCV). The follow-ups are obligations with a due time: done in time on the
clean records, and planted late, overdue or still open in OWED.

Deterministic: fixed seeds and no wall clock, so it reproduces the committed files byte for
byte (tests/test_example_site.py checks that). expected.json is derived from the plans below,
never by running the engine: it is the ground truth the engine is tested against, its findings
and its obligations with their status at the evaluation time (the latest time the records
give). Every rule id the plans expect is named once, in the block "Rule ids" below (and the
obligations' actions in "Obligations"). Standard library only.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

SEED = 20260302
SITE = "Site Kideco Batu Kajang"
TIMEZONE = "Asia/Makassar"  # WITA
WITA = dt.timezone(dt.timedelta(hours=8))
FIRST_DAY = dt.date(2026, 3, 2)
DAYS = [FIRST_DAY + dt.timedelta(days=i) for i in range(7)]  # 2026-03-02 (Mon) .. 2026-03-08 (Sun)
SHIFT_START = {"I": dt.time(6, 0), "II": dt.time(18, 0)}  # 12-hour shifts; II ends 06:00 next day
SHIFT_HOURS = 12
NORMAL_SLEEP = [7.0, 7.5, 7.5, 8.0, 8.0, 8.5]  # what rested workers write on the form

# Four crews (regu) on a 14-day cycle: 6 day shifts, 1 day off, 6 night shifts, 1 day off.
# A and B work opposite shifts all week; C and D swap day and night around Thursday's day off.
CYCLE = ["I"] * 6 + [None] + ["II"] * 6 + [None]
CREW_PHASE = {"A": 0, "B": 7, "C": 3, "D": 10}
SUPERVISOR = {"A": "Hendra Gunawan", "B": "Yohanes Pasaribu", "C": "Muhammad Ridwan", "D": "Agus Salim Lubis"}

# Each crew's positions: (key, role, unit type or None, mobile_equipment, high_risk).
# Units run around the clock, so crews A and B share one fleet, and C and D the other.
POSITIONS = (
    [(f"OHT{i}", "Operator OHT", "OHT", True, False) for i in range(1, 5)]
    + [(f"DT{i}", "Operator DT", "DT", True, False) for i in range(1, 4)]
    + [("ADT", "Operator ADT", "ADT", True, False), ("CT", "Operator CT", "CT", True, False),
       ("WT", "Operator WT", "WT", True, False), ("FT", "Operator FT", "FT", True, False),
       ("MEK", "Mekanik", None, False, True), ("HR2", None, None, False, True), ("SUP", None, None, False, False)]
)
HIGH_RISK_ROLE = {"A": "Rigger", "B": "Welder", "C": "Electrician", "D": "Rigger"}
SUPPORT_ROLE = {"A": ("Driver LV", "LV"), "B": ("Admin Dispatch", None), "C": ("Driver LV", "LV"),
                "D": ("Admin Dispatch", None)}
HULL_BASE = {"OHT": 7710, "DT": 2030, "ADT": 5100, "CT": 3300, "WT": 8200, "FT": 8100, "LV": 1040}

FIRST_NAMES = [
    "Ahmad", "Andi", "Arif", "Bambang", "Bayu", "Budi", "Dedi", "Dimas", "Eko", "Erwin", "Fajar", "Ferry",
    "Gilang", "Hadi", "Hasan", "Heri", "Ilham", "Imam", "Irfan", "Iwan", "Joko", "Jumadi", "Kurnia",
    "Lukman", "Nanang", "Putra", "Rahmat", "Riski", "Rudi", "Sigit", "Slamet", "Syahrul", "Taufik",
    "Teguh", "Wahyu", "Yoga", "Yusuf", "Zainal", "Anang", "Baso", "Darma", "Samsul", "Ridho", "Udin",
]
LAST_NAMES = [
    "Saputra", "Pratama", "Hidayat", "Setiawan", "Nugroho", "Santoso", "Wibowo", "Siregar", "Nasution",
    "Simanjuntak", "Hasibuan", "Manurung", "Sinaga", "Rahman", "Syahputra", "Firmansyah", "Ramadhan",
    "Hakim", "Wijaya", "Susanto", "Suryadi", "Purnomo", "Prasetyo", "Tanjung", "Sembiring", "Ginting",
    "Tarigan", "Abdullah", "Mahmud", "Daeng Mappa", "Effendi", "Kusuma", "Maulana", "Sitompul",
]
FEMALE_NAMES = ["Dewi Lestari", "Rina Marlina", "Siti Rahmawati", "Nur Aisyah"]

# Planned leave (cuti): not rostered, so no form and no finding.
LEAVE = {("B", "OHT4"): {dt.date(2026, 3, 5), dt.date(2026, 3, 6)}}

# Crews A and B run the camera fleet: each of its mobile-equipment units carries a fatigue camera
# (roster `camera: true`), whose operator fills Form P2H Fatigue Camera every shift (6.4.1) and whose
# alerts the vendor's platform reports (6.4.3). Crews C and D run the fleet without cameras
# (`camera: false`), sampled by the supervisor's fatigue inspections instead (6.3.1).
CAMERA_CREWS = "AB"
# OHT-7713 carries patuh's own camera (a pilot): its video is judged by `patuh detect camera`, so
# it has no rows in the vendor's report. The rest of the camera fleet runs the vendor's camera.
PILOT_UNIT = "OHT-7713"
VENDOR_URL = "https://fatigue.vendor.example/alarm"


# -- Rule ids: every finding the plans below expect comes from one of these ---------------------
# 6.1 pre-shift
MISSING = "fatigue.readiness-form-missing"
LATE = "fatigue.readiness-form-late"
UNDER4 = "fatigue.sleep-under-4h"
REPEAT = "fatigue.sleep-under-4h-repeated"
SURVEY = "fatigue.sleep-shortfall-survey"
NOT_FIT = "fatigue.readiness-not-fit"
# 6.4.1 Form P2H Fatigue Camera
P2H_MISSING = "fatigue.p2h-missing"
P2H_NOT_VERIFIED = "fatigue.p2h-not-verified"
P2H_VERIFIED_LATE = "fatigue.p2h-verified-late"  # the form says it was verified more than 1 h after the check
P2H_NOT_REPORTED = "fatigue.p2h-damage-not-reported"
P2H_DAMAGED = "fatigue.p2h-camera-damaged"
# 6.3.1 inspections on the fleet without cameras
OUTSIDE_WINDOW = {"I": "fatigue.inspection-outside-window-shift-i", "II": "fatigue.inspection-outside-window-shift-ii"}
COVERAGE = "fatigue.inspection-coverage"  # OHT, CT, DT, ADT: 30 %
COVERAGE_WT_FT = "fatigue.inspection-coverage-wt-ft"  # WT, FT: 50 %
INSPECTION_FATIGUED = "fatigue.inspection-fatigued"
# 6.3.2 the dispatcher's alert report and the confirmation form
REPORT_INCOMPLETE = "fatigue.alert-report-incomplete"
EVIDENCE_MISSING = "fatigue.alert-evidence-missing"
NOT_REPORTED = "fatigue.alert-confirmation-not-reported"
REPORTED_LATE = "fatigue.confirmation-reported-late"  # the form says it went to the heads more than 24 h after it
CONFIRMED = {"warning_level_1": "fatigue.confirmed-wl1", "warning_level_2": "fatigue.confirmed-wl2"}
# 6.5.1 and 6.5.2 the survey's and the medic's conclusions
SURVEY_FATIGUED = "fatigue.survey-fatigued"
OBSERVED = {"mild": "fatigue.observation-mild", "moderate": "fatigue.observation-moderate",
            "severe": "fatigue.observation-severe"}
# 6.4.3-6.4.5, 8.1.4 camera alerts: Action 1, or Action 2 for a repeat within the row's window
WL1_1, WL1_2 = "fatigue.camera-wl1-action1", "fatigue.camera-wl1-action2"
WL2_1 = "fatigue.camera-wl2-action1"
YAWN_1, YAWN_2 = "fatigue.camera-yawn-action1", "fatigue.camera-yawn-action2"
FACE_1, FACE_2 = "fatigue.camera-face-missing-action1", "fatigue.camera-face-missing-action2"
LOOK_1 = "fatigue.camera-look-around-action1"
SMOKING_1 = "fatigue.camera-smoking-action1"
PHONE_1 = "fatigue.camera-phone-action1"
SPEED_1, SPEED_2 = "fatigue.camera-overspeed-action1", "fatigue.camera-overspeed-action2"
GOLDEN_RULE = "fatigue.camera-overspeed-golden-rule"
SPEED_NOT_COVERED = "fatigue.camera-overspeed-not-covered"
# 6.5.2 alerts per rostered shift
SHIFT_WL1 = "fatigue.shift-wl1-over-limit"
SHIFT_WL2 = "fatigue.shift-wl2"
SHIFT_YAWN = "fatigue.shift-yawn-over-limit"
STOP_REPEATED = "fatigue.shift-stop-repeated"

# Whose finding a rule's is, where it is not the operator's (the employee id): the subject id the
# pack gives it. An alert that names no employee has the alert itself as its subject; expected.json
# names it by its unit.
SUBJECT = {
    OUTSIDE_WINDOW["I"]: "inspector", OUTSIDE_WINDOW["II"]: "inspector",  # the supervisor who inspected
    COVERAGE: "shift", COVERAGE_WT_FT: "shift",  # "<date> <shift> <unit type>"
}

# -- Obligations: the follow-ups the pack tracks to a due time ----------------------------------
# Each is (rule id, action id) in the pack; the finding of one overdue or done late is
# "<rule>.<action>-overdue" / "-late", against the role the RACI matrix holds accountable
# (rulesets/fatigue/raci.yaml). Rules that only set obligations (no finding of their own):
CONFIRMATION_OWED = "fatigue.alert-confirmation-owed"  # 6.3.2.4: every camera alert, Form Konfirmasi Alert
HEADS_REPORT_OWED = "fatigue.confirmation-report-owed"  # 6.3.2.5: a form not saying it went to the heads
WEEKLY_SUMMARY = "fatigue.weekly-summary"  # 6.5.3: the dispatcher's summary of each week with alerts
SHIFT_STOPS = (SHIFT_WL1, SHIFT_WL2, SHIFT_YAWN)  # 6.5.2 stops, each owing coaching and counselling
FIELD_SUPERVISOR = "Pengawas Lapangan"  # raci.yaml roles: pengawas
FATIGUE_DISPATCHER = "Fatigue Dispatcher"  # dispatcher
# Their due times, as the pack's parameters set them (rulesets/fatigue/parameters.yaml, *_due_*):
# after the readiness form was filled, the alert, the form, the P2H check, the shift's end, the
# week's Sunday.
DUE_AFTER = {"survey": dt.timedelta(hours=1), "confirmation": dt.timedelta(hours=2),
             "heads-report": dt.timedelta(hours=24), "verification": dt.timedelta(hours=1),
             "repair": dt.timedelta(hours=6), "interview": dt.timedelta(hours=24),
             "coaching": dt.timedelta(hours=24), "summary": dt.timedelta(days=2)}
# On the clean records each is done in time: the survey 30 min after the shortfall's form, a damaged
# camera repaired at the rest break 5 h after it, a night shift's confirmation forms e-mailed to the
# department heads at 07:00 after the shift (HEADS_MAIL); the confirmations, interview and
# coaching sessions are written out in the camera plan below. (A P2H is verified 5-40 min after the
# check on the form itself, which owes nothing; one that is not is planted, in P2H_PLAN and OWED.)
SURVEY_AFTER = dt.timedelta(minutes=30)
REPAIR_AFTER = dt.timedelta(hours=5)


@dataclass
class Owed:
    """A follow-up planted off its clean course: done at exactly its due time, late, not done and
    overdue, or not done and not yet due (open) when the records end."""

    id: str
    event: str  # the planted event or anomaly whose follow-up it is
    action: str  # the pack's action id
    after: dt.timedelta | None  # from when it was owed to when it was done; None: not done
    what: str  # for the README, with the clause it breaks
    status: str  # done, late, open or overdue: checked against the times


OWED = [
    Owed("OB1", "B3", "survey", dt.timedelta(hours=1), "Form Survey Fatigue filed exactly 1 h after the readiness "
         "form (6.1.1.1.1): done at its due time", "done"),
    Owed("OB2", "P3", "survey", None, "Form Survey Fatigue not filed yet when the records end, and not due yet "
         "(6.1.1.1.1): open", "open"),
    Owed("OB3", "PM2", "verification", None, "the P2H never verified and signed by the supervisor (6.4.1.2.1)",
         "overdue"),
    Owed("OB4", "PM3", "verification", dt.timedelta(minutes=90), "the supervisor signed the P2H 1 h 30 min after "
         "the check, as his sign-off in the supervisors' log `p2h_verifications.csv` says (6.4.1.2.1; before the "
         "pack's review a second row of the P2H said it)", "late"),
    Owed("OB5", "PD2", "repair", None, "the scratched lens, never reported, is not repaired or swapped for a spare "
         "(8.1.4 Face Missing row, 6.4.1.2.2)", "overdue"),
    Owed("OB6", "CA5", "heads-report", None, "the Level 1 confirmation form is never sent to the Operation and HCA "
         "department heads (6.3.2.5)", "overdue"),
    Owed("OB7", "CA6", "confirmation", None, "only the Level 2 alert is confirmed at the unit: the Level 1 alert 4 s "
         "before it has no Form Konfirmasi Alert (6.3.2.2, 6.3.2.4)", "overdue"),
    Owed("OB8", "CA6", "coaching", None, "stopped under 6.5.2 on Saturday's day shift and off on Sunday: coaching "
         "and counselling, due 24 h after the shift ends, not held yet when the records end (6.5.2): open",
         "open"),
]


@dataclass
class Anomaly:
    """One planted deviation from a clean form (readiness, or P2H), and the findings it must produce."""

    id: str
    crew: str
    position: str
    date: dt.date
    what: str  # for the README
    form: dict | None = field(default_factory=dict)  # overrides of the clean form; None: no form
    rules: tuple[str, ...] = ()  # findings on this (employee, date, shift)


def d(day: int) -> dt.date:
    return dt.date(2026, 3, day)


# The pre-shift plan (6.1), on the readiness forms. Times in "filled_at" are minutes relative to
# the rostered shift start.
PLAN = [
    # Missing forms (6.1.2): only workers with mobile_equipment or high_risk must fill one.
    Anomaly("M1", "A", "DT2", d(3), "DT operator, day shift: no form", None, (MISSING,)),
    Anomaly("M2", "D", "OHT1", d(6), "OHT operator, day shift: no form", None, (MISSING,)),
    Anomaly("M3", "B", "WT", d(4), "WT operator, night shift: no form", None, (MISSING,)),
    Anomaly("M4", "C", "MEK", d(2), "Mekanik (high risk only): no form", None, (MISSING,)),
    Anomaly("M5", "B", "HR2", d(7), "Welder (high risk only), night shift: no form", None, (MISSING,)),
    Anomaly("M6", "A", "SUP", d(5), "Driver LV (neither mobile equipment nor high risk): no form, "
            "which is no finding", None, ()),
    Anomaly("M7", "C", "ADT", d(7), "ADT operator on night shift II wrote shift I on the form: the "
            "rostered shift has no form", {"shift": "I"}, (MISSING,)),
    # Sleep under 4 h (6.1.1.1.2) on one day only.
    Anomaly("S1", "A", "OHT2", d(4), "slept 3.5 h", {"sleep_hours": 3.5}, (UNDER4,)),
    Anomaly("S2", "B", "DT1", d(3), "slept 2.5 h before a night shift", {"sleep_hours": 2.5}, (UNDER4,)),
    Anomaly("S3", "D", "ADT", d(7), "slept 3.0 h", {"sleep_hours": 3.0}, (UNDER4,)),
    # Under 4 h on two consecutive roster dates: barred twice, and the repeat sanction once.
    Anomaly("R1a", "A", "OHT3", d(3), "slept 3.0 h (first of two consecutive days)", {"sleep_hours": 3.0},
            (UNDER4,)),
    Anomaly("R1b", "A", "OHT3", d(4), "slept 3.5 h again the next day: repeat sanction",
            {"sleep_hours": 3.5}, (UNDER4, REPEAT)),
    # Under 4 h twice, with a day off in between (C works I on the 4th, is off on the 5th, works II
    # on the 6th): two bars, no repeat.
    Anomaly("R2a", "C", "FT", d(4), "slept 3.0 h on the last day shift before the day off",
            {"sleep_hours": 3.0}, (UNDER4,)),
    Anomaly("R2b", "C", "FT", d(6), "slept 2.0 h before the first night shift after the day off: "
            "not the next day, so no repeat", {"sleep_hours": 2.0}, (UNDER4,)),
    # Boundaries: "kurang dari 4 jam" and the 7 h minimum are both strict.
    Anomaly("B1", "D", "DT3", d(6), "slept 3.9 h: barred", {"sleep_hours": 3.9}, (UNDER4,)),
    Anomaly("B2", "D", "DT3", d(7), "slept exactly 4.0 h the next day: survey only, so no repeat",
            {"sleep_hours": 4.0}, (SURVEY,)),
    Anomaly("B3", "B", "CT", d(2), "slept 6.9 h: survey", {"sleep_hours": 6.9}, (SURVEY,)),
    Anomaly("B4", "B", "CT", d(3), "slept exactly 7.0 h: no finding", {"sleep_hours": 7.0}, ()),
    # Ordinary shortfalls (4 h to under 7 h): Form Survey Fatigue.
    Anomaly("P1", "C", "OHT2", d(3), "slept 5.5 h", {"sleep_hours": 5.5}, (SURVEY,)),
    Anomaly("P2", "B", "MEK", d(6), "Mekanik slept 6.0 h before a night shift", {"sleep_hours": 6.0},
            (SURVEY,)),
    Anomaly("P3", "C", "SUP", d(8), "Driver LV slept 5.0 h (sleep rules apply to every form)",
            {"sleep_hours": 5.0}, (SURVEY,)),
    # Forms filled after the shift started (6.1.2), and their boundaries.
    Anomaly("L1", "A", "FT", d(6), "filled at 06:25, after the 06:00 start, and slept 6.0 h",
            {"filled_at": 25, "sleep_hours": 6.0}, (LATE, SURVEY)),
    Anomaly("L2", "B", "ADT", d(5), "night shift II of 5 March filled at 00:20 on 6 March, after "
            "midnight: late, and still the shift of the 5th", {"filled_at": 6 * 60 + 20}, (LATE,)),
    Anomaly("L3", "D", "OHT3", d(8), "filled at 06:00:00 exactly, the shift start: not late",
            {"filled_at": 0}, ()),
    Anomaly("L4", "D", "WT", d(3), "filled_at written in UTC (09:40Z = 17:40 WITA) before an 18:00 "
            "start: not late", {"filled_at": -20, "utc": True}, ()),
    # Not FIT on the form (6.4.2.2.1).
    Anomaly("F1", "D", "FT", d(2), "marked not FIT (slept 7.5 h)", {"fit": False, "sleep_hours": 7.5},
            (NOT_FIT,)),
]



# The P2H plan (6.4.1): every operator of a camera unit fills Form P2H Fatigue Camera each shift,
# verified and signed by the crew's supervisor; these deviate. (Operators barred by their
# readiness form still have one: the P2H is done at the unit before the form is reviewed.)
P2H_PLAN = [
    Anomaly("PM1", "A", "OHT2", d(6), "no P2H camera check", None, (P2H_MISSING,)),
    Anomaly("PM2", "B", "CT", d(5), "P2H neither verified nor signed by the supervisor",
            {"verified_by": None, "signed": None}, (P2H_NOT_VERIFIED,)),
    Anomaly("PM3", "A", "ADT", d(7), "P2H verified but not signed (Ditandatangani: Tidak)", {"signed": False},
            (P2H_NOT_VERIFIED,)),
    Anomaly("PV1", "B", "OHT2", d(3), "P2H verified and signed on the form 1 h 15 min after the check: verified "
            "late, as the form's own Waktu Verifikasi says (nothing is owed: it is verified)",
            {"verified_after": dt.timedelta(minutes=75)}, (P2H_VERIFIED_LATE,)),
    Anomaly("PD1", "B", "DT2", d(2), "camera bracket loose, reported to the supervisor",
            {"result": "damaged", "defect": "bracket kamera longgar", "reported": True}, (P2H_DAMAGED,)),
    Anomaly("PD2", "A", "WT", d(5), "camera lens scratched, not reported",
            {"result": "damaged", "defect": "lensa kamera tergores", "reported": False},
            (P2H_DAMAGED, P2H_NOT_REPORTED)),
]


@dataclass
class Alert:
    """One row of the camera vendor's alarm report (or one alert of patuh's camera)."""

    clock: str  # local time; on a night shift a time before noon is on the next day
    vendor: str  # the vendor's alert name (detectors/alerts.py VENDOR_ALERTS maps it)
    speed: int
    rules: tuple[str, ...] = ()  # the findings on this alert
    drop: tuple[str, ...] = ()  # vendor columns left empty in the report


@dataclass
class FollowUp:
    """A form filled after an alert or a shortfall: survey, medic's observation, alert confirmation,
    coaching session, interview."""

    kind: str  # fatigue_survey, fatigue_observation, alert_confirmation, coaching_session or fatigue_interview
    clock: str
    fields: dict
    rules: tuple[str, ...] = ()


@dataclass
class Event:
    """Something that happened to one operator on one rostered shift, and what it must produce."""

    id: str
    crew: str
    position: str
    date: dt.date  # roster date of the shift
    what: str
    alerts: list[Alert] = field(default_factory=list)
    forms: list[FollowUp] = field(default_factory=list)
    rules: tuple[str, ...] = ()  # findings on the shift as a whole (6.5.2)


def survey(clock, result="fit", method="radio", follow_up=None, rules=()):
    fields = {"method": method, "score": 3 if result == "fit" else 14, "result": result}
    if follow_up:
        fields["follow_up"] = follow_up
    return FollowUp("fatigue_survey", clock, fields, rules)


def observation(clock, result, blood_pressure="120/80", romberg_ok=True, rules=()):
    return FollowUp("fatigue_observation", clock, {"blood_pressure": blood_pressure, "romberg_ok": romberg_ok,
                                                    "sick": False, "result": result}, rules)


def confirmation(clock, alert, alert_clock, confirmed, result, reported=True, reported_after=None, rules=()):
    """Form Konfirmasi Alert at the unit (6.3.2.4), and its result to the department heads (6.3.2.5):
    on a day shift the form says it was sent and when, 30 min after it was filled (or
    `reported_after`); on a night shift it says nothing of it, and the supervisor e-mails the
    night's forms to the heads after the shift (HEADS_MAIL, heads_reports.csv). `reported=False`:
    the form says it was not sent."""
    return FollowUp("alert_confirmation", clock, {"alert": alert, "alert_clock": alert_clock, "confirmed": confirmed,
                                                  "result": result, "sick": False, "reported_to_heads": reported,
                                                  "reported_after": reported_after or REPORTED_AFTER}, rules)


REPORTED_AFTER = dt.timedelta(minutes=30)
# The department heads work office hours: the night shift's supervisor sends them the night's
# confirmation forms by e-mail at 07:00, after the shift, and the HSE admin logs each form sent in
# the register of reports to the heads (heads_reports.csv); the form app's export leaves the
# form's "sent" field empty for these.
HEADS_MAIL = "07:00:00"
HEADS = "Dept Head Operation; Dept Head HCA"
HEADS_REPORT_HEADER = ["NIK", "Nama", "Jenis Alert", "Waktu Alert", "Waktu Kirim", "Kepada"]


def coaching(clock, kind, topic):
    """Coaching and counselling after a 6.5.2 stop, by the crew's supervisor."""
    return FollowUp("coaching_session", clock, {"kind": kind, "topic": topic})


def interview(clock, alert_clock, record):
    """The interview with its berita acara after a face-missing alert (8.1.4)."""
    return FollowUp("fatigue_interview", clock, {"alert_clock": alert_clock, "record": record})


FL1, FL2, DISTRACTION, YAWNING = "Fatigue Level 1", "Fatigue Level 2", "Distraction", "Yawning"
# The vendor's alert names as the pack's camera_alert.alert values (detectors/alerts.py
# VENDOR_ALERTS), which the confirmation forms name; patuh's camera writes the pack's own names.
ALERT_VALUE = {FL1: "warning_level_1", FL2: "warning_level_2", DISTRACTION: "warning_level_1", YAWNING: "yawn",
               "Face Missing": "face_missing", "Cam Covered": "camera_covered", "Look Around": "look_around",
               "Smoking": "smoking", "Phone Calling": "phone", "warning_level_1": "warning_level_1",
               "warning_level_2": "warning_level_2"}
SKIP_ALERTS = {"Seatbelt"}  # not a type the procedure judges: left out with --skip-alert, so not a fact

# The camera plan (6.4.3-6.5.2, 8.1.4): the vendor's alarm report for the camera fleet, and the
# forms that followed the alerts up. Every alert is a finding (Action 1, or Action 2 when the same
# alert of the same operator repeats within its 8.1.4 window); the rules of each are written out.
# Every alert naming its operator is confirmed at the unit with Form Konfirmasi Alert within 2 h
# (6.3.2.4), a face-missing alert gets its interview (8.1.4) and a 6.5.2 stop its coaching and
# counselling, unless OWED says otherwise.
EVENTS = [
    Event("CA1", "A", "OHT1", d(2), "Fatigue Level 1; confirmed at the unit (mild), surveyed by radio: fit",
          [Alert("10:42:15", FL1, 24, (WL1_1,))],
          [survey("10:50:00"), confirmation("11:05:00", "warning_level_1", "10:42:15", True, "mild",
                                            rules=(CONFIRMED["warning_level_1"],))]),
    Event("CA2", "A", "OHT2", d(2), "Fatigue Level 1; a false alarm at confirmation (glare on the lens)",
          [Alert("16:50:30", FL1, 19, (WL1_1,))],
          [confirmation("17:02:00", "warning_level_1", "16:50:30", False, "alert")]),
    Event("CA3", "A", "OHT4", d(3), "Distraction (read as Level 1), then Fatigue Level 1 86 min later: Action 2; "
          "both false alarms at confirmation, and the medic finds the operator alert",
          [Alert("09:05:40", DISTRACTION, 27, (WL1_1,)), Alert("10:31:02", FL1, 22, (WL1_2,))],
          [survey("09:15:00"), confirmation("09:20:00", "warning_level_1", "09:05:40", False, "alert"),
           confirmation("10:45:00", "warning_level_1", "10:31:02", False, "alert"),
           observation("10:50:00", "alert")]),
    Event("CA4", "B", "OHT1", d(4), "three Fatigue Level 1 in one night shift across midnight (the 2nd within "
          "2 h of the 1st; the 3rd 3 h 34 min after the 2nd); the first two false alarms at confirmation, the "
          "3rd confirmed (moderate); surveyed fatigued, the medic finds moderate fatigue",
          [Alert("23:10:05", FL1, 31, (WL1_1,)), Alert("00:20:40", FL1, 28, (WL1_2,)),
           Alert("03:55:12", FL1, 26, (WL1_1,))],
          [confirmation("23:25:00", "warning_level_1", "23:10:05", False, "alert"),
           confirmation("00:35:00", "warning_level_1", "00:20:40", False, "alert"),
           confirmation("04:00:00", "warning_level_1", "03:55:12", True, "moderate",
                        rules=(CONFIRMED["warning_level_1"],)),
           survey("04:05:00", "fatigued", "direct", "istirahat 1 jam lalu dinilai ulang; diganti operator standby",
                  rules=(SURVEY_FATIGUED,)),
           observation("04:30:00", "moderate", "135/85", rules=(OBSERVED["moderate"],)),
           coaching("05:30:00", "counselling", "3x Fatigue Level 1 dalam 1 shift; pola tidur dan istirahat")],
          (SHIFT_WL1,)),
    Event("CA5", "A", "DT3", d(5), "Fatigue Level 1 then Level 2 4 s later; both confirmed (the Level 1 form not "
          "sent to the department heads); the medic finds severe fatigue: sent home",
          [Alert("14:02:10", FL1, 29, (WL1_1,)), Alert("14:02:14", FL2, 27, (WL2_1,))],
          [confirmation("14:20:00", "warning_level_1", "14:02:10", True, "moderate", reported=False,
                        rules=(CONFIRMED["warning_level_1"], NOT_REPORTED)),
           confirmation("14:21:00", "warning_level_2", "14:02:14", True, "severe",
                        rules=(CONFIRMED["warning_level_2"],)),
           observation("14:30:00", "severe", "145/95", romberg_ok=False, rules=(OBSERVED["severe"],)),
           coaching("15:30:00", "counselling", "Fatigue Level 2; istirahat cukup sebelum shift berikutnya")],
          (SHIFT_WL2,)),
    Event("CA6", "A", "DT3", d(7), "back two days later: Level 1 and Level 2 again, confirmed: stopped under 6.5.2 "
          "again within 7 days", [Alert("08:29:57", FL1, 33, (WL1_1,)), Alert("08:30:01", FL2, 30, (WL2_1,))],
          [confirmation("08:45:00", "warning_level_2", "08:30:01", True, "severe",
                        rules=(CONFIRMED["warning_level_2"],))],
          (SHIFT_WL2, STOP_REPEATED)),
    Event("CA7", "B", "ADT", d(3), "three yawns in one shift: the 2nd 35 min after the 1st (Action 2), the 3rd "
          "1 h 45 min after the 2nd", [Alert("20:10:33", YAWNING, 22, (YAWN_1,)),
                                      Alert("20:45:10", YAWNING, 25, (YAWN_2,)),
                                      Alert("22:30:45", YAWNING, 21, (YAWN_1,))],
          [survey("20:20:00"), confirmation("20:25:00", "yawn", "20:10:33", True, "alert"),
           confirmation("21:00:00", "yawn", "20:45:10", True, "alert"),
           confirmation("22:45:00", "yawn", "22:30:45", True, "alert"),
           coaching("23:15:00", "coaching", "3x yawn dalam 1 shift; istirahat dan hidrasi")],
          (SHIFT_YAWN,)),
    Event("CA8", "A", "CT", d(6), "Face Missing, then Cam Covered 50 min later (one 8.1.4 row): Action 2; the "
          "face missing confirmed (not a Level 1/2: no 6.5.2 finding); the interview the same day",
          [Alert("07:15:00", "Face Missing", 12, (FACE_1,)), Alert("08:05:20", "Cam Covered", 0, (FACE_2,))],
          [confirmation("07:30:00", "face_missing", "07:15:00", True, "alert"),
           confirmation("08:15:00", "camera_covered", "08:05:20", True, "alert"),
           interview("13:00:00", "07:15:00", "BA/FTG/III/2026/006")]),
    Event("CA9", "B", "OHT2", d(6), "Look Around at 01:30 of the night shift",
          [Alert("01:30:12", "Look Around", 34, (LOOK_1,))],
          [confirmation("01:45:00", "look_around", "01:30:12", True, "alert")]),
    Event("CA10", "B", "FT", d(2), "Smoking", [Alert("21:12:48", "Smoking", 18, (SMOKING_1,))],
          [confirmation("21:30:00", "smoking", "21:12:48", True, "alert")]),
    Event("CA11", "A", "WT", d(4), "Phone Calling: SP1; the form says its result went to the department heads "
          "only the next afternoon, 26 h after it was filled", [Alert("11:20:05", "Phone Calling", 23, (PHONE_1,))],
          [confirmation("11:35:00", "phone", "11:20:05", True, "alert", reported_after=dt.timedelta(hours=26),
                        rules=(REPORTED_LATE,))]),
    Event("CA12", "A", "ADT", d(2), "Yawning; the report row has no camera SN",
          [Alert("15:40:22", YAWNING, 20, (YAWN_1, REPORT_INCOMPLETE), drop=("SN",))],
          [confirmation("15:55:00", "yawn", "15:40:22", True, "alert")]),
    Event("CA13", "B", "DT2", d(5), "Fatigue Level 1 whose report row names no driver (Driver ID and name empty): "
          "the findings' subject is the alert, shown here by its unit; no confirmation can be owed of it",
          [Alert("02:10:09", FL1, 26, (WL1_1, REPORT_INCOMPLETE), drop=("Driver ID", "Driver Name"))]),
    Event("CA14", "B", "WT", d(3), "Yawning with no snapshot in the report",
          [Alert("19:20:44", YAWNING, 24, (YAWN_1, EVIDENCE_MISSING), drop=("Snapshot URL",))],
          [confirmation("19:35:00", "yawn", "19:20:44", True, "alert")]),
    Event("CA15", "A", "OHT1", d(4), "a Seatbelt alarm: not a type the procedure judges, left out with "
          "--skip-alert Seatbelt", [Alert("13:05:00", "Seatbelt", 15)]),
    Event("CA16", "A", "DT1", d(6), "Fatigue Level 1 twice, exactly 2 h apart: Action 2 (the window is inclusive); "
          "two in a shift is not more than 2; both false alarms at confirmation",
          [Alert("09:12:00", FL1, 25, (WL1_1,)), Alert("11:12:00", FL1, 27, (WL1_2,))],
          [survey("09:20:00"), confirmation("09:25:00", "warning_level_1", "09:12:00", False, "alert"),
           confirmation("11:25:00", "warning_level_1", "11:12:00", False, "alert")]),
]

# The cab video of OHT-7713 (patuh's own camera; make_video.py): its start, and what the camera
# detector must raise in it. Eyes close 4 s in: Level 1 from then (it sounds 2 s later), and Level 2
# from that sounding, as its eyes stay closed more than 3 s after it; one Level 2 in the shift stops
# the operator (6.5.2). The supervisor confirms both at the unit.
VIDEO = Event("V1", "A", "OHT3", d(6), "cab video (12 s, make_video.py) run through `patuh detect camera`: "
              "eyes closed for 5.5 s: Level 1 and Level 2, both confirmed",
              [Alert("14:20:14", "warning_level_1", 0, (WL1_1,)), Alert("14:20:16", "warning_level_2", 0, (WL2_1,))],
              [confirmation("14:35:00", "warning_level_1", "14:20:14", True, "moderate",
                            rules=(CONFIRMED["warning_level_1"],)),
               confirmation("14:36:00", "warning_level_2", "14:20:16", True, "severe",
                            rules=(CONFIRMED["warning_level_2"],)),
               coaching("16:00:00", "counselling", "Fatigue Level 2; jam tidur kurang 2 hari berturut-turut")],
              rules=(SHIFT_WL2,))
VIDEO_FILE = "cab-oht7713.mp4"
VIDEO_START = "14:20:10"
VIDEO_SN = "PTH-7713"


@dataclass
class Run:
    """A run of speed samples above 50 km/h, 10 s apart, in a unit's telemetry."""

    clock: str
    speeds: tuple[float, ...]
    rules: tuple[str, ...] = ()


@dataclass
class Excerpt:
    """20 minutes of one unit's speed telemetry, around what is planted in it."""

    id: str
    crew: str
    position: str
    date: dt.date
    clock: str  # the first sample
    what: str
    runs: list[Run] = field(default_factory=list)
    minutes: int = 20


# The telemetry plan (8.1.4 "Overspeed 50 km/h"): the fleet system's speed export. Ordinary driving
# is 18-44 km/h; a run above 50 km/h is one overspeed alert at its first sample with its peak
# speed, given to whoever the roster puts on the unit then. Both fleets carry telemetry.
EXCERPTS = [
    Excerpt("O1", "A", "OHT1", d(2), "10:05:00", "overspeed run peaking at 58 km/h (56-65: Action 1)",
            [Run("10:15:00", (52, 55, 58, 57, 53), (SPEED_1,))]),
    Excerpt("O2", "B", "DT3", d(4), "22:30:00", "overspeed run peaking at 84 km/h (>= 81: golden rule)",
            [Run("22:40:00", (62, 74, 84, 79, 66), (GOLDEN_RULE,))]),
    Excerpt("O3", "C", "WT", d(3), "09:00:00", "overspeed peaking at 53 km/h: a speed 8.1.4 does not name",
            [Run("09:10:00", (51, 53, 52), (SPEED_NOT_COVERED,))]),
    Excerpt("O4", "D", "OHT2", d(7), "09:00:00", "overspeed at 61 km/h (Action 1) ...",
            [Run("09:08:00", (57, 61, 58), (SPEED_1,))]),
    Excerpt("O5", "D", "OHT2", d(7), "10:20:00", "... and at 63 km/h 1 h 23 min later: Action 2",
            [Run("10:31:10", (59, 63, 60, 56), (SPEED_2,))]),
    Excerpt("O6", "A", "CT", d(2), "11:00:00", "held at exactly 50 km/h for a minute: not above the limit",
            [Run("11:06:00", (50, 50, 50, 50, 50, 50))]),
    Excerpt("O7", "B", "FT", d(3), "20:00:00", "ordinary driving"),
    Excerpt("O8", "C", "DT1", d(2), "14:00:00", "ordinary driving"),
]


@dataclass
class Sample:
    """A change to one shift's sampled inspections (6.3.1)."""

    id: str
    date: dt.date
    shift: str
    what: str
    counts: dict = field(default_factory=dict)  # unit type -> operators inspected (default below)
    clock: dict = field(default_factory=dict)  # unit type -> time of its (one) inspection
    result: dict = field(default_factory=dict)  # unit type -> result of its inspection
    observed: dict = field(default_factory=dict)  # unit type -> the medic's observation that followed
    rules: tuple[tuple[str, str], ...] = ()  # (rule, unit type): on the shift's group, or its inspection


# The inspection plan (6.3.1): on every shift of the fleet without cameras the supervisor samples
# operators inside the window (13:00-18:00 shift I, 01:00-06:00 shift II): 2 of the 4 OHT, 1 of
# the 3 DT (30 %), and the one ADT, CT, WT and FT (50 % of one WT or FT is that one). These shifts
# deviate. A coverage finding is per date, shift and unit type; the others are on the one
# inspection of that unit type (whose subject SUBJECT says).
SAMPLE_COUNTS = {"OHT": 2, "DT": 1, "ADT": 1, "CT": 1, "WT": 1, "FT": 1}
COVERAGE_OF = {"OHT": COVERAGE, "DT": COVERAGE, "ADT": COVERAGE, "CT": COVERAGE, "WT": COVERAGE_WT_FT,
               "FT": COVERAGE_WT_FT}
SAMPLES = [
    Sample("IC1", d(3), "I", "only 1 of the 4 OHT inspected (25 %)", counts={"OHT": 1}, rules=((COVERAGE, "OHT"),)),
    Sample("IC2", d(6), "II", "the WT not inspected", counts={"WT": 0}, rules=((COVERAGE_WT_FT, "WT"),)),
    Sample("IW1", d(7), "I", "the DT inspection done at 10:30, before the 13:00-18:00 window: outside it, and no "
           "DT sampled inside it", clock={"DT": "10:30:00"},
           rules=((OUTSIDE_WINDOW["I"], "DT"), (COVERAGE, "DT"))),
    Sample("IW2", d(2), "II", "the ADT inspection done at 23:40, before the 01:00-06:00 window",
           clock={"ADT": "23:40:00"}, rules=((OUTSIDE_WINDOW["II"], "ADT"), (COVERAGE, "ADT"))),
    Sample("IB1", d(4), "I", "the CT inspection at 13:00:00, the window's first second: inside",
           clock={"CT": "13:00:00"}),
    Sample("IB2", d(3), "II", "the FT inspection at 05:59 the next morning: inside", clock={"FT": "05:59:00"}),
    Sample("IZ", d(7), "II", "no inspection at all on Saturday's night shift, the last the evaluation time "
           "judges (before the pack judged a shift's sample only once the shift had ended, IZ was the night shift "
           "of 8 March, now IU)", counts=dict.fromkeys(SAMPLE_COUNTS, 0),
           rules=tuple((COVERAGE_OF[t], t) for t in SAMPLE_COUNTS)),
    Sample("IF1", d(6), "I", "the FT operator inspected and found fatigued; the medic's observation: mild fatigue",
           result={"FT": "fatigued"}, observed={"FT": "mild"},
           rules=((INSPECTION_FATIGUED, "FT"), (OBSERVED["mild"], "FT"))),
    # The week's last inspection, after the night shift's readiness forms. The evaluation time
    # (patuh eval's default, the latest time the facts give) is 18:00, when the last night shift
    # starts (a roster entry happens at its start) and shift I ends. A shift's sample is judged
    # once the shift has ended (6.3.1.3): shift I's is, the night shift's not yet.
    Sample("IE", d(8), "I", "the WT inspection at 17:50, the last inspection of the week; the shift ends at 18:00, "
           "the evaluation time, so its sample (complete: 2 OHT, 1 DT, the ADT, CT, WT and FT) is judged, and "
           "complete", clock={"WT": "17:50:00"}),
    Sample("IU", d(8), "II", "the last night shift starts at 18:00, the evaluation time: no inspection yet, "
           "and its sample not judged until it ends", counts=dict.fromkeys(SAMPLE_COUNTS, 0)),
]


@dataclass
class Worker:
    employee: str
    name: str
    crew: str
    position: str
    role: str
    unit: str | None
    unit_type: str | None
    mobile_equipment: bool
    high_risk: bool


def pick(rng: random.Random, items: list):
    return items[int(rng.random() * len(items))]


def make_workers(rng: random.Random) -> list[Worker]:
    used: set[str] = set(SUPERVISOR.values())
    females = list(FEMALE_NAMES)
    number = 10180
    workers = []
    for crew in "ABCD":
        fleet = 0 if crew in "AB" else 1
        hulls: dict[str, int] = {}
        for key, role, unit_type, mobile, high in POSITIONS:
            number += 3 + int(rng.random() * 37)
            if key == "HR2":
                role = HIGH_RISK_ROLE[crew]
            if key == "SUP":
                role, unit_type = SUPPORT_ROLE[crew]
            if role == "Admin Dispatch":
                name = females.pop(0)
            else:
                name = f"{pick(rng, FIRST_NAMES)} {pick(rng, LAST_NAMES)}"
                while name in used:
                    name = f"{pick(rng, FIRST_NAMES)} {pick(rng, LAST_NAMES)}"
            used.add(name)
            unit = None
            if unit_type:
                hulls[unit_type] = hulls.get(unit_type, 0) + 1
                unit = f"{unit_type}-{HULL_BASE[unit_type] + fleet * 50 + hulls[unit_type]}"
            workers.append(Worker(f"CK-{number}", name, crew, key, role, unit, unit_type, mobile, high))
    return workers


def shift_of(crew: str, day: dt.date) -> str | None:
    return CYCLE[(CREW_PHASE[crew] + (day - FIRST_DAY).days) % len(CYCLE)]


def start_of(day: dt.date, shift: str) -> dt.datetime:
    return dt.datetime.combine(day, SHIFT_START[shift], tzinfo=WITA)


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()



def at(day: dt.date, shift: str, clock: str) -> dt.datetime:
    """A local clock time on a shift of `day`: on a night shift, before noon is the next morning."""
    moment = dt.datetime.combine(day, dt.time.fromisoformat(clock), tzinfo=WITA)
    return moment + dt.timedelta(days=1) if shift == "II" and moment.hour < 12 else moment


def met(moment: dt.datetime, due: dt.datetime | dt.date) -> bool:
    """Whether a moment is by a due time (a due date: any time on that day, site time)."""
    return moment <= due if isinstance(due, dt.datetime) else moment.astimezone(WITA).date() <= due


def local(moment: dt.datetime | dt.date) -> str:
    """As the README writes a time: 2026-03-07 10:29:57 (seconds only when there are some), WITA."""
    if not isinstance(moment, dt.datetime):
        return moment.isoformat()
    moment = moment.astimezone(WITA)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M")


def day_first(moment: dt.datetime, seconds: bool = True) -> str:
    """As an Indonesian spreadsheet or a vendor's platform writes it: 02/03/2026 14:05[:09], WITA."""
    return moment.astimezone(WITA).strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")


def yes_no(value: bool | None) -> str:
    return "" if value is None else "Ya" if value else "Tidak"


def camera_sn(unit: str) -> str:
    return f"MDVR-{unit.split('-')[1]}"


@dataclass
class Site:
    """Everything generated, and the notes the README's tables are made from."""

    workers: list[Worker]
    roster: list[dict] = field(default_factory=list)
    forms: list[dict] = field(default_factory=list)
    p2h: list[list[str]] = field(default_factory=list)
    vendor: list[list[str]] = field(default_factory=list)
    telemetry: list[list[str]] = field(default_factory=list)
    inspections: list[list[str]] = field(default_factory=list)
    surveys: list[dict] = field(default_factory=list)
    observations: list[dict] = field(default_factory=list)
    confirmations: list[dict] = field(default_factory=list)
    # the registers' rows, each with when it happened (to sort them by)
    interviews: list[tuple[dt.datetime, list[str]]] = field(default_factory=list)
    coachings: list[tuple[dt.datetime, list[str]]] = field(default_factory=list)
    repairs: list[tuple[dt.datetime, list[str]]] = field(default_factory=list)
    verifications: list[tuple[dt.datetime, list[str]]] = field(default_factory=list)  # later P2H sign-offs
    heads_reports: list[tuple[dt.datetime, dt.datetime, list[str]]] = field(default_factory=list)  # sent, alert
    # the planted samples (6.3.1.3): the shift's end, the id, whether a coverage finding is expected
    samples: list[tuple[dt.datetime, str, bool]] = field(default_factory=list)
    summaries: list[list[str]] = field(default_factory=list)
    expected: list[dict] = field(default_factory=list)
    obligations: list[dict] = field(default_factory=list)
    owed: list[dict] = field(default_factory=list)  # what owe() was told, judged once the evaluation time is known
    times: list[tuple[dt.datetime, str]] = field(default_factory=list)  # when each fact happened, and what it is
    other_times: list[dt.datetime] = field(default_factory=list)  # see said()
    camera_alerts: list[dt.datetime] = field(default_factory=list)  # the camera's alerts (6.5.3 weeks)
    alerts: list[dt.datetime] = field(default_factory=list)  # every alert of the dispatcher's report: and telemetry's
    planted: dict[tuple[str, str], Owed] = field(
        default_factory=lambda: {(o.event, o.action): o for o in OWED})  # (event, action) -> OWED, till used
    notes: dict[str, list[tuple]] = field(default_factory=dict)  # section -> (id, who, date, shift, what, rules)

    def worker(self, crew: str, position: str) -> Worker:
        return next(w for w in self.workers if (w.crew, w.position) == (crew, position))

    def happened(self, moment: dt.datetime | dt.date, what: str) -> None:
        """A fact's event time (its time, else its date: the local midnight), which the evaluation
        time is the latest of."""
        if not isinstance(moment, dt.datetime):
            moment = dt.datetime.combine(moment, dt.time(), tzinfo=WITA)
        self.times.append((moment, what))

    def said(self, moment: dt.datetime) -> None:
        """A time a record gives besides its event time (a P2H's verification, a form's report):
        none may be after the evaluation time, or the records would hold what had not happened yet."""
        self.other_times.append(moment)

    def owe(self, rule: str, action: str, subject: str, day: dt.date, shift: str, event: str,
            due: dt.datetime | dt.date, done: dt.datetime | None, who_: str = "") -> None:
        """An obligation: owed by the subject's follow-up of `event` (on that roster date and shift),
        due then, done then (None: not done). Its status waits for the evaluation time."""
        planted = self.planted.pop((event, action), None)
        self.owed.append({"rule": rule, "action": action, "subject": subject, "date": day, "shift": shift,
                          "event": event, "due": due, "done": done, "planted": planted, "who": who_})

    def judge(self, as_of: dt.datetime) -> None:
        """Each obligation's status at `as_of`, as the pack judges it (done by its due time, late,
        open while not due, overdue), and the finding of each overdue or late one, against the
        role accountable for it, on the date and shift of what it follows up."""
        for o in self.owed:
            due, done = o["due"], o["done"]
            status = ("done" if met(done, due) else "late") if done else "open" if met(as_of, due) else "overdue"
            planted = o["planted"]
            assert planted is None or planted.status == status, f"{planted.id}: planted {planted.status}, is {status}"
            assert planted is not None or status == "done", f"{o['event']} {o['action']}: {status}, not planted so"
            assert done is None or done <= as_of, f"{o['event']} {o['action']}: done after the evaluation time"
            entry = {"rule": o["rule"], "action": o["action"], "subject": o["subject"], "status": status,
                     "due": iso(due) if isinstance(due, dt.datetime) else due.isoformat()}
            if done is not None:
                entry["discharged_at"] = iso(done)
            entry["event"] = planted.id if planted else o["event"]
            self.obligations.append(entry)
            breach = []
            if status in ("late", "overdue"):
                role = FATIGUE_DISPATCHER if o["rule"] == WEEKLY_SUMMARY else FIELD_SUPERVISOR
                breach = [f"{o['rule']}.{o['action']}-{status}"]
                self.expect(breach[0], role, o["date"], o["shift"], entry["event"],
                            done if status == "late" else due)
            if planted:
                self.note("obligations", planted.id, o["who"], o["date"], o["shift"],
                          f"{o['event']}: {planted.what} [{o['rule'].removeprefix('fatigue.')}.{o['action']}: "
                          f"{status}, due "
                          f"{local(due)}{', done ' + local(done) if done else ''}]", breach)

    def expect(self, rule: str, subject: str, day: dt.date, shift: str, event: str,
               time: dt.datetime | None = None) -> None:
        entry = {"rule": rule, "subject": subject, "date": day.isoformat(), "shift": shift, "event": event}
        if time is not None:
            entry["time"] = iso(time)
        self.expected.append(entry)

    def note(self, section: str, event: str, who: str, day: dt.date, shift: str, what: str, rules) -> None:
        self.notes.setdefault(section, []).append((event, who, day, shift, what, list(rules)))


def who(w: Worker) -> str:
    return f"{w.employee} {w.name} ({w.role}{', ' + w.unit if w.unit else ''})"


def build_preshift(site: Site, rng: random.Random) -> None:
    """The roster and the readiness forms (6.1), as before the other parts were added: the same
    random draws in the same order, so the same forms."""
    plan = {(a.crew, a.position, a.date): a for a in PLAN}
    assert len(plan) == len(PLAN), "two anomalies on one shift"
    for day in DAYS:
        for w in site.workers:
            shift = shift_of(w.crew, day)
            if shift is None or day in LEAVE.get((w.crew, w.position), ()):
                continue
            start = start_of(day, shift)
            record = {"type": "roster", "employee": w.employee, "name": w.name, "date": day.isoformat(),
                      "shift": shift, "role": w.role}
            if w.unit:
                record.update(unit=w.unit, unit_type=w.unit_type, camera=w.crew in CAMERA_CREWS and w.mobile_equipment)
            record.update(mobile_equipment=w.mobile_equipment, high_risk=w.high_risk, start=iso(start),
                          end=iso(start + dt.timedelta(hours=SHIFT_HOURS)), site=SITE,
                          supervisor=SUPERVISOR[w.crew])
            site.roster.append(record)
            # The clean form; draw the random values even for planted shifts, so that changing
            # one anomaly leaves every other record as it was.
            sleep = pick(rng, NORMAL_SLEEP)
            before = 20 + int(rng.random() * 41)
            anomaly = plan.pop((w.crew, w.position, day), None)
            changes = {} if anomaly is None else anomaly.form
            if anomaly is not None:
                site.note("preshift", anomaly.id, who(w), day, shift, anomaly.what, anomaly.rules)
                for rule in anomaly.rules:
                    site.expect(rule, w.employee, day, shift, anomaly.id)
            site.happened(start, f"start of shift {shift}")  # a roster entry happens at its start (its `event`)
            if changes is None:
                continue
            minutes = changes.get("filled_at", -before)
            filled = start + dt.timedelta(minutes=minutes)
            # The supervisor's Form Survey Fatigue (6.1.1.1.1), due 1 h after the form was filled.
            if anomaly is not None and SURVEY in anomaly.rules:
                planted = site.planted.get((anomaly.id, "survey"))
                after = planted.after if planted else SURVEY_AFTER
                surveyed = None if after is None else filled + after
                if surveyed is not None:  # the worker is fit
                    site.surveys.append(survey_record(w, day, shift, surveyed, survey("", method="direct")))
                    site.happened(surveyed, "fatigue_survey")
                site.owe(SURVEY, "survey", w.employee, day, shift, anomaly.id, filled + DUE_AFTER["survey"],
                         surveyed, who(w))
            if changes.get("utc"):
                filled = filled.astimezone(dt.UTC)
            form = {"type": "readiness_form", "employee": w.employee, "date": day.isoformat(),
                    "shift": changes.get("shift", shift), "sleep_hours": changes.get("sleep_hours", sleep),
                    "fit": changes.get("fit", True), "filled_at": iso(filled)}
            if w.unit:
                form["unit"] = w.unit
            form["verified_by"] = SUPERVISOR[w.crew]
            site.forms.append(form)
            site.happened(filled, "readiness_form")  # the pack dates a readiness form by its filled_at
    assert not plan, f"anomalies on shifts nobody is rostered on: {sorted(a.id for a in plan.values())}"
    site.roster.sort(key=lambda r: (r["date"], r["start"], r["employee"]))
    site.forms.sort(key=lambda r: (r["date"], r["shift"], r["employee"]))


def rostered(site: Site, w: Worker, day: dt.date) -> dict:
    found = [r for r in site.roster if r["employee"] == w.employee and r["date"] == day.isoformat()]
    assert len(found) == 1, f"{w.employee} is not rostered on {day}"
    return found[0]


P2H_HEADER = ["NIK", "Nama", "Tanggal", "Shift", "No Lambung", "Waktu Pemeriksaan", "Hasil", "Kerusakan",
              "Dilaporkan", "Diverifikasi Oleh", "Ditandatangani", "Waktu Verifikasi"]
# The supervisors' log of P2H sign-offs made after the form was submitted unverified (6.4.1.2.1).
P2H_VERIFICATION_HEADER = ["NIK", "Nama", "Tanggal", "Shift", "No Lambung", "Waktu Verifikasi", "Diverifikasi Oleh",
                           "Ditandatangani"]
REPAIR_HEADER = ["No Lambung", "Selesai", "Tindakan", "SN", "Dikerjakan Oleh"]
CAMERA_TECHNICIAN = "Teknisi MDVR (vendor)"


def p2h_row(w: Worker, day: dt.date, shift: str, filled: dt.datetime):
    """A row of the form app's P2H export, of one check and what the supervisor made of it."""
    def row(check: dict, verified: dt.datetime | None) -> list[str]:
        return [w.employee, w.name, day.strftime("%d/%m/%Y"), shift, w.unit, day_first(filled, False),
                check["result"], check["defect"] or "", yes_no(check["reported"]), check["verified_by"] or "",
                yes_no(check["signed"]), day_first(verified, False) if verified else ""]
    return row


def build_p2h(site: Site, rng: random.Random, verify_rng: random.Random) -> None:
    """Form P2H Fatigue Camera CK-FM-SHE-25-05 of every camera unit's operator, every shift (6.4.1):
    verified and signed by the supervisor 5-40 min after the check (a form not verified then is
    signed off later in the supervisors' log, p2h_verifications.csv, or never); a damaged camera
    repaired at the rest break."""
    plan = {(a.crew, a.position, a.date): a for a in P2H_PLAN}
    by_employee = {w.employee: w for w in site.workers}
    for r in site.roster:
        if not (r.get("camera") and r.get("unit") and r["mobile_equipment"]):
            continue
        w, day, shift = by_employee[r["employee"]], dt.date.fromisoformat(r["date"]), r["shift"]
        filled = start_of(day, shift) + dt.timedelta(minutes=-15 + int(rng.random() * 26))
        verified = filled + dt.timedelta(minutes=5 + int(verify_rng.random() * 36))  # drawn always
        anomaly = plan.pop((w.crew, w.position, day), None)
        changes = {} if anomaly is None else anomaly.form
        if anomaly is not None:
            site.note("p2h", anomaly.id, who(w), day, shift, anomaly.what, anomaly.rules)
            for rule in anomaly.rules:
                site.expect(rule, w.employee, day, shift, anomaly.id)
        if changes is None:
            continue
        check = {"result": "ok", "defect": None, "reported": None, "verified_by": SUPERVISOR[w.crew], "signed": True}
        check.update(changes)
        verified = filled + check.pop("verified_after", verified - filled)

        row = p2h_row(w, day, shift, filled)
        site.happened(filled, "p2h_camera_check")
        if check["verified_by"] and check["signed"]:
            site.p2h.append(row(check, verified))
            site.said(verified)
        else:  # 6.4.1.2.1: owed until the supervisor's later sign-off of that shift's P2H
            assert anomaly is not None
            planted = site.planted.get((anomaly.id, "verification"))
            assert planted is not None, f"{anomaly.id}: an unverified P2H the obligations plan says nothing of"
            site.p2h.append(row(check, None))
            verified = None if planted.after is None else filled + planted.after
            if verified is not None:
                site.verifications.append((verified, [w.employee, w.name, day.strftime("%d/%m/%Y"), shift, w.unit,
                                                      day_first(verified, False), SUPERVISOR[w.crew], "Ya"]))
                site.happened(verified, "p2h_verification")
            site.owe(P2H_NOT_VERIFIED, "verification", w.employee, day, shift, anomaly.id,
                     filled + DUE_AFTER["verification"], verified, who(w))
        if check["result"] == "damaged":  # 8.1.4: repaired or swapped for a spare at rest time
            assert anomaly is not None
            planted = site.planted.get((anomaly.id, "repair"))
            after = planted.after if planted else REPAIR_AFTER
            repaired = None if after is None else filled + after
            if repaired is not None:
                site.repairs.append((repaired, [w.unit, day_first(repaired, False), "repaired", camera_sn(w.unit),
                                                CAMERA_TECHNICIAN]))
                site.happened(repaired, "camera_repair")
            site.owe(P2H_DAMAGED, "repair", w.employee, day, shift, anomaly.id, filled + DUE_AFTER["repair"],
                     repaired, who(w))
    assert not plan, f"P2H anomalies on shifts nobody is rostered on: {sorted(plan)}"


VENDOR_HEADER = ["No", "Time", "Driver ID", "Driver Name", "Hull No", "Alert Type", "Speed", "SN", "Snapshot URL",
                 "Location"]
MEDIC = {"I": "Ns. Fitri Handayani", "II": "Ns. Yuliana Sari"}


def survey_record(w: Worker, day: dt.date, shift: str, time: dt.datetime, form: FollowUp) -> dict:
    record = {"type": "fatigue_survey", "employee": w.employee, "date": day.isoformat(), "shift": shift,
              "time": iso(time), "surveyor": SUPERVISOR[w.crew], "unit": w.unit, **form.fields}
    return {k: v for k, v in record.items() if v is not None}


INTERVIEW_HEADER = ["No Berita Acara", "NIK", "Nama", "Waktu", "Pewawancara", "Waktu Alert"]
COACHING_HEADER = ["NIK", "Nama", "Waktu", "Pemberi Coaching", "Jenis", "Topik"]


def build_camera(site: Site, rng: random.Random) -> None:
    """The vendor's alarm report, the follow-up forms, and what the cab video must raise; what the
    alerts oblige (6.3.2.4 the confirmation, 6.3.2.5 its report to the heads, 8.1.4 the interview,
    6.5.2 the coaching) and the forms that discharge it."""
    rows = []
    seen = set()
    stops = []  # (worker, date, shift, event, rule): each 6.5.2 stop owes coaching and counselling
    face_missing = []  # (worker, date, shift, event, alert time): each owes an interview
    held: dict[str, list[dt.datetime]] = {}  # employee -> coaching sessions
    interviewed: dict[str, list[dt.datetime]] = {}  # employee -> interviews
    for event in EVENTS + [VIDEO]:
        assert event.id not in seen, event.id
        seen.add(event.id)
        w = site.worker(event.crew, event.position)
        shift = rostered(site, w, event.date)["shift"]
        assert w.crew in CAMERA_CREWS and w.mobile_equipment, f"{event.id}: not a camera unit"
        assert (w.unit == PILOT_UNIT) == (event is VIDEO), f"{event.id}: {w.unit} is patuh's camera, not the vendor's"
        rules = ([r for a in event.alerts for r in a.rules] + [r for f in event.forms for r in f.rules]
                 + list(event.rules))
        site.note("camera", event.id, who(w), event.date, shift, event.what, rules)
        confirmations = {(f.fields["alert"], f.fields["alert_clock"]): f for f in event.forms
                         if f.kind == "alert_confirmation"}
        for alert in event.alerts:
            time = at(event.date, shift, alert.clock)
            named = "Driver ID" not in alert.drop
            for rule in alert.rules:
                site.expect(rule, w.employee if named else w.unit, event.date, shift, event.id, time)
            if alert.vendor not in SKIP_ALERTS:
                site.happened(time, "camera_alert")
                site.camera_alerts.append(time)
                site.alerts.append(time)
                if named:  # 6.3.2.4: confirmed at the unit within 2 h
                    form = confirmations.pop((ALERT_VALUE[alert.vendor], alert.clock), None)
                    assert form is not None or site.planted.get((event.id, "confirmation")), \
                        f"{event.id}: the {alert.vendor} alert at {alert.clock} has no confirmation form"
                    site.owe(CONFIRMATION_OWED, "confirmation", w.employee, event.date, shift, event.id,
                             time + DUE_AFTER["confirmation"], form and at(event.date, shift, form.clock), who(w))
                if FACE_1 in alert.rules:
                    face_missing.append((w, event.date, shift, event.id, time))
            if event is VIDEO:
                continue
            sn = camera_sn(w.unit)
            cells = {"Time": day_first(time), "Driver ID": w.employee, "Driver Name": w.name, "Hull No": w.unit,
                     "Alert Type": alert.vendor, "Speed": f"{alert.speed} km/h", "SN": sn,
                     "Snapshot URL": f"{VENDOR_URL}/{sn}/{time.strftime('%Y%m%d%H%M%S')}.jpg",
                     "Location": f"{-1.86 + rng.random() * 0.05:.5f},{115.98 + rng.random() * 0.05:.5f}"}
            for column in alert.drop:
                cells[column] = ""
            rows.append((time, cells))
        assert not confirmations, f"{event.id}: confirmation forms of no alert: {sorted(confirmations)}"
        for rule in event.rules:
            site.expect(rule, w.employee, event.date, shift, event.id)
            if rule in SHIFT_STOPS:
                stops.append((w, event.date, shift, event.id, rule))
        for form in event.forms:
            time = at(event.date, shift, form.clock)
            site.happened(time, form.kind)
            for rule in form.rules:
                site.expect(rule, w.employee, event.date, shift, event.id, time)
            if form.kind == "fatigue_survey":
                site.surveys.append(survey_record(w, event.date, shift, time, form))
            elif form.kind == "fatigue_observation":
                site.observations.append({"employee": w.employee, "date": event.date.isoformat(), "shift": shift,
                                          "time": iso(time), "observer": MEDIC[shift], "unit": w.unit, **form.fields})
            elif form.kind == "coaching_session":
                held.setdefault(w.employee, []).append(time)
                site.coachings.append((time, [w.employee, w.name, day_first(time, False), SUPERVISOR[w.crew],
                                              form.fields["kind"], form.fields["topic"]]))
            elif form.kind == "fatigue_interview":
                interviewed.setdefault(w.employee, []).append(time)
                site.interviews.append((time, [form.fields["record"], w.employee, w.name, day_first(time, False),
                                               SUPERVISOR[w.crew],
                                               day_first(at(event.date, shift, form.fields["alert_clock"]))]))
            else:
                fields = dict(form.fields)
                alert_time = at(event.date, shift, fields.pop("alert_clock"))
                reported, after = fields.pop("reported_to_heads"), fields.pop("reported_after")
                record = {"employee": w.employee, "alert": fields.pop("alert"), "alert_time": iso(alert_time),
                          "time": iso(time), "unit": w.unit, "confirmed_by": SUPERVISOR[w.crew], **fields}
                if reported and shift == "II":  # 6.3.2.5: the form is silent; owed till the e-mail after the shift
                    assert after == REPORTED_AFTER, f"{event.id}: a night's form is reported by the morning's e-mail"
                    sent = at(event.date, shift, HEADS_MAIL)
                    # the register writes the alert's time to the minute, as the form app shows it
                    site.heads_reports.append((sent, alert_time, [w.employee, w.name, record["alert"],
                                                                  day_first(alert_time, False), day_first(sent, False),
                                                                  HEADS]))
                    site.happened(sent, "heads_report")
                    site.owe(HEADS_REPORT_OWED, "heads-report", w.employee, event.date, shift, event.id,
                             time + DUE_AFTER["heads-report"], sent, who(w))
                elif reported:  # the form says when it went to the heads: owes nothing, late or not
                    assert (after > DUE_AFTER["heads-report"]) == (REPORTED_LATE in form.rules), event.id
                    record.update(reported_to_heads=True, reported_at=iso(time + after))
                    site.said(time + after)
                else:  # 6.3.2.5: the form says it was not sent: owed until a report to the heads says it was
                    assert site.planted.get((event.id, "heads-report")), f"{event.id}: a form not sent, unplanned"
                    record["reported_to_heads"] = False
                    site.owe(HEADS_REPORT_OWED, "heads-report", w.employee, event.date, shift, event.id,
                             time + DUE_AFTER["heads-report"], None, who(w))
                site.confirmations.append(record)
    for w, day, shift, event, rule in stops:  # 6.5.2: by 24 h after the shift ends, held after it began
        start = start_of(day, shift)
        done = first_by(sorted(t for t in held.get(w.employee, []) if t >= start),
                        start + dt.timedelta(hours=SHIFT_HOURS) + DUE_AFTER["coaching"])
        site.owe(rule, "coaching", w.employee, day, shift, event,
                 start + dt.timedelta(hours=SHIFT_HOURS) + DUE_AFTER["coaching"], done, who(w))
    for w, day, shift, event, time in face_missing:  # 8.1.4: the interview within 1x24 h
        done = first_by(sorted(t for t in interviewed.get(w.employee, []) if t >= time),
                        time + DUE_AFTER["interview"])
        site.owe(FACE_1, "interview", w.employee, day, shift, event, time + DUE_AFTER["interview"], done, who(w))
    rows.sort(key=lambda r: r[0])
    site.vendor = [[str(n)] + [cells[c] for c in VENDOR_HEADER[1:]] for n, (_, cells) in enumerate(rows, 1)]


def first_by(times: list[dt.datetime], due: dt.datetime) -> dt.datetime | None:
    """Which of the times (sorted) discharges an obligation due then: the first in time, else the
    first late one; None when there are none."""
    in_time = [t for t in times if t <= due]
    return (in_time or times or [None])[0]


SUMMARY_HEADER = ["Minggu", "Dikirim", "Dibuat Oleh", "Jumlah Alert"]
DISPATCHER = "Siti Rahmawati"  # the Operation Fatigue Dispatcher (office hours, in no crew)
# The camera fleet rests on Sunday: the week's last alert is in Saturday's night shift, and the
# dispatcher sends the summary of the week's alerts (6.5.3, `patuh report fatigue-weekly`) that
# Sunday morning.
SUMMARY_SENT = "10:00:00"


def build_summary(site: Site) -> None:
    """The dispatcher's weekly summary (6.5.3) of each week the camera recorded alerts in (Monday to
    Sunday, site time): its line in the dispatcher's log of summaries sent."""
    weeks = sorted({t.date() - dt.timedelta(days=t.weekday()) for t in site.camera_alerts})
    assert weeks == [FIRST_DAY], f"alerts outside the site's week: {weeks}"
    for week in weeks:
        sent = at(DAYS[-1], "I", SUMMARY_SENT)
        count = sum(1 for t in site.alerts if week <= t.date() <= week + dt.timedelta(days=6))
        site.summaries.append([week.strftime("%d/%m/%Y"), day_first(sent, False), DISPATCHER, str(count)])
        site.happened(sent, "alert_summary")
        site.owe(WEEKLY_SUMMARY, "summary", week.isoformat(), week, "", "week",
                 week + dt.timedelta(days=6) + DUE_AFTER["summary"], sent, f"{DISPATCHER} (dispatcher)")


TELEMETRY_HEADER = ["Hull No", "GPS Time", "Speed", "Latitude", "Longitude", "Heading"]


def build_telemetry(site: Site, rng: random.Random) -> None:
    """The fleet system's speed export: 20 minutes a unit, a sample every 10 s."""
    for excerpt in EXCERPTS:
        w = site.worker(excerpt.crew, excerpt.position)
        shift = rostered(site, w, excerpt.date)["shift"]
        first = at(excerpt.date, shift, excerpt.clock)
        speeds = [round(18 + rng.random() * 26, 1) for _ in range(excerpt.minutes * 6)]
        rules = []
        for run in excerpt.runs:
            begin = at(excerpt.date, shift, run.clock)
            i = int((begin - first).total_seconds()) // 10
            assert 0 < i and i + len(run.speeds) < len(speeds) and (begin - first).total_seconds() % 10 == 0
            speeds[i:i + len(run.speeds)] = run.speeds
            for rule in run.rules:
                site.expect(rule, w.employee, excerpt.date, shift, excerpt.id, begin)
            rules += run.rules
            if max(run.speeds) > 50:  # an overspeed alert, at the run's first sample
                site.alerts.append(begin)
        site.note("telemetry", excerpt.id, who(w), excerpt.date, shift, excerpt.what, rules)
        lat, lng, heading = -1.86 + rng.random() * 0.05, 115.98 + rng.random() * 0.05, int(rng.random() * 360)
        for n, speed in enumerate(speeds):
            lat += 0.00002 * speed / 10
            site.happened(first + dt.timedelta(seconds=10 * n), "speed_sample")
            site.telemetry.append([w.unit, day_first(first + dt.timedelta(seconds=10 * n)),
                                   f"{speed:g}".replace(".", ","), f"{lat:.5f}".replace(".", ","),
                                   f"{lng:.5f}".replace(".", ","), str(heading)])


INSPECTION_HEADER = ["NIK", "Nama", "Waktu", "Pemeriksa", "No Lambung", "Jenis Unit", "Hasil"]


def build_inspections(site: Site, rng: random.Random) -> None:
    """The supervisor's sampled inspections of the fleet without cameras (6.3.1)."""
    plan = {(s.date, s.shift): s for s in SAMPLES}
    assert len(plan) == len(SAMPLES)
    by_employee = {w.employee: w for w in site.workers}
    rows = []
    for day in DAYS:
        for shift in ("I", "II"):
            shift_roster = [r for r in site.roster if r["date"] == day.isoformat() and r["shift"] == shift
                            and r.get("unit") and not r.get("camera") and r.get("unit_type") in SAMPLE_COUNTS]
            if not shift_roster:
                continue
            sample = plan.pop((day, shift), None) or Sample("", day, shift, "")
            chosen: dict[str, list[Worker]] = {}
            for unit_type, default in SAMPLE_COUNTS.items():
                operators = [by_employee[r["employee"]] for r in shift_roster if r["unit_type"] == unit_type]
                rng.shuffle(operators)
                minutes = [int(rng.random() * 286) for _ in operators]  # drawn always, used or not
                chosen[unit_type] = operators[:sample.counts.get(unit_type, default)]
                # the sample is the first few operators; a minute was drawn for every one of them
                for w, minute in zip(chosen[unit_type], minutes, strict=False):
                    time = at(day, shift, "13:05:00" if shift == "I" else "01:05:00") + dt.timedelta(minutes=minute)
                    if unit_type in sample.clock:
                        time = at(day, shift, sample.clock[unit_type])
                    result = sample.result.get(unit_type, "fit")
                    rows.append((time, w, result))
                    site.happened(time, f"sampled inspection of {w.unit} on shift {shift}")
                    if unit_type in sample.observed:
                        site.happened(time + dt.timedelta(minutes=30), "fatigue_observation")
                        site.observations.append({
                            "employee": w.employee, "date": day.isoformat(), "shift": shift,
                            "time": iso(time + dt.timedelta(minutes=30)), "observer": MEDIC[shift], "unit": w.unit,
                            "blood_pressure": "130/85", "romberg_ok": True, "sick": False,
                            "result": sample.observed[unit_type]})
            if not sample.id:
                continue
            site.samples.append((start_of(day, shift) + dt.timedelta(hours=SHIFT_HOURS), sample.id,
                                 any(SUBJECT.get(rule) == "shift" for rule, _ in sample.rules)))
            for rule, unit_type in sample.rules:
                if SUBJECT.get(rule) == "shift":
                    site.expect(rule, f"{day.isoformat()} {shift} {unit_type}", day, shift, sample.id)
                else:
                    (w,) = chosen[unit_type]
                    subject = SUPERVISOR[w.crew] if SUBJECT.get(rule) == "inspector" else w.employee
                    site.expect(rule, subject, day, shift, sample.id)
            crew = {by_employee[r["employee"]].crew for r in shift_roster}.pop()
            site.note("inspections", sample.id, f"crew {crew} ({SUPERVISOR[crew]})", day, shift, sample.what,
                      [r for r, _ in sample.rules])
    assert not plan, f"inspection changes on shifts the fleet without cameras does not work: {sorted(plan)}"
    rows.sort(key=lambda r: (r[0], r[1].employee))
    site.inspections = [[w.employee, w.name, day_first(time, False), SUPERVISOR[w.crew], w.unit, w.unit_type, result]
                        for time, w, result in rows]


def jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def csv_text(header: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def yaml_text(records: list[dict], comment: str) -> str:
    """Flat records as a YAML list (stdlib only: scalars as JSON writes them, which YAML reads)."""
    lines = [f"# {line}" for line in comment.splitlines()]
    for record in records:
        for i, (key, value) in enumerate(record.items()):
            lines.append(f"{'- ' if i == 0 else '  '}{key}: {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


# The README's table of files: (file, what, read by), README.format() fills the counts in.
FILES = [
    ("`roster.jsonl`", "{n_roster} `roster` facts: {n_workers} workers in four crews, shift I 06:00-18:00 and shift II "
     "18:00-06:00 (WITA, +08:00); `camera` says whether the unit carries a fatigue camera", "`patuh eval`"),
    ("`readiness_forms.jsonl`", "{n_forms} `readiness_form` facts (Form Kesiapan Bekerja CK-FM-SHE-25-01, 6.1.2)",
     "`patuh eval`"),
    ("`p2h_camera_checks.csv`", "{n_p2h} rows of Form P2H Fatigue Camera CK-FM-SHE-25-05 (6.4.1), exported from the "
     "site's form app: `;`, Indonesian headers, day-first dates, Ya/Tidak; the supervisor's verification and its "
     "time (Waktu Verifikasi) where it was verified on the form", "`patuh detect forms --type p2h_camera_check`"),
    ("`p2h_verifications.csv`", "{n_verifications} later sign-off of a P2H submitted unverified or unsigned "
     "(6.4.1.2.1), the supervisors' log, Indonesian headers", "`patuh detect forms --type p2h_verification`"),
    ("`fatigue_inspections.csv`", "{n_inspections} sampled fatigue inspections (6.3.1) of the fleet without cameras, "
     "Indonesian headers", "`patuh detect forms --type fatigue_inspection`"),
    ("`fatigue_surveys.jsonl`", "{n_surveys} Form Survey Fatigue CK-FM-SHE-25-02 (6.1.1.1.1, 6.3.1.4, 8.1.4)",
     "`patuh detect forms --type fatigue_survey`"),
    ("`fatigue_observations.yaml`", "{n_observations} Form Observasi Fatigue CK-FM-SHE-25-03, the medics' (6.3.1.5, "
     "6.5.2)", "`patuh detect forms --type fatigue_observation`"),
    ("`alert_confirmations.json`", "{n_confirmations} Form Konfirmasi Alert CK-FM-SHE-25-04 (6.3.2.4, 6.3.2.5), the "
     "form app's JSON export: one per camera alert naming its operator; on a day shift, when its result went to "
     "the department heads", "`patuh detect forms --type alert_confirmation`"),
    ("`heads_reports.csv`", "{n_heads_reports} results of a night shift's Form Konfirmasi Alert e-mailed to the "
     "Operation and HCA department heads at {heads_mail} after the shift (6.3.2.5), the HSE admin's register, "
     "Indonesian headers, the alert's time to the minute", "`patuh detect forms --type heads_report`"),
    ("`fatigue_interviews.csv`", "{n_interviews} interview with its berita acara after a face-missing alert (8.1.4), "
     "the supervisors' register, Indonesian headers", "`patuh detect forms --type fatigue_interview`"),
    ("`coaching_sessions.csv`", "{n_coachings} coaching and counselling sessions after a 6.5.2 stop, the "
     "supervisors' register, Indonesian headers", "`patuh detect forms --type coaching_session`"),
    ("`camera_repairs.csv`", "{n_repairs} repair of a damaged cab camera (8.1.4, 6.4.1.2.2), the camera log, "
     "Indonesian headers", "`patuh detect forms --type camera_repair`"),
    ("`alert_summaries.csv`", "{n_summaries} weekly alert summary sent by the Operation Fatigue Dispatcher (6.5.3), "
     "the dispatcher's log, Indonesian headers", "`patuh detect forms --type alert_summary`"),
    ("`vendor_alarm_report.csv`", "{n_vendor} alarms of the camera fleet, as the camera vendor's platform exports "
     "them (Time, Driver ID, Hull No, Alert Type, Speed, SN, Snapshot URL, ...)",
     "`patuh detect alerts --skip-alert Seatbelt`"),
    ("`fms_speed.csv`", "{n_telemetry} speed samples (10 s apart) of {n_excerpts} units, the fleet system's export "
     "(`;`, decimal comma)", "`patuh detect telemetry --roster roster.jsonl`"),
    ("`{video}`", "12 s of the cab camera of {pilot} (patuh's own camera, a pilot), made by `make_video.py` from "
     "skimage's astronaut photograph, eyes painted closed for 5.5 s",
     "`patuh detect camera --start {video_start} --camera-sn {video_sn}`"),
    ("`expected.json`", "what the plans must produce: the evaluation time; the {n_expected} findings, each with "
     "rule, subject, date and shift (a night shift keeps the date it starts on), the event, and the time where one "
     "record gives it; the {n_obligations} obligations, each with rule, action, subject, status, due time, when it "
     "was done and the event", "tests"),
    ("`config.yaml`", "the site config: time zone {timezone}", "every command"),
]

README = """\
# Example site: one week of the fatigue procedure

{site}, {first} to {last}:
a week of a mine site run under CK-PR-SHE-25 Rev 02 (the fatigue
procedure), with a few deviations planted in it. `make demo` runs all of it (`demo.py`): the
detectors turn the site's exports into facts, `patuh eval` judges them with the fatigue pack and
prints the findings by subject and then the obligations still to do by the role accountable, and
`patuh report fatigue-weekly` writes the dispatcher's weekly summary (6.5.3). What it writes
goes to `out/` here (not committed; `python examples/site/demo.py --out DIR` writes elsewhere).
The commands it runs, paths relative to this folder:

    patuh detect camera {video} --employee {video_employee} --unit {pilot} \\
        --start {video_start} --camera-sn {video_sn} --out out/evidence --config config.yaml > camera_alerts.jsonl
    patuh detect alerts vendor_alarm_report.csv --skip-alert Seatbelt --config config.yaml > vendor_alerts.jsonl
    patuh detect telemetry fms_speed.csv --roster roster.jsonl --config config.yaml > telemetry.jsonl
    patuh detect forms p2h_camera_checks.csv --type p2h_camera_check --ignore Nama --config config.yaml > p2h.jsonl
    patuh detect forms p2h_verifications.csv --type p2h_verification --ignore Nama --config config.yaml \\
        > p2h_verification.jsonl
    patuh detect forms fatigue_inspections.csv --type fatigue_inspection --ignore Nama ...   (and each form,
        and the registers: reports to the heads, interviews, coaching sessions, camera repairs, weekly summaries)
    patuh eval --facts roster.jsonl readiness_forms.jsonl *.jsonl --pack fatigue --config config.yaml \\
        --format table --by subject
    patuh report fatigue-weekly --facts camera_alerts.jsonl vendor_alerts.jsonl telemetry.jsonl \\
        --config config.yaml --out out/report

Every file here but the video, this one included, is written by `generate.py` (fixed seeds, no wall
clock: `python examples/site/generate.py` rewrites them byte for byte); the video by
`make_video.py`. `tests/test_example_site.py` checks that, and that the detectors and the engine
find exactly the findings and obligations of `expected.json`, which come from the plans in
`generate.py`, not from running the engine.

| file | what | read by |
|---|---|---|
""" + "".join(f"| {name} | {what} | {read_by} |\n" for name, what, read_by in FILES) + """
The site: per crew {n_mobile} equipment operators (OHT, DT, ADT, CT, WT, FT; `mobile_equipment:
true`), a Mekanik and a Rigger/Welder/Electrician (`high_risk: true` only), and a Driver LV or
Admin Dispatch (neither, so a missing form is no finding). Crews A and B work days and nights all
week (Sunday off) on the camera fleet: each of its equipment units carries a fatigue camera
(`camera: true`), so its operators fill the P2H camera check every shift (6.4.1) and the camera's
alerts are judged (6.4.3-6.5.2, 8.1.4). Crews C and D swap between day and night around a day off
on Thursday, on the fleet without cameras (`camera: false`), which the supervisor samples instead:
on each shift, inside the window (13:00-18:00 shift I, 01:00-06:00 shift II), 2 of the 4 OHT, 1 of
the 3 DT and the one ADT, CT, WT and FT (6.3.1.3: 30 %, and 50 % for WT and FT).
{leave}

Clean records: {sleep} h of sleep on readiness forms filled 20-60 min before the shift, FIT,
verified by the crew's supervisor; P2H checks at the shift start, camera OK, verified and signed
on the form 5-40 min later; surveys and medics' observations finding the worker fit or alert;
speeds of 18-44 km/h. And every follow-up the procedure asks for, which the pack tracks as an
obligation, done in time: Form Survey Fatigue 30 min after a readiness form with a sleep
shortfall; every camera alert naming its operator confirmed at the unit with Form Konfirmasi Alert
within 2 h; the form's result sent to the department heads, on a day shift 30 min after it (the
form says so and when: nothing is owed), on a night shift by the supervisor's e-mail at
{heads_mail} after the shift (the form says nothing of it: owed, and discharged by the e-mail's
line in `heads_reports.csv`, which writes the alert's time to the minute, matched within the
pack's 60 s); a damaged camera repaired at the rest break, 5 h after the P2H found it; the
interview with its berita acara on the day of a face-missing alert; coaching and counselling
before the end of a shift stopped under 6.5.2; the week's alert summary sent by the dispatcher,
{dispatcher}, on Sunday morning (the camera fleet rests on Sunday, after the last alert in
Saturday's night shift). A P2H submitted unverified or unsigned is a finding however soon it is
signed off; the later sign-off, in the supervisors' log `p2h_verifications.csv`, discharges the
verification it owes (PM2, PM3).

## Planted events

Findings are written without their `fatigue.` prefix.

### Pre-shift: the readiness form (6.1)

{preshift}

### P2H camera check (6.4.1)

{p2h}

### Camera alerts (vendor report, and the cab video) and their follow-up forms

Every alert gets Action 1, or Action 2 when the same alert of the same operator comes again within
its 8.1.4 window (2 h; yawn 1 h; Face Missing and Cam Covered are one row); 6.5.2 counts them per
rostered shift. Confirmed Level 1/2 alerts, fatigued surveys and the medics' mild, moderate and
severe findings each bring their 6.5.1/6.5.2 corrective actions.

{camera}

### Speed telemetry (8.1.4 overspeed)

{telemetry}

### Sampled inspections of the fleet without cameras (6.3.1)

A shift's sample (6.3.1.3) is judged once the shift has ended. At the evaluation time,
{as_of} WITA, shift I of {last} has just ended, so its sample is judged and complete (IE),
and its shift II has just begun, so its sample is not judged yet (IU); the night shift planted
without an inspection is Saturday's (IZ), the last one ended by then.

{inspections}

### Follow-ups owed: obligations

Each follow-up has a due time (the pack's `*_due_*` parameters) and is judged at the evaluation
time, by default (`patuh eval` without `--as-of`) the latest time the facts give; here
{as_of} WITA, the {latest}.
A record dated after the evaluation time would discharge nothing yet; here none is. A follow-up
is done (by its due time), late (done after it), open (not done, and not due yet) or overdue (not
done, and due). An overdue or late one is also a finding of its own, `<rule>.<action>-overdue` or
`-late`, against the role accountable for it (the finding's subject is the role); the weekly
summary's subject is its week, named by its Monday. These are planted, each on the follow-up of an
event above:

{obligations}

Findings by rule: {by_rule}.

Obligations: {n_obligations}, {by_status}; by rule: {obligations_by_rule}.
"""


def table(rows: list[tuple]) -> str:
    lines = ["| id | who | date | shift | what | findings |", "|---|---|---|---|---|---|"]
    for event, who_, day, shift, what, rules in rows:
        counted = {r: rules.count(r) for r in rules}  # in order, each rule once: "coverage x4"
        found = ", ".join(r.removeprefix("fatigue.") + (f" x{n}" if n > 1 else "")
                          for r, n in counted.items()) or "none"
        lines.append(f"| {event} | {who_} | {day.isoformat()} | {shift} | {what} | {found} |")
    return "\n".join(lines)


def readme(site: Site, as_of: dt.datetime) -> str:
    counts: dict[str, int] = {}
    for e in site.expected:
        counts[e["rule"]] = counts.get(e["rule"], 0) + 1
    statuses: dict[str, int] = {}
    owed: dict[str, int] = {}
    for o in site.obligations:
        statuses[o["status"]] = statuses.get(o["status"], 0) + 1
        key = f"{o['rule'].removeprefix('fatigue.')}.{o['action']}"
        owed[key] = owed.get(key, 0) + 1
    leave = "; ".join(
        f"{w.employee} {w.name} is on leave (cuti) on {', '.join(x.isoformat() for x in sorted(days))}"
        for (crew, pos), days in sorted(LEAVE.items()) for w in site.workers if (w.crew, w.position) == (crew, pos))
    return README.format(
        n_roster=len(site.roster), n_workers=len(site.workers), site=SITE, first=DAYS[0].isoformat(),
        last=DAYS[-1].isoformat(), n_forms=len(site.forms), n_expected=len(site.expected), timezone=TIMEZONE,
        n_p2h=len(site.p2h), n_inspections=len(site.inspections), n_surveys=len(site.surveys),
        n_observations=len(site.observations), n_confirmations=len(site.confirmations), n_vendor=len(site.vendor),
        n_interviews=len(site.interviews), n_coachings=len(site.coachings), n_repairs=len(site.repairs),
        n_summaries=len(site.summaries), n_verifications=len(site.verifications),
        n_heads_reports=len(site.heads_reports), heads_mail=HEADS_MAIL[:5], n_obligations=len(site.obligations),
        dispatcher=DISPATCHER,
        n_telemetry=len(site.telemetry), n_excerpts=len({r[0] for r in site.telemetry}), video=VIDEO_FILE,
        pilot=PILOT_UNIT, video_employee=site.worker(VIDEO.crew, VIDEO.position).employee,
        video_start=iso(at(VIDEO.date, "I", VIDEO_START)), video_sn=VIDEO_SN,
        n_mobile=sum(1 for p in POSITIONS if p[3]), leave=leave + ".",
        sleep="-".join(f"{x:g}" for x in (min(NORMAL_SLEEP), max(NORMAL_SLEEP))),
        as_of=local(as_of), latest=max(site.times)[1],
        **{section: table(rows) for section, rows in site.notes.items()},
        by_rule=", ".join(f"{r.removeprefix('fatigue.')} {n}" for r, n in sorted(counts.items())),
        by_status=", ".join(f"{statuses[s]} {s}" for s in ("done", "late", "open", "overdue") if s in statuses),
        obligations_by_rule=", ".join(f"{r} {n}" for r, n in sorted(owed.items())))


def generate() -> dict[str, str]:
    """File name -> content."""
    rng = random.Random(SEED)
    site = Site(make_workers(rng))
    build_preshift(site, rng)
    build_p2h(site, random.Random(SEED + 1), random.Random(SEED + 5))
    build_camera(site, random.Random(SEED + 2))
    build_telemetry(site, random.Random(SEED + 3))
    build_inspections(site, random.Random(SEED + 4))
    build_summary(site)
    assert not site.planted, f"obligations planted on follow-ups nothing owes: {sorted(site.planted)}"
    # The evaluation time: the latest time the facts give (patuh eval's default --as-of).
    as_of = max(site.times)[0]
    assert max(site.other_times + [t for t, _ in site.times]) <= as_of, "a record made after the evaluation time"
    for end, sample, covered in site.samples:  # 6.3.1.3 judges a shift's sample once the shift has ended
        assert not covered or end <= as_of, f"{sample}: a coverage finding on a shift not ended at the evaluation time"
    site.judge(as_of)
    order = {a.id: i for i, a in enumerate(PLAN + P2H_PLAN + OWED)}
    for section in ("preshift", "p2h", "obligations"):
        site.notes[section].sort(key=lambda n: order[n[0]])
    site.expected.sort(key=lambda e: (e["date"], e["shift"], e["subject"], e.get("time", ""), e["rule"]))
    site.obligations.sort(key=lambda o: (o["due"], o["rule"], o["subject"]))
    site.surveys.sort(key=lambda r: (r["time"], r["employee"]))
    site.observations.sort(key=lambda r: (r["time"], r["employee"]))
    site.confirmations.sort(key=lambda r: (r["time"], r["employee"]))
    expected = {"as_of": iso(as_of), "findings": site.expected, "obligations": site.obligations}
    return {
        "roster.jsonl": jsonl(site.roster),
        "readiness_forms.jsonl": jsonl(site.forms),
        "p2h_camera_checks.csv": csv_text(P2H_HEADER, site.p2h, ";"),
        "fatigue_inspections.csv": csv_text(INSPECTION_HEADER, site.inspections),
        "fatigue_surveys.jsonl": jsonl(site.surveys),
        "fatigue_observations.yaml": yaml_text(site.observations, "Form Observasi Fatigue CK-FM-SHE-25-03, "
                                                                  f"{SITE}: the medics' observations"),
        "alert_confirmations.json": json.dumps(site.confirmations, indent=2, ensure_ascii=False) + "\n",
        "fatigue_interviews.csv": csv_text(INTERVIEW_HEADER, in_order(site.interviews)),
        "coaching_sessions.csv": csv_text(COACHING_HEADER, in_order(site.coachings)),
        "camera_repairs.csv": csv_text(REPAIR_HEADER, in_order(site.repairs)),
        "p2h_verifications.csv": csv_text(P2H_VERIFICATION_HEADER, in_order(site.verifications)),
        "heads_reports.csv": csv_text(HEADS_REPORT_HEADER, [row for *_, row in sorted(site.heads_reports)]),
        "alert_summaries.csv": csv_text(SUMMARY_HEADER, site.summaries),
        "vendor_alarm_report.csv": csv_text(VENDOR_HEADER, site.vendor),
        "fms_speed.csv": csv_text(TELEMETRY_HEADER, site.telemetry, ";"),
        "expected.json": json.dumps(expected, indent=2, ensure_ascii=False) + "\n",
        "config.yaml": f"# Site config for {SITE}: naive times in facts are read as WITA.\ntimezone: {TIMEZONE}\n",
        "README.md": readme(site, as_of),
    }


def in_order(rows: list[tuple[dt.datetime, list[str]]]) -> list[list[str]]:
    return [row for _, row in sorted(rows, key=lambda pair: (pair[0], pair[1]))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="folder to write into (default: next to this script)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in generate().items():
        (args.out / name).write_text(text, encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
