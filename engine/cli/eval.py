"""`patuh eval --facts FILE...`: judge facts with packs; the findings as a table, JSON or JSONL."""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeAlias

from .. import output
from .. import plugins as plugin_hooks
from ..api import Engine
from ..facts import Records, read_files
from ..memory import collector_paused
from ..models import Result
from ..problems import FactError, FactsInvalid, SourceError, Where
from ..reports import as_of_argument
from ..store import DEFAULT_HISTORY_DAYS
from .table import findings_table, write

Given: TypeAlias = Iterator[tuple[Where, Any]]  # records handed over as the engine takes them


def add_evaluation(parser: argparse.ArgumentParser) -> None:
    """What every command that evaluates takes: facts, packs, a site config, history."""
    parser.add_argument("--facts", action="extend", nargs="+", required=True, metavar="FILE",
                        help="facts as .json, .jsonl or .yaml (repeatable)")
    parser.add_argument("--pack", action="append", metavar="NAME|PATH", help="pack to use (repeatable; default: all)")
    parser.add_argument("--config", metavar="FILE", help="site config: timezone and parameter overrides")
    parser.add_argument("--history", action="extend", nargs="+", default=[], metavar="FILE",
                        help="earlier facts files, or earlier results (eval --format json: their evidence and "
                             "derived facts), that 'again' and 'next day' see (repeatable)")
    parser.add_argument("--as-of", type=as_of_argument, metavar="TIME",
                        help="the evaluation time ($now; what open and overdue obligations are judged against): "
                             "2026-03-02T14:00, with or without a zone (else the site's), or a date (its end); "
                             "default: the latest time in the facts. Facts dated later are left out")


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("eval", help="evaluate facts against packs and print the findings",
                                 description="Evaluate facts against packs and print the findings.")
    add_evaluation(parser)
    parser.add_argument("--format", choices=("table", "json", "jsonl"), default="table")
    parser.add_argument("--by", choices=("subject",),
                        help="table: group the findings under a heading per subject (employee, ...), in time order "
                             "within each")
    parser.add_argument("--out", metavar="FILE", help="write here (atomically) instead of standard output")
    parser.add_argument("--sink", action="append", default=[], metavar="NAME:TARGET",
                        help="also send the result to a sink, e.g. jsonl:findings.jsonl (repeatable)")
    parser.add_argument("--workers", type=workers, default=cores(), metavar="N",
                        help=f"evaluate sessions in N worker processes (default: this machine's cores, {cores()}), "
                             "for each part with three sessions per worker or more; the result is the same with any N")
    parser.add_argument("--cluster", metavar="ADDRESS",
                        help="evaluate sessions on a dask.distributed cluster, e.g. tcp://10.0.0.5:8786 (patuh "
                             "and the same packs installed on its workers; pip install 'patuh[cluster]')")
    add_store(parser, required=False, help="record the evaluation in this store, and read its history from it "
                                           "(sqlite:///path.db or postgresql://user@host/db)")
    parser.add_argument("--history-days", type=int, default=DEFAULT_HISTORY_DAYS, metavar="DAYS",
                        help="with --store: the stored facts within DAYS of the facts given are the history "
                             f"(default {DEFAULT_HISTORY_DAYS})")
    parser.set_defaults(run=run)


