"""Tabular input, read one way: a site's registers, a vendor's alarm report, a fleet's speed
export, as rows of raw cells by column name, each row with its file and number and each cell
with its column, so every problem can be named where a person would look for it.

    rows, header = patuh.rows.read("kesiapan-kerja.xlsx", problems)

Formats, by suffix:
- `.csv`: the first row is the header; `,` or `;` (as Excel writes it under an Indonesian
  locale), whichever the header (the first line holding either) holds more of, or the one a first
  line `sep=;` names (Excel's hint; the header is then row 1); UTF-8 with or without a byte-order
  mark.
- `.xlsx`: the first sheet, or the one named; the first row is the header. Excel's dates and
  date-times come as date and datetime objects (a date-formatted cell whose time is not midnight
  stays a datetime: its time is never cut off), numbers as numbers, TRUE/FALSE as booleans, and
  a formula as the value Excel saved with it. A formula saved without a value (a workbook written
  by a program that does not calculate) and a cell holding an error (#N/A, #DIV/0!) are problems.
  Cells are read as the sheet shows them where the stored value says less: a cell merged over
  rows below the header in each row of its column, a number formatted with leading zeros as that
  text, a percent format's number as its percent ("85.5%"), and a number to Excel's 15
  significant digits.
- `.json`, `.jsonl`, `.yaml`, `.yml`: records (mappings), read by the facts-file reader, with its
  positions, limits and errors; their keys are the columns.

A row's number is the one a spreadsheet shows (the header is row 1; a cell holding a line break
does not shift it), the line of a JSONL record or of a YAML item, or a JSON record's place in its
list. Text cells of CSV and XLSX come stripped of surrounding spaces, and an empty cell is "";
a row of empty cells is skipped, as it holds nothing to lose. Any other row is returned, with its
problems if it cannot be read as cells (more cells than the header names, a formula without
value): never dropped. Problems of the file itself (unreadable, no header, a column named twice)
are added to `problems`; nothing but patuh's own errors is ever raised.

A form may print a few lines above its table (a title, "No Audit: SMK3-2025-014", the date):
`header=` then tells the header row by its cells (the first row it holds for; none found is a
problem), and the rows above it go to `preamble=` as rows whose cells are keyed by column number
(1, 2, ...), for the caller to read as the form's own header.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import stat
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import limits
from .documents import read_text
from .facts import MONTHS as MONTHS  # for detectors: month names and dates as the fact checker reads them
from .facts import describe as describe
from .facts import parse_date as parse_date
from .facts import read_items
from .problems import FactsInvalid, SourceError, Where

if TYPE_CHECKING:  # openpyxl is imported only when a workbook is read
    from openpyxl import Workbook
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

FORMATS = (".csv", ".xlsx", ".json", ".jsonl", ".yaml", ".yml")


def column_key(name: Any) -> str:
    """'Jam Tidur (jam)' -> 'jam_tidur_jam': the form in which headers, field names and aliases
    are matched (case, spaces and punctuation folded)."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lstrip("\ufeff").lower()).strip("_")


@dataclass
class Row:
    file: str
    number: int  # as a spreadsheet shows it (the header is row 1), a JSONL or YAML line, a JSON record's place
    cells: dict[Any, Any]  # raw cells by column name (a record's keys)
    columns: dict[Any, int] = field(default_factory=dict)  # column name -> column number (A = 1); none for records
    problems: list[SourceError] = field(default_factory=list)  # why the row cannot be read as cells

    def where(self, column: Any = None) -> Where:
        return Where(self.file, self.number, self.columns.get(column, 0) if column is not None else 0)


HeaderTest = Callable[[list[Any]], bool]


