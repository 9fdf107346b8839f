"""Compile: a planned pack, in one period of its parameters, becomes durable_rules ruleset
definitions (JSON), one per part of the plan.

Each pack rule becomes:
  - its main durable_rules rule: the fact patterns (joins included), plus one aggregate pattern
    per count/absent condition patuh computes, and durable_rules' own negation for the absences
    the plan lets it decide;
  - for each computed count/absent: a collector rule (fact patterns + the counted pattern) whose
    matches counts.py groups per binding of the fact patterns;
  - when a count could hold at zero: an anchor rule (the fact patterns alone), so that groups
    with no member exist too (absence is a count of zero).
Parameters are baked into the definitions, so a ruleset's name carries their hash.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from .check import clock_seconds
from .facts import CLOCK_KEY, encode_value
from .models import ParameterUse
from .pack import CLOCK, SECONDS, AnyOf, Condition, CountRef, FieldRef, Pack, Param, Rule, Test
from .plan import Period, Plan, flat, joined_optional
from .problems import PackInvalid

AGG = "~agg"  # type of the aggregate facts counts.py asserts
# A fact's patuh id travels as fid = "#<id>"; durable_rules' own `id` is a per-session counter
# the runtime assigns. durable_rules tells facts apart by a 32-bit hash of `id` alone, so two
# content-hash ids that collide were refused as "already observed" (it happened once in 1M
# facts), while counters "0", "1", ... never collide in the sizes used. A join on `id` also
# never matched across separate asserts. The '#' lets _guard rely on a fid never equalling a
# type name.
FID = "fid"
OPS = {"eq": None, "ne": "$neq", "lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}
ARITHMETIC = {"+": "$add", "-": "$sub", "*": "$mul"}
# Keeps every fact the engine is given "handled": durable_rules silently drops a fact no pattern
# accepts and reports it in the same code as a rejected duplicate. With this, any non-zero code
# means a real rejection, which the runtime refuses to lose.
KEEP_ALL = {"all": [{"kept": {"$ex": {"id": 1}}}, {"never": {"type": "~never"}}]}
MAX_EXPRESSIONS = 32  # durable_rules' limit on tests per rule (DESIGN.md)
# Every session starts by running one action: durable_rules 2.0.28 leaves a new state's action
# context uninitialised (state.c, createStateNode) and frees it on delete_state, which aborts the
# process ("free(): invalid pointer") for a state in which no action ever ran. A completed
# action resets the context, so the runtime asserts SESSION first in every session.
START = "~start"
SESSION = {"type": "~session", "fid": "#~session"}
# The type (and rule name) of the marker that ends every batch the runtime asserts: its one
# action proves that durable_rules read the whole batch (runtime.Session._assert).
END = "~end"


def fact_id(engine_fact: dict[str, Any]) -> str:
    """patuh's id of a fact as durable_rules hands it back."""
    return str(engine_fact[FID])[1:]


def agg_alias(alias: str) -> str:
    return f"n_{alias}"


@dataclass
class Role:
    """What a durable_rules rule is to the pack rule it came from: the rule itself, or the anchor
    of its counts (its fact patterns alone, so that groups with no member exist too)."""

    kind: Literal["main", "anchor"]
    rule: Rule


@dataclass
class Collector:
    """A collector of a pack rule's count: each match is a member of the counted condition."""

    rule: Rule
    condition: Condition  # the counted condition
    kind: Literal["collect"] = "collect"


@dataclass
class Part:
    """One part of the plan compiled: a durable_rules ruleset whose sessions each hold one or
    more whole groups of facts with the same value of the key."""

    key: str | None
    name: str = ""
    definition: dict[str, Any] = field(default_factory=dict)
    rules: list[str] = field(default_factory=list)
    types: set[str] = field(default_factory=set)  # fact types its patterns match
    early: set[str] = field(default_factory=set)  # types asserted before the rest (see plan.negations)


@dataclass
class CompiledPack:
    plan: Plan
    period: Period
    parts: list[Part] = field(default_factory=list)  # in the order their sessions run
    roles: dict[str, Role | Collector] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    types: set[str] = field(default_factory=set)  # fact types any pattern matches

    @property
    def pack(self) -> Pack:
        return self.plan.pack

    @property
    def params(self) -> dict[str, ParameterUse]:
        return self.period.params

    @property
    def counts(self) -> dict[str, list[Condition]]:
        return self.plan.counted

    @property
    def levels(self) -> dict[str, int]:
        return self.plan.levels


