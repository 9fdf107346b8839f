"""Bad input never crashes, drops or bends data: the hostile-input pass, case by case.

Each case asserts the exact outcome: the findings, or the one error line and exit code 2. Every
evaluation runs in a forked child (conftest.run_isolated), so a crash in durable_rules' C core
fails the test instead of ending the run.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest
from conftest import cli, run_isolated
from patuh import fact_types
from patuh.problems import FactError

REPO = Path(__file__).resolve().parents[1]
WITA = dt.timezone(dt.timedelta(hours=8))

# An operator who slept 3 h before a day shift (6.1.1.1.2: under 4 h, barred), as a site's
# readiness form export holds it.
FORM = {"type": "readiness_form", "employee": "CK-0412", "date": "2026-03-02", "shift": "I", "sleep_hours": 3,
        "fit": True, "filled_at": "2026-03-02T05:10:00+08:00"}
# A complete Warning Level 1 report of the cab camera (6.3.2.3.1: time, employee, SN, hull number;
# 6.3.2.3.2: a photo), as a vendor's alarm export becomes it.
ALERT = {"type": "camera_alert", "alert": "warning_level_1", "employee": "CK-0519", "unit": "DT-1043",
         "time": "2026-03-02T14:03:10+08:00", "camera_sn": "FDC-0113", "evidence": "DT-1043-140310.jpg"}


def jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def evaluate(*argv: str) -> tuple[int, list[tuple[str, str]], str]:
    """`patuh eval --format json ARGV` in a child: exit code, (rule, subject) of each finding, stderr."""
    code, out, err = run_isolated(cli, "eval", "--pack", "fatigue", "--format", "json", *argv)
    findings = [(f["rule"], f["subject"]["id"]) for f in json.loads(out)["findings"]] if code == 0 else []
    return code, findings, err


def refused(*argv: str) -> tuple[int, list[str], str]:
    """A command expected to refuse its input: exit code, the error lines, stdout."""
    code, out, err = run_isolated(cli, *argv)
    return code, err.splitlines(), out


# -- numbers durable_rules could not read -------------------------------------------------------

def test_a_tiny_number_beside_another_form_loses_neither(tmp_path):
    # Python writes 0.00001 as 1e-05, which durable_rules' reader stopped at: this form and
    # every later one of the batch vanished ("0 findings from 2 facts", exit 0).
    facts = jsonl(tmp_path / "forms.jsonl", [dict(FORM, employee="CK-0001", sleep_hours=0.00001), FORM])
    code, findings, err = evaluate("--facts", str(facts))
    assert code == 0, err
    assert sorted(findings) == [("fatigue.sleep-under-4h", "CK-0001"), ("fatigue.sleep-under-4h", "CK-0412")]


def test_a_rule_reading_a_tiny_speed_does_not_crash(tmp_path):
    # Telemetry near standstill: 0.00001 km/h. A rule reads speed_kmh (overspeed bands); this
    # segfaulted (exit 139). At that speed no overspeed band applies: Action 1 of the alert only.
    facts = jsonl(tmp_path / "alerts.jsonl", [dict(ALERT, speed_kmh=0.00001)])
    code, findings, err = evaluate("--facts", str(facts))
    assert code == 0, err
    assert findings == [("fatigue.camera-wl1-action1", "CK-0519")]


def test_a_huge_speed_in_exponent_form_is_the_golden_rule(tmp_path):
    # 1e+16 km/h (a corrupt telemetry value, as Excel writes it): at or above 81 km/h, 8.1.4's
    # golden rule; not lost, not misread.
    alert = dict(ALERT, alert="overspeed", speed_kmh=1e16)
    code, findings, err = evaluate("--facts", str(jsonl(tmp_path / "a.jsonl", [alert])))
    assert code == 0, err
    assert sorted(findings) == [("fatigue.camera-overspeed-golden-rule", "CK-0519")]


def test_core_json_writes_exponents_the_core_reads():
    from patuh.runtime import core_json

    text = core_json([{"x": 1e-05, "y": 1.5e-07, "z": -2e+16, "n": 7, "s": "1e5 a:1e-05, [2e3]"}])
    assert text == '[{"x": 1.0e-05, "y": 1.5e-07, "z": -2.0e+16, "n": 7, "s": "1e5 a:1e-05, [2e3]"}]'
    assert json.loads(text) == [{"x": 1e-05, "y": 1.5e-07, "z": -2e16, "n": 7, "s": "1e5 a:1e-05, [2e3]"}]


def test_a_batch_writes_only_its_facts_with_exponents_the_slow_way():
    from patuh.runtime import batch_json

    batch = [{"sid": "s1", "id": "0", "unit": "HD-785", "speed_kmh": 42},
             {"sid": "s1", "id": "1", "speed_kmh": 1e16, "sleep_hours": 0.00001},
             {"sid": "s1", "id": "2", "fid": "#roster:4e1f", "date": 19723}]
    text = batch_json(batch)
    assert json.loads(text) == batch
    assert text == ('[{"sid":"s1","id":"0","unit":"HD-785","speed_kmh":42},'
                    '{"sid": "s1", "id": "1", "speed_kmh": 1.0e+16, "sleep_hours": 1.0e-05},'
                    '{"sid":"s1","id":"2","fid":"#roster:4e1f","date":19723}]')


def test_a_batch_the_core_stops_reading_is_an_error_not_a_silence(tmp_path, monkeypatch):
    # Without the encoding fix, the core drops the rest of the batch and says nothing: the marker
    # at the end of every batch must catch that.
    import patuh.runtime

    monkeypatch.setattr(patuh.runtime, "core_json", lambda value: json.dumps(value, ensure_ascii=False))
    facts = jsonl(tmp_path / "forms.jsonl", [dict(FORM, employee="CK-0001", sleep_hours=0.00001), FORM])
    code, lines, out = refused("eval", "--pack", "fatigue", "--facts", str(facts))
    assert code == 1 and out == ""
    assert len(lines) == 1 and "did not read every fact given to session" in lines[0], lines


def test_an_integer_beyond_64_bits_is_refused(tmp_path):
    facts = jsonl(tmp_path / "a.jsonl", [dict(ALERT, speed_kmh=10**30)])
    code, lines, out = refused("eval", "--pack", "fatigue", "--facts", str(facts))
    assert (code, out) == (2, "")
    assert lines == [f"error: {facts}:1:1: camera_alert.speed_kmh: {10**30} is beyond the 64-bit integers the "
                     "engine compares (at most 9,223,372,036,854,775,807 either way)"]


# -- YAML 1.1 readings that bent values ---------------------------------------------------------

FORM_YAML = """\
- type: readiness_form
  employee: 0123
  date: 2026-03-02
  shift: I
  sleep_hours: {hours}
  fit: true
