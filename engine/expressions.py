"""The one way a pack writes a value that is not a literal: references, and arithmetic on them.

    $name                 a parameter of the pack
    $now, $today          the evaluation time, and its date in the site's time zone
    $alias.field          a field of a fact the rule matched (`as:` names the condition)
    $alias.field.part     a part of a date or time field in the site's zone: date, year, month
                          (as "2026-03"), clock (time of day)
    $count.n              how many facts a count condition matched; $count.sum.FIELD,
                          $count.min.FIELD, $count.max.FIELD, $count.list.FIELD over those facts

joined by + - * / and parentheses; an amount added to a time or a date carries its unit
(s, min, h, d, mo, y: months and years on the calendar); floor, ceil, round, abs, min and max;
week_start, month_start and month_end of a date (its week's Monday, its month's first and last day);
next_shift, next_shift_start and next_shift_end of a time: the name, start and end of the first
shift of the site's shift pattern that starts after it (none without a pattern):

    $first.time + $repeat_window_h h      $audit.date + 3 y      $met.n / $applicable.n * 100
    $e.pja * $w_pja + $e.inspection * $w_inspection          floor($share * 1000) / 10

Arithmetic on numbers is done in decimals, so 100 * 0.2 + 80 * 0.3 is 44, not 44.00000000000001.
In a text (a message, an action, a subject) an expression stands in braces, optionally with a
format: "{$form.employee} slept {$form.sleep_hours} h", "{$o.achievement:.1f} %".
"""
from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, TypeAlias

UNITS = ("s", "min", "h", "d", "mo", "y")
SECONDS = {"s": 1, "min": 60, "h": 3600, "d": 86400}
MONTHS = {"mo": 1, "y": 12}
PARTS = ("date", "year", "month", "clock")
AGGREGATES = ("n", "sum", "min", "max", "list")
FUNCTIONS = ("floor", "ceil", "round", "abs", "min", "max", "week_start", "month_start", "month_end",
             "next_shift_start", "next_shift_end", "next_shift")
CALENDAR = ("week_start", "month_start", "month_end")  # of a date: its week's Monday, its month's first or last day
# of a time: the first shift of the site's pattern that starts after it (its name, start, end)
SHIFTS = ("next_shift", "next_shift_start", "next_shift_end")
NOW = ("now", "today")


class BadExpression(ValueError):
    pass


@dataclass(frozen=True)
class Param:
    """$name: a parameter's value, as settled for the evaluation."""

    name: str

    def __str__(self) -> str:
        return f"${self.name}"


@dataclass(frozen=True)
class Now:
    """$now (the evaluation time) or $today (its date in the site's zone)."""

    name: Literal["now", "today"]

    def __str__(self) -> str:
        return f"${self.name}"


@dataclass(frozen=True)
class FieldRef:
    """$alias.field, or a part of it ($alias.time.date)."""

    alias: str
    field: str
    part: str | None = None

    def __str__(self) -> str:
        return f"${self.alias}.{self.field}" + (f".{self.part}" if self.part else "")


@dataclass(frozen=True)
class CountRef:
    """$alias.n, or an aggregate of a field over the counted facts ($alias.sum.hours)."""

    alias: str
    agg: str = "n"
    field: str | None = None

    def __str__(self) -> str:
        return f"${self.alias}.{self.agg}" + (f".{self.field}" if self.field else "")


@dataclass(frozen=True)
class Op:
    """left op right; for + and -, `unit` is the right operand's (a duration or a span)."""

    op: Literal["+", "-", "*", "/"]
    left: Expr
    right: Expr
    unit: str | None = None

    def __str__(self) -> str:
        return f"{_show(self.left)} {self.op} {_show(self.right)}" + (f" {self.unit}" if self.unit else "")


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Expr, ...]

    def __str__(self) -> str:
        return f"{self.name}({', '.join(_show(a) for a in self.args)})"


@dataclass(frozen=True)
class Neg:
    value: Expr

    def __str__(self) -> str:
        return f"-{_show(self.value)}"


Expr: TypeAlias = Param | Now | FieldRef | CountRef | Op | Call | Neg | int | float
Ref: TypeAlias = Param | Now | FieldRef | CountRef


