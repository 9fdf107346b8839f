"""The pack format's computing features, end to end on a small pack of a company's own audit
procedure: tables as facts, aggregates (n, sum, min, max, list) into derived fields and texts,
exact decimal arithmetic, calendar months and years in conditions and due dates, $today, one
fact per step (`each`), citations taken from a fact's field, rejected records and obligations
without a finding. Each expected value is worked out by hand from the facts in the test."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import patuh
import pytest
from patuh.problems import FactsInvalid, PackInvalid

PACK = {
    "pack.yaml": """\
name: audits
version: 1.0.0
language: en
partition_by: company
document: {number: SOP-AUD, title: Internal audits, issuer: ACME, revision: '1', effective: 2020-01-01}
""",
    "clauses.yaml": """\
clauses:
  - {number: '1', text: The company is audited against every criterion of its level.}
  - {number: '2', text: An audit is repeated within three years.}
  - {number: '3', text: The score is the share of criteria met; 85 per cent is good.}
  - {number: '4', text: Each month of a contract is reported.}
  - {number: 'C1', text: Criterion one.}
  - {number: 'C2', text: Criterion two.}
  - {number: 'C3', text: Criterion three.}
""",
    "parameters.yaml": """\
parameters:
  cycle_y: {value: 3, unit: y, clause: '2'}
  good_pct: {value: 85, clause: '3'}
  weight_c3: {value: 2, clause: '3'}
""",
    "facts.yaml": """\
facts:
  audit:
    subject: company
    fields:
      audit: {type: string, required: true}
      company: {type: string, required: true}
      date: {type: date, required: true}
      level: {type: string, required: true, values: [basic, full]}
  result:
    subject: company
    fields:
      audit: {type: string, required: true}
      company: {type: string, required: true}
      criterion: {type: string, required: true, values: [C1, C2, C3]}
      met: {type: boolean, required: true}
      hours: {type: number}
  score:
    derived: true
    subject: company
    fields:
      company: {type: string, required: true}
      audit: {type: string, required: true}
      met: {type: integer, required: true}
      weight: {type: number, required: true}
      pct: {type: number, required: true}
      hours: {type: number}
  engagement:
    subject: company
    fields:
      company: {type: string, required: true}
      start: {type: date, required: true}
      end: {type: date, required: true}
  engagement_month:
    derived: true
    subject: company
    event: first
    fields:
      company: {type: string, required: true}
      month: {type: string, required: true}
      first: {type: date, required: true}
      n: {type: integer, required: true}
""",
    "tables.yaml": """\
tables:
  criterion_level:
    clause: '1'
    key: [criterion]
    fields:
      criterion: {type: string, required: true}
      level: {type: string, required: true, values: [basic, full]}
      weight: {type: number, required: true}
    rows:
      - {criterion: C1, level: basic, weight: 1}
      - {criterion: C2, level: full, weight: 1}
      - {criterion: C3, level: full, weight: $weight_c3}
""",
    "rules/audit.yaml": """\
