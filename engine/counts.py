"""Counts over groups of facts, for the `count` and `absent` conditions patuh computes.

durable_rules matches patterns but cannot count. Its collector rules report each counted fact
with the binding of the rule's fact patterns (a roster shift, say); for a count joined by equal
fields only (patterns.Keyed) the anchor rule reports the bindings and the members are looked up
here by those fields. This module groups the members per binding and, once every fact the count
depends on is in (the compiler's stages), turns each group into one aggregate fact that the
rule's main pattern compares (n > 2, n == 0).
Time windows themselves ("within 2 h of", "inside the shift") are joins on epoch seconds in the
patterns, so replaying a log gives the same groups whenever it runs.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, TypeAlias

from .compiler import AGG, FID, fact_id
from .facts import PART_KEY
from .pack import Condition, Rule
from .patterns import Keyed

Anchor: TypeAlias = tuple[str, ...]  # the ids of the facts a rule's fact patterns bound, in order


class Groups:
    def __init__(self) -> None:
        self.members: dict[tuple[str, int, Anchor], set[str]] = defaultdict(set)  # (rule, count, anchor) -> ids
        self.anchors: dict[str, set[Anchor]] = defaultdict(set)  # rule -> anchors

    @staticmethod
    def _anchor(rule: Rule, frame: dict[str, Any]) -> Anchor:
        return tuple(fact_id(frame[p.alias]) for p in rule.facts)

    def collect(self, rule: Rule, count: Condition, frame: dict[str, Any]) -> None:
        self.members[(rule.id, count.index, self._anchor(rule, frame))].add(fact_id(frame["counted"]))

    def anchor(self, rule: Rule, frame: dict[str, Any]) -> None:
        self.anchors[rule.id].add(self._anchor(rule, frame))

    def group(self, rule: Rule, index: int, spec: Keyed, kept: list[dict[str, Any]],
              encoded: dict[str, dict[str, Any]]) -> None:
        """A Keyed count's members, for every binding the anchor rule found: the `kept` facts of
        its type (encodings) that meet its tests and whose joined fields equal the binding's. A
        fact bound by the binding itself is not its own member, as durable_rules binds a fact
        once per match."""
        index_by: dict[tuple[Any, ...], list[str]] = defaultdict(list)
        for fact in kept:
            key = spec.key(fact)
            if key is not None and spec.filter.holds(fact):
                index_by[key].append(fact[FID][1:])
        positions = {p.alias: i for i, p in enumerate(rule.facts)}
        for anchor in self.anchors.get(rule.id, ()):
            values = tuple(encoded["#" + anchor[positions[alias]]].get(name) for _, alias, name in spec.joins)
            if None in values:
                continue  # a binding lacking a joined field: none can equal it, a group of none
            found = [m for m in index_by.get(values, ()) if m not in anchor]
            if found:
                self.members[(rule.id, index, anchor)].update(found)

    def aggregates(self, rules: list[Rule], counts: dict[str, list[Condition]],
                   needed: dict[str, dict[str, set[tuple[str, str]]]],
                   encoded: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        """One aggregate fact per count condition and anchor binding, zero-member groups included:
        n, the members' ids, and the sums, minima and maxima a rule's comparisons read (`needed`:
        rule -> count alias -> (aggregate, field)), over the members' engine values (`encoded`,
        by fid). An empty group's minimum and maximum are null: no comparison holds on them."""
        out: list[dict[str, Any]] = []
        for rule in sorted(rules, key=lambda r: r.id):
            # Groups with members, and, where the rule has an anchor rule, those without.
            anchors = self.anchors.get(rule.id, set()) | {a for (r, _, a) in self.members if r == rule.id}
            for anchor in sorted(anchors):
                for count in counts[rule.id]:
                    members = sorted(self.members.get((rule.id, count.index, anchor), ()))
                    agg_id = f"{AGG}:{rule.id}:{count.index}:{'|'.join(anchor)}"
                    fact = {"type": AGG, "fid": "#" + agg_id,
                            "rule": rule.id, "ci": count.index, "n": len(members), "members": members}
                    fact.update({f"a{i}": "#" + anchor_id for i, anchor_id in enumerate(anchor)})
                    for agg, name in sorted(needed.get(rule.id, {}).get(count.alias, ())):
                        values = [v for m in members if (v := encoded["#" + m].get(name)) is not None]
                        # as result.py: a sum of nothing counted is 0, of facts lacking the field unknown
                        fact[f"{agg}{PART_KEY}{name}"] = (
                            (sum(values) if values or not members else None) if agg == "sum"
                            else (min if agg == "min" else max)(values) if values else None)
                    out.append(fact)
        return out
