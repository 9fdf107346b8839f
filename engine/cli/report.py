"""`patuh report NAME ...`: the reports the procedures ask for. One subcommand per report the
`patuh_reports` hook gives (patuh.reports holds the built-in ones), each with its own options."""
from __future__ import annotations

import argparse

from .. import plugins as plugin_hooks


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("report", help="reports the procedures ask for",
                                 description="Reports the procedures ask for, made from facts files.")
    found = parser.add_subparsers(title="reports", metavar="REPORT")
    for name, report in sorted(plugin_hooks.reports(plugin_hooks.manager()).items()):
        sub = found.add_parser(name, help=report.help, description=report.help[0].upper() + report.help[1:] + ".")
        report.add_arguments(sub)
        sub.set_defaults(run=report.run)
