"""Pack tests: the test cases that live inside packs (tests/*.yaml), run by `patuh test` and, as
pytest items, by pytest (patuh.pytest_plugin); and their coverage of the pack.

A case gives facts (and optionally history, parameter overrides and the site's time zone) and
the complete list of findings it expects: rule, and optionally subject, sanctions and how many.
Any finding not listed fails the case, so a test also guards against false positives. A case
may instead expect records refused as bad input (`rejects`: the rules whose `then: reject`
refuses them, and how many): it passes when exactly those are refused.

Coverage: a rule is exercised when it matched in some case (a finding, or a fact derived); a
clause is covered when an exercised rule cites it. What no case exercises is listed.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from .api import Engine, check_folders
from .facts import time_or_date
from .models import Result
from .pack import Pack, TestCase
from .problems import FactsInvalid, Rejected, SourceError


@dataclass
class CaseResult:
    pack: Pack
    case: TestCase
    ok: bool
    detail: str = ""
    matched: set[str] = field(default_factory=set)  # the pack's rules that matched in the case

    @property
    def name(self) -> str:
        return f"{self.pack.name}: {self.case.name}"


# What a case expects, and what a finding is counted as: (pack, rule, subject or None for any,
# sanction rungs sorted or None for any).
Key: TypeAlias = tuple[str, str, str | None, tuple[str, ...] | None]


def _key(pack: str, rule: str, subject: str | None, sanctions: Iterable[str] | None) -> Key:
    return (pack, rule, subject, tuple(sorted(sanctions)) if sanctions is not None else None)


def run_case(engine: Engine, pack: Pack, case: TestCase) -> CaseResult:
    try:
        if case.parameters or case.timezone or case.shifts:  # the same packs, in this case's site
            config: dict[str, Any] = {"parameters": {pack.name: case.parameters}}
            if case.timezone:
                config["timezone"] = case.timezone
            if case.shifts:
                config["shifts"] = case.shifts
            engine = Engine([p.path for p in engine.packs], config=config,
                            plugins=list(engine.plugins.get_plugins()), entry_points=False)
        facts = [(case.at.where("facts", i), f) for i, f in enumerate(case.facts)]
        history = [(case.at.where("history", i), f) for i, f in enumerate(case.history)]
        result = engine.evaluate(facts, history=history, as_of=_as_of(case))
    except FactsInvalid as exc:
        if case.rejects is None:
            return CaseResult(pack, case, False, str(exc))
        return _refused(pack, case, exc)
    except SourceError as exc:
        return CaseResult(pack, case, False, str(exc))
    if case.rejects:
        return CaseResult(pack, case, False, "expected records refused, but the evaluation accepted every record: "
                                             + "; ".join(f"{r.rule} x{r.count}" for r in case.rejects),
                          set(result.trace.matches))
    matched = set(result.trace.matches)
    expected: Counter[Key] = Counter()
    for item in case.expect:
        expected[_key(item.pack or pack.name, item.rule, item.subject, item.sanctions)] += item.count
    checked = {pack.name} | {k[0] for k in expected}  # a case answers for the packs it names
    got: Counter[Key] = Counter()
    for finding in result.findings:
        if finding.pack.name not in checked or (finding.pack.name == pack.name and finding.rule in case.ignore):
            continue
        # Compare only what the case pins down: subject and sanctions when it names them.
        rungs = tuple(sorted(s.rung for s in finding.sanctions))
        matches = [k for k in expected if k[:2] == (finding.pack.name, finding.rule)
                   and (k[2] is None or k[2] == finding.subject.id) and (k[3] is None or k[3] == rungs)]
        matches.sort(key=lambda k: (k[2] is None, k[3] is None))  # an exact expectation before a looser one
        got[matches[0] if matches else _key(finding.pack.name, finding.rule, finding.subject.id, rungs)] += 1
    parts = _obligations(pack, case, result)
    if got == expected and not parts:
        return CaseResult(pack, case, True, matched=matched)
    missing = expected - got
    extra = got - expected
    if missing:
        parts.append("expected but not found: " + "; ".join(_show(k, n) for k, n in sorted(missing.items(), key=str)))
    if extra:
        parts.append("found but not expected: " + "; ".join(_show(k, n) for k, n in sorted(extra.items(), key=str)))
    return CaseResult(pack, case, False, " | ".join(parts), matched)


def _refused(pack: Pack, case: TestCase, exc: FactsInvalid) -> CaseResult:
    """A case expecting records refused: the rules that refused them, and how many, must be those
    it lists; any other bad record (one the fact checker refused) fails it."""
    expected: Counter[str] = Counter()
    for refused in case.rejects or []:
        expected[refused.rule] += refused.count
    got = Counter(p.rule for p in exc.problems if isinstance(p, Rejected))
    other = [str(p) for p in exc.problems if not isinstance(p, Rejected)]
    parts = [f"records refused but not expected: {'; '.join(other)}"] if other else []
    if expected - got:
        parts.append("refusals expected but not found: " + "; ".join(
            f"{rule} x{n}" for rule, n in sorted((expected - got).items())))
    if got - expected:
        parts.append("refused but not expected: " + "; ".join(
            f"{rule} x{n}" for rule, n in sorted((got - expected).items())))
    return CaseResult(pack, case, not parts, " | ".join(parts), set(got))


def _as_of(case: TestCase) -> dt.datetime | dt.date | None:
    value = case.as_of
    if isinstance(value, str):
        try:
            return time_or_date(value)
        except ValueError:
            raise SourceError(case.at.where("as_of"), f"expected a time like 2026-03-02T14:00+08:00 or a date, "
                                                      f"found {value!r}") from None
    return value if isinstance(value, dt.date) else None


def _obligations(pack: Pack, case: TestCase, result: Result) -> list[str]:
    """What differs between the obligations a case expects (when it lists them) and the result's."""
    if case.obligations is None:
        return []
    expected: Counter[tuple[str, str, str, str | None]] = Counter()
    for owed in case.obligations:
        expected[(owed.rule, owed.action, owed.status, owed.subject)] += owed.count
    got: Counter[tuple[str, str, str, str | None]] = Counter()
    for obligation in result.obligations:
        if obligation.pack.name != pack.name:
            continue
        key = (obligation.rule, obligation.action or "", obligation.status, obligation.subject.id)
        loose = key[:3] + (None,)
        got[key if key in expected else loose if loose in expected else key] += 1

    def show(items: Counter[tuple[str, str, str, str | None]]) -> str:
        return "; ".join(f"{rule}.{action} {status}" + (f" for {subject}" if subject else "")
                         + (f" x{n}" if n > 1 else "") for (rule, action, status, subject), n in sorted(items.items(),
                                                                                                    key=str))

    parts = []
    if expected - got:
        parts.append("obligations expected but not found: " + show(expected - got))
    if got - expected:
        parts.append("obligations found but not expected: " + show(got - expected))
    return parts


