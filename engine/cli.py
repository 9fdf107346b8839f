"""The `patuh` command line. Bad input exits 2 with one line naming the file and record."""
from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
from pathlib import Path

from . import output
from . import plugins as plugin_hooks
from .api import Engine, check_folders, lint
from .explain import explain, select
from .facts import read_files
from .models import Result
from .packtest import run_pack
from .problems import EngineError, FactsInvalid, PackInvalid, SourceError, Where

BAD_INPUT = 2

# `patuh detect NAME`: the readers of patuh.detectors (the camera, with its extra, is wired below)
DETECTORS = [
    ("forms", "forms", "form exports (CSV, JSON, JSONL, YAML) in, checked facts of one declared --type out"),
    ("alerts", "alerts", "a vendor camera's alert log (CSV, JSONL) in, camera_alert facts out"),
    ("telemetry", "telemetry", "speed telemetry (CSV, JSONL) in, speed_sample facts and overspeed camera_alert "
                               "facts out"),
]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return BAD_INPUT
    try:
        return args.run(args)
    except (PackInvalid, FactsInvalid) as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return BAD_INPUT
    except SourceError as exc:
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="patuh", description="Rules-as-code compliance engine for Indonesian K3 (occupational safety and health).")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    packs = commands.add_parser("packs", help="list installed packs, versions and source documents",
                                description="List the installed packs (built-in and plugins).")
    packs.set_defaults(run=cmd_packs)

    lint = commands.add_parser("lint", help="check packs against the schema and for broken references",
                               description="Check pack folders: schema, clauses, parameters, fact types, "
                                           "rules that can never fire. Exit 2 on any problem.")
    lint.add_argument("paths", nargs="+", metavar="PATH", help="pack folder")
    lint.set_defaults(run=cmd_lint)

    test = commands.add_parser("test", help="run the test cases inside packs",
                               description="Run each pack's tests/*.yaml cases: one line per case and a summary.")
    test.add_argument("packs", nargs="*", metavar="PACK|PATH", help="pack name or folder (default: all installed)")
    test.set_defaults(run=cmd_test)

    for name, helptext in (("eval", "evaluate facts against packs and print the findings"),
                           ("explain", "trace a finding (or a rule's findings) back to clause and evidence")):
        sub = commands.add_parser(name, help=helptext, description=helptext[0].upper() + helptext[1:] + ".")
        sub.add_argument("--facts", action="extend", nargs="+", required=True, metavar="FILE",
                         help="facts as .json, .jsonl or .yaml (repeatable)")
        sub.add_argument("--pack", action="append", metavar="NAME|PATH", help="pack to use (repeatable; default: all)")
        sub.add_argument("--config", metavar="FILE", help="site config: timezone and parameter overrides")
        sub.add_argument("--history", action="extend", nargs="+", default=[], metavar="FILE",
                         help="earlier facts files, or earlier results (eval --format json: their evidence and "
                              "derived facts), that 'again' and 'next day' see (repeatable)")
        if name == "eval":
            sub.add_argument("--format", choices=("table", "json", "jsonl"), default="table")
            sub.add_argument("--by", choices=("subject",),
                             help="table: group the findings under a heading per subject (employee, ...), "
                                  "in time order within each")
            sub.add_argument("--out", metavar="FILE", help="write here (atomically) instead of standard output")
            sub.add_argument("--sink", action="append", default=[], metavar="NAME:TARGET",
                             help="also send the result to a sink, e.g. jsonl:findings.jsonl (repeatable)")
            sub.set_defaults(run=cmd_eval)
        else:
            sub.add_argument("finding", metavar="FINDING_OR_RULE", nargs="?",
                             help="a finding id (or its start) or a rule id")
            sub.set_defaults(run=cmd_explain)

    detect = commands.add_parser("detect", help="turn a source (forms, alert logs, telemetry, camera video) into "
                                                 "facts", description="Turn a source into facts, as JSONL on standard "
                                                                      "output. Bad input: one line per problem, exit "
                                                                      "2, nothing on standard output.")
    detectors = detect.add_subparsers(title="detectors", metavar="DETECTOR")
    for name, module, helptext in DETECTORS:
        sub = detectors.add_parser(name, help=helptext, description=helptext[0].upper() + helptext[1:] + ".")
        found = importlib.import_module(f".detectors.{module}", __package__)
        found.add_arguments(sub)
        sub.set_defaults(run=found.run)
    camera = detectors.add_parser("camera", help="the fatigue camera: video in, camera_alert facts out",
                                  description="Cab video in, camera_alert facts (table 6.4.3.3) out as JSONL; "
                                              "needs the camera extra: pip install 'patuh[camera]'.")
    try:
        from .detectors.camera.cli import add_arguments
    except ImportError:  # no camera extra: the command says so when run
        camera.add_argument("rest", nargs=argparse.REMAINDER)
    else:
        add_arguments(camera)
    camera.set_defaults(run=cmd_detect_camera)

    report = commands.add_parser("report", help="reports the procedures ask for",
                                 description="Reports the procedures ask for, made from facts files.")
    reports = report.add_subparsers(title="reports", metavar="REPORT")
    weekly = reports.add_parser("fatigue-weekly", help="CK-PR-SHE-25 6.5.3: camera alerts per week, employee, unit "
                                                       "and type, as CSV and a PNG chart per week",
                                description="The dispatcher's weekly summary of fatigue camera alerts "
                                            "(CK-PR-SHE-25 6.5.3): fatigue-weekly.csv and fatigue-weekly-<week>.png "
                                            "in --out. Weeks run Monday to Sunday in the site's time zone.")
    weekly.add_argument("--facts", action="extend", nargs="+", required=True, metavar="FILE",
                        help="camera_alert facts (.json, .jsonl or .yaml); other fact types are ignored")
    weekly.add_argument("--config", metavar="FILE", help="site config (its timezone sets the weeks)")
    weekly.add_argument("--out", required=True, metavar="DIR", help="folder to write into (made if missing)")
    weekly.set_defaults(run=cmd_report_weekly)
    return parser