"""


def test_yaml_keeps_an_employee_number_with_a_leading_zero(tmp_path):
    # YAML 1.1 read 0123 as the octal 83: another employee's id.
    facts = tmp_path / "forms.yaml"
    facts.write_text(FORM_YAML.format(hours=3))
    code, out, err = run_isolated(cli, "eval", "--pack", "fatigue", "--facts", str(facts), "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    assert [(f["rule"], f["subject"]["id"]) for f in result["findings"]] == [("fatigue.sleep-under-4h", "0123")]
    assert [f["employee"] for f in result["facts"].values()] == ["0123"]


@pytest.mark.parametrize("hours", ["3:30", "12:30"])
def test_yaml_base_60_is_refused_not_read_as_minutes(tmp_path, hours):
    # YAML 1.1 read 3:30 as 210 (hours!) and 12:30 as 750: a 3.5 h sleeper passed as rested.
    facts = tmp_path / "forms.yaml"
    facts.write_text(FORM_YAML.format(hours=hours))
    code, lines, out = refused("eval", "--pack", "fatigue", "--facts", str(facts))
    assert (code, out) == (2, "")
    assert lines == [f"error: {facts}:1:3: readiness_form.sleep_hours: expected a number, e.g. 6.5 or 6,5, found "
                     f"{hours!r}"]


def test_detect_forms_keeps_yaml_text_too(tmp_path):
    facts = tmp_path / "forms.yaml"
    facts.write_text(FORM_YAML.format(hours=8))
    code, out, err = cli("detect", "forms", str(facts), "--type", "readiness_form")
    assert code == 0, err
    assert json.loads(out)["employee"] == "0123"


@pytest.mark.parametrize("value, found", [({"a": 1}, "a mapping {'a': 1}"), (["CK-1"], "a list ['CK-1']"),
                                          (12.5, "the number 12.5; write it in quotes"),
                                          (True, "true/false True; write it in quotes")])
def test_a_text_field_refuses_what_is_not_text(tmp_path, value, found):
    facts = jsonl(tmp_path / "f.jsonl", [dict(FORM, employee=value)])
    code, lines, out = refused("eval", "--pack", "fatigue", "--facts", str(facts))
    assert (code, out) == (2, "")
    assert lines == [f"error: {facts}:1:1: readiness_form.employee: expected text, found {found}"]


# -- parameters -------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_a_site_config_refuses_a_number_that_is_not_finite(tmp_path, value):
    # .nan made every comparison false: the sleep rule was silently off.
    config = tmp_path / "site.yaml"
    config.write_text(f"parameters:\n  fatigue:\n    sleep_minimum_h: {value}\n")
    facts = jsonl(tmp_path / "f.jsonl", [FORM])
    code, lines, out = refused("eval", "--pack", "fatigue", "--facts", str(facts), "--config", str(config))
    shown = {".nan": "nan", ".inf": "inf", "-.inf": "-inf"}[value]
    assert (code, out) == (2, "")
    assert lines == [f"error: {config}:3:5: fatigue.sleep_minimum_h: {shown} is not a finite number"]


def small_pack(tmp_path: Path, rules: str, parameters: str = "") -> Path:
    """A pack of its own (a company's procedure) with one fact type and the given rules."""
    pack = tmp_path / "mini"
    (pack / "rules").mkdir(parents=True)
    (pack / "pack.yaml").write_text(
        "name: mini\nversion: 1.0.0\nlanguage: en\npartition_by: employee\n"
        "document: {number: SOP-1, title: Mini, issuer: ACME, revision: '1', effective: 2026-01-01}\n")
    (pack / "clauses.yaml").write_text("clauses:\n  - {number: '1', text: Checks happen daily.}\n")
    (pack / "facts.yaml").write_text(
        "facts:\n  check:\n    subject: employee\n    fields:\n"
        "      employee: {type: string, required: true}\n      date: {type: date, required: true}\n"
        "      n: {type: integer}\n")
    (pack / "parameters.yaml").write_text("parameters:\n" + (parameters or "  step: {value: 1, clause: '1'}\n"))
    (pack / "rules" / "r.yaml").write_text(rules)
    return pack


NEXT_DAY = """\
rules:
  - id: mini.next
    title: next check
    clauses: ['1']
    when:
      - fact: check
        as: a
    then:
      derive:
        - type: check
          fields: {employee: $a.employee, date: "$a.date + %s d"}
"""


AGAIN = """\
rules:
  - id: mini.again
    title: a second check within a window
    clauses: ['1']
    when:
      - fact: check
        as: first
      - fact: check
        as: again
        where:
          employee: $first.employee
          date: {gt: $first.date, le: $first.date + two d}
    then:
      finding: {severity: minor, message: "{$again.employee} checked again"}
"""


def test_lint_refuses_an_amount_that_is_not_a_number(tmp_path):
    # `plus: "two"` passed lint and failed at run time; a shift by a parameter holding text must not.
    pack = small_pack(tmp_path, AGAIN.replace("+ two d", "+ $window d"),
                      parameters="  window: {value: two, clause: '1'}\n")
    code, lines, _ = refused("lint", str(pack))
    assert code == 2
    assert lines == [f"error: {pack}/rules/r.yaml:12:39: $first.date + $window d: + $window: expected a number, "
                     "found 'two'"]


def test_lint_refuses_an_amount_written_as_a_word(tmp_path):
    pack = small_pack(tmp_path, AGAIN)
    code, lines, _ = refused("lint", str(pack))
    assert code == 2
    assert lines == [f"error: {pack}/rules/r.yaml:12:39: '$first.date + two d': 'two' is neither a number nor a "
                     "reference (a parameter is $two); expected $parameter, $alias.field or $alias.n, joined by "
                     "+ - * / (an amount added to a time or date with its unit: s, min, h, d, mo, y)"]


def test_lint_refuses_an_amount_that_is_not_a_number_in_a_derived_field(tmp_path):
    pack = small_pack(tmp_path, NEXT_DAY % "$window", parameters="  window: {value: two, clause: '1'}\n")
    code, lines, _ = refused("lint", str(pack))
    assert code == 2
    assert f"error: {pack}/rules/r.yaml:11:49: $a.date + $window d: + $window: expected a number, found 'two'" in lines


def test_lint_refuses_a_parameter_that_is_not_finite(tmp_path):
    pack = small_pack(tmp_path, NEXT_DAY % "$step", parameters="  step: {value: .nan, clause: '1'}\n")
    code, lines, _ = refused("lint", str(pack))
    assert code == 2
    assert f"error: {pack}/parameters.yaml:2:17: parameter 'step': nan is not a finite number" in lines


# -- derivations without end ---------------------------------------------------------------------

def test_lint_finds_a_derivation_cycle_that_makes_new_values(tmp_path):
    # Each check derives the check of the next day: forward chaining would never end.
    pack = small_pack(tmp_path, NEXT_DAY % "$step")
    code, lines, _ = refused("lint", str(pack))
    assert code == 2
    assert lines == [f"error: {pack}/rules/r.yaml:11:49: derives check.date as a computed value from a check fact, "
                     "and check facts lead back to check facts through the rules: every round would make a new "
                     "fact, without end; break the cycle (derive another type, or copy the value unchanged)"]


def test_the_engine_stops_a_runaway_derivation_naming_its_rules(tmp_path, monkeypatch):
    # Should a cycle get past lint, the run stops at a bound with an error, not at the calendar's end.
    import patuh.check

    monkeypatch.setattr(patuh.check, "_derivation_cycles", lambda rules: [])
    pack = small_pack(tmp_path, NEXT_DAY % "$step")
    facts = jsonl(tmp_path / "c.jsonl", [{"type": "check", "employee": "CK-1", "date": "2026-03-02"}])
    code, lines, out = refused("eval", "--pack", str(pack), "--facts", str(facts))
    assert (code, out) == (2, "")
    assert len(lines) == 1 and lines[0].startswith(f"error: {pack}/rules/r.yaml:10:9: rule mini.next keeps deriving "
                                                   "new facts: 65 facts in 65 rounds from 1 given"), lines


# -- dates and clock times as Indonesian registers write them -----------------------------------

# 05:30 WITA on 2 March 2026, as forms and exports write it: a dot in the clock ("pukul 05.30"),
# the month by its name, the zone by its name (WIB +07:00, WITA +08:00, WIT +09:00).
@pytest.mark.parametrize("text", ["2026-03-02 05.30 WITA", "02/03/2026 05.30 WITA", "2 Maret 2026 05:30 WITA",
                                  "02-Mar-2026 05.30.00 WITA", "2026/03/02 05:30 WITA", "2026-03-02 06.30 WIT",
                                  "2026-03-02 04.30 wib", "2026-03-02T05:30+08:00 WITA"])
def test_a_clock_with_a_dot_a_month_by_name_and_a_zone_by_name_are_read_as_written(text):
    # Python's own reader took "05.30" as 05:00:00.3, half an hour early, and said nothing.
    checked = fact_types().check(dict(FORM, filled_at=text))
    assert checked["filled_at"].timestamp() == dt.datetime(2026, 3, 2, 5, 30, tzinfo=WITA).timestamp()


@pytest.mark.parametrize("text", ["2026-03-02", "02/03/2026", "2 Maret 2026", "2026/03/02"])
def test_a_date_alone_in_a_time_field_is_its_midnight_however_it_is_written(text):
    # as an Excel date cell and ISO text were; day first and a month by name were refused, so a near
    # miss dated 02/03/2026 in an incident register could not be read
    checked = fact_types().check(dict(FORM, filled_at=text))
    assert checked["filled_at"] == dt.datetime(2026, 3, 2, tzinfo=fact_types().zone)


@pytest.mark.parametrize("text", ["2026-03-02 05.5", "2026-03-02 05:30.5", "2026-03-02T05,5", "2026-03-02T0530.5"])
def test_a_fraction_of_an_hour_or_a_minute_is_refused_not_read_as_seconds(text):
    with pytest.raises(FactError, match=r"readiness_form.filled_at: a fraction of an hour or a minute is not read"):
        fact_types().check(dict(FORM, filled_at=text))


@pytest.mark.parametrize("field, text, problem", [
    ("filled_at", "2026-03-02T05:30+07:00 WITA", "two zones that differ"),
    ("filled_at", "2026-03-02 24.10", "no such date and time"),
    ("filled_at", "2026-03-02-05.30", "expected a date and time"),  # Python's reader: 05:00:00.3 again
    ("date", "31 Februari 2026", "no such date"),
    ("date", "3 Marz 2026", "expected a date as 2026-03-02 or 02/03/2026"),
    ("date", "3 Maret 26", "expected a date as 2026-03-02 or 02/03/2026")])  # which century: not guessed
def test_a_date_or_time_that_is_not_one_is_refused(field, text, problem):
    with pytest.raises(FactError, match=re.escape(f"readiness_form.{field}: {problem}")):
        fact_types().check(dict(FORM, **{field: text}))


@pytest.mark.parametrize("text, reading", [("1.000", "1000 or 1.000"), ("2,000", "2000 or 2.000"),
                                           ("12.500", "12500 or 12.500")])
def test_a_number_that_reads_two_ways_is_refused(text, reading):
    # 2.000 workers is two thousand in an Indonesian register and 2 in an English one: never a guess
    with pytest.raises(FactError, match=re.escape(f"readiness_form.sleep_hours: '{text}' could be {reading}")):
        fact_types().check(dict(FORM, sleep_hours=text))
    assert fact_types().check(dict(FORM, sleep_hours="0,125"))["sleep_hours"] == 0.125  # no thousands start with 0


def test_a_form_filled_at_18_30_for_an_18_00_shift_is_late(tmp_path):
    # A night shift starting 18.00 and its readiness form filled at 18.30, as the site's sheet
    # writes both: read as 18:00:00.3, the form was "on time" by a third of a second.
    roster = {"type": "roster", "employee": "CK-0412", "date": "2 Maret 2026", "shift": "II",
              "start": "02/03/2026 18.00", "end": "03/03/2026 06.00", "mobile_equipment": True}
    form = dict(FORM, date="2 Maret 2026", shift="II", sleep_hours=7.5, filled_at="02/03/2026 18.30")
    code, findings, err = evaluate("--facts", str(jsonl(tmp_path / "f.jsonl", [roster, form])),
                                   "--as-of", "2026-03-02 19.00")
    assert (code, err) == (0, "")
    assert findings == [("fatigue.readiness-form-late", "CK-0412")]


# -- what used to end in a traceback -------------------------------------------------------------

@pytest.mark.parametrize("field, value", [("date", "0001-01-01"), ("date", "9999-12-31"),
                                          ("filled_at", "0001-01-01T00:00:00+08:00"),
                                          ("filled_at", "9999-12-31T23:59:59-08:00")])
def test_dates_at_the_ends_of_the_calendar_are_refused(tmp_path, field, value):
    facts = jsonl(tmp_path / "f.jsonl", [dict(FORM, **{field: value})])
    code, lines, out = refused("eval", "--pack", "fatigue", "--facts", str(facts))
    assert (code, out) == (2, "")
    shown = value.replace("T", "T") if field == "date" else value
    assert lines == [f"error: {facts}:1:1: readiness_form.{field}: {shown} is outside the dates patuh judges "
                     "(1900-01-01 to 2199-12-31)"]


def test_json_nested_fifty_thousand_levels(tmp_path):
    facts = tmp_path / "deep.json"
    facts.write_text("[" * 50_000 + "]" * 50_000)
    code, lines, out = refused("eval", "--pack", "fatigue", "--facts", str(facts))
    assert (code, out, lines) == (2, "", [f"error: {facts}: nested deeper than patuh reads (at most 64 levels)"])


def test_a_list_field_nested_300_levels(tmp_path):
    deep = json.loads("[" * 300 + "]" * 300)
    facts = jsonl(tmp_path / "a.jsonl", [dict(ALERT, frames=deep)])
    code, lines, out = refused("eval", "--pack", "fatigue", "--facts", str(facts))
    assert (code, out) == (2, "")
    assert lines == [f"error: {facts}:1:1: camera_alert.frames: nested more than 8 levels deep"]


def test_a_lone_surrogate_is_refused(tmp_path):
    facts = tmp_path / "a.jsonl"
    facts.write_text(json.dumps(dict(ALERT, employee="CK-\ud800")) + "\n")  # json writes it as \ud800
    code, lines, out = refused("eval", "--pack", "fatigue", "--facts", str(facts))
    assert (code, out) == (2, "")
    assert lines == [f"error: {facts}:1:1: camera_alert.employee: not valid Unicode: a lone surrogate '\\ud800' at "
                     "character 4 (a broken encoding upstream)"]


LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{b}: &{b} [{', '.join(['*' + a] * 10)}]\n" for a, b in zip("abcdefg", "bcdefgh", strict=True))


def test_a_billion_laughs_facts_file_is_refused(tmp_path):
    facts = tmp_path / "laughs.yaml"
    facts.write_text(LAUGHS)
    code, lines, out = refused("eval", "--pack", "fatigue", "--facts", str(facts))
    assert (code, out) == (2, "")
    assert lines == [f"error: {facts}:1:1: invalid YAML: its aliases expand 27 values to 123,456,797; at most 10 "
                     "times the document's own"]


def test_a_billion_laughs_inside_a_pack_is_refused(tmp_path):
    pack = small_pack(tmp_path, NEXT_DAY % "$step")
    (pack / "clauses.yaml").write_text("clauses:\n  - {number: '1', text: Checks happen daily.}\n" + LAUGHS)
    code, lines, _ = refused("lint", str(pack))
    assert code == 2
    assert any(line.startswith(f"error: {pack}/clauses.yaml:1:1: invalid YAML: its aliases expand") for line in lines)


# -- smaller --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["empty.jsonl", "empty.json", "empty.yaml"])
def test_an_empty_facts_file_holds_no_facts_in_every_format(tmp_path, name):
    facts = tmp_path / name
    facts.write_text("\n")
    code, out, err = run_isolated(cli, "eval", "--pack", "fatigue", "--facts", str(facts))
    assert (code, err) == (0, "")
    assert out.endswith("0 findings from 0 facts\n")


def test_every_bad_record_is_reported_with_every_field(tmp_path):
    facts = jsonl(tmp_path / "f.jsonl", [FORM, dict(FORM, sleep_hours="lama"), FORM,
                                        dict(FORM, shift="III", date="2026-02-30")])
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps(FORM) + "\n{not json\n")
    code, lines, out = refused("eval", "--pack", "fatigue", "--facts", str(facts), str(broken))
    assert (code, out) == (2, "")
    assert lines == [
        f"error: {facts}:2:1: readiness_form.sleep_hours: expected a number, e.g. 6.5 or 6,5, found 'lama'",
        f"error: {facts}:4:1: readiness_form.date: expected a date that exists, found '2026-02-30' (no such date: "
        "day is out of range for month); readiness_form.shift: expected one of I, II, found 'III'",
        f"error: {broken}:2:2: invalid JSON: Expecting property name enclosed in double quotes",
    ]


