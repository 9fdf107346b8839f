"""Facts in: read from JSON, JSONL or YAML, checked against the declared fact types, given ids,
and encoded for the engine on event time (epoch seconds and days, never the wall clock).
"""
from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeAlias
from zoneinfo import ZoneInfo

from . import limits
from .documents import parse, read_text
from .expressions import next_shift
from .models import RESERVED, Fact, canonical
from .problems import FactError, FactsInvalid, SourceError, Where

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
# A part of a date or time field, in the site's zone, is encoded under "field@part" (only for
# the fields a loaded rule reads so): clock (seconds after midnight), date (epoch days), year,
# month ("2026-03"), and md, the calendar key months and years are compared on: months since
# year 0 times 100 plus the day; md+N (md-N) is the key of the date N months later (earlier),
# the day clamped to that month's last, for a condition comparing a date with `$a.date ± N mo`.
PART_KEY = "@"
DEFAULT_TIMEZONE = "Asia/Jakarta"  # WIB; a site config names its own (WITA, WIT)

# A facts file's items as written, each with its place: a record is checked later (FactTypes),
# so it may be anything JSON or YAML holds.
Records: TypeAlias = list[tuple[Where, Any]]
# A declared field's converter: value as given -> (normalised value, engine value).
Converter: TypeAlias = Callable[[Any], tuple[Any, Any]]


def read_files(paths: Iterable[Path | str], results: bool = False) -> Records:
    """The records of several files (see read_records), every problem of every file reported
    together."""
    records: Records = []
    problems: list[FactError] = []
    for path in paths:
        try:
            records += read_records(path, results)
        except FactsInvalid as exc:
            problems += exc.problems
            records += exc.records
        except FactError as exc:
            problems.append(exc)
    if problems:
        raise FactsInvalid(problems, records)
    return records


def read_records(path: Path | str, results: bool = False) -> Records:
    """Records of a facts file (JSON list or object with 'facts', JSONL, or YAML), with positions.
    A record without a `source` gets one naming the file and its row (line, or record number),
    so an auditor can find the evidence. An empty file (nothing but white space) holds no facts,
    in every format: a detector that found nothing writes one. With `results`, a JSON file may
    also be an earlier result (`patuh eval --format json`): its evidence and derived facts."""
    records = read_items(Path(path), results)
    for n, (where, record) in enumerate(records, 1):
        if isinstance(record, dict) and record.get("source") is None:
            record["source"] = {"file": str(path), "row": where.line or n}
    return records


