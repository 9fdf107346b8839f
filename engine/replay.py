"""Replay: a recorded evaluation judged again by today's packs, and whether they judge it the same.

The evaluation's facts, with the history it read (what evaluations before it recorded, read the
way it read it) and its site config, go through an engine built from the packs installed today
under the names it used; its findings are compared with those recorded, finding by finding, on
what a finding says (rule, subject, severity, message, time, facts, clauses, actions, sanctions,
interpretation, parameter values), not on the pack's version or hash, which the summary shows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .api import Engine
from .models import Finding
from .store import Evaluation, HistorySpec, Store

# What a judgement is made of: the fields compared. Parameters are compared on value, unit and clause.
COMPARED = ("rule", "title", "severity", "subject", "message", "time", "facts", "clauses", "actions", "sanctions",
            "interpretation")


@dataclass
class Replay:
    evaluation: Evaluation
    packs_then: list[dict[str, Any]]
    packs_now: list[dict[str, Any]]
    same: list[str] = field(default_factory=list)  # finding ids judged the same
    changed: list[tuple[Finding, Finding, list[str]]] = field(default_factory=list)  # then, now, what differs
    gone: list[Finding] = field(default_factory=list)  # recorded then, not found now
    new: list[Finding] = field(default_factory=list)  # found now, not recorded then

    @property
    def judged_the_same(self) -> bool:
        return not (self.changed or self.gone or self.new)

    def report(self) -> str:
        ev = self.evaluation
        lines = [f"evaluation {ev.id} (recorded {ev.recorded_at}" + (f", as of {ev.as_of}" if ev.as_of else "")
                 + f", {ev.facts_in} facts given, {ev.facts_history} from history)"]
        now = {(p["name"], p["version"]): p for p in self.packs_now}
        for pack in self.packs_then:
            today = now.get((pack["name"], pack["version"]))
            if today and today["hash"] == pack["hash"]:
                state = "installed today, the same content"
            elif today:
                state = f"installed today with other content (hash {today['hash'][:12]})"
            else:
                others = [v for (n, v) in now if n == pack["name"]]
                state = f"judged today by {', '.join(others)}" if others else "not installed today"
            lines.append(f"  pack {pack['name']} {pack['version']} (hash {pack['hash'][:12]}): {state}")
        lines.append(f"findings then {len(self.same) + len(self.changed) + len(self.gone)}, "
                     f"now {len(self.same) + len(self.changed) + len(self.new)}: {len(self.same)} the same, "
                     f"{len(self.changed)} changed, {len(self.gone)} gone, {len(self.new)} new")
        for then, _, fields in self.changed:
            lines.append(f"  changed {then.id} {then.rule} ({then.subject.kind} {then.subject.id}): "
                         + ", ".join(fields))
        lines += [f"  gone    {f.id} {f.rule} ({f.subject.kind} {f.subject.id}): {f.message}" for f in self.gone]
        lines += [f"  new     {f.id} {f.rule} ({f.subject.kind} {f.subject.id}): {f.message}" for f in self.new]
        lines.append("today's packs judge it the same" if self.judged_the_same
                     else "today's packs judge it differently")
        return "\n".join(lines) + "\n"


def judgement(finding: Finding) -> dict[str, Any]:
    data = finding.model_dump(mode="json", include=set(COMPARED))
    data["parameters"] = {n: {"value": u.value, "unit": u.unit, "clause": u.clause}
                          for n, u in finding.parameters.items()}
    return data


def replay(store: Store, evaluation_id: int, packs: list[str] | None = None) -> Replay:
    """Evaluation `evaluation_id` of `store` judged again by today's packs: the installed packs of
    the names it used, or `packs` (names or folders: a revision under review). Nothing is recorded."""
    evaluation = store.evaluation(evaluation_id)
    packs_then = store.packs_of(evaluation_id)
    config = {"timezone": evaluation.config["timezone"], "parameters": evaluation.config.get("parameters") or {}}
    engine = Engine(packs or sorted({p["name"] for p in packs_then}), config=config)
    given = store.facts_of(evaluation_id)
    checked = {i: pair[0] for i, pair in engine.check_facts(given, "stored fact").items()}
    days = {i: engine.event_day(f) for i, f in checked.items()}
    spec = HistorySpec(days=evaluation.history["days"], key=evaluation.history["key"],
                       shared=set(evaluation.history["shared"]))
    history = store.history(evaluation_id, spec, checked, days)
    result = engine.evaluate(given, history=history)
    then = {f.id: f for _, f in store.findings(evaluation=evaluation_id)}
    now = {f.id: f for f in result.findings}
    packs_now = [{"name": p.name, "version": p.version, "hash": p.hash} for p in engine.packs]
    out = Replay(evaluation, packs_then, packs_now)
    for finding_id, old in then.items():
        current = now.get(finding_id)
        if current is None:
            out.gone.append(old)
            continue
        a, b = judgement(old), judgement(current)
        differing = [k for k in a if a[k] != b[k]]
        if differing:
            out.changed.append((old, current, differing))
        else:
            out.same.append(finding_id)
    out.new = [f for i, f in now.items() if i not in then]
    return out
