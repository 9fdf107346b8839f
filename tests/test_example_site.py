"""The bundled example site (examples/site, what `make demo` runs), end to end.

generate.py plants known anomalies in a week of roster and readiness forms and writes the findings
they must produce to expected.json, without running the engine. Here: the generator reproduces the
committed files byte for byte, the engine finds exactly the planted findings, and the CLI's JSON
output is the same bytes on every run.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import patuh
from patuh.facts import read_records

SITE = Path(__file__).resolve().parent.parent / "examples" / "site"
GENERATED = ["roster.jsonl", "readiness_forms.jsonl", "expected.json", "config.yaml", "README.md"]
FACT_FILES = [SITE / "roster.jsonl", SITE / "readiness_forms.jsonl"]
RULES = {"fatigue.readiness-form-missing", "fatigue.readiness-form-late", "fatigue.sleep-under-4h",
         "fatigue.sleep-under-4h-repeated", "fatigue.sleep-shortfall-survey", "fatigue.readiness-not-fit"}


def expected() -> list[tuple[str, str, str, str]]:
    return sorted((e["rule"], e["employee"], e["date"], e["shift"])
                  for e in json.loads((SITE / "expected.json").read_text(encoding="utf-8")))


def found(result) -> list[tuple[str, str, str, str]]:
    """(rule, employee, date, shift) of each finding. The date and shift come from its evidence:
    the roster and/or form it is about, or for a repeat, the later of the two barred shifts."""
    out = []
    for finding in result.findings:
        assert finding.subject.kind == "employee", finding
        evidence = [result.facts[i] for i in finding.facts if "date" in result.facts[i]]
        assert evidence, f"{finding.rule} {finding.id} has no dated evidence"
        latest = max(evidence, key=lambda f: f["date"])
        shifts = {f["shift"] for f in evidence if f["date"] == latest["date"]}
        assert len(shifts) == 1, f"{finding.rule} {finding.id}: evidence on one date names shifts {shifts}"
        out.append((finding.rule, finding.subject.id, latest["date"], latest["shift"]))
    return sorted(out)


def run_cli(*args: str, hashseed: str = "0") -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    return subprocess.run([sys.executable, "-m", "patuh.cli", *args], capture_output=True, env=env,
                          cwd=SITE.parent.parent, timeout=300)


EVAL = ["eval", "--facts", *map(str, FACT_FILES), "--pack", "fatigue", "--config", str(SITE / "config.yaml")]


def test_generator_reproduces_the_committed_files(tmp_path):
    proc = subprocess.run([sys.executable, str(SITE / "generate.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(GENERATED)
    for name in GENERATED:
        assert (tmp_path / name).read_bytes() == (SITE / name).read_bytes(), f"{name} differs from the generator's"


def test_example_site_has_the_shape_the_brief_asks_for():
    roster = [r for _, r in read_records(SITE / "roster.jsonl")]
    forms = [r for _, r in read_records(SITE / "readiness_forms.jsonl")]
    workers = {r["employee"]: r for r in roster}
    assert sum(1 for r in workers.values() if r["mobile_equipment"]) >= 40
    assert any(not r["mobile_equipment"] and r["high_risk"] for r in workers.values())
    assert any(not r["mobile_equipment"] and not r["high_risk"] for r in workers.values())
    assert sorted({r["date"] for r in roster}) == [f"2026-03-0{d}" for d in range(2, 9)]
    per_day = Counter((r["employee"], r["date"]) for r in roster)
    assert max(per_day.values()) == 1, "someone is rostered twice on one day"
    rostered = {(r["employee"], r["date"], r["shift"]) for r in roster}
    assert len(forms) < len(rostered), "no form is missing"
    assert {e[0] for e in expected()} == RULES, "every fatigue rule should have a planted case"


def test_engine_finds_exactly_the_planted_anomalies():
    engine = patuh.Engine(["fatigue"], config=SITE / "config.yaml")
    facts = [record for path in FACT_FILES for record in read_records(path)]
    result = engine.evaluate(facts)
    got, want = found(result), expected()
    missing = sorted(Counter(want) - Counter(got))
    extra = sorted(Counter(got) - Counter(want))
    assert not missing and not extra, f"planted but not found: {missing}\nfound but not planted: {extra}"


def test_cli_json_is_the_same_bytes_on_every_run():
    first = run_cli(*EVAL, "--format", "json", hashseed="1")
    second = run_cli(*EVAL, "--format", "json", hashseed="2")
    assert first.returncode == 0, first.stderr.decode()
    assert second.returncode == 0, second.stderr.decode()
    assert first.stdout == second.stdout
    result = patuh.Result.model_validate_json(first.stdout)
    assert found(result) == expected()


def test_demo_table_prints_every_finding():
    proc = run_cli(*EVAL, "--format", "table")
    assert proc.returncode == 0, proc.stderr.decode()
    facts = sum(len(read_records(path)) for path in FACT_FILES)
    assert proc.stdout.decode().endswith(f"\n{len(expected())} findings from {facts} facts\n")
