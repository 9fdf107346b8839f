"""Incident and hours registers -> the zero_accident pack's `incident` and `work_hours` facts.

    patuh detect incidents register-kecelakaan-2025.xlsx --config site.yaml > incidents.jsonl
    patuh detect hours jam-kerja-2023-2025.csv > hours.jsonl

Files are read as the forms detector reads them (patuh.rows: `,` or `;` CSV with a header, XLSX,
JSON, JSONL, YAML); columns through the aliases the pack's facts.yaml declares (No Kejadian,
Tanggal Kejadian, Jenis Kejadian, Nama Korban, Kontraktor, Hari Hilang, Tahun, Jam Kerja
Karyawan, Jam Lembur Kontraktor, ...), `--map COLUMN=FIELD` first; each record is checked by
patuh's own fact checker. A column that is no field is an error unless `--ignore COLUMN`.

Incident registers (`incident`):
- A date and a clock time in two columns (Tanggal Kejadian + Jam Kejadian, Tanggal Kembali
  Bekerja + Jam Kembali Bekerja, Tanggal Proses Berjalan Kembali + Jam ...) are one time. Dates
  read day first (03/02/2026, 3 Februari 2026, 03-Feb-26), clock times 08:30 or 08.30. An injury,
  a process stop or equipment damage whose time, return to work or resumption has no clock time
  is an error naming the column: 2 x 24 h and the next shift are judged to the minute.
- Indonesian words for the values (VALUES below): Cedera -> injury, Terhentinya Proses ->
  process_stop, Kerusakan Peralatan -> equipment_damage, Hampir Celaka -> near_miss, P3K ->
  first_aid; Bencana Alam -> natural_disaster, Proses Medis -> medical_process, Tidak Ada or "-"
  -> none; Telunjuk -> index, Ibu Jari Kaki -> big_toe, Lengan Bawah -> arm_below_elbow; Ruas
  Pangkal -> base, Telapak (or Metatarsal) -> metacarpal; Kedua Mata -> both_eyes. Any other text
  goes to the fact checker, which names the values it takes: a root cause ("unsafe act") is not a
  `cause`.
- "Anggota Tubuh" names the injured part of any injury in most registers, not an amputation: it
  is read as amputation_part only on a row whose injury column (Jenis Cedera, Sifat Cedera, Jenis
  Luka) says Amputasi, or whose value starts "Amputasi"; another row's injured part is left out,
  as the incident has no field for it; without an injury column, a value not starting "Amputasi"
  is an error (a cut finger must never become a 3,000-day hand). `--map 'Anggota
  Tubuh=amputation_part'` says the column holds amputations only.
- A record may give `amputation: {part, joint}` (JSON, YAML), which the fact checker splits.
- Two rows with one incident id in one company are an error naming both.

Hours registers (`work_hours`), one row per company and year:
- Numbers in Indonesian form: 6.000.000 is six million, 1.234,5 is 1234.5, 1.234.567,25; both
  separators in the English order (1,234.5) read as English. A cell whose only separator is one
  point before three digits (1.234) is read as thousands, and one comma (12,5) as a decimal
  comma, as an Indonesian register writes them; each such cell is counted on standard error.
- A blank cell stays absent (a missing series, pengajuan.3); 0 is zero. Negative hours, a year
  that is not a four-digit number, and two rows for one company and year are errors.

On any problem: every problem of every file on standard error (file, row, column, field), exit
2, nothing on standard output.
"""
from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from patuh.plugins import hookimpl
from patuh.problems import SourceError
from patuh.rows import MONTHS, Row, column_key, describe
from patuh.rows import read as read_rows

from . import forms
from .forms import DetectError

INCIDENT, HOURS = "incident", "work_hours"

