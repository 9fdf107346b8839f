"""A checked pack, with its parameters settled, becomes durable_rules ruleset definitions (JSON).

Each pack rule becomes:
  - its main durable_rules rule: the fact patterns (joins included), plus one aggregate pattern
    per count/absent condition;
  - for each count/absent: a collector rule (fact patterns + the counted pattern) whose matches
    the windows module groups per binding of the fact patterns;
  - when it has counts: an anchor rule (the fact patterns alone), so that groups with zero
    members exist too (absence is a count of zero).
Parameters are baked into the definition, so the ruleset's name carries their hash.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from .facts import encode_value
from .lint import levels, parsed_rules, partitions
from .models import ParameterUse
from .pack import Pack
from .problems import PackInvalid
from .rules import CLOCK, CLOCK_KEY, SECONDS, CountRef, Param, Pattern, Ref, Rule, Test, clock_seconds

AGG = "~agg"  # type of the aggregate facts the windows module asserts
# A fact's patuh id travels as fid = "#<id>"; durable_rules' own `id` is a per-session counter
# the runtime assigns. durable_rules tells facts apart by a 32-bit hash of `id` alone, so two
# content-hash ids that collide were refused as "already observed" (it happened once in 1M
# facts), while counters "0", "1", ... never collide in the sizes used. A join on `id` also
# never matched across separate asserts. The '#' lets _guard rely on a fid never equalling a
# type name.
FID = "fid"


def fact_id(engine_fact: dict) -> str:
    """patuh's id of a fact as durable_rules hands it back."""
    return engine_fact[FID][1:]
