"""The Zero Accident example (examples/zero-accident, the second part of `make demo`), end to end.

generate.py plants known incidents among everyday ones in a cement group's registers for
2023-2025 (incident register, hours register, company profiles, SMK3 audits) and writes the
findings they must produce to expected.json without running the engine. Here: the generator
reproduces the committed files byte for byte; the registers go through the detectors and the
engine into exactly the expected findings (rule, company, the incident or year it is about, and
the lost days a lost-time accident states), as multisets; the demo runs and writes its report.
"""
from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import patuh
import pytest
from patuh.detectors import forms, incidents

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "zero-accident"
GENERATED = ["companies.csv", "smk3_audits.csv", "register_kecelakaan.csv", "jam_kerja.csv", "config.yaml",
             "expected.json", "README.md"]
AS_OF = dt.datetime(2026, 1, 15, 8, tzinfo=dt.timezone(dt.timedelta(hours=7)))

# examples/zero-accident/generate.py (the plans), under its own name: examples/site has a generate.py too
_spec = importlib.util.spec_from_file_location("zero_accident_generate", EXAMPLE / "generate.py")
assert _spec is not None and _spec.loader is not None
generate = importlib.util.module_from_spec(_spec)
sys.modules["zero_accident_generate"] = generate  # dataclasses look their module up
_spec.loader.exec_module(generate)

Key = tuple[str, str, str, "int | None"]  # rule, company, incident id or year ("" for the outcome), days stated


def test_generator_reproduces_the_committed_files(tmp_path):
    proc = subprocess.run([sys.executable, str(EXAMPLE / "generate.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(GENERATED)
    for name in GENERATED:
        assert (tmp_path / name).read_bytes() == (EXAMPLE / name).read_bytes(), f"{name} differs from the generator's"


@pytest.fixture(scope="module")
def facts() -> list[dict]:
    types = forms.fact_types(EXAMPLE / "config.yaml")
    out = forms.read_forms([EXAMPLE / "companies.csv"], "company", types)
    out += forms.read_forms([EXAMPLE / "smk3_audits.csv"], "smk3_audit", types)
    out += incidents.read_incidents([EXAMPLE / "register_kecelakaan.csv"], types, ignore=["Uraian"])
    out += incidents.read_hours([EXAMPLE / "jam_kerja.csv"], types)[0]
    return out


def test_the_example_has_three_years_of_hours_and_an_incident_register(facts):
    hours = [f for f in facts if f["type"] == "work_hours"]
    assert sorted((f["company"], f["year"]) for f in hours) == sorted(
        (c, y) for c in ("PT-SKP", "CV-SBT") for y in (2023, 2024, 2025))
    kinds = Counter(f["kind"] for f in facts if f["type"] == "incident")
    assert set(kinds) == {"injury", "process_stop", "equipment_damage", "near_miss", "first_aid"}
    assert sum(kinds.values()) >= 40
    assert any(f.get("contractor") for f in facts if f["type"] == "incident")
    # every rule id the plans name has its case, and every expected finding says why
    plan = json.loads((EXAMPLE / "expected.json").read_text(encoding="utf-8"))
    named = {v for k, v in vars(generate).items() if k.isupper() and isinstance(v, str) and v.startswith("zero_")}
    assert {e["rule"] for e in plan} == named and all(e["event"] for e in plan)


def found(result) -> list[Key]:
    """(rule, company, ref, days) of each finding: the incident of its evidence, else the year of
    the hours row it matched; the days the message states for a lost-time accident."""
    out = []
    for finding in result.findings:
        chain, seen = list(finding.facts), set()
        refs: set[str] = set()
        while chain:
            fid = chain.pop()
            if fid in seen:
                continue
            seen.add(fid)
            fact = result.facts.get(fid, {})
            if fact.get("type") == "incident":
                refs.add(fact["incident"])
            if fact.get("type") == "work_hours" and fid in finding.facts:  # the row the finding is about
                refs.add(str(fact["year"]))
            if fid in result.derivations:
                chain += result.derivations[fid].facts
        if finding.rule in ("zero_accident.eligible", "zero_accident.not-eligible"):
            refs = set()
        assert len(refs) <= 1, (finding.rule, refs)
        days = re.search(r"; (\d+) work days lost", finding.message)
        out.append((finding.rule, finding.subject.id, refs.pop() if refs else "", int(days.group(1)) if days else None))
    return sorted(out, key=str)


def test_detectors_and_engine_find_exactly_the_planted_findings(facts):
    engine = patuh.Engine(["zero_accident"], config=EXAMPLE / "config.yaml")
    got = found(engine.evaluate(facts, as_of=AS_OF))
    want = sorted(((e["rule"], e["subject"], e["ref"], e["days"])
                   for e in json.loads((EXAMPLE / "expected.json").read_text(encoding="utf-8"))), key=str)
    missing, extra = Counter(want) - Counter(got), Counter(got) - Counter(want)
    assert not missing and not extra, (f"planted but not found: {sorted(missing)}\n"
                                       f"found but not planted: {sorted(extra)}")


def test_demo_runs_and_writes_its_report(tmp_path):
    pytest.importorskip("matplotlib")
    env = dict(os.environ, PATUH=str(Path(sys.executable).parent / "patuh"))
    proc = subprocess.run([sys.executable, str(EXAMPLE / "demo.py"), "--out", str(tmp_path)], capture_output=True,
                          text=True, env=env, cwd=EXAMPLE.parent.parent, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "CV-SBT (Perusahaan Kecil, 42 workers) is eligible for the Zero Accident award" in proc.stdout
    assert "PT-SKP is not eligible for the Zero Accident award" in proc.stdout
    assert sorted(p.name for p in (tmp_path / "report").iterdir()) == [
        "k3-statistics-cv-sbt.png", "k3-statistics-pt-skp.png", "k3-statistics.csv", "k3-statistics.txt"]
