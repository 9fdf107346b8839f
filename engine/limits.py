"""What patuh refuses: the bounds on its input, in one place (the README's "What patuh refuses").

Every bound here protects a promise: a value is never bent (integers the C core reads as 64-bit,
dates whose arithmetic cannot overflow), nothing is silently lost (text the C core cannot take),
and no input can exhaust memory or recursion (nesting, YAML aliases, derivations without end).
"""
from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

# Nesting of any document (YAML or JSON) and of a list field's value. Facts are flat records;
# packs nest a rule a dozen levels deep. Python's own parsers fail with a RecursionError at ~1000.
MAX_DEPTH = 64
MAX_LIST_DEPTH = 8
# YAML aliases may repeat a node; a "billion laughs" document repeats it exponentially. A document
# may expand to this many times its own nodes (merge keys in pack tests stay far below it).
MAX_ALIAS_EXPANSION = 10
# Text longer than this in one field is refused: no form, register or alert holds a megabyte of
# text in one cell, and the C core copies every string into each session.
MAX_TEXT = 1_000_000
# Files read whole: a facts file (JSONL of a site-month is ~30 MB), and a pack's or config's YAML.
MAX_FACTS_BYTES = 2**31
MAX_YAML_BYTES = 2**26
# durable_rules reads integers with atoll(): beyond 64 bits they would silently saturate.
MAX_INT = 2**63 - 1
# Dates and times a fact may carry. Rules add days and hours to them (a due date, "the next
# day"); the margin to Python's year 1 and 9999 keeps that arithmetic from overflowing, and a
# mistyped year (0226 for 2026) is caught rather than judged by no revision.
FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2199, 12, 31)
# A forward-chaining run stops, with an error naming the rules, when one session needs more
# rounds of derivation than this (each round asserts what the previous one derived), or derives
# more facts than DERIVED_PER_FACT times those it was given (and at least MIN_DERIVED).
MAX_ROUNDS = 64
DERIVED_PER_FACT = 20
MIN_DERIVED = 100_000
# Steps one `each:` derivation may make (a day per step for 27 years).
MAX_STEPS = 10_000

_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """Why a string cannot be stored and compared as it is, or None."""
    if len(text) > MAX_TEXT:
        return f"text of {len(text):,} characters; at most {MAX_TEXT:,}"
    if not text.isascii():
        found = _SURROGATE.search(text)
        if found:
            return (f"not valid Unicode: a lone surrogate {found.group()!r} at character {found.start() + 1} "
                    "(a broken encoding upstream)")
    return None


def number_problem(value: int | float) -> str | None:
    """Why a number cannot be judged exactly, or None."""
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{value!r} is not a finite number"
    if not -MAX_INT <= value <= MAX_INT:
        return f"{value} is beyond the 64-bit integers the engine compares (at most {MAX_INT:,} either way)"
    return None


def date_problem(value: dt.date) -> str | None:
    day = value.date() if isinstance(value, dt.datetime) else value
    if FIRST_DATE <= day <= LAST_DATE:
        return None
    return f"{value.isoformat()} is outside the dates patuh judges ({FIRST_DATE} to {LAST_DATE})"


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of lists and mappings, counting no further than limit + 1 (so that a hostile
    document costs no more than the limit to measure)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, tuple, dict)):
            level += 1
            deepest = max(deepest, level)
            if level <= limit:
                stack.extend((v, level) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def value_problem(value: Any) -> str | None:
    """Why a parameter's value cannot be judged with: a number that is not finite or beyond the
    engine's integers (a .nan makes every comparison false and would switch its rule off unseen),
    or text the engine cannot hold."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            problem = number_problem(item)
        elif isinstance(item, str):
            problem = text_problem(item)
        else:
            problem = None
        if problem:
            return problem
    return None