def _show(expr: Expr) -> str:
    return f"({expr})" if isinstance(expr, Op) else str(expr)


def refs(expr: Any) -> list[Ref]:
    """Every reference in an expression, in order."""
    if isinstance(expr, (Param, Now, FieldRef, CountRef)):
        return [expr]
    if isinstance(expr, Op):
        return refs(expr.left) + refs(expr.right)
    if isinstance(expr, Call):
        return [r for a in expr.args for r in refs(a)]
    if isinstance(expr, Neg):
        return refs(expr.value)
    return []


def is_expression(value: Any) -> bool:
    return isinstance(value, (Param, Now, FieldRef, CountRef, Op, Call, Neg))


# -- parsing ------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<ref>\$[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)"
                    r"|(?P<word>[a-z_]+)|(?P<symbol>[-+*/(),]))")


class _Parser:
    def __init__(self, text: str, counts: frozenset[str]):
        self.text, self.counts = text, counts
        self.tokens: list[tuple[str, str]] = []
        at = 0
        while at < len(text):
            found = _TOKEN.match(text, at)
            if not found or found.end() == at:
                if text[at:].strip() == "":
                    break
                raise self.bad(f"cannot read {text[at:].strip()[:12]!r}")
            kind = found.lastgroup or ""
            self.tokens.append((kind, found.group(kind)))
            at = found.end()
        self.i = 0

    def bad(self, why: str) -> BadExpression:
        return BadExpression(f"{self.text!r}: {why}; expected $parameter, $alias.field or $alias.n, joined by + - * / "
                             "(an amount added to a time or date with its unit: s, min, h, d, mo, y)")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise self.bad(f"expected {value!r}" if value else "it ends too soon")
        self.i += 1
        return token

    def parse(self) -> Expr:
        expr = self.sum()
        if self.peek() is not None:
            raise self.bad(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]  # peek() is a token here
        return expr

    def sum(self) -> Expr:
        left = self.product()
        while (token := self.peek()) and token[1] in "+-" and token[0] == "symbol":
            self.take()
            right = self.product()
            unit = None
            if (after := self.peek()) and after[0] == "word" and after[1] in UNITS:
                unit = self.take()[1]
            left = Op(token[1], left, right, unit)  # type: ignore[arg-type]  # "+" or "-"
        return left

    def product(self) -> Expr:
        left = self.unary()
        while (token := self.peek()) and token[1] in "*/" and token[0] == "symbol":
            self.take()
            left = Op(token[1], left, self.unary())  # type: ignore[arg-type]  # "*" or "/"
        return left

    def unary(self) -> Expr:
        token = self.peek()
        if token and token[1] == "-":
            self.take()
            return Neg(self.unary())
        return self.atom()

    def atom(self) -> Expr:
        kind, value = self.take()
        if kind == "number":
            return float(value) if "." in value else int(value)
        if kind == "ref":
            return self.reference(value)
        if kind == "symbol" and value == "(":
            inner = self.sum()
            self.take(")")
            return inner
        if kind == "word" and value in FUNCTIONS and (self.peek() or ("", ""))[1] == "(":
            self.take("(")
            args = [self.sum()]
            while (self.peek() or ("", ""))[1] == ",":
                self.take()
                args.append(self.sum())
            self.take(")")
            if (value in ("min", "max") and len(args) < 2 or value not in ("min", "max", "round") and len(args) != 1
                    or value == "round" and len(args) > 2):
                raise self.bad(f"{value}() takes {'two or more values' if value in ('min', 'max') else 'one value'}")
            return Call(value, tuple(args))
        if kind == "word":
            raise self.bad(f"{value!r} is neither a number nor a reference (a parameter is ${value})")
        raise self.bad(f"unexpected {value!r}")

    def reference(self, text: str) -> Ref:
        head, *rest = text[1:].split(".")
        if not rest:
            return Now(head) if head in NOW else Param(head)  # type: ignore[arg-type]  # now or today
        if head in self.counts:
            agg, *more = rest
            if agg not in AGGREGATES or (agg == "n") != (not more) or len(more) > 1:
                raise self.bad(f"a count gives .n, or .sum, .min, .max or .list of one field: {text!r}")
            return CountRef(head, agg, more[0] if more else None)
        if len(rest) > 2 or (len(rest) == 2 and rest[1] not in PARTS):
            raise self.bad(f"{text!r}: after the field, only a part of a date or time: {', '.join(PARTS)}")
        return FieldRef(head, rest[0], rest[1] if len(rest) == 2 else None)


