"""A site-month evaluated end to end: 300 operators, 2 shifts a day, 30 days, ~123k facts.

benchmarks/sitemonth.py writes a site's month of exports (roster, readiness forms, P2H camera
checks, inspections, surveys, observations, alert confirmations, camera alerts, speed telemetry:
camera alerts + speed samples = 100,000) as .jsonl files. Each round then does what
`patuh eval --facts FOLDER/*.jsonl --pack fatigue --config site.yaml --format json` does:
read and parse the files (patuh.facts.read_records), `Engine(["fatigue"], config=...).evaluate`,
and the JSON result (`Result.to_json`). pytest-benchmark times the round; the phases are timed
apart. Peak memory comes from one more run in a fresh process (benchmarks/child.py site-month).

Checked every time, benchmarks enabled or not: the findings of every rule the generator models
(sitemonth.RULES: pre-shift, camera Action 1/2, overspeed, per-shift counts) equal its own count,
computed from the records in plain Python (sitemonth.expected), and those of a few later rules
equal what the plan planted (sitemonth.planted: P2H missing/damaged/not verified, alerts without
an employee, inspections outside the window), in this process and in the fresh one; every record
is one fact and every roster, form and alert is judged. Rules of the pack the generator does not model are listed in
the summary and extra_info, not checked. The time is reported, never asserted (the issue's
target: under 60 s on a 2-core machine).

    pytest benchmarks -k site_month                       # once (as make test runs it)
    pytest benchmarks -k site_month --benchmark-enable    # 3 rounds
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import patuh
from patuh.facts import read_records

from . import sitemonth
from .conftest import SITE_ROWS

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 3  # when benchmarks are enabled; once otherwise
TARGET_S = 60  # the target for the whole site-month, reported only


def _child(folder: Path) -> dict:
    done = subprocess.run([sys.executable, "-m", "benchmarks.child", "site-month", str(folder)], cwd=ROOT,
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, f"site-month child, exit {done.returncode}:\n{done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def _diff(found: dict, expected: dict) -> str:
    return "\n".join(f"  {rule}: patuh {found.get(rule, 0)}, generator {n}"
                     for rule, n in expected.items() if found.get(rule, 0) != n)


SMALLEST_DAYS = 5  # `make test` (benchmarks disabled): the shortest month that still plants every rule


def test_site_month(benchmark, tmp_path_factory):
    days = SMALLEST_DAYS if benchmark.disabled else sitemonth.DAYS
    month = sitemonth.build(days=days)
    folder = tmp_path_factory.mktemp("site-month")
    paths = month.write(folder)
    expected = sitemonth.expected(month) | sitemonth.planted(month)
    assert all(expected.values()), f"the generator must exercise every rule it models: {expected}"

    engine = patuh.Engine(["fatigue"], config=sitemonth.CONFIG)
    (compiled,) = engine.compiled
    missing = set(expected) - set(compiled.rules)
    assert not missing, f"the fatigue pack no longer has {sorted(missing)}: update benchmarks/sitemonth.py"
    assert {k: compiled.params[k].value for k in sitemonth.PARAMETERS} == sitemonth.PARAMETERS, \
        "the fatigue pack's parameters changed: update sitemonth.PARAMETERS and expected()"
    engine.evaluate(month.records["roster"][:20])  # creates the ruleset once per process

    phases: dict[str, list[float]] = {"read": [], "evaluate": [], "json": [], "total": [], "cpu": []}
    last: dict = {}

    def round_():
        wall, cpu = time.perf_counter(), time.process_time()
        records = [item for path in paths for item in read_records(path)]
        read = time.perf_counter()
        result = engine.evaluate(records)
        evaluated = time.perf_counter()
        size = sum(len(chunk) for chunk in result.json_chunks())  # streamed, as patuh eval writes it
        done = time.perf_counter()
        for name, seconds in (("read", read - wall), ("evaluate", evaluated - read), ("json", done - evaluated),
                              ("total", done - wall), ("cpu", time.process_time() - cpu)):
            phases[name].append(seconds)
        last.update(result=result, json_bytes=size, facts=len(records))

    benchmark.group = "fatigue, site-month"
    rounds = 1 if benchmark.disabled else ROUNDS
    benchmark.pedantic(round_, rounds=rounds, iterations=1)

    result = last["result"]
    found = dict(Counter(f.rule for f in result.findings))
    modeled = {rule: found.get(rule, 0) for rule in expected}
    assert modeled == expected, f"findings differ from the generator's plan:\n{_diff(found, expected)}"
    assert last["facts"] == result.trace.facts_in == month.total, "every record read is one fact"
    judged = sum(p.facts for p in result.trace.packs)
    assert judged >= len(month.records["roster"]) + len(month.records["readiness_form"]) + len(
        month.records["camera_alert"]), "the pack must judge every roster, form and camera alert"

    child = _child(folder)
    assert {rule: child["counts"].get(rule, 0) for rule in expected} == expected, \
        f"in a fresh process:\n{_diff(child['counts'], expected)}"
    assert child["facts"] == month.total

    med = {k: statistics.median(v) for k, v in phases.items()}
    row = {
        "facts": month.total, "days": days, "records": month.counts(), "judged_facts": judged,
        "operators": len({r["employee"] for r in month.records["roster"]}), "sessions": result.trace.sessions,
        "rounds": rounds, "seconds": med["total"], "facts_per_s": month.total / med["total"],
        "read_seconds": med["read"], "evaluate_seconds": med["evaluate"], "json_seconds": med["json"],
        "cpu_seconds": med["cpu"], "evaluate_facts_per_s": month.total / med["evaluate"],
        "round_seconds": phases["total"], "findings": len(result.findings), "derived": len(result.derived),
        "json_mb": last["json_bytes"] / 2**20, "target_s": TARGET_S,
        "child_seconds": child["seconds"],
        "child_phases": {k: child[f"{k}_seconds"] for k in ("read", "evaluate", "json")},
        "peak_rss_mb": child["peak_rss_kb"] / 1024, "peak_rss_evaluate_mb": child["peak_rss_evaluate_kb"] / 1024,
        "input_rss_mb": child["input_rss_kb"] / 1024, "peak_is_whole_process": child["peak_is_whole_process"],
        "findings_per_rule": dict(sorted(found.items())),
        "not_modeled": {rule: n for rule, n in sorted(found.items()) if rule not in expected},
        "planted": dict(month.planted),
    }
    benchmark.extra_info.update(row)
    SITE_ROWS.append(row)
