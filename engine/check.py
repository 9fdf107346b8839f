"""Check: what a schema cannot see in a built pack (pack.py), over the whole set of packs: every
clause, parameter, fact type, field, alias, role, rung and table a rule names exists; every
expression is typed right (a time plus hours, a date plus years, numbers times numbers) and can
be computed where it is used (durable_rules computes what conditions test; patuh the rest);
every rule can fire; derivations end. Each problem names the file, line and column.

What needs the rules' order of evaluation (cycles of counts, partitions feeding each other)
is checked by `plan`, and durable_rules' own limits by `compiler`: `patuh lint` runs them all.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from . import limits
from .expressions import CALENDAR, MONTHS, SECONDS, SHIFTS, Call, CountRef, FieldRef, Neg, Now, Op, Param, Text, refs
from .facts import event_field
from .pack import AnyOf, At, Condition, Derive, Pack, Rule, Table, Test, split_field
from .problems import Problem
from .rows import column_key

# durable_rules' C core limits (DESIGN.md): frames per rule and properties per object.
MAX_FRAMES = 16
MAX_PROPERTIES = 250  # 255 less the engine's own: id, type, sid and margin
RESERVED_FIELDS = ("id", "fid", "type", "sid", "source")
RESERVED_PARAMETERS = ("now", "today")
PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "number": (int, float), "integer": (int,), "boolean": (bool,),
    "date": (dt.date,), "datetime": (dt.datetime,), "list": (list,),
}
PART_TYPES = {"date": "date", "year": "integer", "month": "string", "clock": "integer"}


def clock_seconds(text: Any) -> int:
    """Seconds after midnight of a clock time written "HH:MM" or "HH:MM:SS"; ValueError if not."""
    parts = str(text).split(":") if isinstance(text, str) else []
    if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) == 2 for p in parts):
        raise ValueError(f"expected a clock time HH:MM, found {text!r}")
    h, m, s = (int(p) for p in parts + ["00"][:3 - len(parts)])
    if h > 23 or m > 59 or s > 59:
        raise ValueError(f"expected a clock time between 00:00 and 23:59, found {text!r}")
    return h * 3600 + m * 60 + s


@dataclass
class Known:
    """What a pack is checked against besides itself: the fact types other installed packs and
    plugins declare (as written in facts.yaml), and the parameters of installed packs by name."""

    fact_types: dict[str, dict[str, Any]] = field(default_factory=dict)
    parameters: dict[str, set[str]] | None = None  # None: overrides are not checked


def declarations(pack: Pack) -> dict[str, dict[str, Any]]:
    """The fact types a pack declares, its tables' included."""
    return {**{n: t.declaration for n, t in pack.facts.items()}, **{n: t.declaration for n, t in pack.tables.items()}}


def merge_declarations(types: dict[str, dict[str, Any]], pack: Pack) -> None:
    """Add a pack's fact types to `types`, over those already there (a pack given by its folder
    over the installed revision). A type another pack declares too (alike: lint says so otherwise)
    keeps the column names (aliases) both packs give its fields: a register header one pack knows
    is read for the other as well."""
    for name, declaration in declarations(pack).items():
        earlier = types.get(name)
        if earlier is None or not earlier.get("fields"):
            types[name] = declaration
            continue
        fields = {k: dict(v) for k, v in declaration["fields"].items()}
        # headers are matched folded (column_key): one the later pack gives a field keeps it
        taken = {column_key(a) for spec in fields.values() for a in spec.get("aliases") or ()}
        for key, spec in earlier["fields"].items():
            more = [a for a in spec.get("aliases") or () if column_key(a) not in taken]
            if key in fields and more:
                fields[key]["aliases"] = list(fields[key].get("aliases") or ()) + more
                taken.update(column_key(a) for a in more)
        types[name] = {**declaration, "fields": fields}


