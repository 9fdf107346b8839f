"""patuh.rows, the one reader of tabular input: rows of raw cells with the file, row and column a
person would look at, or problems that say where; never another exception, never a row dropped."""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from patuh import rows
from patuh.problems import SourceError

HEADER = ["NIK", "Tanggal", "Jam Tidur"]


def xlsx(path: Path, *cells: list, sheets: dict[str, list[list]] | None = None) -> Path:
    book = openpyxl.Workbook()
    for row in cells:
        book.active.append(row)
    for name, more in (sheets or {}).items():
        sheet = book.create_sheet(name)
        for row in more:
            sheet.append(row)
    book.save(path)
    return path


def read(path: Path, sheet: str | None = None) -> tuple[list[tuple[int, dict, dict, list[str]]], list[str], list[str]]:
    """(number, cells, columns, problems) of each row, the header and the file's problems, as text."""
    problems: list[SourceError] = []
    found, header = rows.read(path, problems, sheet)
    return ([(r.number, r.cells, r.columns, [str(p) for p in r.problems]) for r in found], header,
            [str(p) for p in problems])


def test_csv_and_xlsx_give_the_same_rows(tmp_path):
    csv = tmp_path / "f.csv"
    csv.write_text("NIK,Tanggal,Jam Tidur\n CK-1 ,02/03/2026,\"6,5\"\n,,\nCK-2,03/03/2026,7\n", encoding="utf-8")
    book = xlsx(tmp_path / "f.xlsx", HEADER, [" CK-1 ", "02/03/2026", "6,5"], [], ["CK-2", "03/03/2026", "7"])
    columns = {"NIK": 1, "Tanggal": 2, "Jam Tidur": 3}
    expected = ([(2, {"NIK": "CK-1", "Tanggal": "02/03/2026", "Jam Tidur": "6,5"}, columns, []),
                 (4, {"NIK": "CK-2", "Tanggal": "03/03/2026", "Jam Tidur": "7"}, columns, [])], HEADER, [])
    assert read(csv) == read(book) == expected


def test_xlsx_values_as_excel_keeps_them(tmp_path):
    path = xlsx(tmp_path / "f.xlsx", ["Tanggal", "Waktu", "Jam Tidur", "Fit", "Hasil"],
                [dt.date(2026, 3, 2), dt.datetime(2026, 3, 2, 5, 30), 6.5, True, "=1+1"],
                [dt.datetime(2026, 3, 2, 12, 0), None, 7, False, "=1+2"])
    book = openpyxl.load_workbook(path)  # the second row's date shown as a date, though it holds 12:00
    book.active["A3"].number_format = "dd/mm/yyyy"
    book.save(path)
    _saved_values(path, {"E2": "2"})  # as Excel saves a formula: with its value; E3 is left without one
    found, header, problems = read(path)
    assert problems == []
    assert [(n, cells, bad) for n, cells, _, bad in found] == [
        (2, {"Tanggal": dt.date(2026, 3, 2), "Waktu": dt.datetime(2026, 3, 2, 5, 30), "Jam Tidur": 6.5, "Fit": True,
             "Hasil": 2}, []),
        (3, {"Tanggal": dt.datetime(2026, 3, 2, 12, 0), "Waktu": "", "Jam Tidur": 7, "Fit": False, "Hasil": ""},
         [f"{path}:3:5: cell E3 holds the formula =1+2 with no value saved (the workbook was written by a program "
          "that does not calculate); open and save it in Excel, or paste the values"])]


