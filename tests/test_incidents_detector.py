"""`patuh detect incidents` and `patuh detect hours`: a company's incident register and hours
register, as K3 officers keep them in Excel with Indonesian headers, in; the zero_accident pack's
incident and work_hours facts out; every bad row named by file, row and column, exit 2, nothing
on standard output.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import patuh
import pytest
from patuh.cli import main

WIB = dt.timezone(dt.timedelta(hours=7))

# The register as a site's K3 officer exports it "CSV (semicolon)": the date and the clock time in
# two columns (the clock with a point, as Indonesian writes it), Indonesian words for the kind and
# the cause, the injured body part in "Anggota Tubuh" for every injury and "Jenis Cedera" saying
# which were amputations.
REGISTER_CSV = """\
No Kejadian;Perusahaan;Tanggal Kejadian;Jam Kejadian;Jenis Kejadian;Nama Korban;Kontraktor;Meninggal;\
Tanggal Kembali Bekerja;Jam Kembali Bekerja;Penyebab;Jenis Cedera;Anggota Tubuh;Ruas;Hari Hilang
K-01;PT Baja;02/03/2026;08.30;Cedera;Eko;;Tidak;04/03/2026;08.30;-;Luka sayat;Tangan;;
K-02;PT Baja;3 Februari 2026;10:00;Kecelakaan Kerja;Fajar;CV Mitra Las;Tidak;01/04/2026;07:00;Tidak Ada;Amputasi;\
Telunjuk;Ruas Pangkal;
K-03;PT Baja;05/03/2026;14:00;Terhentinya Proses;;;;;;Bencana Alam;;;;
K-04;PT Baja;06/03/2026;09:15;Hampir Celaka;;;;;;;;;;
K-05;PT Baja;07/03/2026;22:40;Cedera;Gita;;Tidak;12/03/2026;07:00;;Terkilir;Kaki;;4
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def detect(capsys, *argv) -> tuple[int, list[dict], list[str]]:
    code = main(["detect", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], [line for line in err.splitlines() if line]


def test_an_indonesian_register_becomes_incident_facts(tmp_path, capsys):
    code, records, err = detect(capsys, "incidents", write(tmp_path / "register.csv", REGISTER_CSV))
    assert (code, err) == (0, [])
    by_id = {r["incident"]: r for r in records}
    assert by_id["K-01"] == {"type": "incident", "incident": "K-01", "company": "PT Baja", "kind": "injury",
                             "person": "Eko", "fatal": False, "cause": "none",
                             "time": "2026-03-02T08:30:00+07:00", "returned_to_work": "2026-03-04T08:30:00+07:00",
                             "source": {"detector": "incidents", "file": str(tmp_path / "register.csv"), "row": 2}}
    # an amputation: "Anggota Tubuh" read as the part only where Jenis Cedera says Amputasi
    assert (by_id["K-02"]["amputation_part"], by_id["K-02"]["amputation_joint"]) == ("index", "base")
    assert by_id["K-02"]["time"] == "2026-02-03T10:00:00+07:00"  # "3 Februari 2026"
    assert by_id["K-02"]["contractor"] == "CV Mitra Las"
    assert "amputation_part" not in by_id["K-05"]  # a sprained foot is no 2,400-day amputation
    assert (by_id["K-03"]["kind"], by_id["K-03"]["cause"]) == ("process_stop", "natural_disaster")
    assert by_id["K-04"]["kind"] == "near_miss"
    assert by_id["K-05"]["days_lost"] == 4


def test_the_register_judged_by_the_pack(tmp_path, capsys):
    code, records, _ = detect(capsys, "incidents", write(tmp_path / "register.csv", REGISTER_CSV))
    engine = patuh.Engine(["zero_accident"], config={"timezone": "Asia/Jakarta"})
    result = engine.evaluate(records, as_of=dt.datetime(2026, 4, 2, tzinfo=WIB))
    ltas = sorted((f.rule, f.message.split(" at ")[0]) for f in result.findings
                  if f.rule.startswith("zero_accident.lost-time") or f.rule.startswith("zero_accident.excluded"))
    # K-01 back at exactly 48:00 is no lost-time accident; K-03's cause excludes it (but without a
    # shift pattern it cannot be judged at all: its unjudged observation stands in for it)
    assert ltas == [("zero_accident.lost-time-accident", "Lost-time accident K-02"),
                    ("zero_accident.lost-time-accident", "Lost-time accident K-05")]
    [k02] = [f for f in result.findings if "K-02" in f.message and f.rule.endswith("lost-time-accident")]
    assert "400 work days lost (Tangan dan Jari Tangan – Ruas pangkal – Telunjuk)" in k02.message


def test_an_xlsx_register_with_excels_dates_and_times(tmp_path, capsys):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["No Kejadian", "Perusahaan", "Tanggal Kejadian", "Jam Kejadian", "Jenis Kejadian", "Nama Korban",
                  "Kembali Bekerja", "Hari Hilang"])
    sheet.append(["K-10", "PT Baja", dt.date(2026, 3, 2), dt.time(8, 0), "Cedera", "Eko",
                  dt.datetime(2026, 3, 4, 8, 1), 2])
    sheet["C2"].number_format = "dd/mm/yyyy"
    sheet["D2"].number_format = "hh:mm"
    book.save(tmp_path / "register.xlsx")
    code, [record], err = detect(capsys, "incidents", tmp_path / "register.xlsx")
    assert (code, err) == (0, [])
    assert (record["time"], record["returned_to_work"]) == ("2026-03-02T08:00:00+07:00", "2026-03-04T08:01:00+07:00")


