"""Parameters given by date: a fact is judged by the value in force on its date, and the trace
and the finding say which value and since when.

The pack is a company's own (a procedure whose minimum sleep was raised from 4 h to 6 h by its
revision of 2024-01-01), written here as a company would write it.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import patuh
import pytest
from patuh.problems import PackInvalid

PACK = {
    "pack.yaml": """\
name: site-sleep
version: 1.0.0
language: id
partition_by: employee
document: {number: SOP-FAT-01, title: Jam tidur minimum, issuer: PT Contoh, revision: "3", effective: 2020-01-01}
""",
    "clauses.yaml": """\
clauses:
  - {number: "4.1", text: "Karyawan dengan jam tidur kurang dari 4 jam tidak diizinkan bekerja."}
  - {number: "4.1a", text: "Mulai 1 Januari 2024, karyawan dengan jam tidur kurang dari 6 jam tidak diizinkan bekerja."}
""",
    "parameters.yaml": """\
parameters:
  sleep_min_h:
    values:
      2020-01-01: 4
      2024-01-01: {value: 6, clause: "4.1a"}
    unit: h
    clause: "4.1"
""",
    "facts.yaml": """\
facts:
  sleep_record:
    subject: employee
    fields:
      employee: {type: string, required: true}
      date: {type: date, required: true}
      sleep_hours: {type: number, required: true}
""",
    "rules/sleep.yaml": """\
rules:
  - id: site-sleep.too-little
    title: Tidur kurang dari minimum
    clauses: ["4.1"]
    when:
      - fact: sleep_record
        as: s
        where: {sleep_hours: {lt: $sleep_min_h}}
    then:
      finding: {severity: major, message: "{$s.employee} slept {$s.sleep_hours} h (minimum {$sleep_min_h} h)"}
""",
}


def write_pack(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def engine(tmp_path):
    return patuh.Engine([write_pack(tmp_path / "site-sleep", PACK)])


def record(employee: str, day: str, hours: float) -> dict:
    return {"type": "sleep_record", "employee": employee, "date": day, "sleep_hours": hours}


def test_each_fact_is_judged_by_the_value_in_force_on_its_date(engine):
    result = engine.evaluate([record("E1", "2023-12-31", 5), record("E2", "2024-01-01", 5),
                              record("E3", "2023-12-31", 3.5)])
    assert sorted(f.subject.id for f in result.findings) == ["E2", "E3"]
    by = {f.subject.id: f for f in result.findings}
    assert by["E2"].message == "E2 slept 5 h (minimum 6 h)"
    assert by["E3"].message == "E3 slept 3.5 h (minimum 4 h)"
    new, old = by["E2"].parameters["sleep_min_h"], by["E3"].parameters["sleep_min_h"]
    assert (new.value, new.since, new.clause) == (6, dt.date(2024, 1, 1), "4.1a")
    assert (old.value, old.since, old.clause) == (4, dt.date(2020, 1, 1), "4.1")
    assert [(p.since, p.facts) for p in result.trace.packs] == [(None, 2), (dt.date(2024, 1, 1), 1)]


def test_an_override_replaces_the_dated_values(tmp_path):
    engine = patuh.Engine([write_pack(tmp_path / "site-sleep", PACK)],
                          config={"parameters": {"site-sleep": {"sleep_min_h": 5}}})
    result = engine.evaluate([record("E1", "2023-06-01", 4.5), record("E2", "2024-06-01", 5.5)])
    assert [f.subject.id for f in result.findings] == ["E1"]
    used = result.findings[0].parameters["sleep_min_h"]
    assert (used.value, used.since, used.source) == (5, None, "config")


def test_the_first_value_must_be_in_force_when_the_pack_takes_effect(tmp_path):
    files = dict(PACK, **{"parameters.yaml": PACK["parameters.yaml"].replace("2020-01-01: 4", "2021-01-01: 4")})
    folder = write_pack(tmp_path / "site-sleep", files)
    with pytest.raises(PackInvalid) as raised:
        patuh.load_pack(folder)
    (problem,) = raised.value.problems
    assert problem.where.file == str(folder / "parameters.yaml") and problem.where.line == 4
    assert "no value before 2021-01-01, but the pack takes effect on 2020-01-01" in problem.message


def test_a_dated_value_is_pointed_at_where_it_is_written(tmp_path):
    """A problem of the value from 2024-01-01 names its own line and column, not those of the
    first date: the position of a key that reads as a date is found by that date."""
    text = PACK["parameters.yaml"].replace('clause: "4.1a"', 'clause: "4.9"')
    folder = write_pack(tmp_path / "site-sleep", dict(PACK, **{"parameters.yaml": text}))
    with pytest.raises(PackInvalid) as raised:
        patuh.load_pack(folder)
    (problem,) = raised.value.problems
    line = text.splitlines().index('      2024-01-01: {value: 6, clause: "4.9"}') + 1
    assert (problem.where.line, problem.where.column) == (line, text.splitlines()[line - 1].index('"4.9"') + 1)
    assert problem.message == "parameter 'sleep_min_h' cites clause '4.9', which clauses.yaml lacks"


def test_value_and_values_exclude_each_other(tmp_path):
    both = PACK["parameters.yaml"].replace("    unit: h\n", "    value: 4\n    unit: h\n")
    files = dict(PACK, **{"parameters.yaml": both})
    folder = write_pack(tmp_path / "site-sleep", files)
    with pytest.raises(PackInvalid) as raised:
        patuh.load_pack(folder)
    assert any("cannot be given together with" in p.message for p in raised.value.problems), raised.value
