"""Deterministic roster + readiness_form facts for the fatigue pack (rulesets/fatigue/facts.yaml).

`facts(n, seed)` returns exactly n records, as a site's roster export and its readiness forms
would give them: plain dicts, ISO dates and local times (no ids, no time zone: the engine gives
ids and applies the site's zone). They are spread over n // 20 employees, each on consecutive
dates from a staggered start, in 5-day blocks of shift I (06:00-18:00) and shift II (18:00-06:00),
with the anomalies the pack looks for, at rates a site might see:

  day off (no roster, no form)                           4 %
  form missing for a rostered shift                      3 %
  form filled after the shift started                    4 %
  sleep under 4 h                                        2.5 %, and 35 % again the next day
  sleep 4-7 h (survey)                                  ~20 %
  not fit                                                1.5 %, 30 % after a short sleep
  workers on neither mobile equipment nor high-risk work 15 % (a missing form is no finding)

The same (n, seed) always gives the same records, in every process (no hash(), no clock).
`expected(records)` counts the findings the pack must produce, in plain Python: a third opinion
beside patuh and raw durable_rules.
"""
from __future__ import annotations

import datetime as dt
import random
import shutil
from collections import Counter
from pathlib import Path

FACTS_PER_EMPLOYEE = 20
FIRST_DAY = dt.date(2024, 1, 1)
UNIT_TYPES = ("OHT", "DT", "ADT", "EXC", "WT", "LV")
SITES = ("JBY", "SATUI", "TAL")

RULES = ("fatigue.readiness-form-missing", "fatigue.readiness-form-late", "fatigue.sleep-under-4h",
         "fatigue.sleep-under-4h-repeated", "fatigue.sleep-shortfall-survey", "fatigue.readiness-not-fit")


def _hhmm(date: dt.date, minutes: int) -> str:
    """Local time `minutes` after midnight of `date` (may run into the next day), ISO, no zone."""
    day, minute = divmod(minutes, 24 * 60)
    return f"{(date + dt.timedelta(days=day)).isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00"


def facts(n: int, seed: int = 20240101) -> list[dict]:
    rng = random.Random(seed)
    employees = max(1, n // FACTS_PER_EMPLOYEE)
    base, extra = divmod(n, employees)
    out: list[dict] = []
    for e in range(employees):
        quota = base + (1 if e < extra else 0)
        emp = f"K{e:07d}"
        role = rng.random()
        mobile, high_risk = ((True, rng.random() < 0.1) if role < 0.75 else (False, True) if role < 0.85
                             else (False, False))
        unit_type = rng.choice(UNIT_TYPES)
        unit = f"{unit_type}-{rng.randrange(1, 400):03d}"
        site = SITES[e % len(SITES)]
        supervisor = f"SPV{e // 25:05d}"
        day = FIRST_DAY + dt.timedelta(days=e % 28)  # staggered starts: dates spread over weeks
        block = rng.randrange(10)  # position in the I/II rotation
        short_yesterday = False
        made = 0
        while made < quota:
            date_iso = day.isoformat()
            if rng.random() < 0.04:  # day off
                day += dt.timedelta(days=1)
                block = (block + 1) % 10
                short_yesterday = False
                continue
            shift = "I" if block < 5 else "II"
            start_min = 6 * 60 if shift == "I" else 18 * 60
            start = _hhmm(day, start_min)
            out.append({"type": "roster", "employee": emp, "name": f"Karyawan {e}", "date": date_iso,
                        "shift": shift, "unit": unit, "unit_type": unit_type,
                        "role": "operator" if mobile else "helper" if high_risk else "admin",
                        "mobile_equipment": mobile, "high_risk": high_risk, "start": start,
                        "end": _hhmm(day, start_min + 12 * 60), "site": site, "supervisor": supervisor})
            made += 1
            if made < quota and rng.random() >= 0.03:  # else: no form for this shift
                roll = rng.random()
                short = rng.random() < (0.35 if short_yesterday else 0.025)
                if short:
                    sleep = rng.choice((2, 2.5, 3, 3.5, 3.9))
                elif roll < 0.2:
                    sleep = rng.choice((4, 4.5, 5, 5.5, 6, 6.5, 6.9))
                else:
                    sleep = rng.choice((7, 7.5, 8, 8.5, 9))
                fit = not (rng.random() < (0.3 if short else 0.015))
                filled = start_min + rng.randrange(5, 120) if rng.random() < 0.04 else start_min - rng.randrange(10, 90)
                out.append({"type": "readiness_form", "employee": emp, "date": date_iso, "shift": shift,
                            "sleep_hours": sleep, "fit": fit, "filled_at": _hhmm(day, filled), "unit": unit,
                            "verified_by": supervisor})
                made += 1
                short_yesterday = short
            else:
                short_yesterday = False
            day += dt.timedelta(days=1)
            block = (block + 1) % 10
    assert len(out) == n
    return out


def expected(records: list[dict], sleep_no_work_below_h: float = 4, sleep_minimum_h: float = 7,
             repeat_next_day_d: int = 1) -> dict[str, int]:
    """Findings per rule of the fatigue pack (its default parameters), computed directly."""
    counts: Counter = Counter({rule: 0 for rule in RULES})
    forms: dict[tuple, list[dict]] = {}
    for r in records:
        if r["type"] == "readiness_form":
            forms.setdefault((r["employee"], r["date"], r["shift"]), []).append(r)
    unfit: dict[str, set[dt.date]] = {}
    for r in records:
        if r["type"] == "roster":
            if not (r.get("mobile_equipment") or r.get("high_risk")):
                continue  # the clause obliges only these workers
            same = forms.get((r["employee"], r["date"], r["shift"]), [])
            if not same:
                counts["fatigue.readiness-form-missing"] += 1
            counts["fatigue.readiness-form-late"] += sum(1 for f in same if f["filled_at"] > r["start"])
        else:
            sleep = r["sleep_hours"]
            if sleep < sleep_no_work_below_h:
                counts["fatigue.sleep-under-4h"] += 1
                unfit.setdefault(r["employee"], set()).add(dt.date.fromisoformat(r["date"]))
            elif sleep < sleep_minimum_h:
                counts["fatigue.sleep-shortfall-survey"] += 1
            if r.get("fit") is False:
                counts["fatigue.readiness-not-fit"] += 1
    # once per `again` (a sleep_unfit fact per form; one form per employee, date and shift here)
    for r in records:
        if r["type"] == "readiness_form" and r["sleep_hours"] < sleep_no_work_below_h:
            date = dt.date.fromisoformat(r["date"])
            if date - dt.timedelta(days=repeat_next_day_d) in unfit[r["employee"]]:
                counts["fatigue.sleep-under-4h-repeated"] += 1
    return dict(counts)


def preshift_pack(folder: Path) -> Path:
    """The fatigue pack with only its six pre-shift rules (rules/preshift.yaml), in `folder`: the
    rules raw.py writes for durable_rules, judged by patuh alone."""
    target = Path(folder) / "fatigue-preshift"
    if not target.exists():
        shutil.copytree(Path(__file__).resolve().parent.parent / "rulesets" / "fatigue", target,
                        ignore=shutil.ignore_patterns("tests"))
        for rules in (target / "rules").iterdir():
            if rules.name != "preshift.yaml":
                rules.unlink()
    return target
