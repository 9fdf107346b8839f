"""The typed model of a pack: what `check` builds from a pack's YAML once its schema holds, and
what `plan`, `compiler` and `result` read. Every piece knows where it was written (`at`), so a
problem found later still points at the file, line and column. Values that are not literals
are expressions (patuh.expressions: $parameter, $alias.field, $count.n, arithmetic, units).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field

from .documents import Document, YamlPath
from .expressions import PARTS, Text
from .problems import Problem, Where

Comparison: TypeAlias = Literal["eq", "ne", "lt", "le", "gt", "ge"]
COMPARISONS: tuple[Comparison, ...] = ("eq", "ne", "lt", "le", "gt", "ge")
ConditionKind: TypeAlias = Literal["fact", "count", "absent"]
CONDITION_KINDS: tuple[ConditionKind, ...] = ("fact", "count", "absent")


def split_field(name: str) -> tuple[str, str | None]:
    """A tested field and its part: "time.clock" -> ("time", "clock"); a part of a date or time
    in the site's zone (`time.clock: {between: ["13:00", "18:00"]}`: the procedure's sampling
    windows are hours of the day, whatever the date)."""
    base, dot, part = name.rpartition(".")
    return (base, part) if dot and part in PARTS else (name, None)


@dataclass(frozen=True)
class At:
    """Where a piece of a pack was written: its document and the path inside it."""

    doc: Document
    path: YamlPath

    def where(self, *sub: Hashable) -> Where:
        return self.doc.where(self.path + sub)

    def problem(self, message: str, *sub: Hashable) -> Problem:
        return Problem(self.where(*sub), message)

    def __getitem__(self, sub: Hashable) -> At:
        return At(self.doc, self.path + (sub,))


# -- the model --------------------------------------------------------------------------------------

class Piece(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    at: At = Field(exclude=True, repr=False)


class SourceDocument(BaseModel):
    model_config = ConfigDict(frozen=True)
    number: str
    title: str
    issuer: str
    revision: str
    effective: dt.date
    supersedes: dict[str, Any] | None = None


class Clause(Piece):
    number: str
    title: str | None = None
    text: str
    document: str | None = None  # the key of another source document in pack.yaml's `documents`


class DatedValue(Piece):
    """A parameter's value from a date on, with the clause that sets it."""

    since: dt.date
    value: Any
    clause: str | None = None
    note: str | None = None


class Parameter(Piece):
    name: str
    value: Any  # the value in force today (the latest of `values`, when given by date)
    values: list[DatedValue] = Field(default_factory=list)  # by date, oldest first; empty: one value
    unit: str | None = None
    clause: str | None = None
    company_choice: bool = False
    note: str | None = None
    confidence: str | None = None

    def at_date(self, day: dt.date | None) -> DatedValue | None:
        """The dated value in force on `day` (None: not dated, or before its first date)."""
        chosen = None
        for dated in self.values:
            if day is None or dated.since <= day:
                chosen = dated
        return chosen


class FieldSpec(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    type: Literal["string", "number", "integer", "boolean", "date", "datetime", "list"]
    required: bool = False
    values: list[Any] | None = None
    description: str | None = None
    aliases: list[str] = Field(default_factory=list)


class FactType(Piece):
    name: str
    description: str | None = None
    subject: str | None = None
    derived: bool = False
    event: str | None = None  # the field that dates a fact (default: time, else date)
    shifts: bool = False  # its date and shift take start and end from the site's shift pattern
    fields: dict[str, FieldSpec]
    declaration: dict[str, Any] = Field(exclude=True, repr=False)  # as written, for the fact checker


class Table(Piece):
    """Data a pack holds with a clause behind it (which criteria belong to which audit level, a
    lost-day table): its rows are facts of a type named by the table, which rules match like any
    fact. A cell may hold a parameter ($name), so the table follows its overrides."""

    name: str
    description: str | None = None
    clause: str | None = None
    company_choice: bool = False
    confidence: str | None = None
    note: str | None = None
    key: list[str]
    fields: dict[str, FieldSpec]
    rows: list[dict[str, Any]]
    sums: dict[str, Any] = Field(default_factory=dict)  # column -> what its cells must add up to
    declaration: dict[str, Any] = Field(exclude=True, repr=False)  # as a fact type, for the checker


class Process(Piece):
    key: str
    clause: str
    process: str
    R: list[str] = Field(default_factory=list)
    A: list[str] = Field(default_factory=list)
    C: list[str] = Field(default_factory=list)
    I: list[str] = Field(default_factory=list)  # noqa: E741 - the RACI letter


class Raci(Piece):
    roles: dict[str, str]
    processes: dict[str, Process]


class Rung(Piece):
    id: str
    label: str
    clause: str
    note: str | None = None


class Test(Piece):
    """One test of a condition on a field: `field op value`. For `in`, `not_in` and `between`
    the value is a list; for `exists` true or false."""

    field: str
    op: Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "between", "exists"]
    value: Any

    def field_at(self) -> Where:
        """Where the field's name was written (the key of a where-test)."""
        path = self.at.path
        if self.field in path:
            cut = len(path) - path[::-1].index(self.field)
            return self.at.doc.where(path[:cut] + ("__key__",))
        return self.at.where()


class AnyOf(Piece):
    """One of several groups of tests holds."""

    alternatives: list[list[Test | AnyOf]]


