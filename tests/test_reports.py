"""The weekly camera-alert summary of CK-PR-SHE-25 6.5.3: counts per ISO week, employee, unit
and alert type, in the site's time zone, as CSV and one PNG chart per week."""
import csv
import io
import subprocess
import sys

import patuh

ALERTS = [  # a dispatcher's week: Sunday night in WITA is still week 10; Monday 00:30 is week 11
    ("CK-101", "DT-2031", "warning_level_1", "2026-03-02T07:10:00+08:00"),
    ("CK-101", "DT-2031", "warning_level_1", "2026-03-04T13:40:00+08:00"),
    ("CK-101", "DT-2031", "yawn", "2026-03-04T14:05:00+08:00"),
    ("CK-102", "OHT-7713", "phone", "2026-03-08T23:50:00+08:00"),
    ("CK-102", "OHT-7713", "phone", "2026-03-08T16:10:00Z"),  # 2026-03-09 00:10 WITA: week 11
]


def records():
    return [{"type": "camera_alert", "employee": e, "unit": u, "alert": a, "time": t} for e, u, a, t in ALERTS]


def test_weekly_counts_by_week_employee_unit_and_alert():
    from patuh.reports import to_csv, weekly_alerts

    engine = patuh.Engine(["fatigue"], config={"timezone": "Asia/Makassar"})
    facts = [fact for fact, _ in engine.check_facts(records()).values()]
    rows = list(csv.DictReader(io.StringIO(to_csv(weekly_alerts(facts, engine.types.zone)))))
    assert [(r["week"], r["week_start"], r["employee"], r["unit"], r["alert"], r["count"]) for r in rows] == [
        ("2026-W10", "2026-03-02", "CK-101", "DT-2031", "warning_level_1", "2"),
        ("2026-W10", "2026-03-02", "CK-101", "DT-2031", "yawn", "1"),
        ("2026-W10", "2026-03-02", "CK-102", "OHT-7713", "phone", "1"),
        ("2026-W11", "2026-03-09", "CK-102", "OHT-7713", "phone", "1"),
    ]


def test_cli_writes_csv_and_a_chart_per_week(tmp_path):
    facts = tmp_path / "alerts.jsonl"
    import json
    facts.write_text("".join(json.dumps(r) + "\n" for r in records()))
    config = tmp_path / "site.yaml"
    config.write_text("timezone: Asia/Makassar\n")
    out = tmp_path / "weekly"
    args = [sys.executable, "-m", "patuh.cli", "report", "fatigue-weekly", "--facts", str(facts),
            "--config", str(config), "--out", str(out)]
    done = subprocess.run(args, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (out / "fatigue-weekly.csv").read_text().splitlines()[0] == "week,week_start,employee,unit,alert,count"
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == ["fatigue-weekly-2026-W10.png", "fatigue-weekly-2026-W11.png"]
    assert (out / pngs[0]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert subprocess.run(args, capture_output=True, text=True).returncode == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first  # same input, same bytes


def test_a_bad_alert_record_is_refused_with_its_line(tmp_path):
    facts = tmp_path / "alerts.jsonl"
    facts.write_text('{"type": "camera_alert", "employee": "CK-1", "unit": "DT-1", "alert": "sleepy", '
                     '"time": "2026-03-02T07:10:00+08:00"}\n')
    done = subprocess.run([sys.executable, "-m", "patuh.cli", "report", "fatigue-weekly", "--facts", str(facts),
                           "--out", str(tmp_path / "w")], capture_output=True, text=True)
    assert done.returncode == 2 and f"{facts}:1:1" in done.stderr and "'sleepy'" in done.stderr
    assert not (tmp_path / "w").exists()


def test_an_alert_without_a_time_is_in_no_week_and_said(tmp_path):
    import json
    facts = tmp_path / "alerts.jsonl"
    undated = {"type": "camera_alert", "employee": "CK-103", "unit": "DT-2032", "alert": "yawn"}
    facts.write_text("".join(json.dumps(r) + "\n" for r in records() + [undated]))
    done = subprocess.run([sys.executable, "-m", "patuh.cli", "report", "fatigue-weekly", "--facts", str(facts),
                           "--out", str(tmp_path / "w")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "1 alerts without a time are in no week" in done.stderr
    assert "CK-103" not in (tmp_path / "w" / "fatigue-weekly.csv").read_text()
