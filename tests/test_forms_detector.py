"""`patuh detect forms`: a site's spreadsheet exports of the roster and the readiness form
(CK-FM-SHE-25-01) in, checked facts out, that `patuh eval` judges; every bad row named by file,
row, column and field, exit 2, nothing on stdout.

Detection runs in-process (patuh.cli.main); evaluation runs in a subprocess, as in
test_cli_errors.py (a crash in durable_rules' C core must not take the test run down).
"""
from __future__ import annotations

import ast
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import patuh
import pytest
from patuh.cli import main
from patuh.detectors import forms
from patuh.facts import FactTypes
from patuh.plugins import manager, named

REPO = Path(__file__).resolve().parents[1]
SITE_CONFIG = REPO / "examples" / "site" / "config.yaml"  # timezone: Asia/Makassar (WITA)

# The roster as the site's planner keeps it in Excel and exports it "CSV (semicolon)": Indonesian
# headers, day-first dates, Ya/Tidak. A night shift (II) crosses midnight.
ROSTER_CSV = """\
NIK;Nama;Tanggal;Shift;No Lambung;Jenis Unit;Jabatan;Alat Bergerak;Risiko Tinggi;Mulai;Selesai;Pengawas
CK-0412;Budi Santoso;02/03/2026;II;DT-1043;DT;Operator DT;Ya;Tidak;02/03/2026 18:00;03/03/2026 06:00;CK-0107
CK-0519;Andi Wijaya;02/03/2026;I;OHT-0771;OHT;Operator OHT;Ya;Tidak;02/03/2026 06:00;02/03/2026 18:00;CK-0107
CK-0633;Rudi Hartono;02/03/2026;I;WT-0210;WT;Operator WT;Y;tidak;02/03/2026 06:00;02/03/2026 18:00;CK-0107
"""

# The readiness forms as the form app exports them ("CSV UTF-8", comma-separated, a BOM, a
# decimal comma in a quoted cell, ISO dates from one clerk and day-first from another).
FORMS_CSV = ("\ufeffNIK,Tanggal,Shift,Jam Tidur,Fit,Diisi Pada,No Lambung,Diverifikasi Oleh\r\n"
             'CK-0412,02/03/2026,II,"3,5",Ya,02/03/2026 17:20,DT-1043,Hendra Gunawan\r\n'
             "CK-0519,2026-03-02,I,6,Ya,2026-03-02 05:35,OHT-0771,Hendra Gunawan\r\n"
             ",,,,,,,\r\n")  # the empty row a spreadsheet leaves below the data


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def detect(capsys, *argv) -> tuple[int, list[dict], list[str]]:
    code = main(["detect", *map(str, argv)])
    out, err = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines()]
    return code, records, [line for line in err.splitlines() if line]


