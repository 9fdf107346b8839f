"""`patuh detect csms`: a principal's CSMS registers as it keeps them (a contract register exported
"CSV (semicolon)" with Indonesian headers, day-first dates and Tinggi/Sedang/Rendah; PQ results in
rubric points; a workbook with an inspection checklist and the pre-job activities; final
evaluations with the sheet's own total; a monthly scorecard with the indicators' usual labels) into
the csms pack's facts, which `patuh eval` judges; every bad row named by file, row and column,
exit 2, nothing on standard output."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import patuh
import pytest
from patuh.cli import main
from patuh.detectors import csms
from patuh.plugins import detectors, manager

REGISTER = """\
No;No Kontrak;Judul Pekerjaan;Tingkat Risiko;Tanggal Penilaian Risiko;Tanggal Tender;Tanggal Mulai;Tanggal Selesai;\
Nama Kontraktor;Tanggal Penunjukan
1;K-30;Pemeliharaan pabrik;Sedang;05/01/2026;10/01/2026;01/03/2026;30/06/2026;PT  Alfa ;16/02/2026
2;K-31;Kebersihan kantor;Rendah;05/01/2026;10/01/2026;01/03/2026;31/05/2026;PT Beta;16/02/2026
3;K-33;Perbaikan jalan;Risiko Tinggi;05/02/2026;10/02/2026;;;;
"""
# PQ results in points of the 31-element rubric (A/B/C/D = 0/3/6/10, 310 at most): 217 is 70 %.
PQ = """\
Nama Kontraktor,Tanggal PQ,Nilai PQ,Kualifikasi,Berlaku Sampai
PT Alfa,03/11/2025,217,Menengah,02/11/2026
PT Beta,03/11/2025,155,Rendah,02/11/2026
"""
EVALUATIONS = """\
No Kontrak,Nama Kontraktor,Tanggal Evaluasi,Nilai PJA,Nilai Inspeksi,Nilai Program K3LL,Nilai KPI,Total,Predikat
K-31,PT Beta,15/06/2026,100,80,92 %,"92,0",90,Baik
"""
SCORECARD = """\
Nama Kontraktor,No Kontrak,Bulan,Indikator,Target,Realisasi
PT Alfa,K-30,Maret 2026,P3K,1,1
PT Alfa,K-30,03/2026,Safety Talk,20,25
PT Alfa,K-30,2026-03,LTI,,1
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Checklist Inspeksi"
    sheet.append(["No Kontrak", "Nama Kontraktor", "Tanggal Inspeksi", "Elemen", "Nilai Aktual", "Nilai Maksimum"])
    for element, actual, maximum in (("APD", 8, 10), ("Housekeeping", 7, 10), ("Izin kerja", 10, 10)):
        sheet.append(["K-30", "PT Alfa", dt.date(2026, 3, 20), element, actual, maximum])
    sheet.append(["K-31", "PT Beta", dt.date(2026, 3, 21), "APD", 9, 10])
    pja = book.create_sheet("PJA")
    pja.append(["No Kontrak", "Nama Kontraktor", "Tanggal PJA", "Lengkap", "Materi"])
    pja.append(["K-30", "PT Alfa", dt.date(2026, 3, 1), "Ya", '["JSA", "tanggap darurat"]'])
    pja.append(["K-31", "PT Beta", dt.date(2026, 3, 2), "Tidak", None])
    book.save(path)
    return path


def detect(capsys, *argv) -> tuple[int, list[dict], list[str]]:
    code = main(["detect", "csms", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], [line for line in err.splitlines() if line]


def without_source(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "source"} for r in records]