def add_store(parser: argparse.ArgumentParser, required: bool = True, help: str = "the store") -> None:
    """--store URL; a command that only reads or checks a store also takes $PATUH_STORE."""
    default = os.environ.get("PATUH_STORE") if required else None
    parser.add_argument("--store", metavar="URL", required=required and not default, default=default,
                        help=help + (" (default: $PATUH_STORE)" if required else ""))


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def workers(text: str) -> int:
    """--workers: a whole number of processes, at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes, at least 1; found {text!r}")
    return int(text)


def evaluate(args: argparse.Namespace, engine: Engine | None = None) -> Result:
    """The evaluation of the facts and history files the arguments name."""
    engine = engine or Engine(args.pack, config=args.config)
    facts, history, options = _read(args, engine)
    if engine.store is None:
        return engine.evaluate(facts, history=history, **options)
    recorded = engine.record(facts, history=history, origin="cli", **options)
    print(f"recorded as evaluation {recorded.id} in {engine.store.display}", file=sys.stderr)
    return recorded.result


def _read(args: argparse.Namespace, engine: Engine) -> tuple[Given, Given, dict[str, Any]]:
    """The facts and history files the arguments name, read, and the evaluation's options. Every
    problem of every file is said at once, in file order: what could be read is checked too."""
    read: dict[str, Records] = {}
    problems: list[FactError] = []
    for name, paths in (("fact", args.facts), ("history fact", args.history)):
        try:
            read[name] = read_files(paths, results=name != "fact")
        except FactsInvalid as exc:
            read[name], problems = exc.records, problems + exc.problems
    if problems:
        for name, records in read.items():
            try:
                engine.check_facts(records, name, history=name != "fact")
            except FactsInvalid as exc:
                problems += exc.problems
        order = {path: i for i, path in enumerate(args.facts + args.history)}
        raise FactsInvalid(sorted(problems, key=lambda p: (order.get(p.where.file.split(" record ")[0], -1),
                                                           p.where.line)))
    progress = _progress if sys.stderr.isatty() else None
    options: dict[str, Any] = {"progress": progress, "as_of": args.as_of, "workers": getattr(args, "workers", 1),
                               "cluster": getattr(args, "cluster", None)}
    return handed_over(read.pop("fact")), handed_over(read.pop("history fact")), options


def handed_over(records: Records) -> Given:
    """The records, each let go as the engine takes it (it keeps its checked copy): the parsed
    files are not read again, and held to the end they were a site-month's largest part (176 MB)."""
    records.reverse()
    while records:
        yield records.pop()


def _progress(done: int, total: int) -> None:
    sys.stderr.write(f"\revaluated {done:,} of {total:,} facts" + ("\n" if done == total else ""))
    sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    if args.by and args.format != "table":
        raise SourceError(Where("--by"), f"--by groups the table; --format {args.format} has no grouping "
                                         "(each finding carries its subject)")
    if args.out:
        output.check_file(args.out)  # a bad --out fails before the evaluation, not after it
    if args.history_days < 0:
        raise SourceError(Where("--history-days"), "expected a number of days, 0 or more")
    engine = Engine(args.pack, config=args.config, store=args.store, history_days=args.history_days)
    sinks = plugin_hooks.sinks(engine.plugins)
    chosen = []
    for spec in args.sink:
        name, _, target = spec.partition(":")
        if name not in sinks or not target:
            raise SourceError(Where(f"--sink {spec}"), f"expected NAME:TARGET with NAME one of "
                                                       f"{', '.join(sorted(sinks)) or 'none'}")
        check = getattr(sinks[name], "check", None)
        if check is not None:  # optional: a sink that can, checks its target before the evaluation
            check(target)
        chosen.append((sinks[name], target))
    if args.format == "json" and engine.store is None and not chosen:  # nothing else reads the Result
        facts, history, options = _read(args, engine)
        with collector_paused():
            write(engine.evaluate_json(facts, history=history, **options), args.out)
        return 0
    result = evaluate(args, engine)
    text: str | Iterable[bytes]
    if args.format == "json":
        text = result.json_chunks()  # written as it is made: never the whole text at once
    elif args.format == "jsonl":  # a line at a time as written, as the JSON is: never the whole text
        text = ((json.dumps(f.model_dump(mode="json"), sort_keys=True, ensure_ascii=False) + "\n").encode()
                for f in result.findings)
    else:
        text = findings_table(result, by=args.by)
    with collector_paused():
        write(text, args.out)
    for sink, target in chosen:
        with output.os_errors(target):  # a plugin sink's failing write is an error line too, not a traceback
            sink.write(result, target)
    return 0