def _saved_values(path: Path, values: dict[str, str]) -> None:
    """Write the value Excel would have saved beside each formula cell (openpyxl saves none)."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for cell, value in values.items():
        sheet = re.sub(rf'(<c r="{cell}"[^>]*>\s*<f>[^<]*</f>)\s*<v\s*/>', rf"\g<1><v>{value}</v>", sheet)
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_xlsx_sheets_errors_and_extra_cells(tmp_path):
    path = xlsx(tmp_path / "f.xlsx", HEADER, ["CK-1", "#N/A", 7, "lebih"],
                sheets={"Shift II": [["NIK"], ["CK-9"]]})
    found, header, problems = read(path)
    assert (header, problems) == (HEADER, [])
    assert found[0][3] == [f"{path}:2:4: row has 4 cells, the header names 3 columns",
                           f"{path}:2:2: cell B2 holds Excel's error #N/A; fix the cell or its formula"]
    assert read(path, "Shift II")[0] == [(2, {"NIK": "CK-9"}, {"NIK": 1}, [])]
    assert read(path, "Shift III") == ([], [], [f"{path}: no sheet named 'Shift III'; the workbook has: Sheet, "
                                                f"Shift II"])


def test_a_chart_sheet_is_no_worksheet(tmp_path):
    """A sheet name can be a chart's: it has no cells, and the problem says so, not Python."""
    from openpyxl.chart import BarChart, Reference

    path = xlsx(tmp_path / "f.xlsx", HEADER, ["CK-1", "02/03/2026", 7])
    book = openpyxl.load_workbook(path)
    chart = BarChart()
    chart.add_data(Reference(book.active, min_col=3, min_row=1, max_row=2))
    book.create_chartsheet("Grafik").add_chart(chart)
    book.save(path)
    assert read(path, "Grafik") == ([], [], [f"{path}: sheet 'Grafik' is a chart, not a worksheet; the workbook's "
                                             "worksheets: Sheet"])
    assert read(path)[0][0][1] == {"NIK": "CK-1", "Tanggal": "02/03/2026", "Jam Tidur": 7}