def read(path: str | Path, problems: list[SourceError], sheet: str | None = None, *,
         header: HeaderTest | None = None, preamble: list[Row] | None = None) -> tuple[list[Row], list[str]]:
    """The rows of a file and its header (empty for record formats); the file's own problems are
    added to `problems`. For CSV and XLSX, `header` tells the header row by its cells (default:
    the first row is the header), and the non-empty rows above it are added to `preamble`."""
    path = Path(path)
    suffix = path.suffix.lower()
    table = _Table(str(path), header, preamble)
    try:
        if suffix == ".csv":
            return _csv(path, problems, table)
        if suffix == ".xlsx":
            return _xlsx(path, problems, sheet, table)
        if suffix in FORMATS:
            return _records(path, problems), []
    except SourceError as exc:
        problems.append(exc)
        return [], []
    problems.append(SourceError(Where(str(path)), f"unknown format {path.suffix or '(no suffix)'!r}; expected "
                                                  f"{', '.join(FORMATS[:-1])} or {FORMATS[-1]}"))
    return [], []


def _records(path: Path, problems: list[SourceError]) -> list[Row]:
    name = str(path)
    try:
        items = read_items(path)
    except FactsInvalid as exc:  # every bad JSONL line; the lines read are still checked
        problems += exc.problems
        items = exc.records
    rows = []
    for n, (where, item) in enumerate(items, 1):
        row = Row(name, where.line or n, item if isinstance(item, dict) else {})
        if not isinstance(item, dict):
            row.problems.append(SourceError(row.where(), f"expected a record (a mapping of field: value), found "
                                                         f"{type(item).__name__}"))
        rows.append(row)
    return rows


def _header(name: str, cells: list[Any], problems: list[SourceError]) -> list[str]:
    """Column names of a header row; trailing unnamed columns are no columns at all."""
    header = ["" if c is None else (c.isoformat() if isinstance(c, dt.date) else str(c)).strip() for c in cells]
    while header and not header[-1]:
        header.pop()
    if not header:
        problems.append(SourceError(Where(name, 1), "expected a header row naming the columns; the first row is "
                                                    "empty"))
    seen: dict[str, int] = {}
    for i, h in enumerate(header, 1):
        if not h:
            problems.append(SourceError(Where(name, 1, i), f"column {i} has no name"))
        elif h in seen:
            problems.append(SourceError(Where(name, 1, i), f"column {h!r} appears twice (columns {seen[h]} and {i})"))
        seen.setdefault(h, i)
    return header


def _row(name: str, number: int, header: list[str], cells: list[Any]) -> Row | None:
    """A data row, or None when every cell is empty."""
    cells = [c.strip() if isinstance(c, str) else "" if c is None else c for c in cells]
    used = max((i + 1 for i, c in enumerate(cells) if c != ""), default=0)
    if not used:
        return None
    row = Row(name, number, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h},
              {h: i for i, h in enumerate(header, 1) if h})
    if used > len(header):
        row.problems.append(SourceError(Where(name, number, len(header) + 1),
                                        f"row has {used} cells, the header names {len(header)} columns"))
    return row


@dataclass
class _Table:
    """Where a sheet's table starts: the header row (the first, or the first `test` holds for),
    and the rows above it, kept in `preamble` when the caller asks for them."""

    name: str
    test: HeaderTest | None
    preamble: list[Row] | None
    found: bool = False

    def is_header(self, number: int, cells: list[Any]) -> bool:
        if self.found:
            return False
        self.found = number == 1 if self.test is None else self.test(
            [c.strip() if isinstance(c, str) else "" if c is None else c for c in cells])
        return self.found

    def above(self, number: int, cells: list[Any], problems: list[SourceError] | None = None) -> None:
        """A row above the header: kept, cells by column number, unless it is empty."""
        values = [c.strip() if isinstance(c, str) else "" if c is None else c for c in cells]
        if self.preamble is None or (not any(v != "" for v in values) and not problems):
            return
        row = Row(self.name, number, {i: v for i, v in enumerate(values, 1) if v != ""},
                  {i: i for i, v in enumerate(values, 1) if v != ""})
        row.problems += problems or []
        self.preamble.append(row)

    def missing(self, problems: list[SourceError]) -> None:
        if self.test is not None and not self.found:
            problems.append(SourceError(Where(self.name), "expected a header row naming the columns; no row of the "
                                                          "file looks like one"))


