"""`patuh test`: run the test cases that live inside packs (tests/*.yaml).

A case gives facts (and optionally history, parameter overrides and the site's time zone) and
the complete list of findings it expects: rule, and optionally subject, sanctions and how many.
Any finding not listed fails the case, so a test also guards against false positives.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .api import Engine
from .pack import Pack, TestCase
from .problems import SourceError


@dataclass
class CaseResult:
    pack: Pack
    case: TestCase
    ok: bool
    detail: str = ""

    @property
    def name(self) -> str:
        return f"{self.pack.name}: {self.case.name}"


def _key(pack: str, rule: str, subject: str | None, sanctions) -> tuple:
    return (pack, rule, subject, tuple(sorted(sanctions)) if sanctions is not None else None)


def run_case(engine: Engine, pack: Pack, case: TestCase) -> CaseResult:
    try:
        if case.parameters or case.timezone:  # the same packs, in this case's site
            config: dict = {"parameters": {pack.name: case.parameters}}
            if case.timezone:
                config["timezone"] = case.timezone
            engine = Engine([p.path for p in engine.packs], config=config,
                            plugins=list(engine.plugins.get_plugins()), entry_points=False)
        facts = [(case.at.where("facts", i), f) for i, f in enumerate(case.facts)]
        history = [(case.at.where("history", i), f) for i, f in enumerate(case.history)]
        result = engine.evaluate(facts, history=history)
    except SourceError as exc:
        return CaseResult(pack, case, False, str(exc))
    expected: Counter = Counter()
    for item in case.expect:
        expected[_key(item.pack or pack.name, item.rule, item.subject, item.sanctions)] += item.count
    checked = {pack.name} | {k[0] for k in expected}  # a case answers for the packs it names
    got: Counter = Counter()
    for finding in result.findings:
        if finding.pack.name not in checked:
            continue
        # Compare only what the case pins down: subject and sanctions when it names them.
        rungs = tuple(sorted(s.rung for s in finding.sanctions))
        matches = [k for k in expected if k[:2] == (finding.pack.name, finding.rule)
                   and (k[2] is None or k[2] == finding.subject.id) and (k[3] is None or k[3] == rungs)]
        matches.sort(key=lambda k: (k[2] is None, k[3] is None))  # an exact expectation before a looser one
        got[matches[0] if matches else _key(finding.pack.name, finding.rule, finding.subject.id, rungs)] += 1
    if got == expected:
        return CaseResult(pack, case, True)
    missing = expected - got
    extra = got - expected
    parts = []
    if missing:
        parts.append("expected but not found: " + "; ".join(_show(k, n) for k, n in sorted(missing.items(), key=str)))
    if extra:
        parts.append("found but not expected: " + "; ".join(_show(k, n) for k, n in sorted(extra.items(), key=str)))
    return CaseResult(pack, case, False, " | ".join(parts))


def _show(key: tuple, n: int) -> str:
    _, rule, subject, sanctions = key
    text = rule + (f" for {subject}" if subject else "") + (f" with sanctions {list(sanctions)}" if sanctions else "")
    return text + (f" x{n}" if n > 1 else "")


def run_pack(engine: Engine, pack: Pack) -> list[CaseResult]:
    return [run_case(engine, pack, case) for case in pack.tests]
