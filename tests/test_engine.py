"""The engine's promises: windows on event time, counts, absence, chaining, history, revisions
in force by date, isolation, determinism. Facts follow CK-PR-SHE-25's roster and forms."""
from __future__ import annotations

import datetime
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import patuh
import patuh.problems
import pytest
import yaml
from patuh.api import UnknownPack
from patuh.explain import explain

ROOT = Path(__file__).resolve().parent.parent
CAMERA = ROOT / "tests" / "packs" / "camera-demo"
FATIGUE = ROOT / "rulesets" / "fatigue"


def roster(emp, date, shift="I", **extra):
    start, end = ("06:00", "18:00") if shift == "I" else ("18:00", "06:00")
    end_date = date if shift == "I" else _next(date)
    return {"type": "roster", "employee": emp, "date": date, "shift": shift, "mobile_equipment": True,
            "start": f"{date}T{start}:00+08:00", "end": f"{end_date}T{end}:00+08:00", **extra}


def form(emp, date, sleep, shift="I", **extra):
    return {"type": "readiness_form", "employee": emp, "date": date, "shift": shift, "sleep_hours": sleep,
            "fit": True, "filled_at": f"{date}T05:00:00+08:00", **extra}


def alert(emp, time, kind="warning_level_1"):
    return {"type": "cam_alert", "employee": emp, "alert": kind, "time": time}


def _next(date: str) -> str:
    return (datetime.date.fromisoformat(date) + datetime.timedelta(days=1)).isoformat()


def rules_of(result):
    return sorted((f.rule, f.subject.id) for f in result.findings)


@pytest.fixture(scope="module")
def fatigue():
    return patuh.Engine(["fatigue"])


@pytest.fixture(scope="module")
def camera():
    return patuh.Engine([CAMERA], config={"timezone": "Asia/Makassar"})


# -- windows on event time ---------------------------------------------------------------------
@pytest.mark.parametrize("gap, fires", [("01:59", True), ("02:00", True), ("02:01", False)])
def test_again_within_two_hours_on_event_time(camera, gap, fires):
    h, m = map(int, gap.split(":"))
    second = f"2026-03-02T{8 + h:02d}:{m:02d}:00+08:00"
    result = camera.evaluate([alert("E1", "2026-03-02T08:00:00+08:00"), alert("E1", second)])
    assert (("demo.wl1-again-within-2h", "E1") in rules_of(result)) is fires


def test_absence_over_the_anchors_own_type_does_not_depend_on_input_order(camera):
    alerts = [alert("E1", "2026-03-02T08:00:00+08:00"), alert("E1", "2026-03-02T09:00:00+08:00"),
              alert("E1", "2026-03-02T12:00:00+08:00")]
    for order in (alerts, alerts[::-1], [alerts[1], alerts[2], alerts[0]]):
        firsts = sorted(f.message for f in camera.evaluate(order).findings if f.rule == "demo.first-wl1-in-window")
        assert firsts == ["E1: first Level 1 alert in 2 h at 2026-03-02 08:00 WITA",
                          "E1: first Level 1 alert in 2 h at 2026-03-02 12:00 WITA"]


def test_a_repeat_of_another_alert_type_or_employee_is_not_again(camera):
    result = camera.evaluate([alert("E1", "2026-03-02T08:00:00+08:00"),
                              alert("E1", "2026-03-02T08:30:00+08:00", "yawn"),
                              alert("E2", "2026-03-02T08:45:00+08:00")])
    assert [f for f in result.findings if f.rule == "demo.wl1-again-within-2h"] == []


def test_once_per_repeat_even_when_it_repeats_several_earlier_alerts(camera):
    times = ["08:00", "08:30", "09:00"]
    result = camera.evaluate([alert("E1", f"2026-03-02T{t}:00+08:00") for t in times])
    again = [f for f in result.findings if f.rule == "demo.wl1-again-within-2h"]
    # 08:30 repeats 08:00; 09:00 repeats both but is one finding, tied to the earliest first.
    assert len(again) == 2
    last = next(f for f in again if "09:00" in f.message)
    assert "first 2026-03-02 08:00" in last.message