# Register words (folded as column_key folds headers) -> the pack's values.
VALUES: dict[str, dict[str, str]] = {
    "kind": {
        "cedera": "injury", "kecelakaan": "injury", "kecelakaan_kerja": "injury", "lti": "injury",
        "luka": "injury", "cidera": "injury",
        "terhentinya_proses": "process_stop", "proses_terhenti": "process_stop", "berhenti_operasi": "process_stop",
        "terhentinya_aktivitas_kerja": "process_stop", "proses_berhenti": "process_stop",
        "kerusakan_peralatan": "equipment_damage", "kerusakan_alat": "equipment_damage",
        "kerusakan_mesin": "equipment_damage", "kerusakan_bahan": "equipment_damage",
        "kerusakan_aset": "equipment_damage",
        "hampir_celaka": "near_miss", "nyaris_celaka": "near_miss", "near_miss": "near_miss",
        "p3k": "first_aid", "pertolongan_pertama": "first_aid", "first_aid": "first_aid",
    },
    "cause": {
        "perang": "war", "bencana_alam": "natural_disaster",
        "di_luar_kendali_perusahaan": "outside_control", "diluar_kendali_perusahaan": "outside_control",
        "di_luar_kendali": "outside_control", "proses_medis": "medical_process",
        "tidak_ada": "none", "": "none",
    },
    "amputation_part": {
        "ibu_jari": "thumb", "ibu_jari_tangan": "thumb", "jempol": "thumb",
        "telunjuk": "index", "jari_telunjuk": "index",
        "jari_tengah": "middle", "tengah": "middle",
        "jari_manis": "ring", "manis": "ring",
        "kelingking": "little", "jari_kelingking": "little",
        "ibu_jari_kaki": "big_toe", "jempol_kaki": "big_toe",
        "jari_kaki": "other_toe", "jari_jari_lainnya": "other_toe", "jari_kaki_lainnya": "other_toe",
        "tangan": "hand", "kaki": "foot",
        "lengan_bawah": "arm_below_elbow", "lengan_atas": "arm_above_elbow",
        "tungkai_bawah": "leg_below_knee", "tungkai_atas": "leg_above_knee", "paha": "leg_above_knee",
    },
    "amputation_joint": {
        "ruas_ujung": "tip", "ujung": "tip", "ruas_tengah": "middle", "tengah": "middle", "ruas_pangkal": "base",
        "pangkal": "base",
        "telapak": "metacarpal", "metakarpal": "metacarpal", "metatarsal": "metacarpal",
    },
    "loss": {
        "satu_mata": "one_eye", "kedua_mata": "both_eyes", "satu_telinga": "one_ear",
        "kedua_telinga": "both_ears", "lumpuh_total": "total_paralysis", "lumpuh_total_permanen": "total_paralysis",
    },
}
# The datetime fields a register may split into a date column and a clock-time column; besides
# the field's own aliases, these clock-time headers belong to it.
CLOCKS = {"time": {"jam_kejadian", "pukul", "jam_insiden", "waktu_kejadian"},
          "returned_to_work": {"jam_kembali_bekerja", "pukul_kembali_bekerja"},
          "process_resumed": {"jam_proses_berjalan_kembali", "jam_beroperasi_kembali", "jam_operasi_normal_kembali"}}
DATES = {"time": {"tanggal_kejadian", "tgl_kejadian", "tanggal_insiden"},
         "returned_to_work": {"tanggal_kembali_bekerja", "tgl_kembali_bekerja"},
         "process_resumed": {"tanggal_proses_berjalan_kembali", "tanggal_beroperasi_kembali",
                             "tgl_proses_berjalan_kembali"}}
TO_THE_MINUTE = ("injury", "process_stop", "equipment_damage")
BODY_PART = "anggota_tubuh"
INJURY_COLUMNS = ("jenis_cedera", "sifat_cedera", "jenis_luka", "tipe_cedera")
NAMED_DATE = re.compile(r"^(\d{1,2})[\s-]+([A-Za-z]+)[\s-]+(\d{2}|\d{4})$")
CLOCK = re.compile(r"^(\d{1,2})[.:](\d{2})(?:[.:](\d{2}))?$")


# -- dates and times -------------------------------------------------------------------------------

def date_text(value: Any) -> str | None:
    """A date cell as the fact checker reads dates (ISO or day first), Indonesian month names
    turned into numbers; None when it is no date this reader knows (the checker then says why)."""
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    named = NAMED_DATE.match(text)
    if named:
        month = MONTHS.get(named.group(2).lower())
        if month is None:
            return None
        year = int(named.group(3))
        year = year + 2000 if year < 100 else year
        return f"{int(named.group(1)):02d}/{month:02d}/{year}"
    return text


def _shown(value: Any) -> str:
    return value.isoformat() if isinstance(value, (dt.date, dt.time)) else repr(value)