class _Compiler:
    def __init__(self, plan: Plan, period: Period, declarations: dict[str, dict[str, Any]]):
        self.plan, self.period, self.declarations = plan, period, declarations
        self.params = period.params

    def value(self, value: Any, seconds_unit: bool = False) -> Any:
        """A condition value as durable_rules JSON: a literal, a parameter or a reference."""
        if isinstance(value, Param):
            return encode_value(self.params[value.name].value)
        if isinstance(value, (FieldRef, CountRef)):
            ref = {value.alias: value.field} if isinstance(value, FieldRef) else {agg_alias(value.alias): "n"}
            if value.shift is None:
                return ref
            amount = self.value(value.shift.amount)
            if value.shift.unit and seconds_unit:  # times are epoch seconds; dates are whole days
                amount = amount * SECONDS[value.shift.unit]
            return {ARITHMETIC[value.shift.op]: {"$l": ref, "$r": amount}}
        return encode_value(value)

    def tests(self, test: Test | AnyOf, types: dict[str, str]) -> list[dict[str, Any]]:
        """A test as a flat list of durable_rules expressions, all of which must hold."""
        if isinstance(test, AnyOf):  # only literal tests (check says so), so no join goes nested
            return [{"$or": [{"$and": [e for t in alternative for e in self.tests(t, types)]}
                             for alternative in test.alternatives]}]
        name = test.field
        if name.endswith(CLOCK):  # the same test on the clock seconds the facts carry
            def seconds(v: Any) -> int:
                return clock_seconds(self.params[v.name].value if isinstance(v, Param) else v)
            value = test.value if test.op == "exists" else (
                [seconds(v) for v in test.value] if isinstance(test.value, list) else seconds(test.value))
            return self.tests(test.model_copy(update={"field": name[:-len(CLOCK)] + CLOCK_KEY, "value": value}), types)
        if test.op == "exists":
            return [{"$ex" if test.value else "$nex": {name: 1}}]
        if test.op == "in":
            parts = [e for v in test.value for e in self.tests(test.model_copy(update={"op": "eq", "value": v}), types)]
            return parts if len(parts) == 1 else [{"$or": parts}]
        if test.op == "not_in":
            return [e for v in test.value for e in self.tests(test.model_copy(update={"op": "ne", "value": v}), types)]
        if test.op == "between":
            low, high = test.value
            return (self.tests(test.model_copy(update={"op": "ge", "value": low}), types)
                    + self.tests(test.model_copy(update={"op": "le", "value": high}), types))
        value = self.value(test.value, seconds_unit=types.get(name) == "datetime")
        op = OPS[test.op]
        return [{name: value} if op is None else {op: {name: value}}]

    def pattern(self, condition: Condition, present: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
        """A condition's durable_rules test list; `present` are fields it must have (see joined)."""
        field_types = {k: v["type"] for k, v in self.declarations[condition.type]["fields"].items()}
        expressions = [{"type": condition.type}] + [{"$ex": {name: 1}} for name in sorted(present)]
        expressions += [e for t in _one_any(condition.tests) for e in self.tests(t, field_types)]
        # durable_rules ends a test list early after a nested "$or" group (events.c returns at the
        # group's end), so the tests after it were never evaluated: groups go last, where only
        # the guard, which always holds, follows them.
        expressions.sort(key=lambda e: "$or" in e)
        return {"$and": expressions + _guard(condition.tests)}

    def holds_at_zero(self, count: Condition) -> bool:
        """Whether the count's comparison could hold with no member (absent, lt, eq 0, ...): only
        then must every binding of the rule's facts get a group, found by an anchor rule; "more
        than 2" needs groups only where something was counted."""
        for test in count.compare:
            value = self.value(test.value)
            if not isinstance(value, (int, float)):
                return True  # compared with another count: cannot tell here
            if not {"eq": 0 == value, "ne": 0 != value, "lt": 0 < value, "le": 0 <= value,
                    "gt": 0 > value, "ge": 0 >= value}[test.op]:
                return False
        return True

    def aggregate(self, rule: Rule, count: Condition) -> dict[str, Any]:
        expressions: list[dict[str, Any]] = [{"type": AGG}, {"rule": rule.id}, {"ci": count.index}]
        expressions += [{f"a{i}": {c.alias: FID}} for i, c in enumerate(rule.facts)]
        expressions += [e for t in count.compare for e in self.tests(t, {"n": "integer"})]
        return {"$and": expressions + [{"$neq": {FID: {rule.facts[0].alias: "type"}}}]}

    def compile(self) -> CompiledPack:
        pack = self.plan.pack
        out = CompiledPack(self.plan, self.period)
        for planned in self.plan.parts:
            part = Part(planned.key)
            definition: dict[str, Any] = {"~keep": KEEP_ALL, START: {"all": [{"start": {"type": SESSION["type"]}}]},
                                          END: {"all": [{"end": {"type": END}}]}}
            for rule in planned.rules:
                self.rule(rule, definition, out, part)
            if any(out.counts[r] for r in part.rules):
                part.types.add(AGG)
            digest = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:12]
            suffix = f"/{planned.key}" if len(self.plan.parts) > 1 else ""
            part.name = f"{pack.name}@{pack.version}{suffix}#{digest}"
            part.definition = definition
            out.parts.append(part)
            out.types |= part.types
        return out

    def rule(self, rule: Rule, definition: dict[str, Any], out: CompiledPack, part: Part) -> None:
        """One pack rule's durable_rules rules into `definition`: main, collectors, anchor."""
        out.rules[rule.id] = rule
        part.rules.append(rule.id)
        joined = joined_optional(rule, rule.facts, self.declarations)
        facts = [{c.alias: self.pattern(c, joined.get(c.alias, set()))} for c in rule.facts]
        part.types.update(c.type for c in rule.when)
        negated = self.plan.negated[rule.id]
        counts = self.plan.counted[rule.id]
        part.early.update(c.type for c in negated)
        main = facts + [{f"{c.alias}$not": self.pattern(c)} for c in negated]
        main += [{agg_alias(c.alias): self.aggregate(rule, c)} for c in counts]
        self._limit(rule, main)
        definition[rule.id] = {"all": main}
        out.roles[rule.id] = Role("main", rule)
        for count in counts:
            name = f"{rule.id}~c{count.index}"
            # A fact lacking a field the count joins on has no members (none can equal what it
            # lacks): only the collector requires the field, so the fact still anchors a zero.
            extra = joined_optional(rule, [count], self.declarations)
            anchors = [{c.alias: self.pattern(c, joined.get(c.alias, set()) | extra.get(c.alias, set()))}
                       for c in rule.facts]
            definition[name] = {"all": anchors + [{"counted": self.pattern(count)}]}
            out.roles[name] = Collector(rule, count)
        if any(self.holds_at_zero(c) for c in counts):  # only then can a group without members matter
            name = f"{rule.id}~a"
            definition[name] = {"all": facts}
            out.roles[name] = Role("anchor", rule)

    def _limit(self, rule: Rule, patterns: list[dict[str, Any]]) -> None:
        expressions = sum(len(next(iter(p.values()))["$and"]) for p in patterns)
        if expressions > MAX_EXPRESSIONS:
            raise PackInvalid([rule.at.problem(
                f"rule compiles to {expressions} tests; durable_rules takes at most {MAX_EXPRESSIONS} per rule",
                "when")])