rules:
  - id: audits.score
    title: Audit score
    clauses: ['3']
    when:
      - fact: audit
        as: a
      - count: result
        as: met
        where: {audit: $a.audit, company: $a.company, met: true}
        ge: 0
      - count: criterion_level
        as: scope
        where: {level: $a.level}
        ge: 1
    then:
      derive:
        - type: score
          fields:
            company: $a.company
            audit: $a.audit
            met: $met.n
            weight: $scope.sum.weight
            pct: floor($met.n / $scope.n * 1000) / 10
            hours: $met.sum.hours

  - id: audits.score-low
    title: Audit score below good
    clauses: ['3']
    when:
      - fact: score
        as: s
        where: {pct: {lt: $good_pct}}
    then:
      finding:
        severity: minor
        message: "{$s.audit}: {$s.pct:.1f} % of criteria met (weight {$s.weight}), below {$good_pct} %"

  - id: audits.criterion-not-met
    title: Criterion not met
    clauses: [$r.criterion, '1']
    when:
      - fact: result
        as: r
        where: {met: false}
    then:
      finding:
        severity: minor
        message: "{$r.audit}: criterion {$r.criterion} not met"

  - id: audits.criterion-outside-level
    title: A result for a criterion the audit's level does not hold
    clauses: ['1']
    when:
      - fact: result
        as: r
      - fact: audit
        as: a
        where: {audit: $r.audit, company: $r.company, level: basic}
      - fact: criterion_level
        as: c
        where: {criterion: $r.criterion, level: full}
    then:
      reject: "criterion {$r.criterion} is not one of a {$a.level} audit's"

  - id: audits.overdue
    title: No audit within the cycle
    clauses: ['2']
    when:
      - fact: audit
        as: a
        where: {date: {lt: $today - $cycle_y y}}
      - absent: audit
        as: later
        where: {company: $a.company, date: {gt: $a.date}}
    then:
      finding:
        severity: major
        message: "{$a.company}: last audit {$a.date}, more than {$cycle_y} years before {$today}"

  - id: audits.repeated-late
    title: Next audit later than the cycle
    clauses: ['2']
    when:
      - fact: audit
        as: a
      - fact: audit
        as: b
        where: {company: $a.company, date: {gt: $a.date + $cycle_y y}}
    then:
      finding:
        severity: minor
        message: "{$a.company}: audited {$a.date}, next only {$b.date}"

  - id: audits.next-audit
    title: The next audit is owed within the cycle
    clauses: ['2']
    when:
      - fact: audit
        as: a
    then:
      actions:
        - id: next
          what: "Audit {$a.company} again by {$a.date + $cycle_y y}"
          due: {at: $a.date + $cycle_y y}
          discharged_by:
            fact: audit
            where: {company: $a.company, date: {gt: $a.date}}
          overdue: {severity: major}

  - id: audits.contract-months
    title: Months of a contract
    clauses: ['4']
    when:
      - fact: engagement
        as: c
    then:
      derive:
        - type: engagement_month
          each: {from: $c.start, to: $c.end, step: 1 mo}
          fields:
            company: $c.company
            month: $each.start.month
            first: $each.start
            n: $each.index
