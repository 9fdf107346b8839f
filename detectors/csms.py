"""CSMS registers -> the csms pack's facts: a principal's contract register, pre-qualification
results, pre-job activities, inspections (one row per inspection, or an inspection checklist with
one row per item), final evaluations and the contractors' monthly K3 scorecards.

    patuh detect csms register-kontrak.xlsx hasil-pq.csv inspeksi.xlsx --company "PT Prinsipal" > csms.jsonl

Each file (or each sheet, with --all-sheets) is one register. Its kind is recognised from its
headers, folded and matched to the fields and aliases of the csms pack's facts.yaml (No Kontrak,
Nama Kontraktor, Tanggal Inspeksi, Nilai PQ, Berlaku Sampai, ...): the kind whose required fields
all have a column and which claims the most columns; none, or a tie, is an error naming the
candidates (--type KIND decides). Kinds:

- contracts: the contract register, one `contract` per row and, where the row names the winning
  contractor, its `award` (a contractor without an award date is an error);
- prequalification; pre_job_activity; final_evaluation (a sheet's own Total, Nilai Akhir,
  Predikat or Hasil columns are left out, and said: the pack computes the total);
- inspection: one row per inspection with its score, or a checklist with one row per item
  (Nilai Aktual / Nilai Maksimum): score = Σ actual / Σ maximum × 100 per contract, contractor
  and date (secondary-facts.md, M), one `inspection` per inspection;
- contractor_kpi: a monthly scorecard, one row per indicator, its label mapped to the indicator's
  id through the csms pack's kpi_leading and kpi_lagging tables (id, label or one of its names);
  a label in neither is an error naming the cell.

Values: risk levels Tinggi/High/Risiko Tinggi, Sedang/Menengah/Medium, Rendah/Low (anything else
is an error); percentages 85, "85 %", 85,5 (under 0 or over 100 is an error, and so is a fraction
such as 0.85, which a percent-formatted cell holds: write 85); a PQ sheet giving points with
--pq-max POINTS (score = points / POINTS × 100; 310 for the common 31-element rubric); months
2026-03, 03/2026, Maret 2026 or a date; contract numbers and contractor names trimmed, inner
spaces collapsed (two names differing only in case or punctuation are named on standard error,
not merged). Everything else as `patuh detect forms` reads it (dates day-first or ISO, Ya/Tidak).
A contract number given twice in one register with different data is an error naming both rows.
Every problem of every file: one line each, exit 2, nothing on standard output.
"""
from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from patuh.models import canonical
from patuh.plugins import hookimpl, manager, pack_folders
from patuh.problems import FactError
from patuh.rows import Row, column_key, describe
from patuh.rows import read as read_rows

from . import forms
from .forms import DetectError

DETECTOR = "csms"
KINDS = ("contracts", "prequalification", "pre_job_activity", "inspection", "final_evaluation", "contractor_kpi")

RISK = {"high": "high", "tinggi": "high", "risiko_tinggi": "high", "resiko_tinggi": "high", "high_risk": "high",
        "medium": "medium", "sedang": "medium", "menengah": "medium", "risiko_sedang": "medium",
        "resiko_sedang": "medium", "risiko_menengah": "medium", "medium_risk": "medium",
        "low": "low", "rendah": "low", "risiko_rendah": "low", "resiko_rendah": "low", "low_risk": "low"}
PERCENT = {"prequalification": ("score",), "inspection": ("score",),
           "final_evaluation": ("pja", "inspection", "programme", "kpi")}
# Columns a final evaluation sheet often carries that the pack computes itself: left out, and said.
COMPUTED = ("total", "nilai_total", "nilai_akhir", "skor_akhir", "skor_total", "predikat", "hasil", "kategori",
            "hasil_evaluasi", "result")
