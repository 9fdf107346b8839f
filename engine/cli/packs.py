"""`patuh packs`: the installed packs, their versions and source documents."""
from __future__ import annotations

import argparse

from ..api import Engine
from .table import table


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("packs", help="list installed packs, versions and source documents",
                                 description="List the installed packs (built-in and plugins).")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    engine = Engine()
    rows = [("PACK", "VERSION", "DOCUMENT", "REV", "EFFECTIVE", "RULES", "TITLE")]
    for pack in sorted(engine.packs, key=lambda p: (p.name, p.version)):
        doc = pack.document
        rows.append((pack.name, pack.version, doc.number, doc.revision, str(doc.effective), str(len(pack.rules)),
                     doc.title))
    print(table(rows))
    return 0
