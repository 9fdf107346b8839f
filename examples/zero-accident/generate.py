#!/usr/bin/env python3
"""Generate the Zero Accident example: a cement group's K3 registers for 2023-2025, as its
K3 department keeps them, and the findings the zero_accident pack must produce.

    python examples/zero-accident/generate.py            # rewrite the files next to this script
    python examples/zero-accident/generate.py --out DIR  # write them somewhere else

Two companies of the group apply for the Zero Accident award in January 2026 (evaluated on
2026-01-15): PT Semen Karang Putih (a plant, 180 workers and its contractors) and CV Sinar Baja
Teknik (its fabrication workshop, 42 workers). Their registers, with Indonesian headers and
values, as exported from Excel ("CSV (semicolon)"):
- companies.csv: the two company profiles (`patuh detect forms --type company`);
- smk3_audits.csv: their SMK3 audits (`patuh detect forms --type smk3_audit`);
- register_kecelakaan.csv: the incident register, date and clock time in two columns
  (`patuh detect incidents --ignore Uraian`);
- jam_kerja.csv: the hours register, one row per company and year, Indonesian thousands
  (`patuh detect hours`);
- config.yaml: the plant's time zone (WIB) and its three shifts (kecelakaan.2's next shift).

The register holds planted incidents (PLANTED, each with the findings it must produce) among
everyday ones the generator draws with a fixed seed (near misses, first-aid cases, injuries back
at work within a shift or a day: none of them a finding). expected.json is derived from these
plans, never by running the engine: it is the ground truth tests/test_example_zero_accident.py
holds the detectors and the engine to. Deterministic (fixed seed, no wall clock): it reproduces
the committed files byte for byte. Standard library only.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

SEED = 20260115
AS_OF = "2026-01-15T08:00:00+07:00"
YEARS = (2023, 2024, 2025)
TIMEZONE = "Asia/Jakarta"  # WIB
SHIFTS = {"I": ("07:00", "15:00"), "II": ("15:00", "23:00"), "III": ("23:00", "07:00")}

PLANT, WORKSHOP = "PT-SKP", "CV-SBT"
COMPANIES = {
    PLANT: {"name": "PT Semen Karang Putih", "workers": 180, "sector": "industri semen", "prefix": "SKP"},
    WORKSHOP: {"name": "CV Sinar Baja Teknik", "workers": 42, "sector": "fabrikasi logam", "prefix": "SBT"},
}
CONTRACTORS = ["PT Mitra Angkut Sejahtera", "CV Las Mandiri", "PT Bangun Refraktori"]
NAMES = ["Agus Salim", "Budi Santoso", "Dedi Kurniawan", "Eko Prasetyo", "Fajar Nugroho", "Gita Permata",
         "Hadi Wibowo", "Indra Lesmana", "Joko Susilo", "Kurnia Sari", "Lukman Hakim", "Made Wirawan",
         "Nanda Putri", "Oki Setiawan", "Putu Adi", "Rahmat Hidayat", "Slamet Riyadi", "Teguh Santosa"]
EVERYDAY = {  # the register's words for the kinds of everyday incident, and how many a year
    PLANT: {"Hampir Celaka": 6, "P3K": 4, "Cedera": 3},
    WORKSHOP: {"Hampir Celaka": 3, "P3K": 3, "Cedera": 1},
}

# Rule ids the plans expect (zero_accident.*), named once here.
LTA = "zero_accident.lost-time-accident"
FATAL = "zero_accident.fatal-accident"
STOP = "zero_accident.lost-time-process-stop"
EXCLUDED = "zero_accident.excluded-outside-control"
MEDICAL = "zero_accident.excluded-medical-process"
SERIES_MISSING = "zero_accident.application-contractor-overtime-hours-missing"
NOT_ELIGIBLE = "zero_accident.not-eligible"
ELIGIBLE = "zero_accident.eligible"


@dataclass
class Incident:
    company: str
    time: dt.datetime
    kind: str  # the register's word: Cedera, Terhentinya Proses, Kerusakan Peralatan, Hampir Celaka, P3K
    person: str = ""
    contractor: str = ""
    fatal: bool | None = None
    back: dt.datetime | None = None  # Tanggal + Jam Kembali Bekerja
    resumed: dt.datetime | None = None  # Proses Berjalan Kembali
    cause: str = ""
    injury: str = ""  # Jenis Cedera
    body_part: str = ""  # Anggota Tubuh
    joint: str = ""  # Ruas
    days_lost: int | None = None
    what: str = ""  # Uraian: the register's description
    expect: list[tuple[str, int | None]] = field(default_factory=list)  # (rule, lost days stated) it must produce
    why: str = ""  # for the README
    id: str = ""


def wib(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.timezone(dt.timedelta(hours=7)))


# The incidents planted, each with what it must produce and why (kecelakaan.1: back within 2 x 24 h;
# kecelakaan.2: beyond the next normal shift, I 07-15, II 15-23, III 23-07).
PLANTED = [
    Incident(PLANT, wib(2023, 3, 14, 9, 20), "Cedera", "Budi Santoso", injury="Patah tulang", body_part="Kaki",
             back=wib(2023, 3, 19, 7, 0), days_lost=4, what="Terjepit roller conveyor clinker",
             expect=[(LTA, 4)], why="back after almost 5 days: a lost-time accident, 4 actual days (catatan)"),
    Incident(PLANT, wib(2023, 6, 2, 13, 45), "Cedera", "Slamet Riyadi", contractor="PT Mitra Angkut Sejahtera",
             injury="Amputasi", body_part="Telunjuk", joint="Ruas Pangkal", back=wib(2023, 8, 1, 7, 0),
             days_lost=58, what="Jari terpotong saat perbaikan crusher",
             expect=[(LTA, 400)], why="a contractor's worker: index finger at its base bone, 400 days (the table, "
                                      "not the 58 days away)"),
    Incident(PLANT, wib(2023, 10, 9, 22, 10), "Cedera", "Joko Susilo", injury="Luka bakar ringan", body_part="Tangan",
             back=wib(2023, 10, 11, 22, 10), what="Percikan material panas di cooler",
             why="back at exactly 48:00: within 2 x 24 h, no lost-time accident"),
    Incident(PLANT, wib(2024, 2, 20, 1, 30), "Cedera", "Rahmat Hidayat", cause="Bencana Alam", injury="Memar",
             body_part="Bahu", back=wib(2024, 2, 24, 7, 0), days_lost=3,
             what="Tertimpa rak saat gempa bumi", expect=[(EXCLUDED, None)],
             why="an earthquake (pengecualian.1): not counted, and said so"),
    Incident(PLANT, wib(2024, 4, 16, 10, 5), "Terhentinya Proses", resumed=wib(2024, 4, 16, 21, 40),
             what="Kiln berhenti, gangguan burner",
             why="a stop in shift I resumed before shift II ended: within the next normal shift"),
    Incident(PLANT, wib(2024, 7, 8, 16, 20), "Kerusakan Peralatan", resumed=wib(2024, 7, 9, 8, 10),
             what="Gearbox raw mill rusak", expect=[(STOP, 0)],
             why="damage in shift II, the machine back only after shift III ended: a lost-time accident, "
                 "0 days (no one hurt)"),
    Incident(PLANT, wib(2024, 9, 25, 14, 5), "Cedera", "Teguh Santosa", contractor="PT Bangun Refraktori", fatal=True,
             injury="Jatuh dari ketinggian", body_part="Kepala", what="Jatuh dari perancah preheater",
             expect=[(FATAL, 6000)], why="a contractor's worker died: a fatal accident, 6000 days"),
    Incident(PLANT, wib(2024, 11, 4, 8, 0), "Cedera", "Nanda Putri", cause="Proses Medis", injury="Terkilir",
             body_part="Pergelangan kaki", back=wib(2024, 11, 11, 7, 0), days_lost=5,
             what="Terkilir, dirujuk fisioterapi", expect=[(MEDICAL, None)],
             why="days away for the worker's medical process (pengecualian.2): not counted"),
    Incident(PLANT, wib(2025, 8, 12, 10, 30), "Cedera", "Putu Adi", contractor="CV Las Mandiri", injury="Luka bakar",
             body_part="Lengan", back=wib(2025, 8, 15, 7, 0), days_lost=2, what="Luka bakar saat pengelasan",
             expect=[(LTA, 2)], why="the last lost-time accident: a contractor's, which resets the hours too"),
]
# The hours series left blank, planted: (company, year, series).
BLANK = [(PLANT, 2024, "contractor_overtime_hours")]
OUTCOME = {PLANT: (NOT_ELIGIBLE, "its last lost-time accident, a contractor's on 2025-08-12, restarts the count: no "
                                 "whole year of hours on record since it, far under the 6,000,000 h of a Perusahaan "
                                 "Besar, and not 3 years; and 2024's contractor overtime is blank"),
           WORKSHOP: (ELIGIBLE, "no lost-time accident on record, and each of 2023, 2024 and 2025 in its hours "
                                "register: 3 consecutive years")}
AUDITS = [  # (audit id, company, date, level, body, kind)
    ("LA-2022-0317", PLANT, "2022-03-17", "lanjutan", "PT Sucofindo", "external"),
    ("IA-2024-002", PLANT, "2024-03-05", "lanjutan", "Tim Audit Internal SKP", "internal"),
    ("LA-2025-0320", PLANT, "2025-03-20", "lanjutan", "PT Sucofindo", "external"),
    ("LA-2022-1110", WORKSHOP, "2022-11-10", "awal", "PT Surveyor Indonesia", "external"),
    ("LA-2024-1112", WORKSHOP, "2024-11-12", "transisi", "PT Surveyor Indonesia", "external"),
]


def everyday(rng: random.Random) -> list[Incident]:
    """Incidents no rule finds: near misses, first-aid cases, injuries back within the shift or the day."""
    out = []
    for company, kinds in EVERYDAY.items():
        for year in YEARS:
            for kind, n in kinds.items():
                for _ in range(n):
                    day = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
                    time = wib(day.year, day.month, day.day, rng.randrange(24), rng.choice((0, 15, 30, 45)))
                    incident = Incident(company, time, kind, what={"Hampir Celaka": "Material jatuh dekat pekerja",
                                                                   "P3K": "Luka gores, diobati P3K",
                                                                   "Cedera": "Terkilir ringan"}[kind])
                    if kind != "Hampir Celaka":
                        incident.person = rng.choice(NAMES)
                        incident.contractor = rng.choice(CONTRACTORS) if company == PLANT and rng.random() < 0.3 else ""
                    if kind == "Cedera":  # back within the day: no lost time
                        incident.back = time + dt.timedelta(hours=rng.randrange(2, 30))
                        incident.injury, incident.body_part = "Terkilir", rng.choice(["Tangan", "Kaki", "Punggung"])
                    out.append(incident)
    return out


def number_ids(incidents: list[Incident]) -> list[Incident]:
    """Register numbers in time order per company and year: SKP-2024-007."""
    ordered = sorted(incidents, key=lambda i: (i.company, i.time))
    count: dict[tuple[str, int], int] = {}
    for incident in ordered:
        key = (incident.company, incident.time.year)
        count[key] = count.get(key, 0) + 1
        incident.id = f"{COMPANIES[incident.company]['prefix']}-{incident.time.year}-{count[key]:03d}"
    return ordered


def hours(rng: random.Random) -> list[dict]:
    rows = []
    for company, spec in COMPANIES.items():
        for year in YEARS:
            workers = spec["workers"]
            row = {"company": company, "year": year,
                   "employee_hours": workers * rng.randrange(1960, 2040),
                   "overtime_hours": workers * rng.randrange(120, 200),
                   "contractor_hours": (90 if company == PLANT else 3) * rng.randrange(1900, 2100),
                   "contractor_overtime_hours": (90 if company == PLANT else 3) * rng.randrange(50, 100)}
            for blank in BLANK:
                if blank[:2] == (company, year):
                    row[blank[2]] = None
            rows.append(row)
    return rows


def thousands(n: int | None) -> str:
    """6000000 as an Indonesian register writes it: 6.000.000."""
    return "" if n is None else f"{n:,}".replace(",", ".")


def day_text(value: dt.datetime | None) -> str:
    return "" if value is None else value.strftime("%d/%m/%Y")


def clock_text(value: dt.datetime | None) -> str:
    return "" if value is None else value.strftime("%H.%M")  # 08.30, as Indonesian writes a time


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def register(incidents: list[Incident]) -> str:
    header = ["No Kejadian", "Perusahaan", "Tanggal Kejadian", "Jam Kejadian", "Jenis Kejadian", "Nama Korban",
              "Kontraktor", "Meninggal", "Tanggal Kembali Bekerja", "Jam Kembali Bekerja", "Proses Berjalan Kembali",
              "Penyebab", "Jenis Cedera", "Anggota Tubuh", "Ruas", "Hari Hilang", "Uraian"]
    rows = []
    for i in incidents:
        fatal = "" if i.kind not in ("Cedera",) else ("Ya" if i.fatal else "Tidak")
        rows.append([i.id, i.company, day_text(i.time), clock_text(i.time), i.kind, i.person, i.contractor, fatal,
                     day_text(i.back), clock_text(i.back),
                     "" if i.resumed is None else f"{day_text(i.resumed)} {i.resumed.strftime('%H:%M')}",
                     i.cause or ("Tidak Ada" if i.kind == "Cedera" else ""), i.injury, i.body_part, i.joint,
                     "" if i.days_lost is None else str(i.days_lost), i.what])
    return csv_text(header, rows)


def expected(incidents: list[Incident]) -> list[dict]:
    out = []
    for incident in incidents:
        for rule, days in incident.expect:
            out.append({"rule": rule, "subject": incident.company, "ref": incident.id, "days": days,
                        "event": incident.why})
    for company, year, series in BLANK:
        out.append({"rule": SERIES_MISSING, "subject": company, "ref": str(year), "days": None,
                    "event": f"{year}'s {series} left blank in the hours register (pengajuan.3)"})
    for company, (rule, why) in OUTCOME.items():
        out.append({"rule": rule, "subject": company, "ref": "", "days": None, "event": why})
    return sorted(out, key=lambda e: (e["subject"], e["rule"], e["ref"]))


def readme(incidents: list[Incident], hours_rows: list[dict]) -> str:
    planted = "\n".join(f"| {i.id} | {i.kind} | {i.why} | "
                        f"{', '.join(r.removeprefix('zero_accident.') for r, _ in i.expect) or '-'} |"
                        for i in incidents if i.why)
    totals = "\n".join(
        f"| {COMPANIES[r['company']]['name']} | {r['year']} | "
        + " | ".join(thousands(r[s]) or "(blank)" for s in ("employee_hours", "overtime_hours", "contractor_hours",
                                                             "contractor_overtime_hours")) + " |"
        for r in hours_rows)
    outcome = "\n".join(f"| {COMPANIES[c]['name']} | {rule.removeprefix('zero_accident.')} | {why} |"
                        for c, (rule, why) in OUTCOME.items())
    n = {c: sum(1 for i in incidents if i.company == c) for c in COMPANIES}
    files = "\n".join(f"| `{name}` | {what} | {by} |" for name, what, by in [
        ("companies.csv", "the two company profiles (workers, sector, construction)",
         "`patuh detect forms --type company`"),
        ("smk3_audits.csv", f"{len(AUDITS)} SMK3 audits, external and internal (pengajuan.1)",
         "`patuh detect forms --type smk3_audit`"),
        ("register_kecelakaan.csv", f"the incident register: {n[PLANT]} incidents of PT-SKP, {n[WORKSHOP]} of "
         "CV-SBT; `;`, the date and the clock time (08.30) in two columns, Jenis Cedera and Anggota Tubuh, a "
         "free-text Uraian", "`patuh detect incidents --ignore Uraian`"),
        ("jam_kerja.csv", "the hours register: the four series of pengajuan.3 per company and year, Indonesian "
         "thousands (1.234.567)", "`patuh detect hours`"),
        ("config.yaml", "the time zone (WIB) and the plant's three shifts, I 07:00-15:00, II 15:00-23:00, III "
         "23:00-07:00 (kecelakaan.2's next normal shift)", "every command"),
        ("expected.json", "the findings the pack must produce, from the plans", "the test")])
    return f"""# Example: a Zero Accident application (PER.01/MEN/I/2007)

