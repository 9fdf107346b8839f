"""Reports the procedures ask for, made from checked facts.

fatigue-weekly (CK-PR-SHE-25 6.5.3): "Operation Fatigue Dispatcher akan membuat hasil evaluasi
berupa rangkuman dari alert yang tercatat pada fatigue detection camera pada jangka waktu per
minggu" — camera alerts counted per ISO week (Monday to Sunday, in the site's time zone),
employee, unit and alert type, as CSV, and a chart per week (the procedure's Lampiran 2 shows a
chart; its exact format is not in the text, so this draws alerts per employee, stacked by type).
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from . import output
from .api import Engine
from .facts import read_files, time_or_date
from .output import csv_text, write_atomic
from .plugins import hookimpl

COLUMNS = ("week", "week_start", "employee", "unit", "alert", "count")


def as_of_argument(text: str) -> dt.datetime | dt.date:
    """--as-of of `patuh eval` and the reports: an ISO time or date."""
    try:
        return time_or_date(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a time like 2026-03-02T14:00 or 2026-03-02T14:00+08:00, or a "
                                         f"date like 2026-03-02; found {text!r}") from None


def weekly_alerts(facts: list[dict[str, Any]], zone: dt.tzinfo) -> list[dict[str, Any]]:
    """Rows of COLUMNS, sorted, from checked camera_alert facts (other types are ignored, and so
    are alerts without a time, which no week holds: count them with undated_alerts)."""
    counts: Counter[tuple[str, str, str, str, str]] = Counter()
    for fact in facts:
        if fact["type"] != "camera_alert" or fact.get("time") is None:
            continue
        local = fact["time"].astimezone(zone)
        year, week, weekday = local.isocalendar()
        start = local.date().fromordinal(local.date().toordinal() - weekday + 1)
        counts[(f"{year}-W{week:02d}", start.isoformat(), fact.get("employee") or "-", fact.get("unit") or "-",
                fact["alert"])] += 1
    return [dict(zip(COLUMNS, key + (n,), strict=True)) for key, n in sorted(counts.items())]


def undated_alerts(facts: list[dict[str, Any]]) -> int:
    return sum(1 for f in facts if f["type"] == "camera_alert" and f.get("time") is None)


def to_csv(rows: list[dict[str, Any]]) -> str:
    """The rows as CSV, through patuh's one CSV writer: employee and unit come from vendor exports
    and forms as received, so a cell that a spreadsheet would run as a formula gets a leading '."""
    return csv_text(COLUMNS, rows)


def charts(rows: list[dict[str, Any]], folder: Path) -> list[Path]:
    """One PNG per week: alerts per employee, stacked by alert type."""
    import matplotlib

    matplotlib.use("Agg")  # no screen on a site server
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    written = []
    for week in sorted({r["week"] for r in rows}):
        these = [r for r in rows if r["week"] == week]
        employees = sorted({r["employee"] for r in these})
        kinds = sorted({r["alert"] for r in these})
        fig, ax = plt.subplots(figsize=(10, max(3, 0.35 * len(employees) + 1.5)))
        left = [0] * len(employees)
        for kind in kinds:
            values = [sum(r["count"] for r in these if r["employee"] == e and r["alert"] == kind) for e in employees]
            ax.barh(employees, values, left=left, label=kind)
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.set_xlabel("alerts")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"Fatigue camera alerts, week {week} (from {these[0]['week_start']}) - CK-PR-SHE-25 6.5.3")
        ax.invert_yaxis()
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
        fig.tight_layout()
        path = folder / f"fatigue-weekly-{week}.png"
        image = io.BytesIO()
        # no version or date in the file: the same bytes each run
        fig.savefig(image, format="png", dpi=100, metadata={"Software": None})
        plt.close(fig)
        write_atomic(path, image.getvalue())
        written.append(path)
    return written


class FatigueWeekly:
    """`patuh report fatigue-weekly`, through the patuh_reports hook."""

    name = "fatigue-weekly"
    help = "CK-PR-SHE-25 6.5.3: camera alerts per week, employee, unit and type, as CSV and a PNG chart per week"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.description = ("The dispatcher's weekly summary of fatigue camera alerts (CK-PR-SHE-25 6.5.3): "
                              "fatigue-weekly.csv and fatigue-weekly-<week>.png in --out. Weeks run Monday to "
                              "Sunday in the site's time zone.")
        parser.add_argument("--facts", action="extend", nargs="+", required=True, metavar="FILE",
                            help="camera_alert facts (.json, .jsonl or .yaml); other fact types are ignored")
        parser.add_argument("--config", metavar="FILE", help="site config (its timezone sets the weeks)")
        parser.add_argument("--out", required=True, metavar="DIR", help="folder to write into (made if missing)")

    def run(self, args: argparse.Namespace) -> int:
        output.check_folder(args.out)  # a bad --out fails before the facts are read, with nothing made
        engine = Engine(["fatigue"], config=args.config)
        records = read_files(args.facts)
        facts = [fact for fact, _ in engine.check_facts(records).values()]  # all checked before anything is written
        rows = weekly_alerts(facts, engine.types.zone)
        out = output.make_folder(args.out)
        output.write_atomic(out / "fatigue-weekly.csv", to_csv(rows))
        for path in charts(rows, out):
            print(path, file=sys.stderr)
        print(f"{len(rows)} rows, {sum(r['count'] for r in rows)} alerts -> {out / 'fatigue-weekly.csv'}",
              file=sys.stderr)
        if undated_alerts(facts):
            print(f"{undated_alerts(facts)} alerts without a time are in no week (6.3.2.3.1 findings in patuh eval)",
                  file=sys.stderr)
        return 0


@hookimpl
def patuh_reports() -> list[FatigueWeekly]:
    return [FatigueWeekly()]