def cmd_report_weekly(args) -> int:
    from .reports import charts, to_csv, undated_alerts, weekly_alerts

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


def cmd_detect_camera(args) -> int:
    try:
        from .detectors.camera.cli import run
    except ImportError as exc:
        print(f"error: the camera detector needs the camera extra (pip install 'patuh[camera]'): {exc}",
              file=sys.stderr)
        return BAD_INPUT
    return run(args)


def cmd_packs(args) -> int:
    engine = Engine()
    rows = [("PACK", "VERSION", "DOCUMENT", "REV", "EFFECTIVE", "RULES", "TITLE")]
    for pack in sorted(engine.packs, key=lambda p: (p.name, p.version)):
        doc = pack.document
        rows.append((pack.name, pack.version, doc.number, doc.revision, str(doc.effective), str(len(pack.rules)),
                     doc.title))
    print(_table(rows))
    return 0


def cmd_lint(args) -> int:
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


def cmd_test(args) -> int:
    base = Engine(args.packs or None)
    passed = failed = 0
    for pack in base.packs:
        targets = [pack.path] + [p for name in {o.pack for o in pack.overrides} for p in base.installed.get(name, [])]
        engine = Engine(targets)
        tested = check_folders([pack.path], engine.context, tests=True)[0]
        for case in run_pack(engine, tested):
            if case.ok:
                passed += 1
                print(f"PASS {case.name}")
            else:
                failed += 1
                print(f"FAIL {case.name} ({case.case.at.where()})\n     {case.detail}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def _evaluate(args, engine: Engine | None = None) -> Result:
    engine = engine or Engine(args.pack, config=args.config)
    read: dict[str, list] = {}
    problems = []
    for name, paths in (("fact", args.facts), ("history fact", args.history)):
        try:
            read[name] = read_files(paths, results=name != "fact")
        except FactsInvalid as exc:
            read[name], problems = exc.records, problems + exc.problems
    if problems:  # what could be read is checked too: every problem is said at once, in file order
        for name, records in read.items():
            try:
                engine.check_facts(records, name)
            except FactsInvalid as exc:
                problems += exc.problems
        order = {path: i for i, path in enumerate(args.facts + args.history)}
        raise FactsInvalid(sorted(problems, key=lambda p: (order.get(p.where.file.split(" record ")[0], -1),
                                                           p.where.line)))
    return engine.evaluate(read["fact"], history=read["history fact"],
                           progress=_progress if sys.stderr.isatty() else None)


def _progress(done: int, total: int) -> None:
    sys.stderr.write(f"\revaluated {done:,} of {total:,} facts" + ("\n" if done == total else ""))
    sys.stderr.flush()


def cmd_eval(args) -> int:
    if args.by and args.format != "table":
        raise SourceError(Where("--by"), f"--by groups the table; --format {args.format} has no grouping "
                                         "(each finding carries its subject)")
    if args.out:
        output.check_file(args.out)  # a bad --out fails before the evaluation, not after it
    engine = Engine(args.pack, config=args.config)
    sinks = plugin_hooks.named(engine.plugins, "patuh_sinks")
    chosen = []
    for spec in args.sink:
        name, _, target = spec.partition(":")
        if name not in sinks or not target:
            raise SourceError(Where(f"--sink {spec}"), f"expected NAME:TARGET with NAME one of "
                                                       f"{', '.join(sorted(sinks)) or 'none'}")
        if hasattr(sinks[name], "check"):  # optional: a sink that can, checks its target before the evaluation
            sinks[name].check(target)
        chosen.append((sinks[name], target))
    result = _evaluate(args, engine)
    if args.format == "json":
        text = result.to_json()
    elif args.format == "jsonl":
        text = "".join(json.dumps(f.model_dump(mode="json"), sort_keys=True, ensure_ascii=False) + "\n"
                       for f in result.findings)
    else:
        text = findings_table(result, by=args.by)
    _write(text, args.out)
    for sink, target in chosen:
        with output.os_errors(target):  # a plugin sink's failing write is an error line too, not a traceback
            sink.write(result, target)
    return 0


def cmd_explain(args) -> int:
    if args.finding is None and len(args.facts) > 1 and not Path(args.facts[-1]).exists():
        args.finding = args.facts.pop()  # `explain --facts a.jsonl b.jsonl ID`: --facts took the id too
    if args.finding is None:
        raise SourceError(Where("explain"), "name a finding id or a rule id after the facts files")
    result = _evaluate(args)
    chosen = select(result, args.finding)
    if not chosen:
        print(f"error: no finding or rule {args.finding!r} in this evaluation "
              f"({len(result.findings)} findings)", file=sys.stderr)
        return BAD_INPUT
    print("\n".join(explain(result, f) for f in chosen), end="")
    return 0


def findings_table(result: Result, by: str | None = None) -> str:
    """One row per finding, its actions and sanctions below it. `by="subject"`: the rows grouped
    under a heading per subject ("== employee CK-10183: 3 findings"), subjects in order, each
    one's findings in time order; the columns line up across groups."""
    head = ("TIME", "SUBJECT", "SEVERITY", "RULE", "CLAUSE", "FINDING")
    findings = list(result.findings)
    if by == "subject":
        findings.sort(key=lambda f: (f.subject.kind, f.subject.id, _when(f.time), f.rule, f.id))
        head = head[:1] + head[2:]
    rows, details = [head], []
    for f in findings:
        row = (str(f.time or ""), f.subject.id, f.severity, f.rule, ",".join(c.number for c in f.clauses), f.message)
        rows.append(row[:1] + row[2:] if by == "subject" else row)
        lines = [f"  action: {a.what} [R: {'/'.join(a.responsible) or '-'}; A: {'/'.join(a.accountable) or '-'}]"
                 for a in f.actions]
        lines += [f"  sanction: {s.label}" for s in f.sanctions]
        details.append(lines)
    table = _table(rows).splitlines()
    out = [table[0]]
    previous = None
    for f, line, extra in zip(findings, table[1:], details):
        if by == "subject" and (f.subject.kind, f.subject.id) != previous:
            previous = (f.subject.kind, f.subject.id)
            n = sum(1 for g in findings if (g.subject.kind, g.subject.id) == previous)
            out += ["", f"== {f.subject.kind} {f.subject.id}: {n} finding{'s' if n != 1 else ''}"]
        out += [line] + extra
    summary = f"{len(result.findings)} findings from {result.trace.facts_in} facts"
    if by == "subject":
        groups = len({(f.subject.kind, f.subject.id) for f in findings})
        summary += f", {groups} subject{'s' if groups != 1 else ''}"
    return "\n".join(out + ["", summary]) + "\n"


def _when(time) -> str:
    """A finding's time as a sort key: dates and date-times (any zone) in UTC order, none first."""
    import datetime as dt

    if time is None:
        return ""
    if isinstance(time, dt.datetime):
        return time.astimezone(dt.timezone.utc).isoformat() if time.tzinfo else time.isoformat()
    return time.isoformat()


def _table(rows: list[tuple]) -> str:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths)) + "  " + str(r[-1]) for r in rows)


def _write(text: str, out: str | None) -> None:
    """Standard output, or --out through patuh.output: all or nothing, a failed run never leaves a
    file that looks complete."""
    if out:
        output.write_atomic(out, text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    sys.exit(main())
