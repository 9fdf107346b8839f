"""`patuh detect audit`: an auditor's SMK3 checklist (XLSX or CSV, the audit's header above the table
or as options) in, smk3_audit and smk3_criterion facts out that the smk3 pack judges; every bad row
named by file, row and column, exit 2, nothing on standard output."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import openpyxl
import patuh
import pytest
from patuh.cli import main
from patuh.detectors import audit as detector
from patuh.problems import FactsInvalid

SOURCE = Path(__file__).resolve().parents[1] / "rulesets" / "smk3" / "sources" / "smk3-pp50-2012-criteria.md"
AWAL = re.findall(r"^- (\d+\.\d+\.\d+) \[A\] ", SOURCE.read_text(encoding="utf-8"), re.M)  # the 64 of tingkat awal


def detect(capsys, *argv) -> tuple[int, list[dict], list[str]]:
    code = main(["detect", "audit", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], [line for line in err.splitlines() if line]


def checklist_xlsx(path: Path, rows: list[list], preamble: list[list] | None = None) -> Path:
    """A checklist as an auditor keeps it: a title and the audit's header above the table."""
    book = openpyxl.Workbook()
    sheet = book.active
    for line in preamble if preamble is not None else [
            ["CHECKLIST AUDIT SMK3 – PP 50/2012 LAMPIRAN II"],
            ["No Audit", "SMK3-2025-014"],
            ["Perusahaan", "PT Semen Padu"],
            ["Tanggal Audit", dt.date(2025, 5, 20)],
            ["Tingkat", "Tingkat Awal"],
            ["Badan Audit", "PT Sucofindo"],
            ["Jenis Audit:", "Eksternal"],
            []]:
        sheet.append(line)
    sheet.append(["No", "No Kriteria", "Uraian Kriteria", "Hasil", "Kategori", "Lokasi", "Bukti"])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def full_awal(changes: dict[str, list] | None = None) -> list[list]:
    """Every awal criterion met, but for the rows `changes` gives (criterion -> [result, category, ...])."""
    out = []
    for i, criterion in enumerate(AWAL, 1):
        result = (changes or {}).get(criterion, ["Sesuai"])
        out.append([i, criterion, "(uraian)"] + result + [""] * (4 - len(result)))
    return out


def test_an_xlsx_checklist_with_its_header_becomes_facts_the_pack_judges(tmp_path, capsys):
    path = checklist_xlsx(tmp_path / "checklist-SMK3-2025-014.xlsx", full_awal({
        "1.2.5": ["Tidak Sesuai", "Mayor", "Pos Pemadam", "SK petugas tanggap darurat tidak ada"],
        "6.1.6": ["Minor", "", "Bengkel Perawatan", "APD rusak dipakai"],
        "7.4.3": ["Tidak Berlaku", "", "", "Tidak ada dokter pemeriksa"],
        "1.1.1": ["Ya", "Mayor", "", ""],  # a category beside a met row is not read
    }))
    code, records, err = detect(capsys, path)
    assert (code, err) == (0, [])
    header, *rows = records
    assert header == {"type": "smk3_audit", "audit": "SMK3-2025-014", "company": "PT Semen Padu",
                      "date": "2025-05-20", "level": "awal", "auditor": "PT Sucofindo", "kind": "external",
                      "source": {"detector": "audit", "file": str(path), "row": 1}}
    assert len(rows) == 64 and {r["audit"] for r in rows} == {"SMK3-2025-014"}
    by = {r["criterion"]: r for r in rows}
    assert by["1.2.5"] == {"type": "smk3_criterion", "audit": "SMK3-2025-014", "criterion": "1.2.5",
                           "result": "not_met", "category": "major", "location": "Pos Pemadam",
                           "evidence": "SK petugas tanggap darurat tidak ada",
                           "source": {"detector": "audit", "file": str(path), "row": 14}}
    assert (by["6.1.6"]["result"], by["6.1.6"]["category"]) == ("not_met", "minor")
    assert by["7.4.3"]["result"] == "not_applicable" and by["1.1.1"] == {
        "type": "smk3_criterion", "audit": "SMK3-2025-014", "criterion": "1.1.1", "result": "met",
        "source": {"detector": "audit", "file": str(path), "row": 10}}
    run = patuh.Engine(["smk3"]).evaluate(records)
    outcome = next(f for f in run.findings if f.rule.startswith("smk3.outcome-"))
    # 61 met of 63 that apply (7.4.3 not applicable): 96.8 %, memuaskan, but a major finding.
    assert outcome.rule == "smk3.outcome-major-finding"
    assert "pencapaian 96.8 % – 61 dari 63 kriteria yang berlaku terpenuhi (1 kriteria tidak berlaku" in outcome.message
    assert sorted(f.rule for f in run.findings if f.rule.startswith("smk3.criterion-")) == [
        "smk3.criterion-not-met-major", "smk3.criterion-not-met-minor"]


