"""Benchmark plumbing: the 1M case only when asked for, and a summary table at the end.

`slow` tests (the 1M-fact case) run only when a marker expression is given (`-m slow`, as
`make bench-1m` does), so a plain `pytest` or `make test` leaves them out even if `benchmarks`
is among the test paths.
"""
from __future__ import annotations

import pytest

ROWS: list[dict] = []  # one per measured case, filled by test_throughput.py
SITE_ROWS: list[dict] = []  # filled by test_site_month.py
SERVICE_ROWS: list[dict] = []  # filled by test_service_load.py


def pytest_collection_modifyitems(config, items):
    if config.getoption("markexpr", ""):
        return
    skip = pytest.mark.skip(reason="1M facts: run `make bench-1m` (pytest benchmarks --benchmark-enable -m slow)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    for r in SITE_ROWS:
        _site_month(terminalreporter, r)
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
    head = ("facts", "max/session", "sessions", "patuh f/s", "raw f/s", "ratio", "ratio cpu", "vs raw+prep",
            "patuh peak MB", "raw peak MB", "rounds")
    write("  ".join(f"{h:>13}" for h in head))
    for r in ROWS:
        cells = (f"{r['facts']:,}", f"{r['max_session_facts']:,}", f"{r['sessions']:,}",
                 f"{r['patuh_facts_per_s']:,.0f}", f"{r['raw_facts_per_s']:,.0f}", f"{r['ratio']:.2f}",
                 f"{r['ratio_cpu']:.2f}", f"{r['ratio_vs_raw_with_prepare']:.2f}",
                 f"{r['patuh_peak_rss_mb']:,.0f}", f"{r['raw_peak_rss_mb']:,.0f}",
                 str(r["rounds"]))
        write("  ".join(f"{c:>13}" for c in cells))
    write("f/s: facts a second, median of the rounds (wall clock). ratio: patuh/raw throughput, goal "
          f">= {GOAL}; ratio cpu: the same on CPU time; vs raw+prep: raw timed with its conversion of ISO "
          "dates to epoch numbers. peak MB: resident, in a fresh process, during the evaluation.")


GOAL = 0.5  # the engine keeps at least half of raw durable_rules' throughput


def _site_month(terminalreporter, r: dict) -> None:
    write = terminalreporter.write_line
    terminalreporter.section("site-month, end to end (fatigue pack)")
    write(f"{r['facts']:,} facts ({r['operators']} operators, {r['days']} days; {r['judged_facts']:,} judged by the "
          f"pack, the rest of types no rule reads), {r['sessions']} sessions, {r['findings']:,} findings, "
          f"{r['derived']:,} derived facts, JSON result {r['json_mb']:,.0f} MB")
    write(f"{r['seconds']:.1f} s (median of {r['rounds']}; target {r['target_s']} s) = {r['facts_per_s']:,.0f} "
          f"facts/s: read {r['read_seconds']:.1f} s, evaluate {r['evaluate_seconds']:.1f} s "
          f"({r['evaluate_facts_per_s']:,.0f} facts/s), JSON {r['json_seconds']:.1f} s; CPU {r['cpu_seconds']:.1f} s")
    write(f"fresh process: {r['child_seconds']:.1f} s, peak RSS {r['peak_rss_mb']:,.0f} MB "
          f"({r['peak_rss_evaluate_mb']:,.0f} MB before the JSON text; {r['input_rss_mb']:,.0f} MB before reading)")
    if r["not_modeled"]:
        write("not modeled by the generator (not checked): "
              + ", ".join(f"{k} {v}" for k, v in r["not_modeled"].items()))