def test_deeply_nested_yaml_is_said_to_be_too_deep(tmp_path):
    facts = tmp_path / "deep.yaml"
    facts.write_text("- " + "[" * 2000 + "]" * 2000 + "\n")
    code, lines, out = refused("eval", "--pack", "fatigue", "--facts", str(facts))
    assert (code, out) == (2, "")
    assert len(lines) == 1 and re.fullmatch(
        rf"error: {re.escape(str(facts))}:1:\d+: invalid YAML: nested deeper than the YAML parser reads "
        r"\(patuh takes at most 64 levels\)", lines[0]), lines


def test_derived_facts_keep_their_source_whatever_the_input_order(tmp_path):
    # Two readiness forms under 4 h on consecutive days: the sleep_unfit facts derived from them
    # carry their derivation; the example site's roster and forms, read forwards and backwards,
    # must give the same result byte for byte.
    site = REPO / "examples" / "site"
    records = [json.loads(line) for name in ("roster.jsonl", "readiness_forms.jsonl")
               for line in (site / name).read_text().splitlines() if line.strip()]
    forwards = jsonl(tmp_path / "forwards.jsonl", [{k: v for k, v in r.items() if k != "source"} for r in records])
    backwards = jsonl(tmp_path / "backwards.jsonl", [{k: v for k, v in r.items() if k != "source"}
                                                     for r in reversed(records)])
    config = str(site / "config.yaml")
    one = run_isolated(cli, "eval", "--pack", "fatigue", "--facts", str(forwards), "--config", config,
                       "--format", "json")
    two = run_isolated(cli, "eval", "--pack", "fatigue", "--facts", str(backwards), "--config", config,
                       "--format", "json")
    assert one[0] == two[0] == 0, (one[2], two[2])
    first, second = json.loads(one[1]), json.loads(two[1])
    assert first["derivations"] and first["derivations"] == second["derivations"]
    assert first["findings"] == second["findings"]


