"""The audit report: a static HTML site made from the store (`patuh report audit`), for an
auditor who trusts nothing he cannot trace.

    index.html          findings by subject and by clause, open and overdue obligations by
                        accountable role, the packs' report charts, a clause coverage matrix per pack
    finding/<id>.html   a finding's chain: rule, quoted clauses, interpretation, parameters and their
                        sources, the facts with their source rows (through derived facts), evidence
                        photos and clips, actions, sanctions, obligations, the evaluation that recorded it
    evidence/           the evidence files the facts name, copied (no network at view time)
    style.css           screen and A4 print

Labels are in Bahasa Indonesia, or English (`lang="en"`); clause texts stay in the language of
their source. The same pages are what `patuh serve` shows under /report/.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from . import output
from .api import Engine, check_folders
from .models import Finding, Obligation
from .pack import Pack
from .packtest import coverage, engine_for, run_pack
from .plugins import hookimpl
from .problems import SourceError, Where
from .store import Evaluation, Store

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = ("id", "en")
IMAGE = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp")
VIDEO = (".avi", ".mp4", ".mkv", ".mov", ".webm")
EVIDENCE_FIELDS = ("evidence", "clip", "photo", "snapshot")  # a source video is named, not copied

LABELS: dict[str, dict[str, str]] = {
    "id": {
        "title": "Laporan Audit Kepatuhan K3", "period": "Periode", "all_time": "seluruh periode",
        "generated": "Dibuat", "store": "Basis data", "packs": "Paket aturan", "evaluations": "Evaluasi",
        "findings": "Temuan", "by_subject": "Temuan per subjek", "by_clause": "Temuan per pasal",
        "obligations": "Kewajiban terbuka dan terlambat per peran akuntabel", "charts": "Grafik laporan paket",
        "coverage": "Matriks cakupan pasal", "clause": "Pasal", "rules": "Aturan", "tests": "Uji paket",
        "findings_period": "Temuan dalam periode", "time": "Waktu", "severity": "Tingkat", "rule": "Aturan",
        "message": "Uraian", "subject": "Subjek", "none": "tidak ada", "chain": "Rantai temuan",
        "quoted": "Bunyi pasal", "interpretation": "Tafsiran yang dipilih", "parameters": "Parameter",
        "name": "Nama", "value": "Nilai", "source": "Sumber", "since": "Berlaku sejak", "facts": "Fakta (bukti)",
        "derived_by": "diturunkan oleh aturan", "from": "dari", "actions": "Tindakan yang diwajibkan",
        "responsible": "Pelaksana (R)", "accountable": "Penanggung jawab (A)", "due": "Tenggat",
        "sanctions": "Sanksi", "recorded_in": "Dicatat pada evaluasi", "recorded_at": "dicatat",
        "as_of": "waktu evaluasi", "chain_hash": "hash rantai", "photo": "Foto bukti", "clip": "Klip video",
        "link": "tautan", "external": "tautan luar (perlu jaringan)", "missing": "berkas tidak ditemukan saat laporan "
        "dibuat", "status": "Status", "role": "Peran akuntabel", "what": "Kewajiban", "back": "Kembali ke ringkasan",
        "pack": "Paket", "version": "Versi", "hash": "Hash isi", "document": "Dokumen", "company_choice":
        "pilihan perusahaan", "no_findings": "Tidak ada temuan dalam periode ini.", "no_obligations":
        "Tidak ada kewajiban terbuka atau terlambat.", "no_charts": "Tidak ada grafik untuk periode ini.",
        "not_installed": "paket ini tidak terpasang: matriks tidak dapat dibuat", "other_version":
        "matriks dari versi terpasang", "row": "baris", "file": "berkas", "detector": "detektor", "frames": "bingkai",
        "statuses": "open: terbuka, overdue: terlambat", "open": "terbuka", "overdue": "terlambat", "done": "selesai",
        "late": "selesai terlambat", "history": "Riwayat status", "uncovered": "tidak diuji",
        "count": "Jumlah", "cases": "kasus", "filter": "Saring", "critical": "kritis", "major": "mayor",
        "minor": "minor", "observation": "observasi", "subjects": "subjek", "clauses": "Pasal",
    },
    "en": {
        "title": "K3 Compliance Audit Report", "period": "Period", "all_time": "all time",
        "generated": "Generated", "store": "Store", "packs": "Rule packs", "evaluations": "Evaluations",
        "findings": "Findings", "by_subject": "Findings by subject", "by_clause": "Findings by clause",
        "obligations": "Open and overdue obligations by accountable role", "charts": "Pack report charts",
        "coverage": "Clause coverage matrix", "clause": "Clause", "rules": "Rules", "tests": "Pack tests",
        "findings_period": "Findings in the period", "time": "Time", "severity": "Severity", "rule": "Rule",
        "message": "Message", "subject": "Subject", "none": "none", "chain": "Finding chain",
        "quoted": "Clause text", "interpretation": "Reading chosen", "parameters": "Parameters",
        "name": "Name", "value": "Value", "source": "Source", "since": "In force since", "facts": "Facts (evidence)",
        "derived_by": "derived by rule", "from": "from", "actions": "Required actions",
        "responsible": "Responsible (R)", "accountable": "Accountable (A)", "due": "Due",
        "sanctions": "Sanctions", "recorded_in": "Recorded in evaluation", "recorded_at": "recorded",
        "as_of": "evaluation time", "chain_hash": "chain hash", "photo": "Evidence photo", "clip": "Video clip",
        "link": "link", "external": "external link (needs a network)", "missing": "file not found when the report "
        "was made", "status": "Status", "role": "Accountable role", "what": "Obligation", "back": "Back to the summary",
        "pack": "Pack", "version": "Version", "hash": "Content hash", "document": "Document", "company_choice":
        "company choice", "no_findings": "No findings in this period.", "no_obligations":
        "No open or overdue obligations.", "no_charts": "No charts for this period.",
        "not_installed": "this pack is not installed: no matrix can be made", "other_version":
        "matrix of the installed version", "row": "row", "file": "file", "detector": "detector", "frames": "frames",
        "statuses": "open, overdue", "open": "open", "overdue": "overdue", "done": "done", "late": "done late",
        "history": "Status history", "uncovered": "not tested",
        "count": "Count", "cases": "cases", "filter": "Filter", "critical": "critical", "major": "major",
        "minor": "minor", "observation": "observation", "subjects": "subjects", "clauses": "Clauses",
    },
}


@dataclass
class Period:
    since: dt.date | None = None
    until: dt.date | None = None
    packs: list[str] = field(default_factory=list)
    subject: str | None = None

    def text(self, labels: dict[str, str]) -> str:
        if not self.since and not self.until:
            return labels["all_time"]
        return f"{self.since or '…'} – {self.until or '…'}"


@dataclass
class Row:
    """A finding as the pages list it."""

    evaluation: int
    finding: Finding
    href: str


@dataclass
class ClauseRow:
    number: str
    title: str | None
    text: str
    document: str
    rules: list[str]
    tests: list[str]
    findings: int


@dataclass
class Matrix:
    pack: str
    version: str | None  # the installed version the matrix is made of (None: not installed)
    recorded: list[str]  # versions the store's evaluations used
    rows: list[ClauseRow]
    rule_share: float = 0.0
    clause_share: float = 0.0


def parse_day(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise SourceError(Where(option), f"expected a date YYYY-MM-DD, found {text!r}") from None


class AuditReport:
    """The report's data, read once from the store; `pages()` renders it."""

    def __init__(self, store: Store, period: Period | None = None, lang: str = "id",
                 evidence: Sequence[Path | str] = (), run_pack_tests: bool = True,
                 coverage_cache: dict[str, Any] | None = None):
        if lang not in LANGUAGES:
            raise SourceError(Where("--lang"), f"expected one of {', '.join(LANGUAGES)}, found {lang!r}")
        self.store = store
        self.period = period or Period()
        self.lang = lang
        self.labels = LABELS[lang]
        self.evidence_dirs = [Path(p) for p in evidence]
        self.coverage_cache = coverage_cache if coverage_cache is not None else {}
        self.generated = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.evaluations = {e.id: e for e in store.evaluations()}
        latest = max(self.evaluations.values(), key=lambda e: e.id, default=None)
        self.zone = ZoneInfo(latest.config.get("timezone", "Asia/Jakarta") if latest else "Asia/Jakarta")
        found = store.findings(since=self.period.since, until=self.period.until, subject=self.period.subject)
        self.rows = [Row(e, f, f"finding/{f.id}.html") for e, f in found
                     if not self.period.packs or f.pack.name in self.period.packs]
        self.rows.sort(key=lambda r: (_when(r.finding.time), r.finding.subject.id, r.finding.rule, r.finding.id))
        self.facts = self._facts()
        self.obligations = [(e, o) for e, o in store.obligations(subject=self.period.subject)
                            if (not self.period.packs or o.pack.name in self.period.packs)]
        self.packs = self._packs()
        self.matrices = [self._matrix(name, versions, run_pack_tests) for name, versions in sorted(self.packs.items())]

    # -- what the pages show -----------------------------------------------------------------------------------------
    def _facts(self) -> dict[str, dict[str, Any]]:
        """Every fact the findings rest on, through the facts derived facts came from."""
        out: dict[str, dict[str, Any]] = {}
        wanted = {i for r in self.rows for i in r.finding.facts}
        while wanted:
            found = self.store.facts(wanted)
            out.update(found)
            wanted = {i for f in found.values() for i in (f.get("derived_from") or {}).get("facts", [])} - set(out)
            wanted -= {i for i in wanted if i in out}
        return out

    def _packs(self) -> dict[str, list[str]]:
        """Pack name -> the versions the store's evaluations used (filtered by --pack)."""
        out: dict[str, set[str]] = defaultdict(set)
        for pack in self.store.packs_of():
            if not self.period.packs or pack["name"] in self.period.packs:
                out[pack["name"]].add(pack["version"])
        return {name: sorted(versions) for name, versions in out.items()}

    def _matrix(self, name: str, versions: list[str], run_tests: bool) -> Matrix:
        """Every clause of the installed pack's clauses.yaml: the rules citing it, the pack tests
        exercising it (a case exercises a clause when a rule citing it matched in the case), and
        the findings of the period citing it."""
        key = f"{name} {run_tests}"
        if key not in self.coverage_cache:  # the pack tests are run once per report (or service)
            self.coverage_cache[key] = _pack_coverage(name, run_tests)
        pack, cases, rule_share, clause_share = self.coverage_cache[key]
        if pack is None:
            return Matrix(name, None, versions, [])
        counts: dict[str, int] = defaultdict(int)
        for row in self.rows:
            if row.finding.pack.name == name:
                for citation in row.finding.clauses:
                    counts[citation.number] += 1
        rows = []
        for number, clause in pack.clauses.items():
            citing = [r.id for r in pack.rules if number in r.clauses]
            tests = sorted({c for r in citing for c in cases.get(r, set())})
            rows.append(ClauseRow(number, clause.title, clause.text, pack.source_of(number).number, citing, tests,
                                  counts.get(number, 0)))
        return Matrix(name, pack.version, versions, rows, rule_share, clause_share)

    def by_subject(self) -> list[tuple[tuple[str, str], list[Row]]]:
        groups: dict[tuple[str, str], list[Row]] = defaultdict(list)
        for row in self.rows:
            groups[(row.finding.subject.kind, row.finding.subject.id)].append(row)
        return sorted(groups.items())

    def by_clause(self) -> list[tuple[tuple[str, str, str], str, list[Row]]]:
        """(pack, document, clause number), the clause's text, its findings."""
        groups: dict[tuple[str, str, str], list[Row]] = defaultdict(list)
        texts: dict[tuple[str, str, str], str] = {}
        for row in self.rows:
            for citation in row.finding.clauses:
                key = (row.finding.pack.name, citation.document, citation.number)
                groups[key].append(row)
                texts[key] = citation.text
        return [(key, texts[key], rows) for key, rows in sorted(groups.items(), key=lambda kv: _clause_key(kv[0]))]

    def obligations_by_role(self) -> list[tuple[str, list[tuple[int, Obligation]]]]:
        groups: dict[str, list[tuple[int, Obligation]]] = defaultdict(list)
        for evaluation, obligation in self.obligations:
            if obligation.status not in ("open", "overdue"):
                continue
            for role in obligation.accountable or ["-"]:
                groups[role].append((evaluation, obligation))
        return [(role, sorted(items, key=lambda i: (_when(i[1].due), i[1].id)))
                for role, items in sorted(groups.items())]

    def severity_counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for row in self.rows:
            counts[row.finding.severity] += 1
        return dict(counts)

    # -- writing -----------------------------------------------------------------------------------------------------
    def environment(self) -> jinja2.Environment:
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                 undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        env.filters["when"] = self.when
        env.filters["value"] = lambda v: _value(v, self.lang)
        return env

    def when(self, value: Any) -> str:
        if isinstance(value, dt.datetime):
            local = value.astimezone(self.zone) if value.tzinfo else value
            return local.strftime("%Y-%m-%d %H:%M")
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, str) and "T" in value:
            try:
                return self.when(dt.datetime.fromisoformat(value))
            except ValueError:
                return value
        return "" if value is None else str(value)

    def write(self, out: Path | str, charts: bool = True) -> Path:
        """Write the report into folder `out` (made if missing): the path of its index.html."""
        output.check_folder(out)
        folder = output.make_folder(out)
        (folder / "finding").mkdir(exist_ok=True)
        chart_files = self.charts(folder) if charts else []
        evidence = self.copy_evidence(folder)
        output.write_atomic(folder / "style.css", (TEMPLATES / "style.css").read_text(encoding="utf-8"))
        output.write_atomic(folder / "index.html", self.index(chart_files))
        for row in self.rows:
            output.write_atomic(folder / row.href, self.finding_page(row, evidence))
        return folder / "index.html"

    def common(self) -> dict[str, Any]:
        return {"L": self.labels, "lang": self.lang, "report": self, "period": self.period.text(self.labels),
                "generated": self.generated.isoformat(), "store": self.store.display}

    def index(self, charts: Sequence[str] = ()) -> str:
        template = self.environment().get_template("index.html")
        return template.render(**self.common(), root="", charts=list(charts),
                               evaluations=sorted(self.evaluations.values(), key=lambda e: e.id))

    def finding_page(self, row: Row, evidence: dict[str, str] | None = None, root: str = "../") -> str:
        template = self.environment().get_template("finding.html")
        evaluation: Evaluation | None = self.evaluations.get(row.evaluation)
        history = [(e, o) for o in [o for _, o in self.obligations if o.finding == row.finding.id]
                   for e, o in self.store.obligation_history(o.id)]
        return template.render(**self.common(), root=root, row=row, f=row.finding, evaluation=evaluation,
                               tree=self.tree(row.finding.facts, evidence or {}, root), obligations=history)

    def tree(self, ids: Iterable[str], evidence: dict[str, str], root: str, seen: set[str] | None = None
             ) -> list[dict[str, Any]]:
        """The facts behind a finding as nested items: each with its fields, source, evidence
        links, and the facts it was derived from."""
        seen = set() if seen is None else seen
        out: list[dict[str, Any]] = []
        for fact_id in ids:
            fact = self.facts.get(fact_id)
            if fact is None or fact_id in seen:
                out.append({"id": fact_id, "type": None, "fields": {}, "source": {}, "evidence": [], "derived": None,
                            "parents": []})
                continue
            seen.add(fact_id)
            derived = fact.get("derived_from")
            fields = {k: v for k, v in fact.items() if k not in ("id", "type", "source", "derived_from")}
            links = []
            for key in EVIDENCE_FIELDS:
                value = fact.get(key)
                if isinstance(value, str) and value:
                    links.append(self.link(key, value, evidence, root))
            out.append({"id": fact_id, "type": fact.get("type"), "fields": fields, "source": fact.get("source") or {},
                        "evidence": links, "derived": derived,
                        "parents": self.tree(derived["facts"], evidence, root, seen) if derived else []})
        return out

    def link(self, field_name: str, value: str, evidence: dict[str, str], root: str) -> dict[str, Any]:
        kind = "image" if value.lower().endswith(IMAGE) else "video" if value.lower().endswith(VIDEO) else "file"
        if re.match(r"^[a-z][a-z0-9+.-]*://", value, re.I):
            return {"field": field_name, "kind": kind, "href": value, "external": True, "missing": False,
                    "name": value}
        copied = evidence.get(value)
        return {"field": field_name, "kind": kind, "href": root + copied if copied else None, "external": False,
                "missing": copied is None, "name": value}

    def _find(self, name: str) -> Path | None:
        path = Path(name)
        if path.is_absolute():
            return path if path.is_file() else None
        for folder in self.evidence_dirs:
            if (folder / path).is_file():
                return folder / path
        return path if path.is_file() else None

    def evidence_files(self) -> dict[str, Path]:
        """The evidence files the facts name and where they were found (URLs are not files)."""
        names = {v for f in self.facts.values() for k in EVIDENCE_FIELDS for v in [f.get(k)]
                 if isinstance(v, str) and v and not re.match(r"^[a-z][a-z0-9+.-]*://", v, re.I)}
        found = {name: self._find(name) for name in sorted(names)}
        return {name: path for name, path in found.items() if path is not None}

    def copy_evidence(self, folder: Path) -> dict[str, str]:
        """The evidence files the facts name, copied under evidence/: name as the fact gives it ->
        the path in the report. URLs are linked, not fetched."""
        copied: dict[str, str] = {}
        files = self.evidence_files()
        if not files:
            return copied
        target = folder / "evidence"
        target.mkdir(exist_ok=True)
        for name, found in files.items():
            safe = safe_name(name)
            destination = target / safe
            if not destination.exists() or os.path.getsize(destination) != os.path.getsize(found):
                with output.os_errors(destination):
                    shutil.copyfile(found, destination)
            copied[name] = f"evidence/{safe}"
        return copied

    def charts(self, folder: Path) -> list[str]:
        """The packs' report charts for the period: fatigue-weekly (6.5.3) when the fatigue pack
        judged camera alerts."""
        if "fatigue" not in self.packs:
            return []
        from .reports import charts, to_csv, weekly_alerts

        alerts = []
        for fact in self.store.facts_of_type("camera_alert", self.period.since, self.period.until):
            time = fact.get("time")
            if isinstance(time, str):
                fact["time"] = dt.datetime.fromisoformat(time)
                alerts.append(fact)
        if self.period.subject:
            alerts = [a for a in alerts if a.get("employee") == self.period.subject]
        rows = weekly_alerts(alerts, self.zone)
        if not rows:
            return []
        target = folder / "charts"
        target.mkdir(exist_ok=True)
        output.write_atomic(target / "fatigue-weekly.csv", to_csv(rows))
        return [f"charts/{p.name}" for p in charts(rows, target)]