class Condition(Piece):
    """One condition of a rule: a fact of a type (`fact`), how many facts match (`count`, with
    tests on n), or that none does (`absent`). `alias` names it for references."""

    kind: ConditionKind
    type: str
    alias: str
    index: int
    tests: list[Test | AnyOf] = Field(default_factory=list)
    compare: list[Test] = Field(default_factory=list)  # a count's tests on "n"

    @property
    def counted(self) -> bool:
        return self.kind != "fact"


class Subject(Piece):
    kind: str
    id: Text


class Due(Piece):
    at_time: Any = None  # written `at:`: an expression giving a time or a date
    text: str | None = None


class FindingSpec(Piece):
    severity: Literal["critical", "major", "minor", "observation"]
    message: Text


class SanctionUse(Piece):
    rung: str
    note: str | None = None


class Overdue(Piece):
    """What an obligation not discharged by its due time (or discharged after it) is: a finding
    of its own, against the accountable role."""

    severity: Literal["critical", "major", "minor", "observation"]
    message: Text | None = None
    late_severity: Literal["critical", "major", "minor", "observation"] | None = None
    sanctions: list[SanctionUse] = Field(default_factory=list)


class ActionSpec(Piece):
    what: Text
    id: str | None = None  # names the obligation (and its overdue finding's rule: <rule>.<id>-overdue)
    raci: str | None = None
    responsible: list[str] = Field(default_factory=list)
    accountable: list[str] = Field(default_factory=list)
    due: Due | None = None
    discharged_by: Condition | None = None  # a fact that does what is asked: the action is then an obligation
    discharged_at: str | None = None  # the discharging fact's field that says when (default: its event field)
    overdue: Overdue | None = None


class Each(Piece):
    """Derive one fact per step from `start` up to (not including) `end`: $each.start and
    $each.end are each step's bounds, $each.index its number from 1."""

    start: Any
    end: Any
    step: int | float
    unit: str


class Derive(Piece):
    type: str
    fields: dict[str, Any]  # field -> literal or expression
    each: Each | None = None


class Rule(Piece):
    id: str
    title: str
    clauses: list[str]  # as written; an entry starting with $ cites the clause a fact's field names
    cited: list[Any] = Field(default_factory=list)  # the clauses parsed: numbers and FieldRefs
    interpretation: str | None = None
    company_choice: str | None = None
    subject: Subject | None = None
    once_per: list[str] = Field(default_factory=list)
    partition_by: str | None = None
    when: list[Condition]
    finding: FindingSpec | None = None
    actions: list[ActionSpec] = Field(default_factory=list)
    sanctions: list[SanctionUse] = Field(default_factory=list)
    derive: list[Derive] = Field(default_factory=list)
    reject: Text | None = None  # a record the rule matches is bad input, with this message
    unjudged: dict[str, list[str]] = Field(default_factory=dict)  # alias -> fields whose lack is said

    @property
    def facts(self) -> list[Condition]:
        return [c for c in self.when if c.kind == "fact"]

    @property
    def counts(self) -> list[Condition]:
        return [c for c in self.when if c.counted]

    @property
    def derives(self) -> set[str]:
        return {d.type for d in self.derive}


class Expectation(Piece):
    rule: str
    pack: str | None = None
    subject: str | None = None
    sanctions: list[str] | None = None
    count: int = 1


class ObligationExpectation(Piece):
    rule: str
    action: str
    status: Literal["done", "late", "open", "overdue"]
    subject: str | None = None
    count: int = 1


class RejectExpectation(Piece):
    rule: str
    count: int = 1


class TestCase(Piece):
    name: str
    description: str | None = None
    facts: list[Any]
    history: list[Any] = Field(default_factory=list)
    parameters: dict[str, Any] = Field(default_factory=dict)
    timezone: str | None = None
    shifts: dict[str, Any] | None = None  # the site's shift pattern, as a config writes it
    as_of: Any = None  # the evaluation time: a datetime, a date or ISO text
    ignore: list[str] = Field(default_factory=list)  # rules whose findings the case does not check
    expect: list[Expectation]
    obligations: list[ObligationExpectation] | None = None  # None: obligations not checked
    rejects: list[RejectExpectation] | None = None  # None: the case expects no record refused


class Override(Piece):
    """Another pack's parameter this pack sets, optionally citing its own clause for it."""

    pack: str
    parameter: str
    value: Any
    clause: str | None = None


class Pack(Piece):
    path: Path
    name: str
    version: str
    language: str
    description: str | None = None
    partition_by: str | None = None
    document: SourceDocument
    documents: dict[str, SourceDocument] = Field(default_factory=dict)  # other sources its clauses quote
    overrides: list[Override] = Field(default_factory=list)
    clauses: dict[str, Clause] = Field(default_factory=dict)
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    facts: dict[str, FactType] = Field(default_factory=dict)
    raci: Raci | None = None
    sanctions: dict[str, Rung] = Field(default_factory=dict)
    tables: dict[str, Table] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    tests: list[TestCase] = Field(default_factory=list)
    hash: str = ""

    @property
    def effective(self) -> dt.date:
        return self.document.effective

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    def source_of(self, clause: str) -> SourceDocument:
        """The document a clause is quoted from: its own `document`, else the pack's."""
        found = self.clauses.get(clause)
        return self.documents[found.document] if found and found.document in self.documents else self.document

    def partition_key(self, rule: Rule) -> str | None:
        """The fact field a rule's facts are grouped into sessions by: its own, else the pack's."""
        return rule.partition_by or self.partition_by


AnyOf.model_rebuild()
