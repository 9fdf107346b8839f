#!/usr/bin/env python3
"""Generate the bundled CSMS example: a principal (PT Aluminium Sentosa, a smelter) and five
contractors over the first six months of 2026, and what the csms pack must find in them.

    python examples/csms-principal/generate.py            # rewrite the files next to this script
    python examples/csms-principal/generate.py --out DIR  # write them somewhere else

The principal's registers, as its K3LL function keeps them: the contract register with the
awards (`;` CSV, Indonesian headers, day-first dates, Tinggi/Sedang/Rendah), the PQ results in
points of the 31-element rubric (310 at most), the pre-job activities, the inspection checklists
(ten items of 10 points each, one row per item), the final evaluations (with the sheet's own total
and predicate, which the pack does not read) and the contractors' monthly scorecards (the usual
indicator labels). The incident register, the contractors' monthly hours and the lost-time
accidents are JSONL in the zero_accident pack's vocabulary (its classification given as facts,
until both packs are merged).

Deterministic: fixed seeds and no wall clock, so it reproduces the committed files byte for byte
(tests/test_example_csms.py checks that). expected.json is derived from the plans below, never by
running the engine: the findings the pack must produce, and each contractor's month (hours,
injuries, FR, SR, TRIR, KPI score and rank) computed here with the formulas of
secondary-facts.md. Standard library only.
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
from decimal import Decimal
from pathlib import Path

SEED = 20260710
PRINCIPAL = "PT Aluminium Sentosa"
TIMEZONE = "Asia/Jakarta"  # WIB
WIB = "+07:00"
AS_OF = dt.date(2026, 7, 10)  # the evaluation date: June has ended, its scorecards are due today
MONTHS = [f"2026-{m:02d}" for m in range(1, 7)]
BULAN = {1: "Januari", 2: "Februari", 3: "Maret", 4: "April", 5: "Mei", 6: "Juni"}

# The kpi_leading table of the csms pack (weights of Pertamina's Form 5, secondary-facts.md), with
# the labels a site scorecard writes: the detector maps them to the ids.
LEADING = [  # id, weight, the scorecard's label, monthly target
    ("first_aid", 8, "P3K", 2), ("hse_meeting", 7, "Rapat K3LL", 4), ("hse_talk", 8, "Safety Talk", 20),
    ("hse_reporting", 8, "Pelaporan K3LL", 4), ("management_visit", 7, "Kunjungan Manajemen", 2),
    ("action_closure", 8, "Penutupan Tindak Lanjut", 10), ("inspection_audit", 8, "Inspeksi/Audit", 8),
    ("ppe_compliance", 8, "Kepatuhan APD", 100), ("waste_management", 7, "Pengelolaan Limbah", 4),
    ("industrial_hygiene", 7, "Higiene Industri", 2), ("housekeeping", 8, "Housekeeping", 4),
    ("near_miss_reporting", 8, "Laporan Near Miss", 10),
    ("unsafe_act_condition_reporting", 8, "Laporan Tindakan/Kondisi Tidak Aman", 10)]
WEIGHTS = (Decimal(20), Decimal(30), Decimal(35), Decimal(15))  # pja, inspection, programme, kpi (%)
PQ_MAX = 310
RATE_BASE, TRIR_BASE = 1_000_000, 200_000
KPI_MIN = 80

# Rule ids the plans expect (the csms pack's, rulesets/csms/rules/).
RISK_AFTER_TENDER = "csms.risk-assessed-after-tender"
PQ_UNDER = "csms.award-pq-under-pass-mark"
PQ_LEVEL = "csms.award-pq-level-too-low"
PJA_LATE = "csms.pja-owed.pja-late"
INSPECTION_OVERDUE = "csms.inspection-owed.inspection-overdue"
BLACK = "csms.final-evaluation-black"
FATALITY = "csms.fatality-during-contract"
NOT_QUALIFIED = "csms.final-evaluation-not-qualified"
BARRED = "csms.award-barred-not-qualified"
KPI_LOW = "csms.kpi-score-under-threshold"
KPI_NOT_REPORTED = "csms.kpi-not-reported"
LAGGING_FATALITIES = "csms.kpi-lagging-mismatch-fatalities"
LAGGING_LTI = "csms.kpi-lagging-mismatch-lti"


@dataclass
class Contract:
    contract: str
    contractor: str
    title: str
    risk: str  # high, medium, low
    risk_assessed: dt.date
    tender: dt.date
    award: dt.date
    start: dt.date
    end: dt.date
    pja: dt.date  # the complete pre-job activity's date
    evaluation: tuple[dt.date, tuple[int, int, int, int]] | None = None  # date, pja, inspection, programme, kpi
    skip_inspection: set[str] = field(default_factory=set)  # months without an inspection
    low_inspection: dict[str, tuple[int, dt.date]] = field(default_factory=dict)  # month -> score, re-inspected


@dataclass
class Contractor:
    name: str
    pq: tuple[dt.date, int, str, dt.date] | None  # date, points of 310, level, valid until
    low_months: set[str] = field(default_factory=set)  # months its scorecard falls under 80
    unreported: set[str] = field(default_factory=set)  # months without a scorecard


RISK_WORD = {"high": "Tinggi", "medium": "Sedang", "low": "Rendah"}
LEVEL_WORD = {"high": "Risiko Tinggi", "medium": "Menengah", "low": "Rendah"}
D = dt.date

CONTRACTORS = [
    Contractor("PT Alfa Teknik", (D(2025, 11, 3), 242, "high", D(2026, 11, 2))),  # 78 %: a good year
    Contractor("CV Beta Mandiri", None, low_months={"2026-02"}),  # low-risk work: no PQ needed
    Contractor("PT Gamma Konstruksi", (D(2025, 12, 1), 180, "high", D(2026, 11, 30))),  # 58.06 %, under 60
    Contractor("CV Delta Logistik", (D(2025, 12, 15), 205, "low", D(2026, 12, 14)), unreported={"2026-05"}),
    Contractor("PT Epsilon Listrik", (D(2026, 1, 20), 186, "medium", D(2027, 1, 19))),  # 60 %, medium
]
CONTRACTS = [
    Contract("K-101", "PT Alfa Teknik", "Pemeliharaan pot line", "high", D(2025, 11, 10), D(2025, 11, 20),
             D(2025, 12, 10), D(2026, 1, 1), D(2026, 6, 30), pja=D(2025, 12, 30),
             evaluation=(D(2026, 7, 8), (92, 90, 91, 88))),  # 90.45 %: good
    Contract("K-102", "CV Beta Mandiri", "Kebersihan area kantor dan kantin", "low", D(2025, 11, 10),
             D(2025, 11, 20), D(2025, 12, 10), D(2026, 1, 1), D(2026, 3, 31), pja=D(2026, 1, 1),
             evaluation=(D(2026, 4, 20), (80, 85, 85, 90))),  # 84.75 %: not qualified
    Contract("K-103", "PT Gamma Konstruksi", "Perbaikan atap gudang alumina", "high", D(2025, 12, 5),
             D(2025, 12, 12), D(2026, 1, 15), D(2026, 2, 1), D(2026, 5, 31), pja=D(2026, 2, 2),  # a day late
             evaluation=(D(2026, 6, 15), (95, 95, 95, 95)), skip_inspection={"2026-04"}),
    Contract("K-104", "CV Delta Logistik", "Angkutan ingot ke pelabuhan", "medium", D(2026, 1, 5), D(2026, 1, 12),
             D(2026, 2, 10), D(2026, 3, 1), D(2026, 6, 30), pja=D(2026, 2, 27),
             low_inspection={"2026-04": (72, D(2026, 4, 25))}),
    Contract("K-105", "PT Epsilon Listrik", "Instalasi panel listrik", "medium", D(2026, 2, 20), D(2026, 2, 15),
             D(2026, 3, 10), D(2026, 4, 1), D(2026, 6, 30), pja=D(2026, 4, 1)),  # assessed after the tender
    Contract("K-106", "CV Beta Mandiri", "Kebersihan area pot line", "low", D(2026, 4, 1), D(2026, 4, 10),
             D(2026, 5, 10), D(2026, 6, 1), D(2026, 6, 30), pja=D(2026, 5, 29)),  # after its not-qualified record
]


@dataclass
class Incident:
    incident: str
    contractor: str | None
    contract: str | None
    time: str
    kind: str
    fatal: bool = False
    days: int | None = None  # lost days zero_accident charges (a lost-time injury), else None
    returned: str | None = None
    cause: str | None = None


INCIDENTS = [
    Incident("INS-2026-004", "PT Alfa Teknik", "K-101", "2026-03-12T10:20:00+07:00", "injury", days=12,
             returned="2026-03-25T07:00:00+07:00"),
    Incident("INS-2026-005", "PT Alfa Teknik", "K-101", "2026-03-18T15:00:00+07:00", "injury",
             returned="2026-03-18T20:00:00+07:00"),  # back the same day: recordable, not lost-time
    Incident("INS-2026-006", "PT Alfa Teknik", None, "2026-04-02T09:00:00+07:00", "first_aid"),
    Incident("INS-2026-007", "CV Delta Logistik", "K-104", "2026-04-14T22:40:00+07:00", "injury", days=3,
             returned="2026-04-18T07:00:00+07:00"),
    Incident("INS-2026-008", "CV Delta Logistik", None, "2026-05-03T11:00:00+07:00", "near_miss"),
    Incident("INS-2026-009", "PT Gamma Konstruksi", "K-103", "2026-05-20T14:10:00+07:00", "injury", fatal=True,
             days=6000),  # a fall from the roof: the final evaluation is black
    Incident("INS-2026-010", "PT Epsilon Listrik", "K-105", "2026-06-09T13:30:00+07:00", "injury", days=2,
             returned="2026-06-12T07:00:00+07:00"),
    Incident("INS-2026-011", None, None, "2026-02-11T08:00:00+07:00", "injury", days=4,
             returned="2026-02-15T07:00:00+07:00"),  # the principal's own worker: no contractor's
]
# Scorecards whose lagging lines differ from the registers (an auditor's look, not a finding).
LAGGING_REPORTED = {("PT Gamma Konstruksi", "2026-05"): {"fatalities": 0, "lost_time_injuries": 0}}


def running(contract: Contract) -> list[str]:
    return [m for m in MONTHS if f"{contract.start:%Y-%m}" <= m <= f"{contract.end:%Y-%m}"]


def month_end(month: str) -> dt.date:
    year, number = int(month[:4]), int(month[5:])
    following = D(year + number // 12, number % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def csv_text(header: list[str], rows: list[list], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def shown(value: Decimal) -> str | int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def build() -> dict[str, str]:
    rng = random.Random(SEED)
    files: dict[str, str] = {}
    expected: list[dict] = []
    by_name = {c.name: c for c in CONTRACTORS}

    # -- the contract register, with the awards -----------------------------------------------------
    rows = []
    for n, c in enumerate(CONTRACTS, 1):
        rows.append([n, c.contract, c.title, RISK_WORD[c.risk], day(c.risk_assessed), day(c.tender), day(c.start),
                     day(c.end), c.contractor, day(c.award)])
        if c.risk_assessed > c.tender:
            expected.append({"rule": RISK_AFTER_TENDER, "subject": c.contract, "when": c.risk_assessed.isoformat()})
    files["register-kontrak.csv"] = csv_text(
        ["No", "No Kontrak", "Judul Pekerjaan", "Tingkat Risiko", "Tanggal Penilaian Risiko", "Tanggal Tender",
         "Tanggal Mulai", "Tanggal Selesai", "Nama Kontraktor", "Tanggal Penunjukan"], rows, ";")

    # -- PQ results (points of 310) and what the awards make of them ---------------------------------------
    files["hasil-pq.csv"] = csv_text(
        ["Nama Kontraktor", "Tanggal PQ", "Nilai PQ", "Kualifikasi", "Berlaku Sampai"],
        [[c.name, day(c.pq[0]), c.pq[1], LEVEL_WORD[c.pq[2]], day(c.pq[3])] for c in CONTRACTORS if c.pq])
    mark = {"high": Decimal(60), "medium": Decimal("54.3")}
    scope = {"high": {"high", "medium", "low"}, "medium": {"medium", "low"}, "low": {"low"}}
    for c in CONTRACTS:
        pq = by_name[c.contractor].pq
        if c.risk == "low" or pq is None:
            continue
        score = Decimal(pq[1]) / PQ_MAX * 100
        if score < mark[c.risk]:
            expected.append({"rule": PQ_UNDER, "subject": c.contractor, "when": c.award.isoformat()})
        if c.risk not in scope[pq[2]]:
            expected.append({"rule": PQ_LEVEL, "subject": c.contractor, "when": c.award.isoformat()})

    # -- pre-job activities --------------------------------------------------------------------------------
    files["kegiatan-pra-pekerjaan.csv"] = csv_text(
        ["No Kontrak", "Nama Kontraktor", "Tanggal PJA", "Lengkap", "Materi"],
        [[c.contract, c.contractor, day(c.pja), "Ya", '["JSA", "rencana kerja", "tanggap darurat", "izin kerja"]']
         for c in CONTRACTS])
    for c in CONTRACTS:
        if c.pja > c.start:
            expected.append({"rule": PJA_LATE, "subject": c.contractor, "when": c.start.isoformat()})

    # -- inspection checklists: ten items of 10 points, one inspection per month the contract runs ---------
    items = ["APD", "Izin kerja", "JSA", "Housekeeping", "Peralatan", "Perancah/tangga", "Listrik", "Alat angkat",
             "Tanggap darurat", "Lingkungan"]
    rows = []
    for c in CONTRACTS:
        for month in running(c):
            if month in c.skip_inspection:
                expected.append({"rule": INSPECTION_OVERDUE, "subject": c.contractor, "when": month_end(month)
                                 .isoformat()})
                continue
            planned = [(c.low_inspection[month][0], D(int(month[:4]), int(month[5:]), 12))] \
                if month in c.low_inspection else []
            if month in c.low_inspection:
                planned.append((85, c.low_inspection[month][1]))  # the re-inspection, in time
            else:
                start = max(c.start, D(int(month[:4]), int(month[5:]), 1))
                last = min(c.end, month_end(month))
                planned.append((rng.choice([82, 85, 88, 90, 93, 95]),
                                start + dt.timedelta(days=rng.randrange((last - start).days + 1))))
            for score, date in planned:
                points = spread(score, len(items), rng)
                rows += [[c.contract, c.contractor, day(date), item, p, 10] for item, p in zip(items, points,
                                                                                                 strict=True)]
    files["checklist-inspeksi.csv"] = csv_text(
        ["No Kontrak", "Nama Kontraktor", "Tanggal Inspeksi", "Elemen", "Nilai Aktual", "Nilai Maksimum"], rows)

    # -- final evaluations, the black rating and the data bank ---------------------------------------------
    fatal = {i.contract for i in INCIDENTS if i.fatal}
    for i in INCIDENTS:  # a fatality during its contract is said as soon as it is on record
        c = next((c for c in CONTRACTS if c.contract == i.contract), None)
        if i.fatal and c is not None and c.start <= D.fromisoformat(i.time[:10]) <= c.end:
            expected.append({"rule": FATALITY, "subject": c.contractor, "when": i.time[:10]})
    rows = []
    records: list[tuple[str, dt.date, str]] = []  # contractor, date, outcome
    for c in CONTRACTS:
        if c.evaluation is None:
            continue
        date, parts = c.evaluation
        total = sum((Decimal(p) * w / 100 for p, w in zip(parts, WEIGHTS, strict=True)), Decimal(0))
        own = "Baik" if total >= 90 else "Kurang"  # the sheet's own predicate, which the pack does not read
        rows.append([c.contract, c.contractor, day(date), *parts, str(total).replace(".", ","), own])
        if c.contract in fatal:
            expected.append({"rule": BLACK, "subject": c.contractor, "when": date.isoformat()})
            records.append((c.contractor, date, "black"))
        elif total < 90:
            expected.append({"rule": NOT_QUALIFIED, "subject": c.contractor, "when": date.isoformat()})
            records.append((c.contractor, date, "not_qualified"))
        else:
            records.append((c.contractor, date, "good"))
    files["evaluasi-akhir.csv"] = csv_text(
        ["No Kontrak", "Nama Kontraktor", "Tanggal Evaluasi", "Nilai PJA", "Nilai Inspeksi", "Nilai Program K3LL",
         "Nilai KPI", "Total", "Predikat"], rows)
    for c in CONTRACTS:  # a later award to a contractor whose record in force bars it
        in_force = sorted((d, o) for name, d, o in records if name == c.contractor and d <= c.award)
        if in_force and in_force[-1][1] == "not_qualified":
            expected.append({"rule": BARRED, "subject": c.contractor, "when": c.award.isoformat()})

    # -- incidents, hours, lost-time accidents -------------------------------------------------------------
    incidents, accidents = [], []
    for i in INCIDENTS:
        record = {"type": "incident", "incident": i.incident, "company": PRINCIPAL, "time": i.time, "kind": i.kind}
        record |= {k: v for k, v in (("contractor", i.contractor), ("contract", i.contract),
                                     ("returned_to_work", i.returned), ("cause", i.cause)) if v is not None}
        if i.kind == "injury":
            record["person"] = f"{i.incident}-korban"
            record["fatal"] = i.fatal
        if i.days is not None and not i.fatal:
            record["days_lost"] = i.days
        incidents.append(record)
        if i.days is not None:
            accident = {"type": "lost_time_accident", "incident": i.incident, "company": PRINCIPAL, "time": i.time,
                        "year": 2026, "kind": i.kind, "reason": "fatal" if i.fatal else "late_return",
                        "clause": "kecelakaan.1", "person": record["person"], "fatal": i.fatal, "days": i.days,
                        "days_basis": "death" if i.fatal else "actual"}
            if i.contractor:
                accident["contractor"] = i.contractor
            accidents.append(accident)
    files["incidents.jsonl"] = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in incidents)
    files["lost_time_accidents.jsonl"] = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in accidents)
    hours: dict[tuple[str, str], int] = {}
    lines = []
    for contractor in CONTRACTORS:
        months = sorted({m for c in CONTRACTS if c.contractor == contractor.name for m in running(c)})
        for month in months:
            hours[(contractor.name, month)] = rng.randrange(180, 460) * 100
            overtime = rng.randrange(0, 30) * 100
            lines.append({"type": "work_hours", "company": PRINCIPAL, "contractor": contractor.name, "month": month,
                          "contractor_hours": hours[(contractor.name, month)] - overtime,
                          "contractor_overtime_hours": overtime})
    files["work_hours.jsonl"] = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines)

    # -- the monthly scorecards -----------------------------------------------------------------------------
    rows = []
    months_expected = []
    for contractor in CONTRACTORS:
        months = sorted({m for c in CONTRACTS if c.contractor == contractor.name for m in running(c)})
        for month in months:
            contract = next(c.contract for c in CONTRACTS if c.contractor == contractor.name and month in running(c))
            key = (contractor.name, month)
            injuries = [i for i in INCIDENTS if i.contractor == contractor.name and i.time[:7] == month]
            lti = [i for i in injuries if i.kind == "injury" and i.days is not None]
            recordable = [i for i in injuries if i.kind == "injury" and i.cause is None]
            lost = sum(i.days or 0 for i in lti)
            score = None
            if month in contractor.unreported:
                if month_end(month) + dt.timedelta(days=10) < AS_OF:
                    expected.append({"rule": KPI_NOT_REPORTED, "subject": contractor.name,
                                     "when": month_end(month).isoformat()})
            else:
                label = f"{BULAN[int(month[5:])]} {month[:4]}"
                points, weights = Decimal(0), Decimal(0)
                low = month in contractor.low_months  # four indicators at 20 % or less: under 80
                short = rng.sample(range(len(LEADING)), 4 if low else rng.choice([0, 1, 2, 3]))
                for n, (_, weight, name, target) in enumerate(LEADING):
                    if n in short:  # at least half achieved in a month that is not low: 88 or more
                        actual = target * (2 if low else rng.choice([5, 6, 7, 8, 9])) // 10
                    else:
                        actual = target + rng.randrange(0, 3)
                    rows.append([contractor.name, contract, label, name, target, actual])
                    points += weight * min(Decimal(actual) / Decimal(target), Decimal(1))
                    weights += weight
                reported = LAGGING_REPORTED.get(key, {"fatalities": sum(i.fatal for i in injuries),
                                                      "lost_time_injuries": len(lti)})
                for name, value in (("Fatality", reported["fatalities"]), ("LTI", reported["lost_time_injuries"])):
                    rows.append([contractor.name, contract, label, name, "", value])
                if reported["fatalities"] != sum(i.fatal for i in injuries):
                    expected.append({"rule": LAGGING_FATALITIES, "subject": contractor.name,
                                     "when": month_end(month).isoformat()})
                if reported["lost_time_injuries"] != len(lti):  # a death is a lost-time injury too
                    expected.append({"rule": LAGGING_LTI, "subject": contractor.name,
                                     "when": month_end(month).isoformat()})
                score = points / weights * 100
                if score < KPI_MIN:
                    expected.append({"rule": KPI_LOW, "subject": contractor.name,
                                     "when": month_end(month).isoformat()})
            h = Decimal(hours[key])
            months_expected.append({
                "month": month, "contractor": contractor.name, "hours": hours[key], "lost_time_injuries": len(lti),
                "lost_days": lost, "recordable": len(recordable),
                "fr": shown(len(lti) * RATE_BASE / h), "sr": shown(lost * RATE_BASE / h),
                "trir": shown(len(recordable) * TRIR_BASE / h),
                "kpi_score": shown(score) if score is not None else None})
    files["scorecard-kontraktor.csv"] = csv_text(
        ["Nama Kontraktor", "No Kontrak", "Bulan", "Indikator", "Target", "Realisasi"], rows)

    # The rank within each month: by score (highest first), then TRIR, FR, SR (lowest first).
    for month in MONTHS:
        ranked = sorted((m for m in months_expected if m["month"] == month and m["kpi_score"] is not None),
                        key=lambda m: (-Decimal(repr(m["kpi_score"])), Decimal(repr(m["trir"])),
                                       Decimal(repr(m["fr"])), Decimal(repr(m["sr"])), m["contractor"]))
        for n, m in enumerate(ranked, 1):
            m["rank"] = n
    for m in months_expected:
        m.setdefault("rank", None)

    expected.sort(key=lambda e: (e["when"], e["rule"], e["subject"]))
    files["expected.json"] = json.dumps({"as_of": AS_OF.isoformat(), "findings": expected,
                                         "months": months_expected}, indent=2, ensure_ascii=False) + "\n"
    files["config.yaml"] = f"# The principal's site config: times without a zone are WIB.\ntimezone: {TIMEZONE}\n"
    return files


def spread(score: int, n: int, rng: random.Random) -> list[int]:
    """n item scores of at most 10 that add up to `score` (of n × 10)."""
    points = [10] * n
    short = n * 10 - score
    while short:
        i = rng.randrange(n)
        if points[i] > 5:
            points[i] -= 1
            short -= 1
    return points


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in build().items():
        (args.out / name).write_text(text, encoding="utf-8", newline="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