""",
}


def write_pack(root: Path, files: dict[str, str] = PACK) -> Path:
    folder = root / "audits"
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> patuh.Engine:
    return patuh.Engine([write_pack(tmp_path_factory.mktemp("pack"))], entry_points=False)


def audit(audit_id: str, company: str, date: str, level: str = "basic") -> dict:
    return {"type": "audit", "audit": audit_id, "company": company, "date": date, "level": level}


def result(audit_id: str, company: str, criterion: str, met: bool, hours: float | None = None) -> dict:
    out = {"type": "result", "audit": audit_id, "company": company, "criterion": criterion, "met": met}
    return out | ({"hours": hours} if hours is not None else {})


def test_a_table_scopes_a_count_and_its_cells_follow_parameters(engine):
    run = engine.evaluate([audit("A1", "PT X", "2026-01-10", "full"), result("A1", "PT X", "C2", True, 1.1),
                           result("A1", "PT X", "C3", True, 2.2)])
    [score] = [d for d in run.derived if d.type == "score"]
    # the full level's criteria in the table: C2 and C3, weights 1 + $weight_c3 (2); both met.
    assert (score.met, score.weight, score.pct) == (2, 3, 100)
    assert str(score.hours) == "3.3"  # in decimals 1.1 + 2.2 is 3.3, not 3.3000000000000003
    assert not [f for f in run.findings if f.rule == "audits.score-low"]


def test_a_share_below_the_mark_with_its_format(engine):
    run = engine.evaluate([audit("A2", "PT Y", "2026-01-10"), result("A2", "PT Y", "C1", False)])
    [score] = [d for d in run.derived if d.type == "score"]
    assert (score.met, score.weight, score.pct, score.hours) == (0, 1, 0, 0)  # no criterion met: no hours
    [low] = [f for f in run.findings if f.rule == "audits.score-low"]
    assert low.message == "A2: 0.0 % of criteria met (weight 1), below 85 %"


def test_a_finding_cites_the_clause_its_fact_names(engine):
    run = engine.evaluate([audit("A3", "PT Z", "2026-01-10", "full"), result("A3", "PT Z", "C2", False)])
    [finding] = [f for f in run.findings if f.rule == "audits.criterion-not-met"]
    assert [c.number for c in finding.clauses] == ["C2", "1"]
    assert finding.clauses[0].text == "Criterion two."


def test_a_rule_rejects_a_record_as_bad_input(engine):
    with pytest.raises(FactsInvalid) as caught:
        engine.evaluate([audit("A4", "PT Q", "2026-01-10"), result("A4", "PT Q", "C3", True)])
    [problem] = caught.value.problems
    assert "criterion C3 is not one of a basic audit's" in str(problem)
    assert "rule audits.criterion-outside-level" in str(problem)


def test_calendar_years_in_a_join_and_against_today(engine):
    facts = [audit("B1", "PT R", "2020-02-29"), audit("B2", "PT R", "2023-03-01"), audit("B3", "PT R", "2023-02-28")]
    # 2020-02-29 + 3 y is 2023-02-28 (no 29 February): B2 is after it, B3 on it.
    late = [f for f in engine.evaluate(facts[:2]).findings if f.rule == "audits.repeated-late"]
    assert [f.message for f in late] == ["PT R: audited 2020-02-29, next only 2023-03-01"]
    assert not [f for f in engine.evaluate([facts[0], facts[2]]).findings if f.rule == "audits.repeated-late"]
    # $today - 3 y: overdue once three calendar years have passed since the last audit.
    assert not [f for f in engine.evaluate(facts[:1], as_of=dt.date(2023, 2, 28)).findings
                if f.rule == "audits.overdue"]
    [overdue] = [f for f in engine.evaluate(facts[:1], as_of=dt.date(2023, 3, 1)).findings
                 if f.rule == "audits.overdue"]
    assert overdue.message == "PT R: last audit 2020-02-29, more than 3 years before 2023-03-01"


def test_an_obligation_without_a_finding_is_due_on_a_date(engine):
    first = audit("C1", "PT S", "2021-06-30")
    [open_] = engine.evaluate([first], as_of=dt.date(2024, 6, 30)).obligations
    assert (open_.status, open_.due, open_.finding) == ("open", dt.date(2024, 6, 30), None)
    run = engine.evaluate([first], as_of=dt.date(2024, 7, 1))
    assert [o.status for o in run.obligations] == ["overdue"]
    [breach] = [f for f in run.findings if f.rule == "audits.next-audit.next-overdue"]
    assert breach.severity == "major" and [c.number for c in breach.clauses] == ["2"]
    # The next audit on the due date itself is in time; it owes its own next one by 2027-06-30.
    run = engine.evaluate([first, audit("C2", "PT S", "2024-06-30")])
    audits = {f["audit"]: i for i, f in run.facts.items() if f["type"] == "audit"}
    by_audit = {run.facts[o.facts[0]]["audit"]: (o.status, o.due, o.discharged_by) for o in run.obligations}
    assert by_audit == {"C1": ("done", dt.date(2024, 6, 30), audits["C2"]),
                        "C2": ("open", dt.date(2027, 6, 30), None)}


def test_each_makes_one_fact_per_calendar_month_counted_from_the_start(engine):
    run = engine.evaluate([{"type": "engagement", "company": "PT T", "start": "2026-01-31", "end": "2026-05-01"}])
    months = sorted((d.n, d.month, d.first) for d in run.derived if d.type == "engagement_month")
    assert months == [(1, "2026-01", dt.date(2026, 1, 31)), (2, "2026-02", dt.date(2026, 2, 28)),
                      (3, "2026-03", dt.date(2026, 3, 31)), (4, "2026-04", dt.date(2026, 4, 30))]


def test_lint_types_expressions_and_tables(tmp_path):
    broken = dict(PACK)
    broken["tables.yaml"] = PACK["tables.yaml"].replace("- {criterion: C2, level: full, weight: 1}",
                                                        "- {criterion: C1, level: basic, weight: one}")
    broken["rules/audit.yaml"] = PACK["rules/audit.yaml"].replace("pct: floor($met.n / $scope.n * 1000) / 10",
                                                                  "pct: $a.date * 2")
    with pytest.raises(PackInvalid) as caught:
        patuh.load_pack(write_pack(tmp_path, broken))
    messages = [str(p) for p in caught.value.problems]
    assert any("has the key of row 1" in m for m in messages)
    assert any("criterion_level.weight: expected a number, found 'one'" in m for m in messages)
    assert any("$a.date * 2: only numbers multiply and divide" in m for m in messages)


def test_a_mapping_is_given_as_the_fields_its_keys_name():
    from patuh.facts import FactTypes
    from patuh.problems import FactError

    types = FactTypes({"incident": {"fields": {
        "amputation_part": {"type": "string", "values": ["thumb", "index"]},
        "amputation_joint": {"type": "string", "values": ["tip", "base"]}}}})
    fact = types.check({"type": "incident", "amputation": {"part": "thumb", "joint": "tip"}})
    assert (fact["amputation_part"], fact["amputation_joint"]) == ("thumb", "tip")
    with pytest.raises(FactError, match=r"incident\.amputation: unknown key 'side'; expected: joint, part"):
        types.check({"type": "incident", "amputation": {"part": "thumb", "side": "left"}})
    with pytest.raises(FactError, match=r"incident\.amputation_part: expected one of index, thumb, found 'toe'"):
        types.check({"type": "incident", "amputation": {"part": "toe"}})


def test_a_pack_test_expects_the_records_a_rule_refuses(tmp_path):
    from patuh.packtest import run_pack, with_tests
    from patuh.problems import Rejected

    cases = """\
