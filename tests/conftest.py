"""Shared test set-up: hypothesis profiles, and running a piece of the engine in a child process.

durable_rules' C core can crash the process (it has: a segfault on a number it misread); a test
that feeds it hostile input runs that part in a forked child, so a crash fails the test with the
signal's name instead of killing the whole run.
"""
from __future__ import annotations

import contextlib
import io
import os
import pickle
import signal
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# `make test` runs a bounded number of examples; `make fuzz` (HYPOTHESIS_PROFILE=fuzz) many more.
settings.register_profile("ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                          derandomize=True)
settings.register_profile("fuzz", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


class Crashed(AssertionError):
    pass


def run_isolated(func: Callable[..., Any], *args: Any, timeout: int = 120) -> Any:
    """func(*args) in a forked child: its return value, or its exception re-raised here as
    (type name, message) in a RuntimeError; a child killed by a signal (a crash in the C core, or
    the timeout) raises Crashed."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read)
        signal.alarm(timeout)
        try:
            outcome = ("ok", func(*args))
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
            outcome = ("raised", (type(exc).__name__, str(exc)))
        try:
            data = pickle.dumps(outcome)
        except Exception as exc:  # noqa: BLE001 - whatever cannot be pickled goes back as its message
            data = pickle.dumps(("raised", ("PicklingError", str(exc))))
        with os.fdopen(write, "wb") as handle:
            handle.write(data)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as handle:
        data = handle.read()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        raise Crashed(f"the child process died of {signal.Signals(os.WTERMSIG(status)).name}")
    kind, value = pickle.loads(data)
    if kind == "raised":
        raise ChildRaised(*value)
    return value


class ChildRaised(RuntimeError):
    def __init__(self, kind: str, message: str):
        super().__init__(f"{kind}: {message}")
        self.kind, self.message = kind, message


def cli(*argv: str) -> tuple[int, str, str]:
    """`patuh ARGV` in this process: exit code, standard output, standard error."""
    from patuh.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse
            code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def isolated_cli():
    """`patuh ARGV` in a forked child: (exit code, stdout, stderr); a crash fails the test."""
    return lambda *argv: run_isolated(cli, *argv)


@pytest.fixture
def isolated():
    return run_isolated

