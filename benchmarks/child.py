"""One evaluation in a fresh process, for its peak memory:
`python -m benchmarks.child patuh|patuh-eval|raw N [MAX [PACK]]` (PACK: a pack name or folder, default
fatigue; patuh-eval: the records handed over one at a time, each let go once checked, as `patuh eval`
gives a file's records, and the JSON written to a file as it writes it (Engine.evaluate_json, no
Result held); patuh: the records held by the caller to the end and the Result returned, as a host
app holding them does),
or `python -m benchmarks.child site-month FOLDER` (benchmarks/sitemonth.py's files, read as
`patuh eval --facts FOLDER/*.jsonl --config ... --format json` reads them: parsing and the JSON
result included).

Prints one JSON line: counts per rule, sessions, seconds, and memory in KiB. `input_rss_kb` is
the process with its input ready and its rulesets made in durable_rules' core (patuh: the records,
after an evaluation of 200 others; raw: the facts prepared for durable_rules, records freed, after
raw.handle()); `peak_rss_kb` is the peak resident size from then to the end of the evaluation
(Linux VmHWM, reset just before it starts by writing 5 to /proc/self/clear_refs), so neither
generating the input nor another case's leftovers count. Where the reset is not possible it is
the process's whole peak, and `peak_is_whole_process` says so.
"""
from __future__ import annotations

import gc
import json
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import IO

STATUS = Path("/proc/self/status")


def _status_kb(field: str) -> int | None:
    try:
        found = re.search(rf"^{field}:\s+(\d+) kB", STATUS.read_text(), re.M)
    except OSError:
        return None
    return int(found.group(1)) if found else None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _written(chunks: Iterable[bytes]) -> IO[bytes]:
    """A result's JSON in a temporary file, as `patuh eval --format json --out FILE` writes it."""
    out = tempfile.TemporaryFile()
    for chunk in chunks:
        out.write(chunk)
    return out


def _shown(written: IO[bytes]) -> tuple[dict[str, int], int]:
    """Findings per rule and sessions of the JSON written, read back once the peak is taken."""
    written.seek(0)
    shown = json.load(written)
    written.close()
    return dict(Counter(f["rule"] for f in shown["findings"])), shown["trace"]["sessions"]


def site_month(folder: str) -> dict:
    """Read, evaluate and write out (JSON, as `--format json`) a site-month, end to end."""
    import patuh
    from patuh.cli.eval import handed_over
    from patuh.facts import read_records

    from benchmarks import sitemonth

    paths = [Path(folder, name) for name in sitemonth.FILES.values()]
    engine = patuh.Engine(["fatigue"], config=sitemonth.CONFIG)
    engine.evaluate([{"type": "roster", "employee": "warm-up", "date": "2026-03-01", "shift": "I"}])  # the ruleset
    gc.collect()
    input_rss = _status_kb("VmRSS")
    reset = _reset_peak()
    wall, cpu = time.perf_counter(), time.process_time()
    records = [item for path in paths for item in read_records(path)]
    read, facts = time.perf_counter(), len(records)
    chunks = engine.evaluate_json(handed_over(records))  # as `patuh eval --format json` gives and writes them
    evaluated = time.perf_counter()
    peak_evaluated = _status_kb("VmHWM")  # before the JSON text is made
    written = _written(chunks)
    size = written.tell()
    done = time.perf_counter()
    cpu = time.process_time() - cpu
    peak = _status_kb("VmHWM")
    if peak is None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // (1024 if sys.platform == "darwin" else 1)
        reset = False
    counts, sessions = _shown(written)
    return {"impl": "site-month", "facts": facts, "sessions": sessions, "counts": dict(sorted(counts.items())),
            "seconds": done - wall, "cpu_seconds": cpu, "read_seconds": read - wall,
            "evaluate_seconds": evaluated - read, "json_seconds": done - evaluated, "json_bytes": size,
            "input_rss_kb": input_rss, "peak_rss_kb": peak, "peak_rss_evaluate_kb": peak_evaluated,
            "peak_is_whole_process": not reset}


def main(argv: list[str]) -> dict:
    if argv[0] == "site-month":
        return site_month(argv[1])
    impl, n = argv[0], int(argv[1])
    import patuh
    from patuh.cli.eval import handed_over

    from benchmarks import generate, raw

    limit = int(argv[2]) if len(argv) > 2 else patuh.api.MAX_SESSION_FACTS
    records = generate.facts(n)
    engine = patuh.Engine([argv[3] if len(argv) > 3 else "fatigue"], max_session_facts=limit) \
        if impl != "raw" else None
    if impl == "raw":
        data = raw.prepare(records)
        del records
        raw.handle()
    else:
        data = records
        # its rulesets made in durable_rules' core first, as raw.handle() makes raw's (a fixed cost
        # of the engine, 22 MB, not of the facts)
        engine.evaluate(generate.facts(200))
    gc.collect()
    input_rss = _status_kb("VmRSS")
    reset = _reset_peak()
    wall, cpu = time.perf_counter(), time.process_time()
    if impl == "patuh-eval":
        written = _written(engine.evaluate_json(handed_over(data)))
    elif impl == "patuh":
        result = engine.evaluate(data)
        counts, sessions = dict(Counter(f.rule for f in result.findings)), result.trace.sessions
    else:
        run = raw.evaluate(data, limit)
        counts, sessions = run.counts(), run.sessions
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = _status_kb("VmHWM")
    if impl == "patuh-eval":
        counts, sessions = _shown(written)
    if peak is None:  # not Linux: ru_maxrss is KiB on Linux, bytes on macOS
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // (1024 if sys.platform == "darwin" else 1)
        reset = False
    return {"impl": impl, "facts": n, "max_session_facts": limit, "sessions": sessions,
            "counts": {rule: counts.get(rule, 0) for rule in generate.RULES},
            "seconds": wall, "cpu_seconds": cpu, "input_rss_kb": input_rss, "peak_rss_kb": peak,
            "peak_is_whole_process": not reset}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