tests:
  - name: a full criterion in a basic audit is refused
    facts:
      - {type: audit, audit: A4, company: PT Q, date: 2026-01-10, level: basic}
      - {type: result, audit: A4, company: PT Q, criterion: C3, met: true}
    rejects: [{rule: audits.criterion-outside-level}]
    expect: []
  - name: expecting a refusal that does not happen fails
    facts:
      - {type: audit, audit: A5, company: PT Q, date: 2026-01-10, level: full}
      - {type: result, audit: A5, company: PT Q, criterion: C3, met: true}
    rejects: [{rule: audits.criterion-outside-level}]
    expect: []
  - name: a refusal not expected fails
    facts:
      - {type: audit, audit: A6, company: PT Q, date: 2026-01-10, level: basic}
      - {type: result, audit: A6, company: PT Q, criterion: C2, met: true}
      - {type: result, audit: A6, company: PT Q, criterion: C3, met: true}
    rejects: [{rule: audits.criterion-outside-level}]
    expect: []
"""
    folder = write_pack(tmp_path, {**PACK, "tests/rejects.yaml": cases})
    engine = patuh.Engine([folder], entry_points=False)
    results = run_pack(engine, with_tests(engine, engine.packs[0]))
    assert [(r.ok, r.matched) for r in results] == [
        (True, {"audits.criterion-outside-level"}), (False, {"audits.score", "audits.score-low", "audits.next-audit"}),
        (False, {"audits.criterion-outside-level"})]
    assert results[1].detail.startswith("expected records refused, but the evaluation accepted every record")
    assert results[2].detail == "refused but not expected: audits.criterion-outside-level x1"
    with pytest.raises(FactsInvalid) as caught:  # the error names its rule, for a caller to tell them apart
        engine.evaluate([audit("A7", "PT Q", "2026-01-10"), result("A7", "PT Q", "C2", True)])
    [problem] = caught.value.problems
    assert isinstance(problem, Rejected) and problem.rule == "audits.criterion-outside-level"


def test_lint_checks_the_rejects_a_pack_test_expects(tmp_path):
    cases = """\
tests:
  - name: a rule that refuses nothing
    facts: []
    rejects: [{rule: audits.score}]
    expect: [{rule: audits.score}]
"""
    with pytest.raises(PackInvalid) as caught:
        patuh.load_pack(write_pack(tmp_path, {**PACK, "tests/rejects.yaml": cases}))
    messages = [p.message for p in caught.value.problems]
    assert messages == ["test expects rule 'audits.score' to refuse a record, but no rule of this pack by that id "
                        "has `then: reject`",
                        "a case that expects records refused gets no findings (the evaluation returns nothing): "
                        "leave expect empty"]


def test_one_fact_fills_one_condition_of_a_match(tmp_path):
    """durable_rules binds a fact once per match: a count of the anchor's own type counts the other
    facts, and a second condition of that type binds another fact (README: Conditions)."""
    files = {
        "pack.yaml": "name: once\nversion: 1.0.0\nlanguage: en\n"
                     "document: {number: X, title: X, issuer: X, revision: '1', effective: 2020-01-01}\n",
        "clauses.yaml": "clauses: [{number: '1', text: One.}]\n",
        "facts.yaml": """\
facts:
  row: {fields: {audit: {type: string, required: true}, n: {type: integer, required: true}}}
  seen: {derived: true, fields: {n: {type: integer, required: true}, others: {type: integer, required: true}}}
  pair: {derived: true, fields: {a: {type: integer, required: true}, b: {type: integer, required: true}}}
""",
        "rules/r.yaml": """\
rules:
  - id: once.count
    title: the audit's rows, counted from each row
    clauses: ['1']
    when:
      - {fact: row, as: r}
      - {count: row, as: all, where: {audit: $r.audit}, ge: 0}
    then: {derive: [{type: seen, fields: {n: $r.n, others: $all.n}}]}
  - id: once.pair
    title: a row and a row of at least its n
    clauses: ['1']
    when:
      - {fact: row, as: a}
      - {fact: row, as: b, where: {audit: $a.audit, n: {ge: $a.n}}}
    then: {derive: [{type: pair, fields: {a: $a.n, b: $b.n}}]}
