"""`patuh report NAME`: the reports the procedures ask for, made from facts files."""
from __future__ import annotations

import argparse
import sys

from .. import output
from ..api import Engine
from ..facts import read_files


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("report", help="reports the procedures ask for",
                                 description="Reports the procedures ask for, made from facts files.")
    reports = parser.add_subparsers(title="reports", metavar="REPORT")
    weekly = reports.add_parser("fatigue-weekly", help="CK-PR-SHE-25 6.5.3: camera alerts per week, employee, unit "
                                                       "and type, as CSV and a PNG chart per week",
                                description="The dispatcher's weekly summary of fatigue camera alerts "
                                            "(CK-PR-SHE-25 6.5.3): fatigue-weekly.csv and fatigue-weekly-<week>.png "
                                            "in --out. Weeks run Monday to Sunday in the site's time zone.")
    weekly.add_argument("--facts", action="extend", nargs="+", required=True, metavar="FILE",
                        help="camera_alert facts (.json, .jsonl or .yaml); other fact types are ignored")
    weekly.add_argument("--config", metavar="FILE", help="site config (its timezone sets the weeks)")
    weekly.add_argument("--out", required=True, metavar="DIR", help="folder to write into (made if missing)")
    weekly.set_defaults(run=fatigue_weekly)


def fatigue_weekly(args: argparse.Namespace) -> int:
    from ..reports import charts, to_csv, undated_alerts, weekly_alerts

    output.check_folder(args.out)  # a bad --out fails before the facts are read, with nothing made
    engine = Engine(["fatigue"], config=args.config)
    records = read_files(args.facts)
    facts = [fact for fact, _ in engine.check_facts(records).values()]  # all checked before anything is written
    rows = weekly_alerts(facts, engine.types.zone)
    out = output.make_folder(args.out)
    output.write_atomic(out / "fatigue-weekly.csv", to_csv(rows))
    for path in charts(rows, out):
        print(path, file=sys.stderr)
    print(f"{len(rows)} rows, {sum(r['count'] for r in rows)} alerts -> {out / 'fatigue-weekly.csv'}", file=sys.stderr)
    if undated_alerts(facts):
        print(f"{undated_alerts(facts)} alerts without a time are in no week (6.3.2.3.1 findings in patuh eval)",
              file=sys.stderr)
    return 0
