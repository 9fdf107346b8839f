"""`patuh report NAME`: the reports the procedures ask for, made from facts files."""
from __future__ import annotations

import argparse
import sys

from .. import output
from ..api import Engine
from ..audit import LANGUAGES, AuditReport, Period, parse_day
from ..facts import read_files
from ..problems import SourceError, Where
from ..store import Store
from .eval import add_store


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

    audit = reports.add_parser("audit", help="the HTML audit report of a store: findings by subject and clause, each "
                                             "to its evidence; obligations; charts; clause coverage",
                               description="A static HTML audit report made from the store (no network at view "
                                           "time, readable printed on A4): findings by subject and by clause, each "
                                           "opening to its chain (rule, quoted clause, interpretation, parameters "
                                           "and their sources, facts with their source rows, evidence photos and "
                                           "clips); open and overdue obligations by accountable role; the packs' "
                                           "report charts; a clause coverage matrix per pack. Prints the path of "
                                           "index.html.")
    add_store(audit)
    audit.add_argument("--out", required=True, metavar="DIR", help="folder to write into (made if missing)")
    audit.add_argument("--from", dest="since", metavar="DATE", help="findings on or after this day (YYYY-MM-DD)")
    audit.add_argument("--to", dest="until", metavar="DATE", help="findings on or before this day (YYYY-MM-DD)")
    audit.add_argument("--pack", action="append", metavar="NAME", help="only these packs' findings (repeatable)")
    audit.add_argument("--subject", metavar="ID", help="only the findings against this subject (an employee, ...)")
    audit.add_argument("--lang", choices=LANGUAGES, default="id",
                       help="labels in Bahasa Indonesia (id, the default) or English (en); clause texts stay in "
                            "their source's language")
    audit.add_argument("--evidence", action="append", default=[], metavar="DIR",
                       help="folders where the evidence files facts name (photos, clips) are found (repeatable; "
                            "a detector's --out); they are copied into the report")
    audit.set_defaults(run=audit_report)


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


def audit_report(args: argparse.Namespace) -> int:
    output.check_folder(args.out)
    period = Period(parse_day(args.since, "--from"), parse_day(args.until, "--to"), args.pack or [], args.subject)
    if period.since and period.until and period.since > period.until:
        raise SourceError(Where("--from"), f"--from {period.since} is after --to {period.until}")
    report = AuditReport(Store(args.store), period, lang=args.lang, evidence=args.evidence)
    index = report.write(args.out)
    print(f"{len(report.rows)} findings, {len(report.obligations)} obligations -> {index}", file=sys.stderr)
    print(index)
    return 0
