"""Every file patuh writes goes through here, so that bad output paths and bad cell values are
handled once, the same way everywhere.

- `write_atomic(path, data)`: all or nothing. A regular file is written to a temporary file in
  its own folder and moved over the target (`os.replace`); on any error, Ctrl-C, SIGTERM or
  SIGHUP the temporary file is removed and the target is left as it was. A symlink is written
  through (it stays a symlink); a character device (/dev/null, a terminal) or a named pipe is
  written in place, as it cannot be replaced; the file standard output already goes to
  (`--out /dev/stdout > file`) is written through standard output. A new file gets the mode a
  plain open() gives (0666 less the umask), a replaced one keeps its mode.
- `append(path, data)`: the same checks, appending (the jsonl sink).
- `check_file` / `check_folder`: those checks on their own, for a command to make before it
  evaluates anything, so that a bad path fails at once and nothing is written.
- `safe_cell` / `csv_text`: spreadsheet cells that cannot run as formulas.

Every failure is an OutputError, a SourceError naming the path as given: the CLI prints it as
`error: PATH: why` and exits 2, never a traceback.
"""
from __future__ import annotations

import csv
import io
import os
import re
import secrets
import signal
import stat
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import TypeAlias, TypeVar

from .problems import SourceError, Where

PathArg: TypeAlias = str | os.PathLike[str]  # a path as the user gave it
_Handler: TypeAlias = Callable[[int, FrameType | None], object] | int | None  # what signal.signal takes
_Value = TypeVar("_Value")

KERNEL_TREES = ("/proc", "/sys")  # their files are kernel settings: output there would change the system


class OutputError(SourceError):
    """A file patuh cannot write, named as the user gave it, and why."""

    def __init__(self, path: PathArg, why: str):
        super().__init__(Where(os.fspath(path)), why)


@contextmanager
def os_errors(path: PathArg, doing: str = "cannot write") -> Iterator[None]:
    """An OSError while writing `path` becomes an OutputError naming it (disk full, pipe closed, ...)."""
    try:
        yield
    except OSError as exc:
        raise OutputError(path, f"{doing}: {exc.strerror or exc}") from None


def check_file(path: PathArg, append: bool = False) -> None:
    """Raise OutputError unless `path` can be written (or appended to, with `append`)."""
    _plan(path, append)


def check_folder(path: PathArg) -> None:
    """Raise OutputError unless `path` is a folder files can be made in, or can be made: the
    nearest folder above it that exists must be writable."""
    real = os.path.realpath(path)
    _refuse_kernel_tree(path, real)
    if os.path.lexists(real) and not os.path.isdir(real):
        raise OutputError(path, "is a file, not a folder")
    existing = real
    while not os.path.lexists(existing):
        existing = os.path.dirname(existing)
    _check_writable_folder(path, existing)


def make_folder(path: PathArg) -> Path:
    """The folder `path`, made (with its parents) if missing, after check_folder's checks."""
    check_folder(path)
    with os_errors(path, "cannot make the folder"):
        os.makedirs(path, exist_ok=True)
    return Path(path)


def write_atomic(path: PathArg, data: str | bytes | Iterable[bytes]) -> None:
    """Write `data` (text as UTF-8, or chunks of bytes as they are made) to `path`, all or
    nothing; see the module's docstring."""
    data = data.encode("utf-8") if isinstance(data, str) else data
    how, target = _plan(path)
    with os_errors(path):
        if how == "file":
            _replace(path, target, data)
        elif how == "stdout":
            sys.stdout.flush()
            _write_chunks(sys.stdout.fileno(), data)
        else:  # a device or a named pipe: opened without O_CREAT or O_TRUNC, never replaced
            fd = os.open(target, os.O_WRONLY | os.O_CLOEXEC)
            try:
                _write_chunks(fd, data)
            finally:
                os.close(fd)


def append(path: PathArg, data: str | bytes) -> None:
    """Append `data` to `path` (made with open()'s mode if missing) in one write(2) (a regular
    file takes it whole), so that a line is never interleaved with another appender's."""
    data = data.encode("utf-8") if isinstance(data, str) else data
    how, target = _plan(path, append=True)
    with os_errors(path):
        if how == "stdout":
            sys.stdout.flush()
            _write_all(sys.stdout.fileno(), data)
            return
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)