def test_a_date_and_a_clock_cell_that_disagree_are_an_error(tmp_path, capsys):
    # Read, the date cell's own 14:25 hid the clock cell's 05:30, and a clock cell dated the next
    # day (an injury past midnight) lost its day: the incident a day early, its 2 x 24 h with it.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["No Kejadian", "Perusahaan", "Tanggal Kejadian", "Jam Kejadian", "Jenis Kejadian"])
    sheet.append(["K-10", "PT Baja", dt.datetime(2026, 3, 2, 14, 25), dt.time(5, 30), "Hampir Celaka"])
    sheet.append(["K-11", "PT Baja", dt.date(2026, 3, 2), dt.datetime(2026, 3, 3, 1, 30), "Hampir Celaka"])
    sheet.append(["K-12", "PT Baja", dt.date(2026, 3, 2), dt.datetime(2026, 3, 2, 23, 50), "Hampir Celaka"])
    sheet.append(["K-13", "PT Baja", "2/3/2026", dt.datetime(2026, 3, 2, 23, 55), "Hampir Celaka"])  # one day
    sheet.append(["K-14", "PT Baja", dt.datetime(2026, 3, 2, 8, 30), dt.datetime(2026, 3, 5, 8, 30), "Hampir Celaka"])
    for row in (2, 3, 4, 5, 6):
        sheet.cell(row, 4).number_format = "hh:mm"
    sheet["C2"].number_format = "dd/mm/yyyy hh:mm"
    sheet["C3"].number_format = sheet["C4"].number_format = "dd/mm/yyyy"
    book.save(tmp_path / "register.xlsx")
    code, records, err = detect(capsys, "incidents", tmp_path / "register.xlsx")
    assert (code, records) == (2, [])
    register = tmp_path / "register.xlsx"
    assert err == [
        f"error: {register}:2:4: incident.time: Tanggal Kejadian 2026-03-02T14:25:00 and Jam Kejadian 05:30:00 give "
        "two clock times; write the date in one and the clock time in the other",
        f"error: {register}:3:4: incident.time: Tanggal Kejadian 2026-03-02 and Jam Kejadian 2026-03-03T01:30:00 give "
        "two days; write the date in one and the clock time in the other",
        f"error: {register}:6:4: incident.time: Tanggal Kejadian 2026-03-02T08:30:00 and Jam Kejadian "
        "2026-03-05T08:30:00 give two days; write the date in one and the clock time in the other"]


