"""The cyclic garbage collector kept off the hot path of an evaluation.

An evaluation allocates millions of small containers (facts, their encodings, action frames,
findings) and frees few of them before it ends: the collector's passes over that growing heap
found next to nothing and cost a quarter of the time (issue 16's profile). Evaluation and
serialisation make no reference cycles worth collecting mid-run (plain dicts, lists, models), so
the collector is paused while they run and resumed when the last one in the process ends.
Reference counting still frees everything that is dropped.
"""
from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_paused = 0  # evaluations running (a host app may run several at once, in threads)
_resume = False  # whether the collector was on before the first of them paused it


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the duration; nested and concurrent uses resume it once,
    when the last ends, and only if it was on before the first began."""
    global _paused, _resume
    with _lock:
        if _paused == 0:
            _resume = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _resume:
                gc.enable()
