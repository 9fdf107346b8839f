"""Property-based tests (hypothesis) over every way in: the fact checker, the YAML and JSON
readers, the detectors' readers, the site config and the engine itself.

Each property says what must hold for ANY input, not for an example: a reader returns records or
raises its own error naming the place (never another exception); a value that is accepted is
kept as it was given; the engine's findings agree with a plain-Python reading of the rule and do
not depend on the order of the facts. Engine runs happen in a forked child (conftest), so a crash
of durable_rules' C core fails the example instead of the whole run. `make test` runs a bounded
number of examples (profile "ci"); `make fuzz` runs many more.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import random

from conftest import cli, run_isolated
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from patuh import Engine
from patuh.config import load_config, settle_parameters
from patuh.documents import parse
from patuh.facts import read_records
from patuh.limits import FIRST_DATE, LAST_DATE, MAX_INT
from patuh.problems import ConfigError, FactError, FactsInvalid, SourceError

ENGINE = Engine(["fatigue"])
TYPES = ENGINE.types

surrogates = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)
scalars = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-2**70, max_value=2**70)
           | st.floats() | st.text(max_size=20) | surrogates
           | st.dates().map(str) | st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                            max_size=3), max_leaves=8)


def fields_of(kind: str) -> dict[str, dict]:
    return TYPES.declarations[kind]["fields"]


# Values of each declared type as forms and files give them, and some that do not fit.
typed_values = {
    "string": st.text(max_size=12) | st.integers(-10**6, 10**6) | st.sampled_from(["I", "II", "OHT", "fatigued"]),
    "boolean": st.booleans() | st.sampled_from(["Ya", "tidak", "Y", "0", 1, "T"]),
    "number": st.integers(-10**6, 10**6) | st.floats(allow_nan=False, width=32) | st.sampled_from(["6,5", "7"]),
    "integer": st.integers(-10**6, 10**6) | st.sampled_from([7.0, 7.5, "7,0"]),
    "date": st.dates(dt.date(1990, 1, 1), dt.date(2040, 12, 31)).map(lambda d: d.isoformat()) | st.dates(),
    "datetime": st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2040, 1, 1), timezones=st.none()
                             | st.timezones()).map(lambda d: d.isoformat()) | st.sampled_from(["02/03/2026 05:30"]),
    "list": st.lists(st.integers(0, 9), max_size=3),
}


@st.composite
def fitting_records(draw):
    """A record of a declared type whose fields mostly get values of their own type."""
    kind = draw(st.sampled_from(sorted(t for t, d in TYPES.declarations.items() if not d.get("derived"))))
    record = {"type": kind}
    for name, spec in fields_of(kind).items():
        if spec.get("required") or draw(st.booleans()):
            given = typed_values[spec["type"]] if draw(st.integers(0, 19)) else values
            record[name] = draw(st.sampled_from(spec["values"]) if spec.get("values") and draw(st.integers(0, 3))
                                else given)
    if draw(st.integers(0, 19)) == 0:
        record[draw(st.text(max_size=6))] = draw(values)  # a field the type does not declare
    return record


def _typed(values: dict) -> list:
    return sorted((k, type(v).__name__, repr(v)) for k, v in values.items())


@settings(max_examples=500)  # no engine run: many examples take a second
@given(fitting_records())
def test_the_generated_checker_of_a_type_agrees_with_the_field_by_field_check(record):
    """Each type's generated checker takes the usual record fast and leaves the rest to the full
    check: what it accepts, the full check makes the same (value and type, fact and encoding),
    and what the full check refuses, it never accepts."""
    quick = TYPES._quick[record["type"]](record)
    try:
        full = TYPES._fields_of(record["type"], record, "record 1")
    except FactError:
        assert quick is None
        return
    if quick is not None:
        assert [_typed(d) for d in quick] == [_typed(d) for d in full]


@st.composite
def records(draw):
    """A record of a declared type whose fields get arbitrary values (or are left out)."""
    kind = draw(st.sampled_from(sorted(t for t, d in TYPES.declarations.items() if not d.get("derived"))))
    record = {"type": kind}
    for name in fields_of(kind):
        if draw(st.booleans()):
            record[name] = draw(values)
    if draw(st.integers(0, 9)) == 0:
        record[draw(st.text(max_size=6))] = draw(values)  # a field the type does not declare
    return record


@given(records())
def test_the_checker_accepts_or_names_the_problem_and_never_bends_a_value(record):
    try:
        fact = TYPES.check(record, "record 1")
    except FactError as exc:
        assert str(exc).startswith("record 1: ") and exc.message
        return
    for name, given_value in record.items():
        if name == "type" or given_value is None:
            continue
        ftype = fields_of(record["type"])[name]["type"]
        kept = fact[name]
        if ftype == "string":
            assert kept == (given_value if isinstance(given_value, str) else str(given_value))
        elif ftype in ("number", "integer"):
            assert not isinstance(kept, bool) and math.isfinite(kept) and abs(kept) <= MAX_INT
            expected = float(given_value.replace(",", ".")) if isinstance(given_value, str) else given_value
            assert kept == expected  # the same number, however written (6.5 or 6,5)
        elif ftype == "date":
            assert FIRST_DATE <= kept <= LAST_DATE
        elif ftype == "datetime":
            assert kept.tzinfo is not None and FIRST_DATE <= kept.date() <= LAST_DATE
        elif ftype == "list":
            assert kept == (json.loads(given_value) if isinstance(given_value, str) else given_value)  # a cell's [1, 2]
    assert TYPES.check(fact, "again")["id"] == fact["id"]  # checking a checked fact changes nothing


@given(st.text(max_size=200))
def test_the_yaml_reader_returns_a_document_or_says_where_it_failed(text):
    try:
        parse(text, "f.yaml")
    except SourceError as exc:
        assert exc.where.file == "f.yaml"


@given(st.text(st.characters(exclude_categories=["Cs", "Cc", "Co", "Cn", "Zl", "Zp"], exclude_characters="\ufeff")
               | st.sampled_from("\t\n\r\x00\x1b"), max_size=40))
def test_yaml_keeps_any_quoted_text(text):
    # Written as JSON writes a string (control characters escaped), which YAML reads as its own.
    assert parse(f"v: {json.dumps(text, ensure_ascii=False)}", "f.yaml").data == {"v": text}


@given(st.from_regex(r"0[0-9]{1,6}|[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?|[0-9]+_[0-9]+|0o[0-7]+|0x[0-9a-f]+|yes|no|on|off|y|n",
                     fullmatch=True))
def test_yaml_never_reads_a_1_1_number_or_boolean_out_of_plain_text(text):
    # YAML 1.1 read these as octal, base-60, underscored or hex numbers and as booleans.
    assert parse(f"v: {text}", "f.yaml").data == {"v": text}


@given(st.integers(min_value=-10**30, max_value=10**30) | st.floats(allow_nan=False, allow_infinity=False))
def test_yaml_reads_numbers_as_json_writes_them(number):
    assert parse(f"v: {json.dumps(number)}", "f.yaml").data == {"v": number}


@given(st.binary(max_size=300), st.sampled_from([".json", ".jsonl", ".yaml"]))
def test_a_facts_file_of_any_bytes_reads_or_is_refused_with_its_name(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("facts") / f"f{suffix}"
    path.write_bytes(data)
    try:
        read_records(path)
    except (SourceError, FactsInvalid) as exc:
        problems = exc.problems if isinstance(exc, FactsInvalid) else [exc]
        assert problems and all(p.where.file.startswith(str(path)) for p in problems)


@given(st.lists(st.lists(st.text(max_size=12), min_size=1, max_size=6), max_size=6), st.sampled_from([",", ";"]))
def test_the_forms_detector_reads_any_csv_or_names_each_problem(tmp_path_factory, rows, delimiter):
    path = tmp_path_factory.mktemp("forms") / "forms.csv"
    header = ["NIK", "Tanggal", "Shift", "Jam Tidur"]
    path.write_text("\n".join(delimiter.join(r) for r in [header] + rows) + "\n", encoding="utf-8")
    code, out, err = cli("detect", "forms", str(path), "--type", "readiness_form")
    assert code in (0, 2)
    if code == 2:
        assert out == "" and err and all(line.startswith("error: ") for line in err.splitlines())
    else:
        assert all(json.loads(line)["type"] == "readiness_form" for line in out.splitlines())


@given(st.dictionaries(st.sampled_from(["timezone", "parameters", "other"]), values, max_size=3))
def test_a_site_config_loads_or_says_what_is_wrong(data):
    try:
        config = load_config(data)
        settle_parameters(ENGINE.packs, config)
    except (ConfigError, SourceError) as exc:
        assert exc.message


@given(st.dictionaries(st.sampled_from(["sleep_minimum_h", "sleep_no_work_below_h", "camera_wl1_closed_s"]),
                       scalars, min_size=1))
def test_parameter_overrides_are_refused_unless_finite_numbers(overrides):
    try:
        params = settle_parameters(ENGINE.packs, load_config({"parameters": {"fatigue": overrides}}))
    except ConfigError as exc:
        assert "fatigue." in exc.message
        return
    for name in overrides:
        settled = params[ENGINE.packs[0].label][name][-1].value
        assert isinstance(settled, (int, float)) and not isinstance(settled, bool) and math.isfinite(settled)


# -- the engine: findings agree with plain Python, whatever the numbers and the order -----------

def _sleep_findings(forms: list[dict], order: int) -> list[tuple[str, str]]:
    random.Random(order).shuffle(forms)
    result = ENGINE.evaluate(forms)
    return sorted((f.rule, f.subject.id) for f in result.findings)


hours = (st.floats(min_value=-1e20, max_value=1e20, allow_nan=False) | st.sampled_from([1e-05, 2e-07, 3.9999999, 4.0,
                                                                                      6.9999, 7, 1e16, -0.0])
         | st.integers(min_value=-10**6, max_value=10**6))


@given(st.lists(hours, min_size=1, max_size=12), st.integers(0, 1000))
def test_sleep_rules_judge_any_number_as_python_compares_it(sleep, order):
    forms = [{"type": "readiness_form", "employee": f"CK-{i:04d}", "date": "2026-03-02", "shift": "I",
              "sleep_hours": h, "fit": True, "filled_at": "2026-03-02T05:00:00+08:00"} for i, h in enumerate(sleep)]
    expected = sorted([("fatigue.sleep-under-4h", f["employee"]) for f in forms if f["sleep_hours"] < 4]
                      + [("fatigue.sleep-shortfall-survey", f["employee"]) for f in forms
                         if 4 <= f["sleep_hours"] < 7])
    assert run_isolated(_sleep_findings, forms, order) == expected


ALERTS = ["warning_level_1", "warning_level_2", "yawn", "face_missing", "camera_covered", "look_around", "smoking",
          "phone", "overspeed"]


@st.composite
def alert_logs(draw):
    """A day of one unit's camera alerts for a few operators, with every optional field maybe
    missing and speeds anywhere (including exponent-written ones)."""
    start = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    out = []
    for _ in range(draw(st.integers(1, 14))):
        alert = {"type": "camera_alert", "alert": draw(st.sampled_from(ALERTS))}
        if draw(st.integers(0, 5)):
            alert["employee"] = draw(st.sampled_from(["CK-0412", "CK-0519", "0123"]))
        if draw(st.integers(0, 5)):
            alert["time"] = (start + dt.timedelta(seconds=draw(st.integers(0, 86_400)))).isoformat()
        if draw(st.booleans()):
            alert["speed_kmh"] = draw(st.floats(min_value=0, max_value=200) | st.sampled_from([1e-05, 1e16, 55, 81]))
        for name, value in (("unit", "DT-1043"), ("camera_sn", "FDC-0113"), ("evidence", "a.jpg")):
            if draw(st.integers(0, 3)):
                alert[name] = value
        out.append(alert)
    return out


def _result_json(facts: list[dict], order: int) -> str:
    random.Random(order).shuffle(facts)
    # alerts without a time leave the evaluation time to the wall clock, which two runs read apart
    as_of = None if any("time" in f for f in facts) else "2026-03-03T06:00:00+08:00"
    return ENGINE.evaluate(facts, as_of=as_of).to_json()


@given(alert_logs(), st.integers(0, 1000))
def test_an_alert_log_gives_the_same_result_in_any_order(alerts, order):
    assume(len({json.dumps(a, sort_keys=True) for a in alerts}) == len(alerts))
    assert run_isolated(_result_json, list(alerts), 0) == run_isolated(_result_json, list(alerts), order)