def parse(text: str, counts: frozenset[str] = frozenset()) -> Expr:
    """An expression as written ("$first.time + $window_h h"); BadExpression says what is wrong.
    `counts` are the aliases of the rule's count conditions."""
    expr = _Parser(text.strip(), counts).parse()
    _check_units(expr, text)
    return expr


def _check_units(expr: Any, text: str) -> None:
    if isinstance(expr, Op):
        if expr.unit and expr.op not in "+-":
            raise BadExpression(f"{text!r}: a unit goes with an amount added or taken away")
        _check_units(expr.left, text)
        _check_units(expr.right, text)


_CALL = re.compile(rf"({'|'.join(FUNCTIONS)})\(")


def value_of(raw: Any, counts: frozenset[str] = frozenset()) -> Any:
    """A value as written in a pack: an expression when it starts with $ ($$ for a literal $) or
    with a function ("floor($share * 100)"); else the literal."""
    if isinstance(raw, str) and (raw.startswith("$") or _CALL.match(raw)):
        return raw[1:] if raw.startswith("$$") else parse(raw, counts)
    return raw


@dataclass(frozen=True)
class Slot:
    """An expression standing in a text, with its format ("" for the default)."""

    expr: Expr
    spec: str = ""


@dataclass(frozen=True)
class Text:
    """A text with expressions in braces: literal pieces and slots, in order."""

    raw: str
    parts: tuple[str | Slot, ...]

    @property
    def refs(self) -> list[Ref]:
        return [r for p in self.parts if isinstance(p, Slot) for r in refs(p.expr)]

    @property
    def slots(self) -> list[Slot]:
        return [p for p in self.parts if isinstance(p, Slot)]


# "{$alias.field}", "{$a.n * 100 / $b.n:.1f}", and a function's value: "{floor($s.score * 100) / 100}"
_IN_TEXT = re.compile(rf"\{{((?:\$|(?:{'|'.join(FUNCTIONS)})\()[^{{}}]*)\}}")
_SPEC = re.compile(r":([<>^]?[+ ]?,?(?:\.\d+)?[fd%]?)$")


def parse_text(raw: str, counts: frozenset[str] = frozenset()) -> Text:
    parts: list[str | Slot] = []
    end = 0
    for found in _IN_TEXT.finditer(raw):
        inner = found.group(1)
        spec = _SPEC.search(inner)
        if spec:
            inner = inner[:spec.start()]
        parts += [raw[end:found.start()], Slot(parse(inner, counts), spec.group(1) if spec else "")]
        end = found.end()
    parts.append(raw[end:])
    return Text(raw, tuple(p for p in parts if p != ""))


# -- evaluation (outside durable_rules: derived fields, texts, due times) ------------------------------

def number(value: Any) -> Any:
    """A computed number as a fact holds it: an int when whole, else a float."""
    if isinstance(value, Decimal):
        # Whole and small enough for a float to hold every integer: an int (2 * 1.5 is 3);
        # beyond 2**53 it stays a float, as the engine's numbers do.
        whole = value == value.to_integral_value() and abs(value) <= 2**53
        return int(value) if whole else float(value)
    return value


