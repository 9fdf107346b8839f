"""Result: what a rule's matches produce. During a session, the facts it derives (forward
chaining); afterwards, its findings with their clause citations, RACI-resolved actions, due
times and sanctions; and the evaluation's whole Result, with the evidence behind its findings.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any, TypedDict

from .compiler import CompiledPack, agg_alias, fact_id
from .facts import FactTypes
from .models import (
    Action,
    Citation,
    Derivation,
    DerivedFact,
    Finding,
    PackRef,
    Result,
    Sanction,
    Subject,
    Trace,
    canonical,
)
from .pack import SECONDS, ActionSpec, CountRef, FieldRef, Param, Rule, Text
from .plan import flat
from .problems import SourceError


class _Roles(TypedDict):
    """An action's RACI roles, by name."""

    responsible: list[str]
    accountable: list[str]
    consulted: list[str]
    informed: list[str]


class _Fixed(TypedDict):
    """What every finding of one rule shares (Consequences._fix)."""

    roles: list[_Roles]  # per action
    finding: dict[str, Any]  # the Finding fields: title, pack, clauses, severity, sanctions, ...


@dataclass
class Match:
    rule: Rule
    binding: dict[str, str]  # fact alias -> fact id
    counts: dict[str, tuple[int, list[str]]]  # count alias -> (n, member ids)

    @property
    def fact_ids(self) -> list[str]:
        ids = list(self.binding.values())
        for _, members in self.counts.values():
            ids += [m for m in members if m not in ids]
        return ids


