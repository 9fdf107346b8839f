#!/usr/bin/env python3
"""Write the smk3 example: a steel company's SMK3 records and the findings they must give.

    python examples/smk3/generate.py      # rewrites the files beside it (fixed seeds, no clock)

PT Baja Timur Perkasa melts scrap in an electric arc furnace (a fire and explosion hazard, 3(1)),
with 420 workers. Its audit history climbs two levels:

- SMK3-2021-047, tingkat awal, by PT Sucofindo, last day 2021-10-21: 56 of 61 applicable criteria
  met (3 not applicable, 5 minor): 91.8 %, memuaskan; the certificate 4471/SMK3/2022 was issued on
  2022-01-17 (gold flag). Its checklist: checklist-SMK3-2021-047.csv (`;`, the header above it).
- SMK3-2024-112, tingkat transisi, by PT Sucofindo, last day 2024-11-28 (three years and 38 days
  after the first: a gap, 7(1)): 106 of 120 applicable met (2 not applicable, 1 major, 13 minor):
  88.3 %, memuaskan, but a major finding, so no certificate. Its checklist:
  checklist-SMK3-2024-112.xlsx, the audit's header above the table, as an auditor keeps it. Four
  of the 2021 minor criteria are met again (their corrective actions closed late, after the 90
  days); one is not met again.
- AI-2025-006, the company's internal audit (tingkat transisi), last day 2025-01-15: the 14
  criteria the 2024 audit found not met are met (the major one after its 30 days: late; the 13
  minor ones within 90 days: done), two other criteria minor. Its checklist has no header lines:
  internal-AI-2025-006.csv, read with the header as options.

The register of certificates (certificates.csv) and the company's profile (company.csv) are
read by `patuh detect forms`. Evaluated on 2025-03-31 (EVALUATED): the certificate ran out on
2025-01-17 (9(1)). expected.json lists every finding and obligation this plan must give, worked
out here from the plan and the rules' text, not by running the engine; tests/test_example_smk3.py
checks that the engine gives exactly those.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import random
import re
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent.parent / "rulesets" / "smk3" / "sources" / "smk3-pp50-2012-criteria.md"
COMPANY = "PT Baja Timur Perkasa"
EVALUATED = "2025-03-31"
LEVELS = ("awal", "transisi", "lanjutan")
TAG = {"A": "awal", "T": "transisi", "L": "lanjutan"}
LOCATIONS = ("Dapur Busur Listrik (EAF)", "Gudang Scrap", "Bengkel Perawatan", "Area Rolling Mill",
             "Gudang Bahan Kimia", "Kantor HSE", "Pos Pemadam Kebakaran", "Area Pengecoran (Casting)")
EVIDENCE = ("Catatan inspeksi tidak lengkap", "Prosedur belum disahkan", "Foto lapangan", "Wawancara pekerja",
            "Daftar hadir pelatihan tidak ada", "Dokumen kedaluwarsa", "Rambu tidak terpasang",
            "Form izin kerja tidak diisi")


def criteria() -> list[tuple[str, str, str]]:
    """(number, level it enters at, its text) in the source's order."""
    part_a = SOURCE.read_text(encoding="utf-8").split("## Part A", 1)[1].split("### Variants seen", 1)[0]
    return [(m.group(1), TAG[m.group(2)], m.group(3).strip())
            for m in re.finditer(r"^- (\d+\.\d+\.\d+) \[([ATL])\] (.+?)\s*$", part_a, re.M)]


def scope(level: str) -> list[str]:
    return [n for n, entered, _ in criteria() if LEVELS.index(entered) <= LEVELS.index(level)]


TEXT = {n: t for n, _, t in criteria()}


def plan() -> dict:
    """Which criteria each audit finds met, not met (with category) or not applicable."""
    rng = random.Random(20211021)
    awal = scope("awal")
    picked = rng.sample(awal, 8)
    first = {"na": picked[:3], "minor": picked[3:]}
    transisi = scope("transisi")
    again = first["minor"][0]  # the one 2021 minor criterion still not met in 2024
    free = [c for c in transisi if c not in first["minor"] and c not in first["na"]]
    rng = random.Random(20241128)
    picked = rng.sample(free, 16)
    second = {"na": picked[:2], "major": [picked[2]], "minor": [again] + picked[3:15]}
    rng = random.Random(20250115)
    others = [c for c in transisi if c not in second["major"] + second["minor"] + second["na"]]
    third = {"na": second["na"], "minor": rng.sample(others, 2)}
    return {"SMK3-2021-047": first, "SMK3-2024-112": second, "AI-2025-006": third}


AUDITS = [  # audit, level, last day, audit body, kind, checklist
    ("SMK3-2021-047", "awal", dt.date(2021, 10, 21), "PT Sucofindo", "external", "checklist-SMK3-2021-047.csv"),
    ("SMK3-2024-112", "transisi", dt.date(2024, 11, 28), "PT Sucofindo", "external", "checklist-SMK3-2024-112.xlsx"),
    ("AI-2025-006", "transisi", dt.date(2025, 1, 15), "Tim Audit Internal", "internal", "internal-AI-2025-006.csv"),
]


def rows(audit: str, level: str, results: dict) -> list[list]:
    """The checklist table: No, No Kriteria, Uraian Kriteria, Hasil, Kategori, Lokasi, Bukti."""
    rng = random.Random(audit)
    out = []
    for i, number in enumerate(scope(level), 1):
        text = TEXT[number]
        if number in results.get("na", []):
            out.append([i, number, text, "Tidak Berlaku", "", "", "Tidak ada kegiatan terkait di lokasi"])
        elif number in results.get("major", []) + results.get("minor", []):
            category = "Mayor" if number in results.get("major", []) else "Minor"
            out.append([i, number, text, "Tidak Sesuai", category, rng.choice(LOCATIONS), rng.choice(EVIDENCE)])
        else:
            out.append([i, number, text, "Sesuai", "", "", ""])
    return out


