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
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from demo_commands import Runner, patuh_command, rel  # noqa: E402  (shared by the examples' demos)

EVALUATED = "2025-03-31"  # as generate.py's EVALUATED
INTERNAL = ["--audit", "AI-2025-006", "--company", "PT Baja Timur Perkasa", "--date", "2025-01-15", "--level",
            "transisi", "--auditor", "Tim Audit Internal", "--kind", "internal"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "out", help="where the facts, findings and report go")
    out: Path = parser.parse_args(argv).out
    if out.exists():
        shutil.rmtree(out)
    facts = out / "facts"
    facts.mkdir(parents=True)
    run = Runner(patuh_command())

    print("## 1. Detectors: the company's records into facts\n")
    run("detect", "forms", HERE / "company.csv", "--type", "company", stdout=facts / "company.jsonl")
    run("detect", "forms", HERE / "certificates.csv", "--type", "smk3_certificate",
        stdout=facts / "certificates.jsonl")
    run("detect", "audit", HERE / "checklist-SMK3-2021-047.csv", stdout=facts / "audit-SMK3-2021-047.jsonl")
    run("detect", "audit", HERE / "checklist-SMK3-2024-112.xlsx", stdout=facts / "audit-SMK3-2024-112.jsonl")
    run("detect", "audit", HERE / "internal-AI-2025-006.csv", *INTERNAL,
        stdout=facts / "audit-AI-2025-006.jsonl")

    files = sorted(facts.glob("*.jsonl"))
    print(f"\n## 2. patuh eval on {EVALUATED}: the findings, by audit and company\n")
    run("eval", "--facts", *files, "--pack", "smk3", "--as-of", EVALUATED, "--format", "json",
        "--out", out / "result.json")
    run("eval", "--facts", *files, "--pack", "smk3", "--as-of", EVALUATED, "--by", "subject",
        "--out", out / "findings.txt")
    print()
    sys.stdout.write((out / "findings.txt").read_text(encoding="utf-8"))

    print("\n## 3. The audits' report: achievement per element, band, certificate decision\n")
    run("report", "smk3-audit", "--facts", *files, "--as-of", EVALUATED, "--out", out / "report")

    print(f"\nWritten under {rel(out)}/: facts/ (the detectors' output), result.json and findings.txt (the "
          "evaluation), report/ (smk3-audit.csv, smk3-audit-findings.csv and a chart per audit). Expected: "
          f"{rel(HERE / 'expected.json')}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
