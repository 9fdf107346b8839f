"""What an evaluation leaves in the process (engine/memory.py): durable_rules' freed states are
handed back to the system, not kept in the C heap where Python never reuses them."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from patuh import memory

ROOT = Path(__file__).resolve().parents[1]

# In a fresh process, so that nothing else of the test run moves its memory: one employee's
# 3,000 records make one session (a partition key's facts are never split), whose state in
# durable_rules' core is tens of MB (a node of about 8.8 KB a fact).
MEASURE = """
import json
import patuh
from benchmarks import generate
from benchmarks.child import _reset_peak, _status_kb

records = [dict(r, employee="K-ONE") for r in generate.facts(3000)]
engine = patuh.Engine(["fatigue"], max_session_facts=3000)
engine.evaluate(generate.facts(200))  # the rulesets made, as any later evaluation finds them
before = _status_kb("VmRSS")
assert _reset_peak()
engine.evaluate(records)
print(json.dumps({"before": before, "peak": _status_kb("VmHWM"), "after": _status_kb("VmRSS")}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux") or memory._trim is None,
                    reason="glibc's malloc_trim and /proc are Linux's")
def test_a_sessions_state_is_handed_back_once_the_part_is_done():
    out = subprocess.run([sys.executable, "-c", MEASURE], cwd=ROOT, capture_output=True, text=True, check=True)
    found = json.loads(out.stdout)
    grew, kept = found["peak"] - found["before"], found["after"] - found["before"]
    assert grew > 15_000, f"the state was not as large as this test needs: {found}"
    # Kept in the heap, the state's memory would stay in the process to its end (after ~ peak);
    # what stays is the result and the evaluation's own Python objects.
    assert kept < grew / 2, found
