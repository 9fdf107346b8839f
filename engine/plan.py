"""Plan: how a checked pack is evaluated, decided before anything is compiled.

- Periods: a parameter given by date takes one value in each period; the pack is compiled once
  per period (parameters are baked into durable_rules' definitions) and each fact is judged by
  the period its date falls in, as by the revision in force.
- Parts: the rules sharing a partition key run together, in sessions that each hold whole groups
  of facts with the same key; a part runs after the parts whose derived facts it reads.
- Levels: within a part, a count waits until every rule deriving what it counts has run.
- Negations: an absence durable_rules can decide itself (its `none`), where that is sound; the
  other counts and absences patuh computes (counts.py).
A plan that cannot exist (counts over what a rule itself derives; parts feeding each other) is
said at the rules, as check's problems are.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from .expressions import MONTHS, FieldRef, Now, Op, Param, refs
from .facts import event_field
from .models import ParameterUse
from .pack import AnyOf, Condition, Pack, Rule, Test, split_field
from .problems import PackInvalid

# A part of a date or time a rule reads, encoded on each fact that has the field (facts.py):
# (fact type, field, part); "md" is the calendar key months and years are compared on.
Part = tuple[str, str, str]


@dataclass
class Period:
    """The parameters in force from `since` (None: from the pack's effective date) on."""

    since: dt.date | None
    params: dict[str, ParameterUse]


@dataclass
class PartPlan:
    key: str | None  # the fact field its sessions group facts by
    rules: list[Rule]


@dataclass
class Plan:
    pack: Pack
    periods: list[Period]
    parts: list[PartPlan]
    levels: dict[str, int]  # rule id -> stage of its counts
    negated: dict[str, list[Condition]]  # rule id -> absences durable_rules decides
    counted: dict[str, list[Condition]]  # rule id -> counts, absences and discharges patuh computes
    # rule id -> action index -> the count of the facts that could discharge that obligation
    discharges: dict[str, dict[int, Condition]] = field(default_factory=dict)
    encoded: set[Part] = field(default_factory=set)
    now: set[str] = field(default_factory=set)  # rules whose conditions read $now or $today
    now_months: set[int] = field(default_factory=set)  # N of `$today ± N mo|y` in a condition, in months


def discharge_counts(rule: Rule, declarations: dict[str, dict[str, Any]]) -> dict[int, Condition]:
    """An obligation's discharging facts are counted per match, like a count that always holds
    (n >= 0): its members are the candidates, earliest first, that settle the status. Only a
    fact that says when it was made can discharge (its event field, else time, else date)."""
    out = {}
    for i, action in enumerate(rule.actions):
        if action.discharged_by is not None:
            d = action.discharged_by
            dated = action.discharged_at or event_field(declarations[d.type])
            tests = d.tests + ([Test(at=d.at, field=dated, op="exists", value=True)] if dated else [])
            out[i] = d.model_copy(update={"kind": "count", "alias": f"~{action.id or i}", "tests": tests,
                                          "compare": [Test(at=d.at, field="n", op="ge", value=0)]})
    return out


def plan(pack: Pack, settled: dict[str, list[ParameterUse]], declarations: dict[str, dict[str, Any]]) -> Plan:
    """The plan of a checked pack with its settled parameters; PackInvalid when none exists."""
    discharges = {r.id: discharge_counts(r, declarations) for r in pack.rules}
    levels, cyclic = rule_levels(pack.rules, discharges)
    parts, tangled = partitions(pack, discharges)
    problems = [rule.at.problem("counts or absences over facts that this rule itself (indirectly) derives: no order "
                                "of evaluation exists", "when") for rule in pack.rules if rule.id in cyclic]
    problems += [rule.at.problem("rules partitioned by different fields derive facts for each other both ways: no "
                                 "order of sessions exists; give these rules one partition_by",
                                 "partition_by" if rule.partition_by else "id")
                 for rule in pack.rules if rule.id in tangled]
    if problems:
        raise PackInvalid(problems)
    negated = negations(pack.rules, declarations)
    counted = {r.id: [c for c in r.counts if c not in negated[r.id]] + list(discharges[r.id].values())
               for r in pack.rules}
    encoded: set[Part] = set()
    now: set[str] = set()
    now_months: set[int] = set()
    for rule in pack.rules:
        aliases = {c.alias: c.type for c in rule.when}
        for condition in rule.when + list(discharges[rule.id].values()):
            for test in flat(condition.tests) + condition.compare:
                base, part = split_field(test.field)
                calendar = any(isinstance(o, Op) and o.unit in MONTHS for v in _values(test) for o in _ops(v))
                if part or calendar:
                    encoded.add((condition.type, base, "md" if calendar else part or ""))
                for value in _values(test):
                    for ref in refs(value):
                        if isinstance(ref, Now):
                            now.add(rule.id)
                        elif isinstance(ref, FieldRef) and ref.alias in aliases and (ref.part or calendar):
                            encoded.add((aliases[ref.alias], ref.field, "md" if calendar else ref.part or ""))
                    for moved in _ops(value):  # a date moved by months: its key moved on the calendar
                        for months in _possible_months(moved, settled):
                            if isinstance(moved.left, Now):
                                now_months.add(months)
                            elif isinstance(moved.left, FieldRef) and moved.left.alias in aliases:
                                encoded.add((aliases[moved.left.alias], moved.left.field, moved_key(months)))
    return Plan(pack, periods(pack, settled), parts, levels, negated, counted, discharges, encoded, now, now_months)


def moved_key(months: int) -> str:
    """The part holding a date's calendar key `months` later, the day clamped to the month's last
    (facts.FactTypes.part): what a condition `$a.date + N mo` compares."""
    return f"md{months:+d}"


def calendar_months(moved: Op, amount: Any) -> int | None:
    """The whole months of `date ± N mo|y`, N being `amount` (the literal, or the parameter's
    value), or None when it is no whole number of months (the key is then moved arithmetically)."""
    if moved.unit not in MONTHS or not isinstance(moved.left, (FieldRef, Now)) \
            or not isinstance(amount, (int, float)) or isinstance(amount, bool):
        return None
    months = (-1 if moved.op == "-" else 1) * amount * MONTHS[moved.unit]
    return int(months) if math.isfinite(months) and months == int(months) else None


def _possible_months(moved: Op, settled: dict[str, list[ParameterUse]]) -> set[int]:
    """calendar_months for every value its amount takes in any period."""
    amounts = [u.value for u in settled.get(moved.right.name, [])] if isinstance(moved.right, Param) \
        else [moved.right]
    return {m for a in amounts if (m := calendar_months(moved, a)) is not None}


def _values(test: Test) -> list[Any]:
    return test.value if isinstance(test.value, list) else [test.value]


def _ops(expr: Any) -> list[Op]:
    return [expr, *_ops(expr.left), *_ops(expr.right)] if isinstance(expr, Op) else []


def periods(pack: Pack, settled: dict[str, list[ParameterUse]]) -> list[Period]:
    """The periods in which every parameter holds one value, oldest first."""
    starts = sorted({use.since for uses in settled.values() for use in uses
                     if use.since and use.since > pack.effective})
    out = []
    for since in [None] + starts:
        day = since or pack.effective
        out.append(Period(since, {name: _in_force(uses, day) for name, uses in settled.items()}))
    return out


def _in_force(uses: list[ParameterUse], day: dt.date) -> ParameterUse:
    chosen = uses[0]  # check makes the first in force when the pack takes effect
    for use in uses:
        if use.since is None or use.since <= day:
            chosen = use
    return chosen


def rule_levels(rules: list[Rule], discharges: dict[str, dict[int, Condition]]) -> tuple[dict[str, int], list[str]]:
    """Evaluation stage of each rule: a count waits until every rule deriving what it counts
    (or what it anchors on) has run. The stages, and the ids of rules caught in a cycle."""
    producers: dict[str, list[Rule]] = {}
    for rule in rules:
        for kind in rule.derives:
            producers.setdefault(kind, []).append(rule)
    level = {rule.id: 0 for rule in rules}

    def type_level(name: str) -> int:
        return max((level[r.id] for r in producers.get(name, [])), default=0)

    for _ in range(len(rules) + 1):
        changed = False
        for rule in rules:
            conditions = rule.when + list(discharges[rule.id].values())
            base = max((type_level(c.type) for c in conditions), default=0)
            new = base + 1 if rule.counts or discharges[rule.id] else base
            if new != level[rule.id]:
                level[rule.id], changed = new, True
        if not changed:
            return level, []
    return level, sorted(r.id for r in rules if level[r.id] > len(rules))


def partitions(pack: Pack, discharges: dict[str, dict[int, Condition]]) -> tuple[list[PartPlan], list[str]]:
    """The pack's rules grouped by partition key, each group after the groups deriving what it
    reads (their derived facts join its input). The groups in that order, and the ids of rules
    whose groups feed each other in a cycle."""
    groups: dict[str | None, list[Rule]] = {}
    for rule in pack.rules:
        groups.setdefault(pack.partition_key(rule), []).append(rule)
    derives = {k: {t for r in rs for t in r.derives} for k, rs in groups.items()}
    reads = {k: {c.type for r in rs for c in r.when + list(discharges[r.id].values())} for k, rs in groups.items()}
    after = {k: {o for o in groups if o != k and derives[o] & reads[k]} for k in groups}
    ordered: list[str | None] = []
    while len(ordered) < len(groups):
        ready = [k for k in groups if k not in ordered and after[k] <= set(ordered)]
        if not ready:
            stuck = [k for k in groups if k not in ordered]
            return [PartPlan(k, groups[k]) for k in ordered + stuck], sorted(r.id for k in stuck for r in groups[k])
        ordered.append(ready[0])
    return [PartPlan(k, groups[k]) for k in ordered], []


def negations(rules: list[Rule], declarations: dict[str, dict[str, Any]]) -> dict[str, list[Condition]]:
    """The absences that can be durable_rules' own negation rather than a count of zero.

    Its negation is decided when an anchor arrives: a fact asserted later never retracts a match
    already made. That is sound only when every fact that could deny a match is in the state
    before the rule's anchors: facts of a type no rule derives, asserted first by the runtime
    (the part's early types), and not themselves anchors of a rule that negates. Negation saves
    the collector and anchor actions and the aggregate facts of the count path."""
    derived = {t for r in rules for t in r.derives}
    # An absence joining on a field its anchor may lack is counted instead (see joined_optional).
    chosen = {r.id: [c for c in r.counts if c.kind == "absent" and c.type not in derived
                     and not joined_optional(r, [c], declarations)] for r in rules}
    while True:
        early = {c.type for cs in chosen.values() for c in cs}
        clash = [r for r in rules if chosen[r.id] and any(c.type in early for c in r.facts)]
        if not clash:
            return chosen
        for rule in clash:
            chosen[rule.id] = []


def joined_optional(rule: Rule, conditions: list[Condition],
                    declarations: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    """The optional fields of earlier facts that `conditions` join on, by alias. durable_rules
    stops the whole assert (error 311) when a join reads a field the earlier fact lacks, so the
    earlier pattern is made to require it: a join on a missing value could not hold anyway."""
    aliases = {c.alias: c for c in rule.facts}
    out: dict[str, set[str]] = {}
    for condition in conditions:
        for test in flat(condition.tests):
            for value in _values(test):
                for ref in refs(value):
                    if isinstance(ref, FieldRef) and ref.alias in aliases and ref.alias != condition.alias:
                        spec = declarations[aliases[ref.alias].type]["fields"].get(ref.field, {})
                        if not spec.get("required"):
                            out.setdefault(ref.alias, set()).add(ref.field)
    return out


def flat(tests: list[Test | AnyOf]) -> list[Test]:
    """Tests with those inside any-groups."""
    out: list[Test] = []
    for test in tests:
        out += ([t for alternative in test.alternatives for t in flat(alternative)] if isinstance(test, AnyOf)
                else [test])
    return out