class _DuplicateKey(ValueError):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key given twice (json would keep the last and lose the first)."""
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return found


_DECODER = json.JSONDecoder(object_pairs_hook=_object)


def _json(text: str, where: Where) -> Any:
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        line = where.line + exc.lineno - 1 if where.line else exc.lineno
        raise FactError(Where(where.file, line, exc.colno), f"invalid JSON: {exc.msg}") from None
    except _DuplicateKey as exc:
        raise FactError(where, f"invalid JSON: key {exc.args[0]!r} given twice in one object (one value would "
                               "be lost)") from None
    except RecursionError:
        raise FactError(where, f"nested deeper than patuh reads (at most {limits.MAX_DEPTH} levels)") from None


def read_items(path: Path, results: bool = False) -> Records:
    """The items of a facts file as written (read_records adds their sources), with positions;
    what patuh.rows reads records with."""
    name = str(path)
    if path.is_dir() or not (path.exists() or path.is_symlink()):
        raise FactError(Where(name), f"cannot read facts file: {'a folder' if path.is_dir() else 'no such file'}")
    if path.suffix not in (".jsonl", ".json", ".yaml", ".yml"):
        raise FactError(Where(name), "unknown facts format: expected .json, .jsonl, .yaml or .yml")
    try:
        text = read_text(path, limits.MAX_FACTS_BYTES, "facts file")
    except SourceError as exc:
        raise FactError(exc.where, exc.message) from None
    return parse_records(text, name, path.suffix.lstrip(".").replace("yml", "yaml"), results)


def parse_records(text: str, name: str, kind: str, results: bool = False, single: bool = False) -> Records:
    """The items of a facts text as written, with positions: `kind` is jsonl, json or yaml. What
    a facts file is read with, and what `patuh serve` reads a request's body with. `single`: a
    JSON object with a `type` is one fact (a webhook's body)."""
    if not text.strip():
        return []
    if kind == "jsonl":  # every bad line is reported, not only the first
        records: Records = []
        problems: list[FactError] = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    records.append((Where(name, n, 1), _json(line, Where(name, n, 1))))
                except FactError as exc:
                    problems.append(exc)
        if problems:
            raise FactsInvalid(problems, records)
        return records
    if kind == "json":
        data = _json(text, Where(name))
        if results and isinstance(data, dict) and "findings" in data:
            return _result_records(data, name)
        if single and isinstance(data, dict) and "type" in data and "facts" not in data:
            return [(Where(f"{name} record 1"), data)]
        items = data.get("facts") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise FactError(Where(name, 1, 1), "expected a list of facts, or an object with a 'facts' list")
        return [(Where(f"{name} record {i + 1}"), item) for i, item in enumerate(items)]
    doc = parse(text, name)
    items = doc.data.get("facts") if isinstance(doc.data, dict) else doc.data
    if not isinstance(items, list):
        raise FactError(doc.where(()), "expected a list of facts, or a mapping with a 'facts' list")
    key = ("facts",) if isinstance(doc.data, dict) else ()
    return [(doc.where(key + (i,)), item) for i, item in enumerate(items)]


def _result_records(data: dict[str, Any], name: str) -> Records:
    """An earlier result's evidence (`facts`, by id) and derived facts, as history records."""
    evidence, derived = data.get("facts", {}), data.get("derived", [])
    if not isinstance(evidence, dict) or not isinstance(derived, list):
        raise FactError(Where(name), "a result's 'facts' must be a mapping of id to fact and its 'derived' a list")
    facts = list(evidence.values())
    facts += [{k: v for k, v in d.items() if k != "derived_from"} if isinstance(d, dict) else d for d in derived]
    return [(Where(f"{name} fact {i + 1}"), f) for i, f in enumerate(facts)]


def event_field(declaration: dict[str, Any]) -> str | None:
    """The field that dates a fact of a type: its `event`, else time, else date (None: none)."""
    fields = declaration["fields"]
    name = declaration.get("event") or ("time" if "time" in fields else "date" if "date" in fields else None)
    return name if name in fields else None


class FactTypes:
    """The declared fact types, and how to check and encode a record of each.

    Checking is the engine's hottest Python path (every fact, every run), so each type's fields
    get their converter once, and date and time text is parsed once per distinct value."""

    def __init__(self, declarations: dict[str, dict[str, Any]], timezone: str = DEFAULT_TIMEZONE,
                 shifts: dict[str, tuple[dt.time, dt.time]] | None = None):
        self.declarations = declarations  # type -> its declaration as facts.yaml writes it
        self.zone = ZoneInfo(timezone)
        self.shifts = shifts or {}  # the site's shift pattern: shift -> (start, end) clock times
        # kind -> field -> (converter, allowed values or None, declared type)
        self._fields: dict[str, dict[str, tuple[Converter, frozenset[Any] | None, str]]] = {
            kind: {name: (self._converter(spec), frozenset(spec["values"]) if spec.get("values") else None,
                          spec["type"]) for name, spec in decl["fields"].items()}
            for kind, decl in declarations.items()}
        self._order = {kind: list(decl["fields"]) for kind, decl in declarations.items()}
        self._required = {kind: [n for n, spec in decl["fields"].items() if spec.get("required")]
                          for kind, decl in declarations.items()}
        self._dates: dict[str | dt.date, tuple[dt.date, int]] = {}
        self._times: dict[str | dt.date, tuple[dt.datetime, int | float]] = {}
        self._parts: dict[str, list[tuple[str, str]]] = {}  # kind -> (field, part) rules read
        self._events = {kind: decl.get("event") for kind, decl in declarations.items()}
        self._shifted = {kind for kind, decl in declarations.items() if decl.get("shifts")}
        self._quick = {kind: self._quick_checker(kind) for kind in declarations}

    def read_parts(self, parts: set[tuple[str, str, str]]) -> None:
        """Encode these parts of (type, date or time field)s too, for the rules that read them."""
        self._parts = {}
        for kind, name, part in sorted(parts):
            self._parts.setdefault(kind, []).append((name, part))

    def part(self, value: dt.date, part: str) -> Any:
        """A part of a date or time in the site's zone, as the engine compares it (see PART_KEY)."""
        local = value.astimezone(self.zone) if isinstance(value, dt.datetime) else value
        if part == "clock":
            assert isinstance(local, dt.datetime)
            return local.hour * 3600 + local.minute * 60 + local.second
        day = local.date() if isinstance(local, dt.datetime) else local
        if part == "date":
            return day.toordinal() - EPOCH_ORDINAL
        if part == "year":
            return day.year
        if part == "month":
            return f"{day.year:04d}-{day.month:02d}"
        if part == "md":
            return (day.year * 12 + day.month - 1) * 100 + day.day
        # md+N: the key of the date N months later, on the month's last day when it has no such
        # day (31 January + 1 mo is 28 February, as derived values and due times have it)
        index = day.year * 12 + day.month - 1 + int(part[2:])
        year = index // 12
        last = calendar.monthrange(year, index % 12 + 1)[1] if 1 <= year <= 9999 else 31
        return index * 100 + min(day.day, last)

    def local(self, value: dt.date, part: str) -> Any:
        """A part of a date or time in the site's zone, as a rule's text or derived field holds it."""
        local = value.astimezone(self.zone) if isinstance(value, dt.datetime) else value
        day = local.date() if isinstance(local, dt.datetime) else local
        return {"date": day, "year": day.year, "month": f"{day.year:04d}-{day.month:02d}",
                "clock": local.strftime("%H:%M") if isinstance(local, dt.datetime) else None}[part]

    def check(self, record: Any, where: Where | str = "fact") -> dict[str, Any]:
        """A record as a normalised dict: typed values, an id. Raises FactError naming the field."""
        return self.check_encoded(record, where)[0]

    def check_encoded(self, record: Any, where: Where | str = "fact") -> tuple[dict[str, Any], dict[str, Any]]:
        """The normalised fact and its engine encoding (see encode), made in one pass."""
        if isinstance(record, Fact):
            record = record.model_dump(exclude_none=True)
        if not isinstance(record, dict):
            raise FactError(where, f"expected a fact (a mapping with 'type'), found {describe(record)}")
        kind = record.get("type")
        if not isinstance(kind, str) or kind not in self._fields:
            known = ", ".join(sorted(self.declarations))
            raise FactError(where, f"unknown fact type {kind!r}; the installed packs declare: {known}")
        quick = self._quick[kind](record)
        out, enc = quick if quick is not None else self._fields_of(kind, record, where)
        return self._completed(kind, record, out, enc, where)

    def _quick_checker(self, kind: str) -> Callable[[dict[str, Any]], tuple[dict[str, Any], dict[str, Any]] | None]:
        """A type's checker for the usual record, generated as Python source once per type: every
        field known, every value fitting, plain text and booleans checked inline and dates and
        times taken from the parsed ones when seen before. Anything else gives None, and the full
        check (_fields_of) says exactly what is wrong. A loop over the record's fields, looking up
        each one's way of checking, took 1.6 times as long (100k records: 0.46 s, now 0.29 s).
        Field names are written with repr, so no text of a declaration runs as code."""
        scope: dict[str, Any] = {"_longest": limits.MAX_TEXT, "_str": str, "_bool": bool,
                                 "_dates": self._dates, "_times": self._times, "_Wrong": (ValueError, TypeError,
                                                                                          OverflowError)}
        body = [f"    out = {{'type': {kind!r}}}", f"    enc = {{'type': {kind!r}}}", "    g = record.get",
                "    n = 0"]
        for i, (name, (convert, allowed, ftype)) in enumerate(self._fields[kind].items()):
            key = repr(name)
            body += [f"    v = g({key})", "    if v is not None:"]
            if ftype == "string" and allowed is None:
                body += ["        if type(v) is not _str or not v.isascii() or len(v) > _longest:",
                         "            return None", f"        out[{key}] = enc[{key}] = v"]
            else:
                scope[f"_convert{i}"] = convert
                conversion = ["        try:", f"            out[{key}], enc[{key}] = _convert{i}(v)",
                              "        except _Wrong:", "            return None"]
                if ftype in ("boolean", "string"):  # a choice of text (shift I, II), or a boolean, as given
                    given = "type(v) is _str and v.isascii() and len(v) <= _longest" if ftype == "string" \
                        else "type(v) is _bool"
                    body += [f"        if {given}:", f"            out[{key}] = enc[{key}] = v",
                             "        else:", *("    " + line for line in conversion)]
                elif ftype in ("date", "datetime"):  # the text seen before: its values, made once
                    cache = "_dates" if ftype == "date" else "_times"
                    body += [f"        known = {cache}.get(v) if type(v) is _str else None",
                             "        if known is not None:", f"            out[{key}], enc[{key}] = known",
                             "        else:", *("    " + line for line in conversion)]
                else:
                    body += conversion
                if allowed is not None:
                    scope[f"_allowed{i}"] = allowed
                    body += [f"        if out[{key}] not in _allowed{i}:", "            return None"]
            body.append("        n += 1")
            if name in self._required[kind]:
                body += ["    else:", "        return None"]
        # A field the type does not declare, or given as None, is left to the full check.
        reserved = " + ".join(f"({name!r} in record)" for name in RESERVED)
        body += [f"    if n + {reserved} != len(record):", "        return None", "    return out, enc"]
        source = "def check(record):\n" + "\n".join(body) + "\n"
        exec(compile(source, f"<patuh checker of {kind}>", "exec"), scope)  # noqa: S102 - names written with repr
        check: Callable[[dict[str, Any]], tuple[dict[str, Any], dict[str, Any]] | None] = scope["check"]
        return check

    def _fields_of(self, kind: str, record: dict[str, Any], where: Where | str
                   ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A record's fields checked one by one, every problem said (FactError)."""
        fields = self._fields[kind]
        out: dict[str, Any] = {"type": kind}
        enc: dict[str, Any] = {"type": kind}
        wrong: list[tuple[str | None, str]] = []  # (field, problem): every one, said in one line
        items = list(record.items())
        for name, value in items:
            if value is None or name in RESERVED:
                continue
            found = fields.get(name)
            if found is None and isinstance(value, dict) and value and self._splits(kind, name):
                # `amputation: {part: thumb, joint: tip}` for the fields amputation_part and
                # amputation_joint: a mapping is given as the fields its keys name
                unknown = [k for k in value if f"{name}_{k}" not in fields]
                if unknown:
                    wrong.append((name, f"{kind}.{name}: unknown key {unknown[0]!r}; expected: "
                                        f"{', '.join(sorted(k[len(name) + 1:] for k in self._splits(kind, name)))}"))
                else:
                    items += [(f"{name}_{k}", v) for k, v in value.items() if f"{name}_{k}" not in record]
                continue
            if found is None:
                wrong.append((name, f"{kind}: unknown field {name!r}; expected: {', '.join(sorted(fields))}"))
                continue
            convert, allowed, ftype = found
            try:
                out[name], enc[name] = convert(value)
            except (ValueError, TypeError, OverflowError) as exc:
                why = str(exc) if isinstance(exc, Unfit) else f"expected {EXPECTED[ftype]}, found {describe(value)}"
                wrong.append((name, f"{kind}.{name}: {why}"))
                continue
            if allowed is not None and out[name] not in allowed:
                wrong.append((name, f"{kind}.{name}: expected one of {', '.join(sorted(map(str, allowed)))}, "
                                    f"found {describe(value)}"))
        wrong += [(name, f"{kind}.{name}: missing ({fields[name][2]}, required)")
                  for name in self._required[kind] if name not in out and record.get(name) is None]
        if wrong:
            raise FactError(where, "; ".join(message for _, message in wrong), wrong)
        return out, enc

    def _completed(self, kind: str, record: dict[str, Any], out: dict[str, Any], enc: dict[str, Any],
                   where: Where | str) -> tuple[dict[str, Any], dict[str, Any]]:
        """A checked record's shift times, date and time parts, source and id."""
        if kind in self._shifted and self.shifts and "start" not in out and "end" not in out:
            self._shift_times(out, enc)
        for name, part in self._parts.get(kind, ()):
            if name in out:
                enc[name + PART_KEY + part] = self.part(out[name], part)
        source = record.get("source")
        if source is not None and not (type(source) is dict and _flat(source)):
            problem = _plain_problem(source, limits.MAX_LIST_DEPTH, mappings=True)
            if not isinstance(source, dict) or problem:
                raise FactError(where,
                                f"{kind}.source: {problem or 'expected a mapping (detector, file, row, ...)'}")
        if source is not None:
            out["source"] = canonical(source)
        given = record.get("id")
        if given is not None and given != "":
            try:
                given = _string(given)[0]
            except ValueError as exc:
                raise FactError(where, f"{kind}.id: {exc}") from None
            if given.startswith("~"):  # the engine's own facts (session start, batch ends, counts)
                raise FactError(where, f"{kind}.id: {given!r}: ids starting with ~ are the engine's own")
        out["id"] = given if given else f"{kind}:{_digest([enc.get(n) for n in self._order[kind]])}"
        enc["fid"] = "#" + out["id"]
        return out, enc

    def _splits(self, kind: str, name: str) -> list[str]:
        """The fields a mapping given under `name` is split into: those named `name_<key>`."""
        return [f for f in self._order[kind] if f.startswith(name + "_")]

    def _shift_times(self, out: dict[str, Any], enc: dict[str, Any]) -> None:
        """start and end from the site's shift pattern, for a record that names its date and
        shift but not when the shift ran (a night shift ends on the next day)."""
        clock = self.shifts.get(str(out.get("shift")))
        if clock is None or not isinstance(out.get("date"), dt.date):
            return
        start = dt.datetime.combine(out["date"], clock[0], tzinfo=self.zone)
        end = dt.datetime.combine(out["date"], clock[1], tzinfo=self.zone)
        if end <= start:
            end += dt.timedelta(days=1)
        for name, value in (("start", start), ("end", end)):
            out[name], enc[name] = self._datetime(value)

    def next_shift(self, time: dt.datetime) -> tuple[str, dt.datetime, dt.datetime] | None:
        """The first shift of the site's pattern starting after a time (name, start, end); None
        without a pattern (see expressions.next_shift)."""
        return next_shift(time, self.shifts, self.zone) if self.shifts else None

    def _converter(self, spec: dict[str, Any]) -> Converter:
        """value -> (normalised value, engine value) for one declared field type."""
        return {"string": _string, "number": _number, "integer": _integer, "boolean": _boolean, "list": _list,
                "date": self._date, "datetime": self._datetime}[spec["type"]]

    def _date(self, value: Any) -> tuple[dt.date, int]:
        if not isinstance(value, (str, dt.date)) or isinstance(value, dt.datetime):
            raise Unfit(f"expected {EXPECTED['date']}, found {describe(value)}")
        found = self._dates.get(value)
        if found is None:
            date = value if isinstance(value, dt.date) else parse_date(value)
            _in_range(date)
            found = (date, date.toordinal() - EPOCH_ORDINAL)
            if len(self._dates) < CACHE:
                self._dates[value] = found
        return found

    def _datetime(self, value: Any) -> tuple[dt.datetime, int | float]:
        if not isinstance(value, (str, dt.date)):
            raise Unfit(f"expected {EXPECTED['datetime']}, found {describe(value)}")
        found = self._times.get(value)
        if found is None:
            time = value if isinstance(value, dt.datetime) else parse_datetime(value) if isinstance(value, str) \
                else dt.datetime.combine(value, dt.time())  # a date alone (Excel's, YAML's) is its midnight
            _in_range(time)
            time = time if time.tzinfo else time.replace(tzinfo=self.zone)
            seconds = time.timestamp()
            found = (time, int(seconds) if seconds.is_integer() else seconds)
            if len(self._times) < CACHE:
                self._times[value] = found
        return found

    def event(self, fact: dict[str, Any]) -> dt.date | None:
        """When a fact happened: its type's `event` field, else its time, else its date."""
        name = self._events.get(fact["type"])
        value = (fact.get(name) if name else None) or fact.get("time") or fact.get("date")
        return value if isinstance(value, dt.date) else None

    def event_date(self, fact: dict[str, Any]) -> dt.date | None:
        """The local date a fact happened on, which picks the revision in force."""
        value = self.event(fact)
        return value.astimezone(self.zone).date() if isinstance(value, dt.datetime) else value

    def instant(self, value: dt.date) -> dt.datetime:
        """A date or time as an instant: a date is its local midnight."""
        return value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time(), tzinfo=self.zone)


CACHE = 200_000  # distinct date/time texts remembered per engine: a site-year of timestamps


# What each type reads, said in every message about a value that does not fit: the same words
# for a facts file, a form's cell and an alarm report.
EXPECTED = {"string": "text", "number": "a number, e.g. 6.5 or 6,5", "integer": "a whole number, e.g. 7",
            "boolean": "yes or no (Ya/Tidak, Y/N, Yes/No, True/False, 1/0)", "list": "a list, e.g. [1, 2]",
            "date": "a date as 2026-03-02 or 02/03/2026 (day/month/year)",
            "datetime": "a date and time as 2026-03-02T05:30:00+08:00, 2026-03-02 05:30 or 02/03/2026 05:30"}


class Unfit(ValueError):
    """A value that does not fit its field, with the reason in words (else the message says what
    type was expected)."""


# Numbers written as text: plain ASCII decimal (float() would also take "1_000", "nan" and
# other scripts' digits, which no form means as a number).
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
# One separator, then exactly three digits, after a leading digit that is not 0 (0,125 is a decimal)
_THOUSANDS = re.compile(r"[+-]?[1-9]\d{0,2}[.,]\d{3}", re.ASCII)
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+", re.ASCII)  # 6,5: the decimal comma of an Indonesian spreadsheet
# Day first, the Indonesian order (02/03/2026 is 2 March), with an optional time. A month-first
# export is wrong wherever the day is 12 or less: it must be converted before, not guessed at.
_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?", re.ASCII)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_YEAR_FIRST = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})", re.ASCII)  # 2026/03/02: year first is never day first
# A month by name, as Indonesian and English registers write it: 3 Maret 2026, 03-Mar-2026. The
# year in four digits: a two-digit one would be a guess at the century.
_NAMED_DATE = re.compile(r"(\d{1,2})[ -]+([A-Za-z]+)[ -]+(\d{4})", re.ASCII)
MONTHS = {"januari": 1, "january": 1, "jan": 1, "februari": 2, "february": 2, "pebruari": 2, "feb": 2, "maret": 3,
          "march": 3, "mar": 3, "april": 4, "apr": 4, "mei": 5, "may": 5, "juni": 6, "june": 6, "jun": 6, "juli": 7,
          "july": 7, "jul": 7, "agustus": 8, "august": 8, "agu": 8, "aug": 8, "agt": 8, "september": 9, "sep": 9,
          "sept": 9, "oktober": 10, "october": 10, "okt": 10, "oct": 10, "november": 11, "nopember": 11, "nov": 11,
          "desember": 12, "december": 12, "des": 12, "dec": 12}
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?", re.ASCII)
_ISO_START = re.compile(r"\d{4}-?\d{2}-?\d{2}(?:[T ].*)?", re.ASCII | re.DOTALL)
# A date and a clock time, the clock with a colon or a dot (pukul 13.00, 05.30), seconds optional.
_DATE_AND_CLOCK = re.compile(r"(?P<date>.+?)[ T](?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?:[:.](?P<second>\d{2}))?",
                             re.ASCII)