ROW_NUMBER = ("no", "no_urut", "nomor_urut")  # a sheet's running number
# An inspection checklist: one row per item, its score and the item's maximum.
CHECKLIST = {
    "actual": {"type": "number", "required": True,
               "aliases": ["Nilai Aktual", "Skor Aktual", "Nilai Item", "Skor Item", "Aktual", "Actual Score"]},
    "maximum": {"type": "number", "required": True,
                "aliases": ["Nilai Maksimum", "Skor Maksimum", "Nilai Maks", "Skor Maks", "Nilai Max", "Maksimum",
                            "Max Score", "Maximum Score"]},
}
ITEM_COLUMNS = ("item", "elemen", "element", "uraian", "kriteria", "pertanyaan", "sub_elemen", "temuan",
                "keterangan", "remarks")


def _name(value: Any) -> Any:
    """A contract number or contractor name as the facts hold it: trimmed, inner spaces collapsed."""
    return re.sub(r"\s+", " ", value).strip() if isinstance(value, str) else value


def _percent(value: Any, top: Decimal = Decimal(100)) -> tuple[Any, str | None]:
    """A percentage as a number, or why it is not one."""
    text = value
    if isinstance(value, str) and "%" in value and top != 100:  # also a percent-formatted cell (patuh.rows)
        points = format(top.normalize(), "f")  # 310, as typed
        return None, (f"{describe(value)} is a percentage, but --pq-max {points} reads points of {points}: give "
                      "the points, or leave out --pq-max for a sheet of percentages")
    if isinstance(value, str):
        text = value.strip().rstrip("%").strip().replace(",", ".")
    if isinstance(text, bool):
        return None, f"expected a percentage (0 to {top}), found {describe(value)}"
    try:
        number = Decimal(str(text))
    except InvalidOperation:
        return None, f"expected a percentage (0 to {top}), found {describe(value)}"
    if not number.is_finite() or number < 0 or number > top:
        return None, f"expected a percentage from 0 to {top}, found {describe(value)}"
    if top == 100 and 0 < number < 1 and not (isinstance(value, str) and "%" in value):  # 0.5 % says so
        return None, (f"{describe(value)} looks like a fraction (a percent-formatted cell holds 0.85 for 85 %); "
                      "write the percentage, e.g. 85")
    return (int(number) if number == number.to_integral_value() else float(number)), None


class Scorecard:
    """The indicator ids of the csms pack's kpi_leading and kpi_lagging tables, and the labels and
    names a scorecard gives them (folded as headers are), read from the installed pack's
    tables.yaml (the one list of indicators)."""

    def __init__(self) -> None:
        import yaml

        folder = next((f for f in pack_folders(manager()) if _pack_name(f) == "csms"), None)
        if folder is None:
            raise DetectError(["the csms pack is not installed: its kpi_leading and kpi_lagging tables name the "
                               "scorecard's indicators"])
        try:
            tables = yaml.safe_load((folder / "tables.yaml").read_text(encoding="utf-8"))["tables"]
            rows = [r for t in ("kpi_leading", "kpi_lagging") for r in tables[t]["rows"]]
        except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
            raise DetectError([f"{folder / 'tables.yaml'}: cannot read the scorecard's indicators: {exc}"]) from None
        self.ids: dict[str, str] = {}
        for row in rows:
            for label in [row["indicator"], row.get("label"), *(row.get("names") or [])]:
                if label:
                    self.ids.setdefault(column_key(label), row["indicator"])
        self.shown = sorted({r["label"] for r in rows})

    def indicator(self, label: Any) -> str | None:
        return self.ids.get(column_key(label))


def _pack_name(folder: Path) -> str | None:
    import yaml

    try:
        return (yaml.safe_load((folder / "pack.yaml").read_text(encoding="utf-8")) or {}).get("name")
    except (OSError, yaml.YAMLError, AttributeError):
        return None