def _pack_coverage(name: str, run_tests: bool) -> tuple[Pack | None, dict[str, set[str]], float, float]:
    """The installed pack `name` (its newest revision) with its tests, the cases exercising each
    rule, and the shares of rules and clauses they exercise."""
    engine = Engine([], entry_points=True)
    folders = engine.installed.get(name)
    if not folders:
        return None, {}, 0.0, 0.0
    pack = max(check_folders(folders, engine.context, tests=True), key=lambda p: p.effective)
    cases: dict[str, set[str]] = defaultdict(set)  # rule -> the cases exercising it
    if not run_tests:
        return pack, cases, 0.0, 0.0
    results = run_pack(engine_for(pack, engine.installed), pack)
    for result in results:
        for rule in result.matched:
            cases[rule].add(result.case.name)
    measured = coverage(pack, [r.matched for r in results])
    return pack, cases, measured.rule_share, measured.clause_share


def safe_name(name: str) -> str:
    """An evidence file's name in the report's evidence/ folder."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name.lstrip("/"))


def _when(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return ""


def _clause_key(key: tuple[str, str, str]) -> tuple[str, str, list[tuple[int, str]]]:
    pack, document, number = key
    return pack, document, [(int(p), "") if p.isdigit() else (0, p) for p in re.split(r"[./]", number)]


def _value(value: Any, lang: str = "id") -> str:
    if isinstance(value, bool):
        return ("ya" if value else "tidak") if lang == "id" else ("yes" if value else "no")
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_value(v, lang) for v in value)
    return "" if value is None else str(value)


class AuditHtml:
    """`patuh report audit`, through the patuh_reports hook."""

    name = "audit"
    help = ("the HTML audit report of a store: findings by subject and clause, each to its evidence; obligations; "
            "charts; clause coverage")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.description = (
            "A static HTML audit report made from the store (no network at view time, readable printed on A4): "
            "findings by subject and by clause, each opening to its chain (rule, quoted clause, interpretation, "
            "parameters and their sources, facts with their source rows, evidence photos and clips); open and "
            "overdue obligations by accountable role; the packs' report charts; a clause coverage matrix per pack. "
            "Prints the path of index.html.")
        default = os.environ.get("PATUH_STORE")
        parser.add_argument("--store", metavar="URL", required=not default, default=default,
                            help="the store (default: $PATUH_STORE)")
        parser.add_argument("--out", required=True, metavar="DIR", help="folder to write into (made if missing)")
        parser.add_argument("--from", dest="since", metavar="DATE", help="findings on or after this day (YYYY-MM-DD)")
        parser.add_argument("--to", dest="until", metavar="DATE", help="findings on or before this day (YYYY-MM-DD)")
        parser.add_argument("--pack", action="append", metavar="NAME", help="only these packs' findings (repeatable)")
        parser.add_argument("--subject", metavar="ID", help="only the findings against this subject (an employee, ...)")
        parser.add_argument("--lang", choices=LANGUAGES, default="id",
                            help="labels in Bahasa Indonesia (id, the default) or English (en); clause texts stay "
                                 "in their source's language")
        parser.add_argument("--evidence", action="append", default=[], metavar="DIR",
                            help="folders where the evidence files facts name (photos, clips) are found "
                                 "(repeatable; a detector's --out); they are copied into the report")

    def run(self, args: argparse.Namespace) -> int:
        output.check_folder(args.out)
        period = Period(parse_day(args.since, "--from"), parse_day(args.until, "--to"), args.pack or [], args.subject)
        if period.since and period.until and period.since > period.until:
            raise SourceError(Where("--from"), f"--from {period.since} is after --to {period.until}")
        report = AuditReport(Store(args.store), period, lang=args.lang, evidence=args.evidence)
        index = report.write(args.out)
        print(f"{len(report.rows)} findings, {len(report.obligations)} obligations -> {index}", file=sys.stderr)
        print(index)
        return 0


@hookimpl
def patuh_reports() -> list[AuditHtml]:
    return [AuditHtml()]
