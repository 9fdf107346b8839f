"""`patuh eval --format table --by subject`: the findings grouped under a heading per subject,
each subject's findings in time order, with their actions and sanctions; the columns line up
across the groups, and the summary counts findings, facts and subjects."""
from __future__ import annotations

import json
import re
import subprocess
import sys


def roster(employee: str, day: str, shift: str = "I") -> dict:
    start = {"I": "06:00", "II": "18:00"}[shift]
    return {"type": "roster", "employee": employee, "date": day, "shift": shift, "unit": f"DT-{employee[-2:]}",
            "mobile_equipment": True, "start": f"{day}T{start}:00+08:00"}


FACTS = [
    roster("CK-0002", "2026-03-03"),  # no readiness forms at all: one finding per shift
    roster("CK-0001", "2026-03-03", "II"),
    roster("CK-0001", "2026-03-02"),
    {"type": "readiness_form", "employee": "CK-0002", "date": "2026-03-04", "shift": "I", "sleep_hours": 3.0},
]


def table(tmp_path, *extra: str) -> list[str]:
    facts = tmp_path / "facts.jsonl"
    facts.write_text("".join(json.dumps(f) + "\n" for f in FACTS))
    proc = subprocess.run([sys.executable, "-m", "patuh.cli", "eval", "--facts", str(facts), "--pack", "fatigue",
                           "--format", "table", *extra], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def test_by_subject_groups_under_a_heading_per_subject(tmp_path):
    lines = table(tmp_path, "--by", "subject")
    assert lines[0].split() == ["TIME", "SEVERITY", "RULE", "CLAUSE", "FINDING"]  # the subject is the heading
    headings = [i for i, line in enumerate(lines) if line.startswith("== ")]
    assert [lines[i] for i in headings] == ["== employee CK-0001: 2 findings", "== employee CK-0002: 2 findings"]
    first = lines[headings[0] + 1:headings[1] - 1]  # up to the blank line before the next heading
    rows = [line for line in first if not line.startswith("  ")]
    assert [r.split()[0] for r in rows] == ["2026-03-02", "2026-03-03"]  # time order within a subject
    assert all("fatigue.readiness-form-missing" in r for r in rows)
    assert any(line.startswith("  action: ") for line in first)
    second = lines[headings[1] + 1:]
    assert any(line.startswith("  sanction: ") for line in second)  # slept 3 h: the sleep-under-4h sanction
    finding_col = lines[0].index("FINDING")
    assert all(r[finding_col - 2:finding_col] == "  " and r[finding_col] != " " for r in rows)  # columns line up
    assert lines[-1] == "4 findings from 4 facts, 2 subjects"


def test_without_by_the_table_is_as_before(tmp_path):
    lines = table(tmp_path)
    assert lines[0].split()[:2] == ["TIME", "SUBJECT"] and not any(line.startswith("== ") for line in lines)
    assert lines[-1] == "4 findings from 4 facts"


def test_by_with_json_is_refused_before_anything_runs(tmp_path):
    facts = tmp_path / "facts.jsonl"
    facts.write_text("".join(json.dumps(f) + "\n" for f in FACTS))
    proc = subprocess.run([sys.executable, "-m", "patuh.cli", "eval", "--facts", str(facts), "--format", "json",
                           "--by", "subject"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "--by groups the table" in proc.stderr and "--format json" in proc.stderr



def test_a_line_break_in_a_cell_keeps_every_finding_with_its_own_row(tmp_path):
    """A text holding a line break or a line separator (pasted into a form) stays in its finding's
    row, whole: the rows after it keep their own actions, and none is cut off or dropped. A
    roster entry happens at its start (06:00 WITA: 05:00 in the default zone, WIB)."""
    employees = ["CK-0001\u2028X", "CK-0002", "CK-0003\nY"]
    facts = [dict(roster(e, "2026-03-03"), unit=f"DT-0{n}") for n, e in enumerate(employees, 1)]
    path = tmp_path / "facts.jsonl"
    path.write_text("".join(json.dumps(f) + "\n" for f in facts))
    proc = subprocess.run([sys.executable, "-m", "patuh.cli", "eval", "--facts", str(path), "--pack", "fatigue",
                           "--format", "table"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for n, employee in enumerate(employees, 1):  # each row whole, its message last, then its action
        row = re.compile(rf"2026-03-03 05:00 WIB  {re.escape(employee)} +major +fatigue\.readiness-form-missing "
                         rf"+6\.1\.2 +"
                         rf"{re.escape(employee)} rostered on shift I of 2026-03-03 \(DT-0{n}\) has no [^\n]*\n"
                         r"  action: ")
        assert len(row.findall(proc.stdout)) == 1, proc.stdout
    assert proc.stdout.endswith("\n3 findings from 3 facts\n")
