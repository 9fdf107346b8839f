"""k3-statistics: a company's K3 accident statistics per year, from its incident and hours
registers, as the zero_accident pack classifies the incidents.

    patuh report k3-statistics --facts incidents.jsonl hours.jsonl --config site.yaml --out report/

Per company and calendar year (in the site's zone), for every worker (`all`), the company's own
employees (`employees`) and the contractors' and sub-contractors' together (`contractors`), and
per contractor: hours, lost-time accidents, lost-time injuries, fatalities, recordable cases,
lost days, and the rates

    FR    = lost-time accidents x 1,000,000 / hours worked            (secondary-facts.md, H)
    SR    = lost days x 1,000,000 / hours worked                      (secondary-facts.md, H)
    LTIFR = (lost-time injuries + fatalities) x 1,000,000 / hours     (secondary-facts.md, M)
    TRIR  = recordable cases x 200,000 / hours                        (secondary-facts.md, H;
                                                                       OSHA: 100 workers x 40 h x 50 weeks)

with the multipliers the pack's parameters hold (frequency_rate_per_h, severity_rate_per_h,
ltifr_per_h, trir_per_h; a site config may override them). The seed names statistics among what
the award's panel examines (pengajuan.5: "Pendataan, pemeriksaan kecelakaan, statistik dan
prosedur pelaporan") but gives no formula: the formulas are the secondary source's.

What is counted:
- A lost-time accident is one the zero_accident pack finds (kecelakaan.1 and .2, the exclusions of
  pengecualian.1 and .2 left out): the report evaluates the facts with the pack, so the statistics
  and the findings are one classification. FR counts stops and equipment damage beyond the next
  shift (kecelakaan.2); LTIFR counts injuries and deaths only (kecelakaan.1).
- Lost days are the days the pack charges each lost-time accident (the lost-day tables; 6000 for a
  death; the actual days otherwise), each wholly in its accident's year. An accident whose days are
  not known yet is counted in days_unknown, and the SR is then a lower bound (said in `note`).
- A recordable case is an injury (of any outcome) or a death: near misses and first-aid cases are
  not; the award's exclusions are not applied (recordability does not know them).
- Hours are the series of pengajuan.3: employee_hours + overtime_hours for employees,
  contractor_hours + contractor_overtime_hours for contractors, all four for `all`. A blank series
  leaves the hours unknown and the rates empty, with the reason; so does 0 hours (never a rate of 0
  or an infinite one). A year's contractor series may instead be given as annual rows per contractor
  (`contractor` and `year`), summed. A contractor's own hours come from its annual or monthly
  work_hours rows (`contractor` and `month`, the csms pack's) when there are any; without them its
  counts are given and its rates are empty.

Written into --out, each file all or nothing: k3-statistics.csv (the rows), k3-statistics.txt (the
formulas with their sources and the parameters' values, then the rows as a table) and
k3-statistics-<company>.png (per company, the rates over the years: FR, LTIFR and TRIR in one
panel, SR in another, the lost-time accidents of each year written at its points).
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import re
import sys
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from . import output
from .api import Engine, parameters
from .facts import read_files
from .models import ParameterUse
from .output import csv_text, write_atomic
from .plugins import hookimpl
from .reports import as_of_argument

PACK = "zero_accident"
COLUMNS = ("company", "year", "population", "contractor", "hours", "lta", "lti", "fatalities", "recordable",
           "lost_days", "days_unknown", "fr", "sr", "ltifr", "trir", "note")
POPULATIONS = ("all", "employees", "contractors")
SERIES = {"all": ("employee_hours", "overtime_hours", "contractor_hours", "contractor_overtime_hours"),
          "employees": ("employee_hours", "overtime_hours"),
          "contractors": ("contractor_hours", "contractor_overtime_hours"),
          "contractor": ("contractor_hours", "contractor_overtime_hours")}
RATES = {  # column -> (parameter, numerator, formula as printed, confidence of secondary-facts.md)
    "fr": ("frequency_rate_per_h", "lta", "FR = lost-time accidents x {k} / hours worked", "H"),
    "sr": ("severity_rate_per_h", "lost_days", "SR = lost days x {k} / hours worked", "H"),
    "ltifr": ("ltifr_per_h", "lti+fatalities", "LTIFR = (lost-time injuries + fatalities) x {k} / hours worked", "M"),
    "trir": ("trir_per_h", "recordable", "TRIR = recordable cases x {k} / hours worked", "H"),
}


def _year(value: dt.datetime, zone: dt.tzinfo) -> int:
    return value.astimezone(zone).year


def _hours(rows: list[dict[str, Any]], series: tuple[str, ...]) -> tuple[Decimal | None, str]:
    """The hours of some work_hours rows in some series, or None and why."""
    if not rows:
        return None, "no hours on record"
    missing = sorted({s for r in rows for s in series if r.get(s) is None})
    if missing:
        return None, f"{', '.join(missing)} blank (pengajuan.3)"
    return sum((Decimal(repr(r[s])) for r in rows for s in series), Decimal(0)), ""


def _population_hours(rows: list[dict[str, Any]], per_contractor: list[dict[str, Any]],
                      population: str) -> tuple[Decimal | None, str]:
    """A population's hours in a year: the company's annual rows, whose contractor series are the
    sum of the annual rows per contractor when the company's rows leave both blank (the
    zero_accident pack reads them so, and refuses a year that gives them both ways)."""
    contractors_apart = per_contractor and all(r.get(s) is None for r in rows for s in SERIES["contractors"])
    if population == "employees" or not contractors_apart:
        return _hours(rows, SERIES[population])
    contractors, why = _hours(per_contractor, SERIES["contractors"])
    if population == "contractors" or contractors is None:
        return contractors, why
    employees, why = _hours(rows, SERIES["employees"])
    return (None, why) if employees is None else (employees + contractors, "")


def _rate(count: int, multiplier: Any, hours: Decimal | None) -> str:
    if hours is None or hours == 0:
        return ""
    value = Decimal(count) * Decimal(repr(multiplier)) / hours
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def statistics(facts: list[dict[str, Any]], accidents: list[dict[str, Any]], zone: dt.tzinfo,
               multipliers: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of COLUMNS, sorted: per company and year, each population, then each contractor.
    `facts` are the checked facts (incident and work_hours read; others ignored), `accidents` the
    pack's lost_time_accident facts."""
    incidents = [f for f in facts if f["type"] == "incident"]
    annual = [f for f in facts if f["type"] == "work_hours" and f.get("year") is not None
              and f.get("month") is None and f.get("contractor") is None]
    monthly = [f for f in facts if f["type"] == "work_hours" and f.get("contractor") is not None]
    keys: set[tuple[str, int]] = {(f["company"], f["year"]) for f in annual}
    keys |= {(f["company"], _year(f["time"], zone)) for f in incidents}
    keys |= {(a["company"], a["year"]) for a in accidents}
    contractors: dict[tuple[str, int], set[str]] = {}
    for f in incidents:
        if f.get("contractor"):
            contractors.setdefault((f["company"], _year(f["time"], zone)), set()).add(f["contractor"])
    for f in monthly:
        year = f.get("year") or _month_year(f.get("month"))
        if year is not None:
            contractors.setdefault((f["company"], year), set()).add(f["contractor"])
            keys.add((f["company"], year))
    rows = []
    for company, year in sorted(keys):
        these = [f for f in incidents if f["company"] == company and _year(f["time"], zone) == year]
        ltas = [a for a in accidents if a["company"] == company and a["year"] == year]
        hours_rows = [f for f in annual if f["company"] == company and f["year"] == year]
        per_contractor = [f for f in monthly if f["company"] == company and f.get("year") == year
                          and f.get("month") is None]
        for population in POPULATIONS:
            def chosen(f: dict[str, Any], population: str = population) -> bool:
                return population == "all" or (population == "contractors") == bool(f.get("contractor"))
            hours, why = _population_hours(hours_rows, per_contractor, population)
            rows.append(_row(company, year, population, "", [f for f in these if chosen(f)],
                             [a for a in ltas if chosen(a)], hours, why, multipliers))
        for contractor in sorted(contractors.get((company, year), set())):
            months = [f for f in monthly if f["company"] == company and f["contractor"] == contractor
                      and (f.get("year") or _month_year(f.get("month"))) == year]
            hours, why = _hours(months, SERIES["contractor"]) if months else (
                None, "no hours per contractor on record (the annual series hold all contractors together)")
            rows.append(_row(company, year, "contractor", contractor,
                             [f for f in these if f.get("contractor") == contractor],
                             [a for a in ltas if a.get("contractor") == contractor], hours, why, multipliers))
    return rows


