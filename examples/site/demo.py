#!/usr/bin/env python3
"""`make demo`: the example site's week through patuh, as a site would run it.

    python examples/site/demo.py [--out DIR]     # default: examples/site/out (not committed)

1. the detectors turn the site's exports into facts (JSONL in DIR): the cab video (`patuh detect
   camera`), the camera vendor's alarm report (`detect alerts`), the fleet system's speed export
   (`detect telemetry`, the roster says who drove), the form exports and registers (`detect forms`);
2. `patuh eval` judges them with the fatigue pack and the site config, at the latest time the
   facts give: the findings grouped by subject, with clause, actions and sanctions, then the
   obligations still to do (follow-ups open or overdue) grouped by the role accountable, on standard
   output and in DIR/findings.txt; the whole result, every obligation with it, in DIR/result.json;
3. `patuh report fatigue-weekly` writes the dispatcher's weekly alert summary (6.5.3) in
   DIR/report;
4. the evaluation of step 2 is recorded in a store, DIR/store.db (`patuh eval --store`), and
   `patuh report audit` writes the HTML audit report from it in DIR/audit; its path is the last
   line printed. `make serve` starts the HTTP service on that store.

Each command is printed before it runs. The `patuh` used is $PATUH, else the one beside this
Python, else the one on PATH. Standard library only (the commands do the work).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from demo_commands import Runner, patuh_command, rel  # noqa: E402  (shared by the examples' demos)

sys.path.insert(0, str(HERE))
import generate  # noqa: E402  (the video's file, start, camera SN and unit)

FORMS = [  # export, fact type, columns left out on purpose
    ("p2h_camera_checks.csv", "p2h_camera_check", ["Nama"]),
    ("p2h_verifications.csv", "p2h_verification", ["Nama"]),
    ("fatigue_inspections.csv", "fatigue_inspection", ["Nama"]),
    ("fatigue_surveys.jsonl", "fatigue_survey", []),
    ("fatigue_observations.yaml", "fatigue_observation", []),
    ("alert_confirmations.json", "alert_confirmation", []),
    ("heads_reports.csv", "heads_report", ["Nama"]),
    ("fatigue_interviews.csv", "fatigue_interview", ["Nama"]),
    ("coaching_sessions.csv", "coaching_session", ["Nama"]),
    ("camera_repairs.csv", "camera_repair", []),
    ("alert_summaries.csv", "alert_summary", []),
]


def video_driver(roster: Path) -> tuple[str, str]:
    """Who drove the pilot unit when the video starts, from the roster; the start."""
    start = generate.at(generate.VIDEO.date, "I", generate.VIDEO_START)
    for line in roster.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if r.get("unit") == generate.PILOT_UNIT and r["start"] <= start.isoformat() < r["end"]:
            return r["employee"], start.isoformat()
    sys.exit(f"demo: nobody is rostered on {generate.PILOT_UNIT} at {start.isoformat()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "out", help="where the facts, findings and report go")
    args = parser.parse_args(argv)
    out: Path = args.out
    if out.exists():
        shutil.rmtree(out)
    (out / "facts").mkdir(parents=True)
    patuh = Runner(patuh_command())
    config = HERE / "config.yaml"
    roster = HERE / "roster.jsonl"

    print("## 1. Detectors: the site's exports into facts\n")
    employee, start = video_driver(roster)
    patuh("detect", "camera", HERE / generate.VIDEO_FILE, "--employee", employee, "--unit", generate.PILOT_UNIT,
          "--start", start, "--camera-sn", generate.VIDEO_SN, "--out", out / "evidence", "--config", config,
          stdout=out / "facts" / "camera_alerts.jsonl", log=out / "camera.log")
    patuh("detect", "alerts", HERE / "vendor_alarm_report.csv", "--skip-alert", "Seatbelt", "--config", config,
          stdout=out / "facts" / "vendor_alerts.jsonl")
    patuh("detect", "telemetry", HERE / "fms_speed.csv", "--roster", roster, "--config", config,
          stdout=out / "facts" / "telemetry.jsonl")
    for name, kind, ignore in FORMS:
        extra = [w for column in ignore for w in ("--ignore", column)]
        patuh("detect", "forms", HERE / name, "--type", kind, *extra, "--config", config,
              stdout=out / "facts" / f"{kind}.jsonl")

    facts = [roster, HERE / "readiness_forms.jsonl", *sorted((out / "facts").glob("*.jsonl"))]
    print("\n## 2. patuh eval: the findings by subject, and the obligations still to do by role\n")
    store = f"sqlite:///{out.resolve() / 'store.db'}"
    patuh("eval", "--facts", *facts, "--pack", "fatigue", "--config", config, "--format", "json",
          "--out", out / "result.json", "--store", store)
    table = patuh("eval", "--facts", *facts, "--pack", "fatigue", "--config", config, "--format", "table",
                  "--by", "subject", "--out", out / "findings.txt")
    print()
    sys.stdout.write((out / "findings.txt").read_text(encoding="utf-8") if not table else table)

    print("\n## 3. The dispatcher's weekly summary (6.5.3)\n")
    alerts = [out / "facts" / n for n in ("camera_alerts.jsonl", "vendor_alerts.jsonl", "telemetry.jsonl")]
    patuh("report", "fatigue-weekly", "--facts", *alerts, "--config", config, "--out", out / "report")

    print("\n## 4. The audit report, from the store\n")
    index = patuh("report", "audit", "--store", store, "--out", out / "audit", "--evidence", out / "evidence")

    print(f"\nWritten under {rel(out)}/: facts/ (the detectors' output), evidence/ (the video's snapshots and "
          f"clips), result.json and findings.txt (the evaluation), report/ (fatigue-weekly.csv and its chart); "
          f"camera.log (the camera detector's messages); store.db (the evaluation, recorded) and audit/ (the HTML "
          f"audit report). Expected findings and obligations: {rel(HERE / 'expected.json')}. `make serve` serves "
          f"the store over HTTP. The audit report:")
    print(rel(Path(index.strip())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
