"""Check: loaded packs against the pack format (schema.py, cerberus), then built into the typed
model (pack.py), then checked for what a schema cannot see, over the whole set of packs: every
clause, parameter, fact type, field, alias, role and rung a rule names exists; references are
written and typed right; every rule can fire. Each problem names the file, line and column.

What needs the rules' order of evaluation (cycles of counts, partitions feeding each other)
is checked by `plan`, and durable_rules' own limits by `compiler`: `patuh lint` runs all three.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from . import limits
from .documents import Document
from .load import PackFiles
from .pack import (
    CLOCK,
    COMPARISONS,
    CONDITION_KINDS,
    ActionSpec,
    AnyOf,
    At,
    BadReference,
    Clause,
    Condition,
    CountRef,
    DatedValue,
    Derive,
    Due,
    Expectation,
    FactType,
    FieldRef,
    FieldSpec,
    FindingSpec,
    Override,
    Pack,
    Param,
    Parameter,
    Process,
    Raci,
    Rule,
    Rung,
    SanctionUse,
    SourceDocument,
    Subject,
    Test,
    TestCase,
    Text,
    parse_text,
    value_of,
)
from .problems import Problem
from .rows import column_key
from .schema import check_document

# durable_rules' C core limits (DESIGN.md): frames per rule and properties per object.
MAX_FRAMES = 16
MAX_PROPERTIES = 250  # 255 less the engine's own: id, type, sid and margin
RESERVED_FIELDS = ("id", "fid", "type", "sid", "source")
PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "number": (int, float), "integer": (int,), "boolean": (bool,),
    "date": (dt.date,), "datetime": (dt.datetime,), "list": (list,),
}


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


# -- schema, then the model -------------------------------------------------------------------------

def build(files: PackFiles) -> tuple[Pack | None, list[Problem]]:
    """The pack's typed model, or None when its files break the schema; and every problem."""
    problems: list[Problem] = []
    for name, doc in files.files.items():
        problems += check_document(doc, name)
    for kind in ("rules", "tests"):
        for doc in getattr(files, kind):
            problems += check_document(doc, kind)
    if problems:
        return None, problems
    builder = _Builder(files)
    return builder.pack(), builder.problems