def _csv(path: Path, problems: list[SourceError], table: _Table) -> tuple[list[Row], list[str]]:
    name = str(path)
    text = read_text(path, limits.MAX_FACTS_BYTES, "file")
    if not text.strip():
        raise SourceError(Where(name, 1), "expected a header row naming the columns; the file is empty")
    # Excel's own hint, a first line "sep=;", names the separator, and Excel shows the line after it
    # as row 1; else it is told from the first lines (_separator).
    lines = re.split(r"\r\n|\r|\n", text, maxsplit=50)[:50]
    hint = re.fullmatch(r"\ufeff?\"?sep=(.)\"?\s*", lines[0], re.IGNORECASE)
    if hint:
        text = re.split(r"\r\n|\r|\n", text, maxsplit=1)[1] if len(lines) > 1 else ""
        if not text.strip():
            raise SourceError(Where(name, 2), "expected a header row naming the columns below the line "
                                              f"{lines[0]!r}; there is none")
        separator = hint.group(1)
    else:
        separator = _separator(lines)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    rows: list[Row] = []
    header: list[str] = []
    number = 0
    try:
        for number, cells in enumerate(reader, 1):
            if not table.found:
                if table.is_header(number, cells):
                    header = _header(name, cells, problems)
                    if not header:
                        break
                else:
                    table.above(number, cells)
            elif (row := _row(name, number, header, cells)) is not None:
                rows.append(row)
    except csv.Error as exc:  # an unclosed quote, a cell past the csv module's size limit
        problems.append(SourceError(Where(name, number + 1), f"cannot read as CSV: {exc}"))
    table.missing(problems)
    return rows, header


def _separator(lines: list[str]) -> str:
    """`;` or `,`: the one that splits more of the first lines into one same number of cells (a
    table's rows agree; a title "Laporan Insiden, PT X" above a `;` table, or decimal commas, do
    not). When both split as many, the one the first line holding either has more of: the header,
    or a form's first "key;value" line when a title without either stands above it."""
    text = "\n".join(lines)
    agreeing = {}
    for candidate in ";,":
        widths: Counter[int] = Counter()
        try:
            for cells in csv.reader(io.StringIO(text, newline=""), delimiter=candidate):
                if len(cells) > 1:
                    widths[len(cells)] += 1
        except csv.Error:
            pass  # a quote still open where the lines were cut: the lines before it decide
        agreeing[candidate] = max(widths.values(), default=0)
    if agreeing[";"] != agreeing[","]:
        return ";" if agreeing[";"] > agreeing[","] else ","
    first = next((line for line in lines if "," in line or ";" in line), lines[0])
    return ";" if first.count(";") > first.count(",") else ","