"""}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    run = patuh.Engine([tmp_path], entry_points=False).evaluate(
        [{"type": "row", "audit": "A", "n": n} for n in (1, 2, 3)])
    assert sorted((d.n, d.others) for d in run.derived if d.type == "seen") == [(1, 2), (2, 2), (3, 2)]
    assert sorted((d.a, d.b) for d in run.derived if d.type == "pair") == [(1, 2), (1, 3), (2, 3)]


SHIFT_PACK = {
    "pack.yaml": PACK["pack.yaml"],
    "clauses.yaml": "clauses:\n  - {number: '1', text: A stop is judged against the next normal shift.}\n",
    "facts.yaml": """\
facts:
  stop:
    subject: company
    fields:
      company: {type: string, required: true}
      time: {type: datetime, required: true}
  next:
    derived: true
    subject: company
    fields:
      company: {type: string, required: true}
      shift: {type: string}
      start: {type: datetime}
      end: {type: datetime}
      note: {type: string}
""",
    "rules/stop.yaml": """\
rules:
  - id: audits.next-shift
    title: The next shift after a stop
    clauses: ['1']
    when:
      - fact: stop
        as: s
    then:
      derive:
        - type: next
          fields: {company: $s.company, shift: next_shift($s.time), start: next_shift_start($s.time),
                   end: next_shift_end($s.time), note: "{$s.company} stopped at {$s.time}, {$s.time.clock}"}
""",
}


@pytest.mark.parametrize(("time", "expected"), [
    ("2026-03-02T10:00:00+08:00", ("II", "2026-03-02T18:00:00+08:00", "2026-03-03T06:00:00+08:00")),
    # a shift starting at the time itself is the one running then: the next is the one after it
    ("2026-03-02T18:00:00+08:00", ("I", "2026-03-03T06:00:00+08:00", "2026-03-03T18:00:00+08:00")),
    ("2026-03-03T05:59:00+08:00", ("I", "2026-03-03T06:00:00+08:00", "2026-03-03T18:00:00+08:00")),
    # a time given in another zone is placed in the site's pattern (10:00 WIB is 11:00 WITA)
    ("2026-03-02T17:30:00+07:00", ("I", "2026-03-03T06:00:00+08:00", "2026-03-03T18:00:00+08:00")),
])
def test_the_next_shift_of_the_site_pattern_after_a_time(tmp_path, time, expected):
    config = {"timezone": "Asia/Makassar", "shifts": {"I": {"start": "06:00", "end": "18:00"},
                                                       "II": {"start": "18:00", "end": "06:00"}}}
    engine = patuh.Engine([write_pack(tmp_path, SHIFT_PACK)], config=config, entry_points=False)
    [found] = [d for d in engine.evaluate([{"type": "stop", "company": "PT X", "time": time}]).derived]
    assert (found.shift, found.start, found.end) == (expected[0], dt.datetime.fromisoformat(expected[1]),
                                                     dt.datetime.fromisoformat(expected[2]))


def test_without_a_shift_pattern_there_is_no_next_shift(tmp_path):
    engine = patuh.Engine([write_pack(tmp_path, SHIFT_PACK)], config={"timezone": "Asia/Makassar"},
                          entry_points=False)
    [found] = engine.evaluate([{"type": "stop", "company": "PT X", "time": "2026-03-02T10:00:00+08:00"}]).derived
    assert [getattr(found, f, None) for f in ("shift", "start", "end")] == [None, None, None]


def test_lint_types_the_next_shift(tmp_path):
    broken = dict(SHIFT_PACK)
    broken["rules/stop.yaml"] = SHIFT_PACK["rules/stop.yaml"].replace("next_shift($s.time)", "next_shift($s.company)")
    with pytest.raises(PackInvalid, match=r"next_shift\(\$s\.company\): next_shift\(\) takes a time"):
        patuh.load_pack(write_pack(tmp_path, broken))


def test_a_derived_text_field_is_rendered_as_a_message_is(tmp_path):
    engine = patuh.Engine([write_pack(tmp_path, SHIFT_PACK)], config={"timezone": "Asia/Makassar"},
                          entry_points=False)
    [found] = engine.evaluate([{"type": "stop", "company": "PT X", "time": "2026-03-02T09:30:00+07:00"}]).derived
    assert found.note == "PT X stopped at 2026-03-02 10:30 WITA, 10:30"  # in the site's zone, with its name
    broken = dict(SHIFT_PACK)
    broken["facts.yaml"] = SHIFT_PACK["facts.yaml"].replace("note: {type: string}", "note: {type: integer}")
    with pytest.raises(PackInvalid, match=r"next\.note is a integer, but '\{\$s\.company\} stopped"):
        patuh.load_pack(write_pack(tmp_path / "broken", broken))


def test_a_shared_type_reads_the_column_names_both_packs_give(tmp_path):
    """Two packs declare `audit` alike; each knows other headers for its company column. Read
    with both installed, a register may use either pack's name: neither pack's aliases are lost."""
    mine = dict(PACK)
    mine["facts.yaml"] = PACK["facts.yaml"].replace(
        "      company: {type: string, required: true}\n      date: {type: date, required: true}\n",
        "      company: {type: string, required: true, aliases: [Perusahaan]}\n"
        "      date: {type: date, required: true}\n", 1)
    theirs = {**mine, "pack.yaml": PACK["pack.yaml"].replace("name: audits", "name: others"),
              "facts.yaml": mine["facts.yaml"].replace("aliases: [Perusahaan]", "aliases: [Kode Perusahaan]")}
    theirs = {k: v for k, v in theirs.items() if not k.startswith("tests/")}
    engine = patuh.Engine([write_pack(tmp_path / "a", mine), write_pack(tmp_path / "b", theirs)], entry_points=False)
    company = engine.types.declarations["audit"]["fields"]["company"]
    assert sorted(company["aliases"]) == ["Kode Perusahaan", "Perusahaan"]
    assert engine.types.declarations["audit"]["fields"]["audit"].get("aliases") is None
    # a header means one field: the later pack's, compared as headers are matched (case, spaces)
    third = {**theirs, "pack.yaml": PACK["pack.yaml"].replace("name: audits", "name: thirds"),
             "facts.yaml": theirs["facts.yaml"].replace(
                 "      audit: {type: string, required: true}\n",
                 "      audit: {type: string, required: true, aliases: [PERUSAHAAN]}\n", 1).replace(
                 "aliases: [Kode Perusahaan]", "aliases: [Kode Perusahaan, No Perusahaan]", 1)}
    engine = patuh.Engine([write_pack(tmp_path / "a", mine), write_pack(tmp_path / "c", third)], entry_points=False)
    fields = engine.types.declarations["audit"]["fields"]
    assert fields["audit"]["aliases"] == ["PERUSAHAAN"]
    assert fields["company"]["aliases"] == ["Kode Perusahaan", "No Perusahaan"]


CHAIN = {
    "pack.yaml": "name: chain\nversion: 1.0.0\nlanguage: en\npartition_by: site\n"
                 "document: {number: X-1, title: Chain, issuer: ACME, revision: '1', effective: 2020-01-01}\n",
    "clauses.yaml": "clauses:\n  - {number: '1', text: A check is made of every record.}\n",
    "facts.yaml": """\
