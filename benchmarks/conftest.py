"""Benchmark plumbing: the 1M case only when asked for, and a summary table at the end.

`slow` tests (the 1M-fact case) run only when a marker expression is given (`-m slow`, as
`make bench-1m` does), so a plain `pytest` or `make test` leaves them out even if `benchmarks`
is among the test paths.
"""
from __future__ import annotations

import pytest

ROWS: list[dict] = []  # one per measured case, filled by test_throughput.py


def pytest_collection_modifyitems(config, items):
    if config.getoption("markexpr", ""):
        return
    skip = pytest.mark.skip(reason="1M facts: run `make bench-1m` (pytest benchmarks --benchmark-enable -m slow)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
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
