"""The chain from a finding back to its clause and evidence, written for an auditor."""
from __future__ import annotations

import json

from .models import Finding, Result


def select(result: Result, key: str) -> list[Finding]:
    """Findings whose id starts with `key`, or whose rule is `key`."""
    return [f for f in result.findings if f.id.startswith(key) or f.rule == key]


def explain(result: Result, finding: Finding) -> str:
    lines = [
        f"Finding {finding.id}  [{finding.severity}]",
        f"  {finding.message}",
        f"  Subject: {finding.subject.kind} {finding.subject.id}" + (f", at {finding.time}" if finding.time else ""),
        "",
        f"Rule {finding.rule}: {finding.title}",
        f"  from pack {finding.pack.name} {finding.pack.version} (content hash {finding.pack.hash})",
    ]
    for citation in finding.clauses:
        lines += [f"  demanded by {citation.document} revisi {citation.revision}, clause {citation.number}:",
                  f"    \"{citation.text.strip()}\""]
    if finding.interpretation:
        lines += ["  Reading chosen where the source is ambiguous:", f"    {finding.interpretation.strip()}"]
    if finding.parameters:
        lines.append("  Parameters:")
        for name, use in finding.parameters.items():
            unit = f" {use.unit}" if use.unit else ""
            clause = f", clause {use.clause}" if use.clause else ", company choice"
            since = f", in force since {use.since}" if use.since else ""
            lines.append(f"    {name} = {use.value}{unit}  ({use.source}{clause}{since})")
    lines += ["", "Evidence:"]
    for fact_id in finding.facts:
        lines += _evidence(result, fact_id, depth=1, seen=set())
    if finding.actions:
        lines += ["", "Required actions:"]
        for action in finding.actions:
            roles = ", ".join(f"{letter}: {'/'.join(names)}" for letter, names in
                              (("R", action.responsible), ("A", action.accountable)) if names)
            due = action.due.isoformat() if action.due else (action.due_text or "")
            lines.append(f"  - {action.what}" + (f"  [{roles}]" if roles else "") + (f"  due {due}" if due else ""))
    if finding.sanctions:
        lines += ["", "Sanctions:"]
        lines += [f"  - {s.label}" + (f" ({s.note})" if s.note else "") for s in finding.sanctions]
    return "\n".join(lines) + "\n"


def _evidence(result: Result, fact_id: str, depth: int, seen: set[str]) -> list[str]:
    pad = "  " * depth
    fact = result.facts.get(fact_id)
    if fact is None or fact_id in seen:
        return [f"{pad}- {fact_id}"]
    seen.add(fact_id)
    fields = {k: v for k, v in fact.items() if k not in ("id", "type", "source")}
    line = f"{pad}- {fact['type']} {fact_id}: {json.dumps(fields, ensure_ascii=False, sort_keys=True)}"
    source = fact.get("source")
    if source:
        line += "\n" + pad + "  source: " + ", ".join(f"{k} {v}" for k, v in sorted(source.items()) if v is not None)
    out = [line]
    derivation = result.derivations.get(fact_id)
    if derivation:
        out.append(f"{pad}  derived by rule {derivation.rule} ({derivation.pack}) from:")
        for parent in derivation.facts:
            out += _evidence(result, parent, depth + 2, seen)
    return out
