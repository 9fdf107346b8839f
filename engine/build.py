"""Build: a pack's schema-checked documents into its typed model (pack.py), once.

Values are parsed here (expressions, texts with expressions, clause citations, steps), so a
reference written wrong is a problem at its place; what a reference points at is `check`'s
business, over the whole set of packs.
"""
from __future__ import annotations

import re
from typing import Any

from .documents import Document
from .expressions import BadExpression, FieldRef, Text, parse_text, value_of
from .load import PackFiles
from .pack import (
    COMPARISONS,
    CONDITION_KINDS,
    ActionSpec,
    AnyOf,
    At,
    Clause,
    Condition,
    DatedValue,
    Derive,
    Due,
    Each,
    Expectation,
    FactType,
    FieldSpec,
    FindingSpec,
    ObligationExpectation,
    Overdue,
    Override,
    Pack,
    Parameter,
    Process,
    Raci,
    RejectExpectation,
    Rule,
    Rung,
    SanctionUse,
    SourceDocument,
    Subject,
    Table,
    Test,
    TestCase,
)
from .problems import Problem
from .schema import check_document

_STEP = re.compile(r"(\d+(?:\.\d+)?) ?(s|min|h|d|mo|y)")
_IN_TEXT = re.compile(r"\{\$[^{}]*\}")  # an expression standing in a text


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


