"""Pack tests as pytest items (engine/pytest_plugin.py): the coverage `--patuh-min-coverage`
prints is the same whether the cases run in one process or spread over pytest-xdist's workers,
as `make test` runs them."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "tests" / "packs" / "camera-demo"  # three cases, which leave two of its seven rules unexercised


def _pytest(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "pytest", str(PACK), "-p", "no:cacheprovider",
                           "--patuh-min-coverage", "100", *args], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]  # a test pack: reported, never failed
    return done.stdout


def _coverage(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(("coverage ", "  rules no test case"))]


def test_coverage_over_xdist_workers_is_the_coverage_of_one_process():
    alone = _coverage(_pytest())
    assert alone == ["coverage camera-demo 0.1.0: rules 5/7 (71.4 %), clauses 2/2 (100.0 %)",
                     "  rules no test case exercises: demo.wl1-again-within-2h, demo.stop-without-coaching"]
    spread = _pytest("-n", "2")
    assert re.search(r"\b2 workers \[3 items\]", spread), spread
    assert _coverage(spread) == alone  # each worker's cases told to the controller, reported once
