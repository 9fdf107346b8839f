"""Forms detector: a site's filled-in forms and registers (and the roster) -> fact records of one
declared type, each checked by patuh's own fact checker (patuh.fact_types, from the installed
packs' declarations), with `source` {detector: "forms", file, row}.

    patuh detect forms kesiapan-kerja.xlsx --type readiness_form --config site.yaml > forms.jsonl

Files are read by patuh.rows: `.csv` (a header row, `,` or `;`, UTF-8 with or without a BOM),
`.xlsx` (the first sheet, or --sheet; Excel's dates and numbers as they are), `.json`, `.jsonl`
and `.yaml` (records, read as `patuh eval` reads facts files; a record may omit `type`, and one
naming another type than `--type` is an error). A row's number is the one a spreadsheet shows
(the header is row 1). A row whose cells are all empty is skipped; any other row becomes a fact
or an error.

Columns (keys) are matched to the type's declared fields with case, spaces and punctuation
folded ("Sleep Hours" -> sleep_hours), then to the aliases each field declares in its pack's
facts.yaml (NIK, Tanggal, Jam Tidur, No Lambung, ...), and `--map COLUMN=FIELD` comes before
both. A column that matches no field is an error unless `--ignore COLUMN` names it: data is
never dropped unseen. A required field with no column is one error for the file.

Values go to the fact checker as the cells hold them, and it reads what site spreadsheets write
(empty means absent): Ya/Tidak, Y/N, Yes/No, True/False, 1/0 ("T" is refused: Tidak or True?);
dates 2026-03-02 or day first 02/03/2026; date-times ISO or 02/03/2026 05:30[:SS], without a zone
in the site config's (default Asia/Jakarta); numbers 6.5 or 6,5; lists as JSON, [1, 2].

Every problem of every file is collected (file, row, column, field, what was expected); any
problem means no facts at all (DetectError).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import patuh
from patuh.models import canonical
from patuh.plugins import hookimpl
from patuh.problems import FactError, SourceError
from patuh.rows import MONTHS, Row, column_key, describe, parse_date
from patuh.rows import read as read_rows

DETECTOR = "forms"
SKIP = "skip"  # what a reader's convert() returns for a row it leaves out on purpose


class DetectError(Exception):
    """Bad input: every problem found, one line each ("FILE:ROW:COLUMN: field: what was expected")."""

    def __init__(self, problems: list[str | SourceError]):
        self.problems = [str(p) for p in problems]
        super().__init__("\n".join(self.problems))


def fact_types(config: str | Path | dict | None = None):
    """patuh's own checker over the fact types the installed packs and plugins declare, reading
    times without a zone in the site config's time zone (see patuh.fact_types)."""
    return patuh.fact_types(config)


# -- rows -> facts ------------------------------------------------------------------------------

# A fact record's own keys, as a facts file or patuh's own output writes them, exactly: a sheet's
# "Type" or "ID" column is a column like any other (a unit's type, dropped unseen, lost 6.3.1.3).
RECORD_KEYS = frozenset({"type", "id", "source"})


class Columns:
    """How one file's columns map to a type's fields: the caller's `mapping` (--map) first, then
    the field's own name, then the aliases its declaration lists; `ignore` names columns left out
    on purpose."""

    def __init__(self, fields: dict[str, dict], mapping: dict[str, str] | None = None, ignore: Iterable[str] = ()):
        self.fields = fields
        self.aliases = {column_key(a): name for name, spec in fields.items() for a in spec.get("aliases") or ()}
        self.mapping = {column_key(k): v for k, v in (mapping or {}).items()}
        self.ignore = {column_key(c) for c in ignore}

    def field_of(self, column: Any) -> str | None:
        key = column_key(column)
        if key in self.mapping:
            return self.mapping[key] or None
        if key in self.ignore or column in RECORD_KEYS:
            return None
        return key if key in self.fields else self.aliases.get(key)

    def unknown(self, column: Any) -> bool:
        """Neither a field, nor left out on purpose (--ignore, --map COLUMN=, a record's type/id/source)."""
        key = column_key(column)
        return self.field_of(column) is None and key not in self.ignore and key not in self.mapping \
            and column not in RECORD_KEYS

    def fact_id(self, row: Row) -> Any:
        """The id a row gives its fact: its `id` key, unless the caller left that column out (a
        vendor's running number, 1, 2, ... in every day's report, is no fact's id)."""
        return None if "id" in self.ignore else row.cells.get("id")

    def column_of(self, row: Row, name: str) -> Any:
        """The row's column that gives field `name` (to point at), if any."""
        return next((c for c in row.cells if self.field_of(c) == name), None)

    def required(self) -> list[str]:
        return [n for n, spec in self.fields.items() if spec.get("required")]


