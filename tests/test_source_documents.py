"""A pack that quotes two source documents: each clause says which, and a finding's citations
name the document, revision and number of each clause it rests on (PER.05/MEN/1996's article
beside a PP 50/2012 audit criterion, as the smk3 pack cites them)."""
from __future__ import annotations

from pathlib import Path

import patuh
import pytest
from patuh.problems import PackInvalid

PACK = {
    "pack.yaml": (
        "name: two-docs\n"
        "version: 1.0.0\n"
        "language: id\n"
        "partition_by: company\n"
        "document: {number: PER.05/MEN/1996, title: Sistem Manajemen K3, issuer: Menteri Tenaga Kerja, "
        'revision: "1996", effective: 1996-12-12}\n'
        "documents:\n"
        "  pp50: {number: PP 50/2012, title: Penerapan SMK3, issuer: Pemerintah Republik Indonesia, "
        'revision: "2012", effective: 2012-04-12}\n'),
    "clauses.yaml": (  # one clause a line: the tests point at their lines
        "clauses:\n"
        '  - {number: "3(1)", text: "Setiap perusahaan yang mempekerjakan tenaga kerja sebanyak seratus orang atau '
        'lebih ... wajib menerapkan Sistem Manajemen K3."}\n'
        '  - {number: "1.1.1", document: pp50, text: "Terdapat kebijakan K3 yang tertulis, bertanggal, '
        'ditandatangani oleh pengusaha atau pengurus."}\n'),
    "parameters.yaml": "parameters:\n  workers_min: {value: 100, clause: '3(1)'}\n",
    "facts.yaml": """\
facts:
  profile:
    subject: company
    fields:
      company: {type: string, required: true}
      workers: {type: integer, required: true}
      written_policy: {type: boolean}
""",
    "rules/r.yaml": """\
rules:
  - id: two-docs.no-policy
    title: Kebijakan K3 tertulis tidak ada
    clauses: ["3(1)", "1.1.1"]
    when:
      - fact: profile
        as: p
        where: {workers: {ge: $workers_min}, written_policy: false}
    then:
      finding: {severity: major, message: "{$p.company}: no written K3 policy"}
""",
}


def write_pack(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_citations_name_each_clauses_document(tmp_path):
    engine = patuh.Engine([write_pack(tmp_path / "two-docs", PACK)])
    facts = [{"type": "profile", "company": "PT-A", "workers": 120, "written_policy": False}]
    (finding,) = engine.evaluate(facts).findings
    assert [(c.document, c.revision, c.number) for c in finding.clauses] == [
        ("PER.05/MEN/1996", "1996", "3(1)"), ("PP 50/2012", "2012", "1.1.1")]
    assert finding.parameters["workers_min"].document == "PER.05/MEN/1996"


def test_a_clause_of_an_undeclared_document_is_refused(tmp_path):
    files = dict(PACK, **{"clauses.yaml": PACK["clauses.yaml"].replace("document: pp50", "document: pp51")})
    folder = write_pack(tmp_path / "two-docs", files)
    with pytest.raises(PackInvalid) as raised:
        patuh.load_pack(folder)
    (problem,) = raised.value.problems
    assert (problem.where.file, problem.where.line) == (str(folder / "clauses.yaml"), 3)
    assert problem.message == "clause 1.1.1 quotes document 'pp51', which pack.yaml's documents lack; documents: pp50"