def test_a_vendor_report_with_an_excel_exponent_speed_end_to_end(tmp_path):
    # Excel writes 0.00001 as 1E-05; through `detect alerts` this crashed `eval` (exit 139).
    report = tmp_path / "alarm.csv"
    report.write_text(
        "No,Time,Driver ID,Driver Name,Hull No,Alert Type,Speed,SN,Snapshot URL\n"
        "1,02/03/2026 10:42:15,CK-10183,Putra Sembiring,OHT-7711,Fatigue Level 1,1E-05,MDVR-7711,"
        "https://fatigue.vendor.example/alarm/MDVR-7711/20260302104215.jpg\n", encoding="utf-8")
    code, out, err = cli("detect", "alerts", str(report), "--config", str(REPO / "examples" / "site" / "config.yaml"))
    assert code == 0, err
    assert json.loads(out)["speed_kmh"] == 1e-05
    facts = tmp_path / "alerts.jsonl"
    facts.write_text(out)
    code, findings, err = evaluate("--facts", str(facts))
    assert code == 0, err
    assert findings == [("fatigue.camera-wl1-action1", "CK-10183")]


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path, monkeypatch, capsys):
    # `patuh eval | head`: no traceback when standard output is closed under us.
    class Closed:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            pass

        def fileno(self):
            return os.open(os.devnull, os.O_WRONLY)

    facts = jsonl(tmp_path / "f.jsonl", [FORM])
    from patuh.cli import main

    monkeypatch.setattr("sys.stdout", Closed())
    assert main(["eval", "--pack", "fatigue", "--facts", str(facts)]) == 141
    assert capsys.readouterr().err == ""


