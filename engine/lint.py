"""Checks of a pack that a schema cannot make: every reference resolves, every rule can fire.

Each problem points at the file, line and column of the offending text.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from . import limits
from .pack import Located, Pack
from .problems import Problem
from .rules import CLOCK, CountRef, Param, Pattern, Ref, Rule, Test, clock_seconds, parse_rule, parse_value

TEMPLATE_REF = re.compile(r"\{(\$?[a-z_][a-z0-9_]*)(?:\.([a-z_][a-z0-9_]*))?\}")
# durable_rules' C core limits (DESIGN.md): frames per rule and properties per object.
MAX_FRAMES = 16
MAX_PROPERTIES = 250  # 255 less the engine's own: id, type, sid and margin
PYTHON_TYPES = {
    "string": (str,), "number": (int, float), "integer": (int,), "boolean": (bool,),
    "date": (dt.date,), "datetime": (dt.datetime,), "list": (list,),
}


def fact_types(pack: Pack, known: dict) -> dict[str, dict]:
    """Every fact type visible to the pack: its own declarations over those installed."""
    types = dict(known)
    types.update({name: loc.data for name, loc in pack.facts.items()})
    return types


def parsed_rules(pack: Pack) -> tuple[list[Rule], list[Problem]]:
    rules, problems = [], []
    for loc in pack.rules:
        rule, found = parse_rule(loc)
        rules.append(rule)
        problems += found
    return rules, problems


def levels(rules: list[Rule]) -> tuple[dict[str, int], list[str]]:
    """Evaluation stage of each rule: a count waits until every rule deriving what it counts
    (or what it anchors on) has run. Returns the stages and the ids of rules caught in a cycle."""
    producers: dict[str, list[Rule]] = {}
    for rule in rules:
        for derived in rule.data["then"].get("derive") or []:
            producers.setdefault(derived["type"], []).append(rule)
    level = {rule.id: 0 for rule in rules}

    def type_level(name: str) -> int:
        return max((level[r.id] for r in producers.get(name, [])), default=0)

    for _ in range(len(rules) + 1):
        changed = False
        for rule in rules:
            base = max((type_level(p.type) for p in rule.patterns), default=0)
            new = base + 1 if rule.counts else base
            if new != level[rule.id]:
                level[rule.id], changed = new, True
        if not changed:
            return level, []
    return level, sorted(r.id for r in rules if level[r.id] > len(rules))


def partition_key(pack: Pack, rule: Rule) -> str | None:
    """The fact field a rule's facts are grouped into sessions by: its own, else the pack's."""
    return rule.data.get("partition_by") or pack.meta.get("partition_by")


def partitions(pack: Pack, rules: list[Rule]) -> tuple[list[tuple[str | None, list[Rule]]], list[str]]:
    """The pack's rules grouped by partition key, each group's sessions run after the groups
    deriving what it reads (their derived facts join its input). Returns the groups in that
    order and the ids of rules whose groups feed each other in a cycle."""
    groups: dict[str | None, list[Rule]] = {}
    for rule in rules:
        groups.setdefault(partition_key(pack, rule), []).append(rule)
    derives = {k: {d["type"] for r in rs for d in r.data["then"].get("derive") or []} for k, rs in groups.items()}
    reads = {k: {p.type for r in rs for p in r.patterns} for k, rs in groups.items()}
    after = {k: {o for o in groups if o != k and derives[o] & reads[k]} for k in groups}
    ordered: list[str | None] = []
    while len(ordered) < len(groups):
        ready = [k for k in groups if k not in ordered and after[k] <= set(ordered)]
        if not ready:
            stuck = [k for k in groups if k not in ordered]
            return [(k, groups[k]) for k in ordered + stuck], sorted(r.id for k in stuck for r in groups[k])
        ordered.append(ready[0])
    return [(k, groups[k]) for k in ordered], []


def check_pack(pack: Pack, known_fact_types: dict, known_parameters: dict[str, set[str]] | None = None) -> list[Problem]:
    types = fact_types(pack, known_fact_types)
    problems = _check_parameters(pack) + _check_facts(pack) + _check_raci(pack) + _check_sanctions(pack)
    if known_parameters is not None:
        problems += _check_overrides(pack, known_parameters)
    rules, found = parsed_rules(pack)
    problems += found
    seen: dict[str, Located] = {}
    derived_types = {d["type"] for r in rules for d in r.data["then"].get("derive") or []}
    for rule in rules:
        if rule.id in seen:
            problems.append(rule.loc.problem(
                f"duplicate rule id {rule.id!r} (first at {seen[rule.id].where('id')})", "id"))
        seen.setdefault(rule.id, rule.loc)
        problems += RuleChecker(pack, rule, types, derived_types).run()
    problems += _derivation_cycles(rules)
    _, cyclic = levels(rules)
    for rule in rules:
        if rule.id in cyclic:
            problems.append(rule.loc.problem(
                "counts or absences over facts that this rule itself (indirectly) derives: no order of evaluation exists",
                "when"))
    _, tangled = partitions(pack, rules)
    for rule in rules:
        if rule.id in tangled:
            problems.append(rule.loc.problem(
                "rules partitioned by different fields derive facts for each other both ways: no order of sessions "
                "exists; give these rules one partition_by", "partition_by" if "partition_by" in rule.data else "id"))
    ids = {r.id for r in rules}
    for test in pack.tests:
        for i, expect in enumerate(test.data["expect"]):
            if expect.get("pack", pack.name) == pack.name and expect["rule"] not in ids:
                problems.append(test.problem(f"test expects rule {expect['rule']!r}, which this pack does not have",
                                             "expect", i, "rule"))
    return problems


def _derivation_cycles(rules: list[Rule]) -> list[Problem]:
    """Rules that derive a fact with a computed value (a field plus an amount) from facts that
    themselves come, through any chain of rules, from what they derive: each round makes a new
    value (the next day, one more), so forward chaining never ends. Copying values round a cycle
    is fine: it runs out of new facts."""
    edges: dict[str, set[str]] = {}
    computing: list[tuple[Rule, str, str, str]] = []  # (rule, from type, derived type, field)
    for rule in rules:
        for derive in rule.data["then"].get("derive") or []:
            for pattern in rule.patterns:
                edges.setdefault(pattern.type, set()).add(derive["type"])
            for name, raw in derive["fields"].items():
                value = parse_value(raw)
                if isinstance(value, Ref) and value.plus is not None:
                    source = next((p.type for p in rule.patterns if p.alias == value.alias), None)
                    if source:
                        computing.append((rule, source, derive["type"], name))

    def reaches(start: str, goal: str) -> bool:
        seen, stack = {start}, [start]
        while stack:
            for nxt in edges.get(stack.pop(), ()):
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return start == goal

    problems = []
    for rule, source, derived, name in computing:
        if reaches(derived, source):
            i = next(i for i, d in enumerate(rule.data["then"]["derive"]) if d["type"] == derived)
            problems.append(rule.loc.problem(
                f"derives {derived}.{name} as a computed value from a {source} fact, and {derived} facts lead "
                f"back to {source} facts through the rules: every round would make a new fact, without end; "
                "break the cycle (derive another type, or copy the value unchanged)", "then", "derive", i, "fields", name))
    return problems


def _check_parameters(pack: Pack) -> list[Problem]:
    problems = []
    for name, loc in pack.parameters.items():
        problem = limits.value_problem(loc.data["value"])
        if problem:
            problems.append(loc.problem(f"parameter {name!r}: {problem}", "value"))
        clause = loc.data.get("clause")
        if clause is None and not loc.data.get("company_choice"):
            problems.append(loc.problem(
                f"parameter {name!r} needs the clause it comes from, or 'company_choice: true'"))
        elif clause is not None and clause not in pack.clauses:
            problems.append(loc.problem(f"parameter {name!r} cites clause {clause!r}, which clauses.yaml lacks", "clause"))
    return problems


def _check_overrides(pack: Pack, known: dict[str, set[str]]) -> list[Problem]:
    problems = []
    doc = pack.meta_doc
    for target, values in (pack.meta.get("overrides") or {}).items():
        if target not in known:
            problems.append(Problem(doc.where(("overrides", target, "__key__")),
                                    f"overrides pack {target!r}, which is not installed; installed: "
                                    f"{', '.join(sorted(known)) or 'none'}"))
            continue
        for name, value in values.items():
            if name not in known[target]:
                problems.append(Problem(doc.where(("overrides", target, name, "__key__")),
                                        f"pack {target} has no parameter {name!r}; its parameters: "
                                        f"{', '.join(sorted(known[target]))}"))
            problem = limits.value_problem(value["value"] if isinstance(value, dict) else value)
            if problem:
                problems.append(Problem(doc.where(("overrides", target, name)), f"{target}.{name}: {problem}"))
            if isinstance(value, dict) and value["clause"] not in pack.clauses:
                problems.append(Problem(doc.where(("overrides", target, name, "clause")),
                                        f"the override cites clause {value['clause']!r}, which clauses.yaml lacks"))
    return problems


def _check_facts(pack: Pack) -> list[Problem]:
    from .rows import column_key  # headers, field names and aliases meet in this form

    problems = []
    for name, loc in pack.facts.items():
        fields = loc.data["fields"]
        if len(fields) > MAX_PROPERTIES:
            problems.append(loc.problem(
                f"fact type {name!r} has {len(fields)} fields; durable_rules takes at most {MAX_PROPERTIES}"))
        subject = loc.data.get("subject")
        if subject and subject not in fields:
            problems.append(loc.problem(f"subject {subject!r} is not a field of {name!r}", "subject"))
        for reserved in ("id", "fid", "type", "sid", "source"):
            if reserved in fields:
                problems.append(loc.problem(f"{reserved!r} is reserved for the engine; choose another field name",
                                            "fields", reserved))
        # A header must mean one field: an alias shared by two fields, or naming another field,
        # would make a register's column land in whichever a detector tried first.
        owners: dict[str, str] = {}
        for field_name, spec in fields.items():
            for i, alias in enumerate(spec.get("aliases") or []):
                key = column_key(alias)
                if not key:
                    why = "has no letter or digit: no header can match it"
                elif key in fields and key != field_name:
                    why = f"is the name of the field {key!r}; a header means one field"
                elif owners.setdefault(key, field_name) != field_name:
                    why = f"is also an alias of {name}.{owners[key]}; a header means one field"
                else:
                    continue
                problems.append(loc.problem(f"alias {alias!r} of {name}.{field_name} {why}",
                                            "fields", field_name, "aliases", i))
    return problems


def _check_raci(pack: Pack) -> list[Problem]:
    if pack.raci is None:
        return []
    roles = pack.raci.data["roles"]
    problems = []
    for key, process in pack.raci.data["processes"].items():
        if process["clause"] not in pack.clauses:
            problems.append(pack.raci.problem(f"RACI process {key!r} cites clause {process['clause']!r}, "
                                              "which clauses.yaml lacks", "processes", key, "clause"))
        for letter in "RACI":
            for i, role in enumerate(process.get(letter) or []):
                if role not in roles:
                    problems.append(pack.raci.problem(
                        f"role {role!r} is not one of the roles: {', '.join(roles)}", "processes", key, letter, i))
    return problems


def _check_sanctions(pack: Pack) -> list[Problem]:
    return [loc.problem(f"sanction {sid!r} cites clause {loc.data['clause']!r}, which clauses.yaml lacks", "clause")
            for sid, loc in pack.sanctions.items() if loc.data["clause"] not in pack.clauses]


class RuleChecker:
    def __init__(self, pack: Pack, rule: Rule, types: dict, derived_types: set[str]):
        self.pack, self.rule, self.types, self.derived_types = pack, rule, types, derived_types
        self.problems: list[Problem] = []
        self.aliases = {p.alias: p for p in rule.patterns}

    def problem(self, message: str, *path) -> None:
        self.problems.append(self.rule.loc.problem(message, *path))

    def run(self) -> list[Problem]:
        data = self.rule.data
        for i, number in enumerate(data["clauses"]):
            if number not in self.pack.clauses:
                self.problem(f"rule cites clause {number!r}, which clauses.yaml lacks", "clauses", i)
        if len(self.rule.patterns) + len(self.rule.counts) > MAX_FRAMES:
            self.problem(f"rule has too many conditions for durable_rules (at most {MAX_FRAMES} frames)", "when")
        if not self.rule.facts:
            self.problem("a rule needs at least one 'fact' condition to anchor its counts and absences", "when")
        for pattern in self.rule.patterns:
            self._pattern(pattern)
        self._consequences()
        return self.problems

    # -- conditions ---------------------------------------------------------------------------
    def _pattern(self, pattern: Pattern) -> None:
        key = "fact" if pattern.kind == "fact" else pattern.kind
        path = ("when", pattern.index)
        decl = self.types.get(pattern.type)
        if decl is None:
            self.problem(f"fact type {pattern.type!r} is declared nowhere (facts.yaml of this pack, "
                         f"an installed pack or a plugin); known: {', '.join(sorted(self.types)) or 'none'}", *path, key)
            return
        if pattern.kind == "fact" and decl.get("derived") and pattern.type not in self.derived_types:
            self.problem(f"rule can never fire: {pattern.type!r} is a derived fact type and no rule of this pack "
                         "derives it", *path, key)
        partition = partition_key(self.pack, self.rule)
        if partition and pattern.index > 0 and partition in decl["fields"]:
            if not any(t.field == partition and t.op == "eq" and isinstance(t.value, Ref) for t in pattern.tests):
                whose = "the rule" if self.rule.data.get("partition_by") else "the pack"
                self.problem(f"{whose} partitions facts by {partition!r}, so this condition must join on it "
                             f"(same: {{<alias>: [{partition}]}}) or the engine could miss matches", *path)
        for test in pattern.tests:
            self._test(pattern, decl, test)
        for test in pattern.compare:
            self._count_compare(pattern, test)
        self._bounds(pattern, decl)

    def _test(self, pattern: Pattern, decl: dict, test: Test) -> None:
        if test.op == "any":
            for alternative in test.value:
                for inner in alternative:
                    self._no_join(inner, "any")
                    self._test(pattern, decl, inner)
            return
        if test.op == "in":
            self._no_join(test, "in")
        if test.field.endswith(CLOCK):
            self._clock(pattern, decl, test)
            return
        field = decl["fields"].get(test.field)
        if field is None:
            # Point at the field's name: the key of a where-test, or the item of a same-list.
            at = test.path[:test.path.index(test.field) + 1] + ("__key__",) if test.field in test.path else test.path
            self.problem(f"{pattern.type!r} has no field {test.field!r}; its fields: {', '.join(sorted(decl['fields']))}",
                         *at)
            return
        values = test.value if test.op in ("in", "not_in", "between") else [test.value]
        if test.op == "exists":
            if not isinstance(test.value, bool):
                self.problem("exists takes true or false", *test.path)
            return
        if test.op in ("in", "not_in") and not values:
            self.problem(f"rule can never fire: {test.op} an empty list", *test.path)
        for value in values:
            self._value(pattern, field, test, value)

    def _clock(self, pattern: Pattern, decl: dict, test: Test) -> None:
        base = test.field[:-len(CLOCK)]
        field = decl["fields"].get(base)
        if field is None or field["type"] != "datetime":
            at = test.path[:test.path.index(test.field) + 1] + ("__key__",) if test.field in test.path else test.path
            self.problem(f"{test.field!r}: .clock reads a datetime field's time of day, and {pattern.type!r} has no "
                         f"datetime field {base!r}", *at)
            return
        if test.op == "exists":
            return
        self._no_join(test, "clock")
        seconds, shown = [], []
        for value in test.value if isinstance(test.value, list) else [test.value]:
            what = ""
            if isinstance(value, Param):
                what = f"parameter ${value.name}: "
                value = self._param(value, test.path)
                if value is None:
                    continue
            try:
                seconds.append(clock_seconds(value))
                shown.append(value)
            except ValueError as exc:
                self.problem(f"{test.field}: {what}{exc}", *test.path)
        if test.op == "between" and len(seconds) == 2 and seconds[0] > seconds[1]:
            self.problem(f"rule can never fire: a clock window from {shown[0]} to {shown[1]} would cross midnight, "
                         "which between does not wrap; write it as any: [{...: {ge: from}}, {...: {le: to}}]",
                         *test.path)

    def _no_join(self, test: Test, where: str) -> None:
        # durable_rules evaluates a join nested in an "or" wrongly (events.c skips the tests
        # after the group), so alternatives compare with values and parameters only.
        values = test.value if isinstance(test.value, list) else [test.value]
        if any(isinstance(v, Ref) for v in values):
            self.problem(f"'{where}' compares with values or $parameters only, not with another fact's field; "
                         "write the join as its own condition", *test.path)

    def _value(self, pattern: Pattern, field: dict, test: Test, value: Any) -> None:
        if isinstance(value, Param):
            resolved = self._param(value, test.path)
            if resolved is not None:
                self._literal(field, test, resolved, f"parameter ${value.name}")
        elif isinstance(value, Ref):
            self._ref(pattern, field, test, value)
        elif isinstance(value, CountRef):
            self.problem("a count can only be compared in a count condition", *test.path)
        else:
            self._literal(field, test, value, "value")

    def _literal(self, field: dict, test: Test, value: Any, what: str) -> None:
        ftype = field["type"]
        expected = PYTHON_TYPES[ftype]
        ok = isinstance(value, expected) and not (ftype in ("number", "integer") and isinstance(value, bool))
        if ftype == "date" and isinstance(value, dt.datetime):
            ok = False
        if ftype == "datetime" and isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            ok = False
        if not ok:
            self.problem(f"{what} {value!r} for {test.field!r}: expected a {ftype}", *test.path)
            return
        allowed = field.get("values")
        if allowed and test.op in ("eq", "in") and value not in allowed:
            self.problem(f"rule can never fire: {test.field!r} is never {value!r}; its values: "
                         f"{', '.join(map(str, allowed))}", *test.path)

    def _param(self, param: Param, path: tuple) -> Any:
        loc = self.pack.parameters.get(param.name)
        if loc is None:
            self.problem(f"parameter ${param.name} is not defined in parameters.yaml; defined: "
                         f"{', '.join(sorted(self.pack.parameters)) or 'none'}", *path)
            return None
        return loc.data["value"]

    def _ref(self, pattern: Pattern, field: dict, test: Test, ref: Ref) -> None:
        other = self.aliases.get(ref.alias)
        if other is None or other.kind != "fact":
            self.problem(f"{ref.alias!r} is not a fact condition of this rule; conditions: "
                         f"{', '.join(p.alias for p in self.rule.facts)}", *test.path)
            return
        if pattern.kind == "fact" and other.index >= pattern.index:
            self.problem(f"{ref.alias!r} is defined after this condition; refer only to earlier facts", *test.path)
            return
        decl = self.types.get(other.type)
        if decl is None:
            return
        ref_field = decl["fields"].get(ref.field)
        if ref_field is None:
            self.problem(f"{other.type!r} ({ref.alias}) has no field {ref.field!r}", *test.path)
            return
        if ref.plus is not None:
            self._amount(ref.plus, "plus", test.path)
            if ref_field["type"] == "datetime" and ref.unit is None:
                self.problem("adding to a time needs a unit: s, min, h or d", *test.path)
            if ref_field["type"] == "date" and ref.unit not in (None, "d"):
                self.problem("a date moves in whole days: use unit d", *test.path)
        if _comparable(ref_field["type"]) != _comparable(field["type"]):
            self.problem(f"compares {test.field!r} ({field['type']}) with {ref.alias}.{ref.field} "
                         f"({ref_field['type']})", *test.path)

    def _amount(self, value: Any, what: str, path: tuple) -> None:
        """A `plus` or `times`: a number, or a parameter holding one."""
        shown = f"{what} {value!r}"
        if isinstance(value, Param):
            shown = f"{what} ${value.name}"
            value = self._param(value, path)
            if value is None:
                return
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            self.problem(f"{shown}: expected a number, found {value!r}", *path)

    def _count_compare(self, pattern: Pattern, test: Test) -> None:
        value = test.value
        if isinstance(value, Param):
            value = self._param(value, test.path)
        elif isinstance(value, CountRef):
            other = self.aliases.get(value.alias)
            if other is None or not other.counted or other.index >= pattern.index:
                self.problem(f"{value.alias!r} is not an earlier count of this rule", *test.path)
            if value.times is not None:
                self._amount(value.times, "times", test.path)
            return
        elif isinstance(value, Ref):
            self.problem("a count is compared with a number, a parameter or another count", *test.path)
            return
        if value is None:
            return
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            self.problem(f"a count is compared with a number; found {value!r}", *test.path)
        elif (test.op == "lt" and value <= 0) or (test.op == "le" and value < 0) or (test.op == "eq" and value < 0):
            self.problem(f"rule can never fire: a count is never {test.op} {value}", *test.path)

    def _bounds(self, pattern: Pattern, decl: dict) -> None:
        """Literal bounds on one field that no value can meet: lt 4 together with gt 7."""
        by_field: dict[str, list[Test]] = {}
        for test in pattern.tests:
            by_field.setdefault(test.field, []).append(test)
        for name, tests in by_field.items():
            low, high, equal = None, None, []
            for test in tests:
                values = test.value if test.op == "between" else [test.value]
                values = [self.pack.parameters[v.name].data["value"] if isinstance(v, Param) and v.name in self.pack.parameters
                          else v for v in values]
                if (any(isinstance(v, (Ref, CountRef, Param)) for v in values) or test.op in ("in", "not_in", "exists", "any")
                        or name.endswith(CLOCK)):
                    continue
                try:
                    if test.op == "between":
                        if values[0] > values[1]:
                            self.problem(f"rule can never fire: between {values[0]} and {values[1]} is empty", *test.path)
                        low = _max(low, (values[0], True))
                        high = _min(high, (values[1], True))
                    elif test.op in ("gt", "ge"):
                        low = _max(low, (values[0], test.op == "ge"))
                    elif test.op in ("lt", "le"):
                        high = _min(high, (values[0], test.op == "le"))
                    elif test.op == "eq":
                        equal.append(values[0])
                except TypeError:
                    continue
            try:
                empty = low and high and (low[0] > high[0] or (low[0] == high[0] and not (low[1] and high[1])))
                for v in equal:
                    empty = empty or (low and (v < low[0] or (v == low[0] and not low[1])))
                    empty = empty or (high and (v > high[0] or (v == high[0] and not high[1])))
                empty = empty or len(set(map(repr, equal))) > 1
            except TypeError:
                empty = False
            if empty:
                self.problem(f"rule can never fire: no value of {name!r} meets all its conditions",
                             *tests[0].path)

    # -- consequences -------------------------------------------------------------------------
    def _consequences(self) -> None:
        data = self.rule.data
        then = data["then"]
        if not then.get("finding") and not then.get("derive"):
            self.problem("the rule does nothing: give it a finding, derived facts, or both", "then")
        if then.get("finding"):
            self._template(then["finding"]["message"], ("then", "finding", "message"))
        for i, alias in enumerate(data.get("once_per") or []):
            if alias not in self.aliases or self.aliases[alias].kind != "fact":
                self.problem(f"once_per names {alias!r}, which is not a fact condition of this rule", "once_per", i)
        if "subject" in data and "field" in data["subject"]:
            self._field_text(data["subject"]["field"], ("subject", "field"))
        elif "subject" in data:
            self._template(data["subject"]["id"], ("subject", "id"))
        roles = self.pack.raci.data["roles"] if self.pack.raci else {}
        processes = self.pack.raci.data["processes"] if self.pack.raci else {}
        for i, action in enumerate(then.get("actions") or []):
            path = ("then", "actions", i)
            self._template(action["what"], path + ("what",))
            if "raci" in action and action["raci"] not in processes:
                self.problem(f"RACI process {action['raci']!r} is not in raci.yaml; processes: "
                             f"{', '.join(processes) or 'none'}", *path, "raci")
            for key in ("responsible", "accountable"):
                for j, role in enumerate(action.get(key) or []):
                    if role not in roles:
                        self.problem(f"role {role!r} is not in raci.yaml roles", *path, key, j)
            due = action.get("due") or {}
            for unit in ("minutes", "hours", "days"):
                if isinstance(due.get(unit), str) and not due[unit].startswith("$"):
                    self.problem(f"due {unit} takes a number or a $parameter", *path, "due", unit)
                elif unit in due:
                    self._amount(parse_value(due[unit]), f"due {unit}", path + ("due", unit))
            if "from" in due:
                self._field_text(due["from"], path + ("due", "from"), types=("date", "datetime"))
        for i, sanction in enumerate(then.get("sanctions") or []):
            if sanction["rung"] not in self.pack.sanctions:
                self.problem(f"sanction {sanction['rung']!r} is not on the pack's ladder (sanctions.yaml): "
                             f"{', '.join(self.pack.sanctions) or 'none'}", "then", "sanctions", i, "rung")
        for i, derive in enumerate(then.get("derive") or []):
            self._derive(derive, ("then", "derive", i))

    def _derive(self, derive: dict, path: tuple) -> None:
        decl = self.types.get(derive["type"])
        if decl is None:
            self.problem(f"derived fact type {derive['type']!r} is not declared in facts.yaml", *path, "type")
            return
        for name, raw in derive["fields"].items():
            field = decl["fields"].get(name)
            if field is None:
                self.problem(f"{derive['type']!r} has no field {name!r}", *path, "fields", name)
                continue
            test = Test(name, "eq", None, path + ("fields", name))
            value = parse_value(raw)
            if isinstance(value, Ref):
                if value.alias not in self.aliases or self.aliases[value.alias].kind != "fact":
                    self.problem(f"{value.alias!r} is not a fact condition of this rule", *test.path)
                else:
                    other = self.types.get(self.aliases[value.alias].type) or {"fields": {}}
                    source = other["fields"].get(value.field)
                    if value.plus is not None:
                        self._amount(value.plus, "plus", test.path)
                    if source is None:
                        self.problem(f"{value.alias} has no field {value.field!r}", *test.path)
                    elif _comparable(source["type"]) != _comparable(field["type"]):
                        self.problem(f"{derive['type']}.{name} is a {field['type']}, but {value.alias}.{value.field} "
                                     f"is a {source['type']}", *test.path)
                    elif field.get("required") and not source.get("required") and not self._tested(value):
                        self.problem(f"derived {derive['type']}.{name} is required, but {value.alias}.{value.field} "
                                     "is optional: a fact without it would stop the evaluation; require it in the "
                                     f"condition ({value.field}: {{exists: true}}) or make {name} optional", *test.path)
            else:
                self._value(self.rule.facts[0] if self.rule.facts else None, field, test, value)
        for name, field in decl["fields"].items():
            if field.get("required") and name not in derive["fields"]:
                self.problem(f"derived {derive['type']!r} needs field {name!r}", *path, "fields")

    def _tested(self, ref: Ref) -> bool:
        """Whether the rule's conditions make `ref` present (exists: true, or any test it must pass)."""
        return any(t.field == ref.field and not (t.op == "exists" and t.value is False)
                   for t in self.aliases[ref.alias].tests)

    def _field_text(self, text: str, path: tuple, types: tuple = ()) -> None:
        alias, _, name = text.partition(".")
        pattern = self.aliases.get(alias)
        if pattern is None or pattern.kind != "fact":
            self.problem(f"{text!r}: expected <fact alias>.<field>", *path)
            return
        decl = self.types.get(pattern.type)
        if decl and name not in decl["fields"]:
            self.problem(f"{text!r}: {pattern.type!r} has no field {name!r}", *path)
        elif decl and types and decl["fields"][name]["type"] not in types:
            self.problem(f"{text!r} is a {decl['fields'][name]['type']}; expected a {' or '.join(types)}", *path)

    def _template(self, text: str, path: tuple) -> None:
        for match in TEMPLATE_REF.finditer(text):
            head, name = match.group(1), match.group(2)
            if head.startswith("$"):
                self._param(Param(head[1:]), path)
            elif head in self.aliases and self.aliases[head].counted:
                if name != "n":
                    self.problem(f"{{{head}.{name}}}: a count has only .n", *path)
            elif name is None:
                self.problem(f"{{{head}}}: expected {{alias.field}} or {{$parameter}}", *path)
            else:
                self._field_text(f"{head}.{name}", path)


def _comparable(ftype: str) -> str:
    return "number" if ftype in ("number", "integer") else ftype


def _max(a, b):
    if a is None:
        return b
    return b if b[0] > a[0] or (b[0] == a[0] and not b[1]) else a


def _min(a, b):
    if a is None:
        return b
    return b if b[0] < a[0] or (b[0] == a[0] and not b[1]) else a
