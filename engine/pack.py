"""The typed model of a pack: what `check` builds from a pack's YAML once its schema holds, and
what `plan`, `compiler` and `result` read. Every piece knows where it was written (`at`), so a
problem found later still points at the file, line and column.

A reference is written one way everywhere (conditions, derived fields, due times, messages,
subjects):

    $name            a parameter of the pack
    $alias.field     a field of a fact the rule matched (`as:` names it; else its type does)
    $alias.n         how many facts a count condition matched

and may be shifted or scaled by a number or a parameter, with a unit for times and dates:

    $first.time + $repeat_window_h h      $first.date + 1 d      $operating.n * $inspection_share_min

In a text (a finding's message, an action, a subject's id) a reference stands in braces:
"{$form.employee} slept {$form.sleep_hours} h". A text value that starts with $ but is no
reference is written with $$.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeAlias, cast

from pydantic import BaseModel, ConfigDict, Field

from .documents import Document, YamlPath
from .problems import Problem, Where

SECONDS = {"s": 1, "min": 60, "h": 3600, "d": 86400}
UNITS = tuple(SECONDS)
Comparison: TypeAlias = Literal["eq", "ne", "lt", "le", "gt", "ge"]
COMPARISONS: tuple[Comparison, ...] = ("eq", "ne", "lt", "le", "gt", "ge")
ConditionKind: TypeAlias = Literal["fact", "count", "absent"]
CONDITION_KINDS: tuple[ConditionKind, ...] = ("fact", "count", "absent")
# `time.clock: {between: ["13:00", "18:00"]}` tests a datetime field's local clock time (in the
# site's time zone): the procedure's sampling windows are hours of the day, whatever the date.
CLOCK = ".clock"


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


# -- references -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Param:
    """$name: a parameter's value, as settled for the evaluation."""

    name: str

    def __str__(self) -> str:
        return f"${self.name}"


Operator: TypeAlias = Literal["+", "-", "*"]


@dataclass(frozen=True)
class Shift:
    """What is added to (or multiplies) a reference: a number or a parameter, in a unit."""

    op: Operator
    amount: float | int | Param
    unit: str | None = None

    def __str__(self) -> str:
        return f" {self.op} {self.amount}" + (f" {self.unit}" if self.unit else "")


@dataclass(frozen=True)
class FieldRef:
    """$alias.field: a field of a fact the rule matched, optionally shifted."""

    alias: str
    field: str
    shift: Shift | None = None

    def __str__(self) -> str:
        return f"${self.alias}.{self.field}" + (str(self.shift) if self.shift else "")


@dataclass(frozen=True)
class CountRef:
    """$alias.n: how many facts a count condition matched, optionally scaled."""

    alias: str
    shift: Shift | None = None

    def __str__(self) -> str:
        return f"${self.alias}.n" + (str(self.shift) if self.shift else "")


Ref: TypeAlias = Param | FieldRef | CountRef
_NAME = r"[a-z_][a-z0-9_]*"
_AMOUNT = rf"\${_NAME}|[0-9]+(?:\.[0-9]+)?"
_EXPRESSION = re.compile(rf"\$({_NAME})(?:\.({_NAME}))?(?:\s*([-+*])\s*({_AMOUNT})(?:\s*({'|'.join(UNITS)}))?)?")
_IN_TEXT = re.compile(r"\{(\$[^{}]*)\}")


class BadReference(ValueError):
    pass


def parse_reference(text: str, counts: frozenset[str] = frozenset()) -> Ref:
    """A reference as written ("$first.time + $window_h h"); BadReference says what is wrong.
    `counts` are the aliases of the rule's count conditions, whose `.n` is their result."""
    found = _EXPRESSION.fullmatch(text.strip())
    if not found:
        raise BadReference(f"{text!r} is not a reference: expected $parameter, $alias.field or $alias.n, "
                           "optionally + or - an amount and a unit (s, min, h, d), or * an amount")
    head, field, op, amount, unit = found.groups()
    shift = None
    if op:
        number: float | int | Param = Param(amount[1:]) if amount.startswith("$") else (
            float(amount) if "." in amount else int(amount))
        if op == "*" and unit:
            raise BadReference(f"{text!r}: a product takes no unit")
        shift = Shift(cast(Operator, op), number, unit)  # the pattern's [-+*]
    if field is None:
        if shift:
            raise BadReference(f"{text!r}: a parameter is used as it is; shift a fact's field or a count instead")
        return Param(head)
    if head in counts:
        if field != "n":
            raise BadReference(f"{text!r}: a count has only .n")
        if shift and shift.op != "*" and shift.unit:
            raise BadReference(f"{text!r}: a count takes no unit")
        return CountRef(head, shift)
    return FieldRef(head, field, shift)


def value_of(raw: Any, counts: frozenset[str] = frozenset()) -> Any:
    """A value as written in a pack: a reference when it starts with $ ($$ for a literal $)."""
    if isinstance(raw, str) and raw.startswith("$"):
        return raw[1:] if raw.startswith("$$") else parse_reference(raw, counts)
    return raw


@dataclass(frozen=True)
class Text:
    """A text with references in braces: literal pieces and references, in order."""

    raw: str
    parts: tuple[str | Ref, ...]

    @property
    def refs(self) -> list[Ref]:
        return [p for p in self.parts if not isinstance(p, str)]


def parse_text(raw: str, counts: frozenset[str] = frozenset()) -> Text:
    parts: list[str | Ref] = []
    end = 0
    for found in _IN_TEXT.finditer(raw):
        parts += [raw[end:found.start()], parse_reference(found.group(1), counts)]
        end = found.end()
    parts.append(raw[end:])
    return Text(raw, tuple(p for p in parts if p != ""))


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
    fields: dict[str, FieldSpec]
    declaration: dict[str, Any] = Field(exclude=True, repr=False)  # as written, for the fact checker


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
    at_time: FieldRef | None = None  # written `at:`
    text: str | None = None


class ActionSpec(Piece):
    what: Text
    raci: str | None = None
    responsible: list[str] = Field(default_factory=list)
    accountable: list[str] = Field(default_factory=list)
    due: Due | None = None


class FindingSpec(Piece):
    severity: Literal["critical", "major", "minor", "observation"]
    message: Text


class SanctionUse(Piece):
    rung: str
    note: str | None = None


class Derive(Piece):
    type: str
    fields: dict[str, Any]  # field -> literal or reference


class Rule(Piece):
    id: str
    title: str
    clauses: list[str]
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


class TestCase(Piece):
    name: str
    description: str | None = None
    facts: list[Any]
    history: list[Any] = Field(default_factory=list)
    parameters: dict[str, Any] = Field(default_factory=dict)
    timezone: str | None = None
    expect: list[Expectation]


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