def _plan(path: PathArg, append: bool = False) -> tuple[str, str]:
    """How to write `path`: ("stream", path) for a character device or named pipe, ("stdout",
    path) for the file standard output goes to, ("file", the real file) for a regular file or a
    new one. Anything else raises OutputError."""
    try:
        st = os.stat(path)  # follows symlinks: what matters is the file a link points to
    except FileNotFoundError:
        st = None  # a new file (or a missing folder, said below)
    except OSError as exc:  # a symlink loop, a file used as a folder, a folder we may not search
        raise OutputError(path, f"cannot write there: {exc.strerror}") from None
    if st is not None:
        if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
            return "stream", os.fspath(path)
        if stat.S_ISDIR(st.st_mode):
            raise OutputError(path, "is a folder; name a file in it")
        if not stat.S_ISREG(st.st_mode):
            raise OutputError(path, "is neither a file, a character device nor a named pipe")
    real = os.path.realpath(path)
    _refuse_kernel_tree(path, real)
    if st is not None and _is_stdout(st):
        return "stdout", real
    if st is None or not append:  # a new file, or the temporary file beside the old one, is made in the folder
        _check_writable_folder(path, os.path.dirname(real))
    if st is not None and not os.access(real, os.W_OK):
        raise OutputError(path, "cannot write there: the file is read-only")
    return "file", real


def _refuse_kernel_tree(path: PathArg, real: str) -> None:
    for tree in KERNEL_TREES:
        if real == tree or real.startswith(tree + "/"):
            raise OutputError(path, f"cannot write there: {real} is in {tree}, the kernel's interface, "
                                    "not a place for output files")


def _check_writable_folder(path: PathArg, folder: str) -> None:
    if not os.path.isdir(folder):
        why = "does not exist" if not os.path.lexists(folder) else "is not a folder"
        raise OutputError(path, f"cannot write there: folder {folder} {why}")
    if not os.access(folder, os.W_OK | os.X_OK):
        why = ("is on a read-only file system" if os.statvfs(folder).f_flag & os.ST_RDONLY
               else "is not writable (permission denied)")
        raise OutputError(path, f"cannot write there: folder {folder} {why}")


def _is_stdout(st: os.stat_result) -> bool:
    try:
        return os.path.samestat(st, os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError, AttributeError):  # no standard output, or not a real file
        return False


def _replace(path: PathArg, real: str, data: bytes | Iterable[bytes]) -> None:
    folder, name = os.path.split(real)
    try:
        mode = stat.S_IMODE(os.stat(real).st_mode)
    except FileNotFoundError:
        mode = None
    tmp = os.path.join(folder, f".{name}.{secrets.token_hex(8)}.tmp")  # hidden, and in the same file system
    with _signals_raise(path):
        try:
            # 0o666 and O_EXCL: the umask (and a default ACL) applies as for open(); mkstemp gives 0600
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
            try:
                if mode is not None:
                    os.fchmod(fd, mode)
                _write_chunks(fd, data)
                os.fsync(fd)  # the data on disk before the name: a crash leaves the old file, not an empty one
            finally:
                os.close(fd)
            os.replace(tmp, real)
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp)
            raise


def _write_chunks(fd: int, data: bytes | Iterable[bytes]) -> None:
    for chunk in [data] if isinstance(data, bytes) else _buffered(data):
        _write_all(fd, chunk)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _buffered(chunks: Iterable[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    """Small chunks joined into writes of about `size` bytes (one system call each)."""
    pending: list[bytes] = []
    held = 0
    for chunk in chunks:
        pending.append(chunk)
        held += len(chunk)
        if held >= size:
            yield b"".join(pending)
            pending, held = [], 0
    if pending:
        yield b"".join(pending)


class _Terminated(BaseException):
    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@contextmanager
def _signals_raise(path: PathArg) -> Iterator[None]:
    """By default SIGTERM and SIGHUP end the process where it stands, which would leave the
    temporary file behind. For the duration they raise instead, so that the clean-up runs; then
    the previous handlers are put back and the signal is delivered to them (by default the process
    still ends by it). Python runs signal handlers in the main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        for s in previous:
            signal.signal(s, signal.SIG_IGN)  # a second signal must not cut the clean-up short
        raise _Terminated(signum)

    previous: dict[signal.Signals, _Handler] = {}
    caught: int | None = None
    try:
        for s in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(s) is not signal.SIG_IGN:  # an ignored signal stays ignored
                previous[s] = signal.signal(s, stop)
        yield
    except _Terminated as exc:
        caught = exc.signum
    finally:
        for s, handler in previous.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)
    if caught is not None:
        signal.raise_signal(caught)
        # the previous handler returned: the write did not happen, say so
        raise OutputError(path, f"interrupted by {signal.Signals(caught).name}; nothing written")


# -- spreadsheet cells ---------------------------------------------------------------------------------------------
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: _Value) -> _Value | str:
    """A spreadsheet cell that cannot run as a formula: use it for every cell patuh writes to a
    CSV (`csv_text` does) or an XLSX sheet. Values come from vendor exports and forms as received,
    and a text starting with =, +, -, @, TAB or CR is run by Excel and LibreOffice when a
    dispatcher opens the file (`=HYPERLINK("http://x", "y")` sends data away, `+cmd|...` runs a
    program). Such text gets a leading single quote (the OWASP rule), which a sheet shows as text.
    Numbers, and text that is only a number ("-5", "+3.5"), are left alone: they run nothing."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> str:
    """The one CSV writer: a header row and one row per mapping, every value through safe_cell."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue()
