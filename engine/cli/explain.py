"""`patuh explain --facts FILE... FINDING_OR_RULE`: a finding's chain back to clause and evidence."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..explain import describe, select
from ..problems import SourceError, Where
from .eval import add_evaluation, evaluate

BAD_INPUT = 2


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("explain",
                                 help="trace a finding or an obligation (or a rule's) back to clause and evidence",
                                 description="Trace a finding or an obligation (or a rule's) back to clause and "
                                             "evidence.")
    add_evaluation(parser)
    parser.add_argument("finding", metavar="FINDING_OR_RULE", nargs="?",
                        help="a finding or obligation id (or its start), a rule id, or RULE.ACTION")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.finding is None and len(args.facts) > 1 and not Path(args.facts[-1]).exists():
        args.finding = args.facts.pop()  # `explain --facts a.jsonl b.jsonl ID`: --facts took the id too
    if args.finding is None:
        raise SourceError(Where("explain"), "name a finding id or a rule id after the facts files")
    result = evaluate(args)
    chosen = select(result, args.finding)
    if not chosen:
        print(f"error: no finding, obligation or rule {args.finding!r} in this evaluation "
              f"({len(result.findings)} findings, {len(result.obligations)} obligations)", file=sys.stderr)
        return BAD_INPUT
    print("\n".join(describe(result, item) for item in chosen), end="")
    return 0
