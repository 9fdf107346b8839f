#!/usr/bin/env python3
"""`make demo`, second part: the Zero Accident example through patuh, as a K3 department would run it.

    python examples/zero-accident/demo.py [--out DIR]     # default: examples/zero-accident/out (not committed)

1. the detectors turn the registers into facts (JSONL in DIR/facts): the company profiles and the
   SMK3 audits (`patuh detect forms`), the incident register (`detect incidents`), the hours
   register (`detect hours`);
2. `patuh eval` judges them with the zero_accident pack on the application date: the findings by
   company on standard output and in DIR/findings.txt, the whole result in DIR/result.json;
3. `patuh report k3-statistics` writes the rates per company, year and contractor in DIR/report.

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

AS_OF = "2026-01-15T08:00:00+07:00"  # generate.AS_OF: the application date


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "out", help="where the facts, findings and report go")
    out: Path = parser.parse_args(argv).out
    if out.exists():
        shutil.rmtree(out)
    facts = out / "facts"
    facts.mkdir(parents=True)
    run = Runner(patuh_command())
    config = HERE / "config.yaml"

    print("## 1. Detectors: the registers into facts\n")
    run("detect", "forms", HERE / "companies.csv", "--type", "company", stdout=facts / "companies.jsonl")
    run("detect", "forms", HERE / "smk3_audits.csv", "--type", "smk3_audit", stdout=facts / "audits.jsonl")
    run("detect", "incidents", HERE / "register_kecelakaan.csv", "--ignore", "Uraian", "--config", config,
        stdout=facts / "incidents.jsonl")
    run("detect", "hours", HERE / "jam_kerja.csv", stdout=facts / "hours.jsonl")

    files = [facts / n for n in ("companies.jsonl", "audits.jsonl", "incidents.jsonl", "hours.jsonl")]
    print(f"\n## 2. patuh eval: the award on {AS_OF[:10]}, by company\n")
    run("eval", "--facts", *files, "--pack", "zero_accident", "--config", config, "--as-of", AS_OF,
        "--format", "json", "--out", out / "result.json")
    run("eval", "--facts", *files, "--pack", "zero_accident", "--config", config, "--as-of", AS_OF,
        "--format", "table", "--by", "subject", "--out", out / "findings.txt")
    print()
    sys.stdout.write((out / "findings.txt").read_text(encoding="utf-8"))

    print("\n## 3. K3 statistics: FR, SR, LTIFR and TRIR per company, year and contractor\n")
    run("report", "k3-statistics", "--facts", facts / "incidents.jsonl", facts / "hours.jsonl", "--config",
        config, "--as-of", AS_OF, "--out", out / "report")
    print()
    sys.stdout.write((out / "report" / "k3-statistics.txt").read_text(encoding="utf-8"))
    print(f"\nWritten under {rel(out)}/: facts/ (the detectors' output), result.json and findings.txt (the "
          f"evaluation), report/ (k3-statistics.csv, .txt and a chart per company). Expected findings: "
          f"{rel(HERE / 'expected.json')}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