def evaluate(*facts: Path) -> dict:
    done = subprocess.run([sys.executable, "-m", "patuh.cli", "eval", "--pack", "fatigue", "--config", str(SITE_CONFIG),
                           "--format", "json", "--facts", *map(str, facts)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_site_spreadsheets_round_trip_into_eval(tmp_path, capsys):
    roster = write(tmp_path / "roster-minggu-10.csv", ROSTER_CSV)
    forms_csv = write(tmp_path / "kesiapan-kerja.csv", FORMS_CSV)

    code, rostered, err = detect(capsys, "forms", roster, "--type", "roster", "--config", SITE_CONFIG)
    assert (code, err) == (0, [])
    assert [r["employee"] for r in rostered] == ["CK-0412", "CK-0519", "CK-0633"]
    night = rostered[0]
    assert night == {"type": "roster", "employee": "CK-0412", "name": "Budi Santoso", "date": "2026-03-02",
                     "shift": "II", "unit": "DT-1043", "unit_type": "DT", "role": "Operator DT",
                     "mobile_equipment": True, "high_risk": False, "start": "2026-03-02T18:00:00+08:00",
                     "end": "2026-03-03T06:00:00+08:00", "supervisor": "CK-0107",
                     "source": {"detector": "forms", "file": str(roster), "row": 2}}

    code, filled, err = detect(capsys, "forms", forms_csv, "--type", "readiness_form", "--config", SITE_CONFIG)
    assert (code, err) == (0, [])
    assert [(r["employee"], r["sleep_hours"], r["fit"], r["filled_at"], r["source"]["row"]) for r in filled] == [
        ("CK-0412", 3.5, True, "2026-03-02T17:20:00+08:00", 2), ("CK-0519", 6, True, "2026-03-02T05:35:00+08:00", 3)]

    facts = tmp_path / "facts.jsonl"
    facts.write_text("".join(json.dumps(r) + "\n" for r in rostered + filled), encoding="utf-8")
    result = evaluate(facts)
    found = sorted((f["rule"], f["subject"]["id"]) for f in result["findings"])
    assert ("fatigue.sleep-under-4h", "CK-0412") in found  # 3,5 h of sleep
    assert ("fatigue.sleep-shortfall-survey", "CK-0519") in found  # 6 h: under 7, a survey
    assert ("fatigue.readiness-form-missing", "CK-0633") in found  # rostered, no form
    # every finding's evidence leads back to the spreadsheet row
    sources = {(f["source"]["file"], f["source"]["row"]) for i, f in result["facts"].items()
               if i not in result["derivations"]}  # derived facts lead back through their derivation
    assert (str(forms_csv), 2) in sources and (str(roster), 4) in sources


def test_json_jsonl_and_yaml_exports(tmp_path, capsys):
    records = [{"NIK": "CK-0412", "Tanggal": "02/03/2026", "Shift": "II", "Jam Tidur": 3.5, "Fit": "Ya"},
               {"employee": "CK-0519", "date": "2026-03-02", "shift": "I", "sleep_hours": "6,5", "fit": True,
                "type": "readiness_form"}]
    as_json = write(tmp_path / "forms.json", json.dumps({"facts": records}))
    as_jsonl = write(tmp_path / "forms.jsonl", "".join(json.dumps(r) + "\n" for r in records))
    as_yaml = write(tmp_path / "forms.yaml", "- {NIK: CK-0412, Tanggal: 02/03/2026, Shift: II, Jam Tidur: 3.5, "
                                             "Fit: Ya}\n- {employee: CK-0519, date: 2026-03-02, shift: I, "
                                             "sleep_hours: '6,5', fit: true}\n")
    for path, rows in ((as_json, [1, 2]), (as_jsonl, [1, 2]), (as_yaml, [1, 2])):
        code, out, err = detect(capsys, "forms", path, "--type", "readiness_form")
        assert (code, err) == (0, [])
        assert [(r["employee"], r["date"], r["sleep_hours"], r["fit"]) for r in out] == [
            ("CK-0412", "2026-03-02", 3.5, True), ("CK-0519", "2026-03-02", 6.5, True)]
        assert [r["source"]["row"] for r in out] == rows


def test_p2h_and_inspection_forms_with_indonesian_headers(tmp_path, capsys):
    """The later forms' usual headers: Waktu (Pemeriksaan), Hasil, Kerusakan, Dilaporkan,
    Ditandatangani, Pemeriksa; a name column left out with --ignore."""
    p2h = write(tmp_path / "p2h.csv",
                "NIK;Nama;Tanggal;Shift;No Lambung;Waktu Pemeriksaan;Hasil;Kerusakan;Dilaporkan;Diverifikasi Oleh;"
                "Ditandatangani\n"
                "CK-0412;Budi Santoso;02/03/2026;II;DT-1043;02/03/2026 17:52;damaged;bracket longgar;Tidak;"
                "Hendra Gunawan;Ya\n"
                "CK-0519;Andi Wijaya;02/03/2026;I;OHT-0771;02/03/2026 05:50;ok;;;;\n")
    code, out, err = detect(capsys, "forms", p2h, "--type", "p2h_camera_check", "--ignore", "Nama",
                            "--config", SITE_CONFIG)
    assert (code, err) == (0, [])
    assert [{k: v for k, v in r.items() if k not in ("type", "source")} for r in out] == [
        {"employee": "CK-0412", "date": "2026-03-02", "shift": "II", "unit": "DT-1043",
         "time": "2026-03-02T17:52:00+08:00", "result": "damaged", "defect": "bracket longgar", "reported": False,
         "verified_by": "Hendra Gunawan", "signed": True},
        {"employee": "CK-0519", "date": "2026-03-02", "shift": "I", "unit": "OHT-0771",
         "time": "2026-03-02T05:50:00+08:00", "result": "ok"}]
    inspections = write(tmp_path / "inspeksi.csv", "NIK,Nama,Waktu,Pemeriksa,No Lambung,Jenis Unit,Hasil\n"
                                                   "CK-0412,Budi Santoso,03/03/2026 02:10,Agus Salim,DT-1043,DT,fit\n")
    code, out, err = detect(capsys, "forms", inspections, "--type", "fatigue_inspection", "--ignore", "Nama",
                            "--config", SITE_CONFIG)
    assert (code, err) == (0, [])
    assert {k: v for k, v in out[0].items() if k != "source"} == {
        "type": "fatigue_inspection", "employee": "CK-0412", "time": "2026-03-03T02:10:00+08:00",
        "inspector": "Agus Salim", "unit": "DT-1043", "unit_type": "DT", "result": "fit"}


def bad(tmp_path, capsys, text: str | None, *more: Path | str, name: str = "kesiapan.csv") -> list[str]:
    """The error lines for a file (written from `text`, or already there when None), paths shortened."""
    path = tmp_path / name if text is None else write(tmp_path / name, text)
    code, out, err = detect(capsys, "forms", path, *more, "--type", "readiness_form")
    assert code == 2 and out == []
    return [line.replace(str(tmp_path) + "/", "") for line in err]


HEADER = "NIK,Tanggal,Shift,Jam Tidur,Fit\n"


def test_missing_column(tmp_path, capsys):
    assert bad(tmp_path, capsys, "NIK,Tanggal,Shift,Fit\nCK-0412,02/03/2026,II,Ya\n") == [
        "error: kesiapan.csv:1: readiness_form.sleep_hours: no column for this required field (number); "
        "the header has: NIK, Tanggal, Shift, Fit"]


def test_bad_date(tmp_path, capsys):
    assert bad(tmp_path, capsys, HEADER + "CK-0412,31/02/2026,II,7,Ya\nCK-0519,Senin,I,7,Ya\n") == [
        "error: kesiapan.csv:2:2: readiness_form.date: no such date (day is out of range for month), "
        "found '31/02/2026'",
        "error: kesiapan.csv:3:2: readiness_form.date: expected a date as 2026-03-02 or 02/03/2026 "
        "(day/month/year), found 'Senin'"]


def test_mungkin_in_a_yes_no_column(tmp_path, capsys):
    assert bad(tmp_path, capsys, HEADER + "CK-0412,02/03/2026,II,7,Mungkin\n") == [
        "error: kesiapan.csv:2:5: readiness_form.fit: expected yes or no (Ya/Tidak, Y/N, Yes/No, True/False, "
        "1/0), found 'Mungkin'"]


def test_every_problem_of_every_file_together(tmp_path, capsys):
    other = write(tmp_path / "shift-malam.csv", HEADER + "CK-0777,02/03/2026,II,empat,Ya\n")
    errors = bad(tmp_path, capsys, HEADER + "CK-0412,02/03/2026,III,7,Ya\n"
                                            "CK-0519,02/03/2026,I,,T\n"
                                            "CK-0633,02/03/2026,I,7,Ya,lebih\n", other)
    assert errors == [
        "error: kesiapan.csv:2:3: readiness_form.shift: expected one of I, II, found 'III'",
        "error: kesiapan.csv:3:5: readiness_form.fit: expected yes or no (Ya/Tidak, Y/N, Yes/No, True/False, "
        "1/0), found 'T'",
        "error: kesiapan.csv:3:4: readiness_form.sleep_hours: missing (number, required)",
        "error: kesiapan.csv:4:6: row has 6 cells, the header names 5 columns",
        "error: shift-malam.csv:2:4: readiness_form.sleep_hours: expected a number, e.g. 6.5 or 6,5, "
        "found 'empat'"]


def test_unknown_column_needs_map_or_ignore(tmp_path, capsys):
    text = "NIK,Nama,Tanggal,Shift,Lama Istirahat,Fit,Catatan\nCK-0412,Budi,02/03/2026,II,7,Ya,ok\n"
    errors = bad(tmp_path, capsys, text)
    assert errors[0].startswith("error: kesiapan.csv:1:2: column 'Nama' is not a field of readiness_form")
    assert len(errors) == 4  # Nama, Lama Istirahat, Catatan, and no sleep_hours column
    path = tmp_path / "kesiapan.csv"
    code, out, err = detect(capsys, "forms", path, "--type", "readiness_form", "--map", "Lama Istirahat=sleep_hours",
                            "--ignore", "Nama", "--map", "Catatan=")
    assert (code, err) == (0, []) and out[0]["sleep_hours"] == 7


def test_unknown_type_and_unreadable_file(tmp_path, capsys):
    code, out, err = detect(capsys, "forms", tmp_path / "nope.csv", "--type", "readiness_form")
    assert code == 2 and out == [] and err[0].startswith(f"error: {tmp_path}/nope.csv: cannot read")
    code, out, err = detect(capsys, "forms", tmp_path / "nope.csv", "--type", "kesiapan")
    assert code == 2 and err[0].startswith("error: --type kesiapan: not a declared fact type")
    assert bad(tmp_path, capsys, "", name="kosong.csv") == [
        "error: kosong.csv:1: expected a header row naming the columns; the file is empty"]
    assert bad(tmp_path, capsys, "{\"employee\": \"CK-1\"}\n{oops\n", name="forms.jsonl")[0].startswith(
        "error: forms.jsonl:2:2: invalid JSON")


def test_record_of_another_type_is_refused(tmp_path, capsys):
    errors = bad(tmp_path, capsys, json.dumps({"type": "roster", "employee": "CK-1"}) + "\n", name="x.jsonl")
    assert errors == ["error: x.jsonl:1: record is a 'roster', not a 'readiness_form' (--type)"]


def test_generic_over_declared_types(tmp_path):
    """Any declared type reads the same way: a type the pack does not have yet (a survey form)
    works as soon as some plugin declares it, with the headers it declares (`aliases`)."""
    types = FactTypes({"fatigue_survey": {"subject": "employee", "fields": {
        "employee": {"type": "string", "required": True, "aliases": ["NIK"]},
        "time": {"type": "datetime", "required": True},
        "fatigued": {"type": "boolean"}, "score": {"type": "integer"}}}}, "Asia/Makassar")
    path = write(tmp_path / "survey.csv", "NIK,Time,Fatigued,Score\nCK-0412,03/03/2026 02:15,Tidak,12\n")
    out = forms.read_forms([path], "fatigue_survey", types)
    assert out == [{"type": "fatigue_survey", "employee": "CK-0412", "time": "2026-03-03T02:15:00+08:00",
                    "fatigued": False, "score": 12, "source": {"detector": "forms", "file": str(path), "row": 2}}]


def test_registered_through_the_detectors_hook(tmp_path):
    detector = named(manager(), "patuh_detectors")["forms"]
    path = write(tmp_path / "f.csv", HEADER + "CK-0412,02/03/2026,II,7,Ya\n")
    assert [r["employee"] for r in detector.facts([path], type="readiness_form")] == ["CK-0412"]
    with pytest.raises(forms.DetectError) as caught:
        list(detector.facts([write(tmp_path / "g.csv", HEADER + "CK-0412,02/03/2026,II,7,Mungkin\n")],
                            type="readiness_form"))
    assert "g.csv:2:5: readiness_form.fit" in caught.value.problems[0]


# -- Excel registers, header aliases --------------------------------------------------------------

def workbook(path: Path, *rows: list) -> Path:
    """An .xlsx as a site keeps it: openpyxl stores dates and datetimes as Excel dates (date
    formats), numbers as numbers, and text as text."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Kesiapan Kerja"
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


REGISTER_HEADER = ["NIK", "Nama", "Tanggal", "Shift", "Jam Tidur", "Fit untuk Bekerja", "Diisi Pada"]


def test_xlsx_register_with_indonesian_headers(tmp_path, capsys):
    path = workbook(tmp_path / "kesiapan-kerja.xlsx", REGISTER_HEADER,
                    # Excel dates and numbers, as a clerk types them into the sheet
                    ["CK-0412", "Budi Santoso", dt.date(2026, 3, 2), "II", 3.5, "Ya", dt.datetime(2026, 3, 2, 17, 20)],
                    # text pasted from the form app: day first, a decimal comma
                    ["CK-0519", "Andi Wijaya", "02/03/2026", "I", "6,5", "Tidak", "02/03/2026 05:35"],
                    [],  # an empty row between the entries
                    [10264, "Rudi Hartono", dt.date(2026, 3, 3), "I", 7, "ya", None])  # an id typed as a number
    code, out, err = detect(capsys, "forms", path, "--type", "readiness_form", "--ignore", "Nama",
                            "--config", SITE_CONFIG)
    assert (code, err) == (0, [])
    source = {"detector": "forms", "file": str(path)}
    assert out == [
        {"type": "readiness_form", "employee": "CK-0412", "date": "2026-03-02", "shift": "II", "sleep_hours": 3.5,
         "fit": True, "filled_at": "2026-03-02T17:20:00+08:00", "source": {**source, "row": 2}},
        {"type": "readiness_form", "employee": "CK-0519", "date": "2026-03-02", "shift": "I", "sleep_hours": 6.5,
         "fit": False, "filled_at": "2026-03-02T05:35:00+08:00", "source": {**source, "row": 3}},
        {"type": "readiness_form", "employee": "10264", "date": "2026-03-03", "shift": "I", "sleep_hours": 7,
         "fit": True, "source": {**source, "row": 5}}]


def test_bad_xlsx_rows_named_by_file_row_and_column(tmp_path, capsys):
    workbook(tmp_path / "kesiapan.xlsx", REGISTER_HEADER,
             ["CK-0412", "Budi Santoso", "31/02/2026", "II", 7, "Ya", None],
             ["CK-0519", "Andi Wijaya", dt.date(2026, 3, 2), "I", 7, "T", None],
             ["CK-0633", "Rudi Hartono", dt.date(2026, 3, 2), "I", "=2*3", "Ya", None])  # saved without its value
    assert bad(tmp_path, capsys, None, "--ignore", "Nama", name="kesiapan.xlsx") == [
        "error: kesiapan.xlsx:2:3: readiness_form.date: no such date (day is out of range for month), "
        "found '31/02/2026'",
        "error: kesiapan.xlsx:3:6: readiness_form.fit: expected yes or no (Ya/Tidak, Y/N, Yes/No, True/False, "
        "1/0), found 'T'",
        "error: kesiapan.xlsx:4:5: cell E4 holds the formula =2*3 with no value saved (the workbook was written by "
        "a program that does not calculate); open and save it in Excel, or paste the values"]


def test_csv_with_bom_semicolons_and_a_cell_over_two_lines(tmp_path, capsys):
    """Excel's "CSV UTF-8" under an Indonesian locale: a byte-order mark, `;` between cells, and a
    note typed with a line break, which is one spreadsheet row, not two."""
    path = write(tmp_path / "kesiapan.csv",
                 "\ufeffNIK;Tanggal;Shift;Jam Tidur;Fit untuk Bekerja;Catatan\r\n"
                 'CK-0412;02/03/2026;II;3,5;Tidak;"kurang tidur;\r\nanak sakit"\r\n'
                 "CK-0519;2.3.2026;I;7;Y;\r\n")
    code, out, err = detect(capsys, "forms", path, "--type", "readiness_form", "--ignore", "Catatan")
    assert (code, err) == (0, [])
    assert out == [
        {"type": "readiness_form", "employee": "CK-0412", "date": "2026-03-02", "shift": "II", "sleep_hours": 3.5,
         "fit": False, "source": {"detector": "forms", "file": str(path), "row": 2}},
        {"type": "readiness_form", "employee": "CK-0519", "date": "2026-03-02", "shift": "I", "sleep_hours": 7,
         "fit": True, "source": {"detector": "forms", "file": str(path), "row": 3}}]


def test_aliases_come_from_the_packs_facts_yaml(tmp_path, capsys):
    """A third-party pack declares the headers its own form uses; no table in the detector."""
    pack = tmp_path / "toolbox"
    pack.mkdir()
    (pack / "pack.yaml").write_text("name: toolbox\nversion: 1.0.0\nlanguage: id\ndocument: {number: TB-01, "
                                    "title: Toolbox Talk, issuer: Site, revision: '01', effective: 2026-01-01}\n")
    (pack / "facts.yaml").write_text(
        "facts:\n"
        "  toolbox_talk:\n"
        "    subject: employee\n"
        "    fields:\n"
        "      employee: {type: string, required: true, aliases: [Nomor Induk]}\n"
        "      topic: {type: string, aliases: [Topik, Materi]}\n"
        "      attended: {type: boolean, aliases: [Hadir]}\n")
    assert main(["lint", str(pack)]) == 0
    capsys.readouterr()
    path = write(tmp_path / "toolbox.csv", "NOMOR INDUK,Materi,hadir\nCK-0412,Kerja di ketinggian,Ya\n")
    assert forms.read_forms([path], "toolbox_talk", patuh.Engine([pack]).types) == [
        {"type": "toolbox_talk", "employee": "CK-0412", "topic": "Kerja di ketinggian", "attended": True,
         "source": {"detector": "forms", "file": str(path), "row": 2}}]


def test_detectors_use_only_the_small_public_api():
    """patuh.fact_types, patuh.parameters and patuh.tables, patuh.rows, .models, .problems and .plugins: never the
    engine's internals (api, config, pack, facts, documents, lint), which may change under them."""
    allowed = {"patuh", "patuh.fact_types", "patuh.parameters", "patuh.tables", "patuh.rows", "patuh.models",
               "patuh.problems", "patuh.plugins"}
    used = set()
    for path in sorted((REPO / "detectors").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                used |= {(path.name, a.name) for a in node.names if a.name.startswith("patuh")}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module.startswith("patuh"):
                used |= ({(path.name, f"patuh.{a.name}") for a in node.names} if node.module == "patuh"
                         else {(path.name, node.module)})
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "patuh":
                used.add((path.name, f"patuh.{node.attr}"))
    assert {(name, module) for name, module in used if module not in allowed} == set()


def test_a_sheets_type_or_id_column_is_a_column_not_the_records_own(tmp_path, capsys):
    # "Type" held the unit type; taken for the record's own `type` key, it vanished unseen, and
    # with it the roster's 6.3.1.3 sample. A record's own keys are its exact lowercase names.
    roster = write(tmp_path / "roster.csv", ROSTER_CSV.replace("Jenis Unit", "Type"))
    code, records, err = detect(capsys, "forms", roster, "--type", "roster")
    assert (code, records) == (2, [])
    assert err[0].startswith(f"error: {roster}:1:6: column 'Type' is not a field of roster; expected ")
    code, records, err = detect(capsys, "forms", roster, "--type", "roster", "--map", "Type=unit_type")
    assert (code, err) == (0, [])
    assert [r["unit_type"] for r in records] == ["DT", "OHT", "WT"]
