"""`patuh report contractors`: per month, each contractor's K3 KPI score, FR, SR, TRIR, data-bank
record and findings, ranked; as CSV and charts. The register is the csms pack test's small
register checked by hand (the csms pack test kpi.yaml): in March 2026 PT Beta ranks first (100; rates 0),
PT Alfa second (79.89; FR 40, SR 4,100, TRIR 12), PT Gamma is unranked (no scorecard, no hours)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import patuh
import yaml
from patuh.report_contractors import contractor_rows, to_csv

PACK = Path(__file__).resolve().parent.parent / "rulesets" / "csms"
LEADING = [r["indicator"] for r in yaml.safe_load((PACK / "tables.yaml").read_text(encoding="utf-8"))["tables"][
    "kpi_leading"]["rows"]]


def hand_register() -> list[dict]:
    cases = yaml.safe_load((PACK / "tests" / "kpi.yaml").read_text(encoding="utf-8"))["tests"]
    [case] = [c for c in cases if c["name"].startswith("the small register checked by hand")]
    return case["facts"]


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_register_checked_by_hand_ranked():
    engine = patuh.Engine(["csms"], config={"timezone": "Asia/Jakarta"})
    result = engine.evaluate(hand_register(), as_of=dt.date(2026, 4, 11))
    rows = rows_of(to_csv(contractor_rows(result, engine.types.zone, last="2026-03")))
    shown = [(r["month"], r["rank"], r["contractor"], r["hours"], r["lost_time_injuries"], r["lost_days"],
              r["recordable"], r["fr"], r["sr"], r["trir"], r["kpi_score"], r["kpi_missing"], r["kpi_not_applicable"],
              r["minor"], r["observations"]) for r in rows]
    assert shown == [
        ("2026-03", "1", "PT Beta", "20000", "0", "0", "0", "0", "0", "0", "100", "0", "0", "0", "0"),
        ("2026-03", "2", "PT Alfa", "50000", "2", "205", "3", "40", "4100", "12", "79.89", "1", "1", "1", "1"),
        ("2026-03", "", "PT Gamma", "0", "0", "0", "0", "", "", "", "", "", "", "1", "1"),
    ]
    assert {r["record"] for r in rows} == {"none"}
    # April is in progress on 11 April: PT Alfa's rates so far (FR 25, SR 75, TRIR 5), no scores yet;
    # its correction of March (due 30 April) and its April inspection fall due in April, still open.
    april = {r["contractor"]: r for r in rows_of(to_csv(contractor_rows(result, engine.types.zone, first="2026-04")))}
    assert (april["PT Alfa"]["fr"], april["PT Alfa"]["sr"], april["PT Alfa"]["trir"]) == ("25", "75", "5")
    assert (april["PT Alfa"]["obligations_due"], april["PT Alfa"]["obligations_open"]) == ("2", "2")
    assert [r["rank"] for r in april.values()] == ["", "", ""]


def scorecard(contractor: str, contract: str, month: str) -> list[dict]:
    return [{"type": "contractor_kpi", "contractor": contractor, "contract": contract, "month": month,
             "indicator": i, "target": 1, "actual": 1} for i in LEADING]


def test_a_tie_on_the_score_goes_to_the_lower_trir_and_the_record_in_force_is_shown():
    facts = []
    for contractor, contract in (("CV Satu", "K-1"), ("CV Dua", "K-2")):
        facts += [{"type": "contract", "contract": contract, "company": "PT P", "risk": "low",
                   "risk_assessed": "2025-12-01", "tender": "2025-12-05", "start": "2026-01-01", "end": "2026-01-31"},
                  {"type": "award", "contract": contract, "contractor": contractor, "date": "2025-12-20"},
                  {"type": "work_hours", "company": "PT P", "contractor": contractor, "month": "2026-01",
                   "contractor_hours": 10000}, *scorecard(contractor, contract, "2026-01")]
    facts.append({"type": "incident", "incident": "I-1", "company": "PT P", "contractor": "CV Dua",
                  "time": "2026-01-10T10:00:00+07:00", "kind": "injury"})  # recordable: TRIR 20
    facts.append({"type": "final_evaluation", "contract": "K-1", "contractor": "CV Satu", "date": "2026-01-31",
                  "pja": 80, "inspection": 80, "programme": 80, "kpi": 80})
    engine = patuh.Engine(["csms"], config={"timezone": "Asia/Jakarta"})
    rows = contractor_rows(engine.evaluate(facts, as_of=dt.date(2026, 2, 5)), engine.types.zone)
    assert [(r["rank"], r["contractor"], r["kpi_score"], r["trir"]) for r in rows] == [
        (1, "CV Satu", 100, 0), (2, "CV Dua", 100, 20)]  # equal scores: TRIR 0 before 20
    assert [r["record"] for r in rows] == ["not_qualified", "none"]  # 80 %: the record from 31 January


def test_cli_writes_the_csv_and_a_chart_per_month_the_same_bytes_each_run(tmp_path):
    facts = tmp_path / "csms.jsonl"
    # zero_accident is installed: the report runs it, and it classifies the incidents itself (the
    # lost-time accidents the pack test gives csms alone would be refused as given twice)
    register = [r for r in hand_register() if r["type"] != "lost_time_accident"]
    facts.write_text("".join(json.dumps(r, default=str) + "\n" for r in register), encoding="utf-8")
    config = tmp_path / "site.yaml"
    config.write_text("timezone: Asia/Jakarta\nshifts: {I: {start: '06:00', end: '18:00'}, "
                      "II: {start: '18:00', end: '06:00'}}\n", encoding="utf-8")
    out = tmp_path / "report"
    args = [sys.executable, "-m", "patuh.cli", "report", "contractors", "--facts", str(facts), "--config",
            str(config), "--as-of", "2026-04-11", "--out", str(out)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (out / "contractors.csv").read_text(encoding="utf-8").splitlines()[0].startswith(
        "month,rank,contractor,company,contracts,hours,lost_time_injuries,lost_days,recordable,fatalities,fr,sr,trir,"
        "kpi_score")
    with (out / "contractors.csv").open(encoding="utf-8") as file:
        alfa = next(r for r in csv.DictReader(file) if (r["month"], r["contractor"]) == ("2026-03", "PT Alfa"))
    assert (alfa["lost_time_injuries"], alfa["lost_days"], alfa["fr"], alfa["sr"]) == ("2", "205", "40", "4100")
    assert sorted(p.name for p in out.glob("*.png")) == ["contractors-2026-03.png", "contractors-2026-04.png",
                                                        "contractors-trend.png"]
    assert "2026-03: no KPI score for PT Gamma (unranked)" in done.stderr
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert subprocess.run(args, capture_output=True, text=True, timeout=300).returncode == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first


def test_bad_facts_are_refused_and_nothing_is_written(tmp_path):
    facts = tmp_path / "csms.jsonl"
    facts.write_text('{"type": "contract", "contract": "K-1", "company": "PT P", "risk": "sangat tinggi"}\n',
                     encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "patuh.cli", "report", "contractors", "--facts", str(facts),
                           "--out", str(tmp_path / "r")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and f"{facts}:1" in done.stderr and "'sangat tinggi'" in done.stderr
    assert not (tmp_path / "r").exists()