def test_a_json_record_gives_the_amputation_as_a_mapping(tmp_path, capsys):
    record = {"incident": "K-20", "company": "PT Baja", "time": "2026-03-02T08:00:00+07:00", "kind": "injury",
              "person": "Eko", "returned_to_work": "2026-04-02T08:00:00+07:00",
              "amputation": {"part": "Ibu Jari Kaki", "joint": "Metatarsal"}}
    code, [fact], err = detect(capsys, "incidents", write(tmp_path / "register.json", json.dumps([record])))
    assert (code, err) == (0, [])
    assert (fact["amputation_part"], fact["amputation_joint"]) == ("big_toe", "metacarpal")


def test_bad_rows_are_named_by_file_row_and_column_and_nothing_is_written(tmp_path, capsys):
    register = write(tmp_path / "register.csv", """\
No Kejadian;Perusahaan;Tanggal Kejadian;Jam Kejadian;Jenis Kejadian;Nama Korban;Penyebab;Kembali Bekerja
K-01;PT Baja;02/03/2026;;Cedera;Eko;;04/03/2026 09:00
K-02;PT Baja;02/03/2026;10:00;Kebakaran;Eko;;
K-03;PT Baja;02/03/2026;11:00;Cedera;Eko;unsafe act;05/03/2026 09:00
K-04;PT Baja;02/03/2026;12:00;Cedera;Fajar;;05/03/2026
""")
    code, records, err = detect(capsys, "incidents", register)
    assert (code, records) == (2, [])
    assert err == [
        f"error: {register}:2:3: incident.time: '02/03/2026' has no clock time; kind injury is judged to the minute "
        "(2 x 24 h, the next shift): give the time (in 'Jam Kejadian')",
        f"error: {register}:3:5: incident.kind: expected one of equipment_damage, first_aid, injury, near_miss, "
        "process_stop, found 'Kebakaran'",
        f"error: {register}:4:7: incident.cause: expected one of medical_process, natural_disaster, none, "
        "outside_control, war, found 'unsafe act'",
        f"error: {register}:5:8: incident.returned_to_work: '05/03/2026' has no clock time; kind injury is judged to "
        "the minute (2 x 24 h, the next shift): give the time",
    ]


def test_an_injured_body_part_is_never_read_as_an_amputation_unasked(tmp_path, capsys):
    register = write(tmp_path / "register.csv", "No Kejadian,Perusahaan,Waktu Kejadian,Jenis Kejadian,Anggota Tubuh\n"
                                                "K-01,PT Baja,02/03/2026 08:00,Cedera,Tangan\n"
                                                "K-02,PT Baja,02/03/2026 09:00,Cedera,Amputasi Kelingking\n")
    code, records, err = detect(capsys, "incidents", register)
    assert (code, records) == (2, [])
    [line] = err
    assert line.startswith(f"error: {register}:2:5: incident.amputation_part: 'Anggota Tubuh' holds 'Tangan', the "
                           "injured part of any injury")
    # said to hold amputations only, the column is read as such
    code, records, err = detect(capsys, "incidents", register, "--map", "Anggota Tubuh=amputation_part")
    assert code == 2 and "expected one of" in err[0] and "'Amputasi Kelingking'" in err[0]


