"""`patuh test`: run the test cases that live inside packs (tests/*.yaml).

A case gives facts (and optionally history and parameter overrides) and the complete list of
findings it expects: rule, and optionally subject, sanctions and how many. Any finding not
listed fails the case, so a test also guards against false positives.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .api import Engine
from .pack import Located, Pack
from .yamlsource import SourceError


@dataclass
class CaseResult:
    pack: Pack
    case: Located
    ok: bool
    detail: str = ""

    @property
    def name(self) -> str:
        return f"{self.pack.name}: {self.case.data['name']}"


def _key(rule: str, subject: str | None, sanctions) -> tuple:
    return (rule, subject, tuple(sorted(sanctions)) if sanctions is not None else None)


def run_case(engine: Engine, pack: Pack, case: Located) -> CaseResult:
    data = case.data
    try:
        if data.get("parameters"):
            engine = Engine([pack.path], config={"parameters": {pack.name: data["parameters"]}},
                            plugins=list(engine.plugins.get_plugins()), entry_points=False)
        facts = [(case.where("facts", i), f) for i, f in enumerate(data["facts"])]
        history = [(case.where("history", i), f) for i, f in enumerate(data.get("history") or [])]
        result = engine.evaluate(facts, history=history)
    except SourceError as exc:
        return CaseResult(pack, case, False, str(exc))
    expected: Counter = Counter()
    for item in data["expect"]:
        expected[_key(item["rule"], item.get("subject"), item.get("sanctions"))] += item.get("count", 1)
    got: Counter = Counter()
    for finding in result.findings:
        if finding.pack.name != pack.name:
            continue
        # Compare only what the case pins down: subject and sanctions when it names them.
        matches = [k for k in expected if k[0] == finding.rule
                   and (k[1] is None or k[1] == finding.subject.id)
                   and (k[2] is None or k[2] == tuple(sorted(s.rung for s in finding.sanctions)))]
        key = matches[0] if matches else _key(finding.rule, finding.subject.id, [s.rung for s in finding.sanctions])
        got[key] += 1
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
    rule, subject, sanctions = key
    text = rule + (f" for {subject}" if subject else "") + (f" with sanctions {list(sanctions)}" if sanctions else "")
    return text + (f" x{n}" if n > 1 else "")


def run_pack(engine: Engine, pack: Pack) -> list[CaseResult]:
    return [run_case(engine, pack, case) for case in pack.tests]