HEADER = ["No", "No Kriteria", "Uraian Kriteria", "Hasil", "Kategori", "Lokasi", "Bukti"]


def preamble(audit: str, level: str, day: dt.date, body: str) -> list[list]:
    return [["LAPORAN AUDIT SMK3 – DAFTAR PERIKSA KRITERIA (PP 50/2012 LAMPIRAN II)"],
            ["No Audit", audit], ["Perusahaan", COMPANY], ["Tanggal Audit", day],
            ["Tingkat", f"Tingkat {level.title()}"], ["Badan Audit", body], ["Jenis Audit", "Eksternal"], []]


def csv_text(lines: list[list], sep: str) -> str:
    def cell(v: object) -> str:
        text = v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else str(v)
        return f'"{text}"' if sep in text or '"' in text else text
    return "".join(sep.join(cell(v) for v in line) + "\r\n" for line in lines)


def xlsx_bytes(lines: list[list], stamp: dt.datetime) -> bytes:
    """The workbook, with every date and time openpyxl would take from the clock set to `stamp`,
    so that the same plan writes the same bytes."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Checklist"
    for line in lines:
        sheet.append(line)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = "dd/mm/yyyy"
    sheet.column_dimensions["C"].width = 62
    raw = io.BytesIO()
    book.save(raw)
    out = io.BytesIO()
    when = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>" + when.encode(), data)
            target.writestr(zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6]), data,
                            compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def expected(results: dict) -> dict:
    """Every finding and obligation the records must give on EVALUATED, from the plan and the rules:
    3(1) (420 workers, a hazard: bound), 7(1) (a gap of more than three years between the external
    audits; the next one due 2027-11-28), 9(1) (the 2022 certificate valid through 2025-01-17),
    8(4) with the bands, and the corrective actions (7 / 30 / 90 days, closed by a later audit
    finding the criterion met)."""
    findings = [{"rule": "smk3.audit-gap", "subject": COMPANY},
                {"rule": "smk3.certificate-expired", "subject": COMPANY}]
    obligations = [{"rule": "smk3.audit-cycle", "action": "next-audit", "status": "late", "subject": COMPANY},
                   {"rule": "smk3.audit-cycle", "action": "next-audit", "status": "open", "subject": COMPANY}]
    outcome = {"SMK3-2021-047": "smk3.outcome-certificate", "SMK3-2024-112": "smk3.outcome-major-finding",
               "AI-2025-006": "smk3.outcome-internal"}
    later = {a: d for a, _, d, *_ in AUDITS}
    evaluated = dt.date.fromisoformat(EVALUATED)
    for audit, _, day, *_ in AUDITS:
        findings.append({"rule": outcome[audit], "subject": audit})
        for category, days in (("major", 30), ("minor", 90)):
            for number in results[audit].get(category, []):
                findings.append({"rule": f"smk3.criterion-not-met-{category}", "subject": audit, "criterion": number})
                due = day + dt.timedelta(days=days)
                closed = [later[a] for a in later if later[a] > day and number not in
                          results[a].get("major", []) + results[a].get("minor", []) + results[a].get("na", [])]
                when = min(closed) if closed else None
                status = ("done" if when <= due else "late") if when else ("open" if evaluated <= due else "overdue")
                obligations.append({"rule": f"smk3.criterion-not-met-{category}", "action": "corrective",
                                    "status": status, "subject": audit, "criterion": number})
                if status in ("late", "overdue"):
                    findings.append({"rule": f"smk3.criterion-not-met-{category}.corrective-{status}",
                                     "subject": "Pengurus", "criterion": number})
    key = json.dumps
    return {"evaluated": EVALUATED, "findings": sorted(findings, key=key), "obligations": sorted(obligations, key=key)}


def files() -> dict[str, str | bytes]:
    results = plan()
    out: dict[str, str | bytes] = {
        "company.csv": csv_text([["Kode Perusahaan", "Nama Perusahaan", "Jumlah Tenaga Kerja", "Potensi Bahaya Tinggi",
                                  "Sektor", "Tanggal Data"],
                                 [COMPANY, COMPANY, 420, "Ya", "Industri baja (dapur busur listrik)",
                                  dt.date(2025, 1, 2)]], ";"),
        "certificates.csv": csv_text([["Kode Perusahaan", "No Sertifikat", "Tanggal Terbit", "Tingkat", "Pencapaian",
                                       "Bendera"],
                                      [COMPANY, "4471/SMK3/2022", dt.date(2022, 1, 17), "awal", "91,8", "gold"]], ";"),
    }
    for audit, level, day, body, kind, name in AUDITS:
        table = [HEADER] + rows(audit, level, results[audit])
        if name.endswith(".xlsx"):
            out[name] = xlsx_bytes(preamble(audit, level, day, body) + table, dt.datetime.combine(day, dt.time()))
        elif kind == "internal":
            out[name] = csv_text(table, ",")
        else:
            out[name] = csv_text(preamble(audit, level, day, body) + table, ";")
    found = expected(results)
    out["expected.json"] = "{\n" + f' "evaluated": "{found["evaluated"]}",\n' + ",\n".join(
        f' "{key}": [\n' + ",\n".join("  " + json.dumps(item, ensure_ascii=False) for item in found[key]) + "\n ]"
        for key in ("findings", "obligations")) + "\n}\n"
    return out


if __name__ == "__main__":
    for name, data in files().items():
        path = HERE / name
        path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data, encoding="utf-8")
        print(f"wrote {path}", file=sys.stderr)