def test_json_refuses_a_key_given_twice(tmp_path):
    facts = tmp_path / "f.jsonl"
    facts.write_text('{"type": "readiness_form", "employee": "CK-0412", "employee": "CK-0519", "date": "2026-03-02", '
                     '"shift": "I", "sleep_hours": 3}\n')
    code, lines, out = refused("eval", "--pack", "fatigue", "--facts", str(facts))
    assert (code, out) == (2, "")
    assert lines == [f"error: {facts}:1:1: invalid JSON: key 'employee' given twice in one object (one value "
                     "would be lost)"]


def test_a_json_export_with_a_byte_order_mark_reads(tmp_path):
    facts = tmp_path / "f.json"
    facts.write_bytes(b"\xef\xbb\xbf" + json.dumps([FORM]).encode())
    code, findings, err = evaluate("--facts", str(facts))
    assert (code, findings) == (0, [("fatigue.sleep-under-4h", "CK-0412")]), err


def test_a_device_named_as_facts_is_refused_not_read(tmp_path):
    link = tmp_path / "zero.jsonl"
    link.symlink_to("/dev/zero")
    code, lines, out = refused("eval", "--pack", "fatigue", "--facts", str(link))
    assert (code, out, lines) == (2, "", [f"error: {link}: cannot read facts file: a device, not a file"])


