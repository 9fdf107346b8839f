"""Facts in: read from JSON, JSONL or YAML, checked against the declared fact types, given ids,
and encoded for the engine on event time (epoch seconds and days, never the wall clock).
"""
from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .models import RESERVED, Fact, canonical, content_id
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
    """The declared fact types, and how to check and encode a record of each."""

    def __init__(self, declarations: dict[str, dict], timezone: str = DEFAULT_TIMEZONE):
        self.declarations = declarations
        self.zone = ZoneInfo(timezone)

    def check(self, record: Any, where: Where | str = "fact") -> dict:
        """A record as a normalised dict: typed values, an id. Raises FactError naming the field."""
        if isinstance(record, Fact):
            record = record.model_dump(exclude_none=True)
        if not isinstance(record, dict):
            raise FactError(_where(where), f"expected a fact (a mapping with 'type'), found {type(record).__name__}")
        kind = record.get("type")
        decl = self.declarations.get(kind)
        if decl is None:
            known = ", ".join(sorted(self.declarations))
            raise FactError(_where(where), f"unknown fact type {kind!r}; the installed packs declare: {known}")
        out: dict[str, Any] = {"type": kind}
        fields = decl["fields"]
        for name, value in record.items():
            if name in RESERVED:
                continue
            spec = fields.get(name)
            if spec is None:
                raise FactError(_where(where), f"{kind}: unknown field {name!r}; expected: {', '.join(sorted(fields))}")
            if value is not None:
                out[name] = self._value(kind, name, spec, value, where)
        for name, spec in fields.items():
            if spec.get("required") and out.get(name) is None:
                raise FactError(_where(where), f"{kind}: missing required field {name!r} ({spec['type']})")
        if record.get("source") is not None:
            out["source"] = canonical(record["source"])
        out["id"] = str(record.get("id") or content_id(f"{kind}:", {k: v for k, v in out.items() if k != "source"}))
        return out

    def _value(self, kind: str, name: str, spec: dict, value: Any, where) -> Any:
        ftype = spec["type"]
        try:
            if ftype == "datetime":
                value = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
                return value if value.tzinfo else value.replace(tzinfo=self.zone)
            if ftype == "date":
                if isinstance(value, dt.datetime):
                    raise ValueError
                return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
            if ftype == "boolean":
                if isinstance(value, bool):
                    return value
                if str(value).strip().lower() in ("true", "yes", "ya", "1"):
                    return True
                if str(value).strip().lower() in ("false", "no", "tidak", "0"):
                    return False
                raise ValueError
            if ftype in ("number", "integer"):
                if isinstance(value, bool):
                    raise ValueError
                if ftype == "integer":
                    return int(str(value))
                number = float(value)
                if not math.isfinite(number):
                    raise ValueError  # NaN or Infinity: no count of hours or km/h
                return int(number) if number.is_integer() else number  # 4, 4.0 and "4" are one fact
            if ftype == "list":
                if not isinstance(value, list):
                    raise ValueError
                return value
            value = str(value)
        except (ValueError, TypeError):
            raise FactError(_where(where), f"{kind}.{name}: expected a {ftype}, found {value!r}") from None
        allowed = spec.get("values")
        if allowed and value not in allowed:
            raise FactError(_where(where), f"{kind}.{name}: {value!r} is not one of {', '.join(map(str, allowed))}")
        return value

    def event_date(self, fact: dict) -> dt.date | None:
        """The local date a fact happened on, which picks the revision in force."""
        time = fact.get("time")
        if isinstance(time, dt.datetime):
            return time.astimezone(self.zone).date()
        date = fact.get("date")
        return date if isinstance(date, dt.date) else None


def encode(fact: dict) -> dict:
    """The engine's view of a fact: times as epoch seconds, dates as epoch days, and the id as
    `fid` (see compiler.FID; the runtime gives each fact its durable_rules `id`)."""
    out = {}
    for name, value in fact.items():
        if name == "source":
            continue
        if name == "id":
            out["fid"] = "#" + value
            continue
        if isinstance(value, dt.datetime):
            seconds = value.timestamp()
            out[name] = int(seconds) if seconds.is_integer() else seconds
        elif isinstance(value, dt.date):
            out[name] = value.toordinal() - EPOCH_ORDINAL
        else:
            out[name] = value
    return out


def encode_value(value: Any) -> Any:
    return encode({"v": value})["v"]


def _where(where) -> Where:
    return where if isinstance(where, Where) else Where(str(where))
