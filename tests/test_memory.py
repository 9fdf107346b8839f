"""What an evaluation leaves in the process (engine/memory.py): durable_rules' freed states are
handed back to the system, not kept in the C heap where Python never reuses them."""
from __future__ import annotations

import gc
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


# An operator who slept 3 h before the day shift (6.1.1.1.2: under 4 h), as a readiness form gives it.
FORM = {"type": "readiness_form", "employee": "CK-0412", "date": "2026-03-02", "shift": "I", "sleep_hours": 3,
        "fit": True, "filled_at": "2026-03-02T05:10:00+08:00"}


def _generation(obj: object) -> int | None:
    return next((g for g in range(3) if any(o is obj for o in gc.get_objects(g))), None)


def test_the_collector_is_off_while_evaluating_and_the_result_is_old_when_it_resumes():
    import patuh
    seen = []
    assert gc.isenabled()
    result = patuh.Engine(["fatigue"]).evaluate([FORM], progress=lambda done, total: seen.append(gc.isenabled()))
    assert seen and not any(seen)  # paused while the sessions ran
    assert gc.isenabled()
    # what the evaluation made and the caller keeps is not walked again by the young passes
    assert _generation(result.findings[0]) == 2 and gc.get_freeze_count() == 0


def test_a_collector_the_host_app_turned_off_or_froze_is_left_as_it_was():
    import patuh
    engine = patuh.Engine(["fatigue"])
    gc.disable()
    try:
        engine.evaluate([FORM])
        assert not gc.isenabled()
    finally:
        gc.enable()
    kept = [{"the host app's": "objects"}]
    gc.freeze()  # as a pre-forking server does before its workers start
    try:
        frozen = gc.get_freeze_count()
        result = engine.evaluate([FORM])
        assert gc.get_freeze_count() == frozen and not any(o is kept[0] for o in gc.get_objects())
        assert _generation(result.findings[0]) is not None  # in the collector's generations, as it was made
    finally:
        gc.unfreeze()