facts:
  old: {subject: site, fields: {site: {type: string, required: true}, date: {type: date, required: true}}}
  new: {subject: site, fields: {site: {type: string, required: true}, date: {type: date, required: true}}}
  mark: {derived: true, subject: site, fields: {site: {type: string, required: true}}}
  flag: {derived: true, subject: site, fields: {site: {type: string, required: true}}}
""",
    "rules/r.yaml": """\
rules:
  - {id: chain.mark-old, title: a mark from an old record, clauses: ['1'], when: [{fact: old, as: o}],
     then: {derive: [{type: mark, fields: {site: $o.site}}]}}
  - {id: chain.flag, title: a flag from a mark, clauses: ['1'], when: [{fact: mark, as: m}],
     then: {derive: [{type: flag, fields: {site: $m.site}}]}}
  - {id: chain.mark-new, title: a mark from a new record, clauses: ['1'], when: [{fact: new, as: n}],
     then: {derive: [{type: mark, fields: {site: $n.site}}]}}
  - {id: chain.flagged, title: the site is flagged, clauses: ['1'], when: [{fact: flag, as: f}],
     then: {finding: {severity: minor, message: "{$f.site} flagged"}}}
""",
}


def test_a_fact_derived_from_history_and_from_this_run_is_current_and_so_is_what_follows(tmp_path):
    """The mark is derived from an old record (history) and from a new one: it is current, and the
    flag derived from it is too, whichever derivation came first; with both records history, the
    flag's finding was said in an earlier run and is not said again."""
    from patuh.reference import engine_outcome, reference_outcome

    folder = tmp_path / "chain"
    for name, text in CHAIN.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    engine = patuh.Engine([folder], entry_points=False)
    old, new = {"type": "old", "site": "S1", "date": "2026-01-01"}, {"type": "new", "site": "S1", "date": "2026-01-02"}
    for facts, history, said in (([new], [old], True), ([old], [new], True), ([], [old, new], False)):
        assert [f.rule for f in engine.evaluate(facts, history=history).findings] == (["chain.flagged"] if said else [])
        assert engine_outcome(engine, facts, history) == reference_outcome(engine, facts, history)


