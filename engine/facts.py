"""Facts in: read from JSON, JSONL or YAML, checked against the declared fact types, given ids,
and encoded for the engine on event time (epoch seconds and days, never the wall clock).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .models import RESERVED, Fact, canonical
from .rules import CLOCK_KEY
from .yamlsource import SourceError, Where, load

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
DEFAULT_TIMEZONE = "Asia/Jakarta"  # WIB; a site config names its own (WITA, WIT)


class FactError(SourceError):
    """A fact that does not fit its declared type, with the file and record it came from."""


def read_records(path: Path | str) -> list[tuple[Where, dict]]:
    """Records of a facts file (JSON list or object with 'facts', JSONL, or YAML), with positions.
    A record without a `source` gets one naming the file and its row (line, or record number),
    so an auditor can find the evidence."""
    records = _read(Path(path))
    for n, (where, record) in enumerate(records, 1):
        if isinstance(record, dict) and record.get("source") is None:
            record["source"] = {"file": str(path), "row": where.line or n}
    return records


def _read(path: Path) -> list[tuple[Where, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FactError(Where(str(path)), f"cannot read facts file: {exc}") from None
    name = str(path)
    if path.suffix == ".jsonl":
        records = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append((Where(name, n, 1), json.loads(line)))
            except json.JSONDecodeError as exc:
                raise FactError(Where(name, n, exc.colno), f"invalid JSON: {exc.msg}") from None
        return records
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FactError(Where(name, exc.lineno, exc.colno), f"invalid JSON: {exc.msg}") from None
        items = data.get("facts") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise FactError(Where(name, 1, 1), "expected a list of facts, or an object with a 'facts' list")
        return [(Where(f"{name} record {i + 1}"), item) for i, item in enumerate(items)]
    if path.suffix in (".yaml", ".yml"):
        doc = load(path)
        items = doc.data.get("facts") if isinstance(doc.data, dict) else doc.data
        if not isinstance(items, list):
            raise FactError(doc.where(()), "expected a list of facts, or a mapping with a 'facts' list")
        key = ("facts",) if isinstance(doc.data, dict) else ()
        return [(doc.where(key + (i,)), item) for i, item in enumerate(items)]
    raise FactError(Where(name), "unknown facts format: expected .json, .jsonl, .yaml or .yml")


class FactTypes:
    """The declared fact types, and how to check and encode a record of each.

    Checking is the engine's hottest Python path (every fact, every run), so each type's fields
    get their converter once, and date and time text is parsed once per distinct value."""

    def __init__(self, declarations: dict[str, dict], timezone: str = DEFAULT_TIMEZONE):
        self.declarations = declarations
        self.zone = ZoneInfo(timezone)
        # kind -> field -> (converter, allowed values or None, declared type)
        self._fields = {kind: {name: (self._converter(spec), frozenset(spec["values"]) if spec.get("values") else None,
                                      spec["type"]) for name, spec in decl["fields"].items()}
                        for kind, decl in declarations.items()}
        self._order = {kind: list(decl["fields"]) for kind, decl in declarations.items()}
        self._required = {kind: [n for n, spec in decl["fields"].items() if spec.get("required")]
                          for kind, decl in declarations.items()}
        self._dates: dict[Any, tuple] = {}
        self._times: dict[Any, tuple] = {}
        self._clocks: dict[str, list[str]] = {}  # kind -> datetime fields whose clock time rules read

    def read_clocks(self, fields: set[tuple[str, str]]) -> None:
        """Encode the local clock time of these (type, datetime field)s too, for `.clock` tests."""
        self._clocks = {}
        for kind, name in sorted(fields):
            self._clocks.setdefault(kind, []).append(name)

    def check(self, record: Any, where: Where | str = "fact") -> dict:
        """A record as a normalised dict: typed values, an id. Raises FactError naming the field."""
        return self.check_encoded(record, where)[0]

    def check_encoded(self, record: Any, where: Where | str = "fact") -> tuple[dict, dict]:
        """The normalised fact and its engine encoding (see encode), made in one pass."""
        if isinstance(record, Fact):
            record = record.model_dump(exclude_none=True)
        if not isinstance(record, dict):
            raise FactError(_where(where), f"expected a fact (a mapping with 'type'), found {type(record).__name__}")
        kind = record.get("type")
        fields = self._fields.get(kind)
        if fields is None:
            known = ", ".join(sorted(self.declarations))
            raise FactError(_where(where), f"unknown fact type {kind!r}; the installed packs declare: {known}")
        out: dict[str, Any] = {"type": kind}
        enc: dict[str, Any] = {"type": kind}
        for name, value in record.items():
            if value is None or name in RESERVED:
                continue
            found = fields.get(name)
            if found is None:
                raise FactError(_where(where), f"{kind}: unknown field {name!r}; expected: {', '.join(sorted(fields))}")
            convert, allowed, ftype = found
            try:
                out[name], enc[name] = convert(value)
            except (ValueError, TypeError, OverflowError):
                raise FactError(_where(where), f"{kind}.{name}: expected a {ftype}, found {value!r}") from None
            if allowed is not None and out[name] not in allowed:
                raise FactError(_where(where), f"{kind}.{name}: {value!r} is not one of "
                                               f"{', '.join(sorted(map(str, allowed)))}")
        for name in self._required[kind]:
            if name not in out:
                raise FactError(_where(where), f"{kind}: missing required field {name!r} ({fields[name][2]})")
        for name in self._clocks.get(kind, ()):
            if name in out:
                local = out[name].astimezone(self.zone)
                enc[name + CLOCK_KEY] = local.hour * 3600 + local.minute * 60 + local.second
        if record.get("source") is not None:
            out["source"] = canonical(record["source"])
        given = record.get("id")
        out["id"] = str(given) if given else f"{kind}:{_digest([enc.get(n) for n in self._order[kind]])}"
        enc["fid"] = "#" + out["id"]
        return out, enc

    def _converter(self, spec: dict):
        """value -> (normalised value, engine value) for one declared field type."""
        return {"string": _string, "number": _number, "integer": _integer, "boolean": _boolean, "list": _list,
                "date": self._date, "datetime": self._datetime}[spec["type"]]

    def _date(self, value: Any) -> tuple:
        found = self._dates.get(value) if not isinstance(value, dt.datetime) else None
        if found is None:
            if isinstance(value, dt.datetime):
                raise ValueError
            date = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
            found = (date, date.toordinal() - EPOCH_ORDINAL)
            if len(self._dates) < CACHE:
                self._dates[value] = found
        return found

    def _datetime(self, value: Any) -> tuple:
        found = self._times.get(value)
        if found is None:
            time = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
            time = time if time.tzinfo else time.replace(tzinfo=self.zone)
            seconds = time.timestamp()
            found = (time, int(seconds) if seconds.is_integer() else seconds)
            if len(self._times) < CACHE:
                self._times[value] = found
        return found

    def event_date(self, fact: dict) -> dt.date | None:
        """The local date a fact happened on, which picks the revision in force."""
        time = fact.get("time")
        if isinstance(time, dt.datetime):
            return time.astimezone(self.zone).date()
        date = fact.get("date")
        return date if isinstance(date, dt.date) else None


CACHE = 200_000  # distinct date/time texts remembered per engine: a site-year of timestamps


def _string(value: Any) -> tuple:
    value = value if type(value) is str else str(value)
    return value, value


def _number(value: Any) -> tuple:
    kind = type(value)
    if kind is int:
        return value, value
    if kind is bool:
        raise ValueError
    number = float(value)
    if not math.isfinite(number):
        raise ValueError  # NaN or Infinity: no count of hours or km/h
    number = int(number) if number.is_integer() else number  # 4, 4.0 and "4" are one fact
    return number, number


def _integer(value: Any) -> tuple:
    if type(value) is bool:
        raise ValueError
    number = value if type(value) is int else int(str(value))
    return number, number


def _boolean(value: Any) -> tuple:
    if type(value) is bool:
        return value, value
    text = str(value).strip().lower()
    if text in ("true", "yes", "ya", "1"):
        return True, True
    if text in ("false", "no", "tidak", "0"):
        return False, False
    raise ValueError


def _list(value: Any) -> tuple:
    if not isinstance(value, list):
        raise ValueError
    return value, value


def _digest(values: list) -> str:
    """A stable content id from the encoded values in the declared field order: the same fact,
    however written (4 or "4.0", +08:00 or WITA, fields in any order), gets the same id in every
    run of the same pack version."""
    return hashlib.blake2b(repr(values).encode(), digest_size=8).hexdigest()


def encode_value(value: Any) -> Any:
    """A literal as the engine compares it: times as epoch seconds, dates as epoch days."""
    if isinstance(value, dt.datetime):
        seconds = value.timestamp()
        return int(seconds) if seconds.is_integer() else seconds
    if isinstance(value, dt.date):
        return value.toordinal() - EPOCH_ORDINAL
    return value


def _where(where) -> Where:
    return where if isinstance(where, Where) else Where(str(where))
