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

import datetime as dt
import hashlib
import json
import operator
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from .check import clock_seconds
from .expressions import MONTHS, SECONDS, Call, CountRef, FieldRef, Neg, Now, Op, Param, refs
from .facts import PART_KEY, FactTypes, encode_value
from .models import ParameterUse
from .pack import AnyOf, Condition, Pack, Rule, Test, split_field
from .patterns import NOW_ALIAS, Filter, Keyed, keyed, literal_only
from .plan import Period, Plan, calendar_months, flat, joined_optional, moved_key
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
ARITHMETIC = {"+": "$add", "-": "$sub", "*": "$mul", "/": "$div"}
FOLD = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
# The evaluation time as a fact ($now, $today): asserted first in every session of a part whose
# rules read it, and matched under this alias (no alias a pack writes begins with "_").
EVALUATION = "~evaluation"
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


def evaluation_fact(now: dt.datetime, types: FactTypes, months: set[int] | frozenset[int] = frozenset()
                    ) -> dict[str, Any]:
    """The evaluation time as the fact $now and $today are read from: the time in epoch seconds,
    its local date in epoch days, and their calendar keys (for months and years), also moved by
    each of `months` (the plans' now_months)."""
    day = now.astimezone(types.zone).date()
    fact = {"type": EVALUATION, FID: "#" + EVALUATION, "time": now.timestamp(), "date": types.part(day, "date")}
    for part in ["md", *(moved_key(m) for m in sorted(months))]:
        fact["time" + PART_KEY + part] = fact["date" + PART_KEY + part] = types.part(day, part)
    return fact


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
class Unjudged:
    """A companion of a pack rule: a fact its conditions would judge lacks fields it needs."""

    rule: Rule
    condition: Condition
    fields: list[str]
    kind: Literal["unjudged"] = "unjudged"


@dataclass
class Collector:
    """A collector of a pack rule's count: each match is a member of the counted condition."""

    rule: Rule
    condition: Condition  # the counted condition
    kind: Literal["collect"] = "collect"


# An unjudged companion as compiled: its durable_rules name, patterns and role.
Companion: TypeAlias = tuple[str, list[dict[str, Any]], Unjudged]


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
    # The fields its sessions give durable_rules (a superset of those its patterns and counts
    # read): every fact is asserted projected to them, so the core parses and keeps no more.
    reads: frozenset[str] = frozenset()
    # Rules judged in Python, fact by fact (patterns.py), by the type they read; and the types
    # only they read, which the core is not given at all.
    filters: dict[str, list[Filter]] = field(default_factory=dict)
    unasserted: frozenset[str] = frozenset()
    kept: set[str] = field(default_factory=set)  # the types Keyed counts read, kept by each session
    asserted: set[str] = field(default_factory=set)  # the types the core's patterns match