# What a register writes in a text cell for "none": read as the empty cell it stands for (a Driver
# ID "-" was an employee named "-", and a report without its driver was not said to be incomplete).
# Numbers, dates, yes/no and a choice of values refuse it as before, or map it (an incident's cause).
NOTHING_WRITTEN = frozenset({"-", "\u2013", "\u2014"})


def to_facts(rows: list[Row], header: list[str], kind: str, types, columns: Columns, problems: list,
             detector: str = DETECTOR, convert=None) -> list[dict]:
    """Checked fact records from one file's rows. Problems (every one, with file, row, column
    and field) go to `problems`. `convert(row, record, problems, failed)` lets a reader rewrite
    values (vendor alert names) before the fact checker reads them: it adds the names of fields
    it reported a problem for to `failed`, and returns SKIP to leave the row out on purpose.
    A record that already carries a `source` naming its detector (patuh's camera detector's
    output) keeps it; the others get {detector, file, row}."""
    out = []
    missing_columns: set[str] = set()
    if header:  # a sheet: the header's problems once for the file, not once a row
        file = rows[0].file
        for i, h in enumerate(header, 1):
            if h and columns.unknown(h):
                problems.append(f"{file}:1:{i}: column {h!r} is not a field of {kind}; expected "
                                f"{', '.join(columns.fields)} (or --map '{h}=FIELD', or --ignore '{h}')")
        found = {columns.field_of(h) for h in header if h}
        missing_columns = {name for name in columns.required() if name not in found}
        for missing in sorted(missing_columns):
            problems.append(f"{file}:1: {kind}.{missing}: no column for this required field "
                            f"({columns.fields[missing]['type']}); the header has: {', '.join(h for h in header if h)}")
    for row in rows:
        if row.problems:
            problems += row.problems
            continue
        given_type = row.cells.get("type")
        if given_type not in (None, "", kind):
            problems.append(f"{row.where('type')}: record is a {given_type!r}, not a {kind!r} (--type)")
            continue
        record: dict[str, Any] = {}
        bad = False
        for column, value in row.cells.items():
            name = columns.field_of(column)
            if name is None:
                if not header and columns.unknown(column):
                    problems.append(f"{row.where(column)}: {kind}: unknown field {column!r}; expected "
                                    f"{', '.join(columns.fields)}")
                    bad = True
                continue
            if value is None or value == "":
                continue
            if name in record:
                problems.append(f"{row.where(column)}: {kind}.{name}: given twice (column {column!r} and another)")
                bad = True
                continue
            record[name] = value
        failed: set[str] = set()
        if convert is not None and convert(row, record, problems, failed) is SKIP:
            continue
        for name in failed:  # said once, by convert
            record.pop(name, None)
        for name in [n for n, v in record.items() if isinstance(v, str) and v in NOTHING_WRITTEN
                     and columns.fields.get(n, {}).get("type") == "string" and "values" not in columns.fields[n]]:
            del record[name]  # a dash in a text cell records nothing: an empty cell, never a driver "-"
        given = row.cells.get("source")
        source = given if isinstance(given, dict) and given.get("detector") else \
            {"detector": detector, "file": row.file, "row": row.number}
        record = {"type": kind, **record, "source": source}
        given_id = columns.fact_id(row)
        if given_id:
            record["id"] = given_id
        try:
            fact = types.check(record, row.where())
        except FactError as exc:  # each field's problem at the column it came from
            problems += [f"{row.where(columns.column_of(row, name) if name else None)}: {message}"
                         for name, message in exc.fields if name not in failed and name not in missing_columns]
            continue
        if bad or failed or missing_columns:
            continue
        if not given_id:
            fact.pop("id", None)  # patuh eval gives the same content id; a reader need not fix it
        out.append(canonical(fact))
    return out


def read_month(row: Row, record: dict, kind: str, columns: Columns, problems: list, failed: set[str]) -> None:
    """A record's `month` as YYYY-MM (see month), in place; a problem at its column when it is none."""
    if "month" not in record:
        return
    found = month(record["month"])
    if found is None:
        problems.append(f"{row.where(columns.column_of(row, 'month'))}: {kind}.month: expected a month (2026-03, "
                        f"03/2026, Maret 2026), found {describe(record['month'])}")
        failed.add("month")
    else:
        record["month"] = found  # one spelling: two rows of one month are one key, as csms reads it


def day(value: Any) -> dt.date | None:
    """A date cell, a midnight, or a date as the fact checker reads its text; None for anything
    else (the checker then says what is wrong with it)."""
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return parse_date(value)
        except ValueError:
            return None
    return None


