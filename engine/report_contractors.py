"""`patuh report contractors`: the principal's contractors month by month, ranked, in the spirit of
INALUM's ICMESH ("penilaian kinerja K3LH berbasis indikator kuantitatif dan kualitatif"): each
contractor's K3 KPI score, its FR, SR and TRIR, its data-bank record and what the csms pack found
against it, as CSV and charts.

It evaluates the csms pack (with zero_accident when installed: the rates read its lost-time
accidents) over the facts and history and reads the result: one row per contractor and month the
pack derived (`contractor_month`: a month in which one of its awarded contracts ran), up to the
evaluation time's month. Rank within a month: by KPI score, highest first; ties by TRIR, then FR,
then SR (lowest first; a month without rates after those with), then the contractor's name. A
contractor without a score that month (no scorecard, or nothing applicable) is unranked and listed
after the ranked ones. Findings are counted against their subject in their month: a finding on a
month's KPIs in that month, any other in the month of its time (an overdue obligation's due date,
a late one's discharge); obligations in the month they fall due.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import output
from .api import Engine, installed
from .facts import Records, read_files
from .models import Result
from .plugins import hookimpl, manager
from .problems import FactError, FactsInvalid, SourceError, Where
from .reports import as_of_argument

COLUMNS = ("month", "rank", "contractor", "company", "contracts", "hours", "lost_time_injuries", "lost_days",
           "recordable", "fatalities", "fr", "sr", "trir", "kpi_score", "kpi_missing", "kpi_not_applicable", "record",
           "critical", "major", "minor", "observations", "obligations_due", "obligations_open",
           "obligations_overdue", "obligations_late")
MONTH_TYPES = ("contractor_month", "contractor_month_rates", "contractor_month_score", "kpi_achievement",
               "kpi_lagging_reported")
WORST = {"good": 0, "not_qualified": 1, "black": 2}
SEVERITY_COLUMN = {"critical": "critical", "major": "major", "minor": "minor", "observation": "observations"}


def _month(value: Any, zone: dt.tzinfo) -> str | None:
    if isinstance(value, dt.datetime):
        value = value.astimezone(zone).date() if value.tzinfo else value.date()
    return f"{value.year:04d}-{value.month:02d}" if isinstance(value, dt.date) else None


def _shown(value: Any) -> Any:
    """A rate or score as the CSV shows it: two decimals, cut (never rounded up across a
    threshold), trailing zeros dropped; absent stays empty."""
    if value is None:
        return ""
    cut = (Decimal(repr(value)) * 100).to_integral_value(rounding="ROUND_FLOOR") / 100
    return format(cut.normalize(), "f") if cut != cut.to_integral_value() else str(int(cut))


def _finding_month(finding: Any, result: Result, zone: dt.tzinfo) -> str | None:
    for fact_id in finding.facts:
        fact = result.facts.get(fact_id) or {}
        if fact.get("type") in MONTH_TYPES and isinstance(fact.get("month"), str):
            return str(fact["month"])
    return _month(finding.time, zone)


def contractor_rows(result: Result, zone: dt.tzinfo, first: str | None = None, last: str | None = None
                    ) -> list[dict[str, Any]]:
    """Rows of COLUMNS, by month and rank, from a csms evaluation's result (the months derived in
    it, up to the evaluation time's month, within first..last when given)."""
    as_of = _month(result.trace.as_of, zone) if result.trace.as_of else None
    derived = [d.model_dump() for d in result.derived]
    months = {(d["contractor"], d["company"], d["month"]): d for d in derived if d["type"] == "contractor_month"
              and (as_of is None or d["month"] <= as_of) and (first is None or d["month"] >= first)
              and (last is None or d["month"] <= last)}
    rates = {(d["contractor"], d["company"], d["month"]): d for d in derived if d["type"] == "contractor_month_rates"}
    scores = {(d["contractor"], d["company"], d["month"]): d for d in derived if d["type"] == "contractor_month_score"}
    awarded = [d for d in derived if d["type"] == "awarded_contract" and d.get("start") and d.get("end")]
    records = [d for d in derived if d["type"] == "contractor_record"]
    records += [f for f in result.facts.values() if f.get("type") == "contractor_record"
                and f["id"] not in {d["id"] for d in records}]  # from history: the evidence of this run's bars
    found: Counter[tuple[str, str, str]] = Counter()
    for finding in result.findings:
        month = _finding_month(finding, result, zone)
        if month is not None:
            found[(finding.subject.id, month, SEVERITY_COLUMN[finding.severity])] += 1
    owed: Counter[tuple[str, str, str]] = Counter()
    for obligation in result.obligations:
        month = _month(obligation.due, zone)
        if month is not None:
            owed[(obligation.subject.id, month, "obligations_due")] += 1
            owed[(obligation.subject.id, month, f"obligations_{obligation.status}")] += 1
    rows = []
    for (contractor, company, month), m in months.items():
        r = rates.get((contractor, company, month), {})
        s = scores.get((contractor, company, month), {})
        running = {a["contract"] for a in awarded if a["contractor"] == contractor and a["company"] == company
                   and str(_month(a["start"], zone)) <= month <= str(_month(a["end"], zone))}
        in_force = [rec for rec in records if rec["contractor"] == contractor and rec["company"] == company
                    and rec["date"] <= m["last"]]
        in_force.sort(key=lambda rec: (rec["date"], WORST[rec["outcome"]]))  # the latest; of one date, the worst
        row: dict[str, Any] = {
            "month": month, "rank": "", "contractor": contractor, "company": company, "contracts": len(running),
            "hours": r.get("hours", ""), "lost_time_injuries": r.get("lost_time_injuries", ""),
            "lost_days": r.get("lost_days", ""), "recordable": r.get("recordable", ""),
            "fatalities": r.get("fatalities", ""), "fr": r.get("fr"), "sr": r.get("sr"), "trir": r.get("trir"),
            "kpi_score": s.get("score"), "kpi_missing": s.get("missing", ""),
            "kpi_not_applicable": s.get("not_applicable", ""),
            "record": in_force[-1]["outcome"] if in_force else "none"}
        for column in ("critical", "major", "minor", "observations"):
            row[column] = found[(contractor, month, column)]
        for column in ("obligations_due", "obligations_open", "obligations_overdue", "obligations_late"):
            row[column] = owed[(contractor, month, column)]
        rows.append(row)

    def order(row: dict[str, Any]) -> tuple[Any, ...]:
        missing = Decimal("Infinity")
        rates_ = tuple(Decimal(repr(row[k])) if row[k] is not None else missing for k in ("trir", "fr", "sr"))
        score = row["kpi_score"]
        return (row["month"], score is None, -Decimal(repr(score)) if score is not None else 0, *rates_,
                row["contractor"], row["company"])

    rows.sort(key=order)
    rank: Counter[str] = Counter()
    for row in rows:
        if row["kpi_score"] is not None:
            rank[row["month"]] += 1
            row["rank"] = rank[row["month"]]
    return rows