@dataclass
class CompiledPack:
    plan: Plan
    period: Period
    parts: list[Part] = field(default_factory=list)  # in the order their sessions run
    roles: dict[str, Role | Collector | Unjudged] = field(default_factory=dict)
    # rule -> count alias -> the (aggregate, field)s its comparisons read (see counts.Groups)
    aggregates: dict[str, dict[str, set[tuple[str, str]]]] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    types: set[str] = field(default_factory=set)  # fact types any pattern matches
    keyed: dict[str, dict[int, Keyed]] = field(default_factory=dict)  # rule -> counts grouped in Python

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

    def value(self, value: Any, kind: str | None = None, own: str | None = None) -> Any:
        """A condition value as durable_rules JSON: a literal, a parameter, a reference or
        arithmetic on them. `kind` is the tested field's type (times are epoch seconds, dates
        epoch days, "md" calendar keys); `own` the condition's alias, whose fields are its own
        ($m)."""
        if isinstance(value, Param):
            return encode_value(self.params[value.name].value)
        if isinstance(value, Now):
            key = "time" if value.name == "now" else "date"
            return {NOW_ALIAS: key + (PART_KEY + kind if kind and kind.startswith("md") else "")}
        if isinstance(value, FieldRef):
            part = kind if kind and kind.startswith("md") else value.part
            key = value.field + (PART_KEY + part if part else "")
            return {"$m": key} if value.alias == own else {value.alias: key}
        if isinstance(value, CountRef):
            return {agg_alias(value.alias): "n" if value.agg == "n" else f"{value.agg}{PART_KEY}{value.field}"}
        if isinstance(value, Neg):
            inner = self.value(value.value, kind, own)
            return -inner if _literal_number(inner) else {"$mul": {"$l": inner, "$r": -1}}
        if isinstance(value, Op):
            amount = self.params[value.right.name].value if isinstance(value.right, Param) else value.right
            months = calendar_months(value, amount) if kind == "md" else None
            if months is not None:  # the date's key moved on the calendar, encoded on the fact
                return self.value(value.left, moved_key(months), own)
            left = self.value(value.left, kind, own)
            right = self.value(value.right, None, own)
            if value.unit in MONTHS:  # on the calendar key: a month is 100
                right = _scaled(right, 100 * MONTHS[value.unit])
            elif value.unit and kind == "datetime":  # times are epoch seconds; dates whole days
                right = _scaled(right, SECONDS[value.unit])
            if _literal_number(left) and _literal_number(right) and not (value.op == "/" and right == 0):
                # The core holds no test whose value is arithmetic on two literals (a parameter's
                # `ge: $locations - 1` never held): computed here, as the reference evaluator does.
                return FOLD[value.op](left, right)
            return {ARITHMETIC[value.op]: {"$l": left, "$r": right}}
        assert not isinstance(value, Call), "check keeps functions out of conditions"
        return encode_value(value)

    def tests(self, test: Test | AnyOf, types: dict[str, str], own: str | None = None) -> list[dict[str, Any]]:
        """A test as a flat list of durable_rules expressions, all of which must hold."""
        if isinstance(test, AnyOf):  # only literal tests (check says so), so no join goes nested
            return [{"$or": [{"$and": [e for t in alternative for e in self.tests(t, types, own)]}
                             for alternative in test.alternatives]}]
        base, part = split_field(test.field)
        if part == "clock":  # the same test on the clock seconds the facts carry
            def seconds(v: Any) -> int:
                return clock_seconds(self.params[v.name].value if isinstance(v, Param) else v)
            value = test.value if test.op == "exists" else (
                [seconds(v) for v in test.value] if isinstance(test.value, list) else seconds(test.value))
            test = test.model_copy(update={"field": base + PART_KEY + part, "value": value})
            return self.tests(test, {test.field: "integer"}, own)
        calendar = any(isinstance(o, Op) and o.unit in MONTHS for v in _values(test) for o in _ops(v))
        suffix = "md" if calendar else part
        name = base + PART_KEY + suffix if suffix else base
        kind = "md" if calendar else ("date" if part == "date" else types.get(name))
        if test.op == "exists":
            return [{"$ex" if test.value else "$nex": {name: 1}}]
        if test.op == "in":
            parts = [e for v in test.value
                     for e in self.tests(test.model_copy(update={"op": "eq", "value": v}), types, own)]
            return parts if len(parts) == 1 else [{"$or": parts}]
        if test.op == "not_in":
            return [e for v in test.value
                    for e in self.tests(test.model_copy(update={"op": "ne", "value": v}), types, own)]
        if test.op == "between":
            low, high = test.value
            return (self.tests(test.model_copy(update={"op": "ge", "value": low}), types, own)
                    + self.tests(test.model_copy(update={"op": "le", "value": high}), types, own))
        value = self.value(test.value, kind, own)
        op = OPS[test.op]
        return [{name: value} if op is None else {op: {name: value}}]

    def pattern(self, condition: Condition, present: set[str] | frozenset[str] = frozenset(),
                extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """A condition's durable_rules test list; `present` are fields it must have (see joined),
        `extra` more expressions it must meet."""
        declared = self.declarations[condition.type]["fields"]
        field_types = {k: v["type"] for k, v in declared.items()}
        # A value read from the fact's own optional field is unknown when the fact lacks it, and
        # no test on it may hold, as on a missing tested field; durable_rules' core let
        # "reported_at > $form.time + 24 h" hold on a form without its time. Such a field is
        # required as a joined one is (check keeps field references out of any-groups, so every
        # test reading one must hold).
        own = {r.field for t in condition.tests if isinstance(t, Test) for v in _values(t) for r in refs(v)
               if isinstance(r, FieldRef) and r.alias == condition.alias and not declared[r.field].get("required")}
        expressions = [{"type": condition.type}] + [{"$ex": {name: 1}} for name in sorted(set(present) | own)]
        expressions += [e for t in _one_any(condition.tests) for e in self.tests(t, field_types, condition.alias)]
        expressions += extra or []
        # durable_rules ends a test list early after a nested "$or" group (events.c returns at the
        # group's end), so the tests after it were never evaluated: groups go last, where only
        # the guard, which always holds, follows them.
        expressions.sort(key=lambda e: "$or" in e)
        return {"$and": expressions + _guard(condition)}

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
                part.asserted.add(AGG)
            digest = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:12]
            suffix = f"/{planned.key}" if len(self.plan.parts) > 1 else ""
            part.name = f"{pack.name}@{pack.version}{suffix}#{digest}"
            part.definition = definition
            summed = {name for r in part.rules for uses in out.aggregates.get(r, {}).values() for _, name in uses}
            part.reads = frozenset(_names(definition) | summed | {"type", FID})
            part.unasserted = frozenset(part.types - part.asserted)
            out.parts.append(part)
            out.types |= part.types
        return out

    def rule(self, rule: Rule, definition: dict[str, Any], out: CompiledPack, part: Part) -> None:
        """One pack rule's durable_rules rules into `definition`: main, collectors, anchor, and
        the companions that say when a fact it would judge lacks what it needs."""
        out.rules[rule.id] = rule
        part.rules.append(rule.id)
        for count in rule.counts:
            for test in count.compare:
                for ref in refs(test.value):
                    if isinstance(ref, CountRef) and ref.agg != "n" and ref.field:
                        out.aggregates.setdefault(rule.id, {}).setdefault(ref.alias, set()).add((ref.agg, ref.field))
        joined = joined_optional(rule, rule.facts, self.declarations)
        now = [{NOW_ALIAS: {"$and": [{"type": EVALUATION}]}}] if rule.id in self.plan.now else []
        if now:
            part.types.add(EVALUATION)
            part.early.add(EVALUATION)  # in the state before any fact a rule reading it anchors on
        facts = now + [{c.alias: self.pattern(c, joined.get(c.alias, set()))} for c in rule.facts]
        part.types.update(c.type for c in rule.when)
        part.types.update(c.type for c in self.plan.discharges[rule.id].values())
        companions = self.unjudged(rule, out, now)
        negated = self.plan.negated[rule.id]
        counts = self.plan.counted[rule.id]
        part.early.update(c.type for c in negated)
        main = facts + [{f"{c.alias}$not": self.pattern(c)} for c in negated]
        main += [{agg_alias(c.alias): self.aggregate(rule, c)} for c in counts]
        self._limit(rule, main)
        judged = self._filter(rule, main[len(now):], companions)
        if judged is not None:  # (the evaluation fact, when they read it, is given them by the session)
            part.filters.setdefault(rule.facts[0].type, []).extend(judged)
            return
        for name, patterns, _ in companions:
            definition[name] = {"all": patterns}
            # every type a companion reads goes to the core, a Keyed count's included (as a fact
            # that exists there): else a fact lacking what the rule needs would never be said
            part.asserted.update(expression["$and"][0]["type"] for p in patterns for expression in p.values())
        grouped = {c.index: k for c in counts if (k := self.keyed(rule, c)) is not None}
        if grouped:
            out.keyed[rule.id] = grouped
            part.kept.update(c.type for c in counts if c.index in grouped)
        part.asserted.update(c.type for c in rule.when if c.index not in grouped)
        part.asserted.update(c.type for c in self.plan.discharges[rule.id].values() if c.index not in grouped)
        part.asserted.update({EVALUATION} if now else set())
        definition[rule.id] = {"all": main}
        out.roles[rule.id] = Role("main", rule)
        for count in counts:
            if count.index in grouped:
                continue
            name = f"{rule.id}~c{count.index}"
            # A fact lacking a field the count joins on has no members (none can equal what it
            # lacks): only the collector requires the field, so the fact still anchors a zero.
            extra = joined_optional(rule, [count], self.declarations)
            anchors = now + [{c.alias: self.pattern(c, joined.get(c.alias, set()) | extra.get(c.alias, set()))}
                             for c in rule.facts]
            definition[name] = {"all": anchors + [{"counted": self.pattern(count)}]}
            out.roles[name] = Collector(rule, count)
        # Groups with no member matter only when every count could hold at zero: a count that
        # cannot ("more than 2") is met only by groups its collector found, which exist without
        # an anchor (counts.Groups takes every group any count of the rule has). The 6.5.2
        # rules' coaching obligations (n >= 0) made every roster entry run three anchor actions.
        # Keyed counts are grouped per binding, so they need every binding, whatever they compare.
        if counts and (grouped or all(self.holds_at_zero(c) for c in counts)):
            name = f"{rule.id}~a"
            definition[name] = {"all": facts}
            out.roles[name] = Role("anchor", rule)

    def keyed(self, rule: Rule, count: Condition) -> Keyed | None:
        """The count grouped in Python (patterns.Keyed), when its pattern allows it."""
        def fields(kind: str) -> dict[str, str]:
            return {k: v["type"] for k, v in self.declarations[kind]["fields"].items()}

        if any(isinstance(r, Now) for t in flat(count.tests) for v in _values(t) for r in refs(v)):
            return None
        return keyed(count.type, self.pattern(count), {c.alias: fields(c.type) for c in rule.facts},
                     fields(count.type), rule, count.alias)

    def _filter(self, rule: Rule, main: list[dict[str, Any]], companions: list[Companion]) -> list[Filter] | None:
        """The rule and its unjudged companion as Filters judged in Python (patterns.py), when it is
        one fact condition and nothing else, over a type no rule of the pack derives (all its
        facts are in the session from the start), with tests patterns.Filter evaluates as the
        core would ($now's too: the session gives each the evaluation fact)."""
        derived = {t for r in self.plan.pack.rules for t in r.derives}
        if len(rule.when) != 1 or rule.when[0].kind != "fact" or self.plan.discharges[rule.id] \
                or rule.when[0].type in derived or len(main) != 1:
            return None
        fields = {k: v["type"] for k, v in self.declarations[rule.when[0].type]["fields"].items()}
        (alias, pattern), = main[0].items()
        out = [Filter(rule, alias, pattern)]
        for _, patterns, role in companions:
            (alias, pattern), = patterns[-1].items()  # after the evaluation fact, when it reads it
            out.append(Filter(rule, alias, pattern, role))
        return out if all(literal_only(f.pattern, fields) for f in out) else None

    def unjudged(self, rule: Rule, out: CompiledPack, now: list[dict[str, Any]]) -> list[Companion]:
        """For each fact condition the rule names under `unjudged`, a companion that matches a fact
        lacking one of those fields when there is something to judge: the conditions before it,
        its tests on other fields, and every later condition that is not an absence, as a fact
        that exists, without the tests that read what is missing (6.5.2 on a roster entry without
        shift times: the employee has alerts of the kind it counts, but no window to count in).
        Their names, patterns and roles, for the core or (with a filter rule) for Python."""
        companions: list[Companion] = []
        for alias, names in rule.unjudged.items():
            condition = next(c for c in rule.when if c.alias == alias)
            missing = {(alias, name) for name in names}
            earlier = [c for c in rule.facts if c.index < condition.index]
            lacking = condition.model_copy(update={"tests": [t for t in condition.tests
                                                             if not _reads(t, set(names)) and not _joins(t, missing)]})
            later = [c.model_copy(update={"kind": "fact", "tests": [t for t in c.tests if not _joins(t, missing)]})
                     for c in rule.when if c.index > condition.index and c.kind != "absent"]
            conditions = earlier + [lacking] + later
            joined = joined_optional(rule, conditions, self.declarations)
            patterns = now + [{c.alias: self.pattern(c, joined.get(c.alias, set()))} for c in earlier]
            gaps = [{"$nex": {name: 1}} for name in names]
            patterns.append({alias: self.pattern(lacking, joined.get(alias, set()),
                                                 [gaps[0] if len(gaps) == 1 else {"$or": gaps}])})
            patterns += [{c.alias: self.pattern(c, joined.get(c.alias, set()))} for c in later]
            name = f"{rule.id}~u:{alias}"
            role = out.roles[name] = Unjudged(rule, condition, names)
            companions.append((name, patterns, role))
        return companions

    def _limit(self, rule: Rule, patterns: list[dict[str, Any]]) -> None:
        expressions = sum(len(next(iter(p.values()))["$and"]) for p in patterns)
        if expressions > MAX_EXPRESSIONS:
            raise PackInvalid([rule.at.problem(
                f"rule compiles to {expressions} tests; durable_rules takes at most {MAX_EXPRESSIONS} per rule",
                "when")])


