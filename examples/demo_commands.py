"""What every example's demo.py does to show a command: find `patuh`, print the command as a
reader would type it (paths relative to here), run it, and stop the demo when it fails."""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path


def patuh_command() -> str:
    """$PATUH, else the `patuh` beside this Python, else the one on the PATH."""
    if os.environ.get("PATUH"):
        return os.environ["PATUH"]
    beside = Path(sys.executable).parent / "patuh"
    return str(beside) if beside.exists() else (shutil.which("patuh") or "patuh")


def rel(path: Path | str) -> str:
    """A path relative to the working folder when it is under it, else as given."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class Runner:
    def __init__(self, patuh: str):
        self.patuh = patuh

    def __call__(self, *args: object, stdout: Path | None = None, log: Path | None = None,
                 show: bool = False) -> str:
        """Run `patuh ARGS`; its standard output into `stdout` (a JSONL of facts: counted by type)
        or returned (printed with `show`), standard error into `log` (or shown). Exit with the
        command's status when it fails."""
        words = [str(a) for a in args]
        shown = "patuh " + " ".join(shlex.quote(rel(w) if os.sep in w and "://" not in w else w) for w in words)
        if stdout is not None:
            shown += f" > {rel(stdout)}"
        print(f"$ {shown}", flush=True)
        proc = subprocess.run([self.patuh, *words], capture_output=True, text=True)
        if log is not None:
            log.write_text(proc.stderr, encoding="utf-8")
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr)
            sys.exit(f"demo: the command above failed (exit {proc.returncode})")
        if log is None and proc.stderr.strip():
            print("  " + proc.stderr.strip().replace("\n", "\n  "))
        if stdout is not None:
            stdout.write_text(proc.stdout, encoding="utf-8")
            kinds: dict[str, int] = {}
            for line in proc.stdout.splitlines():
                kind = json.loads(line).get("type", "?")
                kinds[kind] = kinds.get(kind, 0) + 1
            print(f"  {proc.stdout.count(chr(10))} facts: " + ", ".join(f"{v} {k}" for k, v in sorted(kinds.items())))
        elif show:
            sys.stdout.write(proc.stdout)
        return proc.stdout