def test_a_csv_checklist_takes_its_header_from_options(tmp_path, capsys):
    path = tmp_path / "checklist.csv"
    path.write_text("No Kriteria;Hasil;Kategori;Lokasi;Bukti\n1.1.1;Sesuai;;;\n1.1.3;Tidak Sesuai;Kritikal;"
                    "Dermaga Muat;\"Tidak ada rambu; pekerja tanpa APD\"\n1.2.2;N/A;;;\n", encoding="utf-8")
    code, records, err = detect(capsys, path, "--audit", "AI-2025-02", "--company", "PT Semen Padu", "--date",
                                "02/06/2025", "--level", "awal", "--kind", "internal")
    assert (code, err) == (0, [])
    assert records[0] == {"type": "smk3_audit", "audit": "AI-2025-02", "company": "PT Semen Padu",
                          "date": "2025-06-02", "level": "awal", "kind": "internal",
                          "source": {"detector": "audit", "file": str(path)}}
    assert [(r["criterion"], r["result"], r.get("category")) for r in records[1:]] == [
        ("1.1.1", "met", None), ("1.1.3", "not_met", "critical"), ("1.2.2", "not_applicable", None)]


def test_every_bad_row_is_named_and_nothing_is_written(tmp_path, capsys):
    path = checklist_xlsx(tmp_path / "checklist.xlsx", [
        [1, "1.1.1", "", "Sesuai"],
        [2, "13.1.1", "", "Sesuai"],                       # not in Lampiran II
        [3, "1.1.2", "", "Sesuai"],                        # a transisi criterion in an awal audit
        [4, "1.1.3", "", "Bagus"],                         # no such result
        [5, "1.2.2", "", "Tidak Sesuai", "", "Gudang"],    # not met without a category
        [6, "1.2.4", "", "Tidak Sesuai", "Berat"],         # no such category
        [7, "1.2.5", "", "Sesuai"],
        [8, "1.2.5", "", "Sesuai"],                        # the same row twice
    ])
    code, records, err = detect(capsys, path)
    assert (code, records) == (2, [])
    assert err == [
        f"error: {path}:11:2: smk3_criterion.criterion: '13.1.1' is not one of the 166 criteria of PP 50/2012 "
        "Lampiran II (1.1.1 to 12.5.1)",
        f"error: {path}:13:4: smk3_criterion.result: unknown result 'Bagus'; expected Sesuai, Terpenuhi, Ya (met); "
        "Tidak Sesuai, Tidak Terpenuhi, Tidak (not_met); Tidak Berlaku, N/A (not_applicable); or a category: "
        "Kritikal, Mayor, Minor (not met in that category)",
        f"error: {path}:15:5: smk3_criterion.category: unknown category 'Berat'; expected Kritikal (critical), Mayor "
        "(major), Minor (minor)",
        f"error: {path}:17: smk3_criterion: the same row as {path}:16 (criterion 1.2.5): one row per criterion and "
        "location",
        f"error: {path}:12:2: smk3_criterion.criterion: 1.1.2 is a criterion of tingkat transisi (PP 50/2012 "
        "Lampiran II), not of audit SMK3-2025-014's tingkat awal: the row or the audit's level is wrong",
        f"error: {path}:14:5: smk3_criterion.category: criterion 1.2.2 is not met without a category (Kritikal, "
        "Mayor or Minor): the certificate decision and the finding turn on it"]
    # what the detector lets through, the pack refuses alike (patuh eval names the record, file and row)
    facts = [{"type": "smk3_audit", "audit": "A-9", "company": "PT X", "date": "2025-05-20", "level": "awal"},
             {"type": "smk3_criterion", "audit": "A-9", "criterion": "1.1.2", "result": "met",
              "source": {"detector": "audit", "file": "c.xlsx", "row": 12}}]
    with pytest.raises(FactsInvalid) as caught:
        patuh.Engine(["smk3"]).evaluate(facts)
    assert str(caught.value.problems[0].where).endswith("(file c.xlsx, row 12)")


def test_one_criterion_twice_at_one_location_is_named_at_the_second(tmp_path, capsys):
    path = checklist_xlsx(tmp_path / "c.xlsx", full_awal({"1.2.2": ["Tidak Sesuai", "Minor", "Gudang", "foto 1"]})
                          + [[65, "1.2.2", "", "Tidak Sesuai", "Mayor", "Gudang", "foto 2"]])
    code, records, err = detect(capsys, path)
    assert (code, records) == (2, [])
    assert err == [f"error: {path}:74:6: smk3_criterion: criterion 1.2.2 again at 'Gudang' (first at {path}:12): one "
                   "row per criterion and location"]


