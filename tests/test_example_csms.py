"""The bundled CSMS example (examples/csms-principal, the second part of `make demo`), end to end.

generate.py plants known events in six months of a principal's contractor registers and writes
what the csms pack must find, and each contractor's month (hours, injuries, rates, KPI score,
rank), to expected.json, computed there and never by running the engine. Here: the generator
reproduces the committed files byte for byte; the registers go through `patuh detect csms` and,
with the incident, hours and lost-time registers, through the csms pack into exactly the expected
findings; `patuh report contractors` ranks the months as planned; the demo runs.
"""
from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import patuh
import pytest
from patuh.detectors import csms
from patuh.facts import read_records
from patuh.report_contractors import contractor_rows, to_csv

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "csms-principal"
CONFIG = EXAMPLE / "config.yaml"
GENERATED = ["register-kontrak.csv", "hasil-pq.csv", "kegiatan-pra-pekerjaan.csv", "checklist-inspeksi.csv",
             "evaluasi-akhir.csv", "scorecard-kontraktor.csv", "incidents.jsonl", "work_hours.jsonl",
             "lost_time_accidents.jsonl", "expected.json", "config.yaml"]
REGISTERS = GENERATED[:6]
ZERO_ACCIDENT = GENERATED[6:9]

# examples/csms-principal/generate.py (the plans), under a name of its own: examples/site's
# generator is a module called generate too.
_spec = importlib.util.spec_from_file_location("csms_principal_generate", EXAMPLE / "generate.py")
assert _spec is not None and _spec.loader is not None
generate = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = generate  # dataclasses look their module up while the file runs
_spec.loader.exec_module(generate)


def plan() -> dict:
    return json.loads((EXAMPLE / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def facts() -> list[dict]:
    types = patuh.fact_types(CONFIG)
    records, _ = csms.read_csms([EXAMPLE / n for n in REGISTERS], types, company=generate.PRINCIPAL,
                                pq_max=generate.PQ_MAX)
    return records + [r for n in ZERO_ACCIDENT for _, r in read_records(EXAMPLE / n)]


@pytest.fixture(scope="module")
def result(facts):
    engine = patuh.Engine(["csms"], config=CONFIG)
    return engine.evaluate(facts, as_of=dt.date.fromisoformat(plan()["as_of"])), engine


def test_generator_reproduces_the_committed_files(tmp_path):
    proc = subprocess.run([sys.executable, str(EXAMPLE / "generate.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(GENERATED)
    for name in GENERATED:
        assert (tmp_path / name).read_bytes() == (EXAMPLE / name).read_bytes(), f"{name} differs from the generator's"


def test_the_example_has_a_principal_with_a_few_contractors_over_six_months():
    months = plan()["months"]
    assert len({m["contractor"] for m in months}) == 5
    assert sorted({m["month"] for m in months}) == [f"2026-0{n}" for n in range(1, 7)]
    stages = {e["rule"] for e in plan()["findings"]}
    # every stage planted: 1 (risk after tender), 2-3 (PQ, data bank), 4, 5, 6 (black, not qualified), KPIs
    assert {generate.RISK_AFTER_TENDER, generate.PQ_UNDER, generate.PQ_LEVEL, generate.BARRED, generate.PJA_LATE,
            generate.INSPECTION_OVERDUE, generate.BLACK, generate.NOT_QUALIFIED, generate.KPI_LOW,
            generate.KPI_NOT_REPORTED} <= stages


def test_the_detector_and_the_pack_find_exactly_the_planted_findings(result):
    found = Counter((f.rule, f.subject.id) for f in result[0].findings)
    want = Counter((e["rule"], e["subject"]) for e in plan()["findings"])
    assert found == want


def test_the_report_ranks_the_months_as_planned(result):
    found, engine = result
    rows = {(r["month"], r["contractor"]): r for r in contractor_rows(found, engine.types.zone)}
    csv_rows = {(r["month"], r["contractor"]): r for r in csv.DictReader(io.StringIO(to_csv(list(rows.values()))))}
    assert set(rows) == {(m["month"], m["contractor"]) for m in plan()["months"]}
    for m in plan()["months"]:
        row, shown = rows[(m["month"], m["contractor"])], csv_rows[(m["month"], m["contractor"])]
        assert (row["hours"], row["lost_time_injuries"], row["lost_days"], row["recordable"]) == (
            m["hours"], m["lost_time_injuries"], m["lost_days"], m["recordable"]), m
        assert (row["fr"], row["sr"], row["trir"]) == pytest.approx((m["fr"], m["sr"], m["trir"])), m
        assert row["kpi_score"] == (pytest.approx(m["kpi_score"]) if m["kpi_score"] is not None else None), m
        assert (row["rank"] or None) == m["rank"], m
        if m["kpi_score"] is not None:  # shown cut to two decimals
            assert float(shown["kpi_score"]) <= m["kpi_score"] < float(shown["kpi_score"]) + 0.01
    assert rows[("2026-06", "CV Beta Mandiri")]["record"] == "not_qualified"


def test_demo_runs_and_writes_the_report(tmp_path):
    pytest.importorskip("matplotlib")
    env = dict(os.environ, PATUH=str(Path(sys.executable).parent / "patuh"))
    proc = subprocess.run([sys.executable, str(EXAMPLE / "demo.py"), "--out", str(tmp_path)], capture_output=True,
                          text=True, env=env, cwd=EXAMPLE.parent.parent, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    n = len(plan()["findings"])
    assert f"\n{n} findings from " in proc.stdout
    result = patuh.Result.model_validate_json((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert len(result.findings) == n
    # the report classified the incident register with zero_accident: the same injuries and days as planned
    with (tmp_path / "report" / "contractors.csv").open(encoding="utf-8") as file:
        reported = {(r["month"], r["contractor"]): r for r in csv.DictReader(file)}
    for m in plan()["months"]:
        row = reported[(m["month"], m["contractor"])]
        assert (int(row["lost_time_injuries"]), float(row["lost_days"] or 0)) == (
            m["lost_time_injuries"], m["lost_days"] or 0), m
    assert sorted(p.name for p in (tmp_path / "report").glob("*.png")) == [
        *(f"contractors-2026-0{m}.png" for m in range(1, 7)), "contractors-trend.png"]
