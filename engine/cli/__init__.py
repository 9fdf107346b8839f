"""The `patuh` command line: one module per command, each adding its parser and its `run`.

Bad input of any kind (a file, a record, an argument, a pack) is one line per problem on
standard error, `error: FILE:LINE:COLUMN: what was expected`, and exit 2, with nothing written.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys

from ..plugins import PluginError
from ..problems import EngineError, FactsInvalid, PackInvalid, SourceError
from . import detect, eval, explain, lint, packs, report, serve, store, tests

BAD_INPUT = 2
COMMANDS = (packs, lint, tests, eval, explain, detect, report, store, serve)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="patuh", description="Rules-as-code compliance engine for Indonesian K3 (occupational safety and health).")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for command in COMMANDS:
        command.add(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
    except PluginError as exc:  # a plugin's detector cannot even say its options
        print(f"error: {exc}", file=sys.stderr)
        return BAD_INPUT
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return BAD_INPUT
    try:
        return int(args.run(args))
    except (PackInvalid, FactsInvalid) as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return BAD_INPUT
    except (SourceError, PluginError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_INPUT
    except EngineError as exc:
        print(f"engine error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `patuh eval | head`: the reader has all it wanted; no traceback
        with contextlib.suppress(OSError, ValueError):  # and none when Python flushes stdout at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # as a program killed by SIGPIPE