def _literal_number(value: Any) -> bool:
    """A number as the core JSON holds it (a boolean is not one)."""
    return type(value) in (int, float)


def _guard(condition: Condition) -> list[dict[str, Any]]:
    """An always-true join test to end a pattern that joins other facts.

    durable_rules 2.0.28 reads past the end of a join's expression list when the LAST join test
    fails (events.c, reduceExpressionSequence): memory errors under valgrind, and a segfault or a
    wrong match depending on what lies there. Ending the list with a test that can never fail
    keeps every failing test off the end. `fid` starts with '#', a type name never does.
    """
    others = [NOW_ALIAS if isinstance(r, Now) else r.alias for t in flat(condition.tests) for v in _values(t)
              for r in refs(v) if isinstance(r, Now) or (isinstance(r, FieldRef) and r.alias != condition.alias)]
    return [{"$neq": {FID: {others[0]: "type"}}}] if others else []


def _values(test: Test) -> list[Any]:
    return test.value if isinstance(test.value, list) else [test.value]


def _names(node: Any) -> set[str]:
    """Every key and text in a definition: the fields its patterns read are among them."""
    if isinstance(node, dict):
        return set(node).union(*(_names(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_names(v) for v in node))
    return {node} if isinstance(node, str) else set()


def _ops(expr: Any) -> list[Op]:
    return [expr, *_ops(expr.left), *_ops(expr.right)] if isinstance(expr, Op) else []


def _scaled(value: Any, factor: int) -> Any:
    """An amount in a unit as the engine compares it (seconds, calendar key steps)."""
    if isinstance(value, (int, float)):
        return value * factor
    return {"$mul": {"$l": value, "$r": factor}}


def _reads(test: Test | AnyOf, names: set[str]) -> bool:
    """Whether a test reads one of the fields (its own, or another fact's in its value)."""
    if isinstance(test, AnyOf):
        return any(_reads(t, names) for alternative in test.alternatives for t in alternative)
    return split_field(test.field)[0] in names


def _joins(test: Test | AnyOf, fields: set[tuple[str, str]]) -> bool:
    """Whether a test compares with one of these (alias, field)s (another fact's, or its own)."""
    if isinstance(test, AnyOf):
        return any(_joins(t, fields) for alternative in test.alternatives for t in alternative)
    return any(isinstance(r, FieldRef) and (r.alias, r.field) in fields for v in _values(test) for r in refs(v))


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
