"""`patuh report smk3-audit`: per audit, the achievement per element and overall, the band, the
certificate decision and the findings, as CSV and a chart per audit; the same facts give the same
bytes, and refused records leave nothing written."""
from __future__ import annotations

import csv
import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path

import patuh
from patuh.report_smk3 import shown, summary

PACK = Path(__file__).resolve().parents[1] / "rulesets" / "smk3"


def plans():
    spec = importlib.util.spec_from_file_location("smk3_generate_report", PACK / "tests" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return {p.audit: p for p in module.OUTCOME + module.CHECKLIST}


PLANS = plans()


def facts_file(path: Path, *audits: str) -> Path:
    path.write_text("".join(json.dumps(f, default=str) + "\n" for a in audits for f in PLANS[a].case()["facts"]),
                    encoding="utf-8")
    return path


def test_one_decimal_rounded_but_never_into_the_next_band():
    assert [shown(v) for v in (78.125, 97 / 162 * 100, 130 / 153 * 100, 60.0, 85.0, 100.0, 2 / 3 * 100)] == [
        "78.1", "59.9", "84.9", "60.0", "85.0", "100.0", "66.7"]
    assert shown(None) == ""


def test_the_summary_per_audit_and_element():
    engine = patuh.Engine(["smk3"])
    result = engine.evaluate(PLANS["SMK3-O05"].case()["facts"] + PLANS["SMK3-C02"].case()["facts"])
    rows = summary(result, {"6": "Keamanan Bekerja Berdasarkan SMK3"})
    heads = {r["audit"]: r for r in rows if r["scope"] == "audit"}
    # O05: lanjutan, 130 met, 23 not met, 13 not applicable: 84.97 %, baik, a certificate with a silver flag
    assert {k: heads["SMK3-O05"][k] for k in ("expected", "met", "not_met", "not_applicable", "missing",
                                              "achievement", "band", "decision", "flag", "minor")} == {
        "expected": 166, "met": 130, "not_met": 23, "not_applicable": 13, "missing": 0, "achievement": "84.9",
        "band": "baik", "decision": "certificate", "flag": "silver", "minor": 23}
    # C02: awal, 4 criteria missing, one major and one minor: 58 of 60, no certificate
    assert {k: heads["SMK3-C02"][k] for k in ("missing", "met", "not_met", "achievement", "decision", "major")} == {
        "missing": 4, "met": 58, "not_met": 2, "achievement": "96.7", "decision": "none", "major": 1}
    elements = [r for r in rows if r["audit"] == "SMK3-O05" and r["scope"].isdigit()]
    assert [r["scope"] for r in elements] == [str(e) for e in range(1, 13)]
    assert sum(r["met"] for r in elements) == 130 and sum(r["not_applicable"] for r in elements) == 13
    six = next(r for r in elements if r["scope"] == "6")
    assert six["title"] == "Keamanan Bekerja Berdasarkan SMK3" and six["expected"] == 41
    subs = [r["scope"] for r in rows if r["audit"] == "SMK3-C02" and "." in r["scope"]]
    assert subs[:3] == ["1.1", "1.2", "1.3"] and "10.1" not in subs  # element 10 has no awal criterion


def test_the_command_writes_csvs_and_a_chart_per_audit(tmp_path):
    facts = facts_file(tmp_path / "audits.jsonl", "SMK3-O01", "SMK3-O09")
    out = tmp_path / "report"
    args = [sys.executable, "-m", "patuh.cli", "report", "smk3-audit", "--facts", str(facts), "--out", str(out)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["smk3-audit-SMK3-O01.png", "smk3-audit-SMK3-O09.png",
                                                     "smk3-audit-findings.csv", "smk3-audit.csv"]
    table = list(csv.DictReader(io.StringIO((out / "smk3-audit.csv").read_text(encoding="utf-8"))))
    heads = [(r["audit"], r["achievement"], r["band"], r["decision"], r["flag"]) for r in table
             if r["scope"] == "audit"]
    assert heads == [("SMK3-O01", "78.1", "baik", "certificate", "silver"),
                     ("SMK3-O09", "95.3", "memuaskan", "none", "")]
    found = list(csv.DictReader(io.StringIO((out / "smk3-audit-findings.csv").read_text(encoding="utf-8"))))
    critical = [f for f in found if f["rule"] == "smk3.criterion-not-met-critical"]
    assert len(critical) == 1 and critical[0]["audit"] == "SMK3-O09"
    cited = critical[0]["clauses"]
    assert cited.startswith("PP 50/2012 ") and "PER. 05/MEN/1996 Lampiran I 4.3" in cited
    assert (out / "smk3-audit-SMK3-O01.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert subprocess.run(args, capture_output=True, text=True, timeout=120).returncode == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first  # the same facts, the same bytes


def test_a_refused_checklist_writes_nothing(tmp_path):
    facts = facts_file(tmp_path / "audits.jsonl", "SMK3-R01")
    out = tmp_path / "report"
    done = subprocess.run([sys.executable, "-m", "patuh.cli", "report", "smk3-audit", "--facts", str(facts),
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and not out.exists()
    assert "kriteria 11.1.1 adalah kriteria tingkat lanjutan" in done.stderr