# What Python's fromisoformat would read wrongly: a fraction after the hour or the minute (05.5,
# 05:30.5) is taken as one of a second (05:00:00.5), where ISO means half an hour (or minute).
_FRACTION = re.compile(r"[ T]\d{2}(?::?\d{2})?[.,]\d", re.ASCII)
# Indonesia's zones by their names (no daylight saving: each is one offset)
ZONES = {"WIB": dt.timezone(dt.timedelta(hours=7)), "WITA": dt.timezone(dt.timedelta(hours=8)),
         "WIT": dt.timezone(dt.timedelta(hours=9))}
_ZONE_NAME = re.compile(r"\s*\b(WIB|WITA|WIT)$", re.ASCII | re.IGNORECASE)
EXACT_FLOAT = 2**53  # beyond it a float no longer holds every integer: keep it a float


def describe(value: Any) -> str:
    """A value as a message quotes it: text in quotes, a cell's date, time or duration as a sheet
    shows it, anything else named by its kind (never Python's repr of a date)."""
    if type(value) is str:  # its quotes say it is text
        return repr(value)
    if isinstance(value, (dt.date, dt.time)):  # an Excel cell's date or time, or YAML's
        what = "date and time" if isinstance(value, dt.datetime) else "date" if isinstance(value, dt.date) else "time"
        return f"the {what} {value.isoformat()}"
    if isinstance(value, dt.timedelta):  # a cell formatted [h]:mm
        total = int(value.total_seconds())
        hours, seconds = divmod(abs(total), 3600)
        return (f"the duration {'-' if total < 0 else ''}{hours}:{seconds // 60:02d}"
                + (f":{seconds % 60:02d}" if seconds % 60 else ""))
    kind = {dict: "a mapping", list: "a list", bool: "true/false", int: "the number",
            float: "the number"}.get(type(value))
    return f"{kind} {value!r}" if kind else f"{type(value).__name__} {value!r}"