def to_csv(rows: list[dict[str, Any]]) -> str:
    """Through patuh's one CSV writer (contractor names come from registers as received)."""
    shown = [{k: (_shown(v) if k in ("fr", "sr", "trir", "kpi_score") else v) for k, v in row.items()} for row in rows]
    return output.csv_text(COLUMNS, shown)


def _png(fig: Any) -> bytes:
    from matplotlib import pyplot as plt

    image = io.BytesIO()
    fig.savefig(image, format="png", dpi=100, metadata={"Software": None})  # the same bytes each run
    plt.close(fig)
    return image.getvalue()


def charts(rows: list[dict[str, Any]], threshold: float, folder: Path) -> list[Path]:
    """contractors-YYYY-MM.png per month (KPI score per contractor in rank order, the threshold as
    a line, each bar labelled with TRIR and findings; unranked contractors greyed, without a bar)
    and contractors-trend.png (each contractor's score over the months)."""
    import matplotlib

    matplotlib.use("Agg")  # no screen on a site server
    from matplotlib import pyplot as plt

    written = []
    months = sorted({r["month"] for r in rows})
    for month in months:
        these = [r for r in rows if r["month"] == month]
        names = [f"{r['rank']}. {r['contractor']}" if r["rank"] else r["contractor"] for r in these]
        scores = [float(r["kpi_score"]) if r["kpi_score"] is not None else 0.0 for r in these]
        fig, ax = plt.subplots(figsize=(10, max(3.0, 0.45 * len(these) + 1.5)))
        colours = ["tab:blue" if r["kpi_score"] is not None and r["kpi_score"] >= threshold else
                   "tab:red" if r["kpi_score"] is not None else "lightgrey" for r in these]
        ax.barh(names, scores, color=colours)
        ax.axvline(threshold, color="black", linestyle="--", linewidth=1, label=f"threshold {threshold:g}")
        for i, r in enumerate(these):
            findings = r["critical"] + r["major"] + r["minor"]
            score = _shown(r["kpi_score"]) if r["kpi_score"] is not None else "no score"
            text = f"{score}  TRIR {_shown(r['trir']) or '-'}  findings {findings}"
            ax.text(max(scores[i], 1.0) + 1, i, text, va="center", fontsize="small",
                    color="black" if r["kpi_score"] is not None else "grey")
        ax.set_xlim(0, 130)
        ax.set_xlabel("K3 KPI score (of 100)")
        ax.set_title(f"Contractors' K3 performance, {month} (csms pack, icmesh.kpi)")
        ax.invert_yaxis()
        ax.legend(loc="lower right", fontsize="small")
        fig.tight_layout()
        path = folder / f"contractors-{month}.png"
        output.write_atomic(path, _png(fig))
        written.append(path)
    if rows:
        fig, ax = plt.subplots(figsize=(10, 5))
        for contractor in sorted({r["contractor"] for r in rows}):
            points = [(r["month"], float(r["kpi_score"])) for r in rows
                      if r["contractor"] == contractor and r["kpi_score"] is not None]
            if points:
                ax.plot([months.index(m) for m, _ in points], [v for _, v in points], marker="o", label=contractor)
        ax.axhline(threshold, color="black", linestyle="--", linewidth=1, label=f"threshold {threshold:g}")
        ax.set_xticks(range(len(months)), months)
        ax.set_ylim(0, 105)
        ax.set_ylabel("K3 KPI score (of 100)")
        ax.set_title("Contractors' K3 KPI score by month (csms pack, icmesh.kpi)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
        fig.tight_layout()
        path = folder / "contractors-trend.png"
        output.write_atomic(path, _png(fig))
        written.append(path)
    return written


def _month_arg(text: str) -> str:
    try:
        dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a month like 2026-03; found {text!r}") from None
    return text


def engine_for(config: str | None) -> Engine:
    """The csms pack, and zero_accident when installed (the rates read its lost-time accidents)."""
    names = installed(manager()).folders
    if "csms" not in names:
        raise SourceError(Where("report contractors"), "the csms pack is not installed")
    return Engine(["csms"] + (["zero_accident"] if "zero_accident" in names else []), config=config)


def evaluate(engine: Engine, facts: list[str], history: list[str], as_of: dt.date | None) -> Result:
    read: dict[str, Records] = {}
    problems: list[FactError] = []
    for name, paths in (("fact", facts), ("history fact", history)):
        try:
            read[name] = read_files(paths, results=name != "fact")
        except FactsInvalid as exc:
            read[name], problems = exc.records, problems + exc.problems
    if problems:
        raise FactsInvalid(problems)
    return engine.evaluate(read["fact"], history=read["history fact"], as_of=as_of)


class Contractors:
    """`patuh report contractors`, through the patuh_reports hook."""

    name = "contractors"
    help = "csms / ICMESH: each contractor's K3 KPI score, FR, SR, TRIR and findings per month, ranked (CSV, charts)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.description = ("Each contractor's K3 performance per month, ranked by its KPI score (csms pack): "
                              "contractors.csv, contractors-YYYY-MM.png and contractors-trend.png in --out.")
        parser.add_argument("--facts", action="extend", nargs="+", required=True, metavar="FILE",
                            help="the csms registers' facts (patuh detect csms, incidents, hours, scorecards)")
        parser.add_argument("--history", action="extend", nargs="+", default=[], metavar="FILE",
                            help="earlier facts or results (their data-bank records)")
        parser.add_argument("--config", metavar="FILE", help="site config: time zone and parameter overrides")
        parser.add_argument("--as-of", type=as_of_argument, metavar="DATE",
                            help="the evaluation time (default: the latest time in the facts)")
        parser.add_argument("--from", dest="first", type=_month_arg, metavar="YYYY-MM", help="first month shown")
        parser.add_argument("--to", dest="last", type=_month_arg, metavar="YYYY-MM", help="last month shown")
        parser.add_argument("--out", required=True, metavar="DIR", help="folder to write into (made if missing)")

    def run(self, args: argparse.Namespace) -> int:
        output.check_folder(args.out)  # a bad --out fails before the facts are read, with nothing made
        engine = engine_for(args.config)
        result = evaluate(engine, args.facts, args.history, args.as_of)  # all checked before anything is written
        zone = engine.types.zone
        rows = contractor_rows(result, zone, args.first, args.last)
        threshold = _threshold(args.config)
        out = output.make_folder(args.out)
        output.write_atomic(out / "contractors.csv", to_csv(rows))
        for path in charts(rows, threshold, out):
            print(path, file=sys.stderr)
        months = sorted({r["month"] for r in rows})
        print(f"{len(rows)} rows, {len(months)} months ({', '.join(months) or 'none'}) -> {out / 'contractors.csv'}",
              file=sys.stderr)
        for month in months:
            ended = result.trace.as_of is None or month < (_month(result.trace.as_of, zone) or "")
            no_hours = sorted(r["contractor"] for r in rows if r["month"] == month and not r["hours"] and ended)
            no_card = sorted(r["contractor"] for r in rows if r["month"] == month and r["kpi_score"] is None and ended)
            if no_hours:
                print(f"{month}: no hours on record for {', '.join(no_hours)} (no rates)", file=sys.stderr)
            if no_card:
                print(f"{month}: no KPI score for {', '.join(no_card)} (unranked)", file=sys.stderr)
        return 0


def _threshold(config: str | None) -> float:
    from .api import parameters

    _, settled = parameters("csms", config=config)
    return float(settled["kpi_min_score"].value)


@hookimpl
def patuh_reports() -> list[Contractors]:
    return [Contractors()]
