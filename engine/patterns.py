"""Single-fact patterns judged in Python, as durable_rules judges them.

A rule with one fact condition and nothing else (no join, count, absence, obligation, or
unjudged companion but its own) over a type no rule derives needs nothing of durable_rules: each
fact either meets its tests or not. Giving it to the core costs an assert and an action per
match (the 6.3.1.3 units rule ran for every roster entry of a site). The compiler gives such a
rule's pattern, as it would have given it to durable_rules, to `Filter`, which evaluates that
same JSON on the same encoded fact: the same tests, the same values, the same reading of a
missing field (no test on it holds but `$nex`). $now and $today are one value for the whole
evaluation, read from its fact. Patterns with a test on anything but a declared field and a
literal of its type or the evaluation time (a part of a time, a field of the fact itself,
arithmetic) stay with the core; the reference evaluator's tests hold both ways to one answer.
The same holds for the counted pattern of a count joined by equal fields alone (`Keyed`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_ORDER = {"$lt": lambda a, b: a < b, "$lte": lambda a, b: a <= b, "$gt": lambda a, b: a > b,
          "$gte": lambda a, b: a >= b}


# What a literal compared with a field of each declared type must be for Filter to judge it: the
# core also compares across types (true equals 1, "4" equals 4), which a checked fact and a linted
# pack never ask of it; a test that would is left to the core.
_KINDS = {"string": (str,), "boolean": (bool,), "number": (int, float), "integer": (int, float),
          "date": (int, float), "datetime": (int, float)}
_NUMERIC = {"number", "integer", "date", "datetime"}
# The alias a rule's patterns read the evaluation fact under (compiler.EVALUATION: its "time" in
# epoch seconds, its "date" in epoch days).
NOW_ALIAS = "_now"
_NOW_FOR = {"datetime": "time", "date": "date"}


def _guard(expression: dict[str, Any]) -> bool:
    """Whether a test is the one ending a pattern that joins another fact (compiler._guard): its
    fid unequal to that fact's type, which always holds (a fid never equals a type name)."""
    arg = expression.get("$neq")
    return isinstance(arg, dict) and list(arg) == ["fid"] and isinstance(arg["fid"], dict) \
        and list(arg["fid"].values()) == ["type"]


def literal_only(pattern: dict[str, Any], fields: dict[str, str]) -> bool:
    """Whether every test of a compiled pattern compares a declared field (`fields`: name ->
    type) with a literal of its type (only numbers are ordered): the tests Filter evaluates."""
    return _literal(pattern, fields)


def _literal(expression: dict[str, Any], fields: dict[str, str]) -> bool:
    ((op, arg),) = expression.items()
    if op == "$and" and any("$or" in e for e in [e for e in arg if not _guard(e)][:-1]):
        return False  # the core reads no test after an "$or" group (compiler.pattern): left to it
    if op in ("$or", "$and"):
        return all(_literal(e, fields) for e in arg)
    if op in ("$ex", "$nex") or _guard(expression):
        return True
    if op == "$neq" or op in _ORDER:
        ((name, value),) = arg.items()
    elif op.startswith("$"):
        return False
    else:
        name, value = op, arg  # {field: value}: equality
    kind = "string" if name == "type" else fields.get(name)
    if isinstance(value, dict):  # the evaluation time, on a field of its kind
        return value == {NOW_ALIAS: _NOW_FOR.get(kind or "")}
    return kind in _KINDS and isinstance(value, _KINDS[kind]) and (kind == "boolean") == isinstance(value, bool) \
        and (op not in _ORDER or kind in _NUMERIC)


@dataclass
class Filter:
    """A rule's single-fact pattern, as compiled for durable_rules, judged in Python: the pattern
    is turned into one Python function when the filter is made (interpreting its JSON for every
    fact cost as much as durable_rules' own matching)."""

    rule: Any  # the pack rule (pack.Rule)
    alias: str
    pattern: dict[str, Any]
    # for a rule's unjudged companion (compiler.Unjudged): a fact that holds lacks what it needs
    unjudged: Any = None

    def __post_init__(self) -> None:
        self._judge: Callable[[dict[str, Any], dict[str, Any] | None], bool] | None = None

    def holds(self, fact: dict[str, Any], now: dict[str, Any] | None = None) -> bool:
        """Whether the fact meets the pattern; `now` is the evaluation fact, for a pattern reading it."""
        if self._judge is None:  # made on first use: a pack compiled only to be linted never needs it
            self._judge = _function(self.pattern)
        return self._judge(fact, now)