def _decimal(text: str) -> str | None:
    """Plain decimal text, with a point or a decimal comma, written with a point; else None.
    Unfit when it could be either: 1.000 is a thousand as Indonesian writes it and 1 in English."""
    text = text.strip()
    if _THOUSANDS.fullmatch(text):
        whole, decimal = text.replace(".", "").replace(",", ""), text.replace(",", ".")
        raise Unfit(f"{text!r} could be {whole} or {decimal}: a point or comma before three digits marks thousands "
                    "in one way of writing numbers and decimals in the other; write it without a thousands separator")
    if _DECIMAL_COMMA.fullmatch(text):
        return text.replace(",", ".")
    return text if _NUMBER.fullmatch(text) else None


def parse_date(text: str) -> dt.date:
    """A date as text: ISO, day first (02/03/2026), year first with slashes, or with the month's
    name; Unfit (a ValueError) saying why when it is none."""
    plain = text.strip()
    found = _DAY_FIRST.fullmatch(plain)
    day_first = found if found is not None and found[4] is None else None  # a date without a time
    named = _NAMED_DATE.fullmatch(plain)
    named = named if named is not None and named[2].lower() in MONTHS else None
    year_first = _YEAR_FIRST.fullmatch(plain)
    try:
        if day_first:
            return dt.date(int(day_first[3]), int(day_first[2]), int(day_first[1]))
        if named:
            return dt.date(int(named[3]), MONTHS[named[2].lower()], int(named[1]))
        if year_first:
            return dt.date(int(year_first[1]), int(year_first[2]), int(year_first[3]))
        return dt.date.fromisoformat(plain)  # 2026-03-02, and ISO's other forms Python reads (20260302)
    except ValueError as exc:
        if day_first or named or year_first:  # 31/02/2026: the form of a date, but no such day
            raise Unfit(f"no such date ({exc}), found {text!r}") from None
        if _ISO_DATE.fullmatch(plain):  # 2024-02-30: as a spreadsheet's ISO export writes one
            raise Unfit(f"expected a date that exists, found {text!r} (no such date: {exc})") from None
        raise Unfit(f"expected {EXPECTED['date']}, found {text!r}") from None