def _month_year(month: Any) -> int | None:
    found = re.match(r"^(\d{4})-\d{2}$", str(month or ""))
    return int(found.group(1)) if found else None


def _row(company: str, year: int, population: str, contractor: str, incidents: list[dict[str, Any]],
         ltas: list[dict[str, Any]], hours: Decimal | None, why: str, multipliers: dict[str, Any]) -> dict[str, Any]:
    counts = {
        "lta": len(ltas),
        "lti": sum(1 for a in ltas if a["clause"] == "kecelakaan.1" and not a.get("fatal")),
        "fatalities": sum(1 for a in ltas if a.get("fatal")),
        "recordable": sum(1 for f in incidents if f["kind"] == "injury" or f.get("fatal")),
        "lost_days": sum(a["days"] for a in ltas if a.get("days") is not None),
        "days_unknown": sum(1 for a in ltas if a.get("days") is None),
    }
    notes = [f"rates: {why}"] if why else []
    if hours == 0:
        notes.append("rates: 0 hours worked")
    if counts["days_unknown"] and hours:
        notes.append(f"SR a lower bound: {counts['days_unknown']} lost-time accident(s) without lost days yet")
    numerator = {"lta": counts["lta"], "lost_days": counts["lost_days"],
                 "lti+fatalities": counts["lti"] + counts["fatalities"], "recordable": counts["recordable"]}
    rates = {column: _rate(numerator[spec[1]], multipliers[spec[0]], hours) for column, spec in RATES.items()}
    return {"company": company, "year": year, "population": population, "contractor": contractor,
            "hours": "" if hours is None else _number(hours), **counts, **rates, "note": "; ".join(notes)}


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


