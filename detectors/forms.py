"""Forms detector: a site's exports of filled-in forms (and the roster) -> fact records of one
declared type, each checked by patuh's own fact checking (patuh.facts.FactTypes, from the
installed packs' declarations), with `source` {detector: "forms", file, row}.

    patuh detect forms kesiapan-kerja.csv --type readiness_form --config site.yaml > forms.jsonl

Formats (by file suffix):
- `.csv`: a spreadsheet export. The first row is the header; the delimiter is `,` or `;` (as
  Excel writes it under an Indonesian locale), found from the header; a UTF-8 byte-order mark is
  fine. A row's number is its line in the file (the header is row 1), as a spreadsheet shows it.
  A row whose cells are all empty is skipped (it holds nothing to lose); any other row becomes a
  fact or an error.
- `.json` (a list, or an object with a `facts` list), `.jsonl` (one record a line) and `.yaml`
  (a list, or a mapping with a `facts` list), read as `patuh eval` reads facts files. A record
  may omit `type`; one that names another type than `--type` is an error.

Columns (keys) are matched to the type's declared fields after folding case and turning spaces
and punctuation into `_` ("Sleep Hours" -> sleep_hours), then through COLUMN_ALIASES (the usual
Indonesian headers: NIK, Tanggal, Jam Tidur, No Lambung, ...), then `--map COLUMN=FIELD`.
A column that matches no field is an error unless `--ignore COLUMN` names it: data is never
dropped unseen. A required field with no column is one error for the file.

Values (a cell's text, or a string in JSON/YAML; empty means absent):
- yes/no fields: Ya, Y, Yes, True, 1 / Tidak, Tdk, N, No, False, 0 (any case). "T" is refused:
  it reads as Tidak on an Indonesian form and as True elsewhere.
- dates: 2026-03-02 (ISO) or 02/03/2026, 2/3/2026, 02-03-2026, 02.03.2026 (day first, the
  Indonesian order; a month-first export is wrong wherever the day is 12 or less, so convert it
  first).
- date-times: ISO (2026-03-02T05:30:00+08:00, 2026-03-02 05:30, ...) or 02/03/2026 05:30[:SS];
  a time without a zone is read in the site config's time zone (default Asia/Jakarta).
- numbers: 6.5 or 6,5 (decimal comma).
- lists: JSON text, e.g. [1, 2].

Every problem of every file is collected (file, row, column, field, what was expected); any
problem means no facts at all (DetectError).
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from patuh.plugins import hookimpl

DETECTOR = "forms"
SKIP = "skip"  # what a reader's convert() returns for a row it leaves out on purpose

# Usual Indonesian (and English) spreadsheet headers -> declared field names. A header that is
# itself a declared field of the type always means that field; an alias applies only when its
# field is declared by the type being read.
COLUMN_ALIASES: dict[str, str] = {
    "nik": "employee", "no_karyawan": "employee", "nomor_karyawan": "employee", "id_karyawan": "employee",
    "employee_id": "employee", "karyawan": "employee",
    "nama": "name", "nama_karyawan": "name",
    "tanggal": "date", "tgl": "date",
    "jam_tidur": "sleep_hours", "lama_tidur": "sleep_hours", "lama_tidur_jam": "sleep_hours",
    "jam_tidur_jam": "sleep_hours",
    "fit_untuk_bekerja": "fit", "fit_to_work": "fit", "layak_bekerja": "fit",
    "diisi_pada": "filled_at", "waktu_isi": "filled_at", "waktu_pengisian": "filled_at",
    "diverifikasi_oleh": "verified_by", "verifikasi": "verified_by",
    "no_lambung": "unit", "nomor_lambung": "unit", "hull_no": "unit", "hull_number": "unit",
    "jenis_unit": "unit_type", "tipe_unit": "unit_type", "type_unit": "unit_type",
    "jabatan": "role", "posisi": "role",
    "alat_bergerak": "mobile_equipment", "risiko_tinggi": "high_risk",
    "mulai": "start", "jam_mulai": "start", "selesai": "end", "jam_selesai": "end",
    "pengawas": "supervisor",
    # the later forms of CK-PR-SHE-25 (P2H camera, survey, observation, confirmation, inspection)
    "waktu": "time", "waktu_pemeriksaan": "time", "jam_pemeriksaan": "time",
    "hasil": "result", "hasil_pemeriksaan": "result",
    "kerusakan": "defect", "dilaporkan": "reported", "ditandatangani": "signed", "tanda_tangan": "signed",
    "pemeriksa": "inspector", "metode": "method", "skor": "score", "nilai": "score",
    "tindak_lanjut": "follow_up", "petugas_medis": "observer", "tekanan_darah": "blood_pressure",
    "sakit": "sick", "dikonfirmasi_oleh": "confirmed_by", "terkonfirmasi": "confirmed",
}

YES = frozenset({"ya", "y", "yes", "true", "1"})
NO = frozenset({"tidak", "tdk", "n", "no", "false", "0"})
DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


class DetectError(Exception):
    """Bad input: every problem found, one line each ("FILE:ROW:COLUMN: field: what was expected")."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def column_key(name: Any) -> str:
    """'Jam Tidur (jam)' -> 'jam_tidur_jam': the form a header is matched in."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lstrip("\ufeff").lower()).strip("_")


# -- declared types -----------------------------------------------------------------------------

def fact_types(config: str | Path | dict | None = None):
    """patuh's own checker over the fact types the installed packs and plugins declare, reading
    times without a zone in the site config's time zone (see patuh.fact_types)."""
    from patuh import fact_types as installed_types

    return installed_types(config)