def _guard(tests: list[Test | AnyOf]) -> list[dict[str, Any]]:
    """An always-true join test to end a pattern that joins other facts.

    durable_rules 2.0.28 reads past the end of a join's expression list when the LAST join test
    fails (events.c, reduceExpressionSequence): memory errors under valgrind, and a segfault or a
    wrong match depending on what lies there. Ending the list with a test that can never fail
    keeps every failing test off the end. `fid` starts with '#', a type name never does.
    """
    refs = [v.alias for t in flat(tests) for v in (t.value if isinstance(t.value, list) else [t.value])
            if isinstance(v, FieldRef)]
    return [{"$neq": {FID: {refs[0]: "type"}}}] if refs else []


def _one_any(tests: list[Test | AnyOf]) -> list[Test | AnyOf]:
    """Several any-groups as one, of every combination of their alternatives: durable_rules
    evaluates no test after a group (see pattern), so a second group would never be checked."""
    groups = [t for t in tests if isinstance(t, AnyOf)]
    if len(groups) < 2:
        return tests
    combined: list[list[Test | AnyOf]] = [[]]
    for group in groups:
        combined = [done + alternative for done in combined for alternative in group.alternatives]
    return [t for t in tests if not isinstance(t, AnyOf)] + [AnyOf(at=groups[0].at, alternatives=combined)]


def compile_plan(plan: Plan, period: Period, declarations: dict[str, dict[str, Any]]) -> CompiledPack:
    return _Compiler(plan, period, declarations).compile()
