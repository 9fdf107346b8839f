"""The typed things that flow through patuh: facts in, findings and their trace out.

Detectors import only this module. Everything here is plain data (pydantic), so a host app
can validate, serialise and compare results without touching the engine.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

SEVERITIES = ("critical", "major", "minor", "observation")
Severity = Literal["critical", "major", "minor", "observation"]

# Fields every fact may carry besides its own data.
RESERVED = ("type", "id", "source")


class Source(BaseModel):
    """Which detector made a fact, from what: file and row, or video and frame range."""

    model_config = ConfigDict(extra="allow")
    detector: str | None = None
    file: str | None = None
    row: int | None = None
    frames: tuple[int, int] | None = None


class Fact(BaseModel):
    """One observation. Its data fields sit flat beside `type`, as a pack declares them."""

    model_config = ConfigDict(extra="allow")
    type: str
    id: str | None = None
    source: Source | None = None

    def data(self) -> dict[str, Any]:
        """The fact's own fields (everything but type, id and source)."""
        return dict(self.model_extra or {})


def canonical(value: Any) -> Any:
    """JSON-ready form of a value, stable across runs (times as ISO text)."""
    if type(value) in _PLAIN:  # most values of a fact: the quick way out (the evidence of every finding)
        return value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dict):  # plain values kept without a call: the evidence's facts are most of the work
        return {str(k): v if type(v) in _PLAIN else canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return value


_PLAIN = frozenset({str, int, float, bool, type(None)})


class Citation(BaseModel):
    document: str
    revision: str
    number: str
    text: str


class PackRef(BaseModel):
    name: str
    version: str
    hash: str


class Subject(BaseModel):
    kind: str
    id: str


class Action(BaseModel):
    """Something the procedure requires be done, by whom (RACI roles) and by when."""

    what: str
    raci: str | None = None  # the RACI process the roles come from, e.g. "5.1/1"
    responsible: list[str] = Field(default_factory=list)
    accountable: list[str] = Field(default_factory=list)
    consulted: list[str] = Field(default_factory=list)
    informed: list[str] = Field(default_factory=list)
    due: dt.datetime | dt.date | None = None  # a date: any time on that day will do
    due_text: str | None = None


class Sanction(BaseModel):
    rung: str  # an id on the pack's own ladder, e.g. "SP1"
    label: str
    note: str | None = None


class ParameterUse(BaseModel):
    """A parameter's value as evaluated, and what stands behind it."""

    value: Any
    unit: str | None = None
    document: str | None = None  # the document of the clause: the pack's own, or an overriding pack's
    clause: str | None = None  # None: a company choice, or a site config's override
    source: str  # "pack fatigue 0.1.0", "pack acme-fatigue 1.0.0" or "config site.yaml"
    since: dt.date | None = Field(default=None, exclude_if=lambda v: v is None)  # a value given by date: from when


class Finding(BaseModel):
    id: str
    rule: str
    title: str
    pack: PackRef
    clauses: list[Citation]
    severity: Severity
    message: str
    subject: Subject
    time: dt.datetime | dt.date | None = None
    facts: list[str]
    actions: list[Action] = Field(default_factory=list)
    sanctions: list[Sanction] = Field(default_factory=list)
    interpretation: str | None = None
    parameters: dict[str, ParameterUse] = Field(default_factory=dict)


ObligationStatus = Literal["done", "late", "open", "overdue"]


class Obligation(BaseModel):
    """A required action a fact discharges, tracked to its due time: done (discharged in time),
    late (discharged after it), open (not yet, not yet due) or overdue (not, and due)."""

    id: str
    finding: str | None = None  # the finding that requires it (None: a rule that only sets obligations)
    rule: str
    action: str | None = None  # the action's id in the rule
    pack: PackRef
    clauses: list[Citation]  # the clauses that set it: the rule's
    subject: Subject  # whom the finding is against
    what: str
    raci: str | None = None
    responsible: list[str] = Field(default_factory=list)
    accountable: list[str] = Field(default_factory=list)
    due: dt.datetime | dt.date | None = None
    due_text: str | None = None
    status: ObligationStatus
    discharged_by: str | None = None  # the id of the fact that discharged it
    discharged_at: dt.datetime | dt.date | None = None
    facts: list[str] = Field(default_factory=list)  # the finding's facts


class Derivation(BaseModel):
    rule: str
    pack: str
    facts: list[str]


class DerivedFact(BaseModel):
    """A fact a rule asserted, with the rule and facts it came from (forward chaining)."""

    model_config = ConfigDict(extra="allow")
    type: str
    id: str
    derived_from: Derivation


class PackUse(BaseModel):
    """A pack revision that took part in an evaluation."""

    name: str
    version: str
    hash: str
    document: str
    revision: str
    effective: dt.date
    # when a parameter is given by date: the date from which this period's values hold
    since: dt.date | None = Field(default=None, exclude_if=lambda v: v is None)
    facts: int  # how many facts this revision judged (of the types its rules read)


class Trace(BaseModel):
    timezone: str | None = None  # the site's zone: the one every time a person reads is shown in
    packs: list[PackUse] = Field(default_factory=list)
    overrides: dict[str, dict[str, ParameterUse]] = Field(default_factory=dict)
    facts_in: int = 0
    facts_history: int = 0
    facts_not_in_force: int = 0  # judged by no pack: dated before every revision that reads them
    # the site's shift pattern (a company choice, from its config): shift -> start, end, source;
    # it gave start and end to the records of `shifts: true` types that named only date and shift
    shifts: dict[str, dict[str, str]] = Field(default_factory=dict, exclude_if=lambda v: not v)
    # left out: dated after the evaluation time (as_of)
    facts_after_as_of: int = Field(default=0, exclude_if=lambda v: v == 0)
    sessions: int = 0
    matches: dict[str, int] = Field(default_factory=dict)  # rule id -> times it matched
    # the evaluation time ("now"): as given (--as-of), else the latest event time of the facts
    as_of: dt.datetime | None = Field(default=None, exclude_if=lambda v: v is None)


class Result(BaseModel):
    findings: list[Finding] = Field(default_factory=list)
    obligations: list[Obligation] = Field(default_factory=list, exclude_if=lambda v: not v)
    derived: list[DerivedFact] = Field(default_factory=list)
    trace: Trace = Field(default_factory=Trace)
    facts: dict[str, dict[str, Any]] = Field(default_factory=dict)  # id -> fact: the evidence
    derivations: dict[str, Derivation] = Field(default_factory=dict)  # evidence that rules derived

    @property
    def actions(self) -> list[tuple[str, Action]]:
        """Every required action, with the id of the finding that demands it."""
        return [(f.id, a) for f in self.findings for a in f.actions]

    @property
    def sanctions(self) -> list[tuple[str, Sanction]]:
        return [(f.id, s) for f in self.findings for s in f.sanctions]

    def to_json(self) -> str:
        """Sorted, stable JSON: the same input gives the same bytes."""
        return b"".join(self.json_chunks()).decode()

    def json_chunks(self) -> Iterator[bytes]:
        """to_json's UTF-8 bytes, made a finding (a fact, ...) at a time for writing as they come:
        the whole text of a site-month is hundreds of megabytes, and never needs to be held.
        The bytes are those of `json.dumps(self.model_dump(mode="json"), sort_keys=True, indent=2,
        ensure_ascii=False) + "\n"`."""
        return result_json({name: getattr(self, name) for name in type(self).model_fields})


class Streamed:
    """A Result field whose entries are made as they are written (result_json) and let go: the
    keys in the order written, and what each becomes. For an evaluation written out without the
    Result ever being held (Engine.evaluate_json)."""

    def __init__(self, keys: list[str], make: Callable[[str], Any], mapping: bool) -> None:
        self.keys, self.make, self.mapping = keys, make, mapping

    def __len__(self) -> int:
        return len(self.keys)

    def entries(self) -> Iterator[tuple[str, Any]]:
        return ((key, self.make(key)) for key in self.keys)


def result_json(values: dict[str, Any]) -> Iterator[bytes]:
    """The JSON of a Result with these field values (models, lists, dicts, or Streamed), as
    Result.json_chunks writes it."""
    fields = [(name, values[name]) for name, info in sorted(Result.model_fields.items())
              if not (info.exclude_if and info.exclude_if(values[name]))]
    fields = [(name, ({} if value.mapping else []) if isinstance(value, Streamed) and not value else value)
              for name, value in fields]
    yield b"{"
    for n, (name, value) in enumerate(fields):
        yield (b"," if n else b"") + b"\n  " + _json(name) + b": "
        if isinstance(value, (list, dict, Streamed)) and value:
            mapping = isinstance(value, dict) or isinstance(value, Streamed) and value.mapping
            entries = (value.entries() if isinstance(value, Streamed) else sorted(value.items())
                       if isinstance(value, dict) else enumerate(value))
            opening, closing = (b"{", b"}") if mapping else (b"[", b"]")
            yield opening
            for i, (key, item) in enumerate(entries):
                text = _json(item.model_dump(mode="json") if isinstance(item, BaseModel) else item, 2)
                head = _json(key) + b": " if mapping else b""
                yield (b"," if i else b"") + b"\n    " + head + text
            yield b"\n  " + closing
        else:
            yield _json(value.model_dump(mode="json") if isinstance(value, BaseModel) else value, 1)
    yield b"\n}\n"


_INDENTED = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS


def _json(value: Any, level: int = 0) -> bytes:
    """`value` as json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) writes it, nested
    `level` deep, in UTF-8. orjson writes the same bytes ten times faster, but for numbers under
    1e-4, which Python writes with an exponent ("1.5e-05", orjson "0.000015"), and integers beyond
    64 bits, which it refuses: text that may hold one is written by json instead."""
    try:
        text = orjson.dumps(value, option=_INDENTED)
    except TypeError:
        text = None
    if text is None or b"0.0000" in text:
        text = json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False).encode()
    return text.replace(b"\n", b"\n" + b"  " * level) if level else text


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema of the fact and result models, as exported to schemas/ for other tools."""
    return {"fact.schema.json": Fact.model_json_schema(), "result.schema.json": Result.model_json_schema()}


if __name__ == "__main__":  # python -m patuh.models DIR: write the exports
    import sys
    from pathlib import Path

    for name, schema in json_schemas().items():
        Path(sys.argv[1], name).write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