# -- rows ---------------------------------------------------------------------------------------

@dataclass
class Row:
    file: str
    row: int  # line in a CSV or JSONL file, record number in JSON, line of the item in YAML
    data: dict[str, Any]
    columns: dict[str, int] = field(default_factory=dict)  # key -> column number (CSV)
    problem: str | None = None  # the row cannot be read as a record (reported in row order)

    def where(self, key: str | None = None) -> str:
        column = self.columns.get(key) if key is not None else None
        return f"{self.file}:{self.row}:{column}" if column else f"{self.file}:{self.row}"


def read_rows(path: str | Path, problems: list[str]) -> tuple[list[Row], list[str]]:
    """The file's rows as dicts keyed by their original column names (or keys), and the CSV
    header (empty for other formats). A file that cannot be read or parsed adds one problem."""
    path = Path(path)
    name = str(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, problems)
    if suffix not in (".json", ".jsonl", ".yaml", ".yml"):
        problems.append(f"{name}: unknown format {path.suffix or '(no suffix)'!r}; expected .csv, .json, .jsonl, "
                        f".yaml or .yml")
        return [], []
    from patuh.facts import read_records
    from patuh.problems import SourceError

    try:
        records = read_records(path)
    except SourceError as exc:
        problems.append(str(exc))
        return [], []
    rows = []
    for n, (where, record) in enumerate(records, 1):
        number = where.line or n
        if not isinstance(record, dict):
            problems.append(f"{name}:{number}: expected a record (a mapping of field: value), found "
                            f"{type(record).__name__}")
            continue
        rows.append(Row(name, number, record))
    return rows, []


def _read_csv(path: Path, problems: list[str]) -> tuple[list[Row], list[str]]:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(f"{name}: not UTF-8 text (byte {exc.start}); export the sheet as CSV UTF-8")
        return [], []
    except OSError as exc:
        problems.append(f"{name}: cannot read: {exc.strerror or exc}")
        return [], []
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        problems.append(f"{name}:1: expected a header row naming the columns; the file is empty")
        return [], []
    first = lines[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(lines, delimiter=delimiter)
    header = [h.strip() for h in next(reader)]
    seen: dict[str, int] = {}
    for i, h in enumerate(header, 1):
        if not h:
            problems.append(f"{name}:1:{i}: column {i} has no name")
        elif h in seen:
            problems.append(f"{name}:1:{i}: column {h!r} appears twice (columns {seen[h]} and {i})")
        seen.setdefault(h, i)
    rows = []
    end = reader.line_num
    for cells in reader:
        start, end = end + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            rows.append(Row(name, start, {}, problem=f"{name}:{start}:{len(header) + 1}: row has {len(cells)} "
                                                     f"cells, the header names {len(header)} columns"))
            continue
        data = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header) if h}
        rows.append(Row(name, start, data, {h: i for h, i in seen.items()}))
    return rows, header


# -- values -------------------------------------------------------------------------------------