class Consequences:
    """Collects one compiled pack's matches in an evaluation and turns them into results."""

    def __init__(self, compiled: CompiledPack, types: FactTypes, facts: dict[str, dict[str, Any]],
                 historical: set[str], derivations: dict[str, Derivation]):
        self.compiled, self.types = compiled, types
        self.facts, self.historical, self.derivations = facts, historical, derivations
        self.matches: list[Match] = []
        self.produced: dict[str, dict[str, Any]] = {}  # derived fact id -> its encoding, for later parts
        self.params = {name: use.value for name, use in compiled.params.items()}
        self._fixed: dict[str, _Fixed] = {}
        # derived record (type, its fields) -> (fact, encoding)
        self._checked: dict[tuple[str, tuple[tuple[str, Any], ...]], tuple[dict[str, Any], dict[str, Any]]] = {}

    # -- during the session ---------------------------------------------------------------------
    def on_match(self, rule: Rule, frame: dict[str, Any]) -> list[dict[str, Any]]:
        match = Match(rule, {c.alias: fact_id(frame[c.alias]) for c in rule.facts},
                      {c.alias: (frame[agg_alias(c.alias)]["n"], frame[agg_alias(c.alias)]["members"])
                       for c in self.compiled.counts[rule.id]})
        match.counts.update((c.alias, (0, [])) for c in rule.counts if c.alias not in match.counts)  # negated
        self.matches.append(match)
        out: list[dict[str, Any]] = []
        for derive in rule.derive:
            values = tuple((k, self.value(v, match)) for k, v in derive.fields.items())
            checked = self._checked.get((derive.type, values))
            if checked is None:  # many matches derive the same fact (one per shift and unit type)
                checked = self._checked[(derive.type, values)] = self.types.check_encoded(
                    {"type": derive.type, **dict(values)}, f"rule {rule.id} (derive {derive.type})")
            fact, encoded = checked[0], dict(checked[1])  # the session stamps its copy
            derived_id, sources = fact["id"], match.fact_ids
            if derived_id not in self.facts:
                self.facts[derived_id] = fact
                if all(s in self.historical for s in sources):
                    self.historical.add(derived_id)
            if not all(s in self.historical for s in sources):
                self.historical.discard(derived_id)  # derived now from this run's facts: current
            # A fact derived several ways is shown with the least of them (by rule, then facts),
            # not the first to match, which depends on the order the facts came in.
            shown = self.derivations.get(derived_id)
            if shown is None or (rule.id, sources) < (shown.rule, shown.facts):
                self.derivations[derived_id] = Derivation.model_construct(
                    rule=rule.id, pack=self.compiled.pack.name, facts=sources)
            self.produced.setdefault(derived_id, checked[1])  # the unstamped encoding
            out.append(encoded)  # the session asserts it unless it already holds it
        return out

    def value(self, value: Any, match: Match) -> Any:
        """A literal, a parameter or a reference, as it holds for a match."""
        if isinstance(value, Param):
            return self.params[value.name]
        if isinstance(value, CountRef):
            n = match.counts[value.alias][0]
            return n if value.shift is None else n * self.value(value.shift.amount, match)
        if not isinstance(value, FieldRef):
            return value
        base = self.facts[match.binding[value.alias]].get(value.field)
        if value.shift is None or base is None:
            return base
        shift = value.shift
        amount = self.value(shift.amount, match)
        try:
            if shift.op == "*":
                return base * amount
            sign = -1 if shift.op == "-" else 1
            if isinstance(base, dt.datetime):
                return base + dt.timedelta(seconds=sign * amount * SECONDS[shift.unit or "s"])
            if isinstance(base, dt.date):
                return base + dt.timedelta(days=sign * amount)
            return base + sign * amount
        except OverflowError:
            raise SourceError(match.rule.at.where("then"), f"rule {match.rule.id}: {value} from {base} is beyond the "
                                                           "calendar") from None

    # -- after the session ----------------------------------------------------------------------
    def findings(self) -> list[Finding]:
        chosen: dict[tuple[str, ...], Match] = {}
        for match in self.matches:
            if match.rule.finding is None:
                continue
            if all(i in self.historical for i in match.fact_ids):
                continue  # judged in the run that first saw these facts
            once = match.rule.once_per
            key = (match.rule.id,) + (tuple(match.binding[a] for a in once) if once else tuple(match.fact_ids))
            if key not in chosen or self._order(match) < self._order(chosen[key]):
                chosen[key] = match
        return [self.finding(m) for m in chosen.values()]

    def _order(self, match: Match) -> tuple[tuple[str, str], ...]:
        return tuple((str(self.event_time(i)), i) for i in match.binding.values())

    def event_time(self, fact_id: str) -> Any:
        fact = self.facts[fact_id]
        return fact.get("time") or fact.get("date")

    def finding(self, match: Match) -> Finding:
        rule = match.rule
        fixed = self._fixed.get(rule.id) or self._fix(rule)
        times = [t for t in (self.event_time(i) for i in match.binding.values()) if t is not None]
        times.sort(key=lambda t: (t if isinstance(t, dt.datetime) else
                                  dt.datetime.combine(t, dt.time(), tzinfo=self.types.zone)))
        time = times[-1] if times else None
        ids = match.fact_ids
        key = "\0".join([rule.id, self.compiled.pack.name] + sorted(ids))
        assert rule.finding is not None
        # Built without re-validation: every part is made here, from checked packs and facts.
        return Finding.model_construct(
            id="F-" + hashlib.blake2b(key.encode(), digest_size=8).hexdigest(),
            rule=rule.id,
            subject=self.subject(match),
            message=self.render(rule.finding.message, match),
            time=time,
            facts=ids,
            actions=[self.action(a, match, roles) for a, roles in zip(rule.actions, fixed["roles"], strict=True)],
            **fixed["finding"],
        )

    def _fix(self, rule: Rule) -> _Fixed:
        """What a rule's findings share, made once per rule: citations, pack, sanctions, roles."""
        pack = self.compiled.pack
        raci = pack.raci

        def names(keys: list[str]) -> list[str]:
            return [raci.roles[k] for k in keys] if raci else []

        roles: list[_Roles] = []
        for spec in rule.actions:
            process = raci.processes.get(spec.raci) if raci and spec.raci else None
            roles.append({"responsible": names(process.R if process else []) + names(spec.responsible),
                          "accountable": names(process.A if process else []) + names(spec.accountable),
                          "consulted": names(process.C if process else []),
                          "informed": names(process.I if process else [])})
        assert rule.finding is not None
        fixed: _Fixed = {"roles": roles, "finding": {
            "title": rule.title,
            "pack": PackRef(name=pack.name, version=pack.version, hash=pack.hash),
            "clauses": [Citation(document=pack.source_of(n).number, revision=pack.source_of(n).revision,
                                 number=n, text=pack.clauses[n].text) for n in rule.clauses],
            "severity": rule.finding.severity,
            "sanctions": [Sanction(rung=pack.sanctions[s.rung].id, label=pack.sanctions[s.rung].label, note=s.note)
                          for s in rule.sanctions],
            "interpretation": rule.interpretation,
            "parameters": {n: self.compiled.params[n] for n in sorted(parameters_used(rule))},
        }}
        self._fixed[rule.id] = fixed
        return fixed

    def subject(self, match: Match) -> Subject:
        spec = match.rule.subject
        if spec:
            return Subject(kind=spec.kind, id=self.render(spec.id, match))
        first = match.rule.facts[0]
        fact = self.facts[match.binding[first.alias]]
        field = self.types.declarations[first.type].get("subject")
        if field and fact.get(field) is not None:
            return Subject(kind=field, id=str(fact[field]))
        return Subject(kind=first.type, id=fact["id"])

    def render(self, text: Text, match: Match) -> str:
        return "".join(part if isinstance(part, str) else (
            str(self.value(part, match)) if isinstance(part, CountRef)
            else _text(self.value(part, match), self.types.zone))
            for part in text.parts)

    def action(self, spec: ActionSpec, match: Match, roles: _Roles) -> Action:
        due = None
        if spec.due and spec.due.at_time:
            due = self.value(spec.due.at_time, match)
            if isinstance(due, dt.date) and not isinstance(due, dt.datetime):
                due = dt.datetime.combine(due, dt.time(), tzinfo=self.types.zone)
        return Action.model_construct(what=self.render(spec.what, match), raci=spec.raci, due=due,
                                      due_text=spec.due.text if spec.due else None, **roles)


