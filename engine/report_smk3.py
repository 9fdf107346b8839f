"""`patuh report smk3-audit`: each scored SMK3 audit as an auditor reports it, from the smk3 pack's
own evaluation of the facts (a company's audits, checklists and certificates):

- smk3-audit.csv: per audit, one row for the whole audit and one per element and sub-element of
  PP 50/2012 Lampiran II in its scope: criteria in scope, met, not met, not applicable, missing,
  and the achievement (met / (met + not met), one decimal, rounded but never up to the next whole
  percent, as the pack's messages give it); the audit's row adds the band, the certificate decision
  (certificate with its flag, none, pending, internal) and how many criterion findings of each
  category it has;
- smk3-audit-findings.csv: every finding of the smk3 pack, by audit (or company), with its
  severity, the clauses it cites (document and number) and its message;
- smk3-audit-<audit>.png: a bar per element, criteria met against not met (and the rest of the
  element's scope: not applicable or missing), titled with the achievement, band and decision.

Everything is written atomically (patuh.output), the PNGs without a date or version in them: the
same facts give the same bytes.
"""
from __future__ import annotations

import argparse
import io
import sys
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

from . import output
from .api import Engine
from .facts import read_files
from .models import DerivedFact, Finding, Result
from .plugins import hookimpl
from .reports import as_of_argument

PACK = "smk3"
COLUMNS = ("audit", "company", "date", "level", "kind", "scope", "title", "expected", "met", "not_met",
           "not_applicable", "missing", "achievement", "band", "decision", "flag", "critical", "major", "minor")
FINDING_COLUMNS = ("audit", "subject", "rule", "severity", "clauses", "message")
DECISIONS = {"certificate": "sertifikat dan bendera", "none": "tidak ada sertifikat",
             "pending": "keputusan menunggu kriteria yang belum dinilai",
             "internal": "audit internal: tanpa sertifikat", "not judged": "tidak dinilai"}


def shown(achievement: float | None) -> str:
    """The achievement with one decimal as the pack's messages show it: rounded, but never up to the
    next whole percent, so never into the next band (84.97 % is 84.9 %, baik); blank when none."""
    if achievement is None:
        return ""
    exact = Decimal(repr(achievement))
    value = min(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN),
                exact.to_integral_value(rounding=ROUND_FLOOR) + Decimal("0.9"))
    return f"{value:.1f}"


def summary(result: Result, titles: dict[str, str]) -> list[dict[str, Any]]:
    """Rows of COLUMNS: each scored audit's own row, then its elements and sub-elements in order."""
    def of(kind: str) -> list[DerivedFact]:
        return [d for d in result.derived if d.type == kind]

    def get(fact: DerivedFact, name: str) -> Any:
        return getattr(fact, name, None)

    decisions = {get(d, "audit"): d for d in of("smk3_decision")}
    outcomes = {get(o, "audit"): o for o in of("smk3_outcome")}
    rows: list[dict[str, Any]] = []
    for score in sorted(of("smk3_score"), key=lambda s: (str(get(s, "date")), get(s, "audit"))):
        audit = get(score, "audit")
        outcome = outcomes.get(audit)
        decision = decisions.get(audit)
        band = get(outcome, "band") if outcome else None
        head = {"audit": audit, "company": get(score, "company"), "date": get(score, "date"),
                "level": get(score, "level"), "kind": get(score, "kind") or "external"}
        rows.append({**head, "scope": "audit", "title": f"Audit SMK3 tingkat {get(score, 'level')}",
                     **{k: get(score, k) for k in ("expected", "met", "not_met", "not_applicable", "missing")},
                     "achievement": shown(get(score, "achievement")), "band": band or "",
                     "decision": get(decision, "decision") if decision else "not judged",
                     "flag": (get(decision, "flag") or "") if decision else "",
                     **{k: get(outcome, k) if outcome else "" for k in ("critical", "major", "minor")}})
        parts = [d for d in of("smk3_element_score") + of("smk3_sub_element_score") if get(d, "audit") == audit]
        parts.sort(key=lambda d: [int(p) for p in str(get(d, "sub_element") or get(d, "element")).split(".")])
        for part in parts:
            scope = str(get(part, "sub_element") or get(part, "element"))
            achievement = get(part, "achievement")
            rows.append({**head, "scope": scope, "title": titles.get(scope, ""),
                         **{k: get(part, k) for k in ("expected", "met", "not_met", "not_applicable", "missing")},
                         "achievement": shown(achievement), "band": "", "decision": "",
                         "flag": "", "critical": "", "major": "", "minor": ""})
    return rows