def parse_datetime(text: str) -> dt.datetime:
    """A date and time as text: ISO, or a date as `parse_date` reads it and a clock time with a
    colon or, as Indonesian forms write it, a dot (05.30); a zone as an offset or WIB, WITA, WIT
    (none: the site's, applied by the caller)."""
    plain = text.strip()
    if _ISO_TIME.fullmatch(plain):  # the usual export, read ten times faster than the forms below
        try:
            return dt.datetime.fromisoformat(plain)
        except ValueError:
            pass  # no such day or hour: said below
    named_zone = _ZONE_NAME.search(plain)
    if named_zone:
        plain = plain[:named_zone.start()]
    local = _DATE_AND_CLOCK.fullmatch(plain)
    if local:
        day = parse_date(local["date"])
        try:
            time = dt.datetime(day.year, day.month, day.day, int(local["hour"]), int(local["minute"]),
                               int(local["second"] or 0))
        except ValueError as exc:  # 02/03/2026 25:00
            raise Unfit(f"no such date and time ({exc}), found {text!r}") from None
    elif (alone := _date_alone(plain)) is not None:  # its midnight, however the date is written (as ISO's is)
        time = dt.datetime.combine(alone, dt.time())
    elif _FRACTION.search(plain):
        raise Unfit(f"a fraction of an hour or a minute is not read as a clock time, found {text!r}; write "
                    "05:30 or 05.30, with seconds 05:30:15")
    else:
        try:
            if not _ISO_START.fullmatch(plain):  # fromisoformat takes any character after the date
                raise ValueError(plain)
            time = dt.datetime.fromisoformat(plain)
        except ValueError:
            raise Unfit(f"expected {EXPECTED['datetime']}, found {text!r}") from None
    if named_zone:
        zone = ZONES[named_zone[1].upper()]
        if time.tzinfo is not None and time.utcoffset() != zone.utcoffset(None):
            raise Unfit(f"two zones that differ, found {text!r}")
        time = time.replace(tzinfo=zone)
    return time