class Reader:
    """One run of the detector: every file's records and every problem, with the notes for
    standard error."""

    def __init__(self, types, *, kind: str | None = None, company: str | None = None,
                 mapping: dict[str, str] | None = None, ignore: Iterable[str] = (), pq_max: float | None = None):
        self.types, self.kind, self.company = types, kind, _name(company)
        self.mapping, self.ignore = mapping or {}, list(ignore)
        self.pq_max = Decimal(str(pq_max)) if pq_max is not None else None
        self.problems: list = []
        self.notes: list[str] = []
        self._scorecard: Scorecard | None = None
        missing = [k for k in ("contract", "award", "prequalification", "pre_job_activity", "inspection",
                               "final_evaluation", "contractor_kpi") if k not in types.declarations]
        if missing:
            raise DetectError([f"the csms pack's fact types are not installed ({', '.join(missing)})"])
        if kind is not None and kind not in KINDS:
            raise DetectError([f"--type {kind}: expected one of {', '.join(KINDS)}"])
        if self.pq_max is not None and not self.pq_max > 0:
            raise DetectError([f"--pq-max {pq_max}: expected the points of a full PQ score, e.g. 310"])

    def fields(self, kind: str) -> dict[str, dict]:
        """The columns a register of this kind may have, as fields with aliases."""
        declarations = self.types.declarations
        if kind == "contracts":
            award = declarations["award"]["fields"]
            return {**declarations["contract"]["fields"], "contractor": award["contractor"],
                    "award_date": {**award["date"], "required": False}}
        if kind == "inspection_checklist":
            fields = {k: v for k, v in declarations["inspection"]["fields"].items() if k != "score"}
            return {**fields, **CHECKLIST}
        return declarations[kind]["fields"]

    def columns(self, kind: str) -> forms.Columns:
        extra = [*ROW_NUMBER, *(COMPUTED if kind == "final_evaluation" else ()),
                 *(ITEM_COLUMNS if kind == "inspection_checklist" else ())]
        return forms.Columns(self.fields(kind), self.mapping, [*extra, *self.ignore])

    def recognise(self, header: list[str], where: str) -> str | None:
        candidates = [self.kind] if self.kind else list(KINDS)
        if "inspection" in candidates:
            candidates.append("inspection_checklist")
        fits: list[tuple[int, str]] = []
        seen = []
        for kind in candidates:
            columns = self.columns(kind)
            found = {columns.field_of(h) for h in header if h} - {None}
            required = {n for n in columns.required() if not (kind == "contracts" and n == "company" and self.company)}
            lacks = ", lacks " + ", ".join(sorted(required - found)) if required - found else ""
            seen.append(f"{kind} ({len(found)} columns{lacks})")
            if required <= found:
                fits.append((len(found), kind))
        fits.sort(reverse=True)
        if not fits or (len(fits) > 1 and fits[0][0] == fits[1][0] and not self.kind):
            what = "no kind of register fits" if not fits else \
                f"{fits[0][1]} and {fits[1][1]} fit equally"
            self.problems.append(f"{where}:1: {what} its headers ({', '.join(h for h in header if h)}); "
                                 f"candidates: {'; '.join(seen)}; name it with --type")
            return None
        if self.kind == "inspection" and len(fits) > 1 and fits[0][0] == fits[1][0]:
            return "inspection"
        return fits[0][1]

    # -- one register --------------------------------------------------------------------------
    def read(self, path: str | Path, sheet: str | None) -> list[dict]:
        rows, header = read_rows(path, self.problems, sheet)
        where = f"{path}" + (f"[{sheet}]" if sheet else "")
        for row in rows:  # a problem names the sheet it is on; the facts' source says it apart
            row.file = where
        facts = self._read(rows, header, where)
        for fact in facts:
            if fact["source"].get("file") == where and sheet:
                fact["source"] = {**fact["source"], "file": str(path), "sheet": sheet}
        return facts

    def _read(self, rows: list[Row], header: list[str], where: str) -> list[dict]:
        if header and not rows:
            self.problems.append(f"{where}: no rows under the header")
        if not rows:
            return []
        if not header:  # records (JSON, JSONL, YAML): their keys are the header
            header = sorted({str(k) for r in rows for k in r.cells if k not in ("type", "id", "source")})
        kind = self.recognise(header, where)
        if kind is None:
            return []
        computed = [h for h in header if column_key(h) in COMPUTED]
        if kind == "final_evaluation" and computed:
            self.notes.append(f"{where}: column(s) {', '.join(computed)} not read: the csms pack computes the "
                              "final evaluation's total and outcome")
        if kind == "contracts":
            return self._contracts(rows, header)
        if kind == "inspection_checklist":
            return self._checklist(rows, header)
        return forms.to_facts(rows, header if rows[0].columns else [], kind, self.types, self.columns(kind),
                              self.problems, detector=DETECTOR, convert=self._converter(kind))

    def _converter(self, kind: str):
        label = "contract" if kind == "contracts" else kind  # the fact type a problem names

        def convert(row: Row, record: dict, problems: list, failed: set[str]) -> Any:
            columns = self.columns(kind)
            for name in ("contract", "contractor"):
                if name in record:
                    record[name] = _name(record[name])
            for name in ("risk", "level"):
                if name in record and kind in ("contracts", "contract", "prequalification"):
                    value = RISK.get(column_key(record[name]))
                    if value is None:
                        problems.append(f"{row.where(columns.column_of(row, name))}: {label}.{name}: expected a "
                                        f"risk level (Tinggi/High, Sedang/Medium, Rendah/Low), found {record[name]!r}")
                        failed.add(name)
                    else:
                        record[name] = value
            for name in PERCENT.get(kind, ()):
                if name not in record:
                    continue
                top = self.pq_max if kind == "prequalification" and self.pq_max is not None else Decimal(100)
                value, why = _percent(record[name], top)
                if why:
                    problems.append(f"{row.where(columns.column_of(row, name))}: {kind}.{name}: {why}")
                    failed.add(name)
                elif top != 100:
                    exact = Decimal(str(value)) / top * 100
                    record[name] = int(exact) if exact == exact.to_integral_value() else float(exact)
                else:
                    record[name] = value
            if kind == "contractor_kpi":
                forms.read_month(row, record, kind, columns, problems, failed)
                if "indicator" in record:
                    found = self.scorecard.indicator(record["indicator"])
                    if found is None:
                        problems.append(f"{row.where(columns.column_of(row, 'indicator'))}: contractor_kpi.indicator: "
                                        f"{record['indicator']!r} is not an indicator of the csms pack's scorecard "
                                        f"(kpi_leading, kpi_lagging); known: {', '.join(self.scorecard.shown)}")
                        failed.add("indicator")
                    else:
                        record["indicator"] = found
            return None
        return convert

    @property
    def scorecard(self) -> Scorecard:
        if self._scorecard is None:
            self._scorecard = Scorecard()
        return self._scorecard

    def _contracts(self, rows: list[Row], header: list[str]) -> list[dict]:
        """A contract per row, and an award where the row names the contractor."""
        fields = self.fields("contracts")
        award_only = ("contractor", "award_date")
        contract_cols = forms.Columns({k: v for k, v in fields.items() if k not in award_only}, self.mapping,
                                      [*ROW_NUMBER, *self.ignore, *[a for k in award_only
                                                                    for a in [k, *(fields[k].get("aliases") or ())]]])
        whole = self.columns("contracts")
        convert = self._converter("contracts")

        def contract_convert(row: Row, record: dict, problems: list, failed: set[str]) -> Any:
            if self.company and "company" not in record:
                record["company"] = self.company
            return convert(row, record, problems, failed)

        if self.company and rows[0].columns and not any(whole.field_of(h) == "company" for h in header):
            header = [*header, "company"]  # --company stands for the register's missing column
            for row in rows:
                row.cells["company"] = self.company
        contracts = forms.to_facts(rows, header if rows[0].columns else [], "contract", self.types, contract_cols,
                                   self.problems, detector=DETECTOR, convert=contract_convert)
        awards = []
        for row in rows:
            if row.problems:
                continue
            cells = {whole.field_of(c): v for c, v in row.cells.items() if whole.field_of(c) and v not in (None, "")}
            if "contractor" not in cells and "award_date" not in cells:
                continue  # in tender: no winner yet
            if "award_date" not in cells or "contractor" not in cells:
                if "award_date" not in cells:
                    why = "award.date: the row names the contractor but no award date (Tanggal Penunjukan)"
                    column = whole.column_of(row, "contractor")
                else:
                    why = "award.contractor: the row gives an award date but no contractor"
                    column = whole.column_of(row, "award_date")
                self.problems.append(f"{row.where(column)}: {why}")
                continue
            record = {"type": "award", "contract": _name(cells.get("contract")),
                      "contractor": _name(cells["contractor"]), "date": cells["award_date"],
                      "source": {"detector": DETECTOR, "file": row.file, "row": row.number}}
            try:
                fact = self.types.check(record, row.where())
            except FactError as exc:  # each field's problem at its column
                for name, message in exc.fields:
                    column = whole.column_of(row, {"date": "award_date"}.get(name, name)) if name else None
                    self.problems.append(f"{row.where(column)}: {message}")
                continue
            fact.pop("id", None)
            awards.append(canonical(fact))
        self._duplicates(contracts)
        return contracts + awards

    def _duplicates(self, contracts: list[dict]) -> None:
        first: dict[str, dict] = {}
        for fact in contracts:
            other = first.setdefault(fact["contract"], fact)
            if other is not fact:
                strip = ({k: v for k, v in f.items() if k != "source"} for f in (other, fact))
                if next(strip) != next(strip):
                    self.problems.append(f"{fact['source']['file']}:{fact['source']['row']}: contract "
                                         f"{fact['contract']!r} is also in row {other['source']['row']} with other "
                                         "data; one contract, one row")

    def _checklist(self, rows: list[Row], header: list[str]) -> list[dict]:
        """One inspection per contract, contractor and date: Σ actual / Σ maximum × 100."""
        columns = self.columns("inspection_checklist")
        convert = self._converter("inspection")
        groups: dict[tuple[Any, Any, Any], list[tuple[Row, Decimal, Decimal]]] = {}
        for row in rows:
            if row.problems:
                self.problems += row.problems
                continue
            record: dict[str, Any] = {}
            for column, value in row.cells.items():
                name = columns.field_of(column)
                if name is None:
                    if columns.unknown(column):
                        self.problems.append(f"{row.where(column)}: column {column!r} is not a field of an inspection "
                                             f"checklist; expected {', '.join(columns.fields)} (or --ignore)")
                    continue
                if value not in (None, ""):
                    record[name] = value
            failed: set[str] = set()
            convert(row, record, self.problems, failed)
            numbers = {}
            for name in ("actual", "maximum"):
                text = record.get(name)
                try:
                    numbers[name] = Decimal(str(text).strip().replace(",", "."))
                    if not numbers[name].is_finite() or numbers[name] < 0:
                        raise InvalidOperation
                except InvalidOperation:
                    self.problems.append(f"{row.where(columns.column_of(row, name))}: inspection checklist {name}: "
                                         f"expected a number of points, found {text!r}")
                    failed.add(name)
            if not failed and numbers["actual"] > numbers["maximum"]:
                self.problems.append(f"{row.where(columns.column_of(row, 'actual'))}: inspection checklist: "
                                     f"{numbers['actual']} points of a maximum of {numbers['maximum']}")
                failed.add("actual")
            lacking = [n for n in ("contract", "contractor", "date") if n not in record]
            for name in lacking:
                self.problems.append(f"{row.where()}: inspection.{name}: missing (required)")
            if failed or lacking:
                continue
            try:  # grouped by the date the checker reads: 22/01/2026, 22/1/2026 and 2026-01-22 are one inspection
                day = self.types.check({"type": "inspection", "contract": record["contract"],
                                        "contractor": record["contractor"], "date": record["date"], "score": 0},
                                       row.where())["date"]
            except FactError:
                day = record["date"]  # said when the inspection is checked
            key = (record["contract"], record["contractor"], day)
            groups.setdefault(key, []).append((row, numbers["actual"], numbers["maximum"]))
        out = []
        for (contract, contractor, date), items in groups.items():
            first = items[0][0]
            maximum = sum(i[2] for i in items)
            if maximum == 0:
                self.problems.append(f"{first.where()}: inspection checklist of {contract} on {date}: no item has a "
                                     "maximum above 0")
                continue
            exact = sum(i[1] for i in items) / maximum * 100
            score = int(exact) if exact == exact.to_integral_value() else float(exact)
            record = {"type": "inspection", "contract": contract, "contractor": contractor, "date": date,
                      "score": score, "source": {"detector": DETECTOR, "file": first.file, "row": first.number,
                                                 "rows": [i[0].number for i in items], "items": len(items)}}
            try:
                fact = self.types.check(record, first.where())
            except FactError as exc:
                self.problems.append(str(exc))
                continue
            fact.pop("id", None)
            out.append(canonical(fact))
        return out

    def spellings(self, records: list[dict]) -> None:
        """Names that differ only in case or punctuation: said, not merged."""
        for name in ("contractor", "contract"):
            seen: dict[str, set[str]] = {}
            for record in records:
                if isinstance(record.get(name), str):
                    seen.setdefault(column_key(record[name]), set()).add(record[name])
            for variants in seen.values():
                if len(variants) > 1:
                    self.notes.append(f"{name} spelled {' / '.join(sorted(variants))}: kept apart (one spelling "
                                      "per contractor keeps its history together)")