Two companies of a cement group apply for the Zero Accident award in January 2026, and the
`zero_accident` pack judges them on {AS_OF[:10]} from their registers for 2023-2025: PT Semen
Karang Putih (a plant: 180 workers, `PT-SKP`) and CV Sinar Baja Teknik (its fabrication workshop:
42 workers, `CV-SBT`). `make demo` runs it after the fatigue site (`demo.py`; what it writes goes
to `out/` here, not committed). The commands, paths relative to this folder:

    patuh detect forms companies.csv --type company > companies.jsonl
    patuh detect forms smk3_audits.csv --type smk3_audit > audits.jsonl
    patuh detect incidents register_kecelakaan.csv --ignore Uraian --config config.yaml > incidents.jsonl
    patuh detect hours jam_kerja.csv > hours.jsonl
    patuh eval --facts companies.jsonl audits.jsonl incidents.jsonl hours.jsonl --pack zero_accident \\
        --config config.yaml --as-of {AS_OF} --format table --by subject
    patuh report k3-statistics --facts incidents.jsonl hours.jsonl --config config.yaml \\
        --as-of {AS_OF} --out out/report

Every file here, this one included, is written by `generate.py` (fixed seed, no wall clock:
`python examples/zero-accident/generate.py` rewrites them byte for byte).
`tests/test_example_zero_accident.py` checks that, and that the detectors and the engine find
exactly the findings of `expected.json` (rule, company, incident or year, and the lost days a
lost-time accident states), which comes from the plans in `generate.py`, not from running the
engine.