def formulas(params: dict[str, ParameterUse]) -> list[str]:
    """The formulas as the report prints them, with their sources and the parameters' values."""
    lines = []
    for column, (name, _, text, confidence) in RATES.items():
        use = params[name]
        lines.append(f"{text.format(k=f'{use.value:,}')}   [{column}; secondary-facts.md, confidence {confidence}; "
                     f"parameter {name} = {use.value} ({use.source})]")
    return lines


def text_report(rows: list[dict[str, Any]], params: dict[str, ParameterUse], label: str,
                as_of: dt.datetime | None) -> str:
    when = as_of.isoformat(timespec="minutes") if as_of else "the latest time in the facts"
    head = [f"K3 statistics ({label}, lost-time accidents as found at {when})", "",
            "Formulas (the seed names statistics among what the award's panel examines, pengajuan.5, "
            "without formulas; these are the secondary source's):", *(f"  {line}" for line in formulas(params)), "",
            "lta: lost-time accidents (kecelakaan.1 and .2, pengecualian.1 and .2 left out); lti: lost-time injuries "
            "(kecelakaan.1, not fatal); recordable: injuries and deaths (no exclusions); lost_days: kehilangan-hari "
            "(6000 for a death), each accident in its own year; hours: pengajuan.3's series (employees: "
            "employee_hours + overtime_hours; contractors: contractor_hours + contractor_overtime_hours).", ""]
    widths = {c: max([len(c)] + [len(str(r[c])) for r in rows]) for c in COLUMNS}
    table = ["  ".join(c.ljust(widths[c]) for c in COLUMNS).rstrip()]
    table += ["  ".join(str(r[c]).ljust(widths[c]) for c in COLUMNS).rstrip() for r in rows]
    return "\n".join(head + table) + "\n"