def sheets_of(path: str | Path) -> list[str]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True)
    except Exception as exc:  # a damaged workbook: patuh.rows says so when it is read
        raise DetectError([f"{path}: cannot read as an Excel workbook (.xlsx): {type(exc).__name__}: {exc}"]) from None
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def read_csms(paths: Iterable[str | Path], types, *, kind: str | None = None, company: str | None = None,
              mapping: dict[str, str] | None = None, ignore: Iterable[str] = (), sheet: str | None = None,
              all_sheets: bool = False, pq_max: float | None = None) -> tuple[list[dict], list[str]]:
    """The records of every register, and the notes for standard error; DetectError with every
    problem of every file when any."""
    reader = Reader(types, kind=kind, company=company, mapping=mapping, ignore=ignore, pq_max=pq_max)
    out: list[dict] = []
    for path in paths:
        names = sheets_of(path) if all_sheets and str(path).lower().endswith(".xlsx") else [sheet]
        for name in names:
            out += reader.read(path, name)
    if reader.problems:
        raise DetectError(reader.problems)
    reader.spellings(out)
    return out, reader.notes


class CsmsDetector:
    """Through the patuh_detectors hook: `facts(paths)` yields checked records of the csms pack's
    types, or raises DetectError (every problem) before yielding any."""

    name = DETECTOR
    help = ("a principal's CSMS registers (contracts, PQ results, pre-job activities, inspections, final "
            "evaluations, scorecards; XLSX/CSV) in, csms facts out")
    fact_types = ("contract", "award", "prequalification", "pre_job_activity", "inspection", "final_evaluation",
                  "contractor_kpi")

    def add_arguments(self, parser) -> None:
        add_arguments(parser)

    def run(self, args) -> int:
        return run(args)

    def facts(self, paths: Iterable[str | Path], *, config: str | Path | dict | None = None, types=None,
              kind: str | None = None, company: str | None = None, mapping: dict[str, str] | None = None,
              ignore: Iterable[str] = (), sheet: str | None = None, all_sheets: bool = False,
              pq_max: float | None = None) -> Iterator[dict]:
        yield from read_csms(list(paths), types or forms.fact_types(config), kind=kind, company=company,
                             mapping=mapping, ignore=ignore, sheet=sheet, all_sheets=all_sheets, pq_max=pq_max)[0]


@hookimpl
def patuh_detectors():
    return [CsmsDetector()]


def add_arguments(parser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="registers: .xlsx, .csv (.json, .jsonl, .yaml)")
    parser.add_argument("--type", dest="kind", choices=KINDS, help="the kind of every register (default: recognised "
                                                                   "from its headers)")
    parser.add_argument("--company", metavar="NAME", help="the principal, for a contract register without the column")
    parser.add_argument("--all-sheets", action="store_true", help="read every sheet of an .xlsx, each a register")
    parser.add_argument("--pq-max", type=float, metavar="POINTS",
                        help="a PQ sheet gives points out of POINTS (e.g. 310): score = points / POINTS × 100")
    forms.add_common(parser)


def run(args) -> int:
    def produce():
        records, notes = read_csms(args.files, forms._types(args), kind=args.kind, company=args.company,
                                   mapping=forms.parse_mapping(args.map), ignore=args.ignore, sheet=args.sheet,
                                   all_sheets=args.all_sheets, pq_max=args.pq_max)
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
        return records

    return forms.emit(produce)