| file | what | read by |
|---|---|---|
{files}

The incidents planted (the others are near misses, first-aid cases and injuries back within the
day, drawn at random with a fixed seed: none of them is a finding):

| incident | kind | why | findings |
|---|---|---|---|
{planted}

The hours register (the four series of pengajuan.3):

| company | year | employees | overtime | contractors | contractors' overtime |
|---|---|---|---|---|---|
{totals}

The outcome at {AS_OF[:10]}:

| company | finding | why |
|---|---|---|
{outcome}

`patuh report k3-statistics` writes `k3-statistics.csv`, `k3-statistics.txt` (the formulas and
their sources) and a chart per company of FR, SR, LTIFR and TRIR over 2023-2025, every worker, the
employees, the contractors together and each contractor (the annual register holds all
contractors' hours together: a contractor's own rates are empty, its counts are given).
"""


def write(out: Path) -> None:
    rng = random.Random(SEED)
    incidents = number_ids(PLANTED + everyday(rng))
    hours_rows = hours(rng)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "companies.csv": csv_text(["Perusahaan", "Nama Perusahaan", "Jumlah Tenaga Kerja", "Sektor",
                                   "Jasa Konstruksi"],
                                  [[c, s["name"], str(s["workers"]), s["sector"], "Tidak"]
                                   for c, s in COMPANIES.items()]),
        "smk3_audits.csv": csv_text(["No Laporan Audit", "Kode Perusahaan", "Tanggal Audit", "Tingkat", "Badan Audit",
                                     "Jenis Audit"],
                                    [[a, c, dt.date.fromisoformat(d).strftime("%d/%m/%Y"), lv, body, kind]
                                     for a, c, d, lv, body, kind in AUDITS]),
        "register_kecelakaan.csv": register(incidents),
        "jam_kerja.csv": csv_text(["Perusahaan", "Tahun", "Jam Kerja Karyawan", "Jam Lembur Karyawan",
                                   "Jam Kerja Kontraktor", "Jam Lembur Kontraktor"],
                                  [[r["company"], str(r["year"])] + [thousands(r[s]) for s in
                                   ("employee_hours", "overtime_hours", "contractor_hours",
                                    "contractor_overtime_hours")] for r in hours_rows]),
        "config.yaml": (f"# The plant's site config: naive times are WIB; its three shifts give kecelakaan.2's next\n"
                        f"# normal shift.\ntimezone: {TIMEZONE}\nshifts:\n"
                        + "".join(f'  {n}: {{start: "{s}", end: "{e}"}}\n' for n, (s, e) in SHIFTS.items())),
        "expected.json": json.dumps(expected(incidents), indent=1, ensure_ascii=False) + "\n",
        "README.md": readme(incidents, hours_rows),
    }
    for name, text in files.items():
        (out / name).write_bytes(text.encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    write(parser.parse_args(argv).out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