def test_a_header_naming_a_column_twice_or_not_at_all(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("NIK;;NIK;Jam Tidur;;\nCK-1;x;CK-2;7;;\n", encoding="utf-8")
    found, header, problems = read(path)
    assert header == ["NIK", "", "NIK", "Jam Tidur"]  # trailing unnamed columns are no columns
    assert problems == [f"{path}:1:2: column 2 has no name", f"{path}:1:3: column 'NIK' appears twice (columns 1 "
                                                              "and 3)"]


def test_records_and_files_that_are_not_tables(tmp_path):
    jsonl = tmp_path / "f.jsonl"
    jsonl.write_text('{"NIK": "CK-1"}\n{oops\n["CK-2"]\n', encoding="utf-8")
    found, header, problems = read(jsonl)
    assert (header, problems) == ([], [f"{jsonl}:2:2: invalid JSON: Expecting property name enclosed in double "
                                       "quotes"])
    assert found == [(1, {"NIK": "CK-1"}, {}, []),
                     (3, {}, {}, [f"{jsonl}:3: expected a record (a mapping of field: value), found list"])]
    for name, content, said in [
            ("f.ods", b"", "unknown format '.ods'; expected .csv, .xlsx, .json, .jsonl, .yaml or .yml"),
            ("f.xlsx", b"NIK,Tanggal\n", "cannot read as an Excel workbook (.xlsx): not a zip archive; save it as "
                                         "Excel Workbook (.xlsx)"),
            ("f.csv", b"", "expected a header row naming the columns; the file is empty"),
            ("f.csv", b"NIK\n\xff\n", "cannot read file: not valid utf-8 (byte 0xff); save it as UTF-8")]:
        (tmp_path / name).write_bytes(content)
        assert read(tmp_path / name)[2][0].endswith(said)
    assert read(tmp_path / "missing.xlsx")[2] == [f"{tmp_path}/missing.xlsx: cannot read file: No such file or "
                                                  "directory"]


@given(st.binary(max_size=300), st.sampled_from([".csv", ".xlsx"]))
def test_any_bytes_read_or_refused_with_the_file_named(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("rows") / f"f{suffix}"
    path.write_bytes(data)
    problems: list = []
    found, _ = rows.read(path, problems)
    assert all(isinstance(p, SourceError) and p.where.file == str(path) for p in problems)
    assert all(r.file == str(path) and r.number > 1 for r in found)


def test_a_form_s_lines_above_its_table_are_its_preamble(tmp_path):
    """A checklist prints its header above the table: the header row is told by its cells, and the
    rows above it come back keyed by column number, with their row numbers."""
    def is_header(cells: list) -> bool:
        return "No Kriteria" in cells

    csv = tmp_path / "f.csv"
    csv.write_text("CHECKLIST AUDIT SMK3\nNo Audit;SMK3-01;\n;;\nTanggal Audit;20/05/2025;\n"  # a title, then ;
                   "No Kriteria;Hasil;Lokasi\n1.1.1;Sesuai;\n;;\n1.1.3;Tidak Sesuai;Gudang\n", encoding="utf-8")
    book = xlsx(tmp_path / "f.xlsx", ["CHECKLIST AUDIT SMK3"], ["No Audit", "SMK3-01"], [],
                ["Tanggal Audit", "20/05/2025"], ["No Kriteria", "Hasil", "Lokasi"], ["1.1.1", "Sesuai"], [],
                ["1.1.3", "Tidak Sesuai", "Gudang"])
    for path in (csv, book):
        problems: list[SourceError] = []
        above: list[rows.Row] = []
        found, header = rows.read(path, problems, header=is_header, preamble=above)
        assert problems == [] and header == ["No Kriteria", "Hasil", "Lokasi"]
        assert [(r.number, r.cells) for r in above] == [
            (1, {1: "CHECKLIST AUDIT SMK3"}), (2, {1: "No Audit", 2: "SMK3-01"}), (4, {1: "Tanggal Audit",
                                                                                  2: "20/05/2025"})]
        assert str(above[1].where(2)) == f"{path}:2:2"
        assert [(r.number, r.cells) for r in found] == [
            (6, {"No Kriteria": "1.1.1", "Hasil": "Sesuai", "Lokasi": ""}),
            (8, {"No Kriteria": "1.1.3", "Hasil": "Tidak Sesuai", "Lokasi": "Gudang"})]
        problems = []
        assert rows.read(path, problems, header=lambda cells: "Criterion" in cells) == ([], [])
        assert [str(p) for p in problems] == [f"{path}: expected a header row naming the columns; no row of the "
                                              "file looks like one"]


def test_a_sheet_is_read_as_it_shows_merged_padded_and_percent_cells(tmp_path):
    # A readiness register as a site keeps it: NIK formatted 00000 (Excel shows 00123, stores 123), the
    # supervisor's name merged over the three forms he verified, sleep computed by a formula
    # (=(bangun-tidur)*24 stores 6.999999999999999 where the sheet shows 7) and a share shown as percent.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["NIK", "Tanggal", "Jam Tidur", "Diverifikasi Oleh", "Kepatuhan"])
    sheet.append([123, "02/03/2026", 6.999999999999999, "Budi", 1.0])
    sheet.append([124, "02/03/2026", 7.5, None, 0.855])
    sheet.append([125, "02/03/2026", 8, None, 0])
    sheet.merge_cells("D2:D4")
    for number in (2, 3, 4):
        sheet.cell(number, 1).number_format = "00000"
        sheet.cell(number, 5).number_format = "0%"
    book.save(tmp_path / "f.xlsx")
    found, _, problems = read(tmp_path / "f.xlsx")
    assert problems == []
    assert [cells for _, cells, _, _ in found] == [
        {"NIK": "00123", "Tanggal": "02/03/2026", "Jam Tidur": 7.0, "Diverifikasi Oleh": "Budi", "Kepatuhan": "100%"},
        {"NIK": "00124", "Tanggal": "02/03/2026", "Jam Tidur": 7.5, "Diverifikasi Oleh": "Budi", "Kepatuhan": "85.5%"},
        {"NIK": "00125", "Tanggal": "02/03/2026", "Jam Tidur": 8, "Diverifikasi Oleh": "Budi", "Kepatuhan": "0%"}]


@pytest.mark.parametrize("title", ["LAPORAN INSIDEN, PT KARYA TAMBANG, MARET 2026", "Laporan; Insiden; Maret 2026"])
def test_the_separator_is_the_one_the_table_s_rows_agree_on(tmp_path, title):
    # a title above the table may hold either separator; the rows below it, decimal commas and all,
    # split into one same number of cells only by the file's own separator
    for separator, body in ((";", "NIK;Tanggal;Jam Tidur\nCK-1;02/03/2026;6,5\nCK-2;02/03/2026;7\n"
                                  "CK-3;02/03/2026;4,5\n"),
                            (",", 'NIK,Tanggal,Catatan\nCK-1,02/03/2026,"ok; 6,5 jam"\nCK-2,02/03/2026,ok\n'
                                  'CK-3,02/03/2026,tidur; cukup\n')):
        path = tmp_path / "f.csv"
        path.write_text(f"{title}\n{body}", encoding="utf-8")
        problems: list[SourceError] = []
        found, header = rows.read(path, problems, header=lambda cells: "NIK" in cells)
        assert problems == [], separator
        assert header[:2] == ["NIK", "Tanggal"], separator
        assert [r.cells["NIK"] for r in found] == ["CK-1", "CK-2", "CK-3"], separator
        assert found[0].cells[header[2]] in ("6,5", "ok; 6,5 jam")


def test_excels_separator_hint_names_the_separator(tmp_path):
    # "sep=," written by an export whose cells hold semicolons: the hint, not the count, decides
    csv = tmp_path / "f.csv"
    csv.write_text("sep=,\nNIK,Tanggal,Jam Tidur\nCK-1;CK-2,02/03/2026,7\n", encoding="utf-8")
    found, header, problems = read(csv)
    assert (header, problems) == (HEADER, [])
    assert [(number, cells) for number, cells, _, _ in found] == [
        (2, {"NIK": "CK-1;CK-2", "Tanggal": "02/03/2026", "Jam Tidur": "7"})]  # row 2 as Excel shows it


def test_a_date_in_excels_long_date_format_is_a_date(tmp_path):
    # Excel's Long Date ("Senin, 02 Maret 2026") is saved as [$-x-sysdate]dddd, mmmm dd, yyyy: its
    # "s" read as seconds made the cell a date and time, which a date field refuses
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.append(["CK-1", dt.datetime(2026, 3, 2), 7])
    book.active["B2"].number_format = "[$-x-sysdate]dddd, mmmm dd, yyyy"
    book.save(tmp_path / "f.xlsx")
    [(_, cells, _, _)], _, problems = read(tmp_path / "f.xlsx")
    assert (cells["Tanggal"], problems) == (dt.date(2026, 3, 2), [])


def test_a_range_merged_over_columns_stays_in_its_first_and_a_quoted_percent_is_shown_only(tmp_path):
    # "Verifikasi" written wide over two columns, the second unnamed: its value stays in the first,
    # as the old reader had it (copied across, every row had more cells than the header); a format
    # 0"%" shows 3 as 3%, it does not mean 300%
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["NIK", "Tanggal", "Verifikasi", None])
    sheet.append(["CK-1", "02/03/2026", "Budi", None])
    sheet.append(["CK-2", "02/03/2026", 3, None])
    sheet.merge_cells("C2:D2")
    sheet["C3"].number_format = '0"%"'
    book.save(tmp_path / "f.xlsx")
    found, header, problems = read(tmp_path / "f.xlsx")
    assert (header, problems) == (["NIK", "Tanggal", "Verifikasi"], [])
    assert [(cells, row_problems) for _, cells, _, row_problems in found] == [
        ({"NIK": "CK-1", "Tanggal": "02/03/2026", "Verifikasi": "Budi"}, []),
        ({"NIK": "CK-2", "Tanggal": "02/03/2026", "Verifikasi": 3}, [])]


@pytest.mark.parametrize("text", ["sep=;\rNIK;Tanggal;Jam Tidur\rCK-1;02/03/2026;7\r",
                                  '"SEP=;" \nNIK;Tanggal;Jam Tidur\nCK-1;02/03/2026;7\n'])
def test_the_separator_hint_whatever_the_line_endings_or_quotes(tmp_path, text):
    csv = tmp_path / "f.csv"
    csv.write_bytes(text.encode())
    found, header, problems = read(csv)
    assert (header, problems) == (HEADER, [])
    assert [cells for _, cells, _, _ in found] == [{"NIK": "CK-1", "Tanggal": "02/03/2026", "Jam Tidur": "7"}]


def test_a_separator_hint_with_nothing_below_is_an_error(tmp_path):
    csv = tmp_path / "f.csv"
    csv.write_text("sep=;\n", encoding="utf-8")
    assert read(csv) == ([], [], [f"{csv}:2: expected a header row naming the columns below the line 'sep=;'; "
                                  "there is none"])
