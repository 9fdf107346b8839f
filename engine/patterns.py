"""Single-fact patterns judged in Python, as durable_rules judges them.

A rule with one fact condition and nothing else (no join, count, absence, obligation, $now or
unjudged companion) over a type no rule derives needs nothing of durable_rules: each fact
either meets its tests or not. Giving it to the core costs an assert and an action per match
(the 6.3.1.3 units rule ran for every roster entry of a site). The compiler gives such a rule's
pattern, as it would have given it to durable_rules, to `Filter`, which evaluates that same
JSON on the same encoded fact: the same tests, the same values, the same reading of a missing
field (no test on it holds but `$nex`). Patterns with a test on anything but a declared field
and a literal of its type (a part of a time, a field of the fact itself, arithmetic) stay with
the core; the reference evaluator's tests hold both ways to one answer.
"""
from __future__ import annotations

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


def literal_only(pattern: dict[str, Any], fields: dict[str, str]) -> bool:
    """Whether every test of a compiled pattern compares a declared field (`fields`: name ->
    type) with a literal of its type (only numbers are ordered): the tests Filter evaluates."""
    return _literal(pattern, fields)


def _literal(expression: dict[str, Any], fields: dict[str, str]) -> bool:
    ((op, arg),) = expression.items()
    if op == "$and" and any("$or" in e for e in arg[:-1]):
        return False  # the core reads no test after an "$or" group (compiler.pattern): left to it
    if op in ("$or", "$and"):
        return all(_literal(e, fields) for e in arg)
    if op in ("$ex", "$nex"):
        return True
    if op == "$neq" or op in _ORDER:
        ((name, value),) = arg.items()
    elif op.startswith("$"):
        return False
    else:
        name, value = op, arg  # {field: value}: equality
    kind = "string" if name == "type" else fields.get(name)
    return kind in _KINDS and isinstance(value, _KINDS[kind]) and (kind == "boolean") == isinstance(value, bool) \
        and (op not in _ORDER or kind in _NUMERIC)


@dataclass
class Filter:
    """A rule's single-fact pattern, as compiled for durable_rules, judged in Python."""

    rule: Any  # the pack rule (pack.Rule)
    alias: str
    pattern: dict[str, Any]

    def holds(self, fact: dict[str, Any]) -> bool:
        return _holds(self.pattern, fact)


def _holds(expression: dict[str, Any], fact: dict[str, Any]) -> bool:
    ((op, arg),) = expression.items()
    if op == "$and":
        return all(_holds(e, fact) for e in arg)
    if op == "$or":
        return any(_holds(e, fact) for e in arg)
    if op == "$ex":
        return all(fact.get(name) is not None for name in arg)
    if op == "$nex":
        return all(fact.get(name) is None for name in arg)
    if op == "$neq":
        ((name, value),) = arg.items()
        found = fact.get(name)
        return found is not None and not _equal(found, value)
    if op in _ORDER:
        ((name, value),) = arg.items()
        found = fact.get(name)
        return found is not None and _ORDER[op](*_numbers(found, value))
    found = fact.get(op)
    return found is not None and _equal(found, arg)


def _equal(found: Any, value: Any) -> bool:
    if isinstance(found, (int, float)) and not isinstance(found, bool):
        return bool(_numbers(found, value)[0] == _numbers(found, value)[1])
    return bool(found == value)


def _numbers(a: int | float, b: int | float) -> tuple[int | float, int | float]:
    """An integer beside a fraction is compared as a double, as the C core promotes it."""
    if isinstance(a, float) or isinstance(b, float):
        return float(a), float(b)
    return a, b