def _date_alone(text: str) -> dt.date | None:
    try:
        return parse_date(text)
    except Unfit:
        return None


def time_or_date(text: str) -> dt.datetime | dt.date:
    """An evaluation time given as text (--as-of, a pack test's as_of): a date alone, ISO
    (2026-03-02), or a date and time as facts give them. ValueError when it is neither."""
    day = _date_alone(text)
    return day if day is not None else parse_datetime(text)


def _string(value: Any) -> tuple[str, str]:
    if type(value) is str:
        problem = limits.text_problem(value)
        if problem:
            raise Unfit(problem)
        return value, value
    if type(value) is int:  # an id or hull number written without quotes: its digits are its text
        text = str(value)
        return text, text
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):  # YAML read 2026-03-02 as a date
        text = value.isoformat()
        return text, text
    hint = "; write it in quotes" if isinstance(value, (float, bool)) else ""
    raise Unfit(f"expected text, found {describe(value)}{hint}")


def _number(value: Any) -> tuple[int | float, int | float]:
    kind = type(value)
    if kind is int:
        _checked(value)
        return value, value
    if kind is float:
        number = value
    elif kind is str and (text := _decimal(value)) is not None:
        if _INTEGER.fullmatch(text):  # exactly, however many digits ("4" and 4 are one fact)
            return _number(int(text))
        number = float(text)
    else:
        raise Unfit(f"expected {EXPECTED['number']}, found {describe(value)}")
    _checked(number)
    number = int(number) if number.is_integer() and abs(number) < EXACT_FLOAT else number  # 4 and 4.0 are one fact
    return number, number