def _clash(date: Any, day: str | None, clock: Any, hour: str | None) -> str | None:
    """Why a date cell and a clock cell do not make one time: the date cell's own clock time that
    is not the clock cell's, or a clock cell dated another day than the date cell (Excel keeps a
    time alone on its epoch, 1899-12-30, which says no day). Read, either was dropped unseen."""
    if isinstance(date, dt.datetime) and hour is not None and clock_text(date) != hour:
        return "give two clock times"
    if isinstance(clock, dt.datetime) and clock.year > 1900:
        dated = date.date() if isinstance(date, dt.datetime) else forms.day(day)
        if dated is not None and dated != clock.date():
            return "give two days"
    return None


def _says_amputation(kind: str) -> bool:
    """Whether an injury column says the injury is an amputation: a part of it (between commas)
    naming one (amputasi, diamputasi, amputation) that no word just before denies ("Luka robek,
    tidak ada amputasi" is none; "Amputasi tanpa komplikasi" is one)."""
    return any("amput" in said and not _DENIED.search(said) for said in re.split(r"[,;/]|\bdan\b", kind.lower()))


_DENIED = re.compile(r"\b(?:tidak|tdk|bukan|tanpa|non|no|not)(?:\s+ada)?[\s-]+\w*amput")


def clock_text(value: Any) -> str | None:
    """A clock-time cell as HH:MM[:SS] (08.30 and 8:30 as 08:30); None when it is not one."""
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    if isinstance(value, dt.datetime):  # Excel's time on its 1899-12-30 epoch
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    found = CLOCK.match(str(value).strip())
    if not found:
        return None
    hour, minute, second = found.groups()
    return f"{int(hour):02d}:{minute}" + (f":{second}" if second else "")


DATE_AND_CLOCK = re.compile(r"^(.*\d)[ T]+(\d{1,2}[.:]\d{2}(?:[.:]\d{2})?)$")