GROUPED = {
    "pack.yaml": PACK["pack.yaml"],
    "clauses.yaml": "clauses:\n  - {number: '1', text: Every load is weighed and every weighing recorded.}\n",
    "facts.yaml": """\
facts:
  load:
    subject: company
    fields:
      company: {type: string, required: true}
      site: {type: string}
      bay: {type: number}
      end: {type: datetime}
  weighing:
    subject: company
    fields:
      company: {type: string, required: true}
      site: {type: string}
      bay: {type: number}
      kg: {type: number}
""",
    "rules/r.yaml": """\
rules:
  - id: grouped.unweighed
    title: A load without a weighing at its site and bay
    clauses: ['1']
    when:
      - {fact: load, as: l}
      - absent: weighing
        where: {company: $l.company, site: $l.site, bay: $l.bay, kg: {gt: 0}}
    then: {finding: {severity: minor, message: "{$l.company} {$l.site}"}}
  - id: grouped.heavy
    title: Loads weighed more than once, with their total
    clauses: ['1']
    when:
      - {fact: load, as: l}
      - count: weighing
        as: w
        where: {company: $l.company, bay: $l.bay}
        ge: 2
    then: {finding: {severity: minor, message: "{$w.n} weighings, {$w.sum.kg} kg"}}
  - id: grouped.others
    title: The other loads of a company
    clauses: ['1']
    when:
      - {fact: load, as: l}
      - {count: load, as: o, where: {company: $l.company}, lt: 2}
    then: {finding: {severity: minor, message: "{$o.n} other loads"}}
  - id: grouped.weighed-at-its-site
    title: A load weighed at its site
    clauses: ['1']
    when:
      - {fact: load, as: l}
      - {count: weighing, as: w, where: {company: $l.company, site: $l.site}, ge: 1}
    then: {finding: {severity: minor, message: "{$w.n} at {$l.site}"}}
    unjudged: {l: [site]}
  - id: grouped.ended
    title: A load whose end has passed
    clauses: ['1']
    when:
      - fact: load
        as: l
        where: {end: {le: $now}}
    then: {finding: {severity: minor, message: "{$l.company} ended"}}
    unjudged: {l: [end]}
""",
}