def _integer(value: Any) -> tuple[int, int]:
    given, kind = value, type(value)
    if kind is str and (text := _decimal(value)) is not None:  # "7", "7.0" and "7,0" are 7, as 7.0 is
        value, kind = (int(text), int) if _INTEGER.fullmatch(text) else (float(text), float)
    if kind is int:
        number = value
    elif kind is float and value.is_integer() and abs(value) < EXACT_FLOAT:
        number = int(value)
    else:
        raise Unfit(f"expected {EXPECTED['integer']}, found {describe(given)}")
    _checked(number)
    return number, number


def _checked(number: int | float) -> None:
    problem = limits.number_problem(number)
    if problem:
        raise Unfit(problem)


def _boolean(value: Any) -> tuple[bool, bool]:
    if type(value) is bool:
        return value, value
    if type(value) in (str, int):
        text = str(value).strip().lower()
        if text in YES:
            return True, True
        if text in NO:
            return False, False
    raise Unfit(f"expected {EXPECTED['boolean']}, found {describe(value)}")


# The one yes/no vocabulary of patuh: facts files, forms, alarm reports and registers read the
# same words. "T" is neither: it reads as Tidak on an Indonesian form and as True elsewhere.
YES = frozenset({"true", "yes", "ya", "y", "1"})
NO = frozenset({"false", "no", "tidak", "tdk", "n", "0"})


