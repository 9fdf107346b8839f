#!/usr/bin/env python3
"""`make demo` (second part): a steel company's SMK3 records through patuh, as a K3 officer would run it.

    python examples/smk3/demo.py [--out DIR]     # default: examples/smk3/out (not committed)

1. the detectors turn the records into facts (JSONL in DIR/facts): the company's profile and its
   certificate register (`patuh detect forms`), the three audit checklists (`patuh detect audit`:
   the 2021 and 2024 external audits with their header above the table, CSV and XLSX; the 2025
   internal audit with its header as options);
2. `patuh eval` judges them with the smk3 pack on 2025-03-31: the findings grouped by audit and
   company, with clauses (PER. 05/MEN/1996 and PP 50/2012) and actions, on standard output and in
   DIR/findings.txt, the whole result in DIR/result.json;
3. `patuh report smk3-audit` writes each audit's achievement per element, band, certificate
   decision and findings, with a chart per audit, in DIR/report.

Each command is printed before it runs. The `patuh` used is $PATUH, else the one beside this
Python, else the one on PATH. Standard library only (the commands do the work).
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
EVALUATED = "2025-03-31"  # as generate.py's EVALUATED
INTERNAL = ["--audit", "AI-2025-006", "--company", "PT Baja Timur Perkasa", "--date", "2025-01-15", "--level",
            "transisi", "--auditor", "Tim Audit Internal", "--kind", "internal"]


def patuh_command() -> str:
    if os.environ.get("PATUH"):
        return os.environ["PATUH"]
    beside = Path(sys.executable).parent / "patuh"
    return str(beside) if beside.exists() else (shutil.which("patuh") or "patuh")


def rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def run(patuh: str, *args: object, stdout: Path | None = None) -> str:
    """`patuh ARGS`, printed first; its standard output into `stdout` (or returned)."""
    words = [str(a) for a in args]
    shown = "patuh " + " ".join(shlex.quote(rel(Path(w)) if os.sep in w else w) for w in words)
    print(f"$ {shown}" + (f" > {rel(stdout)}" if stdout else ""), flush=True)
    proc = subprocess.run([patuh, *words], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        sys.exit(f"demo: the command above failed (exit {proc.returncode})")
    if proc.stderr.strip():
        print("  " + proc.stderr.strip().replace("\n", "\n  "))
    if stdout is not None:
        stdout.write_text(proc.stdout, encoding="utf-8")
        kinds: dict[str, int] = {}
        for line in proc.stdout.splitlines():
            kind = json.loads(line).get("type", "?")
            kinds[kind] = kinds.get(kind, 0) + 1
        print("  " + ", ".join(f"{v} {k}" for k, v in sorted(kinds.items())))
    return proc.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "out", help="where the facts, findings and report go")
    out: Path = parser.parse_args(argv).out
    if out.exists():
        shutil.rmtree(out)
    facts = out / "facts"
    facts.mkdir(parents=True)
    patuh = patuh_command()

    print("## 1. Detectors: the company's records into facts\n")
    run(patuh, "detect", "forms", HERE / "company.csv", "--type", "company", stdout=facts / "company.jsonl")
    run(patuh, "detect", "forms", HERE / "certificates.csv", "--type", "smk3_certificate",
        stdout=facts / "certificates.jsonl")
    run(patuh, "detect", "audit", HERE / "checklist-SMK3-2021-047.csv", stdout=facts / "audit-SMK3-2021-047.jsonl")
    run(patuh, "detect", "audit", HERE / "checklist-SMK3-2024-112.xlsx", stdout=facts / "audit-SMK3-2024-112.jsonl")
    run(patuh, "detect", "audit", HERE / "internal-AI-2025-006.csv", *INTERNAL,
        stdout=facts / "audit-AI-2025-006.jsonl")

    files = sorted(facts.glob("*.jsonl"))
    print(f"\n## 2. patuh eval on {EVALUATED}: the findings, by audit and company\n")
    run(patuh, "eval", "--facts", *files, "--pack", "smk3", "--as-of", EVALUATED, "--format", "json",
        "--out", out / "result.json")
    run(patuh, "eval", "--facts", *files, "--pack", "smk3", "--as-of", EVALUATED, "--by", "subject",
        "--out", out / "findings.txt")
    print()
    sys.stdout.write((out / "findings.txt").read_text(encoding="utf-8"))

    print("\n## 3. The audits' report: achievement per element, band, certificate decision\n")
    run(patuh, "report", "smk3-audit", "--facts", *files, "--as-of", EVALUATED, "--out", out / "report")

    print(f"\nWritten under {rel(out)}/: facts/ (the detectors' output), result.json and findings.txt (the "
          "evaluation), report/ (smk3-audit.csv, smk3-audit-findings.csv and a chart per audit). Expected: "
          f"{rel(HERE / 'expected.json')}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
