"""`patuh test [PACK|PATH]... [--coverage] [--min-coverage PCT]`: the test cases inside packs."""
from __future__ import annotations

import argparse

from ..api import Engine
from ..packtest import coverage, engine_for, run_pack, with_tests


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("test", help="run the test cases inside packs",
                                 description="Run each pack's tests/*.yaml cases: one line per case and a summary; "
                                             "exit 1 when a case fails.")
    parser.add_argument("packs", nargs="*", metavar="PACK|PATH", help="pack name or folder (default: all installed)")
    parser.add_argument("--coverage", action="store_true",
                        help="also say, per pack, the rules no case exercises and the clauses no exercised rule "
                             "cites")
    parser.add_argument("--min-coverage", type=float, metavar="PCT",
                        help="fail (exit 1) when a pack's cases exercise less than PCT %% of its rules "
                             "(implies --coverage)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    passed = failed = short = 0
    chosen = Engine(args.packs or None)
    for pack in chosen.packs:
        engine = engine_for(pack, chosen.installed)
        tested = with_tests(engine, pack)
        results = run_pack(engine, tested)
        for case in results:
            if case.ok:
                passed += 1
                print(f"PASS {case.name}")
            else:
                failed += 1
                print(f"FAIL {case.name} ({case.case.at.where()})\n     {case.detail}")
        if args.coverage or args.min_coverage is not None:
            found = coverage(tested, [r.matched for r in results])
            print(found.report())
            if args.min_coverage is not None and found.rule_share < args.min_coverage:
                short += 1
                print(f"  below the minimum of {args.min_coverage:g} % of rules")
    print(f"{passed} passed, {failed} failed" + (f"; {short} pack(s) below the minimum coverage" if short else ""))
    return 1 if failed or short else 0