def test_a_principals_registers_into_the_csms_vocabulary(tmp_path, capsys):
    files = [write(tmp_path / "register-kontrak.csv", REGISTER), write(tmp_path / "hasil-pq.csv", PQ),
             workbook(tmp_path / "inspeksi.xlsx"), write(tmp_path / "evaluasi-akhir.csv", EVALUATIONS),
             write(tmp_path / "scorecard-2026-03.csv", SCORECARD)]
    code, records, notes = detect(capsys, *files, "--all-sheets", "--company", "PT Prinsipal", "--pq-max", "310")
    assert code == 0, notes
    by_type: dict[str, list[dict]] = {}
    for record in records:
        by_type.setdefault(record["type"], []).append(record)
    assert without_source(by_type["contract"]) == [
        {"type": "contract", "contract": "K-30", "company": "PT Prinsipal", "title": "Pemeliharaan pabrik",
         "risk": "medium", "risk_assessed": "2026-01-05", "tender": "2026-01-10", "start": "2026-03-01",
         "end": "2026-06-30"},
        {"type": "contract", "contract": "K-31", "company": "PT Prinsipal", "title": "Kebersihan kantor", "risk": "low",
         "risk_assessed": "2026-01-05", "tender": "2026-01-10", "start": "2026-03-01", "end": "2026-05-31"},
        {"type": "contract", "contract": "K-33", "company": "PT Prinsipal", "title": "Perbaikan jalan", "risk": "high",
         "risk_assessed": "2026-02-05", "tender": "2026-02-10"}]  # in tender: no dates, no award
    assert without_source(by_type["award"]) == [
        {"type": "award", "contract": "K-30", "contractor": "PT Alfa", "date": "2026-02-16"},  # spaces collapsed
        {"type": "award", "contract": "K-31", "contractor": "PT Beta", "date": "2026-02-16"}]
    assert [(r["contractor"], r["score"], r["level"]) for r in by_type["prequalification"]] == [
        ("PT Alfa", 70, "medium"), ("PT Beta", 50, "low")]  # 217 and 155 of 310
    [alfa, beta] = by_type["inspection"]
    assert (alfa["score"], alfa["source"]["rows"], alfa["source"]["sheet"]) == (pytest.approx(250 / 3), [2, 3, 4],
                                                                                 "Checklist Inspeksi")
    assert (beta["score"], beta["date"]) == (90, "2026-03-21")
    assert without_source(by_type["pre_job_activity"]) == [
        {"type": "pre_job_activity", "contract": "K-30", "contractor": "PT Alfa", "date": "2026-03-01",
         "complete": True, "items": ["JSA", "tanggap darurat"]},
        {"type": "pre_job_activity", "contract": "K-31", "contractor": "PT Beta", "date": "2026-03-02",
         "complete": False}]
    assert without_source(by_type["final_evaluation"]) == [
        {"type": "final_evaluation", "contract": "K-31", "contractor": "PT Beta", "date": "2026-06-15", "pja": 100,
         "inspection": 80, "programme": 92, "kpi": 92}]
    assert [(r["indicator"], r["month"]) for r in by_type["contractor_kpi"]] == [
        ("first_aid", "2026-03"), ("hse_talk", "2026-03"), ("lost_time_injuries", "2026-03")]
    assert by_type["contract"][0]["source"] == {"detector": "csms", "file": str(files[0]), "row": 2}
    assert notes == [f"note: {files[3]}: column(s) Total, Predikat not read: the csms pack computes the final "
                     "evaluation's total and outcome"]

    # ... which the pack judges: PT Beta's incomplete PJA does not discharge its pre-job activity,
    # and its final evaluation (100, 80, 92, 92) is exactly 90 %: good.
    result = patuh.Engine(["csms"]).evaluate(records, as_of=dt.date(2026, 6, 15))
    assert {(o.subject.id, o.status) for o in result.obligations if o.rule == "csms.pja-owed"} == {
        ("PT Alfa", "done"), ("PT Beta", "overdue")}
    assert {(d.contractor, d.outcome, d.total) for d in result.derived if d.type == "contractor_record"} == {
        ("PT Beta", "good", 90)}


def test_every_bad_row_is_named_and_nothing_is_written(tmp_path, capsys):
    register = write(tmp_path / "kontrak.csv", REGISTER.replace("Risiko Tinggi", "Sangat Tinggi")
                     .replace("PT Beta;16/02/2026", "PT Beta;")
                     + "4;K-30;Pemeliharaan pabrik;Tinggi;05/01/2026;10/01/2026;01/03/2026;30/06/2026;PT Alfa;"
                       "16/02/2026\n")
    pq = write(tmp_path / "pq.csv", "Nama Kontraktor,Tanggal PQ,Nilai PQ,Kualifikasi,Berlaku Sampai\n"
                                    "PT Alfa,03/11/2025,0.85,Menengah,02/11/2026\n"
                                    "PT Beta,03/11/2025,120,Rendah,31/02/2026\n")
    card = write(tmp_path / "kpi.csv", "Nama Kontraktor,Bulan,Indikator,Target,Realisasi\n"
                                       "PT Alfa,Mar-26,P3K,1,1\nPT Alfa,2026-03,Toolbox Talk,4,4\n")
    code, records, errors = detect(capsys, register, pq, card, "--company", "PT Prinsipal")
    assert code == 2 and records == []
    assert errors == [
        f"error: {register}:4:4: contract.risk: expected a risk level (Tinggi/High, Sedang/Medium, Rendah/Low), "
        "found 'Sangat Tinggi'",
        f"error: {register}:3:9: award.date: the row names the contractor but no award date (Tanggal Penunjukan)",
        f"error: {register}:5: contract 'K-30' is also in row 2 with other data; one contract, one row",
        f"error: {pq}:2:3: prequalification.score: '0.85' looks like a fraction (a percent-formatted cell holds 0.85 "
        "for 85 %); write the percentage, e.g. 85",
        f"error: {pq}:3:3: prequalification.score: expected a percentage from 0 to 100, found '120'",
        f"error: {pq}:3:5: prequalification.valid_until: no such date (day is out of range for month), "
        "found '31/02/2026'",
        f"error: {card}:2:2: contractor_kpi.month: expected a month (2026-03, 03/2026, Maret 2026), found 'Mar-26'",
        f"error: {card}:3:3: contractor_kpi.indicator: 'Toolbox Talk' is not an indicator of the csms pack's "
        "scorecard (kpi_leading, kpi_lagging); known: HSE meeting, HSE reporting, HSE talk, LTIs, PPE compliance, "
        "closure of actions, environmental incidents, fatalities, fire/asset damage, first aid, hours, housekeeping, "
        "industrial hygiene, inspection/audit, management visit, near-miss reporting, unsafe act/condition "
        "reporting, waste management, workers"]