def _show(key: Key, n: int) -> str:
    _, rule, subject, sanctions = key
    text = rule + (f" for {subject}" if subject else "") + (f" with sanctions {list(sanctions)}" if sanctions else "")
    return text + (f" x{n}" if n > 1 else "")


def run_pack(engine: Engine, pack: Pack) -> list[CaseResult]:
    return [run_case(engine, pack, case) for case in pack.tests]


def engine_for(pack: Pack, installed: dict[str, list[Path]]) -> Engine:
    """The engine a pack's tests run on: the pack, and the `installed` packs it overrides (a case
    may expect their findings as its override changes them)."""
    return Engine([pack.path] + [p for name in sorted({o.pack for o in pack.overrides})
                                 for p in installed.get(name, [])])


def with_tests(engine: Engine, pack: Pack) -> Pack:
    """The pack again, with its tests (an engine loads packs without them)."""
    return check_folders([pack.path], engine.context, tests=True)[0]


@dataclass
class Coverage:
    pack: Pack
    rules: list[str]  # every rule id
    exercised: set[str]
    clauses: list[str]  # every clause of clauses.yaml
    cited: set[str]  # clauses an exercised rule cites

    @property
    def rule_share(self) -> float:
        return 100.0 * len(self.exercised & set(self.rules)) / len(self.rules) if self.rules else 100.0

    @property
    def clause_share(self) -> float:
        return 100.0 * len(self.cited & set(self.clauses)) / len(self.clauses) if self.clauses else 100.0

    def report(self) -> str:
        lines = [f"coverage {self.pack.label}: rules {len(self.exercised & set(self.rules))}/{len(self.rules)} "
                 f"({self.rule_share:.1f} %), clauses {len(self.cited & set(self.clauses))}/{len(self.clauses)} "
                 f"({self.clause_share:.1f} %)"]
        missing = [r for r in self.rules if r not in self.exercised]
        if missing:
            lines.append("  rules no test case exercises: " + ", ".join(missing))
        uncited = [c for c in self.clauses if c not in self.cited]
        if uncited:
            lines.append("  clauses no exercised rule cites: " + ", ".join(uncited))
        return "\n".join(lines)


def coverage(pack: Pack, matched: Iterable[set[str]]) -> Coverage:
    """A pack's coverage by its cases, from the rules each case matched (CaseResult.matched)."""
    exercised = set().union(*matched)
    cited = {n for rule in pack.rules if rule.id in exercised for n in rule.clauses}
    return Coverage(pack, [r.id for r in pack.rules], exercised, list(pack.clauses), cited)
