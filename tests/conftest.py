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
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
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



# -- stores: SQLite always, PostgreSQL where a server can be started --------------------------------------------------
class PostgresServer:
    """A private PostgreSQL server for the test run, from Debian's postgresql package (which
    `make test` installs: tools/system-packages.sh): initdb in a temporary folder, listening on a
    free port of 127.0.0.1 only, stopped at the end. As root it runs as the `postgres` user (the
    server refuses root). pytest-postgresql does the same but cannot drop root, hence this."""

    def __init__(self, base: Path):
        self.base = base
        self.port = _free_port()
        self.bin = _pg_bin()
        self.data = base / "data"
        self.as_user: list[str] = []
        self.started = False

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.as_user + list(argv), capture_output=True, text=True, check=check, timeout=120)

    def start(self) -> str:
        if self.bin is None:
            raise RuntimeError("no PostgreSQL server programs (initdb, pg_ctl): Debian's postgresql package is not "
                               "installed (make test installs it with tools/system-packages.sh)")
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root and there is no `postgres` user to run the server as") from None
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.base, "postgres")
        initdb = self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                           "-E", "UTF8", "--no-sync", check=False)
        if initdb.returncode:
            raise RuntimeError(f"initdb failed: {initdb.stderr.strip()[-500:]}")
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
        started = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                            str(self.base / "server.log"), "-w", "-t", "60", "start", check=False)
        if started.returncode:
            log = (self.base / "server.log").read_text(errors="replace")[-800:] if (self.base / "server.log").exists() \
                else ""
            raise RuntimeError(f"the server did not start: {started.stderr.strip()[-300:]} {log}")
        self.started = True
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def database(self) -> str:
        """A new, empty database on the server: its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.started:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop", check=False)


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def postgres():
    """The test run's PostgreSQL server, or a skip saying why it cannot start. Its folder is not
    under pytest's (only root may enter that): a folder of its own in the system's temporary one."""
    base = Path(tempfile.mkdtemp(prefix="patuh-postgres-"))
    os.chmod(base, 0o755)
    server = PostgresServer(base)
    try:
        server.start()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"PostgreSQL cannot be started here: {exc}")
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A new, empty store: SQLite in a temporary file, and PostgreSQL (a new database on the
    run's server)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("postgres").database()