def test_a_sheet_no_kind_fits_names_the_candidates(tmp_path, capsys):
    odd = write(tmp_path / "lain.csv", "Nama Kontraktor,Catatan\nPT Alfa,baik\n")
    code, records, errors = detect(capsys, odd)
    assert code == 2 and records == []
    [error] = errors
    assert error.startswith(f"error: {odd}:1: no kind of register fits its headers (Nama Kontraktor, Catatan); "
                            "candidates: contracts (1 columns, lacks company, contract); prequalification (1 columns, "
                            "lacks date, level, score, valid_until)")
    assert error.endswith("; name it with --type")


def test_a_checklist_item_over_its_maximum_is_refused(tmp_path, capsys):
    checklist = write(tmp_path / "checklist.csv", "No Kontrak,Nama Kontraktor,Tanggal Inspeksi,Elemen,Nilai Aktual,"
                                                  "Nilai Maksimum\nK-30,PT Alfa,20/03/2026,APD,12,10\n")
    code, records, errors = detect(capsys, checklist)
    assert (code, records) == (2, [])
    assert errors == [f"error: {checklist}:2:5: inspection checklist: 12 points of a maximum of 10"]


def test_one_inspection_is_one_however_its_date_is_written(tmp_path, capsys):
    # The inspector wrote the date three ways down one checklist: one inspection, 60 of 100 points
    # (grouped by the text, the first element alone passed the 80 % mark at 100 %).
    checklist = write(tmp_path / "checklist.csv", "No Kontrak,Nama Kontraktor,Tanggal Inspeksi,Elemen,Nilai Aktual,"
                                                  "Nilai Maksimum\nK-30,PT Alfa,22/01/2026,APD,40,40\n"
                                                  "K-30,PT Alfa,22/1/2026,Housekeeping,10,30\n"
                                                  "K-30,PT Alfa,2026-01-22,Izin Kerja,10,30\n")
    code, records, errors = detect(capsys, checklist)
    assert (code, errors) == (0, [])
    assert [(r["contract"], r["date"], r["score"], r["source"]["rows"]) for r in records] == [
        ("K-30", "2026-01-22", 60, [2, 3, 4])]


def test_a_month_typed_as_a_number_is_refused(tmp_path, capsys):
    # Excel keeps a Bulan typed 2026.10 as the number 2026.1: read as text it was January
    card = tmp_path / "kpi.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Nama Kontraktor", "Bulan", "Indikator", "Target", "Realisasi"])
    book.active.append(["PT Alfa", 2026.10, "P3K", 1, 1])
    book.save(card)
    code, records, errors = detect(capsys, card)
    assert (code, records) == (2, [])
    assert errors == [f"error: {card}:2:2: contractor_kpi.month: expected a month (2026-03, 03/2026, Maret 2026), "
                      "found the number 2026.1"]


def test_registered_through_the_detectors_hook_and_callable_from_python(tmp_path):
    detector = detectors(manager())["csms"]
    records = list(detector.facts([write(tmp_path / "pq.csv", PQ)], pq_max=310))
    assert [r["score"] for r in records] == [70, 50]
    with pytest.raises(csms.DetectError):
        list(detector.facts([write(tmp_path / "pq.csv", PQ)]))  # 217 without --pq-max is not a percentage


def test_a_percentage_under_pq_max_is_refused_not_read_as_points(tmp_path, capsys):
    # --pq-max 310 reads points: "78 %" (typed, or a percent-formatted cell) read as 78 points was 25.16 %
    path = write(tmp_path / "pq.csv", PQ.replace("155", "78 %"))
    code, records, errors = detect(capsys, path, "--pq-max", "310")
    assert (code, records) == (2, [])
    assert errors == [f"error: {path}:3:3: prequalification.score: '78 %' is a percentage, but --pq-max 310 reads "
                      "points of 310: give the points, or leave out --pq-max for a sheet of percentages"]


def test_a_percentage_written_with_its_sign_is_never_taken_for_a_fraction():
    # a percent-formatted cell now reads as the sheet shows it ("0.5%"); only a bare 0.5 is a fraction
    assert csms._percent("0.5%") == (0.5, None)
    assert csms._percent("0.5")[1].startswith("'0.5' looks like a fraction")