def findings(result: Result) -> list[dict[str, Any]]:
    def audit_of(finding: Finding) -> str:
        return finding.subject.id if finding.subject.kind == "audit" else ""

    ordered = sorted((f for f in result.findings if f.pack.name == PACK),
                     key=lambda f: (audit_of(f), f.subject.id, f.rule, f.message))
    return [{"audit": audit_of(f), "subject": f"{f.subject.kind} {f.subject.id}", "rule": f.rule,
             "severity": f.severity, "clauses": "; ".join(f"{c.document} {c.number}" for c in f.clauses),
             "message": f.message} for f in ordered]


def chart(rows: list[dict[str, Any]], audit: str) -> bytes:
    """A bar per element: criteria met and not met, and the rest of its scope (not applicable or
    missing), as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")  # no screen on a server
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    head = next(r for r in rows if r["audit"] == audit and r["scope"] == "audit")
    elements = [r for r in rows if r["audit"] == audit and r["scope"].isdigit()]
    labels = [f"{r['scope']}. {r['title']}"[:48] for r in elements]
    met = [r["met"] for r in elements]
    not_met = [r["not_met"] for r in elements]
    rest = [r["not_applicable"] + r["missing"] for r in elements]
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(elements) + 2))
    ax.barh(labels, met, color="#2e7d32", label="terpenuhi (met)")
    ax.barh(labels, not_met, left=met, color="#c62828", label="tidak terpenuhi (not met)")
    ax.barh(labels, rest, left=[a + b for a, b in zip(met, not_met, strict=True)], color="#bdbdbd",
            label="tidak berlaku / belum dinilai")
    ax.set_xlabel("kriteria")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    achievement = f"{head['achievement']} %" if head["achievement"] else "-"
    decision = DECISIONS.get(head["decision"], head["decision"]) + (f" ({head['flag']})" if head["flag"] else "")
    ax.set_title(f"Audit {audit} ({head['company']}, {head['date']}, tingkat {head['level']}): {achievement}, "
                 f"{head['band'] or '-'}, {decision}", fontsize="medium")
    ax.invert_yaxis()
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    fig.tight_layout()
    image = io.BytesIO()
    fig.savefig(image, format="png", dpi=100, metadata={"Software": None})  # the same bytes each run
    plt.close(fig)
    return image.getvalue()


class Smk3Audit:
    """`patuh report smk3-audit`, through the patuh_reports hook."""

    name = "smk3-audit"
    help = ("SMK3 audits (smk3 pack): achievement per element and overall, band, certificate decision and findings, "
            "as CSV and a PNG chart per audit")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.description = ("Each scored SMK3 audit of the facts, as the smk3 pack judges it: smk3-audit.csv (per "
                              "audit, element and sub-element: criteria met, not met, not applicable, missing, the "
                              "achievement; per audit the band and certificate decision), smk3-audit-findings.csv "
                              "and smk3-audit-<audit>.png (met against not met per element) in --out.")
        parser.add_argument("--facts", action="extend", nargs="+", required=True, metavar="FILE",
                            help="facts (.json, .jsonl or .yaml): smk3_audit, smk3_criterion, company, "
                                 "smk3_certificate, as `patuh detect audit` writes them")
        parser.add_argument("--config", metavar="FILE", help="site config (time zone, parameter overrides)")
        parser.add_argument("--as-of", type=as_of_argument, metavar="TIME",
                            help="the evaluation time (default: the latest time in the facts)")
        parser.add_argument("--out", required=True, metavar="DIR", help="folder to write into (made if missing)")

    def run(self, args: argparse.Namespace) -> int:
        output.check_folder(args.out)  # a bad --out fails before the facts are read, with nothing made
        engine = Engine([PACK], config=args.config)
        result = engine.evaluate(read_files(args.facts), as_of=args.as_of)
        pack = next(p for p in engine.packs if p.name == PACK)
        written = write(result, Path(args.out), {n: c.title or "" for n, c in pack.clauses.items()
                                                 if c.document == "pp50"})
        for path in written[2:]:
            print(path, file=sys.stderr)
        print(f"{len(written) - 2} audits, {len(result.findings)} findings -> {written[0]}", file=sys.stderr)
        return 0


def _file_part(audit: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in audit)


@hookimpl
def patuh_reports() -> list[Smk3Audit]:
    return [Smk3Audit()]


def write(result: Result, folder: Path, titles: dict[str, str]) -> list[Path]:
    """The report's files for an evaluation already made: the two CSVs, then a chart per audit.
    `titles`: the pp50 clauses' titles by number (element and sub-element names)."""
    rows = summary(result, titles)
    folder = output.make_folder(folder)
    written = [folder / "smk3-audit.csv", folder / "smk3-audit-findings.csv"]
    output.write_atomic(written[0], output.csv_text(COLUMNS, rows))
    output.write_atomic(written[1], output.csv_text(FINDING_COLUMNS, findings(result)))
    for audit in (r["audit"] for r in rows if r["scope"] == "audit"):
        written.append(folder / f"smk3-audit-{_file_part(audit)}.png")
        output.write_atomic(written[-1], chart(rows, audit))
    return written