def coerce(value: Any, ftype: str) -> Any:
    """A cell's text (or a string from JSON/YAML) as the declared type wants it, accepting what
    site spreadsheets write (see the module docstring). Raises ValueError with what was expected.
    Non-strings pass through for patuh's own check."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if ftype == "boolean":
        low = text.lower()
        if low in YES:
            return True
        if low in NO:
            return False
        raise ValueError("expected yes or no (Ya/Tidak, Y/N, Yes/No, True/False, 1/0)")
    if ftype == "date":
        if re.match(r"^\d{4}-\d{2}-\d{2}$", text):
            return _real(dt.date, *map(int, text.split("-"))).isoformat()
        found = DAY_FIRST.match(text)
        if found and found.group(4) is None:
            day, month, year = (int(g) for g in found.group(1, 2, 3))
            return _real(dt.date, year, month, day).isoformat()
        raise ValueError("expected a date as 2026-03-02 or 02/03/2026 (day/month/year)")
    if ftype == "datetime":
        found = DAY_FIRST.match(text)
        if found and found.group(4) is not None:
            day, month, year, hour, minute = (int(g) for g in found.group(1, 2, 3, 4, 5))
            return _real(dt.datetime, year, month, day, hour, minute, int(found.group(6) or 0)).isoformat()
        try:
            return dt.datetime.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError("expected a date and time as 2026-03-02T05:30:00+08:00, 2026-03-02 05:30 "
                             "or 02/03/2026 05:30") from None
    if ftype in ("number", "integer"):
        if DECIMAL_COMMA.match(text):
            text = text.replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"expected a {'whole ' if ftype == 'integer' else ''}number, e.g. "
                             f"{'7' if ftype == 'integer' else '6.5 or 6,5'}") from None
        if ftype == "integer" and not number.is_integer():
            raise ValueError("expected a whole number")
        return int(number) if number.is_integer() else number
    if ftype == "list":
        try:
            found = json.loads(text)
        except json.JSONDecodeError:
            found = None
        if not isinstance(found, list):
            raise ValueError("expected a list written as JSON, e.g. [1, 2]")
        return found
    return text


def _real(make, *parts):
    try:
        return make(*parts)
    except ValueError as exc:  # 31/02/2026, 25:00
        raise ValueError(f"no such {'date' if make is dt.date else 'date and time'} ({exc})") from None


# -- rows -> facts ------------------------------------------------------------------------------

class Columns:
    """How one file's columns map to a type's fields: identity, then `aliases`, then the caller's
    `mapping`; `ignore` lists columns left out on purpose."""

    def __init__(self, kind: str, declaration: dict, aliases: dict[str, str] | None = None,
                 mapping: dict[str, str] | None = None, ignore: Iterable[str] = ()):
        self.kind = kind
        self.fields: dict[str, dict] = declaration["fields"]
        self.aliases = {k: v for k, v in (aliases or {}).items() if v in self.fields}
        self.mapping = {column_key(k): v for k, v in (mapping or {}).items()}
        self.ignore = {column_key(c) for c in ignore}

    def field_of(self, column: str) -> str | None:
        key = column_key(column)
        if key in self.mapping:
            return self.mapping[key] or None
        if key in self.ignore or key in ("type", "id", "source"):
            return None
        if key in self.fields:
            return key
        return self.aliases.get(key)

    def unknown(self, column: str) -> bool:
        """Neither a field, nor left out on purpose (--ignore, --map COLUMN=, type/id/source)."""
        key = column_key(column)
        return self.field_of(column) is None and key not in self.ignore and key not in self.mapping \
            and key not in ("type", "id", "source")

    def required(self) -> list[str]:
        return [n for n, spec in self.fields.items() if spec.get("required")]


def to_facts(rows: list[Row], header: list[str], kind: str, types, columns: Columns, problems: list[str],
             detector: str = DETECTOR, convert=None) -> list[dict]:
    """Checked fact records from one file's rows. Problems (every one, with file, row, column
    and field) go to `problems`. `convert(row, record, problems, failed)` lets a reader rewrite
    values (vendor alert names) before the declared types apply: it adds the names of fields it
    reported a problem for to `failed`, and returns SKIP to leave the row out on purpose.
    A record that already carries a `source` naming its detector (patuh's camera detector's
    output) keeps it; the others get {detector, file, row}."""
    from patuh.problems import FactError
    from patuh.models import canonical

    out = []
    missing_columns: set[str] = set()
    if header:  # CSV: the header's problems once for the file, not once a row
        file = rows[0].file
        for i, h in enumerate(header, 1):
            if h and columns.unknown(h):
                problems.append(f"{file}:1:{i}: column {h!r} is not a field of {kind}; expected "
                                f"{', '.join(columns.fields)} (or --map '{h}=FIELD', or --ignore '{h}')")
        found = {columns.field_of(h) for h in header if h}
        missing_columns = {name for name in columns.required() if name not in found}
        for name in sorted(missing_columns):
            problems.append(f"{file}:1: {kind}.{name}: no column for this required field "
                            f"({columns.fields[name]['type']}); the header has: {', '.join(h for h in header if h)}")
    for row in rows:
        if row.problem:
            problems.append(row.problem)
            continue
        record: dict[str, Any] = {}
        bad = False
        given_type = row.data.get("type")
        if given_type not in (None, "", kind):
            problems.append(f"{row.where('type')}: record is a {given_type!r}, not a {kind!r} (--type)")
            continue
        for column, value in row.data.items():
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
        bad = bad or bool(failed)
        for name, value in list(record.items()):
            spec = columns.fields.get(name)
            if spec is None or name in failed:
                continue
            try:
                record[name] = coerce(value, spec["type"])
            except ValueError as exc:
                problems.append(f"{row.where(_column(row, columns, name))}: {kind}.{name}: {exc}, found {value!r}")
                bad = True
                continue
            allowed = spec.get("values")
            if allowed and record[name] not in allowed:
                problems.append(f"{row.where(_column(row, columns, name))}: {kind}.{name}: expected one of "
                                f"{', '.join(map(str, allowed))}, found {value!r}")
                bad = True
        for name in columns.required():
            if name not in record and name not in missing_columns and name not in failed:
                problems.append(f"{row.where(_column(row, columns, name))}: {kind}.{name}: missing "
                                f"({columns.fields[name]['type']}, required)")
                bad = True
        if bad or missing_columns:
            continue
        given = row.data.get("source")
        source = given if isinstance(given, dict) and given.get("detector") else \
            {"detector": detector, "file": row.file, "row": row.row}
        record = {"type": kind, **record, "source": source}
        if row.data.get("id"):
            record["id"] = row.data["id"]
        try:
            fact = types.check(record, row.where())
        except FactError as exc:
            problems.append(f"{row.where()}: {exc.message}")
            continue
        if not row.data.get("id"):
            fact.pop("id", None)  # patuh eval gives the same content id; a reader need not fix it
        out.append(canonical(fact))
    return out


def _column(row: Row, columns: Columns, name: str) -> str | None:
    return next((c for c in row.data if columns.field_of(c) == name), None)


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
               ignore: Iterable[str] = ()) -> list[dict]:
    """Fact records of type `kind` from every file, in file and row order; DetectError with every
    problem of every file when any."""
    problems: list[str] = []
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
    columns = Columns(kind, declaration, COLUMN_ALIASES, mapping, ignore)
    out = []
    for path in paths:
        rows, header = read_rows(path, problems)
        if not rows and not header:
            continue
        if not rows:
            problems.append(f"{path}: no rows under the header")
            continue
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
              types=None, mapping: dict[str, str] | None = None, ignore: Iterable[str] = ()) -> Iterator[dict]:
        yield from read_forms(list(paths), type, types or fact_types(config), mapping=mapping, ignore=ignore)


@hookimpl
def patuh_detectors():
    return [FormsDetector()]


# -- command line (wired in patuh.cli as `patuh detect forms`) ----------------------------------

def add_arguments(parser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="form exports: .csv, .json, .jsonl, .yaml")
    parser.add_argument("--type", required=True, metavar="TYPE",
                        help="the declared fact type of every record, e.g. readiness_form or roster")
    add_common(parser)


def add_common(parser) -> None:
    parser.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                        help="read COLUMN as FIELD (repeatable); COLUMN= leaves the column out")
    parser.add_argument("--ignore", action="append", default=[], metavar="COLUMN",
                        help="leave this column out on purpose (repeatable)")
    parser.add_argument("--config", metavar="FILE", help="site config: the time zone for times without one")


def run(args) -> int:
    return emit(lambda: read_forms(args.files, args.type, _types(args), mapping=parse_mapping(args.map),
                                   ignore=args.ignore))


def _types(args):
    from patuh.problems import SourceError

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