def month(value: Any) -> str | None:
    """YYYY-MM from 2026-03, 03/2026, 3-2026, Maret 2026, Mar-26 is refused (a two-digit year), or a date."""
    if isinstance(value, dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    if not isinstance(value, str):  # a number: Excel keeps 2026.10 as 2026.1, which reads as January
        return None
    text = value.strip().lower()
    found = re.fullmatch(r"(\d{4})[-/.](\d{1,2})", text)
    if found:
        year, month = int(found.group(1)), int(found.group(2))
    elif found := re.fullmatch(r"(\d{1,2})[-/.](\d{4})", text):
        month, year = int(found.group(1)), int(found.group(2))
    elif (found := re.fullmatch(r"([a-z]+)[\s\-/.]+(\d{4})", text)) and found.group(1) in MONTHS:
        month, year = MONTHS[found.group(1)], int(found.group(2))
    else:
        return None
    return f"{year:04d}-{month:02d}" if 1 <= month <= 12 and 1900 <= year <= 2199 else None


def parse_mapping(items: Iterable[str]) -> dict[str, str]:
    """--map 'Jam Tidur=sleep_hours' items -> {column: field}; 'COLUMN=' ignores the column."""
    out = {}
    for item in items:
        column, sep, name = item.partition("=")
        if not sep or not column.strip():
            raise DetectError([f"--map {item}: expected COLUMN=FIELD, e.g. --map 'Jam Tidur=sleep_hours'"])
        out[column.strip()] = name.strip()
    return out


def read_forms(paths: Iterable[str | Path], kind: str, types, *, mapping: dict[str, str] | None = None,
               ignore: Iterable[str] = (), sheet: str | None = None) -> list[dict]:
    """Fact records of type `kind` from every file, in file and row order; DetectError with every
    problem of every file when any."""
    problems: list = []
    declaration = types.declarations.get(kind)
    if declaration is None:
        raise DetectError([f"--type {kind}: not a declared fact type; the installed packs declare: "
                           f"{', '.join(sorted(types.declarations))}"])
    if declaration.get("derived"):
        raise DetectError([f"--type {kind}: a derived type (only rules assert it), not one a form records"])
    for column, name in (mapping or {}).items():
        if name and name not in declaration["fields"]:
            problems.append(f"--map {column}={name}: {kind} has no field {name!r}; expected "
                            f"{', '.join(declaration['fields'])}")
    columns = Columns(declaration["fields"], mapping, ignore)
    out = []
    for path in paths:
        rows, header = read_rows(path, problems, sheet)
        if header and not rows:
            problems.append(f"{path}: no rows under the header")
        if rows:
            out += to_facts(rows, header, kind, types, columns, problems)
    if problems:
        raise DetectError(problems)
    return out


class FormsDetector:
    """Through the patuh_detectors hook: `facts(paths, type="readiness_form")` yields checked
    records, or raises DetectError (every problem) before yielding any."""

    name = DETECTOR
    help = "form exports (CSV, JSON, JSONL, YAML) in, checked facts of one declared --type out"

    def add_arguments(self, parser) -> None:
        add_arguments(parser)

    def run(self, args) -> int:
        return run(args)
    fact_types = ()  # any declared type: --type chooses

    def facts(self, paths: Iterable[str | Path], *, type: str, config: str | Path | dict | None = None,
              types=None, mapping: dict[str, str] | None = None, ignore: Iterable[str] = (),
              sheet: str | None = None) -> Iterator[dict]:
        yield from read_forms(list(paths), type, types or fact_types(config), mapping=mapping, ignore=ignore,
                              sheet=sheet)


@hookimpl
def patuh_detectors():
    return [FormsDetector()]


# -- command line (wired in patuh.cli as `patuh detect forms`) ----------------------------------

def add_arguments(parser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="form exports: .csv, .xlsx, .json, .jsonl, .yaml")
    parser.add_argument("--type", required=True, metavar="TYPE",
                        help="the declared fact type of every record, e.g. readiness_form or roster")
    add_common(parser)


def add_common(parser) -> None:
    parser.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                        help="read COLUMN as FIELD (repeatable); COLUMN= leaves the column out")
    parser.add_argument("--ignore", action="append", default=[], metavar="COLUMN",
                        help="leave this column out on purpose (repeatable)")
    parser.add_argument("--sheet", metavar="NAME", help="the sheet of an .xlsx file to read (default: the first)")
    parser.add_argument("--config", metavar="FILE", help="site config: the time zone for times without one")


def run(args) -> int:
    return emit(lambda: read_forms(args.files, args.type, _types(args), mapping=parse_mapping(args.map),
                                   ignore=args.ignore, sheet=args.sheet))


def _types(args):
    try:
        return fact_types(args.config)
    except SourceError as exc:
        raise DetectError([str(exc)]) from None


def emit(produce) -> int:
    """Print every record as a JSON line, or, on bad input, one line per problem on standard error
    and exit 2 with nothing on standard output."""
    import sys

    try:
        records = produce()
    except DetectError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    sys.stdout.write("".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in records))
    return 0