class _Builder:
    def __init__(self, files: PackFiles):
        self.files = files
        self.problems: list[Problem] = []

    def pack(self) -> Pack:
        meta = self.files.files["pack.yaml"]
        data = meta.data
        at = At(meta, ())
        overrides = [Override(at=at["overrides"][target][name], pack=target, parameter=name,
                              value=value["value"] if isinstance(value, dict) else value,
                              clause=value.get("clause") if isinstance(value, dict) else None)
                     for target, values in (data.get("overrides") or {}).items() for name, value in values.items()]
        return Pack(at=at, path=self.files.folder, name=data["name"], version=data["version"],
                    language=data["language"], description=data.get("description"),
                    partition_by=data.get("partition_by"), document=SourceDocument(**data["document"]),
                    documents={k: SourceDocument(**v) for k, v in (data.get("documents") or {}).items()},
                    overrides=overrides, clauses=self.clauses(), parameters=self.parameters(), facts=self.facts(),
                    raci=self.raci(), sanctions=self.sanctions(),
                    rules=[self.rule(rule, At(doc, ("rules", i))) for doc in self.files.rules
                           for i, rule in enumerate(doc.data["rules"])],
                    tests=[self.test(case, At(doc, ("tests", i))) for doc in self.files.tests
                           for i, case in enumerate(doc.data["tests"])],
                    hash=self.files.hash)

    def _doc(self, name: str) -> Document | None:
        return self.files.files.get(name)

    def clauses(self) -> dict[str, Clause]:
        doc = self._doc("clauses.yaml")
        out: dict[str, Clause] = {}
        if doc is None:
            return out
        for i, item in enumerate(doc.data["clauses"]):
            at = At(doc, ("clauses", i))
            if item["number"] in out:
                self.problems.append(at.problem(f"clause {item['number']} is listed twice", "number"))
            out[item["number"]] = Clause(at=at, **item)
        return out

    def parameters(self) -> dict[str, Parameter]:
        doc = self._doc("parameters.yaml")
        out: dict[str, Parameter] = {}
        if doc is None:
            return out
        for name, spec in doc.data["parameters"].items():
            at = At(doc, ("parameters", name))
            dated = [DatedValue(at=at["values"][since], since=since,
                                value=given["value"] if isinstance(given, dict) else given,
                                clause=given.get("clause", spec.get("clause")) if isinstance(given, dict)
                                else spec.get("clause"),
                                note=given.get("note") if isinstance(given, dict) else None)
                     for since, given in sorted((spec.get("values") or {}).items())]
            value = dated[-1].value if dated else spec["value"]
            out[name] = Parameter(at=at, name=name, value=value, values=dated,
                                  **{k: v for k, v in spec.items() if k not in ("value", "values")})
        return out

    def facts(self) -> dict[str, FactType]:
        doc = self._doc("facts.yaml")
        if doc is None:
            return {}
        return {name: FactType(at=At(doc, ("facts", name)), name=name, description=spec.get("description"),
                               subject=spec.get("subject"), derived=bool(spec.get("derived")),
                               fields={k: FieldSpec(name=k, **v) for k, v in spec["fields"].items()}, declaration=spec)
                for name, spec in doc.data["facts"].items()}

    def raci(self) -> Raci | None:
        doc = self._doc("raci.yaml")
        if doc is None:
            return None
        at = At(doc, ())
        return Raci(at=at, roles=doc.data["roles"],
                    processes={k: Process(at=at["processes"][k], key=k, **v) for k, v in doc.data["processes"].items()})

    def sanctions(self) -> dict[str, Rung]:
        doc = self._doc("sanctions.yaml")
        out: dict[str, Rung] = {}
        if doc is None:
            return out
        for i, item in enumerate(doc.data["sanctions"]):
            at = At(doc, ("sanctions", i))
            if item["id"] in out:
                self.problems.append(at.problem(f"sanction {item['id']} is listed twice (first at "
                                                f"{out[item['id']].at.where('id')})", "id"))
                continue
            out[item["id"]] = Rung(at=at, **item)
        return out

    def test(self, data: dict[str, Any], at: At) -> TestCase:
        return TestCase(at=at, name=data["name"], description=data.get("description"), facts=data["facts"],
                        history=data.get("history") or [], parameters=data.get("parameters") or {},
                        timezone=data.get("timezone"),
                        expect=[Expectation(at=at["expect"][i], **e) for i, e in enumerate(data["expect"])])

    # -- rules ----------------------------------------------------------------------------------
    def rule(self, data: dict[str, Any], at: At) -> Rule:
        counts = frozenset(c.get("as", c.get("count") or c.get("absent")) for c in data["when"]
                           if "count" in c or "absent" in c)
        when, aliases = [], set()
        for i, raw in enumerate(data["when"]):
            kinds = [k for k in CONDITION_KINDS if k in raw]
            if len(kinds) != 1:
                self.problems.append(at.problem("each condition needs exactly one of fact, count or absent", "when", i))
                continue
            kind = kinds[0]
            here = at["when"][i]
            alias = raw.get("as", raw[kind])
            if alias in aliases:
                self.problems.append(here.problem(f"two conditions are both called {alias!r}; name one with 'as:'"))
            aliases.add(alias)
            tests = self.where(raw.get("where") or {}, here["where"], counts)
            compare: list[Test] = []
            for op in COMPARISONS:
                if op in raw:
                    if kind != "count":
                        self.problems.append(here.problem(f"'{op}' compares a count; use it on a 'count' condition",
                                                          op))
                    compare.append(Test(at=here[op], field="n", op=op, value=self.value(raw[op], here[op], counts)))
            if kind == "count" and not compare:
                self.problems.append(here.problem("a count needs a comparison (gt, ge, lt, le, eq or ne)"))
            if kind == "absent":
                compare.append(Test(at=here, field="n", op="eq", value=0))
            when.append(Condition(at=here, kind=kind, type=raw[kind], alias=alias, index=i, tests=tests,
                                  compare=compare))
        then = data["then"]
        subject = data.get("subject")
        return Rule(
            at=at, id=data["id"], title=data["title"], clauses=data["clauses"],
            interpretation=data.get("interpretation"),
            company_choice=data.get("company_choice"), once_per=data.get("once_per") or [],
            partition_by=data.get("partition_by"), when=when,
            subject=Subject(at=at["subject"], kind=subject["kind"],
                            id=self.text(subject["id"], at["subject"]["id"], counts))
            if subject else None,
            finding=FindingSpec(at=at["then"]["finding"], severity=then["finding"]["severity"],
                                message=self.text(then["finding"]["message"], at["then"]["finding"]["message"], counts))
            if then.get("finding") else None,
            actions=[self.action(a, at["then"]["actions"][i], counts) for i, a in enumerate(then.get("actions") or [])],
            sanctions=[SanctionUse(at=at["then"]["sanctions"][i], **s)
                       for i, s in enumerate(then.get("sanctions") or [])],
            derive=[Derive(at=at["then"]["derive"][i], type=d["type"],
                           fields={k: self.value(v, at["then"]["derive"][i]["fields"][k], counts)
                                   for k, v in d["fields"].items()})
                    for i, d in enumerate(then.get("derive") or [])])

    def action(self, data: dict[str, Any], at: At, counts: frozenset[str]) -> ActionSpec:
        due = data.get("due")
        when = None
        if due and "at" in due:
            when = self.value(due["at"], at["due"]["at"], counts)
            if when is not None and not isinstance(when, FieldRef):
                self.problems.append(at.problem(f"due at {due['at']!r}: expected the time or date of a fact the rule "
                                                "matched, e.g. $alert.time + $interview_h h", "due", "at"))
                when = None
        return ActionSpec(at=at, what=self.text(data["what"], at["what"], counts), raci=data.get("raci"),
                          responsible=data.get("responsible") or [], accountable=data.get("accountable") or [],
                          due=Due(at=at["due"], at_time=when, text=due.get("text")) if due else None)

    def where(self, raw: dict[str, Any], at: At, counts: frozenset[str]) -> list[Test | AnyOf]:
        out: list[Test | AnyOf] = []
        for name, test in raw.items():
            if name == "any":  # one of several mappings of tests holds
                out.append(AnyOf(at=at["any"], alternatives=[self.where(alt, at["any"][i], counts)
                                                              for i, alt in enumerate(test)]))
            elif name == "all":  # every one of several mappings holds: room for more than one any
                for i, part in enumerate(test):
                    out += self.where(part, at["all"][i], counts)
            elif isinstance(test, dict):
                for op, value in test.items():
                    many = op in ("in", "not_in", "between")
                    given = [self.value(v, at[name][op][i], counts) for i, v in enumerate(value)] if many else \
                        self.value(value, at[name][op], counts)
                    out.append(Test(at=at[name][op], field=name, op=op, value=given))
            else:
                out.append(Test(at=at[name], field=name, op="eq", value=self.value(test, at[name], counts)))
        return out

    def value(self, raw: Any, at: At, counts: frozenset[str]) -> Any:
        try:
            return value_of(raw, counts)
        except BadReference as exc:
            self.problems.append(at.problem(str(exc)))
            return None

    def text(self, raw: str, at: At, counts: frozenset[str]) -> Text:
        try:
            return parse_text(raw, counts)
        except BadReference as exc:
            self.problems.append(at.problem(str(exc)))
            return Text(raw, (raw,))