OPS = {"eq": None, "ne": "$neq", "lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}
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


@dataclass
class DurableRule:
    kind: str  # "main", "collect" or "anchor"
    rule: Rule
    pattern: Pattern | None = None  # the counted pattern, for collectors


@dataclass
class Part:
    """The rules of a pack that share a partition key: one durable_rules ruleset, whose sessions
    each hold one or more whole groups of facts with the same value of the key."""

    key: str | None
    name: str = ""
    definition: dict = field(default_factory=dict)
    rules: list[str] = field(default_factory=list)
    types: set[str] = field(default_factory=set)  # fact types its patterns match
    early: set[str] = field(default_factory=set)  # types asserted before the rest (see negations)


@dataclass
class CompiledPack:
    pack: Pack
    params: dict[str, ParameterUse]
    parts: list[Part] = field(default_factory=list)  # in the order their sessions run
    roles: dict[str, DurableRule] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    levels: dict[str, int] = field(default_factory=dict)
    types: set[str] = field(default_factory=set)  # fact types any pattern matches
    counts: dict[str, list[Pattern]] = field(default_factory=dict)  # rule -> counts done by windows
    clocks: set[tuple[str, str]] = field(default_factory=set)  # (type, datetime field) read as .clock


class Compiler:
    def __init__(self, pack: Pack, params: dict[str, ParameterUse]):
        self.pack, self.params = pack, params

    def value(self, value: Any, seconds_unit: bool = False) -> Any:
        """A condition value as durable_rules JSON: literal, parameter or another fact's field."""
        if isinstance(value, Param):
            return encode_value(self.params[value.name].value)
        if isinstance(value, Ref):
            ref = {value.alias: value.field}
            if value.plus is None:
                return ref
            plus = self.value(value.plus)
            if value.unit and seconds_unit:  # times are epoch seconds; dates are whole days
                plus = plus * SECONDS[value.unit]
            return {"$add": {"$l": ref, "$r": plus}}
        if isinstance(value, CountRef):
            ref = {agg_alias(value.alias): "n"}
            return ref if value.times is None else {"$mul": {"$l": ref, "$r": self.value(value.times)}}
        return encode_value(value)

    def tests(self, test: Test, types: dict) -> list[dict]:
        """A test as a flat list of durable_rules expressions, all of which must hold."""
        name = test.field
        if name.endswith(CLOCK):  # the same test on the clock seconds the facts carry
            def seconds(v):
                return clock_seconds(self.params[v.name].value if isinstance(v, Param) else v)
            value = test.value if test.op == "exists" else (
                [seconds(v) for v in test.value] if isinstance(test.value, list) else seconds(test.value))
            return self.tests(Test(name[:-len(CLOCK)] + CLOCK_KEY, test.op, value, test.path), types)
        if test.op == "any":  # only literal tests (the linter checks), so no join goes nested
            return [{"$or": [{"$and": [e for t in alternative for e in self.tests(t, types)]}
                             for alternative in test.value]}]
        if test.op == "exists":
            return [{"$ex" if test.value else "$nex": {name: 1}}]
        if test.op == "in":
            parts = [e for v in test.value for e in self.tests(Test(name, "eq", v, test.path), types)]
            return parts if len(parts) == 1 else [{"$or": parts}]
        if test.op == "not_in":
            return [e for v in test.value for e in self.tests(Test(name, "ne", v, test.path), types)]
        if test.op == "between":
            low, high = test.value
            return self.tests(Test(name, "ge", low, test.path), types) + self.tests(Test(name, "le", high, test.path), types)
        value = self.value(test.value, seconds_unit=types.get(name) == "datetime")
        op = OPS[test.op]
        return [{name: value} if op is None else {op: {name: value}}]

    def pattern(self, pattern: Pattern, declarations: dict, present: Iterable[str] = ()) -> dict:
        """A pattern's durable_rules test list; `present` are fields it must have (see joined)."""
        field_types = {k: v["type"] for k, v in declarations[pattern.type]["fields"].items()}
        expressions = [{"type": pattern.type}] + [{"$ex": {name: 1}} for name in sorted(present)]
        expressions += [e for t in _one_any(pattern.tests) for e in self.tests(t, field_types)]
        # durable_rules ends a test list early after a nested "$or" group (events.c returns at the
        # group's end), so the tests after it were never evaluated: groups go last, where only
        # the guard, which always holds, follows them.
        expressions.sort(key=lambda e: "$or" in e)
        return {"$and": expressions + _guard(pattern.tests)}

    def holds_at_zero(self, count: Pattern) -> bool:
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

    def aggregate(self, rule: Rule, count: Pattern) -> dict:
        expressions: list[dict] = [{"type": AGG}, {"rule": rule.id}, {"ci": count.index}]
        expressions += [{f"a{i}": {p.alias: FID}} for i, p in enumerate(rule.facts)]
        expressions += [e for t in count.compare for e in self.tests(t, {"n": "integer"})]
        return {"$and": expressions + [{"$neq": {FID: {rule.facts[0].alias: "type"}}}]}

    def compile(self, declarations: dict) -> CompiledPack:
        rules, problems = parsed_rules(self.pack)
        if problems:
            raise PackInvalid(problems)
        out = CompiledPack(self.pack, self.params)
        out.levels, _ = levels(rules)
        negated_by_rule = negations(rules, declarations)
        groups, tangled = partitions(self.pack, rules)
        if tangled:
            raise PackInvalid([{r.id: r for r in rules}[tangled[0]].loc.problem(
                "rules partitioned by different fields derive facts for each other both ways", "id")])
        for key, members in groups:
            part = Part(key)
            definition: dict[str, Any] = {"~keep": KEEP_ALL, START: {"all": [{"start": {"type": SESSION["type"]}}]},
                                          END: {"all": [{"end": {"type": END}}]}}
            for rule in members:
                self.rule(rule, negated_by_rule[rule.id], declarations, definition, out, part)
            if any(out.counts[r] for r in part.rules):
                part.types.add(AGG)
            text = json.dumps(definition, sort_keys=True)
            digest = hashlib.sha256(text.encode()).hexdigest()[:12]
            suffix = f"/{key}" if len(groups) > 1 else ""
            part.name = f"{self.pack.name}@{self.pack.version}{suffix}#{digest}"
            part.definition = definition
            out.parts.append(part)
            out.types |= part.types
        for rule in rules:
            for pattern in rule.patterns:
                out.clocks.update((pattern.type, t.field[:-len(CLOCK)]) for t in _flat(pattern.tests)
                                  if t.field.endswith(CLOCK))
        return out

    def rule(self, rule: Rule, negated: list[Pattern], declarations: dict, definition: dict,
             out: CompiledPack, part: Part) -> None:
        """One pack rule's durable_rules rules into `definition`: main, collectors, anchor."""
        out.rules[rule.id] = rule
        part.rules.append(rule.id)
        joined = _joined_optional(rule, rule.facts, declarations)
        facts = [{p.alias: self.pattern(p, declarations, joined.get(p.alias, ()))} for p in rule.facts]
        part.types.update(p.type for p in rule.patterns)
        counts = out.counts[rule.id] = [c for c in rule.counts if c not in negated]
        part.early.update(c.type for c in negated)
        main = facts + [{f"{c.alias}$not": self.pattern(c, declarations)} for c in negated]
        main += [{agg_alias(c.alias): self.aggregate(rule, c)} for c in counts]
        self._limit(rule, main)
        definition[rule.id] = {"all": main}
        out.roles[rule.id] = DurableRule("main", rule)
        for count in counts:
            name = f"{rule.id}~c{count.index}"
            # A fact lacking a field the count joins on has no members (none can equal what it
            # lacks): only the collector requires the field, so the fact still anchors a zero.
            extra = _joined_optional(rule, [count], declarations)
            anchors = [{p.alias: self.pattern(p, declarations, joined.get(p.alias, set()) | extra.get(p.alias, set()))}
                       for p in rule.facts]
            definition[name] = {"all": anchors + [{"counted": self.pattern(count, declarations)}]}
            out.roles[name] = DurableRule("collect", rule, count)
        if any(self.holds_at_zero(c) for c in counts):  # only then can a group without members matter
            name = f"{rule.id}~a"
            definition[name] = {"all": facts}
            out.roles[name] = DurableRule("anchor", rule)

    def _limit(self, rule: Rule, patterns: list[dict]) -> None:
        expressions = sum(len(next(iter(p.values()))["$and"]) for p in patterns)
        if expressions > MAX_EXPRESSIONS:
            raise PackInvalid([rule.loc.problem(
                f"rule compiles to {expressions} tests; durable_rules takes at most {MAX_EXPRESSIONS} per rule",
                "when")])


def negations(rules: list[Rule], declarations: dict) -> dict[str, list[Pattern]]:
    """The absences that can be durable_rules' own negation rather than a count of zero.

    Its negation is decided when an anchor arrives: a fact asserted later never retracts a match
    already made. That is sound only when every fact that could deny a match is in the state
    before the rule's anchors: facts of a type no rule derives, asserted first by the runtime
    (CompiledPack.early), and not themselves anchors of a rule that negates. Negation saves the
    collector and anchor actions and the aggregate facts of the count path."""
    derived = {d["type"] for r in rules for d in r.data["then"].get("derive") or []}
    # An absence joining on a field its anchor may lack is counted instead (see _joined_optional).
    chosen = {r.id: [c for c in r.counts if c.kind == "absent" and c.type not in derived
                     and not _joined_optional(r, [c], declarations)] for r in rules}
    while True:
        early = {c.type for cs in chosen.values() for c in cs}
        clash = [r for r in rules if chosen[r.id] and any(p.type in early for p in r.facts)]
        if not clash:
            return chosen
        for rule in clash:
            chosen[rule.id] = []


def _guard(tests: list[Test]) -> list[dict]:
    """An always-true join test to end a pattern that joins other facts.

    durable_rules 2.0.28 reads past the end of a join's expression list when the LAST join test
    fails (events.c, reduceExpressionSequence): memory errors under valgrind, and a segfault or a
    wrong match depending on what lies there. Ending the list with a test that can never fail
    keeps every failing test off the end. `fid` starts with '#', a type name never does.
    """
    refs = [t.value.alias for t in tests if isinstance(t.value, Ref)]
    refs += [v.alias for t in tests if isinstance(t.value, list) for v in t.value if isinstance(v, Ref)]
    return [{"$neq": {FID: {refs[0]: "type"}}}] if refs else []


def _joined_optional(rule: Rule, patterns: list[Pattern], declarations: dict) -> dict[str, set[str]]:
    """The optional fields of earlier facts that `patterns` join on, by alias. durable_rules
    stops the whole assert (error 311) when a join reads a field the earlier fact lacks, so the
    earlier pattern is made to require it: a join on a missing value could not hold anyway."""
    aliases = {p.alias: p for p in rule.facts}
    out: dict[str, set[str]] = {}
    for pattern in patterns:
        for test in _flat(pattern.tests):
            for value in test.value if isinstance(test.value, list) else [test.value]:
                if isinstance(value, Ref) and value.alias in aliases:
                    spec = declarations[aliases[value.alias].type]["fields"].get(value.field, {})
                    if not spec.get("required"):
                        out.setdefault(value.alias, set()).add(value.field)
    return out


def _one_any(tests: list[Test]) -> list[Test]:
    """Several any-groups as one, of every combination of their alternatives: durable_rules
    evaluates no test after a group (see pattern), so a second group would never be checked."""
    groups = [t for t in tests if t.op == "any"]
    if len(groups) < 2:
        return tests
    combined = [[]]
    for group in groups:
        combined = [done + alternative for done in combined for alternative in group.value]
    return [t for t in tests if t.op != "any"] + [Test("any", "any", combined, groups[0].path)]


def _flat(tests: list[Test]) -> list[Test]:
    """Tests with those inside any-groups."""
    out = []
    for test in tests:
        out += [t for alt in test.value for t in _flat(alt)] if test.op == "any" else [test]
    return out


def agg_alias(alias: str) -> str:
    return f"n_{alias}"


def compile_pack(pack: Pack, params: dict[str, ParameterUse], declarations: dict) -> CompiledPack:
    return Compiler(pack, params).compile(declarations)