def parameters_used(rule: Rule) -> set[str]:
    """The parameters a rule's conditions, derived facts, texts and due times read."""
    values: list[Any] = []
    for condition in rule.when:
        for test in flat(condition.tests) + condition.compare:
            values += test.value if isinstance(test.value, list) else [test.value]
    for derive in rule.derive:
        values += list(derive.fields.values())
    texts = ([rule.finding.message] if rule.finding else []) + [a.what for a in rule.actions] + (
        [rule.subject.id] if rule.subject else [])
    values += [ref for text in texts for ref in text.refs]
    values += [a.due.at_time for a in rule.actions if a.due and a.due.at_time]
    names: set[str] = set()
    for value in values:
        for part in (value, getattr(getattr(value, "shift", None), "amount", None)):
            if isinstance(part, Param):
                names.add(part.name)
    return names


def _text(value: Any, zone: dt.tzinfo | None = None) -> str:
    if value is None:
        return "-"  # a field the fact does not have
    if isinstance(value, dt.datetime):
        return (value.astimezone(zone) if zone else value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def build_result(findings: dict[str, Finding], derivations: dict[str, Derivation], known: dict[str, dict[str, Any]],
                 historical: set[str], trace: Trace) -> Result:
    """The evaluation's Result: findings in time order, the facts derived now, and the evidence
    (every fact a finding rests on, through the chains of derived facts)."""
    ordered = sorted(findings.values(), key=lambda f: (str(f.time), f.subject.kind, f.subject.id, f.rule, f.id))
    # Built without re-validation: the facts were checked when derived.
    derived = [DerivedFact.model_construct(**{k: v for k, v in known[i].items() if k != "source"}, derived_from=d)
               for i, d in sorted(derivations.items()) if i not in historical]
    evidence: dict[str, dict[str, Any]] = {}
    stack = [i for f in ordered for i in f.facts]
    while stack:
        fact_id_ = stack.pop()
        if fact_id_ in evidence or fact_id_ not in known:
            continue
        evidence[fact_id_] = canonical(known[fact_id_])
        if fact_id_ in derivations:
            stack += derivations[fact_id_].facts
    return Result(findings=ordered, derived=derived, trace=trace, facts=dict(sorted(evidence.items())),
                  derivations={i: derivations[i] for i in sorted(evidence) if i in derivations})
