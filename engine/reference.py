"""A reference evaluator: the pack format in plain Python, written from its definition in the
README, with no durable_rules, no sessions, no partitions and no encoding. The tests hold the
engine to it (tests/test_reference.py): every installed pack, on its own test cases and on
generated and fuzzed facts, gives the same findings, obligations and rejects both ways. It also
guards against durable_rules' own faults (a lost fact, an id collision, an order-dependent
negation) and against a partition plan that would keep facts apart that a rule joins.

Every join is a nested loop: it is for inputs of test size, not for production.

What it shares with the engine is the input: the packs as built and checked, the parameters as
settled (per period), the fact checker, and the expression evaluator for values (what a time
plus hours is). What a condition means, what a count, an absence, a derived fact, an obligation
and a finding are, and which are said, it decides on its own.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .api import Engine, FactInput
from .check import clock_seconds
from .compiler import CompiledPack
from .expressions import CountRef, FieldRef, Now, Param, Text, evaluate, is_expression, plain, refs, shift
from .facts import FactTypes, event_field
from .models import Result
from .pack import AnyOf, Condition, Rule, Test, split_field
from .problems import FactsInvalid
from .result import shown

# A finding: (rule, its facts' ids sorted); an obligation: (rule, action, status, the fact that
# discharged it, the facts of its match sorted); a reject: (rule, the record's id).
FindingKey = tuple[str, tuple[str, ...]]
ObligationKey = tuple[str, str, str, str | None, tuple[str, ...]]


@dataclass
class Outcome:
    findings: Counter[FindingKey] = field(default_factory=Counter)
    obligations: Counter[ObligationKey] = field(default_factory=Counter)
    rejects: set[tuple[str, str]] = field(default_factory=set)


def outcome_of(result: Result) -> Outcome:
    """The engine's result in the reference's terms."""
    return Outcome(Counter((f.rule, tuple(sorted(f.facts))) for f in result.findings),
                   Counter((o.rule, o.action or "", o.status, o.discharged_by, tuple(sorted(o.facts)))
                           for o in result.obligations))


def engine_outcome(engine: Engine, facts: Iterable[FactInput], history: Iterable[FactInput] = (),
                   as_of: dt.datetime | dt.date | None = None, **options: Any) -> Outcome:
    """The engine's outcome, a rule's rejects included (the engine raises them)."""
    try:
        return outcome_of(engine.evaluate(facts, history=history, as_of=as_of, **options))
    except FactsInvalid as exc:
        rejects = {(p.message.rsplit("(rule ", 1)[1].split(",")[0], p.where.file.split(" ")[1])
                   for p in exc.problems if "(rule " in p.message}
        if not rejects:
            raise
        return Outcome(rejects=rejects)


def reference_outcome(engine: Engine, facts: Iterable[FactInput], history: Iterable[FactInput] = (),
                      as_of: dt.datetime | dt.date | None = None) -> Outcome:
    """The findings, obligations and rejects the packs of `engine` define for these facts."""
    types = engine.types
    current = {i: pair[0] for i, pair in engine.check_facts(facts).items()}
    past = {i: pair[0] for i, pair in engine.check_facts(history, "history fact", history=True).items()}
    now = _now(types, as_of, list(current.values()) + list(past.values()))
    later = {i for i, f in {**past, **current}.items() if (t := types.event(f)) is not None and types.instant(t) > now}
    known = {i: f for i, f in {**past, **current}.items() if i not in later}
    historical = set(past) - set(current) - later
    times = [types.instant(t) for i in historical if (t := types.event(known[i])) is not None]
    horizon = max(times) if times else None
    out = Outcome()
    passed: list[dict[str, Any]] = []  # facts earlier packs derived
    for compiled in engine.compiled:
        given = [f for f in list(known.values()) + passed if compiled in _judged_by(engine, types, f)]
        run = _Run(compiled, types, given + _table_facts(compiled, types), historical, now, horizon)
        run.evaluate()
        run.outcome(out)
        passed += [run.facts[i] for i in run.derived]
    return out if not out.rejects else Outcome(rejects=out.rejects)


def _now(types: FactTypes, as_of: dt.datetime | dt.date | None, facts: list[dict[str, Any]]) -> dt.datetime:
    if isinstance(as_of, dt.datetime):
        return as_of if as_of.tzinfo else as_of.replace(tzinfo=types.zone)
    if isinstance(as_of, dt.date):
        return dt.datetime.combine(as_of, dt.time.max, tzinfo=types.zone)
    times = [types.instant(t) for f in facts if (t := types.event(f)) is not None]
    return max(times) if times else dt.datetime.now(types.zone).replace(microsecond=0)


def _judged_by(engine: Engine, types: FactTypes, fact: dict[str, Any]) -> list[CompiledPack]:
    """Per pack whose rules read the fact's type: the revision in force on the fact's date (the
    latest that took effect by then), in the period of its parameters that date falls in."""
    date = types.event_date(fact)
    latest: dict[str, CompiledPack] = {}
    for compiled in engine.compiled:
        pack, since = compiled.pack, compiled.period.since
        if date is not None and (pack.effective > date or (since is not None and since > date)):
            continue
        held = latest.get(pack.name)
        if held is None or (pack.effective, since or dt.date.min) >= (held.pack.effective,
                                                                      held.period.since or dt.date.min):
            latest[pack.name] = compiled
    return [c for c in latest.values() if fact["type"] in _types_read(c)]


def _types_read(compiled: CompiledPack) -> set[str]:
    return {c.type for r in compiled.pack.rules for c in r.when} | {
        a.discharged_by.type for r in compiled.pack.rules for a in r.actions if a.discharged_by}


def _table_facts(compiled: CompiledPack, types: FactTypes) -> list[dict[str, Any]]:
    out = []
    for name, table in compiled.pack.tables.items():
        for row in table.rows:
            values = {k: (v[1:] if v.startswith("$$") else compiled.params[v[1:]].value) if isinstance(v, str)
                      and v.startswith("$") else v for k, v in row.items()}
            out.append(types.check({"type": name, "id": f"{name}:{':'.join(str(row.get(k)) for k in table.key)}",
                                    **values}))
    return out


@dataclass
class _Match:
    rule: Rule
    binding: dict[str, str]  # fact alias -> id
    counts: dict[str, tuple[int, list[str]]]  # count alias -> (n, member ids)

    @property
    def fact_ids(self) -> list[str]:
        ids = list(self.binding.values())
        for _, members in self.counts.values():
            ids += [m for m in members if m not in ids]
        return ids


class _Run:
    """One revision (and period) of a pack over its facts."""

    def __init__(self, compiled: CompiledPack, types: FactTypes, facts: list[dict[str, Any]], historical: set[str],
                 now: dt.datetime, horizon: dt.datetime | None):
        self.compiled, self.types, self.now, self.horizon = compiled, types, now, horizon
        self.rules = compiled.pack.rules
        self.params = {n: u.value for n, u in compiled.params.items()}
        self.facts: dict[str, dict[str, Any]] = {}
        self.by_type: dict[str, list[dict[str, Any]]] = {}
        self.indexes: dict[tuple[str, str], dict[Any, list[dict[str, Any]]]] = {}  # (type, field) -> value -> facts
        for fact in facts:
            self._add(fact)
        self.historical = historical  # shared by the packs: a fact derived from history is history
        self.current_before = {i for i in self.facts if i not in historical}  # given, or derived current earlier
        self.derived: dict[str, list[list[str]]] = {}  # derived id -> the facts of each of its derivations
        self.matches: list[_Match] = []
        self.lacking: dict[tuple[str, str], dict[str, str]] = {}  # (rule, fact) -> binding
        self.rejects: set[tuple[str, str]] = set()

    def _add(self, fact: dict[str, Any]) -> bool:
        if fact["id"] in self.facts:
            return False
        self.facts[fact["id"]] = fact
        self.by_type.setdefault(fact["type"], []).append(fact)
        for (kind, name), index in self.indexes.items():
            if kind == fact["type"]:
                index.setdefault(_hashable(fact.get(name)), []).append(fact)
        return True

    # -- conditions -----------------------------------------------------------------------------
    def value(self, expr: Any, binding: dict[str, str], counts: dict[str, tuple[int, list[str]]],
              each: dict[str, Any] | None = None) -> Any:
        def resolve(ref: Any) -> Any:
            if isinstance(ref, Param):
                return self.params[ref.name]
            if isinstance(ref, Now):
                return self.now if ref.name == "now" else self.now.astimezone(self.types.zone).date()
            if isinstance(ref, CountRef):
                n, members = counts[ref.alias]
                if ref.agg == "n":
                    return n
                values = [v for m in members if (v := self.facts[m].get(ref.field or "")) is not None]
                if ref.agg == "sum":
                    return None if members and not values else sum(Decimal(repr(v)) if isinstance(v, float)
                                                                   else Decimal(v) for v in values)
                if ref.agg == "list":
                    return sorted({str(v) for v in values})
                return (min if ref.agg == "min" else max)(values) if values else None
            assert isinstance(ref, FieldRef)
            if ref.alias == "each" and each is not None:
                found = each[ref.field]
            else:
                found = self.facts[binding[ref.alias]].get(ref.field)
            return self.types.local(found, ref.part) if ref.part and found is not None else found

        if isinstance(expr, Text):  # a derived field's text with values in braces
            return "".join(part if isinstance(part, str) else
                           shown(self.value(part.expr, binding, counts, each), self.types.zone, part.spec)
                           for part in expr.parts)
        if not is_expression(expr):
            return expr
        try:
            return plain(evaluate(expr, resolve, self.types.next_shift))
        except (TypeError, OverflowError):
            return None

    def holds(self, tests: list[Test | AnyOf], fact: dict[str, Any], binding: dict[str, str],
              counts: dict[str, tuple[int, list[str]]]) -> bool:
        return all(self.test(t, fact, binding, counts) for t in tests)

    def test(self, test: Test | AnyOf, fact: dict[str, Any], binding: dict[str, str],
             counts: dict[str, tuple[int, list[str]]]) -> bool:
        if isinstance(test, AnyOf):
            return any(self.holds(alt, fact, binding, counts) for alt in test.alternatives)
        base, part = split_field(test.field)
        own = fact.get(base)
        if test.op == "exists":
            return (own is not None) == bool(test.value)
        if own is None:
            return False  # a test on a field the fact lacks never holds (in durable_rules too)
        if part == "clock":  # the time of day in the site's zone, to the second
            local = own.astimezone(self.types.zone)
            own = local.hour * 3600 + local.minute * 60 + local.second
        elif part:
            own = self.types.local(own, part)
        given = test.value if isinstance(test.value, list) else [test.value]
        values = [self.value(v, binding, counts) for v in given]
        if part == "clock":
            values = [clock_seconds(v) if isinstance(v, str) else v for v in values]
        if any(v is None for v in values):
            return False
        if test.op in ("in", "not_in"):
            found = any(_compare(own, "eq", v) for v in values)
            return found if test.op == "in" else not found
        if test.op == "between":
            return _compare(own, "ge", values[0]) and _compare(own, "le", values[1])
        return _compare(own, test.op, values[0])

    # -- matching -------------------------------------------------------------------------------
    def candidates(self, condition: Condition, binding: dict[str, str]) -> list[dict[str, Any]]:
        """The facts of a condition's type, narrowed by its first equality with a bound fact's
        field when it has one (only to be quicker: every test is still made on each)."""
        for test in condition.tests:
            if isinstance(test, Test) and test.op == "eq" and isinstance(test.value, FieldRef) \
                    and test.value.alias in binding and not test.value.part and split_field(test.field)[1] is None:
                key = self.facts[binding[test.value.alias]].get(test.value.field)
                index = self.indexes.get((condition.type, test.field))
                if index is None:
                    index = self.indexes[(condition.type, test.field)] = {}
                    for fact in self.by_type.get(condition.type, []):
                        index.setdefault(_hashable(fact.get(test.field)), []).append(fact)
                return index.get(_hashable(key), [])
        return self.by_type.get(condition.type, [])

    def bindings(self, conditions: list[Condition], rule: Rule) -> list[dict[str, str]]:
        found: list[dict[str, str]] = self.bindings_from(conditions, {}, every=True)
        return found

    def members(self, condition: Condition, binding: dict[str, str],
                counts: dict[str, tuple[int, list[str]]]) -> list[str]:
        bound = set(binding.values())
        return sorted(f["id"] for f in self.candidates(condition, binding) if f["id"] not in bound
                      and self.holds(condition.tests, f, {**binding, condition.alias: f["id"]}, counts))

    def matches_of(self, rule: Rule) -> list[_Match]:
        out = []
        for binding in self.bindings(rule.facts, rule):
            counts: dict[str, tuple[int, list[str]]] = {}
            for condition in rule.counts:
                members = self.members(condition, binding, counts)
                counts[condition.alias] = (len(members), members)
                if not all(self.test(t, {"n": len(members)}, binding, counts) for t in condition.compare):
                    break
            else:
                out.append(_Match(rule, binding, counts))
        return out

    def evaluate(self) -> None:
        """Rules stage by stage (a count after every rule deriving what it reads), each stage's
        rules to a fixpoint (derived facts feed further rules)."""
        levels = _levels(self.rules)
        seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        for level in sorted(set(levels.values())):
            stage = [r for r in self.rules if levels[r.id] == level]
            while True:
                new = False
                for rule in stage:
                    for match in self.matches_of(rule):
                        key = (rule.id, tuple(sorted(match.binding.items())))
                        if key in seen:
                            continue
                        seen.add(key)
                        self.matches.append(match)
                        if rule.reject is not None:
                            self.rejects.add((rule.id, match.binding[rule.facts[0].alias]))
                        new |= self.derive(match)
                    self.unjudged(rule)
                if not new:
                    break

    def derive(self, match: _Match) -> bool:
        new = False
        for spec in match.rule.derive:
            for each in self._steps(spec, match):
                values = {k: self.value(v, match.binding, match.counts, each) for k, v in spec.fields.items()}
                fact = self.types.check({"type": spec.type, **{k: v for k, v in values.items() if v is not None}})
                new |= self._add(fact)
                self.derived.setdefault(fact["id"], []).append(match.fact_ids)
        return new

    def _steps(self, spec: Any, match: _Match) -> list[dict[str, Any] | None]:
        if spec.each is None:
            return [None]
        start = self.value(spec.each.start, match.binding, match.counts)
        end = self.value(spec.each.end, match.binding, match.counts)
        steps: list[dict[str, Any] | None] = []
        if start is None or end is None:
            return steps
        step = start
        while step < end:
            index = len(steps) + 1
            amount = Decimal(repr(spec.each.step)) if isinstance(spec.each.step, float) else spec.each.step
            following = shift(start, "+", amount * index, spec.each.unit)
            steps.append({"start": step, "end": following, "index": index})
            step = following
        return steps

    def unjudged(self, rule: Rule) -> None:
        """A fact a rule would judge that lacks a field the rule names under `unjudged`: the
        conditions before it hold, its tests on other fields hold, and each later condition (not
        an absence) has a fact, without the tests that read what is missing."""
        for alias, names in rule.unjudged.items():
            condition = next(c for c in rule.when if c.alias == alias)
            earlier = [c for c in rule.facts if c.index < condition.index]
            for binding in self.bindings(earlier, rule):
                for fact in self.by_type.get(condition.type, []):
                    if fact["id"] in binding.values() or all(fact.get(n) is not None for n in names):
                        continue
                    tests = [t for t in condition.tests
                             if not _reads(t, set(names)) and not _joins(t, alias, set(names))]
                    here = {**binding, alias: fact["id"]}
                    if not self.holds(tests, fact, here, {}):
                        continue
                    later = [c.model_copy(update={"tests": [t for t in c.tests if not _joins(t, alias, set(names))]})
                             for c in rule.when if c.index > condition.index and c.kind != "absent"]
                    found = self.bindings_from(later, here)
                    if found is not None:
                        self.lacking.setdefault((rule.id, fact["id"]), {
                            a: i for a, i in found.items() if a in {c.alias for c in rule.facts}})

    def bindings_from(self, conditions: list[Condition], binding: dict[str, str], every: bool = False) -> Any:
        """Every binding of the conditions that extends `binding` (with `every`), else the first
        or None. A fact is bound once in a match."""
        found: list[dict[str, str]] = [binding]
        for condition in conditions:
            found = [{**b, condition.alias: f["id"]} for b in found for f in self.candidates(condition, b)
                     if f["id"] not in b.values() and self.holds(condition.tests, f, {**b, condition.alias: f["id"]},
                                                                 {})]
        return found if every else found[0] if found else None

    # -- what is said -----------------------------------------------------------------------------
    def outcome(self, out: Outcome) -> None:
        # A derived fact is current when a derivation of it reads a current fact (given in this
        # run, or derived current): from each such fact, along the derivations that read it.
        readers: dict[str, list[str]] = {}
        for derived, derivations in self.derived.items():
            for source in {s for d in derivations for s in d}:
                readers.setdefault(source, []).append(derived)
        given_current = {s for s in readers if s not in self.derived and s not in self.historical}
        current: set[str] = set()
        stack = [d for s in given_current for d in readers[s]] + [d for d in self.derived if d in self.current_before]
        while stack:
            fact_id = stack.pop()
            if fact_id not in current:
                current.add(fact_id)
                stack += readers.get(fact_id, [])
        for fact_id in self.derived:
            (self.historical.discard if fact_id in current else self.historical.add)(fact_id)
        chosen: dict[tuple[str, ...], _Match] = {}
        for match in self.matches:
            if match.rule.finding is None and not any(a.discharged_by for a in match.rule.actions):
                continue
            once = match.rule.once_per
            key = (match.rule.id,) + (tuple(match.binding[a] for a in once) if once else tuple(match.fact_ids))
            order = tuple((str(self.types.event(self.facts[i])), i) for i in match.binding.values())
            if key not in chosen or order < tuple((str(self.types.event(self.facts[i])), i)
                                                  for i in chosen[key].binding.values()):
                chosen[key] = match
        for match in chosen.values():
            historical = all(i in self.historical for i in match.fact_ids)
            if match.rule.finding is not None and not historical:
                out.findings[(match.rule.id, tuple(sorted(match.fact_ids)))] += 1
            for action in match.rule.actions:
                if action.discharged_by is not None:
                    self.obligation(match, action, historical, out)
        for (rule_id, _), binding in sorted(self.lacking.items()):
            if not all(i in self.historical for i in binding.values()):
                out.findings[(f"{rule_id}.unjudged", tuple(sorted(binding.values())))] += 1
        out.rejects |= self.rejects

    def obligation(self, match: _Match, action: Any, historical: bool, out: Outcome) -> None:
        condition = action.discharged_by
        dated = action.discharged_at or event_field(self.types.declarations[condition.type])
        due = self.value(action.due.at_time, match.binding, match.counts) if action.due and \
            action.due.at_time is not None else None
        due = due if isinstance(due, dt.date) else None
        done = []
        for fact_id in self.members(condition, match.binding, match.counts):
            when = self.facts[fact_id].get(dated) if dated else None
            if isinstance(when, dt.date):
                done.append((self.types.instant(when), fact_id, when))
        done.sort(key=lambda d: (d[0], d[1]))
        on_time = [d for d in done if due is None or _met(self.types, d[2], due)]
        chosen = on_time[0] if on_time else done[0] if done else None
        if chosen is not None:
            status = "done" if on_time else "late"
        elif due is None or not _passed(self.types, self.now, due):
            status = "open"
        else:
            status = "overdue"
        fresh = chosen is not None and chosen[1] not in self.historical
        facts = tuple(sorted(match.fact_ids))
        if not historical or status != "done" or fresh:
            out.obligations[(match.rule.id, action.id or "", status, chosen[1] if chosen else None, facts)] += 1
        if action.overdue is not None and status in ("overdue", "late"):
            said = (status == "late" and not fresh) or (
                status == "overdue" and historical and due is not None and self.horizon is not None
                and _passed(self.types, self.horizon, due))
            if not said:
                ids = facts + ((chosen[1],) if status == "late" and chosen else ())
                out.findings[(f"{match.rule.id}.{action.id}-{status}", tuple(sorted(ids)))] += 1


def _levels(rules: list[Rule]) -> dict[str, int]:
    """A rule's stage: after the rules deriving what it reads, one more when it counts (a count, an
    absence or what discharges an obligation sees only complete sets)."""
    producers: dict[str, list[Rule]] = {}
    for rule in rules:
        for kind in rule.derives:
            producers.setdefault(kind, []).append(rule)
    level = {r.id: 0 for r in rules}
    for _ in range(len(rules) + 1):
        for rule in rules:
            reads = [c.type for c in rule.when] + [a.discharged_by.type for a in rule.actions if a.discharged_by]
            base = max((level[p.id] for t in reads for p in producers.get(t, [])), default=0)
            level[rule.id] = base + 1 if rule.counts or any(a.discharged_by for a in rule.actions) else base
    return level


def _hashable(value: Any) -> Any:
    return tuple(map(_hashable, value)) if isinstance(value, list) else value


def _compare(left: Any, op: str, right: Any) -> bool:
    if isinstance(left, bool) != isinstance(right, bool):
        return op == "ne"
    if isinstance(left, dt.datetime) != isinstance(right, dt.datetime) and isinstance(left, dt.date) \
            and isinstance(right, dt.date):
        return False
    try:
        return bool({"eq": left == right, "ne": left != right, "lt": left < right, "le": left <= right,
                     "gt": left > right, "ge": left >= right}[op])
    except TypeError:
        return op == "ne"


def _met(types: FactTypes, done: dt.date, due: dt.date) -> bool:
    if isinstance(due, dt.datetime):
        return types.instant(done) <= due
    return (done.astimezone(types.zone).date() if isinstance(done, dt.datetime) else done) <= due


def _passed(types: FactTypes, now: dt.datetime, due: dt.date) -> bool:
    return now > due if isinstance(due, dt.datetime) else now.astimezone(types.zone).date() > due


def _reads(test: Test | AnyOf, names: set[str]) -> bool:
    if isinstance(test, AnyOf):
        return any(_reads(t, names) for alt in test.alternatives for t in alt)
    return split_field(test.field)[0] in names


def _joins(test: Test | AnyOf, alias: str, names: set[str]) -> bool:
    if isinstance(test, AnyOf):
        return any(_joins(t, alias, names) for alt in test.alternatives for t in alt)
    values = test.value if isinstance(test.value, list) else [test.value]
    return any(isinstance(r, FieldRef) and r.alias == alias and r.field in names for v in values for r in refs(v))
