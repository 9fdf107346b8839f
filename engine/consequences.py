"""What a rule's match produces: derived facts (during the session) and, afterwards, findings
with their clause citations, RACI-resolved actions, due dates and sanctions.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from .compiler import CompiledPack, agg_alias, fact_id
from .facts import FactTypes
from .lint import TEMPLATE_REF
from .models import Action, Citation, Derivation, Finding, PackRef, Sanction, Subject
from .rules import SECONDS, Param, Ref, Rule, parse_value
from .problems import SourceError


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
    """Collects one pack revision's matches in an evaluation and turns them into results."""

    def __init__(self, compiled: CompiledPack, types: FactTypes, facts: dict[str, dict],
                 historical: set[str], derivations: dict[str, Derivation]):
        self.compiled, self.types = compiled, types
        self.facts, self.historical, self.derivations = facts, historical, derivations
        self.matches: list[Match] = []
        self.produced: dict[str, dict] = {}  # derived fact id -> its encoding, for later parts
        self.params = {name: use.value for name, use in compiled.params.items()}
        self._fixed: dict[str, dict] = {}
        self._derive: dict[str, list] = {}  # rule -> its derive templates, parsed
        self._checked: dict[tuple, tuple[dict, dict]] = {}  # derived record -> (fact, encoding)

    # -- during the session ---------------------------------------------------------------------
    def on_match(self, rule: Rule, frame: dict) -> list[dict]:
        match = Match(rule, {p.alias: fact_id(frame[p.alias]) for p in rule.facts},
                      {c.alias: (frame[agg_alias(c.alias)]["n"], frame[agg_alias(c.alias)]["members"])
                       for c in self.compiled.counts[rule.id]})
        match.counts.update((c.alias, (0, [])) for c in rule.counts if c.alias not in match.counts)  # negated
        self.matches.append(match)
        out = []
        templates = self._derive.get(rule.id)
        if templates is None:  # parsed once per rule: a rule may match thousands of times
            templates = self._derive[rule.id] = [
                (t["type"], [(k, parse_value(v)) for k, v in t["fields"].items()])
                for t in rule.data["then"].get("derive") or []]
        for kind, fields in templates:
            values = tuple((k, self.value(v, match)) for k, v in fields)
            checked = self._checked.get((kind, values))
            if checked is None:  # many matches derive the same fact (one per shift and unit type)
                checked = self._checked[(kind, values)] = self.types.check_encoded(
                    {"type": kind, **dict(values)}, f"rule {rule.id} (derive {kind})")
            fact, encoded = checked[0], dict(checked[1])  # the session stamps its copy
            fact_id_, sources = fact["id"], match.fact_ids
            if fact_id_ not in self.facts:
                self.facts[fact_id_] = fact
                if all(s in self.historical for s in sources):
                    self.historical.add(fact_id_)
            if not all(s in self.historical for s in sources):
                self.historical.discard(fact_id_)  # derived now from this run's facts: current
            # A fact derived several ways is shown with the least of them (by rule, then facts),
            # not the first to match, which depends on the order the facts came in.
            shown = self.derivations.get(fact_id_)
            if shown is None or (rule.id, sources) < (shown.rule, shown.facts):
                self.derivations[fact_id_] = Derivation.model_construct(
                    rule=rule.id, pack=self.compiled.pack.name, facts=sources)
            self.produced.setdefault(fact_id_, checked[1])  # the unstamped encoding
            out.append(encoded)  # the session asserts it unless it already holds it
        return out

    def value(self, value: Any, match: Match) -> Any:
        if isinstance(value, Param):
            return self.params[value.name]
        if isinstance(value, Ref):
            base = self.facts[match.binding[value.alias]].get(value.field)
            if value.plus is None or base is None:
                return base
            plus = self.value(value.plus, match)
            try:
                if isinstance(base, dt.datetime):
                    return base + dt.timedelta(seconds=plus * SECONDS[value.unit or "s"])
                if isinstance(base, dt.date):
                    return base + dt.timedelta(days=plus)
            except OverflowError:
                raise SourceError(match.rule.loc.where("then"), f"rule {match.rule.id}: {value.alias}.{value.field} "
                                                               f"{base} plus {plus} {value.unit or ''} is beyond the "
                                                               "calendar") from None
            return base + plus
        return value

    # -- after the session ----------------------------------------------------------------------
    def findings(self) -> list[Finding]:
        chosen: dict[tuple, Match] = {}
        for match in self.matches:
            if not match.rule.data["then"].get("finding"):
                continue
            if all(i in self.historical for i in match.fact_ids):
                continue  # judged in the run that first saw these facts
            once = match.rule.data.get("once_per")
            key = (match.rule.id,) + (tuple(match.binding[a] for a in once) if once else tuple(match.fact_ids))
            if key not in chosen or self._order(match) < self._order(chosen[key]):
                chosen[key] = match
        return [self.finding(m) for m in chosen.values()]

    def _order(self, match: Match) -> tuple:
        return tuple((str(self.event_time(i)), i) for i in match.binding.values())

    def event_time(self, fact_id: str) -> Any:
        fact = self.facts[fact_id]
        return fact.get("time") or fact.get("date")

    def finding(self, match: Match) -> Finding:
        rule = match.rule
        fixed = self._fixed.get(rule.id) or self._fix(rule)
        then = rule.data["then"]
        times = [t for t in (self.event_time(i) for i in match.binding.values()) if t is not None]
        times.sort(key=lambda t: (t if isinstance(t, dt.datetime) else
                                  dt.datetime.combine(t, dt.time(), tzinfo=self.types.zone)))
        time = times[-1] if times else None
        ids = match.fact_ids
        key = "\0".join([rule.id, self.compiled.pack.name] + sorted(ids))
        # Built without re-validation: every part is made here, from checked packs and facts.
        return Finding.model_construct(
            id="F-" + hashlib.blake2b(key.encode(), digest_size=8).hexdigest(),
            rule=rule.id,
            subject=self.subject(match),
            message=self.render(then["finding"]["message"], match),
            time=time,
            facts=ids,
            actions=[self.action(a, match, time, roles) for a, roles in zip(then.get("actions") or [], fixed["roles"])],
            **fixed["finding"],
        )

    def _fix(self, rule: Rule) -> dict:
        """What a rule's findings share, made once per rule: citations, pack, sanctions, roles."""
        pack, data = self.compiled.pack, rule.data
        raci = pack.raci.data if pack.raci else {"roles": {}, "processes": {}}

        def names(keys) -> list[str]:
            return [raci["roles"][k] for k in keys]

        roles = []
        for spec in data["then"].get("actions") or []:
            process = raci["processes"].get(spec.get("raci"), {})
            roles.append({"responsible": names(process.get("R", [])) + names(spec.get("responsible", [])),
                          "accountable": names(process.get("A", [])) + names(spec.get("accountable", [])),
                          "consulted": names(process.get("C", [])), "informed": names(process.get("I", []))})
        fixed = self._fixed[rule.id] = {"roles": roles, "finding": {
            "title": data["title"],
            "pack": PackRef(name=pack.name, version=pack.version, hash=pack.hash),
            "clauses": [Citation(document=pack.document["number"], revision=pack.document["revision"],
                                 number=n, text=pack.clauses[n].data["text"]) for n in data["clauses"]],
            "severity": data["then"]["finding"]["severity"],
            "sanctions": [self.sanction(s) for s in data["then"].get("sanctions") or []],
            "interpretation": data.get("interpretation"),
            "parameters": {n: self.compiled.params[n] for n in sorted(self.parameters_used(rule))},
        }}
        return fixed

    def subject(self, match: Match) -> Subject:
        spec = match.rule.data.get("subject")
        if spec and "id" in spec:
            return Subject(kind=spec["kind"], id=self.render(spec["id"], match))
        if spec:
            alias, _, name = spec["field"].partition(".")
            return Subject(kind=spec["kind"], id=str(self.facts[match.binding[alias]].get(name)))
        first = match.rule.facts[0]
        fact = self.facts[match.binding[first.alias]]
        field = self.types.declarations[first.type].get("subject")
        if field and fact.get(field) is not None:
            return Subject(kind=field, id=str(fact[field]))
        return Subject(kind=first.type, id=fact["id"])

    def render(self, text: str, match: Match) -> str:
        def one(found) -> str:
            head, name = found.group(1), found.group(2)
            if head.startswith("$"):
                return _text(self.params[head[1:]])
            if head in match.counts:
                return str(match.counts[head][0])
            return _text(self.facts[match.binding[head]].get(name), self.types.zone)

        return TEMPLATE_REF.sub(one, text)

    def action(self, spec: dict, match: Match, time: Any, roles: dict) -> Action:
        due_spec = spec.get("due") or {}
        due = None
        if any(u in due_spec for u in ("minutes", "hours", "days")):
            base = time
            if "from" in due_spec:
                alias, _, name = due_spec["from"].partition(".")
                base = self.facts[match.binding[alias]].get(name)
            if isinstance(base, dt.date):
                amount = sum(float(self.value(parse_value(due_spec.get(u, 0)), match)) * SECONDS[k]
                             for u, k in (("minutes", "min"), ("hours", "h"), ("days", "d")))
                if not isinstance(base, dt.datetime):
                    base = dt.datetime.combine(base, dt.time(), tzinfo=self.types.zone)
                try:
                    due = base + dt.timedelta(seconds=amount)
                except OverflowError:
                    raise SourceError(match.rule.loc.where("then", "actions"),
                                      f"rule {match.rule.id}: an action due {amount:g} s after {base} is beyond "
                                      "the calendar") from None
        return Action.model_construct(what=self.render(spec["what"], match), raci=spec.get("raci"), due=due,
                                      due_text=due_spec.get("text"), **roles)

    def sanction(self, spec: dict) -> Sanction:
        rung = self.compiled.pack.sanctions[spec["rung"]].data
        return Sanction(rung=rung["id"], label=rung["label"], note=spec.get("note"))

    def parameters_used(self, rule: Rule) -> set[str]:
        names = set()

        def visit(tests) -> None:
            for test in tests:
                if test.op == "any":
                    for alternative in test.value:
                        visit(alternative)
                    continue
                for value in test.value if isinstance(test.value, list) else [test.value]:
                    for part in (value, getattr(value, "plus", None), getattr(value, "times", None)):
                        if isinstance(part, Param):
                            names.add(part.name)

        for pattern in rule.patterns:
            visit(pattern.tests + pattern.compare)
        text = rule.data["then"].get("finding", {}).get("message", "")
        for action in rule.data["then"].get("actions") or []:
            text += " " + action["what"] + " " + " ".join(str(v) for v in (action.get("due") or {}).values())
        names.update(m.group(1)[1:] for m in TEMPLATE_REF.finditer(text) if m.group(1).startswith("$"))
        names.update(w[1:] for w in text.split() if w.startswith("$") and w[1:] in self.compiled.params)
        return names


def _text(value: Any, zone=None) -> str:
    if value is None:
        return "-"  # a field the fact does not have
    if isinstance(value, dt.datetime):
        return (value.astimezone(zone) if zone else value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