def _function(pattern: dict[str, Any]) -> Callable[[dict[str, Any], dict[str, Any] | None], bool]:
    """The pattern as Python source, compiled: only names and literals literal_only let through
    (field names and values are written with repr, so no text of a pack runs as code)."""
    body = _source(pattern)
    reads_now = "now[" in body
    source = ("def judge(fact, now):\n    g = fact.get\n"
              + ("    if now is None:\n        raise ValueError('a pattern reading the evaluation time was judged "
                 "without it')\n" if reads_now else "")
              + f"    return {body}\n")
    scope: dict[str, Any] = {"_equal": _equal, **{f"_{op[1:]}": fn for op, fn in _PROMOTED.items()}}
    exec(compile(source, "<patuh pattern>", "exec"), scope)  # noqa: S102 - generated from checked parts only
    judge: Callable[[dict[str, Any], dict[str, Any] | None], bool] = scope["judge"]
    return judge


def _source(expression: dict[str, Any]) -> str:
    ((op, arg),) = expression.items()
    if op in ("$and", "$or"):
        parts = [_source(e) for e in arg]
        return "(" + (" and " if op == "$and" else " or ").join(parts) + ")" if parts else repr(op == "$and")
    if _guard(expression):
        return "True"
    if op in ("$ex", "$nex"):
        test = " is not None" if op == "$ex" else " is None"
        return "(" + " and ".join(f"g({name!r}){test}" for name in arg) + ")"
    if op == "$neq" or op in _ORDER:
        ((name, value),) = arg.items()
    else:
        name, value = op, arg
    literal = f"now[{value[NOW_ALIAS]!r}]" if isinstance(value, dict) else repr(value)
    found = f"(v := g({name!r})) is not None"
    if op in _ORDER:
        return f"({found} and _{op[1:]}(v, {literal}))"
    if isinstance(value, str):  # text equals text alone (a checked field of its type)
        return f"({found} and v != {literal})" if op == "$neq" else f"(g({name!r}) == {literal})"
    return f"({found} and {'not ' if op == '$neq' else ''}_equal(v, {literal}))"


def _equal(found: Any, value: Any) -> bool:
    if isinstance(found, (int, float)) and not isinstance(found, bool):
        return bool(_numbers(found, value)[0] == _numbers(found, value)[1])
    return bool(found == value)


def _numbers(a: int | float, b: int | float) -> tuple[int | float, int | float]:
    """An integer beside a fraction is compared as a double, as the C core promotes it."""
    if isinstance(a, float) or isinstance(b, float):
        return float(a), float(b)
    return a, b


def _promoted(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    return lambda a, b: compare(*_numbers(a, b))


_PROMOTED = {op: _promoted(compare) for op, compare in _ORDER.items()}


@dataclass
class Keyed:
    """A count whose counted pattern joins the rule's facts only by equal fields, grouped in Python
    (counts.Groups) where the core would run a collector rule for every pair of a binding and a
    member (6.3.1.3 made 29k collector actions for 468 groups). `filter` holds the pattern's
    other tests, all literal (judged by Filter); `joins` are (counted field, alias, field) pairs,
    compared as the core compares equal values of one declared type."""

    type: str  # the counted type
    filter: Filter
    joins: list[tuple[str, str, str]]

    def key(self, fact: dict[str, Any]) -> tuple[Any, ...] | None:
        """The fact's values of the joined fields (None when it lacks one: it equals nothing)."""
        values = tuple(fact.get(name) for name, _, _ in self.joins)
        return None if None in values else values


def keyed(counted_type: str, counted: dict[str, Any], aliases: dict[str, dict[str, str]], fields: dict[str, str],
          rule: Any, alias: str) -> Keyed | None:
    """A count of `counted_type` facts, its compiled pattern `counted`, as a Keyed count when its tests are
    equal-field joins with the rule's facts (`aliases`: alias -> that fact's declared fields and
    types) of the same declared type, and literal tests on its own fields (`fields`); else None
    (a collector rule)."""
    joins: list[tuple[str, str, str]] = []
    tests: list[dict[str, Any]] = []
    for expression in counted["$and"]:
        ((op, arg),) = expression.items()
        if _guard(expression):
            continue
        if not op.startswith("$") and isinstance(arg, dict):
            if len(arg) != 1:
                return None
            ((other, name),) = arg.items()
            kind = fields.get(op)
            if other not in aliases or kind is None or aliases[other].get(name) != kind:
                return None
            joins.append((op, other, name))
            continue
        tests.append(expression)
    judged = Filter(rule, alias, {"$and": tests})
    return Keyed(counted_type, judged, joins) if joins and literal_only(judged.pattern, fields) else None