def test_an_injury_column_that_denies_an_amputation_is_no_amputation(tmp_path, capsys):
    # "tidak ada amputasi" holds the word, and a torn hand became a 3,000-day amputation
    register = write(tmp_path / "register.csv", "No Kejadian;Perusahaan;Waktu Kejadian;Jenis Kejadian;Jenis Cedera;"
                                                "Anggota Tubuh\n"
                                                "K-01;PT Baja;02/03/2026 08.00;Cedera;Luka robek, tidak ada amputasi;"
                                                "Tangan\n"
                                                "K-02;PT Baja;02/03/2026 09.00;Cedera;Luka robek dan amputasi;"
                                                "Telunjuk\n"
                                                "K-03;PT Baja;02/03/2026 10.00;Cedera;Jari diamputasi;Kelingking\n"
                                                "K-04;PT Baja;02/03/2026 11.00;Cedera;Amputasi tanpa komplikasi;"
                                                "Jari Manis\n")
    code, records, err = detect(capsys, "incidents", register)
    assert (code, err) == (0, [])
    assert [(r["incident"], r.get("amputation_part")) for r in records] == [
        ("K-01", None), ("K-02", "index"), ("K-03", "little"), ("K-04", "ring")]


def test_an_amputation_without_the_part_lost_is_an_error(tmp_path, capsys):
    # its lost days (Lampiran I) are the part's: read as an injury, its days were the days away
    register = write(tmp_path / "register.csv", "No Kejadian;Perusahaan;Waktu Kejadian;Jenis Kejadian;Jenis Cedera;"
                                                "Anggota Tubuh\n"
                                                "K-01;PT Baja;02/03/2026 08.00;Cedera;Amputasi;\n"
                                                "K-02;PT Baja;02/03/2026 09.00;Cedera;Luka;Amputasi\n")
    code, records, err = detect(capsys, "incidents", register)
    assert (code, records) == (2, [])
    assert err == [f"error: {register}:{row}:6: incident.amputation_part: the row says Amputasi but 'Anggota Tubuh' "
                   f"does not name the part lost ({given!r}); the lost days of Lampiran I depend on it"
                   for row, given in ((2, ""), (3, "Amputasi"))]


def test_one_incident_id_twice_in_a_company_is_an_error_naming_both(tmp_path, capsys):
    register = write(tmp_path / "register.csv", "No Kejadian,Perusahaan,Waktu Kejadian,Jenis Kejadian\n"
                                                "K-01,PT Baja,02/03/2026 08:00,Hampir Celaka\n"
                                                "K-01,PT Baja,03/03/2026 08:00,Hampir Celaka\n"
                                                "K-01,PT Besi,03/03/2026 08:00,Hampir Celaka\n")
    code, records, err = detect(capsys, "incidents", register)
    assert (code, records) == (2, [])
    assert err == [f"error: {register}:3: incident.incident: 'K-01' of PT Baja is also the id of the incident at "
                   f"{register}:2; one id, one incident"]


# -- hours ------------------------------------------------------------------------------------------------

HOURS_CSV = """\
Perusahaan;Tahun;Jam Kerja Karyawan;Jam Lembur;Jam Kerja Kontraktor;Jam Lembur Kontraktor
PT Baja;2023;1.200.000;85.000,5;300.000;0
PT Baja;2024;1.250.000;90.000;310.000;
PT Baja;2025;1.234.567,25;1,234.5;1.234;12,5
"""


def test_an_hours_register_in_indonesian_numbers(tmp_path, capsys):
    code, records, err = detect(capsys, "hours", write(tmp_path / "hours.csv", HOURS_CSV))
    assert code == 0
    by_year = {r["year"]: r for r in records}
    assert (by_year[2023]["employee_hours"], by_year[2023]["overtime_hours"]) == (1200000, 85000.5)
    assert by_year[2023]["contractor_overtime_hours"] == 0  # 0 is given
    assert "contractor_overtime_hours" not in by_year[2024]  # blank: a missing series, not 0
    assert (by_year[2025]["employee_hours"], by_year[2025]["overtime_hours"]) == (1234567.25, 1234.5)
    # one point before three digits: thousands; one comma: a decimal comma; each such cell counted
    assert (by_year[2025]["contractor_hours"], by_year[2025]["contractor_overtime_hours"]) == (1234, 12.5)
    assert err == ["note: 5 hours cell(s) read the Indonesian way (1.234 as thousands, 12,5 as a decimal comma)"]


