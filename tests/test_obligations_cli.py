"""Obligations and the evaluation time through the command line: `--as-of`, the table's list of
what is still to do under the role accountable for it, `explain` of an obligation, and one zone
for every time a person reads (the issue's new user: a WITA site, a finding's time column and
its message showing the same clock time)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

WITA = "+08:00"
FACTS = [
    # sleep of 5.5 h: the survey is owed within 1 h of the form (06:00); filed at 05:40, in time
    {"type": "readiness_form", "employee": "CK-801", "date": "2026-03-02", "shift": "I", "sleep_hours": 5.5,
     "fit": True, "filled_at": f"2026-03-02T05:00:00{WITA}"},
    {"type": "fatigue_survey", "employee": "CK-801", "date": "2026-03-02", "shift": "I",
     "time": f"2026-03-02T05:40:00{WITA}", "result": "fit"},
    # 6 h: no survey at all
    {"type": "readiness_form", "employee": "CK-802", "date": "2026-03-02", "shift": "I", "sleep_hours": 6,
     "fit": True, "filled_at": f"2026-03-02T05:30:00{WITA}"},
]


def run(tmp_path: Path, *args: str, facts: list[dict] = FACTS) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "facts.jsonl"
    path.write_text("".join(json.dumps(f) + "\n" for f in facts))
    config = tmp_path / "site.yaml"
    config.write_text("timezone: Asia/Makassar\n")
    return subprocess.run([sys.executable, "-m", "patuh.cli", *args[:1], "--facts", str(path), "--pack", "fatigue",
                           "--config", str(config), *args[1:]], capture_output=True, text=True, timeout=120)


def obligations(tmp_path: Path, *extra: str) -> dict[str, tuple[str, str | None]]:
    proc = run(tmp_path, "eval", "--format", "json", *extra)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    return {result["facts"][o["facts"][0]]["employee"]: (o["status"], o["due"]) for o in result["obligations"]}


def test_as_of_moves_an_obligation_from_open_to_overdue(tmp_path):
    # Default: the latest time in the facts (05:40), before CK-802's due time (06:30).
    assert obligations(tmp_path) == {"CK-801": ("done", f"2026-03-02T06:00:00{WITA}"),
                                     "CK-802": ("open", f"2026-03-02T06:30:00{WITA}")}
    assert obligations(tmp_path, "--as-of", "2026-03-02T06:30")["CK-802"][0] == "open"  # site time, at its due
    assert obligations(tmp_path, "--as-of", "2026-03-02T06:30:01")["CK-802"][0] == "overdue"
    assert obligations(tmp_path, "--as-of", "2026-03-01T22:30:01Z")["CK-802"][0] == "overdue"  # 06:30:01 WITA
    # A date is its whole day; facts dated after the evaluation time are left out, and counted.
    proc = run(tmp_path, "eval", "--format", "json", "--as-of", "2026-03-01")
    trace = json.loads(proc.stdout)["trace"]
    assert (trace["facts_in"], trace["facts_after_as_of"]) == (0, 3)


def test_a_bad_as_of_is_one_line_and_exit_2(tmp_path):
    proc = run(tmp_path, "eval", "--as-of", "2 March")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "--as-of: expected a time like 2026-03-02T14:00" in proc.stderr


def test_the_table_lists_what_is_still_to_do_under_the_accountable_role(tmp_path):
    proc = run(tmp_path, "eval", "--format", "table", "--as-of", "2026-03-02T07:00")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    start = lines.index("Obligations still to do, by the role accountable:")
    assert lines[start + 2] == "== Pengawas Lapangan: 1 (1 overdue)"
    assert lines[start + 3].split()[:5] == ["DUE", "STATUS", "SUBJECT", "RULE", "WHAT"]
    row = lines[start + 4].split()
    assert row[:6] == ["2026-03-02", "06:30", "WITA", "overdue", "CK-802", "fatigue.sleep-shortfall-survey.survey"]
    assert lines[-1].endswith("obligations: 1 overdue, 1 done")
    # The overdue obligation is a finding against that role, at its due time, in the site's zone.
    [overdue] = [line for line in lines if "survey-overdue" in line]
    assert overdue.startswith("2026-03-02 06:30 WITA  Pengawas Lapangan  major")


def test_explain_follows_an_obligation_to_its_clause_and_evidence(tmp_path):
    proc = run(tmp_path, "explain", "fatigue.sleep-shortfall-survey.survey")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert text.count("Obligation O-") == 2
    assert "[done]" in text and "[open]" in text
    assert "Due 2026-03-02 06:00 WITA (sebelum mulai bekerja); judged at 2026-03-02 05:40 WITA" in text
    assert "Discharged by fatigue_survey:" in text and "at 2026-03-02 05:40 WITA" in text
    assert "clause 6.1.1.1.1:" in text and "dengan menggunakan Form Survey Fatigue CK-FM-SHE-25-02" in text
    assert '"filled_at": "2026-03-02T05:00:00+08:00"' in text  # the evidence keeps the fact's own offset


@pytest.mark.parametrize("zone, shown", [("Asia/Makassar", "14:00 WITA"), ("Asia/Jakarta", "13:00 WIB")])
def test_the_time_column_and_the_message_show_one_clock(tmp_path, zone, shown):
    alert = {"type": "camera_alert", "employee": "CK-901", "unit": "OHT-7713", "alert": "warning_level_1",
             "time": f"2026-03-02T14:00:00{WITA}", "camera_sn": "SN-1", "evidence": "a.jpg"}
    path = tmp_path / "alerts.jsonl"
    path.write_text(json.dumps(alert) + "\n")
    config = tmp_path / "site.yaml"
    config.write_text(f"timezone: {zone}\n")
    proc = subprocess.run([sys.executable, "-m", "patuh.cli", "eval", "--facts", str(path), "--pack", "fatigue",
                           "--config", str(config), "--format", "table"], capture_output=True, text=True, timeout=120)
    [line] = [line for line in proc.stdout.splitlines() if "camera-wl1-action1" in line]
    assert line.startswith(f"2026-03-02 {shown}")
    assert f"Warning Level 1 at 2026-03-02 {shown} – Action 1" in line