# -- what a schema cannot check -----------------------------------------------------------------------

def check_pack(pack: Pack, known: Known) -> list[Problem]:
    """Every problem of a built pack that needs more than its own file to see."""
    types = {name: t.declaration for name, t in pack.facts.items()}
    types = {**known.fact_types, **types}
    problems = _clauses(pack) + _parameters(pack) + _facts(pack) + _raci(pack) + _sanctions(pack)
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
    ids = {r.id for r in pack.rules}
    for case in pack.tests:
        for expect in case.expect:
            if (expect.pack or pack.name) == pack.name and expect.rule not in ids:
                problems.append(expect.at.problem(f"test expects rule {expect.rule!r}, which this pack does not have",
                                                  "rule"))
    return problems


def _clauses(pack: Pack) -> list[Problem]:
    return [clause.at.problem(f"clause {number} quotes document {clause.document!r}, which pack.yaml's documents "
                              f"lack; documents: {', '.join(pack.documents) or 'none'}", "document")
            for number, clause in pack.clauses.items() if clause.document is not None
            and clause.document not in pack.documents]


def _parameters(pack: Pack) -> list[Problem]:
    problems = []
    for name, param in pack.parameters.items():
        if param.clause is None and not param.company_choice:
            problems.append(param.at.problem(f"parameter {name!r} needs the clause it comes from, or "
                                             "'company_choice: true'"))
        for value, clause, at in [(param.value, param.clause, param.at["value"])] + [
                (d.value, d.clause, d.at) for d in param.values]:
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
        kinds = {_kind(d.value) for d in param.values}
        if len(kinds) > 1:
            problems.append(param.at.problem(f"parameter {name!r} changes kind over time ({', '.join(sorted(kinds))}); "
                                             "its values by date must be of one kind", "values"))
    return problems


