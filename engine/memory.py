"""The process's memory during an evaluation: the cyclic garbage collector kept off the hot
path, and the C heap's free memory handed back to the system.

An evaluation allocates millions of small containers (facts, their encodings, action frames,
findings) and frees few of them before it ends: the collector's passes over that growing heap
found next to nothing and cost a quarter of the time (issue 16's profile). Evaluation and
serialisation make no reference cycles worth collecting mid-run (plain dicts, lists, models), so
the collector is paused while they run and resumed when the last one in the process ends.
Reference counting still frees everything that is dropped.

What an evaluation made and keeps (its result, the caller's facts) would all be in the youngest
generation when the collector resumes, and its first pass would walk every object of it (0.22 s
after 100k facts, found nothing: an evaluation leaves no cyclic garbage) and a later one walk
them again. They are moved to the oldest generation at once instead, as objects that lived
through two passes would be. Garbage cycles another thread of a host app made during the pause
go with them, and are freed by the next full pass rather than the next young one.
"""
from __future__ import annotations

import ctypes
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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
                if gc.get_freeze_count() == 0:  # a host app's own frozen objects stay frozen
                    gc.freeze()  # everything tracked, young and old, set apart...
                    gc.unfreeze()  # ...and back as the oldest generation, without a pass over it
                gc.enable()


def _heap_trimmer() -> Any:
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # glibc's; macOS and musl have none
    if trim is not None:
        trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_trim = _heap_trimmer()


def heap_returned() -> None:
    """The C heap's free memory handed back to the system (glibc's malloc_trim; elsewhere
    nothing). Memory C code frees stays in glibc's heap, where Python's objects, in arenas of
    their own, never reuse it: what a C library held at its most counts in every later peak."""
    if _trim is not None:
        _trim(0)