def charts(rows: list[dict[str, Any]], folder: Path, params: dict[str, ParameterUse]) -> list[Path]:
    """Per company, one PNG: FR, LTIFR and TRIR over the years in one panel, SR in another (its
    scale is a thousand times larger); each year's lost-time accidents written at its FR point."""
    import matplotlib

    matplotlib.use("Agg")  # no screen on a site server
    from matplotlib import pyplot as plt

    written = []
    for company in sorted({r["company"] for r in rows}):
        these = [r for r in rows if r["company"] == company and r["population"] == "all"]
        years = [r["year"] for r in these]
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
        for column, label in (("fr", "FR"), ("ltifr", "LTIFR"), ("trir", "TRIR")):
            points = [(r["year"], float(r[column])) for r in these if r[column] != ""]
            if points:
                top.plot(*zip(*points, strict=True), marker="o", label=label)
        for r in these:
            if r["fr"] != "" and r["lta"]:
                top.annotate(f"{r['lta']} LTA", (r["year"], float(r["fr"])), textcoords="offset points",
                             xytext=(4, 6), fontsize="small")
        top.set_ylabel(f"per {params['frequency_rate_per_h'].value:,} h (TRIR per {params['trir_per_h'].value:,} h)")
        top.legend(loc="upper left")
        top.set_title(f"{company}: K3 rates per year (all workers, contractors included)")
        points = [(r["year"], float(r["sr"])) for r in these if r["sr"] != ""]
        if points:
            bottom.bar(*zip(*points, strict=True), color="tab:red", label="SR")
        bottom.set_ylabel(f"SR: lost days per {params['severity_rate_per_h'].value:,} h")
        bottom.set_xticks(years)
        bottom.set_xticklabels([str(y) for y in years])
        bottom.set_xlim(min(years) - 0.6, max(years) + 0.6)
        top.set_ylim(bottom=0)
        bottom.set_ylim(bottom=0)
        for r in these:
            if r["fr"] == "":  # said on the chart, never drawn as 0
                bottom.annotate("no rates:\nhours not on record\nor incomplete", (r["year"], 0), ha="center",
                                va="bottom", xytext=(0, 4), textcoords="offset points", fontsize="x-small")
        footer = ("FR = LTA x {fr:,} / h;  SR = lost days x {sr:,} / h;  LTIFR = (LTI + fatalities) x {lt:,} / h;  "
                  "TRIR = recordable x {tr:,} / h\n(secondary-facts.md; LTA as the zero_accident pack finds them, "
                  "kecelakaan.1 and .2, exclusions left out)").format(
            fr=params["frequency_rate_per_h"].value, sr=params["severity_rate_per_h"].value,
            lt=params["ltifr_per_h"].value, tr=params["trir_per_h"].value)
        fig.text(0.01, 0.01, footer, fontsize="x-small")
        fig.tight_layout(rect=(0, 0.05, 1, 1))
        image = io.BytesIO()
        fig.savefig(image, format="png", dpi=100, metadata={"Software": None})  # the same bytes each run
        plt.close(fig)
        path = folder / f"k3-statistics-{_slug(company)}.png"
        write_atomic(path, image.getvalue())
        written.append(path)
    return written


def _slug(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z]+", "-", text).strip("-").lower() or "company"


class K3Statistics:
    """`patuh report k3-statistics`, through the patuh_reports hook."""

    name = "k3-statistics"
    help = ("K3 statistics per company, year and contractor: FR, SR, LTIFR and TRIR, as CSV, text with the "
            "formulas, and a chart per company")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--facts", action="extend", nargs="+", required=True, metavar="FILE",
                            help="incident and work_hours facts (.json, .jsonl or .yaml), e.g. from patuh detect "
                                 "incidents and patuh detect hours; other fact types are read and ignored")
        parser.add_argument("--config", metavar="FILE", help="site config: timezone, shifts (kecelakaan.2), "
                                                             "parameter overrides")
        parser.add_argument("--as-of", type=as_of_argument, metavar="TIME",
                            help="the evaluation time (default: the latest time in the facts)")
        parser.add_argument("--out", required=True, metavar="DIR", help="folder to write into (made if missing)")

    def run(self, args: argparse.Namespace) -> int:
        output.check_folder(args.out)  # a bad --out fails before the facts are read, with nothing made
        rows, params, label, as_of = compute(read_files(args.facts), args.config, args.as_of)
        out = output.make_folder(args.out)
        write_atomic(out / "k3-statistics.csv", csv_text(COLUMNS, rows))
        write_atomic(out / "k3-statistics.txt", text_report(rows, params, label, as_of))
        for path in charts(rows, out, params):
            print(path, file=sys.stderr)
        print(f"{len(rows)} rows -> {out / 'k3-statistics.csv'}", file=sys.stderr)
        return 0


def compute(records: Iterable[Any], config: str | Path | dict[str, Any] | None = None,
            as_of: dt.datetime | dt.date | None = None
            ) -> tuple[list[dict[str, Any]], dict[str, ParameterUse], str, dt.datetime | None]:
    """The report's rows, the pack's parameters (after the config's overrides), its label and the
    evaluation time, from fact records: they are checked (every bad one reported) and evaluated
    with the zero_accident pack, whose lost_time_accident facts are the accidents counted."""
    engine = Engine([PACK], config=config)
    records = list(records)
    checked = engine.check_facts(records)
    result = engine.evaluate(records, as_of=as_of)
    now = result.trace.as_of
    # what is dated after the evaluation time is left out, as the evaluation leaves it out
    facts = [fact for fact, _ in checked.values()
             if not (now is not None and isinstance(fact.get("time"), dt.datetime) and fact["time"] > now)]
    accidents = [d.model_dump() for d in result.derived if d.type == "lost_time_accident"]
    label, params = parameters(PACK, None, config)
    multipliers = {name: params[name].value for name, *_ in RATES.values()}
    return statistics(facts, accidents, engine.types.zone, multipliers), params, label, now


@hookimpl
def patuh_reports() -> list[K3Statistics]:
    return [K3Statistics()]
