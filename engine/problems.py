"""Where a problem is, and the errors that name it: the leaf every other module raises through.

Every error patuh shows names the file, the line and column (or the record) and what was
expected. A SourceError is one such problem; PackInvalid and FactsInvalid carry every problem
found, so that a user fixes them all in one go.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Where:
    file: str
    line: int = 0  # 1-based; 0 when unknown
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}" if self.column else f"{self.file}:{self.line}"


class SourceError(Exception):
    """A problem in an input (a file, a record, an argument), with the place it was found."""

    def __init__(self, where: Where, message: str):
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:  # as it was made: errors come back from worker processes
        return type(self), (self.where, self.message)


class Problem(SourceError):
    """One thing wrong with a pack, at a place in one of its files."""


class PackInvalid(Exception):
    """Every problem of a set of packs, sorted by file and position."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.where.file, p.where.line, p.where.column, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.problems,)


class FactError(SourceError):
    """A fact that does not fit its declared type, with the file and record it came from (a
    Where, or the record's place as text: checking keeps a record's place as text, and a Where is
    made only for an error). `fields` holds each problem apart, as (field, message) pairs (field
    None for the record as a whole), for a reader that names the column each field came from."""

    def __init__(self, where: Where | str, message: str, fields: list[tuple[str | None, str]] | None = None):
        super().__init__(where if isinstance(where, Where) else Where(where), message)
        self.fields = fields if fields is not None else [(None, message)]

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.where, self.message, self.fields)


class Rejected(FactError):
    """A record a pack's rule refuses as bad input (`then: reject`): a fact checker's error the
    checker could not see alone (a criterion of another audit level), naming the rule."""

    def __init__(self, where: Where, message: str, rule: str):
        super().__init__(where, message)
        self.rule = rule


class FactsInvalid(FactError):
    """Every bad record of an input, each a FactError: all are reported, not only the first. It
    is a FactError itself (at the first problem), so a host app catching that sees these too."""

    def __init__(self, problems: list[FactError], records: list[tuple[Where, Any]] | None = None):
        super().__init__(problems[0].where, problems[0].message)
        self.problems = problems
        self.records = records or []  # what could be read, for checking alongside

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.problems, self.records)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class ConfigError(SourceError):
    """A site config (or parameter override) that cannot be used."""


class EngineError(Exception):
    """durable_rules refused or lost something: never swallowed, and no finding of that
    evaluation can be trusted."""