def _list(value: Any) -> tuple[list[Any], list[Any]]:
    if type(value) is str:  # a spreadsheet cell holds a list as JSON text: [1520, 1622]
        try:
            found = _DECODER.decode(value)
        except (ValueError, RecursionError):
            found = None
        value = found if isinstance(found, list) else value
    if not isinstance(value, list):
        raise Unfit(f"expected {EXPECTED['list']}, found {describe(value)}")
    problem = _plain_problem(value, limits.MAX_LIST_DEPTH, mappings=False)
    if problem:
        raise Unfit(problem)
    return value, value


def _flat(source: dict[str, Any]) -> bool:
    """Whether a source holds only ASCII text and 64-bit whole numbers, as the readers write it
    ({file, line}, {file, sheet, row}): fit without the walk of _plain_problem, which was a
    fifth of checking a file's records."""
    for value in source.values():
        kind = type(value)
        if not (kind is str and value.isascii() and len(value) <= limits.MAX_TEXT
                or kind is int and -limits.MAX_INT <= value <= limits.MAX_INT):
            return False
    return True


def _plain_problem(value: Any, max_depth: int, mappings: bool) -> str | None:
    """Why a nested value (a list field, a source) cannot be kept and compared as it is: nesting
    beyond max_depth, a mapping where only lists may nest, text or numbers out of bounds."""
    if limits.depth(value, max_depth) > max_depth:
        return f"nested more than {max_depth} levels deep"
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict) and mappings:
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            problem = limits.text_problem(item)
            if problem:
                return problem
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            problem = limits.number_problem(item)
            if problem:
                return problem
        elif not (item is None or isinstance(item, bool)):
            return f"holds {describe(item)}; expected text, numbers, true/false and lists of them"
    return None


def _in_range(value: dt.date) -> None:
    problem = limits.date_problem(value)
    if problem:
        raise Unfit(problem)


def _digest(values: list[Any]) -> str:
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