def kind_of(value: Any) -> str | None:
    """The type a literal value has, in the fact types' terms."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, str):
        return "string"
    return "list" if isinstance(value, list) else None


def comparable(a: str | None, b: str | None) -> bool:
    number = ("number", "integer")
    return a is None or b is None or a == b or (a in number and b in number)


# -- the checks -----------------------------------------------------------------------------------------

def check_pack(pack: Pack, known: Known) -> list[Problem]:
    """Every problem of a built pack that needs more than its own file to see."""
    types = {**known.fact_types, **declarations(pack)}
    problems = _clauses(pack) + _parameters(pack) + _facts(pack) + _tables(pack) + _raci(pack) + _sanctions(pack)
    if known.parameters is not None:
        problems += _overrides(pack, known.parameters)
    seen: dict[str, Rule] = {}
    derived = {t for rule in pack.rules for t in rule.derives}
    for rule in pack.rules:
        if rule.id in seen:
            problems.append(rule.at.problem(f"duplicate rule id {rule.id!r} (first at {seen[rule.id].at.where('id')})",
                                            "id"))
        seen.setdefault(rule.id, rule)
        problems += _RuleChecker(pack, rule, types, derived).run()
    problems += _derivation_cycles(pack.rules)
    ids = {r.id for r in pack.rules} | {f"{r.id}.{a.id}-{s}" for r in pack.rules for a in r.actions
                                        if a.discharged_by and a.id for s in ("overdue", "late")}
    ids |= {f"{r.id}.unjudged" for r in pack.rules if r.unjudged}
    actions = {(r.id, a.id) for r in pack.rules for a in r.actions if a.discharged_by and a.id}
    for case in pack.tests:
        for expect in case.expect:
            if (expect.pack or pack.name) == pack.name and expect.rule not in ids:
                problems.append(expect.at.problem(f"test expects rule {expect.rule!r}, which this pack does not have",
                                                  "rule"))
        for i, rule_id in enumerate(case.ignore):
            if rule_id not in ids:
                problems.append(case.at.problem(f"test ignores rule {rule_id!r}, which this pack does not have",
                                                "ignore", i))
        refusing = {r.id for r in pack.rules if r.reject is not None}
        for refused in case.rejects or []:
            if refused.rule not in refusing:
                problems.append(refused.at.problem(f"test expects rule {refused.rule!r} to refuse a record, but no "
                                                   "rule of this pack by that id has `then: reject`", "rule"))
        if case.rejects and case.expect:
            problems.append(case.at.problem("a case that expects records refused gets no findings (the evaluation "
                                            "returns nothing): leave expect empty", "expect"))
        for owed in case.obligations or []:
            if (owed.rule, owed.action) not in actions:
                problems.append(owed.at.problem(f"test expects an obligation {owed.action!r} of rule {owed.rule!r}, "
                                                "which no action of this pack sets (an action with an id and "
                                                "discharged_by)", "action"))
    return problems


def shared_types(pack: Pack, others: list[Pack]) -> list[Problem]:
    """A fact type two packs both declare (a company, an incident register) must be declared
    alike, field for field, or a record valid for one would be read otherwise by the other."""
    problems = []
    for other in others:
        if other.name == pack.name:
            continue  # revisions of one pack may change a type
        for name, mine in declarations(pack).items():
            theirs = declarations(other).get(name)
            if theirs is not None and _signature(mine) != _signature(theirs):
                differ = sorted(k for k in set(mine["fields"]) | set(theirs["fields"])
                                if _signature(mine).get(k) != _signature(theirs).get(k))
                where = pack.facts[name].at if name in pack.facts else pack.tables[name].at
                problems.append(where.problem(f"fact type {name!r} is also declared by pack {other.label}, "
                                              f"differently ({', '.join(differ)}); declare it alike in both, or "
                                              "name one otherwise"))
    return problems


def _signature(declaration: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {k: (v["type"], bool(v.get("required")), tuple(map(str, v.get("values") or ())))
            for k, v in declaration["fields"].items()}


def _clauses(pack: Pack) -> list[Problem]:
    return [clause.at.problem(f"clause {number} quotes document {clause.document!r}, which pack.yaml's documents "
                              f"lack; documents: {', '.join(pack.documents) or 'none'}", "document")
            for number, clause in pack.clauses.items() if clause.document is not None
            and clause.document not in pack.documents]


def _parameters(pack: Pack) -> list[Problem]:
    problems = []
    for name, param in pack.parameters.items():
        if name in RESERVED_PARAMETERS:
            problems.append(param.at.problem(f"${name} is the evaluation time; name the parameter otherwise"))
        if param.clause is None and not param.company_choice:
            problems.append(param.at.problem(f"parameter {name!r} needs the clause it comes from, or "
                                             "'company_choice: true'"))
        checked: list[tuple[Any, str | None, At]] = [(param.value, param.clause, param.at["value"])]
        checked += [(d.value, d.clause, d.at) for d in param.values]
        for value, clause, at in checked:
            problem = limits.value_problem(value)
            if problem:
                problems.append(at.problem(f"parameter {name!r}: {problem}"))
            if clause is not None and clause not in pack.clauses:
                problems.append(at.problem(f"parameter {name!r} cites clause {clause!r}, which clauses.yaml lacks",
                                           "clause"))
        if param.values and param.values[0].since > pack.effective:
            problems.append(param.values[0].at.problem(
                f"parameter {name!r} has no value before {param.values[0].since}, but the pack takes effect on "
                f"{pack.effective}: give the value in force then"))
        kinds = {_value_kind(d.value) for d in param.values}
        if len(kinds) > 1:
            problems.append(param.at.problem(f"parameter {name!r} changes kind over time ({', '.join(sorted(kinds))}); "
                                             "its values by date must be of one kind", "values"))
    return problems


def _value_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    return "a list" if isinstance(value, list) else "text"


def _overrides(pack: Pack, known: dict[str, set[str]]) -> list[Problem]:
    problems = []
    for override in pack.overrides:
        target, name = override.pack, override.parameter
        if target not in known:
            problems.append(Problem(pack.at.where("overrides", target, "__key__"),
                                    f"overrides pack {target!r}, which is not installed; installed: "
                                    f"{', '.join(sorted(known)) or 'none'}"))
            continue
        if name not in known[target]:
            problems.append(override.at.problem(f"pack {target} has no parameter {name!r}; its parameters: "
                                                f"{', '.join(sorted(known[target]))}", "__key__"))
        problem = limits.value_problem(override.value)
        if problem:
            problems.append(override.at.problem(f"{target}.{name}: {problem}"))
        if override.clause is not None and override.clause not in pack.clauses:
            problems.append(override.at.problem(f"the override cites clause {override.clause!r}, which clauses.yaml "
                                                "lacks", "clause"))
    return problems


def _fields(name: str, fields: dict[str, Any], at: At) -> list[Problem]:
    """What a fact type's (or a table's) fields must be: few enough, none of the engine's own
    names, and no header alias that could mean two fields."""
    problems = []
    if len(fields) > MAX_PROPERTIES:
        problems.append(at.problem(f"fact type {name!r} has {len(fields)} fields; durable_rules takes at most "
                                   f"{MAX_PROPERTIES}"))
    for reserved in RESERVED_FIELDS:
        if reserved in fields:
            problems.append(at.problem(f"{reserved!r} is reserved for the engine; choose another field name",
                                       "fields", reserved))
    # A header must mean one field: an alias shared by two fields, or naming another field,
    # would make a register's column land in whichever a detector tried first.
    owners: dict[str, str] = {}
    for field_name, spec in fields.items():
        for i, alias in enumerate(spec.aliases):
            key = column_key(alias)
            if not key:
                why = "has no letter or digit: no header can match it"
            elif key in fields and key != field_name:
                why = f"is the name of the field {key!r}; a header means one field"
            elif owners.setdefault(key, field_name) != field_name:
                why = f"is also an alias of {name}.{owners[key]}; a header means one field"
            else:
                continue
            problems.append(at.problem(f"alias {alias!r} of {name}.{field_name} {why}", "fields", field_name,
                                       "aliases", i))
    return problems


def _facts(pack: Pack) -> list[Problem]:
    problems = []
    for name, fact_type in pack.facts.items():
        fields = fact_type.fields
        problems += _fields(name, fields, fact_type.at)
        if name in pack.tables:
            problems.append(fact_type.at.problem(f"{name!r} is also a table of this pack; name one otherwise"))
        if fact_type.subject and fact_type.subject not in fields:
            problems.append(fact_type.at.problem(f"subject {fact_type.subject!r} is not a field of {name!r}",
                                                 "subject"))
        if fact_type.event and (fact_type.event not in fields
                                or fields[fact_type.event].type not in ("date", "datetime")):
            problems.append(fact_type.at.problem(f"event {fact_type.event!r}: the field that dates a fact must be a "
                                                 f"date or datetime field of {name!r}", "event"))
        if fact_type.shifts:
            wanted = {"date": ("date",), "shift": ("string",), "start": ("datetime",), "end": ("datetime",)}
            wrong = [f for f, kinds in wanted.items() if f not in fields or fields[f].type not in kinds]
            if wrong:
                problems.append(fact_type.at.problem(f"shifts: true needs the fields date (date), shift (text), start "
                                                     f"and end (datetime); {name!r} lacks {', '.join(wrong)}",
                                                     "shifts"))
    return problems


def _tables(pack: Pack) -> list[Problem]:
    problems = []
    for name, table in pack.tables.items():
        problems += _fields(name, table.fields, table.at)
        if table.clause is not None and table.clause not in pack.clauses:
            problems.append(table.at.problem(f"table {name!r} cites clause {table.clause!r}, which clauses.yaml lacks",
                                             "clause"))
        if table.clause is None and not table.company_choice:
            problems.append(table.at.problem(f"table {name!r} needs the clause it comes from, or "
                                             "'company_choice: true'"))
        for key in table.key:
            if key not in table.fields:
                problems.append(table.at.problem(f"key {key!r} is not a field of table {name!r}", "key"))
        seen: dict[tuple[Any, ...], int] = {}
        for i, row in enumerate(table.rows):
            problems += _row(pack, table, i, row)
            values = tuple(repr(row.get(k)) for k in table.key)
            if values in seen:
                problems.append(table.at.problem(f"row {i + 1} of table {name!r} has the key of row "
                                                 f"{seen[values] + 1} "
                                                 f"({', '.join(f'{k}={row.get(k)!r}' for k in table.key)})",
                                                 "rows", i))
            seen.setdefault(values, i)
        for column, total in table.sums.items():
            problems += _sum(pack, table, column, total)
    return problems


def _row(pack: Pack, table: Table, i: int, row: dict[str, Any]) -> list[Problem]:
    problems = []
    for column, value in row.items():
        spec = table.fields.get(column)
        if spec is None:
            problems.append(table.at.problem(f"table {table.name!r} has no field {column!r}; its fields: "
                                             f"{', '.join(table.fields)}", "rows", i, column))
            continue
        if isinstance(value, str) and value.startswith("$") and not value.startswith("$$"):
            param = pack.parameters.get(value[1:])
            if param is None:
                problems.append(table.at.problem(f"{value}: no such parameter in parameters.yaml", "rows", i, column))
                continue
            value = param.value
        if value is not None and not comparable(kind_of(value), spec.type) and not (
                spec.type == "number" and kind_of(value) == "integer"):
            problems.append(table.at.problem(f"{table.name}.{column}: expected a {spec.type}, found {value!r}",
                                             "rows", i, column))
        elif spec.values and value not in spec.values:
            problems.append(table.at.problem(f"{table.name}.{column}: {value!r} is not one of "
                                             f"{', '.join(map(str, spec.values))}", "rows", i, column))
    for column, spec in table.fields.items():
        if spec.required and row.get(column) is None:
            problems.append(table.at.problem(f"row {i + 1} of table {table.name!r} lacks its required {column!r}",
                                             "rows", i))
    return problems


def _sum(pack: Pack, table: Table, column: str, total: Any) -> list[Problem]:
    if isinstance(total, str) and total.startswith("$"):
        total = pack.parameters[total[1:]].value if total[1:] in pack.parameters else None
    values = [row.get(column) for row in table.rows]
    values = [pack.parameters[v[1:]].value if isinstance(v, str) and v.startswith("$") and v[1:] in pack.parameters
              else v for v in values]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return [table.at.problem(f"sums: {column!r} holds values that are not numbers", "sums", column)]
    from decimal import Decimal

    found = sum(Decimal(repr(v)) for v in values)
    if total is None or found != Decimal(repr(total)):
        return [table.at.problem(f"the {column!r} column of table {table.name!r} adds up to {found}, not {total}",
                                 "sums", column)]
    return []


def _raci(pack: Pack) -> list[Problem]:
    if pack.raci is None:
        return []
    problems = []
    for key, process in pack.raci.processes.items():
        if process.clause not in pack.clauses:
            problems.append(process.at.problem(f"RACI process {key!r} cites clause {process.clause!r}, which "
                                               "clauses.yaml lacks", "clause"))
        for letter in "RACI":
            for i, role in enumerate(getattr(process, letter)):
                if role not in pack.raci.roles:
                    problems.append(process.at.problem(f"role {role!r} is not one of the roles: "
                                                       f"{', '.join(pack.raci.roles)}", letter, i))
    return problems


def _sanctions(pack: Pack) -> list[Problem]:
    return [rung.at.problem(f"sanction {sid!r} cites clause {rung.clause!r}, which clauses.yaml lacks", "clause")
            for sid, rung in pack.sanctions.items() if rung.clause not in pack.clauses]


def _derivation_cycles(rules: list[Rule]) -> list[Problem]:
    """Rules that derive a fact with a computed value (a field plus an amount) from facts that
    themselves come, through any chain of rules, from what they derive: each round makes a new
    value (the next day, one more), so forward chaining never ends. Copying values round a cycle
    is fine: it runs out of new facts. (A sequence of steps is `each:`, not a cycle.)"""
    edges: dict[str, set[str]] = {}
    computing: list[tuple[Derive, str, str, str]] = []  # (derive, from type, derived type, field)
    for rule in rules:
        for derive in rule.derive:
            for condition in rule.when:
                edges.setdefault(condition.type, set()).add(derive.type)
            for name, value in derive.fields.items():
                if isinstance(value, (Op, Call, Neg, Text)):
                    for ref in (value.refs if isinstance(value, Text) else refs(value)):
                        source = next((c.type for c in rule.when if c.alias == getattr(ref, "alias", None)), None)
                        if source:
                            computing.append((derive, source, derive.type, name))

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

    return [derive.at.problem(
        f"derives {derived}.{name} as a computed value from a {source} fact, and {derived} facts lead back to {source} "
        "facts through the rules: every round would make a new fact, without end; break the cycle (derive another "
        "type, or copy the value unchanged)", "fields", name)
        for derive, source, derived, name in computing if reaches(derived, source)]


@dataclass
class _Scope:
    """Where an expression stands: which conditions it may refer to, and whether durable_rules
    computes it (a condition's test) or patuh does (derived fields, texts, due times)."""

    before: Condition | None = None  # a test of this condition: only earlier facts (and itself)
    core: bool = False
    counts: bool = False  # a count's comparison: earlier counts too


class _RuleChecker:
    def __init__(self, pack: Pack, rule: Rule, types: dict[str, dict[str, Any]], derived_types: set[str]):
        self.pack, self.rule, self.types, self.derived_types = pack, rule, types, derived_types
        self.problems: list[Problem] = []
        self.aliases = {c.alias: c for c in rule.when}
        self.each: str | None = None  # while a derive with `each:` is checked: its steps' type

    def problem(self, at: At, message: str, *sub: Any) -> None:
        self.problems.append(at.problem(message, *sub))

    def run(self) -> list[Problem]:
        rule = self.rule
        for i, cited in enumerate(rule.cited):
            if isinstance(cited, FieldRef):
                self._cited(cited, rule.at["clauses"][i])
            elif cited is not None and cited not in self.pack.clauses:
                self.problem(rule.at, f"rule cites clause {cited!r}, which clauses.yaml lacks", "clauses", i)
        frames = len(rule.when) + sum(1 for a in rule.actions if a.discharged_by)
        if frames > MAX_FRAMES:
            self.problem(rule.at, f"rule has too many conditions for durable_rules (at most {MAX_FRAMES} frames)",
                         "when")
        if not rule.facts:
            self.problem(rule.at, "a rule needs at least one 'fact' condition to anchor its counts and absences",
                         "when")
        for condition in rule.when:
            self._condition(condition)
        self._unjudged()
        self._consequences()
        return self.problems

    def _cited(self, ref: FieldRef, at: At) -> None:
        """A clause cited by a fact's field: every value the field can hold must be a clause."""
        spec = self._field_of(ref, at, _Scope())
        if spec is None:
            return
        condition = self.aliases[ref.alias]
        table = self.pack.tables.get(condition.type)
        values = [row.get(ref.field) for row in table.rows] if table else spec.get("values")
        if not values:
            self.problem(at, f"{ref}: cites the clause a field names, so the field must list its values (values: "
                             "in facts.yaml), or be a table's column")
            return
        missing = sorted({str(v) for v in values if str(v) not in self.pack.clauses})
        if missing:
            self.problem(at, f"{ref} may name {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}, which "
                             "clauses.yaml lacks")

    # -- conditions -------------------------------------------------------------------------------
    def _condition(self, condition: Condition, discharge: bool = False) -> None:
        key = condition.kind
        decl = self.types.get(condition.type)
        if decl is None:
            self.problem(condition.at, f"fact type {condition.type!r} is declared nowhere (facts.yaml or tables.yaml "
                                       "of this pack, an installed pack or a plugin); known: "
                                       f"{', '.join(sorted(self.types)) or 'none'}", "fact" if discharge else key)
            return
        if condition.kind == "fact" and decl.get("derived") and condition.type not in self.derived_types:
            self.problem(condition.at, f"rule can never fire: {condition.type!r} is a derived fact type and no rule of "
                                       "this pack derives it", "fact" if discharge else key)
        partition = self.pack.partition_key(self.rule)
        if partition and (condition.index > 0 or discharge) and partition in decl["fields"]:
            if not any(isinstance(t, Test) and t.field == partition and t.op == "eq" and isinstance(t.value, FieldRef)
                       for t in condition.tests):
                whose = "the rule" if self.rule.partition_by else "the pack"
                self.problem(condition.at, f"{whose} partitions facts by {partition!r}, so this condition must join on "
                                           f"it ({partition}: $<alias>.{partition}) or the engine could miss matches")
        scope = _Scope(before=condition, core=True)
        for test in condition.tests:
            self._test(condition, decl, test, scope)
        for test in condition.compare:
            self._count_compare(condition, test)
        self._bounds(condition)

    def _test(self, condition: Condition, decl: dict[str, Any], test: Test | AnyOf, scope: _Scope) -> None:
        if isinstance(test, AnyOf):
            for alternative in test.alternatives:
                for inner in alternative:
                    self._no_join(inner, "any")
                    self._test(condition, decl, inner, scope)
            return
        if test.op == "in":
            self._no_join(test, "in")
        base, part = split_field(test.field)
        spec = decl["fields"].get(base)
        if spec is None or (part and not self._part_of(spec["type"], part)):
            what = (f"{test.field!r}: .{part} reads a date or time field's {part}, and {condition.type!r} has no "
                    f"{'datetime' if part == 'clock' else 'date or datetime'} field {base!r}") if part else (
                f"{condition.type!r} has no field {test.field!r}; its fields: {', '.join(sorted(decl['fields']))}")
            self.problems.append(Problem(test.field_at(), what))
            return
        ftype = PART_TYPES[part] if part else spec["type"]
        if test.op == "exists":
            if not isinstance(test.value, bool):
                self.problem(test.at, "exists takes true or false")
            return
        values = test.value if test.op in ("in", "not_in", "between") else [test.value]
        if test.op in ("in", "not_in") and not values:
            self.problem(test.at, f"rule can never fire: {test.op} an empty list")
        if test.op == "between" and len(values) != 2:
            self.problem(test.at, "between takes [low, high]")
        if part == "clock":
            self._clock(test, values)
            return
        for value in values:
            self._value(spec if not part else {"type": ftype}, test, value, scope)

    @staticmethod
    def _part_of(ftype: str, part: str) -> bool:
        return ftype == "datetime" or (ftype == "date" and part != "clock")

    def _clock(self, test: Test, values: list[Any]) -> None:
        self._no_join(test, "clock")
        seconds, shown = [], []
        for value in values:
            what = ""
            if isinstance(value, Param):
                what = f"parameter ${value.name}: "
                value = self._param(value, test.at)
                if value is None:
                    continue
            try:
                seconds.append(clock_seconds(value))
                shown.append(value)
            except ValueError as exc:
                self.problem(test.at, f"{test.field}: {what}{exc}")
        if test.op == "between" and len(seconds) == 2 and seconds[0] > seconds[1]:
            self.problem(test.at, f"rule can never fire: a clock window from {shown[0]} to {shown[1]} would cross "
                                  "midnight, which between does not wrap; write it as any: [{...: {ge: from}}, "
                                  "{...: {le: to}}]")

    def _no_join(self, test: Test | AnyOf, where: str) -> None:
        # durable_rules evaluates a join nested in an "or" wrongly (events.c skips the tests after
        # the group), so alternatives compare with values and parameters only.
        if isinstance(test, AnyOf):
            return
        values = test.value if isinstance(test.value, list) else [test.value]
        if any(isinstance(r, (FieldRef, CountRef, Now)) for v in values for r in refs(v)):
            self.problem(test.at, f"'{where}' compares with values or $parameters only, not with another fact's field; "
                                  "write the join as its own condition")

    def _value(self, spec: dict[str, Any], test: Test, value: Any, scope: _Scope) -> None:
        if isinstance(value, Param):  # a parameter: its value must fit the field
            resolved = self._param(value, test.at)
            if resolved is not None:
                self._literal(spec, test, resolved, f"parameter ${value.name}")
        elif isinstance(value, (FieldRef, CountRef, Now, Op, Call, Neg)):
            found = self._type(value, test.at, scope)
            if found is not None and not comparable(found, spec["type"]):
                self.problem(test.at, f"compares {test.field!r} ({spec['type']}) with {value} ({found})")
            self._core_calendar(test, value, spec["type"])
            own = scope.before.alias if scope.before else None
            aliases = {getattr(r, "alias", None) for r in refs(value) if isinstance(r, (FieldRef, CountRef))}
            if own in aliases and len(aliases) > 1:  # durable_rules: ERR_UNEXPECTED_TYPE
                self.problem(test.at, f"{value}: a test compares a fact's own fields, or it joins other facts, not "
                                      "both in one value")
        elif value is not None:
            self._literal(spec, test, value, "value")

    def _core_calendar(self, test: Test, value: Any, ftype: str) -> None:
        """durable_rules moves dates by months or years only as `a date ± N mo|y` tested against a
        date (it compares calendar keys, not days)."""
        calendar = [e for e in _ops(value) if e.unit in MONTHS]
        if not calendar:
            return
        simple = isinstance(value, Op) and value.unit in MONTHS and isinstance(value.left, (FieldRef, Now)) \
            and isinstance(value.right, (int, float, Param))
        if not simple or ftype != "date":
            self.problem(test.at, f"{value}: a condition moves a date by months or years only as $alias.date ± N y "
                                  "(or mo), tested against a date field")

    def _literal(self, spec: dict[str, Any], test: Test, value: Any, what: str) -> None:
        ftype = spec["type"]
        ok = isinstance(value, PYTHON_TYPES[ftype]) and not (ftype in ("number", "integer") and isinstance(value, bool))
        if ftype == "date" and isinstance(value, dt.datetime):
            ok = False
        if ftype == "datetime" and isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            ok = False
        if not ok:
            self.problem(test.at, f"{what} {value!r} for {test.field!r}: expected a {ftype}")
            return
        allowed = spec.get("values")
        if allowed and test.op in ("eq", "in") and value not in allowed:
            self.problem(test.at, f"rule can never fire: {test.field!r} is never {value!r}; its values: "
                                  f"{', '.join(map(str, allowed))}")

    def _param(self, param: Param, at: At) -> Any:
        found = self.pack.parameters.get(param.name)
        if found is None:
            self.problem(at, f"parameter ${param.name} is not defined in parameters.yaml; defined: "
                             f"{', '.join(sorted(self.pack.parameters)) or 'none'}")
            return None
        return found.value

    # -- expressions ------------------------------------------------------------------------------
    def _type(self, expr: Any, at: At, scope: _Scope) -> str | None:
        """The type of an expression (as fact fields are typed), saying what is wrong with it;
        None when unknown (a problem already said, or a value not typed)."""
        if isinstance(expr, (bool, int, float, str, dt.date)):
            return kind_of(expr)
        if isinstance(expr, Now):
            return "datetime" if expr.name == "now" else "date"
        if isinstance(expr, Param):
            value = self._param(expr, at)
            return kind_of(value) if value is not None else None
        if isinstance(expr, FieldRef):
            spec = self._field_of(expr, at, scope)
            if spec is None:
                return None
            if expr.part:
                return PART_TYPES[expr.part] if expr.part != "date" or spec["type"] in ("date", "datetime") else None
            return str(spec["type"])
        if isinstance(expr, CountRef):
            return self._count_type(expr, at, scope)
        if isinstance(expr, Neg):
            inner = self._type(expr.value, at, scope)
            if inner not in (None, "number", "integer"):
                self.problem(at, f"{expr}: only a number can be negative")
            return inner
        if isinstance(expr, Call):
            if scope.core:
                self.problem(at, f"{expr}: a function is computed in derived fields and texts, not in a condition; "
                                 "derive the value first")
            args = [self._type(a, at, scope) for a in expr.args]
            if expr.name in SHIFTS:
                if args[0] not in (None, "datetime"):
                    self.problem(at, f"{expr}: {expr.name}() takes a time (the shift pattern's next shift after it)")
                return "string" if expr.name == "next_shift" else "datetime"
            if expr.name in CALENDAR:
                if args[0] not in (None, "date"):
                    self.problem(at, f"{expr}: {expr.name}() takes a date (of a time: $alias.time.date)")
                return "date"
            if expr.name in ("min", "max"):
                known = {a for a in args if a}
                if len({("number" if k == "integer" else k) for k in known}) > 1:
                    self.problem(at, f"{expr}: {expr.name}() of values of different kinds ({', '.join(sorted(known))})")
                return known.pop() if len(known) == 1 else ("number" if known else None)
            if any(a not in (None, "number", "integer") for a in args):
                self.problem(at, f"{expr}: {expr.name}() takes numbers")
            return "integer" if expr.name in ("floor", "ceil") else "number"
        assert isinstance(expr, Op)
        left, right = self._type(expr.left, at, scope), self._type(expr.right, at, scope)
        if left is None or right is None:
            return None
        if expr.op in "*/":
            if left not in ("number", "integer") or right not in ("number", "integer"):
                self.problem(at, f"{expr}: only numbers multiply and divide")
                return None
            return "number" if expr.op == "/" or "number" in (left, right) else "integer"
        if right not in ("number", "integer"):
            found = repr(self.pack.parameters[expr.right.name].value) if isinstance(expr.right, Param) else f"a {right}"
            self.problem(at, f"{expr}: {expr.op} {expr.right}: expected a number, found {found}")
            return None
        unit = expr.unit
        if left == "datetime":
            if unit is None or unit in MONTHS:
                self.problem(at, f"{expr}: a time moves by an amount in s, min, h or d")
            return left
        if left == "date":
            if unit not in (None, "d", *MONTHS):
                self.problem(at, f"{expr}: a date moves by whole days (d), months (mo) or years (y)")
            return left
        if left in ("number", "integer"):
            if unit is not None:
                self.problem(at, f"{expr}: a number takes no unit")
            return "number" if "number" in (left, right) else "integer"
        self.problem(at, f"{expr}: a {left} cannot be added to")
        return None

    def _field_of(self, ref: FieldRef, at: At, scope: _Scope, types: tuple[str, ...] = ()) -> dict[str, Any] | None:
        """The declaration of the field a reference names, or None after saying what is wrong."""
        if ref.alias == "each" and self.each is not None:  # a step of `each:` in a derived fact
            if ref.field not in ("start", "end", "index"):
                self.problem(at, f"{ref}: each gives .start, .end and .index")
                return None
            return {"type": "integer" if ref.field == "index" else self.each}
        other = self.aliases.get(ref.alias)
        if other is None or other.kind != "fact":
            facts = ", ".join(c.alias for c in self.rule.facts)
            self.problem(at, f"{ref}: {ref.alias!r} is not a fact condition of this rule; conditions: {facts}")
            return None
        before = scope.before
        if before is not None and before.kind == "fact" and other.index > before.index:
            self.problem(at, f"{ref}: {ref.alias!r} is defined after this condition; refer only to earlier facts")
            return None
        decl = self.types.get(other.type)
        if decl is None:
            return None
        found: dict[str, Any] | None = decl["fields"].get(ref.field)
        if found is None:
            self.problem(at, f"{ref}: {other.type!r} has no field {ref.field!r}")
            return None
        if ref.part and not self._part_of(found["type"], ref.part):
            self.problem(at, f"{ref}: .{ref.part} is a part of a date or time, and {ref.field!r} is a {found['type']}")
            return None
        if types and found["type"] not in types:
            self.problem(at, f"{ref} is a {found['type']}; expected a {' or '.join(types)}")
            return None
        return found

    def _count_type(self, ref: CountRef, at: At, scope: _Scope) -> str | None:
        other = self.aliases.get(ref.alias)
        if other is None or not other.counted:
            self.problem(at, f"{ref}: {ref.alias!r} is not a count of this rule")
            return None
        if scope.before is not None and not (scope.counts and other.index < scope.before.index):
            self.problem(at, f"{ref}: a count is compared in a count condition's comparison, after it is counted")
            return None
        if ref.agg == "n":
            return "integer"
        if scope.core and ref.agg == "list":
            self.problem(at, f"{ref}: a list is for texts")
        decl = self.types.get(other.type)
        spec = decl["fields"].get(ref.field or "") if decl else None
        if decl is not None and spec is None:
            self.problem(at, f"{ref}: {other.type!r} has no field {ref.field!r}")
            return None
        if spec is None:
            return None
        if ref.agg == "sum" and spec["type"] not in ("number", "integer"):
            self.problem(at, f"{ref}: adds up a {spec['type']}; sum takes a number field")
        return {"sum": "number", "list": "string"}.get(ref.agg, str(spec["type"]))

    def _count_compare(self, condition: Condition, test: Test) -> None:
        value = test.value
        if isinstance(value, Param):
            value = self._param(value, test.at)
        elif isinstance(value, (CountRef, Op, FieldRef, Now, Call, Neg)):
            found = self._type(value, test.at, _Scope(before=condition, core=True, counts=True))
            if found is not None and found not in ("number", "integer"):
                self.problem(test.at, f"a count is compared with a number; {value} is a {found}")
            return
        if value is None:
            return
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            self.problem(test.at, f"a count is compared with a number; found {value!r}")
        elif (test.op == "lt" and value <= 0) or (test.op == "le" and value < 0) or (test.op == "eq" and value < 0):
            self.problem(test.at, f"rule can never fire: a count is never {test.op} {value}")

    def _bounds(self, condition: Condition) -> None:
        """Literal bounds on one field that no value can meet: lt 4 together with gt 7."""
        by_field: dict[str, list[Test]] = {}
        for test in condition.tests:
            if isinstance(test, Test):
                by_field.setdefault(test.field, []).append(test)
        for name, tests in by_field.items():
            low: tuple[Any, bool] | None = None
            high: tuple[Any, bool] | None = None
            equal: list[Any] = []
            for test in tests:
                values = test.value if test.op == "between" else [test.value]
                values = [self.pack.parameters[v.name].value if isinstance(v, Param) and v.name in self.pack.parameters
                          else v for v in values]
                if (any(isinstance(v, (FieldRef, CountRef, Param, Now, Op, Call, Neg)) or v is None for v in values)
                        or test.op in ("in", "not_in", "exists") or split_field(name)[1] or len(values) > 2):
                    continue
                try:
                    if test.op == "between":
                        if values[0] > values[1]:
                            self.problem(test.at, f"rule can never fire: between {values[0]} and {values[1]} is empty")
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
                empty = bool(low and high and (low[0] > high[0] or (low[0] == high[0] and not (low[1] and high[1]))))
                for v in equal:
                    empty = empty or bool(low and (v < low[0] or (v == low[0] and not low[1])))
                    empty = empty or bool(high and (v > high[0] or (v == high[0] and not high[1])))
                empty = empty or len(set(map(repr, equal))) > 1
            except TypeError:
                empty = False
            if empty:
                self.problem(tests[0].at, f"rule can never fire: no value of {name!r} meets all its conditions")

    def _unjudged(self) -> None:
        for alias, names in self.rule.unjudged.items():
            condition = self.aliases.get(alias)
            at = self.rule.at["unjudged"][alias]
            if condition is None or condition.kind != "fact":
                self.problem(self.rule.at, f"unjudged names {alias!r}, which is not a fact condition of this rule",
                             "unjudged", alias, "__key__")
                continue
            decl = self.types.get(condition.type)
            for i, name in enumerate(names):
                spec = decl["fields"].get(name) if decl else None
                if decl and spec is None:
                    self.problem(at, f"{condition.type!r} has no field {name!r}", i)
                elif spec and spec.get("required"):
                    self.problem(at, f"{condition.type}.{name} is required: a fact never lacks it", i)

    # -- consequences -----------------------------------------------------------------------------
    def _consequences(self) -> None:
        rule = self.rule
        obligations = [a for a in rule.actions if a.discharged_by]
        if rule.finding is None and not rule.derive and rule.reject is None and not obligations:
            self.problem(rule.at, "the rule does nothing: give it a finding, derived facts, an obligation or a reject",
                         "then")
        free = _Scope()
        if rule.finding:
            self._text(rule.finding.message, rule.finding.at["message"])
        if rule.reject:
            self._text(rule.reject, rule.at["then"]["reject"])
        for i, alias in enumerate(rule.once_per):
            if alias not in self.aliases or self.aliases[alias].kind != "fact":
                self.problem(rule.at, f"once_per names {alias!r}, which is not a fact condition of this rule",
                             "once_per", i)
        if rule.subject:
            self._text(rule.subject.id, rule.subject.at["id"])
        raci = self.pack.raci
        roles = raci.roles if raci else {}
        processes = raci.processes if raci else {}
        ids: set[str] = set()
        for action in rule.actions:
            self._text(action.what, action.at["what"])
            if action.raci is not None and action.raci not in processes:
                self.problem(action.at, f"RACI process {action.raci!r} is not in raci.yaml; processes: "
                                        f"{', '.join(processes) or 'none'}", "raci")
            for key in ("responsible", "accountable"):
                for j, role in enumerate(getattr(action, key)):
                    if role not in roles:
                        self.problem(action.at, f"role {role!r} is not in raci.yaml roles", key, j)
            if action.due and action.due.at_time is not None:
                found = self._type(action.due.at_time, action.due.at["at"], free)
                if found not in (None, "date", "datetime"):
                    self.problem(action.due.at, f"due at {action.due.at_time}: expected a time or a date, found a "
                                                f"{found}", "at")
            if action.discharged_by:
                if not action.id:
                    self.problem(action.at, "an action with discharged_by needs an id (it names the obligation)",
                                 "discharged_by")
                elif action.id in ids:
                    self.problem(action.at, f"two actions of the rule are both called {action.id!r}", "id")
                ids.add(action.id or "")
                if not action.due or action.due.at_time is None:
                    self.problem(action.at, "an obligation needs a due time: due: {at: $alias.time + N h}",
                                 "discharged_by")
                self._condition(action.discharged_by, discharge=True)
                decl = self.types.get(action.discharged_by.type)
                at_field = decl["fields"].get(action.discharged_at) if decl and action.discharged_at else None
                if decl is not None and action.discharged_at and (
                        at_field is None or at_field["type"] not in ("date", "datetime")):
                    self.problem(action.at, f"discharged_by at: {action.discharged_at!r} is not a date or datetime "
                                            f"field of {action.discharged_by.type!r}", "discharged_by", "at")
                elif decl is not None and not action.discharged_at and event_field(decl) is None:
                    self.problem(action.at, f"{action.discharged_by.type!r} facts say nothing of when they were made "
                                            "(no event, time or date field), so none could be done by a due time",
                                 "discharged_by")
            if action.overdue:
                if not action.discharged_by:
                    self.problem(action.at, "overdue says what an obligation past its due time is: give the action "
                                            "discharged_by too", "overdue")
                if action.overdue.message:
                    self._text(action.overdue.message, action.overdue.at["message"])
                for sanction in action.overdue.sanctions:
                    self._rung(sanction.rung, sanction.at)
        for sanction in rule.sanctions:
            self._rung(sanction.rung, sanction.at)
        for derive in rule.derive:
            self._derive(derive)

    def _rung(self, rung: str, at: At) -> None:
        if rung not in self.pack.sanctions:
            self.problem(at, f"sanction {rung!r} is not on the pack's ladder (sanctions.yaml): "
                             f"{', '.join(self.pack.sanctions) or 'none'}", "rung")

    def _derive(self, derive: Derive) -> None:
        decl = self.types.get(derive.type)
        if decl is None:
            self.problem(derive.at, f"derived fact type {derive.type!r} is not declared in facts.yaml", "type")
            return
        scope = _Scope()
        if derive.each:
            start = self._type(derive.each.start, derive.each.at["from"], scope)
            end = self._type(derive.each.end, derive.each.at["to"], scope)
            for kind, sub in ((start, "from"), (end, "to")):
                if kind not in (None, "date", "datetime"):
                    self.problem(derive.each.at, f"each: {sub} must be a time or a date, found a {kind}", sub)
            if start == "date" and derive.each.unit not in ("d", *MONTHS):
                self.problem(derive.each.at, "each: a date steps by days (d), months (mo) or years (y)", "step")
            if start == "datetime" and derive.each.unit not in SECONDS:
                self.problem(derive.each.at, "each: a time steps by s, min, h or d", "step")
            self.each = start or "date"
        for name, value in derive.fields.items():
            spec = decl["fields"].get(name)
            at = derive.at["fields"][name]
            if spec is None:
                self.problem(derive.at, f"{derive.type!r} has no field {name!r}", "fields", name, "__key__")
                continue
            if isinstance(value, Text):
                self._text(value, at)
                if spec["type"] != "string":
                    self.problem(at, f"{derive.type}.{name} is a {spec['type']}, but {value.raw!r} is a text")
            elif isinstance(value, (FieldRef, CountRef, Now, Op, Call, Neg, Param)):
                found = self._type(value, at, scope)
                if found is not None and not comparable(found, spec["type"]):
                    self.problem(at, f"{derive.type}.{name} is a {spec['type']}, but {value} is a {found}")
                elif (isinstance(value, FieldRef) and value.alias != "each" and spec.get("required")
                      and not self._present(value) and found is not None):
                    self.problem(at, f"derived {derive.type}.{name} is required, but {value} is optional: a fact "
                                     "without it would stop the evaluation; require it in the condition "
                                     f"({value.field}: {{exists: true}}) or make {name} optional")
            elif value is not None:
                self._literal(spec, Test(at=at, field=name, op="eq", value=value), value, "value")
        for name, spec in decl["fields"].items():
            if spec.get("required") and name not in derive.fields:
                self.problem(derive.at, f"derived {derive.type!r} needs field {name!r}", "fields")
        self.each = None

    def _present(self, ref: FieldRef) -> bool:
        """Whether a matched fact surely has the field: it is required, or a test makes it so."""
        condition = self.aliases[ref.alias]
        decl = self.types.get(condition.type) or {"fields": {}}
        if decl["fields"].get(ref.field, {}).get("required"):
            return True
        return any(isinstance(t, Test) and t.field == ref.field and not (t.op == "exists" and t.value is False)
                   for t in condition.tests)

    def _text(self, text: Text, at: At) -> None:
        for slot in text.slots:
            self._type(slot.expr, at, _Scope())


def _ops(expr: Any) -> list[Op]:
    if isinstance(expr, Op):
        return [expr, *_ops(expr.left), *_ops(expr.right)]
    if isinstance(expr, Call):
        return [o for a in expr.args for o in _ops(a)]
    return _ops(expr.value) if isinstance(expr, Neg) else []


def _max(a: tuple[Any, bool] | None, b: tuple[Any, bool]) -> tuple[Any, bool]:
    if a is None:
        return b
    return b if b[0] > a[0] or (b[0] == a[0] and not b[1]) else a


def _min(a: tuple[Any, bool] | None, b: tuple[Any, bool]) -> tuple[Any, bool]:
    if a is None:
        return b
    return b if b[0] < a[0] or (b[0] == a[0] and not b[1]) else a
