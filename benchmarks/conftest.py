"""Benchmark plumbing: the 1M case only when asked for, and a summary table at the end (under
pytest-xdist, as `make test` runs, each worker sends its rows to the controlling process, which
prints them).

`slow` tests (the 1M-fact case) run only when a marker expression is given (`-m slow`, as
`make bench-1m` does), so a plain `pytest` or `make test` leaves them out even if `benchmarks`
is among the test paths.
"""
from __future__ import annotations

import pytest

ROWS: list[dict] = []  # one per measured case, filled by test_throughput.py
SITE_ROWS: list[dict] = []  # filled by test_site_month.py
SCALE_ROWS: list[dict] = []  # workers and cluster, filled by test_throughput.py

# The goals of issue 16, printed beside the figures (reported, never asserted unless
# PATUH_BENCH_GOAL=strict): patuh's throughput as a share of raw durable_rules' on the same facts
# (the whole pack, and its six pre-shift rules alone), memory above the input, the site-month's
# peak, and the speed-up of worker processes on 2 cores.
GOALS = {"fatigue": 0.3, "fatigue-preshift": 0.6}
KB_PER_FACT = 1.0
SITE_MONTH_PEAK_MB = 600
WORKERS_SPEED_UP = 1.6
SERVICE_ROWS: list[dict] = []  # filled by test_service_load.py


def pytest_collection_modifyitems(config, items):
    if config.getoption("markexpr", ""):
        return
    skip = pytest.mark.skip(reason="1M facts: run `make bench-1m` (pytest benchmarks --benchmark-enable -m slow)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def _tables() -> dict[str, list[dict]]:
    return {"ROWS": ROWS, "SITE_ROWS": SITE_ROWS, "SCALE_ROWS": SCALE_ROWS, "SERVICE_ROWS": SERVICE_ROWS}


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: the controller prints the summary
        workeroutput["patuh_benchmark_rows"] = _tables()


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's, in its controlling process: a worker is done
def pytest_testnodedown(node, error):
    for name, rows in getattr(node, "workeroutput", {}).get("patuh_benchmark_rows", {}).items():
        _tables()[name].extend(rows)


def pytest_terminal_summary(terminalreporter):
    for r in SITE_ROWS:
        _site_month(terminalreporter, r)
    if SCALE_ROWS:
        terminalreporter.section("all cores: worker processes and a local dask cluster (fatigue pack)")
        for r in SCALE_ROWS:
            terminalreporter.write_line(
                f"{r['facts']:,} facts, {r['how']}: {r['seconds']:.1f} s against {r['one_seconds']:.1f} s in one "
                f"process = x{r['speed_up']:.2f} (goal for {WORKERS_SPEED_UP and 'workers'}: x{WORKERS_SPEED_UP} on 2 "
                f"cores), the same bytes: {r['same']}, median of {r['rounds']}")
    for r in SERVICE_ROWS:
        terminalreporter.section("patuh serve under load (SQLite store, one alert a request)")
        terminalreporter.write_line(
            f"{r['requests']:,} camera alerts by {r['clients']} clients in {r['seconds']:.1f} s = {r['per_s']:,.0f} "
            f"requests (evaluations) a second; latency p50 {r['p50_ms']:.1f} ms, p90 {r['p90_ms']:.1f} ms, "
            f"p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.0f} ms; {r['findings']:,} findings, none lost or doubled "
            f"(best of {r['rounds']}, {r['cores']} cores)")
    if not ROWS:
        return
    write = terminalreporter.write_line
    terminalreporter.section("patuh vs raw durable_rules (fatigue pack)")
    head = ("pack", "facts", "max/session", "sessions", "patuh f/s", "raw f/s", "ratio", "goal", "ratio cpu",
            "vs raw+prep", "patuh peak MB", "raw peak MB", "KB/fact", "handed over", "rounds")
    write("  ".join(f"{h:>13}" for h in head))
    for r in ROWS:
        cells = (r["pack"], f"{r['facts']:,}", f"{r['max_session_facts']:,}", f"{r['sessions']:,}",
                 f"{r['patuh_facts_per_s']:,.0f}", f"{r['raw_facts_per_s']:,.0f}", f"{r['ratio']:.2f}",
                 f">= {GOALS[r['pack']]}", f"{r['ratio_cpu']:.2f}", f"{r['ratio_vs_raw_with_prepare']:.2f}",
                 f"{r['patuh_peak_rss_mb']:,.0f}", f"{r['raw_peak_rss_mb']:,.0f}", f"{r['kb_per_fact']:.2f}",
                 f"{r['kb_per_fact_handed_over']:.2f}", str(r["rounds"]))
        write("  ".join(f"{c:>13}" for c in cells))
    write("f/s: facts a second, median of the rounds (wall clock). ratio: patuh/raw throughput (goal beside it); "
          "ratio cpu: the same on CPU time; vs raw+prep: raw timed with its conversion of ISO dates to epoch "
          "numbers. peak MB: resident, in a fresh process, during the evaluation. KB/fact: patuh's peak above its "
          f"input, per fact (goal <= {KB_PER_FACT}), the records held by the caller and the Result returned; handed "
          "over: as `patuh eval --format json` runs, the records given one at a time (each let go once checked) "
          "and the JSON written as it is made, no Result held.")


def _site_month(terminalreporter, r: dict) -> None:
    write = terminalreporter.write_line
    terminalreporter.section("site-month, end to end (fatigue pack)")
    write(f"{r['facts']:,} facts ({r['operators']} operators, {r['days']} days; {r['judged_facts']:,} judged by the "
          f"pack, the rest of types no rule reads), {r['sessions']} sessions, {r['findings']:,} findings, "
          f"{r['derived']:,} derived facts, JSON result {r['json_mb']:,.0f} MB")
    write(f"{r['seconds']:.1f} s (median of {r['rounds']}; target {r['target_s']} s) = {r['facts_per_s']:,.0f} "
          f"facts/s: read {r['read_seconds']:.1f} s, evaluate {r['evaluate_seconds']:.1f} s "
          f"({r['evaluate_facts_per_s']:,.0f} facts/s), JSON {r['json_seconds']:.1f} s; CPU {r['cpu_seconds']:.1f} s")
    write(f"fresh process: {r['child_seconds']:.1f} s, peak RSS {r['peak_rss_mb']:,.0f} MB (goal <= "
          f"{SITE_MONTH_PEAK_MB} MB; {r['peak_rss_evaluate_mb']:,.0f} MB before the JSON is streamed; "
          f"{r['input_rss_mb']:,.0f} MB before reading)")
    if r["not_modeled"]:
        write("not modeled by the generator (not checked): "
              + ", ".join(f"{k} {v}" for k, v in r["not_modeled"].items()))
