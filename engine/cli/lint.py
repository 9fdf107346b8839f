"""`patuh lint PATH...`: every stage but the evaluation, for each pack folder."""
from __future__ import annotations

import argparse
import sys

from ..api import lint

BAD_INPUT = 2


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("lint", help="check packs: schema, references, plan and durable_rules' limits",
                                 description="Check pack folders: the schema; clauses, parameters, fact types and "
                                             "fields that do not exist; rules that can never fire; derivations "
                                             "without end; durable_rules' limits. Exit 2 on any problem.")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="pack folder")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    failed = 0
    for path, pack, problems in lint(args.paths):
        if problems or pack is None:
            failed += 1
            for problem in sorted(problems, key=lambda p: (p.where.file, p.where.line, p.where.column, p.message)):
                print(f"error: {problem}", file=sys.stderr)
            continue
        print(f"ok {path}: {pack.label}, {len(pack.rules)} rules, {len(pack.clauses)} clauses, "
              f"{len(pack.parameters)} parameters, {len(pack.tests)} tests")
    return BAD_INPUT if failed else 0
