#!/usr/bin/env python3
"""`make demo` (its second part): a principal's six months of contractors through the csms pack.

    python examples/csms-principal/demo.py [--out DIR]     # default: examples/csms-principal/out

1. `patuh detect csms` turns the principal's registers (contract register with awards, PQ results
   in rubric points, pre-job activities, inspection checklists, final evaluations, monthly
   scorecards) into facts (DIR/facts/registers.jsonl);
2. `patuh eval` judges them, with the incident register, the contractors' hours and the lost-time
   accidents, by the csms pack as of 2026-07-10: the findings by contractor on standard output and
   in DIR/findings.txt, the whole result in DIR/result.json;
3. `patuh report contractors` ranks the contractors month by month (DIR/report: contractors.csv,
   a chart per month and the trend).

Each command is printed before it runs. The `patuh` used is $PATUH, else the one beside this
Python, else the one on PATH. Standard library only.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from demo_commands import Runner, patuh_command, rel  # noqa: E402  (shared by the examples' demos)

sys.path.insert(0, str(HERE))
import generate  # noqa: E402  (the principal, the PQ rubric's maximum, the evaluation date)

REGISTERS = ["register-kontrak.csv", "hasil-pq.csv", "kegiatan-pra-pekerjaan.csv", "checklist-inspeksi.csv",
             "evaluasi-akhir.csv", "scorecard-kontraktor.csv"]
ZERO_ACCIDENT = ["incidents.jsonl", "work_hours.jsonl", "lost_time_accidents.jsonl"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "out", help="where the facts, findings and report go")
    args = parser.parse_args(argv)
    out: Path = args.out
    if out.exists():
        shutil.rmtree(out)
    (out / "facts").mkdir(parents=True)
    run = Runner(patuh_command())
    config = HERE / "config.yaml"
    as_of = generate.AS_OF.isoformat()

    print(f"## 1. patuh detect csms: {generate.PRINCIPAL}'s registers into facts\n")
    registers = out / "facts" / "registers.jsonl"
    run("detect", "csms", *(HERE / n for n in REGISTERS), "--company", generate.PRINCIPAL,
        "--pq-max", generate.PQ_MAX, "--config", config, stdout=registers)

    facts = [registers, *(HERE / n for n in ZERO_ACCIDENT)]
    print(f"\n## 2. patuh eval: the csms pack's findings as of {as_of}, by contractor\n")
    run("eval", "--facts", *facts, "--pack", "csms", "--config", config, "--as-of", as_of, "--format", "json",
        "--out", out / "result.json")
    run("eval", "--facts", *facts, "--pack", "csms", "--config", config, "--as-of", as_of, "--format",
        "table", "--by", "subject", "--out", out / "findings.txt")
    print()
    sys.stdout.write((out / "findings.txt").read_text(encoding="utf-8"))

    print("\n## 3. patuh report contractors: the contractors ranked month by month\n")
    # The report runs zero_accident beside csms, which classifies the incident register itself:
    # its lost-time accidents are derived there, not given (given too, they would count twice).
    registers_only = [f for f in facts if Path(f).name != "lost_time_accidents.jsonl"]
    run("report", "contractors", "--facts", *registers_only, "--config", config, "--as-of", as_of,
        "--out", out / "report")
    print()
    sys.stdout.write((out / "report" / "contractors.csv").read_text(encoding="utf-8"))
    print(f"\nWritten under {rel(str(out))}/: facts/registers.jsonl (the detector's output), result.json and "
          f"findings.txt (the evaluation), report/ (contractors.csv and its charts). Expected: "
          f"{rel(str(HERE / 'expected.json'))}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