def decimal(value: Any) -> Any:
    """Numbers as decimals (their shortest written form), so arithmetic is exact."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return value


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later on the calendar; the month's last day when it has no such
    day (31 January + 1 month is 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return day.replace(year=year, month=month + 1, day=min(day.day, last))


def shift(base: Any, op: str, amount: Any, unit: str | None) -> Any:
    """base ± amount in unit: a time moved by seconds, a date by days or calendar months."""
    sign = -1 if op == "-" else 1
    if unit in MONTHS:
        if not isinstance(base, dt.date) or isinstance(base, dt.datetime):
            raise TypeError("months and years move a date")
        months = sign * amount * MONTHS[unit]
        if months != int(months):
            raise TypeError("months and years move by whole numbers")
        return add_months(base, int(months))
    if isinstance(base, dt.datetime):
        return base + dt.timedelta(seconds=float(sign * amount * SECONDS[unit or "s"]))
    if isinstance(base, dt.date):
        if unit not in (None, "d"):
            raise TypeError("a date moves in days, months or years")
        days = sign * amount
        if days != int(days):
            raise TypeError("a date moves by whole days")
        return base + dt.timedelta(days=int(days))
    if unit is not None:
        raise TypeError(f"a number takes no unit ({unit})")
    return base + sign * amount


def apply(name: str, args: list[Any]) -> Any:
    if name in CALENDAR:
        day = args[0].date() if isinstance(args[0], dt.datetime) else args[0]
        if name == "week_start":
            return day - dt.timedelta(days=day.weekday())
        first = day.replace(day=1)
        return first if name == "month_start" else add_months(first, 1) - dt.timedelta(days=1)
    if name == "floor":
        return math.floor(args[0])
    if name == "ceil":
        return math.ceil(args[0])
    if name == "round":
        return round(args[0], int(args[1])) if len(args) > 1 else round(args[0])
    if name == "abs":
        return abs(args[0])
    return min(args) if name == "min" else max(args)


def next_shift(time: dt.datetime, pattern: dict[str, tuple[dt.time, dt.time]],
               zone: dt.tzinfo) -> tuple[str, dt.datetime, dt.datetime] | None:
    """The first shift of a shift pattern (shift -> start and end clock times in the site's zone)
    that starts after `time`, as (name, start, end); a shift ending at or before its start ends
    the next day. None without a pattern. A shift starting exactly at `time` is the one running
    then, not the next."""
    local = time.astimezone(zone)
    found: list[tuple[dt.datetime, str, dt.datetime]] = []
    for days in (0, 1):
        day = local.date() + dt.timedelta(days=days)
        for name, (start_at, end_at) in pattern.items():
            start = dt.datetime.combine(day, start_at, tzinfo=zone)
            end = dt.datetime.combine(day, end_at, tzinfo=zone)
            if end <= start:
                end += dt.timedelta(days=1)
            if start > time:
                found.append((start, name, end))
    if not found:
        return None
    start, name, end = min(found)
    return name, start, end


Site: TypeAlias = Callable[[dt.datetime], "tuple[str, dt.datetime, dt.datetime] | None"]


def evaluate(expr: Any, resolve: Any, site: Site | None = None) -> Any:
    """The value of an expression; `resolve(ref)` gives each reference's value (None when a fact
    lacks the field: then the whole value is None); `site(time)` the next shift of the site's
    pattern after a time (None: no pattern)."""
    if isinstance(expr, (Param, Now, FieldRef, CountRef)):
        return decimal(resolve(expr))
    if isinstance(expr, (int, float, Decimal)):
        return decimal(expr)
    if isinstance(expr, Neg):
        value = evaluate(expr.value, resolve, site)
        return None if value is None else -value
    if isinstance(expr, Call):
        args = [evaluate(a, resolve, site) for a in expr.args]
        if any(a is None for a in args):
            return None
        if expr.name in SHIFTS:
            found = site(args[0]) if site is not None and isinstance(args[0], dt.datetime) else None
            return None if found is None else found[SHIFTS.index(expr.name)]
        return decimal(apply(expr.name, args))
    assert isinstance(expr, Op)
    left, right = evaluate(expr.left, resolve, site), evaluate(expr.right, resolve, site)
    if left is None or right is None:
        return None
    if expr.op in "+-":
        return shift(left, expr.op, right, expr.unit)
    if expr.op == "*":
        return left * right
    if right == 0:
        return None  # a share of nothing: unknown, said as absent
    return left / right


def plain(value: Any) -> Any:
    """A computed value as a fact field holds it (decimals back to int or float)."""
    if isinstance(value, list):
        return [plain(v) for v in value]
    return number(value)