def test_count_per_night_shift_crossing_midnight_and_alerts_outside_it(camera):
    shift = {"type": "shift_roster", "employee": "E1", "date": "2026-03-02", "shift": "II",
             "start": "2026-03-02T18:00:00+08:00", "end": "2026-03-03T06:00:00+08:00"}
    inside = [alert("E1", t) for t in ("2026-03-02T19:00:00+08:00", "2026-03-02T23:10:00+08:00",
                                        "2026-03-03T03:20:00+08:00")]
    outside = alert("E1", "2026-03-03T06:00:00+08:00")  # the end is exclusive
    assert ("demo.wl1-over-limit", "E1") in rules_of(camera.evaluate([shift] + inside))
    result = camera.evaluate([shift] + inside[:2] + [outside])
    assert ("demo.wl1-over-limit", "E1") not in rules_of(result)


def test_forward_chaining_three_steps_with_an_auditable_chain(camera):
    shift = {"type": "shift_roster", "employee": "E7", "date": "2026-03-02", "shift": "I",
             "start": "2026-03-02T06:00:00+08:00", "end": "2026-03-02T18:00:00+08:00"}
    alerts = [alert("E7", f"2026-03-02T{h}:00:00+08:00") for h in ("07", "10", "14")]
    result = camera.evaluate([shift] + alerts)
    coaching = next(f for f in result.findings if f.rule == "demo.coaching-finding")
    assert sorted(d.type for d in result.derived) == ["coaching_due", "stop_unit"]
    text = explain(result, coaching)
    # coaching_due <- stop_unit <- the shift and its three alerts
    assert "derived by rule demo.stop-then-coaching" in text
    assert "derived by rule demo.wl1-over-limit" in text
    for fact in alerts:
        assert fact["time"][11:16] in text.replace("T", " ")
    assert "1. Terdapat alert warning Level 1: > 2x/shift." in text


# -- absence, history, revisions ----------------------------------------------------------------
def test_absence_sees_forms_asserted_in_any_order(fatigue):
    facts = [form("E1", "2026-03-02", 8), roster("E1", "2026-03-02"), roster("E2", "2026-03-02")]
    for order in (facts, facts[::-1]):
        assert rules_of(fatigue.evaluate(order)) == [("fatigue.readiness-form-missing", "E2")]


def test_history_makes_next_day_repeat_and_is_not_reported_again(fatigue):
    day1 = form("E1", "2026-03-02", 3)
    first = fatigue.evaluate([day1])
    assert rules_of(first) == [("fatigue.sleep-under-4h", "E1")]
    second = fatigue.evaluate([form("E1", "2026-03-03", 2.5)], history=[day1])
    assert rules_of(second) == [("fatigue.sleep-under-4h", "E1"), ("fatigue.sleep-under-4h-repeated", "E1")]
    assert all("2026-03-03" in f.message for f in second.findings if f.rule == "fatigue.sleep-under-4h")
    # An earlier result's derived facts are history too (what `eval --history result.json` feeds).
    derived = [d.model_dump(exclude={"derived_from"}) for d in first.derived]
    third = fatigue.evaluate([form("E1", "2026-03-03", 2.5)], history=derived)
    assert ("fatigue.sleep-under-4h-repeated", "E1") in rules_of(third)


def test_calls_do_not_leak_facts_into_each_other(fatigue):
    fatigue.evaluate([form("E1", "2026-03-02", 3)])
    result = fatigue.evaluate([form("E1", "2026-03-03", 3)])
    assert rules_of(result) == [("fatigue.sleep-under-4h", "E1")]


def test_two_engines_with_different_parameters_stay_apart():
    strict = patuh.Engine(["fatigue"], config={"parameters": {"fatigue": {"sleep_no_work_below_h": 5}}})
    plain = patuh.Engine(["fatigue"])
    facts = [form("E1", "2026-03-02", 4.5)]
    for _ in range(2):  # interleaved
        assert rules_of(strict.evaluate(facts)) == [("fatigue.sleep-under-4h", "E1")]
        assert rules_of(plain.evaluate(facts)) == [("fatigue.sleep-shortfall-survey", "E1")]
    finding = strict.evaluate(facts).findings[0]
    assert finding.parameters["sleep_no_work_below_h"].value == 5
    assert finding.parameters["sleep_no_work_below_h"].source == "config"
    assert strict.evaluate(facts).trace.overrides["fatigue 0.3.4"]["sleep_no_work_below_h"].value == 5