def test_the_api_names_a_pack_argument_that_is_neither_a_name_nor_a_folder():
    from patuh import Engine
    from patuh.problems import SourceError

    with pytest.raises(SourceError, match="123: expected a pack name or a pack folder"):
        Engine([123])


@pytest.mark.parametrize("given", ["~session", "~end:1"])
def test_an_id_cannot_pose_as_one_of_the_engines_own_facts(tmp_path, given):
    # A fact whose id matched the session's start marker was taken as already asserted: dropped.
    facts = jsonl(tmp_path / "f.jsonl", [dict(FORM, id=given)])
    code, lines, out = refused("eval", "--pack", "fatigue", "--facts", str(facts))
    assert (code, out) == (2, "")
    assert lines == [f"error: {facts}:1:1: readiness_form.id: {given!r}: ids starting with ~ are the engine's own"]


# -- a record's source ---------------------------------------------------------------------------

@pytest.mark.parametrize(("source", "problem"), [
    (["forms.xlsx", 4], "expected a mapping (detector, file, row, ...)"),
    ({"file": "forms.xlsx", "row": 2**64}, "beyond the 64-bit integers"),
    ({"file": "forms\udc80.xlsx", "row": 4}, "a lone surrogate"),
    ({"file": "forms.xlsx", "row": float("nan")}, "is not a finite number"),
    ({"file": "forms.xlsx", "cells": [[[[[[[[["A1"]]]]]]]]]}, "nested more than 8 levels deep"),
    ({"file": "forms.xlsx", "checked": {1, 2}}, "expected text, numbers, true/false and lists of them"),
])
def test_a_source_the_store_could_not_keep_is_refused_by_name(source, problem):
    # A source is the auditor's way back to the evidence, written by readers as {file, row} and
    # by host apps as they like: one that cannot be stored and compared as given is an error at
    # the record, never kept bent or dropped.
    with pytest.raises(FactError) as raised:
        fact_types().check({**FORM, "source": source}, "record 3")
    assert str(raised.value).startswith("record 3: readiness_form.source: ") and problem in str(raised.value)


@pytest.mark.parametrize("source", [
    {"file": "forms.xlsx", "sheet": "Maret", "row": 4},
    {"file": "Formulir kesiapan kerja – Maret.xlsx", "row": -1},
    {"detector": "camera", "frames": [1520, 1622], "confidence": 0.93, "reviewed": True, "note": None},
    {},
])
def test_a_source_that_fits_is_kept_as_given(source):
    assert fact_types().check({**FORM, "source": source}, "record 3")["source"] == source
