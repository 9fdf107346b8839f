"""`patuh report k3-statistics`: frequency and severity rates, LTIFR and TRIR per company, year,
population and contractor, from an incident register and an hours register as the zero_accident
pack classifies them. Every expected number is worked out by hand below from the facts."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys

from patuh.report_k3_statistics import COLUMNS, compute

CONFIG = {"timezone": "Asia/Jakarta", "shifts": {"I": {"start": "07:00", "end": "19:00"},
                                                "II": {"start": "19:00", "end": "07:00"}}}


def incident(incident_id: str, time: str, kind: str = "injury", **fields) -> dict:
    return {"type": "incident", "incident": incident_id, "company": "PT Semen", "time": time, "kind": kind, **fields}


FACTS = [
    # 2025: 800,000 + 50,000 employee hours, 140,000 + 10,000 contractor hours: 1,000,000 in all
    {"type": "work_hours", "company": "PT Semen", "year": 2025, "employee_hours": 800000, "overtime_hours": 50000,
     "contractor_hours": 140000, "contractor_overtime_hours": 10000},
    # 2024: the contractors' overtime blank
    {"type": "work_hours", "company": "PT Semen", "year": 2024, "employee_hours": 800000, "overtime_hours": 50000,
     "contractor_hours": 140000},
    # CV Karya's own monthly rows (the csms pack's form): 40,000 + 60,000 h in 2025
    {"type": "work_hours", "company": "PT Semen", "contractor": "CV Karya", "month": "2025-01",
     "contractor_hours": 40000, "contractor_overtime_hours": 0},
    {"type": "work_hours", "company": "PT Semen", "contractor": "CV Karya", "month": "2025-02",
     "contractor_hours": 55000, "contractor_overtime_hours": 5000},
    # an employee back after 5 days, 10 days lost in all: a lost-time injury
    incident("S-01", "2025-02-03T09:00:00+07:00", person="Eko", returned_to_work="2025-02-08T07:00:00+07:00",
             days_lost=10),
    # back within 2 x 24 h: recordable, no lost-time accident
    incident("S-02", "2025-03-03T09:00:00+07:00", person="Fajar", returned_to_work="2025-03-04T07:00:00+07:00"),
    # an earthquake: excluded from the award's count (pengecualian.1), still a recordable injury
    incident("S-03", "2025-04-03T09:00:00+07:00", person="Gita", returned_to_work="2025-04-10T07:00:00+07:00",
             days_lost=5, cause="natural_disaster"),
    # a contractor's worker died: a fatality, 6000 days
    incident("S-04", "2025-05-03T09:00:00+07:00", person="Hadi", contractor="CV Karya", fatal=True),
    # a kiln stopped at 10:00 and ran again only after shift II ended: a lost-time accident, no injury
    incident("S-05", "2025-06-03T10:00:00+07:00", kind="process_stop", process_resumed="2025-06-04T09:00:00+07:00"),
    # a near miss and a first-aid case: neither counted nor recordable
    incident("S-06", "2025-07-03T10:00:00+07:00", kind="near_miss"),
    incident("S-07", "2025-08-03T10:00:00+07:00", kind="first_aid", person="Indra"),
]


def rows_by_key(rows):
    return {(r["year"], r["population"], r["contractor"]): r for r in rows}


def test_rates_per_population_and_contractor():
    rows, params, label, _ = compute(FACTS, CONFIG)
    by = rows_by_key(rows)
    pick = ("hours", "lta", "lti", "fatalities", "recordable", "lost_days", "days_unknown", "fr", "sr", "ltifr", "trir")
    # all: 3 lost-time accidents (S-01, S-04, S-05), 1 lost-time injury, 1 fatality; recordable
    # S-01..S-04; 10 + 6000 + 0 days: FR 3e6/1e6, SR 6010e6/1e6, LTIFR 2e6/1e6, TRIR 4 x 2e5/1e6
    assert tuple(by[(2025, "all", "")][k] for k in pick) == (
        "1000000", 3, 1, 0 + 1, 4, 6010, 0, "3.00", "6010.00", "2.00", "0.80")
    # employees (850,000 h): S-01 and S-05; recordable S-01, S-02, S-03; 10 days
    # FR 2e6/850000 = 2.3529, SR 1e7/850000 = 11.7647, LTIFR 1e6/850000 = 1.1765, TRIR 6e5/850000 = 0.7059
    assert tuple(by[(2025, "employees", "")][k] for k in pick) == (
        "850000", 2, 1, 0, 3, 10, 0, "2.35", "11.76", "1.18", "0.71")
    # contractors (150,000 h): S-04; FR 1e6/150000 = 6.667, SR 6e9/150000 = 40000, TRIR 2e5/150000 = 1.333
    assert tuple(by[(2025, "contractors", "")][k] for k in pick) == (
        "150000", 1, 0, 1, 1, 6000, 0, "6.67", "40000.00", "6.67", "1.33")
    # CV Karya on its own 100,000 monthly hours
    assert tuple(by[(2025, "contractor", "CV Karya")][k] for k in pick) == (
        "100000", 1, 0, 1, 1, 6000, 0, "10.00", "60000.00", "10.00", "2.00")
    assert label.startswith("zero_accident ") and params["trir_per_h"].value == 200000


def test_no_rate_without_the_hours_and_never_zero_for_missing_ones():
    rows, *_ = compute(FACTS, CONFIG)
    by = rows_by_key(rows)
    blank = by[(2024, "all", "")]
    assert (blank["hours"], blank["fr"], blank["sr"], blank["ltifr"], blank["trir"]) == ("", "", "", "", "")
    assert blank["note"] == "rates: contractor_overtime_hours blank (pengajuan.3)"
    assert by[(2024, "employees", "")]["fr"] == "0.00"  # its two series are given: no accident, a rate of 0


def test_a_years_contractor_series_given_as_annual_rows_per_contractor():
    # the company's row leaves the contractors' series blank; one annual row per contractor gives them
    facts = [{"type": "work_hours", "company": "PT Semen", "year": 2025, "employee_hours": 800000,
              "overtime_hours": 50000},
             {"type": "work_hours", "company": "PT Semen", "year": 2025, "contractor": "CV Karya",
              "contractor_hours": 90000, "contractor_overtime_hours": 10000},
             {"type": "work_hours", "company": "PT Semen", "year": 2025, "contractor": "CV Baja",
              "contractor_hours": 50000, "contractor_overtime_hours": 0},
             incident("S-04", "2025-05-03T09:00:00+07:00", person="Hadi", contractor="CV Karya", fatal=True)]
    by = rows_by_key(compute(facts, CONFIG)[0])
    # 850,000 + 150,000 = 1,000,000 h in all; contractors 150,000 (FR 1e6/150000), CV Karya 100,000
    assert (by[(2025, "all", "")]["hours"], by[(2025, "all", "")]["fr"]) == ("1000000", "1.00")
    assert (by[(2025, "contractors", "")]["hours"], by[(2025, "contractors", "")]["fr"]) == ("150000", "6.67")
    assert (by[(2025, "employees", "")]["hours"], by[(2025, "contractor", "CV Karya")]["hours"]) == ("850000", "100000")


def test_a_lost_time_accident_without_its_days_makes_sr_a_lower_bound():
    facts = FACTS[:1] + [incident("S-10", "2025-02-03T09:00:00+07:00", person="Eko")]
    rows, *_ = compute(facts, CONFIG, as_of=dt.date(2025, 12, 31))  # not back at the end of the year
    row = rows_by_key(rows)[(2025, "all", "")]
    assert (row["lta"], row["days_unknown"], row["lost_days"], row["sr"]) == (1, 1, 0, "0.00")
    assert row["note"] == "SR a lower bound: 1 lost-time accident(s) without lost days yet"


def test_the_cli_writes_csv_text_and_a_chart_the_same_each_run(tmp_path):
    facts = tmp_path / "facts.jsonl"
    facts.write_text("".join(json.dumps(f) + "\n" for f in FACTS))
    config = tmp_path / "site.yaml"
    config.write_text('timezone: Asia/Jakarta\nshifts: {I: {start: "07:00", end: "19:00"}, '
                      'II: {start: "19:00", end: "07:00"}}\n')
    out = tmp_path / "report"
    args = [sys.executable, "-m", "patuh.cli", "report", "k3-statistics", "--facts", str(facts), "--config",
            str(config), "--out", str(out), "--as-of", "2025-12-31"]
    done = subprocess.run(args, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO((out / "k3-statistics.csv").read_text())))
    assert tuple(rows[0]) == COLUMNS and len(rows) == 7  # 2024 and 2025: three populations each, and CV Karya
    text = (out / "k3-statistics.txt").read_text()
    assert "FR = lost-time accidents x 1,000,000 / hours worked   [fr; secondary-facts.md, confidence H" in text
    assert "TRIR = recordable cases x 200,000 / hours worked" in text
    assert (out / "k3-statistics-pt-semen.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert subprocess.run(args, capture_output=True, text=True).returncode == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first


def test_a_bad_record_is_refused_and_nothing_written(tmp_path):
    facts = tmp_path / "facts.jsonl"
    facts.write_text('{"type": "incident", "incident": "X", "company": "PT Semen", "time": "2025-02-03T09:00:00", '
                     '"kind": "kebakaran"}\n')
    out = tmp_path / "report"
    done = subprocess.run([sys.executable, "-m", "patuh.cli", "report", "k3-statistics", "--facts", str(facts),
                           "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 2 and "incident.kind: expected one of" in done.stderr
    assert not out.exists() or not any(out.iterdir())
