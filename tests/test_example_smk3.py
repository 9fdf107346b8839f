"""The smk3 example (examples/smk3, the second part of `make demo`), end to end.

generate.py writes a steel company's profile, certificate register and three audit checklists
(CSV with the header above the table, an auditor's XLSX, a bare CSV whose header comes as options)
from a plan, and the findings and obligations the plan must give on 2025-03-31 to expected.json,
without running the engine. Here: the generator reproduces the committed files; the records go
through the detectors and the smk3 pack into exactly the expected findings and obligations; the
demo runs and writes the report.
"""
from __future__ import annotations

import datetime as dt
import importlib.util
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import openpyxl
import patuh
from patuh.detectors import audit, forms

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "smk3"


def _module(name: str):
    """examples/smk3/NAME.py under a name of its own (examples/site has a generate.py and a demo.py)."""
    spec = importlib.util.spec_from_file_location(f"smk3_example_{name}", EXAMPLE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


generate = _module("generate")  # the plan
demo = _module("demo")  # the options the internal audit's header comes as


def cells(data: bytes, path: Path) -> list[tuple]:
    path.write_bytes(data)
    return [tuple(c.value for c in row) for row in openpyxl.load_workbook(path).active.iter_rows()]


def test_the_generator_reproduces_the_committed_files(tmp_path):
    for name, data in generate.files().items():
        if name.endswith(".xlsx"):  # the workbook's cells (its bytes depend on openpyxl's version)
            assert cells(data, tmp_path / "new.xlsx") == cells((EXAMPLE / name).read_bytes(), tmp_path / "old.xlsx")
        else:
            assert (EXAMPLE / name).read_bytes() == data.encode("utf-8"), name


def records() -> list[dict]:
    types = forms.fact_types()
    out = forms.read_forms([EXAMPLE / "company.csv"], "company", types)
    out += forms.read_forms([EXAMPLE / "certificates.csv"], "smk3_certificate", types)
    out += audit.read_checklists([EXAMPLE / "checklist-SMK3-2021-047.csv", EXAMPLE / "checklist-SMK3-2024-112.xlsx"],
                                 types)
    options = dict(zip(demo.INTERNAL[::2], demo.INTERNAL[1::2], strict=True))
    out += audit.read_checklists([EXAMPLE / "internal-AI-2025-006.csv"], types,
                                 header={k.lstrip("-"): v for k, v in options.items()})
    return out


def test_the_records_give_exactly_the_expected_findings_and_obligations():
    expected = json.loads((EXAMPLE / "expected.json").read_text(encoding="utf-8"))
    facts = records()
    assert Counter(f["type"] for f in facts) == {"company": 1, "smk3_certificate": 1, "smk3_audit": 3,
                                                 "smk3_criterion": 64 + 122 + 122}
    run = patuh.Engine(["smk3"]).evaluate(facts, as_of=dt.date.fromisoformat(expected["evaluated"]))

    def criterion(rule: str, clauses: list) -> str | None:
        return clauses[0].number if ".criterion-not-met-" in f".{rule}" else None

    found = Counter((f.rule, f.subject.id, criterion(f.rule, f.clauses)) for f in run.findings)
    assert found == Counter((e["rule"], e["subject"], e.get("criterion")) for e in expected["findings"])
    owed = Counter((o.rule, o.action, o.status, o.subject.id, criterion(o.rule, o.clauses)) for o in run.obligations)
    assert owed == Counter((e["rule"], e["action"], e["status"], e["subject"], e.get("criterion"))
                           for e in expected["obligations"])
    assert len(run.findings) == 32 and len(run.obligations) == 23


def test_the_demo_runs_the_detectors_eval_and_report(tmp_path):
    done = subprocess.run([sys.executable, str(EXAMPLE / "demo.py"), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "$ patuh detect audit" in done.stdout and "== audit SMK3-2024-112: 15 findings" in done.stdout
    report = tmp_path / "out" / "report"
    assert sorted(p.name for p in report.iterdir()) == [
        "smk3-audit-AI-2025-006.png", "smk3-audit-SMK3-2021-047.png", "smk3-audit-SMK3-2024-112.png",
        "smk3-audit-findings.csv", "smk3-audit.csv"]
    heads = [line.split(",") for line in (report / "smk3-audit.csv").read_text(encoding="utf-8").splitlines()
             if ",audit," in line]
    assert [(h[0], h[12], h[13], h[14]) for h in heads] == [
        ("SMK3-2021-047", "91.8", "memuaskan", "certificate"), ("SMK3-2024-112", "88.3", "memuaskan", "none"),
        ("AI-2025-006", "98.3", "memuaskan", "internal")]