def test_counts_joined_by_equal_fields_and_filters_reading_now_judge_as_the_core(tmp_path, monkeypatch):
    """Counts whose tests join the rule's facts by equal fields alone are grouped in Python, and a
    single-fact rule reading $now (with its unjudged companion) is judged in Python: the same
    findings and unjudged facts as durable_rules' collector rules and patterns give, on numbers
    given as 1 and 1.0, a load lacking a joined field (a group of none), a fact of the counted
    type bound by the rule itself (not its own member), and a load without an end."""
    from patuh import compiler
    from patuh.reference import engine_outcome, reference_outcome

    facts = [
        {"type": "load", "id": "L1", "company": "A", "site": "N", "bay": 1, "end": "2026-03-01T10:00+08:00"},
        {"type": "load", "id": "L2", "company": "A", "site": "N", "bay": 2.5, "end": "2026-03-03T10:00+08:00"},
        {"type": "load", "id": "L3", "company": "A", "bay": 1},  # no site: weighed nowhere; no end: unjudged
        {"type": "load", "id": "L4", "company": "B", "site": "S", "bay": 1, "end": "2026-03-01T09:00+08:00"},
        {"type": "weighing", "id": "W1", "company": "A", "site": "N", "bay": 1.0, "kg": 30},
        {"type": "weighing", "id": "W2", "company": "A", "site": "N", "bay": 1, "kg": 0},
        {"type": "weighing", "id": "W3", "company": "A", "bay": 1, "kg": 12.5},
        {"type": "weighing", "id": "W4", "company": "B", "site": "S", "bay": 2, "kg": 9},
    ]
    folder = write_pack(tmp_path / "grouped", GROUPED)

    def outcome():
        engine = patuh.Engine([folder], entry_points=False)
        result = engine.evaluate(facts, as_of="2026-03-02T00:00+08:00")
        found = sorted((f.rule, tuple(f.facts), f.message) for f in result.findings)
        return engine, [f for f in found if f[0].endswith(".unjudged")], [f for f in found
                                                                          if not f[0].endswith(".unjudged")]

    engine, unjudged, found = outcome()
    [compiled] = engine.compiled
    assert set(compiled.keyed) == {"grouped.unweighed", "grouped.heavy", "grouped.others",
                                   "grouped.weighed-at-its-site"}
    assert [f.rule.id for f in compiled.parts[0].filters["load"]] == ["grouped.ended", "grouped.ended"]
    assert [f[1] for f in found if f[0] == "grouped.unweighed"] == [("L2",), ("L3",), ("L4",)]
    assert [f[2] for f in found if f[0] == "grouped.heavy"] == ["3 weighings, 42.5 kg"] * 2  # L1, L3
    assert [f[1] for f in found if f[0] == "grouped.others"] == [("L4",)]
    assert [f[1] for f in found if f[0] == "grouped.ended"] == [("L1",), ("L4",)]
    assert [f[1] for f in found if f[0] == "grouped.weighed-at-its-site"] == [("L1", "W1", "W2"), ("L2", "W1", "W2"),
                                                                             ("L4", "W4")]
    # L3 has no site: said, where a weighing of its company could have been counted (a Keyed
    # count's type still goes to durable_rules for the companion that says so)
    assert [f[:2] for f in unjudged] == [("grouped.ended.unjudged", ("L3",)),
                                         ("grouped.weighed-at-its-site.unjudged", ("L3",))]
    now = dt.datetime.fromisoformat("2026-03-02T00:00+08:00")
    assert engine_outcome(engine, facts, as_of=now) == reference_outcome(engine, facts, as_of=now)
    # The same pack with every count a collector rule and every rule in durable_rules' patterns.
    monkeypatch.setattr(compiler._Compiler, "keyed", lambda self, rule, count: None)
    monkeypatch.setattr(compiler._Compiler, "_filter", lambda self, rule, main, companions: None)
    core_engine, core_unjudged, core_found = outcome()
    assert not core_engine.compiled[0].keyed and not core_engine.compiled[0].parts[0].filters
    assert (core_found, core_unjudged) == (found, unjudged)


def test_a_derived_fact_no_revision_of_its_reader_is_in_force_for_is_counted(tmp_path):
    """A fact one pack derives for another that was not yet in force on its date is neither judged
    nor lost: the trace counts it among the facts not in force, as it counts a given one."""
    def pack(name: str, effective: str, facts: str, rules: str) -> Path:
        folder = tmp_path / name
        (folder / "rules").mkdir(parents=True)
        (folder / "pack.yaml").write_text(f"name: {name}\nversion: 1.0.0\nlanguage: en\n"
                                          f"document: {{number: {name}, title: {name}, issuer: X, revision: '1', "
                                          f"effective: {effective}}}\n")
        (folder / "clauses.yaml").write_text("clauses: [{number: '1', text: Marks are read.}]\n")
        (folder / "facts.yaml").write_text(facts)
        (folder / "rules" / "r.yaml").write_text(rules)
        return folder

    mark = ("  mark: {derived: true, fields: {site: {type: string, required: true}, "
            "date: {type: date, required: true}}}\n")
    deriver = pack("deriver", "2020-01-01", "facts:\n  row: {fields: {site: {type: string, required: true}, "
                                            "date: {type: date, required: true}}}\n" + mark, """\
rules:
  - id: deriver.mark
    title: a row marks its site
    clauses: ['1']
    when: [{fact: row, as: r}]
    then: {derive: [{type: mark, fields: {site: $r.site, date: $r.date}}]}
""")
    reader = pack("reader", "2026-01-01", "facts:\n" + mark.replace("derived: true, ", ""), """\
rules:
  - id: reader.marked
    title: a marked site
    clauses: ['1']
    when: [{fact: mark, as: m}]
    then: {finding: {severity: minor, message: "{$m.site}"}}
""")
    engine = patuh.Engine([deriver, reader], entry_points=False)
    result = engine.evaluate([{"type": "row", "site": "A", "date": "2025-12-31"},
                              {"type": "row", "site": "B", "date": "2026-01-02"}])
    assert [f.message for f in result.findings] == ["B"]
    assert result.trace.facts_not_in_force == 1  # A's mark; the rows themselves were judged by the deriver
