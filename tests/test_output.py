"""patuh.output: every file patuh writes. All or nothing (also on SIGTERM), the modes a plain
open() gives, symlinks written through, devices and named pipes written in place, bad places
refused before the evaluation with one error line and exit 2, and spreadsheet cells that cannot
run as formulas.

Errors found before any evaluation runs are checked in-process through `patuh.cli.main`; runs
that evaluate are subprocesses (the real exit code matters). Device nodes are made in tmp_path
(as root) rather than using /dev's, so that a regression cannot replace the machine's /dev/null.
"""
from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from patuh import output
from patuh.cli import main
from patuh.output import OutputError, append, csv_text, safe_cell, write_atomic

FORM = {"type": "readiness_form", "employee": "CK-0412", "date": "2024-03-11", "shift": "II", "sleep_hours": 3.5,
        "fit": True, "filled_at": "2024-03-11T17:20:00+08:00", "unit": "DT-1043"}
ROOT = os.geteuid() == 0


def umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def run_cli(*args, prefix: list[str] = (), **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("capture_output", True)
    return subprocess.run([*prefix, sys.executable, "-m", "patuh.cli", *map(str, args)], text=True, timeout=120,
                          **kwargs)


def run_in_process(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_error(code: int, out: str, err: str) -> str:
    assert "Traceback" not in err, err
    assert (code, out) == (2, ""), err
    assert len(err.splitlines()) == 1, err
    return err.rstrip("\n")


@pytest.fixture
def facts(tmp_path) -> Path:
    path = tmp_path / "forms.jsonl"
    path.write_text(json.dumps(FORM) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def expected(tmp_path_factory) -> str:
    """`eval --format jsonl` on standard output: what every --out and sink below must receive."""
    path = tmp_path_factory.mktemp("expected") / "forms.jsonl"
    path.write_text(json.dumps(FORM) + "\n", encoding="utf-8")
    proc = run_cli("eval", "--facts", path, "--format", "jsonl")
    assert proc.returncode == 0 and proc.stdout.count("\n") == 1, proc.stderr
    return proc.stdout


def char_device(tmp_path: Path, name: str, minor: int) -> Path:
    """A private copy of /dev/null (minor 3) or /dev/full (minor 7); the real one when not root."""
    if not ROOT:
        return Path("/dev", name)
    path = tmp_path / name
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    return path


@pytest.fixture(scope="module")
def plain_user() -> list[str]:
    """A command prefix under which a folder's missing write permission counts: as root, drop the
    capabilities that override file permissions."""
    if not ROOT:
        return []
    prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    if not shutil.which("setpriv") or subprocess.run([*prefix, "true"]).returncode != 0:
        pytest.skip("running as root without setpriv: a read-only folder cannot be made")
    return prefix


# -- all or nothing, modes, symlinks ---------------------------------------------------------------------------------
def test_a_new_file_gets_the_mode_open_gives_and_a_replaced_one_keeps_its_mode(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    previous = os.umask(0o027)
    try:
        write_atomic(tmp_path / "new.txt", "Budi Santoso tidur 3,5 jam\n")
    finally:
        os.umask(previous)
    kept = tmp_path / "kept.txt"
    kept.write_text("earlier\n")
    kept.chmod(0o604)
    write_atomic(kept, b"later\n")
    assert (mode(tmp_path / "new.txt"), mode(kept)) == (0o640, 0o604)  # not mkstemp's 0600
    assert (tmp_path / "new.txt").read_text() == "Budi Santoso tidur 3,5 jam\n"
    assert kept.read_bytes() == b"later\n"
    assert sorted(os.listdir(tmp_path)) == ["kept.txt", "new.txt"]
    assert signal.getsignal(signal.SIGTERM) is before  # the SIGTERM handler is put back


def test_a_symlink_is_written_through_and_stays_a_symlink(tmp_path):
    (tmp_path / "result.json").write_text("earlier\n")
    (tmp_path / "result.json").chmod(0o640)
    (tmp_path / "latest.json").symlink_to("result.json")
    (tmp_path / "dangling.json").symlink_to("made.json")
    write_atomic(tmp_path / "latest.json", "later\n")
    write_atomic(tmp_path / "dangling.json", "made through the link\n")
    assert [os.readlink(tmp_path / n) for n in ("latest.json", "dangling.json")] == ["result.json", "made.json"]
    assert (tmp_path / "result.json").read_text() == "later\n"
    assert mode(tmp_path / "result.json") == 0o640
    assert (tmp_path / "made.json").read_text() == "made through the link\n"
    assert sorted(os.listdir(tmp_path)) == ["dangling.json", "latest.json", "made.json", "result.json"]


@pytest.mark.parametrize("failure", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()],
                         ids=["disk-full", "ctrl-c"])
def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch, failure):
    target = tmp_path / "result.json"
    target.write_text("earlier\n")

    def half_then_fail(fd, data):
        os.write(fd, data[:4])
        raise failure

    monkeypatch.setattr(output, "_write_all", half_then_fail)
    with pytest.raises(OutputError if isinstance(failure, OSError) else KeyboardInterrupt) as caught:
        write_atomic(target, "later, and longer\n")
    if isinstance(failure, OSError):
        assert str(caught.value) == f"{target}: cannot write: No space left on device"
    assert os.listdir(tmp_path) == ["result.json"]
    assert target.read_text() == "earlier\n"


def test_append_makes_the_file_with_open_s_mode_and_appends(tmp_path):
    target = tmp_path / "findings.jsonl"
    append(target, '{"n": 1}\n')
    append(target, b'{"n": 2}\n')
    assert target.read_text() == '{"n": 1}\n{"n": 2}\n'
    assert mode(target) == 0o666 & ~umask()


STALLED_WRITE = """
import os, sys
from patuh import output
from patuh.cli import main

def stalled(fd, data):  # the test's hook: half the output written, then wait for the test's SIGTERM
    os.write(fd, data[:len(data) // 2])
    print("writing", flush=True)
    sys.stdin.readline()
    raise AssertionError("not interrupted")

output._write_all = stalled
sys.exit(main(sys.argv[1:]))
"""


def test_sigterm_while_writing_leaves_the_old_file_and_no_temporary_file(tmp_path):
    facts = tmp_path / "forms.jsonl"  # 300 operators' forms: a result of about 1 MB
    facts.write_text("".join(json.dumps({**FORM, "employee": f"CK-{n:04d}"}) + "\n" for n in range(300)))
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "result.json"
    target.write_text("earlier result\n")
    target.chmod(0o640)
    proc = subprocess.Popen([sys.executable, "-c", STALLED_WRITE, "eval", "--facts", str(facts), "--format", "json",
                             "--out", str(target)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "writing\n", proc.stderr.read()
        temporary = [p for p in folder.iterdir() if p != target]
        assert [p.name.startswith(".result.json.") for p in temporary] == [True]  # caught in the middle
        assert temporary[0].stat().st_size > 100_000
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGTERM, err  # still ended by the signal, as by default
    assert err == ""
    assert os.listdir(folder) == ["result.json"]
    assert target.read_text() == "earlier result\n"
    assert mode(target) == 0o640


# -- devices, pipes, standard output ---------------------------------------------------------------------------------
def test_out_to_a_character_device_writes_in_place_and_the_sink_appends(tmp_path, facts, expected):
    null = char_device(tmp_path, "null", 3)
    sink = tmp_path / "findings.jsonl"
    sink.write_text("earlier\n")
    sink.chmod(0o640)
    proc = run_cli("eval", "--facts", facts, "--format", "jsonl", "--out", null, "--sink", f"jsonl:{sink}")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert stat.S_ISCHR(os.lstat(null).st_mode)  # not replaced by a regular file
    assert sink.read_text() == "earlier\n" + expected
    assert mode(sink) == 0o640
    assert sorted(os.listdir(tmp_path)) == sorted(["findings.jsonl", "forms.jsonl"] + (["null"] if ROOT else []))


def test_a_failing_write_to_a_device_is_one_error_line(tmp_path, facts):
    full = char_device(tmp_path, "full", 7)
    proc = run_cli("eval", "--facts", facts, "--out", full)
    line = one_error(proc.returncode, proc.stdout, proc.stderr)
    assert line == f"error: {full}: cannot write: No space left on device"


def test_out_to_a_named_pipe_is_written_in_place(tmp_path, facts, expected):
    fifo = tmp_path / "findings.pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader from the start: the CLI's open does not wait
    try:
        proc = run_cli("eval", "--facts", facts, "--format", "jsonl", "--out", fifo)  # ~2 KB fits the pipe
        received = os.read(reader, 1 << 20)
    finally:
        os.close(reader)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert received.decode() == expected
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(os.listdir(tmp_path)) == ["findings.pipe", "forms.jsonl"]


def test_out_to_standard_output_goes_where_it_goes(tmp_path, facts, expected):
    """/proc/self/fd/1 is what /dev/stdout points to: a pipe here, then a file opened to append."""
    piped = run_cli("eval", "--facts", facts, "--format", "jsonl", "--out", "/proc/self/fd/1")
    assert (piped.returncode, piped.stdout, piped.stderr) == (0, expected, "")
    log = tmp_path / "log.txt"
    log.write_text("header\n")
    with log.open("a") as handle:
        appended = run_cli("eval", "--facts", facts, "--format", "jsonl", "--out", "/proc/self/fd/1",
                           stdout=handle, stderr=subprocess.PIPE, capture_output=False)
    assert (appended.returncode, appended.stderr) == (0, "")
    assert log.read_text() == "header\n" + expected  # appended, as the shell's >> asked; not replaced


# -- bad places: one error line, exit 2, nothing written, before the evaluation --------------------------------------
BAD_OUT = [
    ("a-folder", lambda d: d, lambda d: f"{d}: is a folder; name a file in it"),
    ("missing-folder", lambda d: d / "reports" / "r.json",
     lambda d: f"{d}/reports/r.json: cannot write there: folder {d}/reports does not exist"),
    ("under-a-file", lambda d: d / "forms.jsonl" / "r.json",
     lambda d: f"{d}/forms.jsonl/r.json: cannot write there: Not a directory"),
    ("proc", lambda d: Path("/proc/version"),
     lambda d: "/proc/version: cannot write there: /proc/version is in /proc, the kernel's interface, "
               "not a place for output files"),
    ("sys", lambda d: Path("/sys/patuh.json"),
     lambda d: "/sys/patuh.json: cannot write there: /sys/patuh.json is in /sys, the kernel's interface, "
               "not a place for output files"),
    ("symlink-loop", lambda d: (d / "loop").symlink_to("loop") or d / "loop",
     lambda d: f"{d}/loop: cannot write there: Too many levels of symbolic links"),
]


@pytest.mark.parametrize("target, why", [c[1:] for c in BAD_OUT], ids=[c[0] for c in BAD_OUT])
@pytest.mark.parametrize("option", ["--out", "--sink"])
def test_a_bad_out_or_sink_is_one_error_line_before_evaluating(capsys, tmp_path, facts, target, why, option):
    path = target(tmp_path)
    before = sorted(os.listdir(tmp_path))
    args = ["--out", path] if option == "--out" else ["--sink", f"jsonl:{path}", "--out", tmp_path / "r.txt"]
    line = one_error(*run_in_process(capsys, "eval", "--facts", facts, *args))
    assert line == f"error: {why(tmp_path)}"
    assert sorted(os.listdir(tmp_path)) == before


def test_read_only_places_are_one_error_line(tmp_path, facts, plain_user):
    folder = tmp_path / "read-only"
    folder.mkdir()
    (tmp_path / "locked.json").write_text("earlier\n")
    (tmp_path / "locked.json").chmod(0o444)
    cases = [
        (["eval", "--facts", facts, "--out", folder / "r.json"],
         f"{folder}/r.json: cannot write there: folder {folder} is not writable (permission denied)"),
        (["eval", "--facts", facts, "--out", tmp_path / "r.json", "--sink", f"jsonl:{folder}/f.jsonl"],
         f"{folder}/f.jsonl: cannot write there: folder {folder} is not writable (permission denied)"),
        (["eval", "--facts", facts, "--out", tmp_path / "locked.json"],
         f"{tmp_path}/locked.json: cannot write there: the file is read-only"),
        (["report", "fatigue-weekly", "--facts", facts, "--out", folder / "weekly"],
         f"{folder}/weekly: cannot write there: folder {folder} is not writable (permission denied)"),
    ]
    folder.chmod(0o555)
    try:
        for args, why in cases:
            proc = run_cli(*args, prefix=plain_user)
            assert one_error(proc.returncode, proc.stdout, proc.stderr) == f"error: {why}"
        assert os.listdir(folder) == []
        assert sorted(os.listdir(tmp_path)) == ["forms.jsonl", "locked.json", "read-only"]
        assert (tmp_path / "locked.json").read_text() == "earlier\n"
    finally:
        folder.chmod(0o755)


def test_report_out_naming_a_file_is_one_error_line(capsys, tmp_path, facts):
    line = one_error(*run_in_process(capsys, "report", "fatigue-weekly", "--facts", facts, "--out", facts))
    assert line == f"error: {facts}: is a file, not a folder"
    assert os.listdir(tmp_path) == ["forms.jsonl"]


# -- spreadsheet formula injection ---------------------------------------------------------------------------------
@pytest.mark.parametrize("value, cell", [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("CK-0412", "CK-0412"),
    ("", ""),
    ("-5", "-5"),  # text that is only a number runs nothing
    ("+3.5", "+3.5"),
    ("-1e3", "-1e3"),
    (-5, -5),
    (2.5, 2.5),
    (None, None),
])
def test_safe_cell(value, cell):
    assert safe_cell(value) == cell


def test_csv_text_neutralises_every_value():
    assert csv_text(("employee", "count"), [{"employee": "@evil", "count": -1}, {"employee": "CK-1"}]) == (
        "employee,count\n'@evil,-1\nCK-1,\n")


def test_weekly_report_csv_cell_cannot_run_as_a_formula(tmp_path):
    alert = {"type": "camera_alert", "employee": '=HYPERLINK("http://evil","x")', "unit": "DT-1043", "alert": "yawn",
             "time": "2026-03-04T13:40:00+08:00"}
    facts = tmp_path / "alerts.jsonl"
    facts.write_text(json.dumps(alert) + "\n", encoding="utf-8")
    proc = run_cli("report", "fatigue-weekly", "--facts", facts, "--out", tmp_path / "weekly")
    assert proc.returncode == 0, proc.stderr
    written = tmp_path / "weekly" / "fatigue-weekly.csv"
    assert written.read_text(encoding="utf-8") == (
        "week,week_start,employee,unit,alert,count\n"
        '2026-W10,2026-03-02,"\'=HYPERLINK(""http://evil"",""x"")",DT-1043,yawn,1\n')
    assert mode(written) == 0o666 & ~umask()