def fact_type(name: str, spec: dict[str, Any], at: At) -> FactType:
    return FactType(at=at, name=name, description=spec.get("description"), subject=spec.get("subject"),
                    derived=bool(spec.get("derived")), event=spec.get("event"), shifts=bool(spec.get("shifts")),
                    fields={k: FieldSpec(name=k, **v) for k, v in spec["fields"].items()}, declaration=spec)


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
                    raci=self.raci(), sanctions=self.sanctions(), tables=self.tables(),
                    rules=[self.rule(rule, At(doc, ("rules", i))) for doc in self.files.rules
                           for i, rule in enumerate(doc.data["rules"])],
                    tests=[self.test(case, At(doc, ("tests", i)), doc.data.get("ignore") or [])
                           for doc in self.files.tests for i, case in enumerate(doc.data["tests"])],
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
        return {name: fact_type(name, spec, At(doc, ("facts", name))) for name, spec in doc.data["facts"].items()}

    def tables(self) -> dict[str, Table]:
        doc = self._doc("tables.yaml")
        if doc is None:
            return {}
        out = {}
        for name, spec in doc.data["tables"].items():
            at = At(doc, ("tables", name))
            declaration = {"description": spec.get("description") or f"the rows of table {name}",
                           "fields": spec["fields"], "table": True}
            out[name] = Table(at=at, name=name, description=spec.get("description"), clause=spec.get("clause"),
                              company_choice=bool(spec.get("company_choice")), confidence=spec.get("confidence"),
                              note=spec.get("note"), key=spec["key"],
                              fields={k: FieldSpec(name=k, **v) for k, v in spec["fields"].items()},
                              rows=spec["rows"], sums=spec.get("sums") or {}, declaration=declaration)
        return out

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

    def test(self, data: dict[str, Any], at: At, ignore: list[str]) -> TestCase:
        obligations = data.get("obligations")
        rejects = data.get("rejects")
        return TestCase(at=at, name=data["name"], description=data.get("description"), facts=data["facts"],
                        history=data.get("history") or [], parameters=data.get("parameters") or {},
                        timezone=data.get("timezone"), shifts=data.get("shifts"), as_of=data.get("as_of"),
                        ignore=ignore + (data.get("ignore") or []),
                        expect=[Expectation(at=at["expect"][i], **e) for i, e in enumerate(data["expect"])],
                        obligations=[ObligationExpectation(at=at["obligations"][i], **o)
                                     for i, o in enumerate(obligations)] if obligations is not None else None,
                        rejects=[RejectExpectation(at=at["rejects"][i], **r) for i, r in enumerate(rejects)]
                        if rejects is not None else None)

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
            compare = []
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
            when.append(Condition(at=here, kind=kind, type=raw[kind], alias=alias, index=i,
                                  tests=self.where(raw.get("where") or {}, here["where"], counts), compare=compare))
        then = data["then"]
        subject = data.get("subject")
        actions = then.get("actions") or []
        return Rule(
            at=at, id=data["id"], title=data["title"], clauses=data["clauses"],
            cited=[self.citation(c, at["clauses"][i], counts) for i, c in enumerate(data["clauses"])],
            interpretation=data.get("interpretation"), company_choice=data.get("company_choice"),
            once_per=data.get("once_per") or [], partition_by=data.get("partition_by"), when=when,
            unjudged=data.get("unjudged") or {},
            subject=Subject(at=at["subject"], kind=subject["kind"],
                            id=self.text(subject["id"], at["subject"]["id"], counts)) if subject else None,
            finding=FindingSpec(at=at["then"]["finding"], severity=then["finding"]["severity"],
                                message=self.text(then["finding"]["message"], at["then"]["finding"]["message"],
                                                  counts)) if then.get("finding") else None,
            actions=[self.action(a, at["then"]["actions"][i], counts, len(when) + i) for i, a in enumerate(actions)],
            sanctions=[SanctionUse(at=at["then"]["sanctions"][i], **s)
                       for i, s in enumerate(then.get("sanctions") or [])],
            derive=[self.derive(d, at["then"]["derive"][i], counts) for i, d in enumerate(then.get("derive") or [])],
            reject=self.text(then["reject"], at["then"]["reject"], counts) if then.get("reject") else None)

    def citation(self, raw: str, at: At, counts: frozenset[str]) -> Any:
        if not raw.startswith("$"):
            return raw
        cited = self.value(raw, at, counts)
        if cited is not None and not isinstance(cited, FieldRef):
            self.problems.append(at.problem(f"{raw!r}: a rule cites a clause by its number, or by a fact's field "
                                            "holding one ($criterion.criterion)"))
            return None
        return cited

    def action(self, data: dict[str, Any], at: At, counts: frozenset[str], index: int) -> ActionSpec:
        due = data.get("due")
        discharge = data.get("discharged_by")
        overdue = data.get("overdue")
        return ActionSpec(
            at=at, what=self.text(data["what"], at["what"], counts), id=data.get("id"), raci=data.get("raci"),
            responsible=data.get("responsible") or [], accountable=data.get("accountable") or [],
            due=Due(at=at["due"], at_time=self.value(due["at"], at["due"]["at"], counts) if "at" in due else None,
                    text=due.get("text")) if due else None,
            discharged_by=Condition(at=at["discharged_by"], kind="fact", type=discharge["fact"],
                                    alias=discharge.get("as", "discharge"), index=index,
                                    tests=self.where(discharge.get("where") or {}, at["discharged_by"]["where"],
                                                     counts)) if discharge else None,
            discharged_at=discharge.get("at") if discharge else None,
            overdue=Overdue(at=at["overdue"], severity=overdue["severity"], late_severity=overdue.get("late_severity"),
                            message=self.text(overdue["message"], at["overdue"]["message"], counts)
                            if overdue.get("message") else None,
                            sanctions=[SanctionUse(at=at["overdue"]["sanctions"][i], **s)
                                       for i, s in enumerate(overdue.get("sanctions") or [])])
            if overdue else None)

    def derive(self, data: dict[str, Any], at: At, counts: frozenset[str]) -> Derive:
        each = data.get("each")
        step = _STEP.fullmatch(each["step"]) if each else None
        return Derive(at=at, type=data["type"],
                      fields={k: self.field(v, at["fields"][k], counts) for k, v in data["fields"].items()},
                      each=Each(at=at["each"], start=self.value(each["from"], at["each"]["from"], counts),
                                end=self.value(each["to"], at["each"]["to"], counts),
                                step=float(step.group(1)) if "." in step.group(1) else int(step.group(1)),
                                unit=step.group(2)) if each and step else None)

    def field(self, raw: Any, at: At, counts: frozenset[str]) -> Any:
        """A derived fact's field: an expression, a literal, or a text with expressions in braces
        ("{$w.year}: overtime_hours missing"), rendered as a finding's message is."""
        if isinstance(raw, str) and not raw.startswith("$") and _IN_TEXT.search(raw):
            return self.text(raw, at, counts)
        return self.value(raw, at, counts)

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
        except BadExpression as exc:
            self.problems.append(at.problem(str(exc)))
            return None

    def text(self, raw: str, at: At, counts: frozenset[str]) -> Text:
        try:
            return parse_text(raw, counts)
        except BadExpression as exc:
            self.problems.append(at.problem(str(exc)))
            return Text(raw, (raw,))


