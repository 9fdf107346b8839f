"""A function's value stands in a text as a reference's does (README: functions "in derived
fields, due times and texts"): "{floor($s.score * 100) / 100}" shows a score cut to two decimals,
where a format (:.2f) would round 79.996 up to the 80 it failed."""
from __future__ import annotations

from pathlib import Path

import patuh
from patuh.expressions import Call, Slot, parse_text

FILES = {
    "pack.yaml": """\
name: scores
version: 1.0.0
language: en
document: {number: S-1, title: Scores, issuer: ACME, revision: '1', effective: 2020-01-01}
""",
    "clauses.yaml": "clauses:\n  - {number: '1', text: A score under 80 is low.}\n",
    "parameters.yaml": "parameters:\n  low: {value: 80, clause: '1'}\n",
    "facts.yaml": """\
facts:
  score:
    subject: who
    fields:
      who: {type: string, required: true}
      score: {type: number, required: true}
""",
    "rules/r.yaml": """\
rules:
  - id: scores.low
    title: Low score
    clauses: ['1']
    when:
      - fact: score
        as: s
        where: {score: {lt: $low}}
    then:
      finding:
        severity: minor
        message: "{$s.who}: {floor($s.score * 100) / 100} (under {$low}; {max($s.score, $low)}) {not a slot}"
""",
}


def test_a_function_in_braces_is_a_slot():
    text = parse_text("a {floor($s.score * 100) / 100} b {round($x, 1):.1f} {plain}")
    slots = [p for p in text.parts if isinstance(p, Slot)]
    assert isinstance(slots[0].expr.left, Call) and isinstance(slots[1].expr, Call)  # type: ignore[union-attr]
    assert slots[1].spec == ".1f"
    assert text.parts[-1] == " {plain}"


def test_a_function_in_a_message_is_computed(tmp_path: Path):
    for name, body in FILES.items():
        (tmp_path / "scores" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "scores" / name).write_text(body, encoding="utf-8")
    engine = patuh.Engine([tmp_path / "scores"], entry_points=False)
    [finding] = engine.evaluate([{"type": "score", "who": "A", "score": 79.996}]).findings
    assert finding.message == "A: 79.99 (under 80; 80) {not a slot}"
