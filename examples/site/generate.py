#!/usr/bin/env python3
"""Generate the bundled example site: one week of a mine-site roster, the Form Kesiapan Bekerja
records for it, and the findings the fatigue pack must produce (the anomalies planted here).

    python examples/site/generate.py            # rewrite the files next to this script
    python examples/site/generate.py --out DIR  # write them somewhere else

Deterministic: a fixed seed and no wall clock, so it reproduces the committed files byte for
byte (tests/test_example_site.py checks that). expected.json is derived from the anomaly plan
below, never by running the engine: it is the ground truth the engine is tested against.
Standard library only.
"""
from __future__ import annotations

import argparse
import datetime as dt
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


@dataclass
class Anomaly:
    """One planted deviation from a clean form, and the findings it must produce."""

    id: str
    crew: str
    position: str
    date: dt.date
    what: str  # for the README
    form: dict | None = field(default_factory=dict)  # overrides of the clean form; None: no form
    rules: tuple[str, ...] = ()  # findings on this (employee, date, shift)


def d(day: int) -> dt.date:
    return dt.date(2026, 3, day)


MISSING = "fatigue.readiness-form-missing"
LATE = "fatigue.readiness-form-late"
UNDER4 = "fatigue.sleep-under-4h"
REPEAT = "fatigue.sleep-under-4h-repeated"
SURVEY = "fatigue.sleep-shortfall-survey"
NOT_FIT = "fatigue.readiness-not-fit"

# The anomaly plan. Times in "filled_at" are minutes relative to the rostered shift start.
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


def build(rng: random.Random) -> tuple[list[Worker], list[dict], list[dict], list[dict], list[tuple]]:
    workers = make_workers(rng)
    by_position = {(w.crew, w.position): w for w in workers}
    plan = {(a.crew, a.position, a.date): a for a in PLAN}
    assert len(plan) == len(PLAN), "two anomalies on one shift"
    roster, forms, expected, notes = [], [], [], []
    for day in DAYS:
        for w in workers:
            shift = shift_of(w.crew, day)
            if shift is None or day in LEAVE.get((w.crew, w.position), ()):
                continue
            start = start_of(day, shift)
            record = {"type": "roster", "employee": w.employee, "name": w.name, "date": day.isoformat(),
                      "shift": shift, "role": w.role}
            if w.unit:
                record.update(unit=w.unit, unit_type=w.unit_type)
            record.update(mobile_equipment=w.mobile_equipment, high_risk=w.high_risk, start=iso(start),
                          end=iso(start + dt.timedelta(hours=SHIFT_HOURS)), site=SITE,
                          supervisor=SUPERVISOR[w.crew])
            roster.append(record)
            # The clean form; draw the random values even for planted shifts, so that changing
            # one anomaly leaves every other record as it was.
            sleep = pick(rng, NORMAL_SLEEP)
            before = 20 + int(rng.random() * 41)
            anomaly = plan.pop((w.crew, w.position, day), None)
            changes = {} if anomaly is None else anomaly.form
            if anomaly is not None:
                notes.append((anomaly, w, shift))
                expected += [{"rule": rule, "employee": w.employee, "date": day.isoformat(), "shift": shift,
                              "anomaly": anomaly.id} for rule in anomaly.rules]
            if changes is None:
                continue
            minutes = changes.get("filled_at", -before)
            filled = start + dt.timedelta(minutes=minutes)
            if changes.get("utc"):
                filled = filled.astimezone(dt.timezone.utc)
            form = {"type": "readiness_form", "employee": w.employee, "date": day.isoformat(),
                    "shift": changes.get("shift", shift), "sleep_hours": changes.get("sleep_hours", sleep),
                    "fit": changes.get("fit", True), "filled_at": iso(filled)}
            if w.unit:
                form["unit"] = w.unit
            form["verified_by"] = SUPERVISOR[w.crew]
            forms.append(form)
    assert not plan, f"anomalies on shifts nobody is rostered on: {sorted(a.id for a in plan.values())}"
    roster.sort(key=lambda r: (r["date"], r["start"], r["employee"]))
    forms.sort(key=lambda r: (r["date"], r["shift"], r["employee"]))
    expected.sort(key=lambda e: (e["date"], e["shift"], e["employee"], e["rule"]))
    notes.sort(key=lambda n: PLAN.index(n[0]))
    return workers, roster, forms, expected, notes


def jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


README = """\
# Example site: one week of pre-shift fatigue checks

`make demo` evaluates these files with the fatigue pack:

    patuh eval --facts examples/site/roster.jsonl examples/site/readiness_forms.jsonl \\
        --pack fatigue --config examples/site/config.yaml --format table

Every file here, this one included, is written by `generate.py` (fixed seed, no wall clock:
`python examples/site/generate.py` rewrites them byte for byte, and
`tests/test_example_site.py` checks that and that the engine finds exactly what was planted).

| file | what |
|---|---|
| `roster.jsonl` | {n_roster} `roster` facts: {n_workers} workers of {site} in four crews, {first} to {last}, shift I 06:00-18:00 and shift II 18:00-06:00 (WITA, +08:00) |
| `readiness_forms.jsonl` | {n_forms} `readiness_form` facts (Form Kesiapan Bekerja CK-FM-SHE-25-01) |
| `expected.json` | the {n_expected} findings the plan below must produce: rule, employee, date and shift (a night shift keeps the date it starts on) |
| `config.yaml` | the site config: time zone {timezone} |

Crews A and B work days and nights all week (Sunday off); C and D swap between day and night
around a day off on Thursday. Per crew: {n_mobile} equipment operators (OHT, DT, ADT, CT, WT, FT;
`mobile_equipment: true`), a Mekanik and a Rigger/Welder/Electrician (`high_risk: true` only), and a
Driver LV or Admin Dispatch (neither, so a missing form is no finding). Units run around the
clock: crews A and B share one fleet, C and D the other. {leave}

Clean forms: {sleep} h of sleep, filled 20-60 min before the shift, FIT, verified by the crew's
supervisor.

## Planted anomalies

| id | employee | date | shift | what | findings |
|---|---|---|---|---|---|
{rows}

Findings by rule: {by_rule}.
"""


def readme(roster, forms, expected, notes, workers) -> str:
    rows = "\n".join(
        f"| {a.id} | {w.employee} {w.name} ({w.role}{', ' + w.unit if w.unit else ''}) | {a.date.isoformat()} "
        f"| {shift} | {a.what} | {', '.join(r.removeprefix('fatigue.') for r in a.rules) or 'none'} |"
        for a, w, shift in notes)
    counts: dict[str, int] = {}
    for e in expected:
        counts[e["rule"]] = counts.get(e["rule"], 0) + 1
    leave = "; ".join(
        f"{w.employee} {w.name} is on leave (cuti) on {', '.join(x.isoformat() for x in sorted(days))}"
        for (crew, pos), days in sorted(LEAVE.items()) for w in workers if (w.crew, w.position) == (crew, pos))
    return README.format(
        n_roster=len(roster), n_workers=len(workers), site=SITE, first=DAYS[0].isoformat(),
        last=DAYS[-1].isoformat(), n_forms=len(forms), n_expected=len(expected), timezone=TIMEZONE,
        n_mobile=sum(1 for p in POSITIONS if p[3]), leave=leave + ".",
        sleep="-".join(f"{x:g}" for x in (min(NORMAL_SLEEP), max(NORMAL_SLEEP))), rows=rows,
        by_rule=", ".join(f"{r} {n}" for r, n in sorted(counts.items())))


def generate() -> dict[str, str]:
    """File name -> content."""
    rng = random.Random(SEED)
    workers, roster, forms, expected, notes = build(rng)
    return {
        "roster.jsonl": jsonl(roster),
        "readiness_forms.jsonl": jsonl(forms),
        "expected.json": json.dumps(expected, indent=2, ensure_ascii=False) + "\n",
        "config.yaml": f"# Site config for {SITE}: naive times in facts are read as WITA.\ntimezone: {TIMEZONE}\n",
        "README.md": readme(roster, forms, expected, notes, workers),
    }


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