def datetime_text(value: Any) -> Any:
    """A time cell as the fact checker reads it: "3 Februari 2026 08.30" as "03/02/2026 08:30";
    anything else (ISO with its offset, Excel's datetime) unchanged."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    found = DATE_AND_CLOCK.match(text)
    if found and not re.search(r"[+-]\d\d:?\d\d$|Z$", text):
        day = date_text(found.group(1).strip())
        return f"{day} {clock_text(found.group(2))}" if day else value
    if not re.search(r"\d[:.]\d\d", text):  # a date alone
        return date_text(text) or value
    return value


def has_clock(value: Any) -> bool:
    """Whether a time cell holds a clock time (not a date alone)."""
    if isinstance(value, dt.datetime):
        return True
    if isinstance(value, dt.date):
        return False
    return bool(re.search(r"[ T]\d{1,2}[:.]\d{2}", str(value).strip()))


# -- incidents ---------------------------------------------------------------------------------------

class _Register:
    """What one incident file's header says beyond the fields: which columns make one time, and
    how Anggota Tubuh is to be read."""

    def __init__(self, header: list[str], keys: Iterable[Any], mapped: set[str]):
        names = list(header) or list(keys)
        self.pairs: dict[str, tuple[Any, Any]] = {}  # field -> (date column, clock column)
        self.problems: list[str] = []
        for name in CLOCKS:
            dates = [c for c in names if column_key(c) in DATES[name] and column_key(c) not in mapped]
            clocks = [c for c in names if column_key(c) in CLOCKS[name] and column_key(c) not in mapped]
            if dates and clocks:
                self.pairs[name] = (dates[0], clocks[0])
        self.body_part = next((c for c in names if column_key(c) == BODY_PART and column_key(c) not in mapped), None)
        self.injury = next((c for c in names if column_key(c) in INJURY_COLUMNS and column_key(c) not in mapped), None)

    def extra(self) -> set[str]:
        """Columns this reader consumes itself (not fields, so not 'unknown')."""
        used = {column_key(c) for pair in self.pairs.values() for c in pair}
        used |= {column_key(c) for c in (self.body_part, self.injury) if c is not None}
        return used

    def prepare(self, row: Row, problems: list) -> Row:
        """The row with its date and clock columns made one time, and Anggota Tubuh read."""
        cells = dict(row.cells)
        columns = dict(row.columns)
        own: list[SourceError] = []
        for name, (date_column, clock_column) in self.pairs.items():
            date, clock = cells.pop(date_column, ""), cells.pop(clock_column, "")
            target = f"~{name}"  # a synthetic column the Columns map knows (below)
            columns[target] = row.columns.get(date_column, 0)
            if date in ("", None) and clock in ("", None):
                continue
            if date in ("", None):
                problems.append(f"{row.where(date_column)}: {INCIDENT}.{name}: a clock time "
                                f"({clock_column} {describe(clock)}) without its date ({date_column})")
                cells[target] = ""
                continue
            if clock in ("", None):
                cells[target] = date  # a date alone: judged below
                continue
            day, hour = date_text(date), clock_text(clock)
            clash = _clash(date, day, clock, hour)
            if clash:  # the row's own problem: its time is not "missing" besides
                own.append(SourceError(row.where(clock_column), f"{INCIDENT}.{name}: {date_column} {_shown(date)} "
                                                                f"and {clock_column} {_shown(clock)} {clash}; write "
                                                                "the date in one and the clock time in the other"))
                continue
            if hour is None:
                problems.append(f"{row.where(clock_column)}: {INCIDENT}.{name}: expected a clock time such as "
                                f"08:30, found {describe(clock)}")
                cells[target] = ""
                continue
            cells[target] = f"{day} {hour}" if day else date
        if self.body_part is not None:
            part = cells.pop(self.body_part, "")
            kind = str(cells.get(self.injury, "")) if self.injury is not None else ""
            if self.injury is not None:
                cells.pop(self.injury, None)
            text = str(part).strip()
            said = _says_amputation(kind)
            lost = re.sub(r"(?i)^amputasi\b\s*", "", text) if said or text.lower().startswith("amputasi") else None
            if lost == "" or (said and not text):
                problems.append(f"{row.where(self.body_part)}: {INCIDENT}.amputation_part: the row says Amputasi but "
                                f"{self.body_part!r} does not name the part lost ({text!r}); the lost days of "
                                "Lampiran I depend on it")
            elif lost is not None:
                cells["~amputation_part"] = lost
            elif text:
                if self.injury is None:
                    problems.append(f"{row.where(self.body_part)}: {INCIDENT}.amputation_part: {self.body_part!r} "
                                    f"holds {text!r}, the injured part of any injury in most registers, not an "
                                    "amputation: add a Jenis Cedera column saying Amputasi, write 'Amputasi "
                                    f"{text}', or --map '{self.body_part}=amputation_part' if the column holds "
                                    f"amputations only (--ignore '{self.body_part}' if it holds none)")
            columns["~amputation_part"] = row.columns.get(self.body_part, 0)
        return Row(row.file, row.number, cells, columns, list(row.problems) + own)


def _value(name: str, value: Any) -> Any:
    """A register's word for a field's value, as the pack writes it (unknown words unchanged)."""
    table = VALUES.get(name)
    if table is None or not isinstance(value, str):
        return value
    key = column_key(value)
    if name == "cause" and value.strip() in ("-", "–"):
        return "none"
    return table.get(key, value)


def read_incidents(paths: Iterable[str | Path], types, *, mapping: dict[str, str] | None = None,
                   ignore: Iterable[str] = (), sheet: str | None = None) -> list[dict]:
    """incident records from every file; DetectError with every problem of every file when any."""
    problems: list = []
    declaration = types.declarations.get(INCIDENT)
    if declaration is None:
        raise DetectError([f"no installed pack declares {INCIDENT}; install the zero_accident pack"])
    fields = declaration["fields"]
    out: list[dict] = []
    seen: dict[tuple[str, str], str] = {}  # (company, incident) -> where first
    mapped = {column_key(k) for k in (mapping or {})}
    for path in paths:
        rows, header = read_rows(path, problems, sheet)
        if header and not rows:
            problems.append(f"{path}: no rows under the header")
        if not rows:
            continue
        register = _Register(header, {k for r in rows for k in r.cells}, mapped)
        extra = register.extra()
        columns = forms.Columns(fields, {**(mapping or {}), **{f"~{n}": n for n in register.pairs},
                                         "~amputation_part": "amputation_part"},
                                [*ignore, *extra, "amputation"])
        prepared = [register.prepare(row, problems) for row in rows]
        # the header as prepared: the pairs' columns are one time, Anggota Tubuh is read here
        shown = [h for h in header if column_key(h) not in extra]
        shown += [f"~{n}" for n in register.pairs] + (["~amputation_part"] if register.body_part else [])

        def convert(row: Row, record: dict, problems: list, failed: set[str], columns: forms.Columns = columns,
                    register: _Register = register) -> None:
            for name in list(record):
                record[name] = _value(name, record[name])
            given = row.cells.get("amputation")
            if isinstance(given, dict):  # amputation: {part, joint}, split by the fact checker
                record["amputation"] = {k: _value(f"amputation_{k}", v) for k, v in given.items()}
            kind = record.get("kind")
            for name in ("time", "returned_to_work", "process_resumed"):
                if name in record:
                    record[name] = datetime_text(record[name])
                value = record.get(name)
                if value in (None, "") or kind not in TO_THE_MINUTE or has_clock(value):
                    continue
                if name in failed:
                    continue
                column = columns.column_of(row, name)
                pair = register.pairs.get(name)
                problems.append(f"{row.where(column)}: {INCIDENT}.{name}: {describe(value)} has no clock time; kind "
                                f"{kind} is judged to the minute (2 x 24 h, the next shift): give the time"
                                + (f" (in {pair[1]!r})" if pair else ""))
                failed.add(name)

        facts = forms.to_facts(prepared, shown, INCIDENT, types, columns, problems, detector="incidents",
                               convert=convert)
        for fact in facts:
            key = (fact["company"], fact["incident"])
            where = f"{fact['source']['file']}:{fact['source']['row']}"
            if key in seen:
                problems.append(f"{where}: {INCIDENT}.incident: {fact['incident']!r} of {fact['company']} is also "
                                f"the id of the incident at {seen[key]}; one id, one incident")
            seen.setdefault(key, where)
        out += facts
    if problems:
        raise DetectError(problems)
    return out


# -- hours ---------------------------------------------------------------------------------------------

SERIES = ("employee_hours", "overtime_hours", "contractor_hours", "contractor_overtime_hours")
INDONESIAN_THOUSANDS = re.compile(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$")
ENGLISH_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


def hours_number(value: Any) -> tuple[Any, bool]:
    """An hours cell as a number the fact checker reads, and whether its reading was a choice
    (one point before three digits: thousands; one comma: a decimal comma)."""
    if not isinstance(value, str):
        return value, False
    text = value.strip().replace(" ", "").replace("\u00a0", "")
    if "." in text and "," in text:
        if INDONESIAN_THOUSANDS.match(text):
            return text.replace(".", "").replace(",", "."), False
        if ENGLISH_THOUSANDS.match(text):
            return text.replace(",", ""), False
        return value, False  # the checker names it
    if text.count(".") > 1 and INDONESIAN_THOUSANDS.match(text):
        return text.replace(".", ""), False
    if text.count(",") > 1 and ENGLISH_THOUSANDS.match(text):
        return text.replace(",", ""), False
    if re.fullmatch(r"-?\d{1,3}\.\d{3}", text):
        return text.replace(".", ""), True
    if re.fullmatch(r"-?\d+,\d+", text):  # a number, so that the checker does not read 12.500 again as ambiguous
        return float(text.replace(",", ".")), True
    return text, False


def read_hours(paths: Iterable[str | Path], types, *, mapping: dict[str, str] | None = None,
               ignore: Iterable[str] = (), sheet: str | None = None) -> tuple[list[dict], int]:
    """work_hours records from every file, and how many cells were read by choice (1.234 as
    thousands, 12,5 as a decimal comma); DetectError with every problem when any."""
    problems: list = []
    declaration = types.declarations.get(HOURS)
    if declaration is None:
        raise DetectError([f"no installed pack declares {HOURS}; install the zero_accident pack"])
    columns = forms.Columns(declaration["fields"], mapping, ignore)
    chosen = 0

    def convert(row: Row, record: dict, problems: list, failed: set[str]) -> None:
        nonlocal chosen
        for name in SERIES:
            if name in record:
                record[name], choice = hours_number(record[name])
                chosen += choice
                try:
                    negative = float(record[name]) < 0
                except (TypeError, ValueError):
                    continue  # the fact checker says what it expected
                if negative:
                    problems.append(f"{row.where(columns.column_of(row, name))}: {HOURS}.{name}: {record[name]} "
                                    "hours; hours are never negative")
                    failed.add(name)
        forms.read_month(row, record, HOURS, columns, problems, failed)  # csms reads a contractor's month as 2026-03
        year = record.get("year")
        if year is None and "month" not in record:
            problems.append(f"{row.where()}: {HOURS}.year: missing; an annual register names the year of each row")
            failed.add("year")
        elif year is not None and not re.fullmatch(r"\d{4}", str(year).strip().removesuffix(".0")):
            problems.append(f"{row.where(columns.column_of(row, 'year'))}: {HOURS}.year: expected a year such as "
                            f"2025, found {describe(year)}")
            failed.add("year")
        elif year is not None:
            record["year"] = int(str(year).strip().removesuffix(".0"))

    out: list[dict] = []
    seen: dict[tuple[Any, ...], str] = {}
    for path in paths:
        rows, header = read_rows(path, problems, sheet)
        if header and not rows:
            problems.append(f"{path}: no rows under the header")
        if not rows:
            continue
        facts = forms.to_facts(rows, header, HOURS, types, columns, problems, detector="hours", convert=convert)
        for fact in facts:
            where = f"{fact['source']['file']}:{fact['source']['row']}"
            key = (fact["company"], fact.get("year"), fact.get("month"), fact.get("contractor"))
            if key in seen:
                problems.append(f"{where}: {HOURS}: a second row for {fact['company']} "
                                f"{fact.get('month') or fact.get('year')}"
                                + (f" ({fact['contractor']})" if fact.get("contractor") else "")
                                + f"; the first is at {seen[key]}")
            seen.setdefault(key, where)
        out += facts
    if problems:
        raise DetectError(problems)
    return out, chosen


# -- the hook and the command line -------------------------------------------------------------------

class IncidentsDetector:
    """Through the patuh_detectors hook: `facts(paths)` yields checked incident records."""

    name = "incidents"
    help = "an incident register (XLSX, CSV, JSON) in, incident facts out (zero_accident)"
    fact_types = (INCIDENT,)

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE",
                            help="incident registers: .xlsx, .csv, .json, .jsonl, .yaml")
        forms.add_common(parser)

    def run(self, args) -> int:
        return forms.emit(lambda: read_incidents(args.files, forms._types(args),
                                                 mapping=forms.parse_mapping(args.map), ignore=args.ignore,
                                                 sheet=args.sheet))

    def facts(self, paths: Iterable[str | Path], *, config: str | Path | dict | None = None, types=None,
              mapping: dict[str, str] | None = None, ignore: Iterable[str] = (),
              sheet: str | None = None) -> Iterator[dict]:
        yield from read_incidents(list(paths), types or forms.fact_types(config), mapping=mapping, ignore=ignore,
                                  sheet=sheet)


class HoursDetector:
    """Through the patuh_detectors hook: `facts(paths)` yields checked work_hours records."""

    name = "hours"
    help = "an hours register, a row per company and year (XLSX, CSV, JSON) in, work_hours facts out"
    fact_types = (HOURS,)

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="hours registers: .xlsx, .csv, .json, .yaml")
        forms.add_common(parser)

    def run(self, args) -> int:
        def produce():
            records, chosen = read_hours(args.files, forms._types(args), mapping=forms.parse_mapping(args.map),
                                         ignore=args.ignore, sheet=args.sheet)
            if chosen:
                print(f"note: {chosen} hours cell(s) read the Indonesian way (1.234 as thousands, 12,5 as a "
                      "decimal comma)", file=sys.stderr)
            return records

        return forms.emit(produce)

    def facts(self, paths: Iterable[str | Path], *, config: str | Path | dict | None = None, types=None,
              mapping: dict[str, str] | None = None, ignore: Iterable[str] = (),
              sheet: str | None = None) -> Iterator[dict]:
        yield from read_hours(list(paths), types or forms.fact_types(config), mapping=mapping, ignore=ignore,
                              sheet=sheet)[0]


@hookimpl
def patuh_detectors():
    return [IncidentsDetector(), HoursDetector()]
