"""SMK3 audit checklists -> one `smk3_audit` fact per checklist and one `smk3_criterion` fact per row,
in the smk3 pack's vocabulary.

    patuh detect audit checklist-SMK3-2025-014.xlsx > audit.jsonl
    patuh detect audit checklist.csv --audit SMK3-2025-014 --company "PT Semen Padu" --date 2025-05-20 \\
        --level transisi --auditor "PT Sucofindo" --kind external > audit.jsonl

A checklist is the table an auditor keeps: one row per criterion of PP 50/2012 Lampiran II (or per
criterion and location, for one not met at several places), with its number, result, category,
location and evidence (headers through the aliases of smk3_criterion's fields in the smk3 pack's
facts.yaml: No Kriteria, Hasil, Kategori, Lokasi, Bukti, ...). The audit's header (its number,
company, last day, level, audit body, kind) is given as a few lines above the table, one
"key | value" pair a row or "key: value" in one cell (No Audit, Perusahaan, Tanggal Audit, Tingkat,
Badan Audit, Jenis Audit: smk3_audit's aliases), or as options, which fill in what the file does
not say (an option that contradicts the file is an error). Files are read by patuh.rows: `.xlsx`
(the first sheet, or --sheet) and `.csv`; `.json`, `.jsonl` and `.yaml` give records, a
`type: smk3_audit` record being the header. Each file is one audit; files naming the same audit
with the same header add up to one checklist.

Auditors' words are read as the pack's values (RESULTS, CATEGORIES, LEVELS, KINDS below): Sesuai /
Tidak Sesuai / Tidak Berlaku, Ya / Tidak, N/A; Kritikal / Mayor / Minor; a result cell holding a
category ("Mayor") is a criterion not met in that category. Columns that only describe a criterion
(No, Uraian Kriteria, Elemen, Tingkat) are left out; any other column no field knows is an error
unless --ignore names it. Every record goes through patuh's fact checker (a criterion that is not
one of Lampiran II's 166 is refused there), and the whole checklist against what the smk3 pack refuses
(a criterion above the audit's level, by the pack's tables, patuh.tables; a criterion not met
without a category; one criterion twice at one location): every problem of every file is named
by file, row and column, and nothing is written.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import patuh
from patuh.models import canonical
from patuh.plugins import hookimpl
from patuh.problems import FactError, SourceError, Where
from patuh.rows import Row, column_key, describe
from patuh.rows import read as read_rows

from . import forms
from .forms import DetectError

DETECTOR = "audit"
AUDIT = "smk3_audit"
CRITERION = "smk3_criterion"
PACK = "smk3"

# Auditors' words (folded as column_key folds headers) -> smk3_criterion.result.
RESULTS: dict[str, str] = {
    **dict.fromkeys(("met", "sesuai", "terpenuhi", "memenuhi", "ya", "y", "yes", "ok", "comply", "compliant",
                     "conform", "c"), "met"),
    **dict.fromkeys(("not_met", "tidak_sesuai", "tidak_terpenuhi", "tidak_memenuhi", "belum_sesuai",
                     "belum_terpenuhi", "tidak", "t", "no", "n", "nc", "non_conformity", "nonconformity",
                     "not_comply", "ketidaksesuaian"), "not_met"),
    **dict.fromkeys(("not_applicable", "tidak_berlaku", "tidak_relevan", "n_a", "na", "tb", "not_relevant"),
                    "not_applicable"),
}
# -> smk3_criterion.category (and, in a result cell, a criterion not met in that category).
CATEGORIES: dict[str, str] = {
    **dict.fromkeys(("critical", "kritikal", "kritis", "temuan_kritikal", "kategori_kritikal"), "critical"),
    **dict.fromkeys(("major", "mayor", "temuan_mayor", "kategori_mayor"), "major"),
    **dict.fromkeys(("minor", "temuan_minor", "kategori_minor"), "minor"),
}
LEVELS: dict[str, str] = {
    **dict.fromkeys(("awal", "tingkat_awal", "initial", "kategori_tingkat_awal", "64_kriteria"), "awal"),
    **dict.fromkeys(("transisi", "tingkat_transisi", "transition", "kategori_tingkat_transisi", "122_kriteria"),
                    "transisi"),
    **dict.fromkeys(("lanjutan", "tingkat_lanjutan", "advanced", "kategori_tingkat_lanjutan", "166_kriteria"),
                    "lanjutan"),
}
KINDS: dict[str, str] = {
    **dict.fromkeys(("external", "eksternal", "audit_eksternal", "sertifikasi", "audit_sertifikasi",
                     "badan_audit"), "external"),
    **dict.fromkeys(("internal", "audit_internal", "interna"), "internal"),
}
# Columns that describe a criterion (its number says which) and are left out without asking.
DESCRIPTIVE = ("no", "no_urut", "nomor_urut", "uraian", "uraian_kriteria", "deskripsi", "deskripsi_kriteria",
               "description", "kriteria_audit", "elemen", "sub_elemen", "element", "sub_element", "tingkat",
               "tingkat_kriteria", "level")
HEADER_FIELDS = ("audit", "company", "date", "level", "auditor", "kind")


def _word(value: Any, table: dict[str, str]) -> str | None:
    return table.get(column_key(value)) if isinstance(value, str) else None


# What an error message shows of each table (the tables hold the spelling variants).
SHOWN = {
    "result": "Sesuai, Terpenuhi, Ya (met); Tidak Sesuai, Tidak Terpenuhi, Tidak (not_met); Tidak Berlaku, N/A "
              "(not_applicable); or a category: Kritikal, Mayor, Minor (not met in that category)",
    "category": "Kritikal (critical), Mayor (major), Minor (minor)",
    "level": "Awal, Transisi, Lanjutan (or Tingkat Awal, ...; initial, transition, advanced)",
    "kind": "Eksternal, Internal (or external, internal)",
}
assert all(_w in RESULTS or _w in CATEGORIES for _w in ("sesuai", "terpenuhi", "ya", "tidak_sesuai",
                                                        "tidak_terpenuhi", "tidak", "tidak_berlaku", "n_a",
                                                        "kritikal", "mayor", "minor"))


class _Columns(forms.Columns):
    """A checklist row's columns: its audit comes from the checklist's header, not a column."""

    def required(self) -> list[str]:
        return [n for n in super().required() if n != "audit"]


class Header:
    """An audit's header: field -> (value, where it was written), from the lines above the table,
    a record, or the options."""

    def __init__(self, fields: dict[str, dict]):
        self.fields = fields
        self.keys = {column_key(a): name for name, spec in fields.items() for a in spec.get("aliases") or ()}
        self.keys.update((name, name) for name in fields)
        self.values: dict[str, tuple[Any, str]] = {}

    def field_of(self, key: Any) -> str | None:
        return self.keys.get(column_key(key))

    def give(self, name: str, value: Any, where: str, problems: list) -> None:
        if value is None or value == "":
            return
        if name == "level":
            value = _word(value, LEVELS) or value
        elif name == "kind":
            value = _word(value, KINDS) or value
        known = self.values.get(name)
        if known is not None and not self._same(name, known[0], value):
            problems.append(f"{where}: {AUDIT}.{name}: {describe(value)} here, but {describe(known[0])} at {known[1]}")
            return
        self.values.setdefault(name, (value, where))

    def _same(self, name: str, a: Any, b: Any) -> bool:
        """Whether two values given for one field agree: dates as dates (--date 2025-05-20 and a
        header's 20/05/2025 or its date cell are one day), the rest as written."""
        if self.fields[name].get("type") == "date":
            first, second = forms.day(a), forms.day(b)
            if first is not None and second is not None:
                return first == second
        return str(a) == str(b)

    def read_lines(self, lines: list[Row], ignore: set[str], problems: list) -> None:
        """The lines above the table: "key | value" (the first two filled cells) or "key: value"."""
        for line in lines:
            if line.problems:
                problems += [str(p) for p in line.problems]
                continue
            cells = [(column, value) for column, value in sorted(line.cells.items())]
            key_column, key = cells[0]
            if len(cells) == 1:
                if not isinstance(key, str) or ":" not in key:
                    continue  # a title line: nothing to read
                key, _, value = key.partition(":")
                value_column = key_column
            else:
                value_column, value = cells[1]
                if isinstance(key, str) and key.rstrip().endswith(":"):
                    key = key.rstrip()[:-1]
            name = self.field_of(key)
            if name is None:
                if column_key(key) not in ignore:
                    problems.append(f"{line.where(key_column)}: {key!r} is not a field of the audit's header; "
                                    f"expected {', '.join(HEADER_FIELDS)} or their names ({AUDIT} in the smk3 "
                                    f"pack's facts.yaml), or --ignore '{key}'")
                continue
            if len(cells) > 2:
                problems.append(f"{line.where(cells[2][0])}: {AUDIT}.{name}: one value a line; found more cells")
                continue
            self.give(name, value.strip() if isinstance(value, str) else value, str(line.where(value_column)),
                      problems)

    def record(self) -> dict[str, Any]:
        return {"type": AUDIT, **{name: value for name, (value, _) in self.values.items()}}

    def where(self, name: str | None) -> str | None:
        return self.values[name][1] if name in self.values else None


def _is_table_header(names: set[str]):
    def test(cells: list) -> bool:
        filled = [c for c in cells if c != ""]
        return len(filled) >= 2 and any(column_key(c) in names for c in filled if isinstance(c, str))
    return test


def read_checklists(paths: Iterable[str | Path], types, *, header: dict[str, Any] | None = None,
                    mapping: dict[str, str] | None = None, ignore: Iterable[str] = (), sheet: str | None = None,
                    config: str | Path | dict | None = None, pack_check: bool = True) -> list[dict]:
    """smk3_audit and smk3_criterion records from every file (each an audit), in file and row order;
    DetectError with every problem of every file when any. `header` gives the audit's fields the
    files do not (--audit, --company, ...)."""
    problems: list = []
    declarations = types.declarations
    if AUDIT not in declarations or CRITERION not in declarations:
        raise DetectError([f"no installed pack declares {AUDIT} and {CRITERION}; install the smk3 pack"])
    criterion_fields = declarations[CRITERION]["fields"]
    columns = _Columns(criterion_fields, mapping, [*DESCRIPTIVE, *ignore])
    numbers = criterion_fields["criterion"].get("values") or []
    table_names = {column_key(a) for a in criterion_fields["criterion"].get("aliases") or ()} | {"criterion"}
    table_names |= {column_key(k) for k, v in (mapping or {}).items() if v == "criterion"}
    ignored = {column_key(c) for c in ignore}
    audits: dict[str, tuple[dict, str]] = {}  # audit id -> (its record, the file that gave it first)
    places: dict[str, dict[str, int]] = {}  # file -> field -> the column number that gives it
    out: list[dict] = []
    for path in paths:
        given = Header(declarations[AUDIT]["fields"])
        above: list[Row] = []
        rows, table_header = read_rows(path, problems, sheet, header=_is_table_header(table_names), preamble=above)
        given.read_lines(above, ignored, problems)
        if not table_header:  # records: a smk3_audit record is the header, the rest are rows
            rows = _records_header(rows, given, problems)
        for name, value in (header or {}).items():
            given.give(name, value, f"--{name}", problems)
        audit = _audit_record(given, path, above, types, problems)
        if table_header and not rows:
            problems.append(f"{path}: no rows under the checklist's header")
        places[str(path)] = {f: i for i, h in enumerate(table_header, 1) if h and (f := columns.field_of(h))}
        if audit is None:
            continue
        first = audits.get(audit["audit"])
        if first is not None and _content(first[0]) != _content(audit):
            problems.append(f"{path}: audit {audit['audit']} is also given by {first[1]} with another header "
                            f"({_differ(first[0], audit)})")
            continue
        if first is None:
            audits[audit["audit"]] = (audit, str(path))
            out.append(audit)

        this_audit: str = audit["audit"]

        def convert(row: Row, record: dict, problems: list, failed: set[str], audit_id: str = this_audit):
            _convert(row, record, problems, failed, columns, audit_id, numbers)

        out += forms.to_facts(rows, table_header, CRITERION, types, columns, problems, detector=DETECTOR,
                              convert=convert)
    repeated = _duplicates([r for r in out if r["type"] == CRITERION], problems)
    if pack_check and out:
        problems += _against_the_pack([r for r in out if id(r) not in repeated], places, config)
    if problems:
        raise DetectError(problems)
    return out


def _records_header(rows: list[Row], given: Header, problems: list) -> list[Row]:
    out = []
    for row in rows:
        if row.cells.get("type") == AUDIT:
            for key, value in row.cells.items():
                if key in ("type", "source", "id"):
                    continue
                name = given.field_of(key)
                if name is None:
                    problems.append(f"{row.where()}: {AUDIT}: unknown field {key!r}")
                else:
                    given.give(name, value, str(row.where()), problems)
        else:
            out.append(row)
    return out


def _audit_record(given: Header, path: str | Path, above: list[Row], types, problems: list) -> dict | None:
    record = given.record()
    record["source"] = {"detector": DETECTOR, "file": str(path)} | (
        {"row": above[0].number} if above else {})
    missing = [n for n, spec in given.fields.items() if spec.get("required") and n not in given.values]
    if missing:
        problems.append(f"{path}: the audit's header lacks {', '.join(missing)}: give it above the table "
                        f"({', '.join(f'{n}: ...' for n in missing)}) or as --{' --'.join(missing)}")
        return None
    try:
        fact = types.check(record, Where(str(path)))
    except FactError as exc:
        for name, message in exc.fields:
            where = given.where(name) or str(path)
            if name == "level":
                message += f" (an auditor's words: {SHOWN['level']})"
            elif name == "kind":
                message += f" (an auditor's words: {SHOWN['kind']})"
            problems.append(f"{where}: {message}")
        return None
    fact.pop("id", None)
    return canonical(fact)


def _convert(row: Row, record: dict, problems: list, failed: set[str], columns, audit_id: str,
             numbers: list[str]) -> None:
    """A row's auditor words as the pack's values, and the audit it belongs to."""
    if record.get("audit") not in (None, audit_id):
        problems.append(f"{row.where(columns.column_of(row, 'audit'))}: {CRITERION}.audit: {record['audit']!r}, but "
                        f"the checklist's header says audit {audit_id!r}")
        failed.add("audit")
    record["audit"] = audit_id
    criterion = record.get("criterion")
    if isinstance(criterion, str):
        record["criterion"] = criterion = criterion.strip().rstrip(".")
    if criterion is not None and numbers and criterion not in numbers:
        problems.append(f"{row.where(columns.column_of(row, 'criterion'))}: {CRITERION}.criterion: {criterion!r} is "
                        f"not one of the {len(numbers)} criteria of PP 50/2012 Lampiran II ({numbers[0]} to "
                        f"{numbers[-1]})")
        failed.add("criterion")
    result = record.get("result")
    if result is not None:
        word = _word(result, RESULTS)
        category = _word(result, CATEGORIES)
        if word is not None:
            record["result"] = word
        elif category is not None:  # "Mayor" in the result column: not met, in that category
            if record.get("category") is not None and _word(record["category"], CATEGORIES) != category:
                problems.append(f"{row.where(columns.column_of(row, 'result'))}: {CRITERION}.result: {result!r} says "
                                f"one category and the category column {record['category']!r} another")
                failed.add("result")
                return
            record["result"], record["category"] = "not_met", category
        else:
            problems.append(f"{row.where(columns.column_of(row, 'result'))}: {CRITERION}.result: unknown result "
                            f"{result!r}; expected {SHOWN['result']}")
            failed.add("result")
    category = record.get("category")
    if category is not None and record.get("result") != "not_met":
        record.pop("category")  # a category belongs to a criterion not met; a met row's is not read
    elif category is not None and category not in CATEGORIES.values():
        found = _word(category, CATEGORIES)
        if found is None:
            problems.append(f"{row.where(columns.column_of(row, 'category'))}: {CRITERION}.category: unknown "
                            f"category {category!r}; expected {SHOWN['category']}")
            failed.add("category")
        else:
            record["category"] = found


def _duplicates(records: list[dict], problems: list) -> set[int]:
    """A row repeated cell for cell: the engine would hold the two as one fact, so it is named here,
    by row (two rows of one criterion and location that differ are the pack's to refuse)."""
    seen: dict[str, dict] = {}
    repeated = set()
    for record in records:
        first = seen.setdefault(repr(sorted(_content(record).items())), record)
        if first is not record:
            repeated.add(id(record))
            where = record["source"]
            problems.append(f"{where['file']}:{where['row']}: {CRITERION}: the same row as "
                            f"{first['source']['file']}:{first['source']['row']} (criterion {record['criterion']}"
                            + (f" at {record['location']!r}" if record.get("location") else "") +
                            "): one row per criterion and location")
    return repeated


def _against_the_pack(records: list[dict], places: dict[str, dict[str, int]],
                      config: str | Path | dict | None) -> list[str]:
    """What the smk3 pack refuses as bad input, checked against its tables (patuh.tables) and named
    by row and column: a criterion of a level above the audit's, a criterion not met without a
    category, two rows of one criterion at one location (or both without one)."""
    tables = patuh.tables(PACK, config=config)
    entering = {r["criterion"]: r["level"] for r in tables["smk3_criterion_level"]}
    covers = {(r["level"], r["includes"]) for r in tables["smk3_level_scope"]}
    since = min(str(r["since"]) for r in tables["smk3_criteria_edition"])
    audits = {r["audit"]: r for r in records if r["type"] == AUDIT}
    seen: dict[tuple, dict] = {}
    out = []

    def place(record: dict, *fields: str) -> str:
        found = places.get(record["source"]["file"], {})
        column = next((found[f] for f in fields if f in found), 0)
        return f"{record['source']['file']}:{record['source']['row']}" + (f":{column}" if column else "")

    for record in (r for r in records if r["type"] == CRITERION):
        audit = audits[record["audit"]]
        level = entering.get(record["criterion"])
        if str(audit["date"]) >= since and level and (audit["level"], level) not in covers:
            out.append(f"{place(record, 'criterion')}: {CRITERION}.criterion: {record['criterion']} is a criterion of "
                       f"tingkat {level} (PP 50/2012 Lampiran II), not of audit {audit['audit']}'s tingkat "
                       f"{audit['level']}: the row or the audit's level is wrong")
        if record["result"] == "not_met" and not record.get("category"):
            out.append(f"{place(record, 'category', 'result')}: {CRITERION}.category: criterion "
                       f"{record['criterion']} is not met without a category (Kritikal, Mayor or Minor): the "
                       "certificate decision and the finding turn on it")
        first = seen.setdefault((record["audit"], record["criterion"], record.get("location")), record)
        if first is not record:
            out.append(f"{place(record, 'location', 'criterion')}: {CRITERION}: criterion {record['criterion']} again "
                       + (f"at {record['location']!r}" if record.get("location") else "without a location")
                       + f" (first at {first['source']['file']}:{first['source']['row']}): one row per criterion and "
                       "location")
    return out


def _content(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "source"}


def _differ(a: dict, b: dict) -> str:
    return ", ".join(f"{k}: {a.get(k)!r} / {b.get(k)!r}" for k in sorted(set(_content(a)) | set(_content(b)))
                     if a.get(k) != b.get(k))


class AuditDetector:
    """Through the patuh_detectors hook: `facts(paths, header={...})` yields checked smk3_audit and
    smk3_criterion records, or raises DetectError (every problem) before yielding any."""

    name = DETECTOR
    help = "SMK3 audit checklists (XLSX, CSV) in, smk3_audit and smk3_criterion facts out"
    fact_types = (AUDIT, CRITERION)

    def add_arguments(self, parser) -> None:
        add_arguments(parser)

    def run(self, args) -> int:
        return run(args)

    def facts(self, paths: Iterable[str | Path], *, header: dict[str, Any] | None = None,
              config: str | Path | dict | None = None, types=None, mapping: dict[str, str] | None = None,
              ignore: Iterable[str] = (), sheet: str | None = None) -> Iterator[dict]:
        yield from read_checklists(list(paths), types or forms.fact_types(config), header=header, mapping=mapping,
                                   ignore=ignore, sheet=sheet, config=config)


@hookimpl
def patuh_detectors():
    return [AuditDetector()]


def add_arguments(parser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="audit checklists: .xlsx, .csv (.json, .jsonl, .yaml), one audit each")
    parser.add_argument("--audit", metavar="ID", help="the audit's number, when the checklist does not say it")
    parser.add_argument("--company", metavar="ID", help="the audited company")
    parser.add_argument("--date", metavar="DATE", help="the audit's last day")
    parser.add_argument("--level", metavar="LEVEL", help="awal, transisi or lanjutan (the level audited)")
    parser.add_argument("--auditor", metavar="NAME", help="the audit body (badan audit), or the internal team")
    parser.add_argument("--kind", metavar="KIND", help="external (an audit body's) or internal")
    forms.add_common(parser)


def run(args) -> int:
    header = {name: getattr(args, name) for name in HEADER_FIELDS if getattr(args, name) is not None}

    def produce():
        try:
            return read_checklists(args.files, forms._types(args), header=header,
                                   mapping=forms.parse_mapping(args.map), ignore=args.ignore, sheet=args.sheet,
                                   config=args.config)
        except SourceError as exc:  # a site config that cannot be read
            raise DetectError([str(exc)]) from None

    return forms.emit(produce)
