"""A rule's conditions, read from YAML into a small typed form.

The linter checks this form and the compiler translates it; neither re-reads the raw YAML.
Conditions are a list of patterns, all of which must hold:
  fact:   a fact of a type, with tests on its fields (and on earlier facts' fields: a join);
  count:  how many facts of a type match, per binding of the fact patterns, compared to a value;
  absent: no fact of a type matches (a count equal to zero).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .pack import Located
from .problems import Problem

COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")
SECONDS = {"s": 1, "min": 60, "h": 3600, "d": 86400}
# `time.clock: {between: ["13:00", "18:00"]}` tests a datetime field's local clock time (in the
# site's time zone): the procedure's sampling windows are hours of the day, whatever the date.
CLOCK = ".clock"
# The engine key holding that clock time in seconds after midnight ("time@clock"); FactTypes adds
# it only to the fields a loaded rule reads `.clock` of.
CLOCK_KEY = "@clock"


def clock_seconds(text: Any) -> int:
    """Seconds after midnight of a clock time written "HH:MM" or "HH:MM:SS"; ValueError if not."""
    parts = str(text).split(":") if isinstance(text, str) else []
    if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) == 2 for p in parts):
        raise ValueError(f"expected a clock time HH:MM, found {text!r}")
    h, m, s = (int(p) for p in parts + ["00"][:3 - len(parts)])
    if h > 23 or m > 59 or s > 59:
        raise ValueError(f"expected a clock time between 00:00 and 23:59, found {text!r}")
    return h * 3600 + m * 60 + s


@dataclass(frozen=True)
class Param:
    name: str


@dataclass(frozen=True)
class Ref:
    """Another pattern's field, optionally shifted: first.time + 2 h."""

    alias: str
    field: str
    plus: Any = None  # a number or a Param
    unit: str | None = None


@dataclass(frozen=True)
class CountRef:
    """Another count's result, optionally scaled: operating.n * 0.3."""

    alias: str
    times: Any = None  # a number or a Param


@dataclass
class Test:
    field: str
    op: str
    value: Any  # a literal, Param, Ref, CountRef; a list of those (in, not_in, between); or, for
    # "any", a list of alternative lists of tests
    path: tuple  # where in the rule it was written, for messages


@dataclass
class Pattern:
    kind: str  # "fact", "count" or "absent"
    type: str
    alias: str
    tests: list[Test] = field(default_factory=list)
    compare: list[Test] = field(default_factory=list)  # count patterns: tests on "n"
    index: int = 0

    @property
    def counted(self) -> bool:
        return self.kind != "fact"


@dataclass
class Rule:
    id: str
    loc: Located
    patterns: list[Pattern]

    @property
    def facts(self) -> list[Pattern]:
        return [p for p in self.patterns if p.kind == "fact"]

    @property
    def counts(self) -> list[Pattern]:
        return [p for p in self.patterns if p.counted]

    @property
    def data(self) -> dict:
        return self.loc.data


def parse_value(raw: Any) -> Any:
    if isinstance(raw, str) and raw.startswith("$"):
        return Param(raw[1:])
    if isinstance(raw, dict) and "field" in raw:
        alias, _, name = raw["field"].partition(".")
        return Ref(alias, name, parse_value(raw.get("plus")), raw.get("unit"))
    if isinstance(raw, dict) and "count" in raw:
        return CountRef(raw["count"], parse_value(raw.get("times")))
    return raw


def _where(raw: dict, path: tuple) -> list[Test]:
    out = []
    for name, test in raw.items():
        if name == "any":  # one of several mappings of tests holds
            alternatives = [_where(alt, path + ("any", i)) for i, alt in enumerate(test)]
            out.append(Test("any", "any", alternatives, path + ("any",)))
        elif name == "all":  # every one of several mappings holds: room for more than one any
            for i, part in enumerate(test):
                out += _where(part, path + ("all", i))
        else:
            out += _tests(name, test, path + (name,))
    return out


def _tests(field_name: str, raw: Any, path: tuple) -> list[Test]:
    if not isinstance(raw, dict):
        return [Test(field_name, "eq", parse_value(raw), path)]
    out = []
    for op, value in raw.items():
        if op in ("in", "not_in", "between"):
            out.append(Test(field_name, op, [parse_value(v) for v in value], path + (op,)))
        else:
            out.append(Test(field_name, op, parse_value(value), path + (op,)))
    return out


def parse_rule(loc: Located) -> tuple[Rule, list[Problem]]:
    problems: list[Problem] = []
    patterns: list[Pattern] = []
    aliases: set[str] = set()
    for i, raw in enumerate(loc.data["when"]):
        kinds = [k for k in ("fact", "count", "absent") if k in raw]
        if len(kinds) != 1:
            problems.append(loc.problem("each condition needs exactly one of fact, count or absent", "when", i))
            continue
        kind = kinds[0]
        pattern = Pattern(kind, raw[kind], raw.get("as", raw[kind]), index=i)
        if pattern.alias in aliases:
            problems.append(loc.problem(
                f"two conditions are both called {pattern.alias!r}; name one with 'as:'", "when", i))
        aliases.add(pattern.alias)
        for other, names in (raw.get("same") or {}).items():
            for j, name in enumerate(names):
                pattern.tests.append(Test(name, "eq", Ref(other, name), ("when", i, "same", other, j)))
        pattern.tests += _where(raw.get("where") or {}, ("when", i, "where"))
        for op in COMPARISONS:
            if op in raw:
                if kind != "count":
                    problems.append(loc.problem(f"'{op}' compares a count; use it on a 'count' condition", "when", i, op))
                pattern.compare.append(Test("n", op, parse_value(raw[op]), ("when", i, op)))
        if kind == "count" and not pattern.compare:
            problems.append(loc.problem("a count needs a comparison (gt, ge, lt, le, eq or ne)", "when", i))
        if kind == "absent":
            pattern.compare.append(Test("n", "eq", 0, ("when", i)))
        patterns.append(pattern)
    return Rule(loc.data["id"], loc, patterns), problems