def _xlsx(path: Path, problems: list[SourceError], sheet: str | None, table: _Table) -> tuple[list[Row], list[str]]:
    import openpyxl  # only when a workbook is read
    from openpyxl.styles.numbers import is_datetime

    name = str(path)
    try:
        info = os.stat(path)
    except OSError as exc:
        raise SourceError(Where(name), f"cannot read file: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):  # a workbook is a zip archive, read from its end: not a pipe or device
        raise SourceError(Where(name), "cannot read file: not a regular file")
    if not zipfile.is_zipfile(path):
        raise SourceError(Where(name), "cannot read as an Excel workbook (.xlsx): not a zip archive; save it as "
                                       "Excel Workbook (.xlsx)")
    rows: list[Row] = []
    header: list[str] = []
    number = 0
    try:
        with zipfile.ZipFile(path) as archive:  # its unpacked size, before openpyxl holds any of it
            size = sum(member.file_size for member in archive.infolist())
        if size > limits.MAX_FACTS_BYTES:
            raise SourceError(Where(name), f"workbook unpacks to {size:,} bytes, larger than "
                                           f"{limits.MAX_FACTS_BYTES:,}; split it")
        with warnings.catch_warnings():  # openpyxl warns about styles and extensions it ignores
            warnings.simplefilter("ignore")
            # Two readings in step: cached values, and formulas, to tell a formula saved without a
            # value from an empty cell (openpyxl reads both as None).
            books: list[Workbook] = []
            try:
                for data_only in (True, False):
                    books.append(openpyxl.load_workbook(path, read_only=True, data_only=data_only))
                sheets = [_sheet(book, sheet, name) for book in books]
                for found in sheets:
                    found.reset_dimensions()  # a wrong <dimension> would cut rows or columns off unseen
                merged = _Merged(path, sheets[0])
                for number, (cells, formulas) in enumerate(zip(*(s.rows for s in sheets), strict=True), 1):
                    values = [_cell(c, is_datetime) for c in cells]
                    if table.found:
                        merged.fill(number, values)
                    bad = [SourceError(Where(name, number, i), why)
                           for i, (c, f) in enumerate(zip(cells, formulas, strict=True), 1) if (why := _unread(c, f))]
                    if not table.found:
                        if table.is_header(number, values):
                            header = _header(name, values, problems)
                            if not header:
                                break
                        else:
                            table.above(number, values, bad)
                        continue
                    row = _row(name, number, header, values)
                    if bad:
                        row = row or Row(name, number, {})
                        row.problems += bad
                    if row is not None:
                        rows.append(row)
            finally:
                for book in books:
                    book.close()
    except SourceError:
        raise
    except Exception as exc:  # zipfile and openpyxl meet a damaged workbook with many kinds of exception
        raise SourceError(Where(name), f"cannot read as an Excel workbook (.xlsx): {type(exc).__name__}: {exc}") \
            from None
    if number == 0:
        raise SourceError(Where(name, 1), "expected a header row naming the columns; the sheet is empty")
    table.missing(problems)
    return rows, header


class _Merged:
    """A sheet's merged cells, read down their column as the sheet shows them: a verifier's name
    or an incident's contractor merged over the rows it applies to (openpyxl's read-only sheet
    gives the value in the first cell alone, and the rows below read as empty). Only ranges that
    start below the header: a title merged above the table stays one cell."""

    def __init__(self, path: Path, sheet: ReadOnlyWorksheet):
        from openpyxl.utils.cell import range_boundaries

        refs: set[bytes] = set()
        member = getattr(sheet, "_worksheet_path")  # noqa: B009 - not in openpyxl's stubs
        with zipfile.ZipFile(path) as archive, archive.open(member) as xml:
            tail = b""  # a chunk's last bytes: a mergeCell split between two chunks is whole in the next
            while chunk := xml.read(1 << 20):  # the sheet streamed, as openpyxl reads it, never held whole
                tail += chunk
                refs.update(_MERGE_CELL.findall(tail))
                tail = tail[-256:]
        self.ranges: dict[int, list[tuple[int, int]]] = {}  # first row -> (first column, last row)
        for ref in sorted(refs):
            low_col, low_row, _, high_row = range_boundaries(ref.decode())
            assert low_col is not None and low_row is not None and high_row is not None
            self.ranges.setdefault(low_row, []).append((low_col, high_row))
        self.pending: dict[int, list[tuple[int, Any]]] = {}  # row -> (column, value) to fill in

    def fill(self, number: int, values: list[Any]) -> None:
        # Down the first column only: a range over several columns is one field written wide (a
        # "JUMLAH" over two columns), and its value in the others would be a value never written there.
        for low_col, high_row in self.ranges.get(number, ()):
            shown = values[low_col - 1] if low_col <= len(values) else None
            for row in range(number + 1, high_row + 1):
                self.pending.setdefault(row, []).append((low_col, shown))
        for col, shown in self.pending.pop(number, ()):
            values.extend([None] * (col - len(values)))
            values[col - 1] = shown


_MERGE_CELL = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=[\"']([A-Za-z]{1,3}[0-9]+:[A-Za-z]{1,3}[0-9]+)[\"']")


def _sheet(book: Workbook, sheet: str | None, name: str) -> ReadOnlyWorksheet:
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet  # what read_only=True gives a worksheet

    if sheet is None:
        if not book.worksheets:
            raise SourceError(Where(name), "the workbook has no worksheet")
        found = book.worksheets[0]
    elif sheet in book.sheetnames:
        found = book[sheet]
    else:
        raise SourceError(Where(name), f"no sheet named {sheet!r}; the workbook has: {', '.join(book.sheetnames)}")
    if not isinstance(found, ReadOnlyWorksheet):  # a chart sheet: a name, but no cells
        worksheets = ", ".join(s.title for s in book.worksheets) or "none"
        raise SourceError(Where(name), f"sheet {found.title!r} is a chart, not a worksheet; the workbook's "
                                       f"worksheets: {worksheets}")
    return found


# A cell of a read-only worksheet is openpyxl's ReadOnlyCell, or an EmptyCell for a gap in its row:
# not the Cell | MergedCell its stubs give iter_rows. Cells are typed Any here and read with care
# (getattr where an EmptyCell lacks the attribute).

def _cell(cell: Any, is_datetime: Callable[[str], str | None]) -> Any:
    value = getattr(cell, "value", None)
    if getattr(cell, "data_type", None) == "e":
        return None  # an error value is reported by _unread, not read as text
    if isinstance(value, dt.datetime) and value.time() == dt.time() \
            and is_datetime(_LOCALE.sub("", cell.number_format)) == "date":
        return value.date()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number(value, getattr(cell, "number_format", None) or "General")
    return value


def _number(value: int | float, number_format: str) -> int | float | str:
    """A number cell as the sheet shows it where the stored number says less: a percent format's
    0.85 is 85% (read as 0.85 it was 0.85 %), a zero-padded format's 123 is the number 00123 (an
    employee's or a contract's; read as 123 it matched no other register), and a float is taken to
    the 15 significant digits Excel computes with (=(bangun-tidur)*24 stores 6.999999999999999 for 7)."""
    if type(value) is float:
        value = float(f"{value:.15g}")
    if "%" in _LITERAL.sub("", number_format):  # a percent sign in quotes or escaped is only shown
        shown = (Decimal(repr(value)) * 100).normalize()
        return f"{shown:f}%"
    if _PADDED.fullmatch(number_format) and float(value).is_integer() and value >= 0:
        return f"{int(value):0{len(number_format)}d}"
    return value


# A format's locale or currency prefix ([$-421], and Excel's Long Date [$-x-sysdate]), whose letters
# openpyxl reads as the format's own: the "s" of sysdate made every Long Date cell a date and time.
_LOCALE = re.compile(r"\[\$[^\]]*\]")
_LITERAL = re.compile(r'"[^"]*"|\\.')
_PADDED = re.compile(r"0{2,}")  # Excel's format for a number shown with leading zeros


def _unread(cell: Any, formula: Any) -> str | None:
    """Why a cell's value cannot be used, or None."""
    if getattr(cell, "data_type", None) == "e":
        return f"cell {cell.coordinate} holds Excel's error {cell.value}; fix the cell or its formula"
    if getattr(formula, "data_type", None) == "f" and getattr(cell, "value", None) is None \
            and cell.data_type != "str":  # a formula whose text result is "" is saved as t="str"
        text = getattr(formula.value, "text", formula.value)  # array formulas carry their text inside
        return (f"cell {formula.coordinate} holds the formula {text} with no value saved (the workbook was written "
                "by a program that does not calculate); open and save it in Excel, or paste the values")
    return None