def _kind(value: Any) -> str:
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


def _facts(pack: Pack) -> list[Problem]:
    problems = []
    for name, fact_type in pack.facts.items():
        fields = fact_type.fields
        if len(fields) > MAX_PROPERTIES:
            problems.append(fact_type.at.problem(f"fact type {name!r} has {len(fields)} fields; durable_rules takes at "
                                                 f"most {MAX_PROPERTIES}"))
        if fact_type.subject and fact_type.subject not in fields:
            problems.append(fact_type.at.problem(f"subject {fact_type.subject!r} is not a field of {name!r}",
                                                 "subject"))
        for reserved in RESERVED_FIELDS:
            if reserved in fields:
                problems.append(fact_type.at.problem(f"{reserved!r} is reserved for the engine; choose another field "
                                                     "name", "fields", reserved))
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
                problems.append(fact_type.at.problem(f"alias {alias!r} of {name}.{field_name} {why}",
                                                     "fields", field_name, "aliases", i))
    return problems


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
    is fine: it runs out of new facts."""
    edges: dict[str, set[str]] = {}
    computing: list[tuple[Rule, int, str, str, str]] = []  # (rule, derive index, from type, derived type, field)
    for rule in rules:
        for i, derive in enumerate(rule.derive):
            for condition in rule.when:
                edges.setdefault(condition.type, set()).add(derive.type)
            for name, value in derive.fields.items():
                if isinstance(value, FieldRef) and value.shift is not None:
                    source = next((c.type for c in rule.when if c.alias == value.alias), None)
                    if source:
                        computing.append((rule, i, source, derive.type, name))

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

    return [rule.derive[i].at.problem(
        f"derives {derived}.{name} as a computed value from a {source} fact, and {derived} facts lead back to {source} "
        "facts through the rules: every round would make a new fact, without end; break the cycle (derive another "
        "type, or copy the value unchanged)", "fields", name)
        for rule, i, source, derived, name in computing if reaches(derived, source)]


class _RuleChecker:
    def __init__(self, pack: Pack, rule: Rule, types: dict[str, dict[str, Any]], derived_types: set[str]):
        self.pack, self.rule, self.types, self.derived_types = pack, rule, types, derived_types
        self.problems: list[Problem] = []
        self.aliases = {c.alias: c for c in rule.when}

    def problem(self, at: At, message: str, *sub: Any) -> None:
        self.problems.append(at.problem(message, *sub))

    def run(self) -> list[Problem]:
        rule = self.rule
        for i, number in enumerate(rule.clauses):
            if number not in self.pack.clauses:
                self.problem(rule.at, f"rule cites clause {number!r}, which clauses.yaml lacks", "clauses", i)
        if len(rule.when) > MAX_FRAMES:
            self.problem(rule.at, f"rule has too many conditions for durable_rules (at most {MAX_FRAMES} frames)",
                         "when")
        if not rule.facts:
            self.problem(rule.at, "a rule needs at least one 'fact' condition to anchor its counts and absences",
                         "when")
        for condition in rule.when:
            self._condition(condition)
        self._consequences()
        return self.problems

    # -- conditions -------------------------------------------------------------------------------
    def _condition(self, condition: Condition) -> None:
        key = condition.kind
        decl = self.types.get(condition.type)
        if decl is None:
            self.problem(condition.at, f"fact type {condition.type!r} is declared nowhere (facts.yaml of this pack, an "
                                       f"installed pack or a plugin); known: {', '.join(sorted(self.types)) or 'none'}",
                         key)
            return
        if condition.kind == "fact" and decl.get("derived") and condition.type not in self.derived_types:
            self.problem(condition.at, f"rule can never fire: {condition.type!r} is a derived fact type and no rule of "
                                       "this pack derives it", key)
        partition = self.pack.partition_key(self.rule)
        if partition and condition.index > 0 and partition in decl["fields"]:
            if not any(isinstance(t, Test) and t.field == partition and t.op == "eq" and isinstance(t.value, FieldRef)
                       for t in condition.tests):
                whose = "the rule" if self.rule.partition_by else "the pack"
                self.problem(condition.at, f"{whose} partitions facts by {partition!r}, so this condition must join on "
                                           f"it ({partition}: $<alias>.{partition}) or the engine could miss matches")
        for test in condition.tests:
            self._test(condition, decl, test)
        for test in condition.compare:
            self._count_compare(condition, test)
        self._bounds(condition)

    def _test(self, condition: Condition, decl: dict[str, Any], test: Test | AnyOf) -> None:
        if isinstance(test, AnyOf):
            for alternative in test.alternatives:
                for inner in alternative:
                    self._no_join(inner, "any")
                    self._test(condition, decl, inner)
            return
        if test.op == "in":
            self._no_join(test, "in")
        if test.field.endswith(CLOCK):
            self._clock(condition, decl, test)
            return
        spec = decl["fields"].get(test.field)
        if spec is None:
            self.problems.append(Problem(test.field_at(), f"{condition.type!r} has no field {test.field!r}; its "
                                                          f"fields: {', '.join(sorted(decl['fields']))}"))
            return
        if test.op == "exists":
            if not isinstance(test.value, bool):
                self.problem(test.at, "exists takes true or false")
            return
        values = test.value if test.op in ("in", "not_in", "between") else [test.value]
        if test.op in ("in", "not_in") and not values:
            self.problem(test.at, f"rule can never fire: {test.op} an empty list")
        if test.op == "between" and len(values) != 2:
            self.problem(test.at, "between takes [low, high]")
        for value in values:
            self._value(condition, spec, test, value)

    def _clock(self, condition: Condition, decl: dict[str, Any], test: Test) -> None:
        base = test.field[:-len(CLOCK)]
        spec = decl["fields"].get(base)
        if spec is None or spec["type"] != "datetime":
            self.problems.append(Problem(test.field_at(), f"{test.field!r}: .clock reads a datetime field's time of "
                                                          f"day, and {condition.type!r} has no datetime field "
                                                          f"{base!r}"))
            return
        if test.op == "exists":
            return
        self._no_join(test, "clock")
        seconds, shown = [], []
        for value in test.value if isinstance(test.value, list) else [test.value]:
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
        if any(isinstance(v, (FieldRef, CountRef)) for v in values):
            self.problem(test.at, f"'{where}' compares with values or $parameters only, not with another fact's field; "
                                  "write the join as its own condition")

    def _value(self, condition: Condition, spec: dict[str, Any], test: Test, value: Any) -> None:
        if isinstance(value, Param):
            resolved = self._param(value, test.at)
            if resolved is not None:
                self._literal(spec, test, resolved, f"parameter ${value.name}")
        elif isinstance(value, FieldRef):
            self._ref(condition, spec, test, value)
        elif isinstance(value, CountRef):
            self.problem(test.at, "a count can only be compared in a count condition")
        elif value is not None:
            self._literal(spec, test, value, "value")

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

    def _ref(self, condition: Condition, spec: dict[str, Any], test: Test, ref: FieldRef) -> None:
        ref_spec = self._field_of(ref, test.at, before=condition)
        if ref_spec is None:
            return
        self._shift(ref, ref_spec, test.at)
        if _comparable(ref_spec["type"]) != _comparable(spec["type"]):
            self.problem(test.at, f"compares {test.field!r} ({spec['type']}) with ${ref.alias}.{ref.field} "
                                  f"({ref_spec['type']})")

    def _field_of(self, ref: FieldRef, at: At, before: Condition | None = None,
                  types: tuple[str, ...] = ()) -> dict[str, Any] | None:
        """The declaration of the field a reference names, or None after saying what is wrong."""
        other = self.aliases.get(ref.alias)
        if other is None or other.kind != "fact":
            self.problem(at, f"${ref.alias}.{ref.field}: {ref.alias!r} is not a fact condition of this rule; "
                             f"conditions: {', '.join(c.alias for c in self.rule.facts)}")
            return None
        if before is not None and before.kind == "fact" and other.index >= before.index:
            self.problem(at, f"${ref.alias}.{ref.field}: {ref.alias!r} is defined after this condition; refer only to "
                             "earlier facts")
            return None
        decl = self.types.get(other.type)
        if decl is None:
            return None
        found: dict[str, Any] | None = decl["fields"].get(ref.field)
        if found is None:
            self.problem(at, f"${ref.alias}.{ref.field}: {other.type!r} has no field {ref.field!r}")
            return None
        if types and found["type"] not in types:
            self.problem(at, f"${ref.alias}.{ref.field} is a {found['type']}; expected a {' or '.join(types)}")
            return None
        return found

    def _shift(self, ref: FieldRef | CountRef, spec: dict[str, Any] | None, at: At) -> None:
        """A shift's amount is a number (or a parameter holding one) in a unit that fits the field."""
        if ref.shift is None:
            return
        amount = ref.shift.amount
        shown = f"{ref.shift.op} {amount}"
        if isinstance(amount, Param):
            amount = self._param(amount, at)
            if amount is None:
                return
        if not isinstance(amount, (int, float)) or isinstance(amount, bool):
            self.problem(at, f"{ref}: {shown}: expected a number, found {amount!r}")
            return
        ftype = spec["type"] if spec else "integer"
        unit = ref.shift.unit
        if ftype == "datetime" and ref.shift.op != "*" and unit is None:
            self.problem(at, f"{ref}: adding to a time needs a unit: s, min, h or d")
        elif ftype == "date" and unit not in (None, "d"):
            self.problem(at, f"{ref}: a date moves in whole days: use unit d")
        elif ftype in ("number", "integer") and unit is not None:
            self.problem(at, f"{ref}: a number takes no unit")
        elif ftype in ("date", "datetime") and ref.shift.op == "*":
            self.problem(at, f"{ref}: a time or date cannot be multiplied")
        elif ftype not in ("number", "integer", "date", "datetime"):
            self.problem(at, f"{ref}: a {ftype} cannot be shifted")

    def _count_compare(self, condition: Condition, test: Test) -> None:
        value = test.value
        if isinstance(value, Param):
            value = self._param(value, test.at)
        elif isinstance(value, CountRef):
            other = self.aliases.get(value.alias)
            if other is None or not other.counted or other.index >= condition.index:
                self.problem(test.at, f"{value}: {value.alias!r} is not an earlier count of this rule")
            self._shift(value, None, test.at)
            return
        elif isinstance(value, FieldRef):
            self.problem(test.at, "a count is compared with a number, a parameter or another count")
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
            low: Bound | None = None
            high: Bound | None = None
            equal: list[Any] = []
            for test in tests:
                values = test.value if test.op == "between" else [test.value]
                values = [self.pack.parameters[v.name].value if isinstance(v, Param) and v.name in self.pack.parameters
                          else v for v in values]
                if (any(isinstance(v, (FieldRef, CountRef, Param)) or v is None for v in values)
                        or test.op in ("in", "not_in", "exists") or name.endswith(CLOCK) or len(values) > 2):
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

    # -- consequences -----------------------------------------------------------------------------
    def _consequences(self) -> None:
        rule = self.rule
        if rule.finding is None and not rule.derive:
            self.problem(rule.at, "the rule does nothing: give it a finding, derived facts, or both", "then")
        if rule.finding:
            self._text(rule.finding.message, rule.finding.at["message"])
        for i, alias in enumerate(rule.once_per):
            if alias not in self.aliases or self.aliases[alias].kind != "fact":
                self.problem(rule.at, f"once_per names {alias!r}, which is not a fact condition of this rule",
                             "once_per", i)
        if rule.subject:
            self._text(rule.subject.id, rule.subject.at["id"])
        raci = self.pack.raci
        roles = raci.roles if raci else {}
        processes = raci.processes if raci else {}
        for action in rule.actions:
            self._text(action.what, action.at["what"])
            if action.raci is not None and action.raci not in processes:
                self.problem(action.at, f"RACI process {action.raci!r} is not in raci.yaml; processes: "
                                        f"{', '.join(processes) or 'none'}", "raci")
            for key in ("responsible", "accountable"):
                for j, role in enumerate(getattr(action, key)):
                    if role not in roles:
                        self.problem(action.at, f"role {role!r} is not in raci.yaml roles", key, j)
            if action.due and action.due.at_time:
                spec = self._field_of(action.due.at_time, action.due.at["at"], types=("date", "datetime"))
                if spec:
                    self._shift(action.due.at_time, spec, action.due.at["at"])
        for sanction in rule.sanctions:
            if sanction.rung not in self.pack.sanctions:
                self.problem(sanction.at, f"sanction {sanction.rung!r} is not on the pack's ladder (sanctions.yaml): "
                                          f"{', '.join(self.pack.sanctions) or 'none'}", "rung")
        for derive in rule.derive:
            self._derive(derive)

    def _derive(self, derive: Derive) -> None:
        decl = self.types.get(derive.type)
        if decl is None:
            self.problem(derive.at, f"derived fact type {derive.type!r} is not declared in facts.yaml", "type")
            return
        for name, value in derive.fields.items():
            spec = decl["fields"].get(name)
            at = derive.at["fields"][name]
            if spec is None:
                self.problem(derive.at, f"{derive.type!r} has no field {name!r}", "fields", name, "__key__")
                continue
            test = Test(at=at, field=name, op="eq", value=value)
            if isinstance(value, FieldRef):
                source = self._field_of(value, at)
                if source is None:
                    continue
                self._shift(value, source, at)
                if _comparable(source["type"]) != _comparable(spec["type"]):
                    self.problem(at, f"{derive.type}.{name} is a {spec['type']}, but ${value.alias}.{value.field} is a "
                                     f"{source['type']}")
                elif spec.get("required") and not source.get("required") and not self._tested(value):
                    self.problem(at, f"derived {derive.type}.{name} is required, but ${value.alias}.{value.field} is "
                                     "optional: a fact without it would stop the evaluation; require it in the "
                                     f"condition ({value.field}: {{exists: true}}) or make {name} optional")
            elif isinstance(value, CountRef):
                self.problem(at, f"{value}: a derived field takes a fact's field, a parameter or a value")
            else:
                self._value(self.rule.facts[0] if self.rule.facts else self.rule.when[0], spec, test, value)
        for name, spec in decl["fields"].items():
            if spec.get("required") and name not in derive.fields:
                self.problem(derive.at, f"derived {derive.type!r} needs field {name!r}", "fields")

    def _tested(self, ref: FieldRef) -> bool:
        """Whether the rule's conditions make `ref` present (exists: true, or any test it must pass)."""
        return any(isinstance(t, Test) and t.field == ref.field and not (t.op == "exists" and t.value is False)
                   for t in self.aliases[ref.alias].tests)

    def _text(self, text: Text, at: At) -> None:
        for ref in text.refs:
            if isinstance(ref, Param):
                self._param(ref, at)
            elif isinstance(ref, CountRef):
                other = self.aliases.get(ref.alias)
                if other is None or not other.counted:
                    self.problem(at, f"{ref}: {ref.alias!r} is not a count of this rule")
            else:
                spec = self._field_of(ref, at)
                if spec:
                    self._shift(ref, spec, at)


def _comparable(ftype: str) -> str:
    return "number" if ftype in ("number", "integer") else ftype


Bound: TypeAlias = tuple[Any, bool]  # a literal bound on a field, and whether it is inclusive


def _max(a: Bound | None, b: Bound) -> Bound:
    if a is None:
        return b
    return b if b[0] > a[0] or (b[0] == a[0] and not b[1]) else a


def _min(a: Bound | None, b: Bound) -> Bound:
    if a is None:
        return b
    return b if b[0] < a[0] or (b[0] == a[0] and not b[1]) else a