def test_the_header_must_be_whole_and_agree_with_the_options(tmp_path, capsys):
    lacking = checklist_xlsx(tmp_path / "lacking.xlsx", [[1, "1.1.1", "", "Sesuai"]],
                             preamble=[["No Audit", "A-1"], ["Tingkat", "Menengah"], ["Alamat", "Jl. Industri 4"]])
    code, records, err = detect(capsys, lacking, "--level", "awal")
    assert (code, records) == (2, [])
    assert err == [
        f"error: {lacking}:3:1: 'Alamat' is not a field of the audit's header; expected audit, company, date, level, "
        "auditor, kind or their names (smk3_audit in the smk3 pack's facts.yaml), or --ignore 'Alamat'",
        f"error: --level: smk3_audit.level: 'awal' here, but 'Menengah' at {lacking}:2:2",
        f"error: {lacking}: the audit's header lacks company, date: give it above the table (company: ..., date: ...) "
        "or as --company --date"]
    path = checklist_xlsx(tmp_path / "ok.xlsx", [[1, "1.1.1", "", "Sesuai"]])
    code, records, err = detect(capsys, path, "--ignore", "Alamat", "--level", "transisi")
    assert err == [f"error: --level: smk3_audit.level: 'transisi' here, but 'awal' at {path}:5:2"]


@pytest.mark.parametrize("given", ["2025-05-20", "20/05/2025", "20 Mei 2025"])
def test_the_same_date_written_another_way_agrees_with_the_header(tmp_path, capsys, given):
    # the header holds an Excel date cell (2025-05-20); --date as an auditor types it is the same day
    path = checklist_xlsx(tmp_path / "c.xlsx", [[1, "1.1.1", "", "Sesuai"]])
    code, records, err = detect(capsys, path, "--date", given)
    assert (code, err) == (0, [])
    assert records[0]["date"] == "2025-05-20"
    code, records, err = detect(capsys, path, "--date", "21/05/2025")
    assert (code, records) == (2, [])
    assert err == [f"error: --date: smk3_audit.date: '21/05/2025' here, but the date 2025-05-20 at {path}:4:2"]


def test_records_give_the_header_as_a_smk3_audit_record(tmp_path, capsys):
    path = tmp_path / "checklist.jsonl"
    path.write_text(json.dumps({"type": "smk3_audit", "audit": "A-2", "company": "PT Semen Padu",
                                "date": "2025-05-20", "level": "Transisi", "kind": "Eksternal"}) + "\n" +
                    json.dumps({"No Kriteria": "1.1.2", "Hasil": "Tidak Sesuai", "Kategori": "Minor",
                                "Lokasi": "Gudang"}) + "\n", encoding="utf-8")
    code, records, err = detect(capsys, path)
    assert (code, err) == (0, [])
    assert [(r["type"], r.get("level"), r.get("category")) for r in records] == [
        ("smk3_audit", "transisi", None), ("smk3_criterion", None, "minor")]


def test_a_row_naming_another_audit_than_its_checklist_is_refused(tmp_path, capsys):
    path = tmp_path / "c.csv"
    path.write_text("No Audit,No Kriteria,Hasil\nA-3,1.1.1,Sesuai\nA-4,1.1.3,Sesuai\n", encoding="utf-8")
    code, _, err = detect(capsys, path, "--audit", "A-3", "--company", "PT X", "--date", "2025-05-20", "--level",
                          "awal")
    assert code == 2
    assert err == [f"error: {path}:3:1: smk3_criterion.audit: 'A-4', but the checklist's header says audit 'A-3'"]


def test_two_files_of_one_audit_must_agree_on_its_header(tmp_path, capsys):
    one = checklist_xlsx(tmp_path / "part1.xlsx", [[1, "1.1.1", "", "Sesuai"]])
    two = checklist_xlsx(tmp_path / "part2.xlsx", [[1, "1.1.3", "", "Sesuai"]])
    code, records, err = detect(capsys, one, two)
    assert (code, err) == (0, [])
    assert [r["type"] for r in records] == ["smk3_audit", "smk3_criterion", "smk3_criterion"]
    other = checklist_xlsx(tmp_path / "part3.xlsx", [[1, "1.2.2", "", "Sesuai"]], preamble=[
        ["No Audit", "SMK3-2025-014"], ["Perusahaan", "PT Semen Padu"], ["Tanggal Audit", "21/05/2025"],
        ["Tingkat", "Awal"]])
    code, records, err = detect(capsys, one, other)
    assert (code, records) == (2, [])
    assert err == [f"error: {other}: audit SMK3-2025-014 is also given by {one} with another header (auditor: "
                   "'PT Sucofindo' / None, date: '2025-05-20' / '2025-05-21', kind: 'external' / None)"]


def test_the_detector_from_python(tmp_path):
    path = checklist_xlsx(tmp_path / "c.xlsx", full_awal())
    [found] = [d for d in patuh.plugins.detectors(patuh.plugins.manager()).values() if d.name == "audit"]
    records = list(found.facts([path]))
    assert len(records) == 65 and records[0]["type"] == "smk3_audit"
    with pytest.raises(detector.DetectError):
        list(found.facts([path], header={"level": "lanjutan"}))
