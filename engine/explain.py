"""The chain from a finding back to its clause and evidence, written for an auditor."""
from __future__ import annotations

import json

from .models import Finding, Obligation, Result
from .result import local_text


def select(result: Result, key: str) -> list[Finding | Obligation]:
    """Findings and obligations whose id starts with `key`, or whose rule is `key`."""
    found: list[Finding | Obligation] = [f for f in result.findings if f.id.startswith(key) or f.rule == key]
    return found + [o for o in result.obligations if o.id.startswith(key) or o.rule == key
                    or f"{o.rule}.{o.action}" == key]


def describe(result: Result, item: Finding | Obligation) -> str:
    return explain(result, item) if isinstance(item, Finding) else explain_obligation(result, item)


def explain_obligation(result: Result, obligation: Obligation) -> str:
    """An obligation's chain: what is owed, by whom and when, its status and the fact that
    discharged it, the clause that sets it, and the facts of the finding that set it."""
    zone = result.trace.timezone
    roles = ", ".join(f"{letter}: {'/'.join(names)}" for letter, names in
                      (("R", obligation.responsible), ("A", obligation.accountable)) if names)
    due = local_text(obligation.due, zone) or obligation.due_text or "no due time"
    lines = [f"Obligation {obligation.id}  [{obligation.status}]",
             f"  {obligation.what}" + (f"  [{roles}]" if roles else ""),
             f"  Due {due}" + (f" ({obligation.due_text})" if obligation.due and obligation.due_text else "")
             + f"; judged at {local_text(result.trace.as_of, zone)}",
             f"  Subject: {obligation.subject.kind} {obligation.subject.id}"]
    if obligation.discharged_by:
        lines.append(f"  Discharged by {obligation.discharged_by} at {local_text(obligation.discharged_at, zone)}")
    lines += ["", f"Rule {obligation.rule}" + (f", action {obligation.action}" if obligation.action else "")
              + (f", for finding {obligation.finding}" if obligation.finding else ""),
              f"  from pack {obligation.pack.name} {obligation.pack.version} (content hash {obligation.pack.hash})"]
    for citation in obligation.clauses:
        lines += [f"  demanded by {citation.document} revisi {citation.revision}, clause {citation.number}:",
                  f"    \"{citation.text.strip()}\""]
    lines += ["", "Evidence:"]
    for fact_id in obligation.facts + ([obligation.discharged_by] if obligation.discharged_by else []):
        lines += _evidence(result, fact_id, depth=1, seen=set())
    return "\n".join(lines) + "\n"


def explain(result: Result, finding: Finding) -> str:
    lines = [
        f"Finding {finding.id}  [{finding.severity}]",
        f"  {finding.message}",
        f"  Subject: {finding.subject.kind} {finding.subject.id}"
        + (f", at {local_text(finding.time, result.trace.timezone)}" if finding.time else ""),
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
            due = local_text(action.due, result.trace.timezone) if action.due else (action.due_text or "")
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