def test_bad_hours_rows_are_named_and_nothing_is_written(tmp_path, capsys):
    hours = write(tmp_path / "hours.csv", "Perusahaan,Tahun,Jam Kerja Karyawan,Jam Lembur\n"
                                          "PT Baja,25,100,0\n"
                                          "PT Baja,2024,-5,0\n"
                                          "PT Baja,2024,10,0\n"
                                          "PT Baja,2025,banyak,0\n")
    code, records, err = detect(capsys, "hours", hours)
    assert (code, records) == (2, [])
    assert err == [
        f"error: {hours}:2:2: work_hours.year: expected a year such as 2025, found '25'",
        f"error: {hours}:3:3: work_hours.employee_hours: -5 hours; hours are never negative",
        f"error: {hours}:5:3: work_hours.employee_hours: expected a number, e.g. 6.5 or 6,5, found 'banyak'",
    ]


def test_cells_typed_as_dates_or_durations_are_quoted_as_the_sheet_shows_them(tmp_path, capsys):
    # Excel turns a typed year into a date when the column is date-formatted, and keeps hours summed
    # in an [h]:mm column as a duration: both refused, quoted as the sheet shows them, not as Python's repr
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Perusahaan", "Tahun", "Jam Kerja Karyawan"])
    sheet.append(["PT Baja", dt.datetime(2025, 1, 1), 1000])
    sheet.append(["PT Baja", 2024, dt.timedelta(hours=1250, minutes=30)])
    sheet.cell(2, 2).number_format = "dd/mm/yyyy"
    sheet.cell(3, 3).number_format = "[h]:mm"
    book.save(tmp_path / "hours.xlsx")
    code, records, err = detect(capsys, "hours", tmp_path / "hours.xlsx")
    assert (code, records) == (2, [])
    assert err == [f"error: {tmp_path / 'hours.xlsx'}:2:2: work_hours.year: expected a year such as 2025, found the "
                   "date 2025-01-01", f"error: {tmp_path / 'hours.xlsx'}:3:3: work_hours.employee_hours: expected a "
                   "number, e.g. 6.5 or 6,5, found the duration 1250:30"]


def test_a_contractors_monthly_hours_name_their_month_one_way(tmp_path, capsys):
    # csms reads a month as 2026-03: "Maret 2026" kept as written was 36,000 hours no month held
    hours = write(tmp_path / "hours.csv", "Perusahaan;Kontraktor;Bulan;Jam Kerja Kontraktor\n"
                                          "PT Baja;PT Alfa;Maret 2026;12.000\nPT Baja;PT Alfa;04/2026;12.000\n"
                                          "PT Baja;PT Alfa;2026-03;1\nPT Baja;PT Alfa;Mar-26;1\n")
    code, records, err = detect(capsys, "hours", hours)
    assert (code, records) == (2, [])
    assert err == [f"error: {hours}:5:3: work_hours.month: expected a month (2026-03, 03/2026, Maret 2026), "
                   "found 'Mar-26'",
                   f"error: {hours}:4: work_hours: a second row for PT Baja 2026-03 (PT Alfa); the first is at "
                   f"{hours}:2"]


def test_two_rows_for_one_company_and_year_are_an_error(tmp_path, capsys):
    hours = write(tmp_path / "hours.csv", "Perusahaan,Tahun,Jam Kerja Karyawan\nPT Baja,2024,10\nPT Baja,2024,11\n")
    code, records, err = detect(capsys, "hours", hours)
    assert (code, records) == (2, [])
    assert err == [f"error: {hours}:3: work_hours: a second row for PT Baja 2024; the first is at {hours}:2"]


@pytest.mark.parametrize("detector", ["incidents", "hours"])
def test_the_detectors_come_through_the_hook(detector):
    from patuh.plugins import manager, named

    found = named(manager(), "patuh_detectors")
    assert found[detector].fact_types == ({"incidents": "incident", "hours": "work_hours"}[detector],)
