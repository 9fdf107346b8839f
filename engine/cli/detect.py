"""`patuh detect NAME ...`: a source (forms, alert logs, telemetry, camera video) into facts, as
JSONL on standard output. One subcommand per detector the `patuh_detectors` hook gives, each with
its own options: a plugin's detector is a command like the built-in ones."""
from __future__ import annotations

import argparse

from .. import plugins as plugin_hooks


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("detect", help="turn a source (forms, alert logs, telemetry, camera video) into facts",
                                 description="Turn a source into facts, as JSONL on standard output. Bad input: one "
                                             "line per problem, exit 2, nothing on standard output.")
    found = parser.add_subparsers(title="detectors", metavar="DETECTOR")
    for name, detector in sorted(plugin_hooks.detectors(plugin_hooks.manager()).items()):
        sub = found.add_parser(name, help=detector.help, description=detector.help[0].upper() + detector.help[1:] + ".")
        detector.add_arguments(sub)
        sub.set_defaults(run=detector.run)