def test_revision_in_force_on_the_facts_date(tmp_path):
    newer = tmp_path / "fatigue-rev03"
    shutil.copytree(FATIGUE, newer)
    meta = yaml.safe_load((newer / "pack.yaml").read_text())
    meta["version"] = "1.0.0"
    meta["document"].update(revision="03", effective=datetime.date(2026, 3, 3))
    (newer / "pack.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True))
    params = (newer / "parameters.yaml").read_text().replace("value: 4\n", "value: 5\n")
    (newer / "parameters.yaml").write_text(params)
    engine = patuh.Engine([FATIGUE, newer])
    result = engine.evaluate([form("E1", "2026-03-02", 4.5), form("E2", "2026-03-03", 4.5),
                              form("E3", "2022-07-16", 3)])
    by = {f.subject.id: f for f in result.findings}
    assert by["E1"].rule == "fatigue.sleep-shortfall-survey" and by["E1"].pack.version == "0.3.4"
    assert by["E2"].rule == "fatigue.sleep-under-4h" and by["E2"].pack.version == "1.0.0"
    assert by["E2"].clauses[0].revision == "03"
    assert "E3" not in by  # before Revisi 02 took effect, and no older revision is installed
    assert result.trace.facts_not_in_force == 1
    assert {(p.revision, p.facts) for p in result.trace.packs} == {("02", 1), ("03", 1)}


# -- determinism, partitioning, models ------------------------------------------------------------
def test_same_input_same_bytes_whatever_the_order(fatigue):
    facts = [roster(f"E{i}", "2026-03-02") for i in range(12)] + \
            [form(f"E{i}", "2026-03-02", s) for i, s in enumerate([3, 4, 5, 6.5, 7, 8, 2, 3.9])]
    first = fatigue.evaluate(facts).to_json()
    shuffled = facts[:]
    random.Random(7).shuffle(shuffled)
    assert fatigue.evaluate(shuffled).to_json() == first
    assert json.loads(first)["findings"]


def test_json_made_as_it_is_written_is_the_result_s_json(fatigue):
    # evaluate_json (what `eval --format json` writes) makes each derived fact and piece of
    # evidence as it writes it, never the Result: the bytes must be the Result's. Day 1 is history:
    # its sleep_unfit fact is evidence of the repeat but not derived by this run; day 2's is both.
    day1 = [roster("E1", "2026-03-02", unit="DT-1", unit_type="DT"), form("E1", "2026-03-02", 3)]
    day2 = [roster(f"E{i}", "2026-03-03", unit=f"DT-{i}", unit_type="DT") for i in (1, 2, 3)] + [
        form("E1", "2026-03-03", 2.5), form("E2", "2026-03-03", 5)]
    want = fatigue.evaluate(day2, history=day1).to_json().encode()
    assert b"".join(fatigue.evaluate_json(day2, history=day1)) == want
    shown = json.loads(want)
    derived = [d["id"] for d in shown["derived"]]
    assert len(derived) == 1 and len(shown["derivations"]) == 2 and set(derived) < set(shown["derivations"])
    assert shown["obligations"] and shown["facts"].keys() >= set(shown["derivations"])
    # nothing found: the empty fields as the Result writes them ("derived": [], "facts": {}, ...)
    nothing = fatigue.evaluate([], as_of="2026-03-03").to_json().encode()
    assert b"".join(fatigue.evaluate_json([], as_of="2026-03-03")) == nothing
    assert b'"derived": []' in nothing and b'"facts": {}' in nothing and b'"derivations": {}' in nothing


def test_findings_asking_the_same_action_at_one_instant_keep_their_own_times(fatigue):
    # The survey of 6.1.1.1 is due survey_due_h (1 h) after the form was filled. Four forms filled
    # at the same instant ask the same text at equal due times: one written in WITA, one in UTC,
    # one at +07:00 and one without an offset (read in the engine's zone, WIB, the same text).
    # Findings share an Action only when its due time is given the same way, so each keeps its own.
    filled = {"E1": "2026-03-02T05:00:00+08:00", "E2": "2026-03-01T21:00:00+00:00",
              "E3": "2026-03-02T04:00:00+07:00", "E4": "2026-03-02T04:00:00"}
    found = fatigue.evaluate([roster(e, "2026-03-02") for e in filled]
                             + [form(e, "2026-03-02", 5, filled_at=t) for e, t in filled.items()])
    dues = {f.subject.id: f.actions[0].due for f in found.findings if f.rule == "fatigue.sleep-shortfall-survey"}
    assert {k: v.isoformat() for k, v in dues.items()} == {
        "E1": "2026-03-02T06:00:00+08:00", "E2": "2026-03-01T22:00:00+00:00",
        "E3": "2026-03-02T05:00:00+07:00", "E4": "2026-03-02T05:00:00+07:00"}
    assert dues["E3"].tzinfo == datetime.timezone(datetime.timedelta(hours=7))
    assert dues["E4"].tzinfo == ZoneInfo("Asia/Jakarta")
    owed = {o.subject.id: o.due for o in found.obligations}  # the obligations the actions set, the same
    assert {k: (v.isoformat(), v.tzinfo) for k, v in owed.items()} == \
        {k: (v.isoformat(), v.tzinfo) for k, v in dues.items()}


def test_a_time_shown_again_is_the_text_of_its_own_instant():
    # Messages show a time in the site's zone, made once per time (result.Consequences._shown).
    # Where clocks go back, 01:30 names two instants that compare equal in their zone: each keeps
    # its own text, whichever was shown first; the same instant written in UTC reads the same.
    from patuh.result import Consequences

    engine = patuh.Engine(["fatigue"], config={"timezone": "America/New_York"})
    zone = ZoneInfo("America/New_York")
    shown = Consequences(engine.compiled[0], engine.types, {}, set(), {},
                         datetime.datetime(2026, 11, 2, tzinfo=zone))._shown
    summer = datetime.datetime(2026, 11, 1, 1, 30, tzinfo=zone)
    winter = summer.replace(fold=1)
    assert summer == winter
    assert [shown(summer), shown(winter), shown(summer)] == \
        ["2026-11-01 01:30 EDT", "2026-11-01 01:30 EST", "2026-11-01 01:30 EDT"]
    assert shown(datetime.datetime(2026, 11, 1, 5, 30, tzinfo=datetime.UTC)) == "2026-11-01 01:30 EDT"
    assert shown(datetime.datetime(2026, 11, 1, 5, 30, 15, tzinfo=datetime.UTC)) == "2026-11-01 01:30:15 EDT"


def test_small_sessions_give_the_same_findings():
    facts = [roster(f"E{i}", f"2026-03-0{d}") for i in range(30) for d in (2, 3)] + \
            [form(f"E{i}", f"2026-03-0{d}", 3 if i % 3 == 0 else 8) for i in range(30) for d in (2, 3) if i % 5]
    whole = patuh.Engine(["fatigue"], max_session_facts=100_000)
    one = whole.evaluate(facts)
    many = patuh.Engine(["fatigue"], max_session_facts=7).evaluate(facts)
    assert many.trace.sessions > one.trace.sessions == len(whole.compiled[0].parts)  # one session a part
    assert many.to_json().replace(f'"sessions": {many.trace.sessions}', "") == \
        one.to_json().replace(f'"sessions": {one.trace.sessions}', "")
    assert any(f.rule == "fatigue.sleep-under-4h-repeated" for f in many.findings)


def test_rules_partitioned_by_date_see_every_employee_whatever_the_session_size():
    # 6.3.1.3 counts units across employees: its rules run in sessions grouped by roster date,
    # after the employee-grouped rules that derive which units were inspected in the window.
    facts, planted = [], set()
    for d, date in enumerate(("2026-03-02", "2026-03-03", "2026-03-04")):
        for i in range(12):
            unit_type = ("DT", "OHT", "WT")[i % 3]
            facts.append(roster(f"E{i:02}", date, unit=f"{unit_type}-{i:02}", unit_type=unit_type,
                                mobile_equipment=False))
        inspected = {0: range(12), 1: range(5), 2: range(2)}[d]  # all; 2 DT, 2 OHT, 1 WT; 1 DT, 1 OHT
        facts += [{"type": "fatigue_inspection", "employee": f"E{i:02}", "inspector": "Hendra",
                   "time": f"{date}T14:00:00+08:00", "result": "fit"} for i in inspected]
        for unit_type in ("DT", "OHT", "WT"):
            done = sum(1 for i in inspected if ("DT", "OHT", "WT")[i % 3] == unit_type)
            if done < 4 * (0.5 if unit_type == "WT" else 0.3):
                planted.add(f"{date} I {unit_type}")
    assert planted == {"2026-03-03 I WT", "2026-03-04 I DT", "2026-03-04 I OHT", "2026-03-04 I WT"}
    after = "2026-03-05T00:00:00+08:00"  # every shift over: sampled
    whole = patuh.Engine(["fatigue"], config={"timezone": "Asia/Makassar"}).evaluate(facts, as_of=after)
    parts = patuh.Engine(["fatigue"], config={"timezone": "Asia/Makassar"}, max_session_facts=5).evaluate(
        facts, as_of=after)
    found = {f.subject.id for f in whole.findings if f.rule.startswith("fatigue.inspection-coverage")}
    assert found == planted
    assert parts.findings == whole.findings and parts.trace.sessions > whole.trace.sessions


def test_fact_models_are_accepted(fatigue):
    fact = patuh.Fact(type="readiness_form", employee="E1", date="2026-03-02", shift="I", sleep_hours=3,
                      source=patuh.Source(detector="forms", file="forms.csv", row=4))
    result = fatigue.evaluate([fact])
    evidence = result.facts[result.findings[0].facts[0]]
    assert evidence["source"] == {"detector": "forms", "file": "forms.csv", "row": 4}


def test_unknown_pack_is_named():
    with pytest.raises(UnknownPack, match="unknown pack 'fatique'.*fatigue"):
        patuh.Engine(["fatique"])


def test_every_join_ends_with_a_test_that_cannot_fail(camera, fatigue):
    checked = 0
    for engine in (camera, fatigue):
        definitions = [part.definition for part in engine.compiled[0].parts]
        for name, rule in [item for d in definitions for item in d.items()]:
            for i, pattern in enumerate(rule["all"]):
                expressions = next(iter(pattern.values())).get("$and", [])
                earlier = {next(iter(p)) for p in rule["all"][:i]}
                joins = [e for e in expressions if any(alias in json.dumps(e) for alias in earlier)]
                if joins:
                    guard = expressions[-1]["$neq"]["fid"]
                    assert list(guard.values()) == ["type"] and set(guard) <= earlier, name
                    checked += 1
    assert checked >= 5  # not vacuous


def test_console_script_runs_the_join_heavy_pack():
    # This pack crashed the process (durable_rules read past a join's expressions) before the guard.
    patuh_bin = Path(sys.executable).parent / "patuh"
    done = subprocess.run([str(patuh_bin), "test", str(CAMERA)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(" passed, 0 failed")


# -- overrides by another pack --------------------------------------------------------------------
ACME = ROOT / "examples" / "acme-fatigue" / "src" / "acme_fatigue" / "pack"


def test_an_overriding_pack_cites_its_own_clause_in_the_trace():
    engine = patuh.Engine(["fatigue", ACME])
    result = engine.evaluate([form("A1", "2026-03-02", 7.5, verified_by="SPV-1")])
    survey = next(f for f in result.findings if f.rule == "fatigue.sleep-shortfall-survey")
    used = survey.parameters["sleep_minimum_h"]
    assert (used.value, used.document, used.clause, used.source) == (8, "ACME-SOP-K3-07", "4.1",
                                                                      "pack acme-fatigue 1.0.0")
    assert "minimum 8 h" in survey.message


def test_a_misspelt_override_target_is_an_error_not_a_silent_skip(tmp_path):
    copy = tmp_path / "acme"
    shutil.copytree(ACME, copy)
    text = (copy / "pack.yaml").read_text().replace("  fatigue:\n", "  fatigeu:\n")
    (copy / "pack.yaml").write_text(text)
    line = text.splitlines().index("  fatigeu:") + 1
    with pytest.raises(patuh.problems.PackInvalid) as caught:
        patuh.Engine(["fatigue", copy])
    problem = caught.value.problems[0]
    assert (problem.where.line, problem.where.column) == (line, 3)
    assert "overrides pack 'fatigeu', which is not installed" in problem.message


def test_ids_whose_hashes_collide_are_two_facts(fatigue):
    # durable_rules tells facts apart by a 32-bit FNV-1a hash of `id`; these two ids (found by
    # trying random content ids, as the 1M-fact benchmark met such a pair) share one. patuh's ids
    # must not reach durable_rules as its `id`.
    ids = ["readiness_form:accb9875949af538", "readiness_form:948fba479806bfd7"]

    def fnv1a(text):
        value = 0x811C9DC5
        for byte in text.encode():
            value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
        return value

    assert fnv1a(ids[0]) == fnv1a(ids[1])
    result = fatigue.evaluate([dict(form(f"E{i}", "2026-03-02", 3), id=fact_id) for i, fact_id in enumerate(ids)])
    assert rules_of(result) == [("fatigue.sleep-under-4h", "E0"), ("fatigue.sleep-under-4h", "E1")]


def test_threads_evaluating_at_once_get_their_own_results():
    from concurrent.futures import ThreadPoolExecutor

    engines = [patuh.Engine(["fatigue"]), patuh.Engine(["fatigue"], config={"parameters": {
        "fatigue": {"sleep_no_work_below_h": 5}}})]
    facts = [form(f"E{i}", "2026-03-02", 4.5) for i in range(40)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda k: engines[k % 2].evaluate(facts), range(8)))
    for k, result in enumerate(results):
        expected = "fatigue.sleep-shortfall-survey" if k % 2 == 0 else "fatigue.sleep-under-4h"
        assert {f.rule for f in result.findings} == {expected} and len(result.findings) == 40


@pytest.mark.parametrize("cls, values", [
    ("Finding", {"id": "F-1", "rule": "fatigue.sleep-under-4h", "title": "Tidur < 4 jam",
                 "pack": patuh.models.PackRef(name="fatigue", version="0.1.0", hash="ab"), "clauses": [],
                 "severity": "high", "message": "m", "subject": patuh.models.Subject(kind="employee", id="E1"),
                 "facts": ["readiness_form:1"]}),
    ("DerivedFact", {"type": "unit_shift", "id": "unit_shift:1", "unit": "EXC-308", "date": "2026-03-02",
                     "derived_from": patuh.models.Derivation(rule="r", pack="fatigue", facts=["roster:1"])}),
    ("Subject", {"kind": "employee", "id": "E1"}),
])
def test_models_made_without_validation_are_what_model_construct_makes(cls, values):
    # result._made does model_construct's work per kind of model once; the models it makes must
    # be the same ones: fields in order (they are written in that order), defaults made fresh
    # for each instance, the names given, and a model's extra fields apart.
    from patuh import models
    from patuh.result import _made

    model = getattr(models, cls)
    made, constructed = _made(model, **values), model.model_construct(**values)
    assert list(made.__dict__) == list(constructed.__dict__)
    assert made.model_dump_json() == constructed.model_dump_json()
    assert made.model_fields_set == constructed.model_fields_set == set(values) & set(model.model_fields)
    assert made.model_extra == constructed.model_extra
    again = _made(model, **values)
    assert all(again.__dict__[name] is not made.__dict__[name] for name, value in made.__dict__.items()
               if name not in values and isinstance(value, (list, dict)))
