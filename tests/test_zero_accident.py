"""The zero_accident pack against its sources, and what its findings and derived facts say.

The sources (rulesets/zero_accident/sources/) are read here on their own: the seed's lost-day
tables, whose columns run together ("Ruas ujung300100756050"), and secondary-facts.md, which lays
the same tables out by column ("thumb 300 / – / 600 / 900"). Every cell of tables.yaml is
checked against both, the two sources against each other without tables.yaml in between, every
clause text against the seed, and the parameters that come from them. Then the engine: each cell
charged to an injured worker must state the seed's number in its finding; the lost_time_accident
facts the csms pack reads carry their fields; the outcome lists every reason.
"""
from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path

import patuh
import pytest
import yaml

PACK = Path(__file__).resolve().parents[1] / "rulesets" / "zero_accident"
SEED = (PACK / "sources" / "zero-accident-award.txt").read_text(encoding="utf-8")
SECONDARY = (PACK / "sources" / "secondary-facts.md").read_text(encoding="utf-8")
HEADER = "Amputasi seluruh atau sebagian dari tulang"
CAPTION = "Tabel Kehilangan waktu kerja karena bagian tubuh cacat tetap"
WIB = dt.timezone(dt.timedelta(hours=7))


def norm(text: str) -> str:
    """No-break spaces as spaces, every run of white space as one space."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def seed_tables() -> dict[str, dict]:
    """The seed's lost-day tables: heading -> {"columns": the header's run-together column labels
    or None, "rows": {row label: its run-together digits}}."""
    lines = [norm(line) for line in SEED.splitlines()]
    start = lines.index("Kehilangan waktu kerja karena bagian tubuh cacat tetap (permanen) :")
    end = next(i for i, line in enumerate(lines) if line.startswith("*catatan"))
    tables: dict[str, dict] = {}
    current = ""
    for line in lines[start + 1:end]:
        if not line or line == CAPTION:
            continue
        if line.endswith("(hari)"):
            current = line[:-len("(hari)")].strip()
            tables[current] = {"columns": None, "rows": {}}
        elif line.startswith(HEADER):
            tables[current]["columns"] = line[len(HEADER):]
        else:
            found = re.fullmatch(r"(.*?\D)(\d+)", line)
            assert found, f"a seed table line without its number: {line!r}"
            tables[current]["rows"][found.group(1).strip()] = found.group(2)
    return tables


SEED_TABLES = seed_tables()
# The seed's column labels, in its order (the header runs them together: "Ibu JariTelunjuk...").
COLUMNS = {"Tangan dan Jari Tangan": ["Ibu Jari", "Telunjuk", "Tengah", "Manis", "Kelingking"],
           "Kaki dan Jari Kaki": ["Ibu Jari", "Jari-Jari Lainnya"]}
PARTS = {("Tangan dan Jari Tangan", c): p for c, p in zip(COLUMNS["Tangan dan Jari Tangan"],
                                                          ["thumb", "index", "middle", "ring", "little"], strict=True)}
PARTS |= {("Kaki dan Jari Kaki", "Ibu Jari"): "big_toe", ("Kaki dan Jari Kaki", "Jari-Jari Lainnya"): "other_toe"}
JOINT_ROWS = {"Ruas ujung": "tip", "Ruas tengah": "middle", "Ruas pangkal": "base",
              "Telapak (antara jari-jari dan pergelangan)": "metacarpal"}
WHOLE_ROWS = {("Tangan dan Jari Tangan", "Tangan sampai pergelangan"): "hand",
              ("Kaki dan Jari Kaki", "Kaki sampai pergelangan"): "foot",
              ("Lengan", "Tiap bagian dari pergelangan sampai siku"): "arm_below_elbow",
              ("Lengan", "Tiap bagian dari atas siku sampai sambungan bahu"): "arm_above_elbow",
              ("Tungkai Kaki", "Tiap bagian dari atas mata kaki sampai lutut"): "leg_below_knee",
              ("Tungkai Kaki", "Tiap bagian dari atas lutu sampai pangkal paha"): "leg_above_knee"}
LOSS_ROWS = {("Kehilangan Fungsi", "Satu mata"): "one_eye",
             ("Kehilangan Fungsi", "Kedua mata dalam satu kasus kecelakaan kerja"): "both_eyes",
             ("Kehilangan Fungsi", "Satu telinga"): "one_ear",
             ("Kehilangan Fungsi", "Kedua telinga dalam satu kasus kecelakaan kerja"): "both_ears",
             ("Lumpuh Total & Kematian", "Lumpuh total permanen"): "total_paralysis",
             ("Lumpuh Total & Kematian", "Kematian"): "death"}


def secondary_cells() -> tuple[dict[tuple[str, str | None], int | None], dict[str, int]]:
    """secondary-facts.md's lost-day bullet: (part, joint) -> days (None: blank in the source),
    and loss -> days."""
    bullet = re.search(r"^- Lost days for permanent disability.*?(?=^- |\n## |\Z)", SECONDARY, re.M | re.S)
    assert bullet, "secondary-facts.md: the lost-day bullet"
    text = norm(bullet.group(0))
    joint = {"tip": "tip", "middle": "middle", "base": "base", "metacarpal": "metacarpal", "metatarsal": "metacarpal"}

    def cells(spec: str) -> list[int | None]:
        return [None if c.strip() in ("–", "-") or c.strip().startswith("(blank") else int(c.replace(",", ""))
                for c in spec.split(" / ")]

    out: dict[tuple[str, str | None], int | None] = {}
    fingers = re.search(r"fingers by joint \(([^)]*)\): (.*?)\. Hand at the wrist (\d+)\.", text)
    assert fingers
    joints = [joint[j.strip()] for j in fingers.group(1).split("/")]
    for entry in fingers.group(2).split("; "):
        name, spec = entry.split(" ", 1)
        out |= {(name, j): v for j, v in zip(joints, cells(spec), strict=True)}
    out[("hand", None)] = int(fingers.group(3))
    toes = re.search(r"Toes \(([^)]*)\): (.*?); foot at the ankle (\d+)\.", text)
    assert toes
    joints = [joint[j.strip()] for j in toes.group(1).split("/")]
    for entry in toes.group(2).split("; "):
        name = "big toe" if entry.startswith("big toe ") else "other toes"
        part = {"big toe": "big_toe", "other toes": "other_toe"}[name]
        out |= {(part, j): v for j, v in zip(joints, cells(entry[len(name) + 1:]), strict=True)}
    out[("foot", None)] = int(toes.group(3))
    limbs = re.search(r"Arm wrist–elbow (\d+), above the elbow (\d+); leg ankle–knee (\d+), above the knee "
                      r"(\d+)\.", text)
    assert limbs
    out |= {(p, None): int(v) for p, v in zip(["arm_below_elbow", "arm_above_elbow", "leg_below_knee",
                                                "leg_above_knee"], limbs.groups(), strict=True)}
    loss = re.search(r"One eye (\d+), both eyes (\d+), one ear (\d+), both ears (\d+), permanent total paralysis "
                     r"(\d+), death (\d+)\.", text)
    assert loss
    losses = dict(zip(["one_eye", "both_eyes", "one_ear", "both_ears", "total_paralysis", "death"],
                      map(int, loss.groups()), strict=True))
    return out, losses


SECONDARY_CELLS, SECONDARY_LOSS = secondary_cells()
PARAMETERS = yaml.safe_load((PACK / "parameters.yaml").read_text(encoding="utf-8"))["parameters"]
TABLES = yaml.safe_load((PACK / "tables.yaml").read_text(encoding="utf-8"))["tables"]
CLAUSES = yaml.safe_load((PACK / "clauses.yaml").read_text(encoding="utf-8"))["clauses"]


def cell_value(value):
    """A table cell as the engine reads it: a $parameter's value."""
    return PARAMETERS[value[1:]]["value"] if isinstance(value, str) and value.startswith("$") else value


LOST_DAYS = {(r["part"], r.get("joint")): r for r in TABLES["lost_days"]["rows"]}
LOSS_DAYS = {r["loss"]: r for r in TABLES["loss_days"]["rows"]}


# -- the two sources, each on its own and against each other -------------------------------------------

def test_the_seed_has_the_six_lost_day_tables():
    assert list(SEED_TABLES) == ["Tangan dan Jari Tangan", "Kaki dan Jari Kaki", "Lengan", "Tungkai Kaki",
                                 "Kehilangan Fungsi", "Lumpuh Total & Kematian"]
    for heading, columns in COLUMNS.items():
        assert SEED_TABLES[heading]["columns"] == "".join(columns)  # the header's labels, run together


@pytest.mark.parametrize(("heading", "label"), [(h, r) for h, t in SEED_TABLES.items() for r in t["rows"]])
def test_each_seed_row_is_the_pack_tables_cells_run_together(heading, label):
    """The table's cells of a seed row, in the seed's column order, written one after the other,
    are the row's digits as the seed prints them."""
    digits = SEED_TABLES[heading]["rows"][label]
    if (heading, label) in WHOLE_ROWS:
        assert str(LOST_DAYS[(WHOLE_ROWS[(heading, label)], None)]["days"]) == digits
    elif (heading, label) in LOSS_ROWS:
        assert str(cell_value(LOSS_DAYS[LOSS_ROWS[(heading, label)]]["days"])) == digits
    else:
        joint = JOINT_ROWS[label]
        cells = [LOST_DAYS.get((PARTS[(heading, c)], joint)) for c in COLUMNS[heading]]
        assert "".join(str(r["days"]) for r in cells if r) == digits
        for column, row in zip(COLUMNS[heading], cells, strict=True):
            if row:
                assert row["cell"] == f"{heading} – {label} – {column}"  # the row names its seed cell


def test_the_cells_the_seed_leaves_blank_are_not_rows():
    """A row of the seed with one number fewer than its columns: thumb and big toe have no middle
    bone; the little finger's Telapak has no number (secondary-facts.md: "(blank in the source)")."""
    blanks = {k for k, v in SECONDARY_CELLS.items() if v is None}
    assert blanks == {("thumb", "middle"), ("little", "metacarpal"), ("big_toe", "middle")}
    assert not blanks & set(LOST_DAYS)
    assert len(SEED_TABLES["Tangan dan Jari Tangan"]["rows"]["Ruas tengah"]) == len("200150120100")
    assert set(SECONDARY_CELLS) - blanks == set(LOST_DAYS)  # and no other cell is missing


@pytest.mark.parametrize("key", sorted(LOST_DAYS, key=str), ids=lambda k: f"{k[0]}-{k[1]}")
def test_each_lost_days_cell_is_secondary_facts(key):
    assert LOST_DAYS[key]["days"] == SECONDARY_CELLS[key]


@pytest.mark.parametrize("loss", sorted(LOSS_DAYS))
def test_each_loss_days_cell_is_both_sources(loss):
    heading, label = LOSS_DAYS[loss]["cell"].split(" – ")
    assert cell_value(LOSS_DAYS[loss]["days"]) == int(SEED_TABLES[heading]["rows"][label]) == SECONDARY_LOSS[loss]


def test_the_two_sources_agree_without_the_pack_between_them():
    joint_of = {v: k for k, v in JOINT_ROWS.items()}
    for heading, columns in COLUMNS.items():
        for joint in JOINT_ROWS.values():
            cells = [SECONDARY_CELLS[(PARTS[(heading, c)], joint)] for c in columns]
            assert "".join(str(c) for c in cells if c is not None) == SEED_TABLES[heading]["rows"][joint_of[joint]]
    for (heading, label), part in WHOLE_ROWS.items():
        assert str(SECONDARY_CELLS[(part, None)]) == SEED_TABLES[heading]["rows"][label]
    for (heading, label), loss in LOSS_ROWS.items():
        assert str(SECONDARY_LOSS[loss]) == SEED_TABLES[heading]["rows"][label]


def _decreasing_splits(digits: str, k: int) -> list[tuple[int, ...]]:
    found = []
    for cuts in itertools.combinations(range(1, len(digits)), k - 1):
        parts = [digits[a:b] for a, b in zip((0, *cuts), (*cuts, len(digits)), strict=True)]
        values = tuple(int(p) for p in parts)
        if not any(p.startswith("0") for p in parts) and all(x > y for x, y in itertools.pairwise(values)):
            found.append(values)
    return found


@pytest.mark.parametrize("heading", list(COLUMNS))
def test_the_seed_alone_allows_the_packs_reading_and_no_other_with_its_blanks(heading):
    """Every reading of the run-together rows in which a finger (toe) nearer the little one costs
    fewer days, a bone nearer the wrist (ankle) more, and none reaches the whole hand (foot): the
    pack's is one of them, and the only one leaving the same cells blank."""
    columns, labels = COLUMNS[heading], list(JOINT_ROWS)
    whole = int(SEED_TABLES[heading]["rows"]["Tangan sampai pergelangan" if heading.startswith("Tangan")
                                             else "Kaki sampai pergelangan"])
    per_row = []
    for label in labels:
        digits = SEED_TABLES[heading]["rows"][label]
        per_row.append([dict(zip(cols, values, strict=True)) for k in range(1, len(columns) + 1)
                        for values in _decreasing_splits(digits, k)
                        for cols in itertools.combinations(range(len(columns)), k)])
    readings = [combo for combo in itertools.product(*per_row)
                if all(v < whole for row in combo for v in row.values())
                and all(all(a < b for a, b in itertools.pairwise(col))
                        for col in ([row[c] for row in combo if c in row] for c in range(len(columns))))]
    ours = tuple({i: LOST_DAYS[(PARTS[(heading, c)], JOINT_ROWS[label])]["days"]
                  for i, c in enumerate(columns) if (PARTS[(heading, c)], JOINT_ROWS[label]) in LOST_DAYS}
                 for label in labels)
    assert ours in readings
    assert [r for r in readings if all(set(a) == set(b) for a, b in zip(r, ours, strict=True))] == [ours]


def test_the_company_categories_are_the_seeds_bounds_and_the_secondary_thresholds():
    seed = norm(SEED)
    large = int(re.search(r"Perusahaan Besar: Jumlah tenaga kerja lebih dari (\d+) orang", seed).group(1))
    medium = re.search(r"Perusahaan Menengah: Jumlah tenaga kerja antara (\d+) hingga (\d+) orang", seed)
    small = int(re.search(r"Perusahaan Kecil: Jumlah tenaga kerja hingga (\d+) orang", seed).group(1))
    thresholds = re.search(r"more than \d+ workers: ([\d,]+) person-hours or (\d+) consecutive years without a "
                           r"lost-time accident; \d+–\d+ workers: ([\d,]+) hours or (\d+) years; up to \d+ workers: "
                           r"([\d,]+) hours or (\d+) years; construction: at least (one) project year", norm(SECONDARY))
    hours = [int(thresholds.group(i).replace(",", "")) for i in (1, 3, 5)]
    assert [PARAMETERS[f"hours_threshold_{c}"]["value"] for c in ("large", "medium", "small")] == hours
    assert {int(thresholds.group(i)) for i in (2, 4, 6)} == {PARAMETERS["lta_free_years"]["value"]}
    assert PARAMETERS["construction_lta_free_years"]["value"] == 1 and thresholds.group(7) == "one"
    assert PARAMETERS["workers_large_min"]["value"] == large + 1  # "lebih dari 100"
    assert (PARAMETERS["workers_medium_min"]["value"], PARAMETERS["workers_medium_max"]["value"]) == (
        int(medium.group(1)), int(medium.group(2)))
    assert PARAMETERS["workers_small_max"]["value"] == small
    for name in ("hours_threshold_large", "hours_threshold_medium", "hours_threshold_small", "lta_free_years",
                 "construction_lta_free_years", "eligibility_criteria_min"):
        assert PARAMETERS[name]["confidence"] == "M", name  # one secondary source
    rows = {r["category"]: r for r in TABLES["company_category"]["rows"]}
    assert {c: cell_value(rows[c]["hours_threshold"]) for c in rows} == dict(
        zip(("large", "medium", "small"), hours, strict=True))


def test_the_other_parameters_come_from_the_sources():
    seed, secondary = norm(SEED), norm(SECONDARY)
    within = re.search(r"tidak dapat kembali bekerja dalam waktu (\d+) x (\d+) jam", seed)
    assert int(within.group(1)) * int(within.group(2)) == PARAMETERS["lta_return_within_h"]["value"] == 48
    years = re.findall(r"selama (\d+) \(tiga\) tahun", seed)
    assert len(years) == 5 and {PARAMETERS["smk3_years"]["value"], PARAMETERS["application_years"]["value"]} == {3}
    assert PARAMETERS["death_days"]["value"] == SECONDARY_LOSS["death"] == 6000
    assert PARAMETERS["total_paralysis_days"]["value"] == SECONDARY_LOSS["total_paralysis"] == 6000
    for name, pattern in {"frequency_rate_per_h": r"Frequency rate = lost-time accidents × ([\d,]+) / hours worked",
                          "severity_rate_per_h": r"severity rate = lost days × ([\d,]+) / hours worked",
                          "ltifr_per_h": r"LTIFR = \(lost-time injuries \+ fatalities\) × ([\d,]+) / hours",
                          "trir_per_h": r"TRIR = recordable cases × ([\d,]+) / hours"}.items():
        assert PARAMETERS[name]["value"] == int(re.search(pattern, secondary).group(1).replace(",", "")), name


@pytest.mark.parametrize("clause", CLAUSES, ids=[c["number"] for c in CLAUSES])
def test_every_clause_is_quoted_from_the_seed(clause):
    assert norm(clause["text"]) in norm(SEED)


def test_the_clauses_the_issue_names_are_there():
    numbers = {c["number"] for c in CLAUSES}
    wanted = {"peserta.1", "peserta.2", "peserta.3", "kecelakaan.1", "kecelakaan.2", "pengecualian.1",
              "pengecualian.2", "kehilangan-hari", "kehilangan-hari.catatan"} | {f"pengajuan.{i}" for i in range(1, 10)}
    assert wanted <= numbers


# -- the engine ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def engine() -> patuh.Engine:
    return patuh.Engine([PACK], entry_points=False)


def injury(incident: str, **fields) -> dict:
    return {"type": "incident", "incident": incident, "company": "PT Baja", "time": "2026-02-02T08:00:00+07:00",
            "kind": "injury", "person": "Eko", "returned_to_work": "2026-04-01T07:00:00+07:00", **fields}


def findings(result, rule: str) -> list:
    return [f for f in result.findings if f.rule == f"zero_accident.{rule}"]


# The cells from secondary-facts.md's layout (the seed's digits cut by it, as the tests above
# show), not from tables.yaml; the seed's heading, row and column name the cell in the message.
SEED_CELLS = []
for (heading, column), part in PARTS.items():
    for label, joint in JOINT_ROWS.items():
        if SECONDARY_CELLS[(part, joint)] is not None:
            SEED_CELLS.append(((part, joint), SECONDARY_CELLS[(part, joint)], f"{heading} – {label} – {column}"))
SEED_CELLS += [((part, None), SECONDARY_CELLS[(part, None)], f"{h} – {label}")
               for (h, label), part in WHOLE_ROWS.items()]


def test_the_seed_cells_are_thirty_one():
    assert len(SEED_CELLS) == 31 == len(LOST_DAYS)


@pytest.mark.parametrize(("key", "days", "cell"), SEED_CELLS, ids=[f"{k[0]}-{k[1]}" for k, _, _ in SEED_CELLS])
def test_each_amputation_is_charged_the_seeds_cell(engine, key, days, cell):
    amputation = {"part": key[0]} | ({"joint": key[1]} if key[1] else {})
    # days_lost (58, the actual days away) never replaces the table (kehilangan-hari.catatan is for no amputation)
    run = engine.evaluate([injury("A-1", amputation=amputation, days_lost=58)])
    [lta] = findings(run, "lost-time-accident")
    assert lta.message.endswith(f"; {days} work days lost ({cell})")
    [fact] = [d for d in run.derived if d.type == "lost_time_accident"]
    assert (fact.days, fact.days_basis) == (days, "amputation")


@pytest.mark.parametrize(("loss", "label"), [(v, k[1]) for k, v in LOSS_ROWS.items()])
def test_each_loss_and_death_is_charged_the_seeds_row(engine, loss, label):
    days = SECONDARY_LOSS[loss]
    record = injury("L-1", fatal=True) if loss == "death" else injury("L-1", loss=loss)
    run = engine.evaluate([record])
    [lta] = findings(run, "fatal-accident" if loss == "death" else "lost-time-accident")
    assert f"; {days} work days lost (" in lta.message and lta.message.endswith(f"– {label})")


def test_the_largest_charge_of_an_incident_is_its_lost_days(engine):
    # a hand (3000) and one eye (1800) in one accident: 3000, never 4800; a death besides: 6000
    run = engine.evaluate([injury("C-1", amputation={"part": "hand"}, loss="one_eye"),
                           injury("C-2", amputation={"part": "hand"}, fatal=True, returned_to_work=None)])
    days = {d.incident: d.days for d in run.derived if d.type == "lost_time_accident"}
    assert days == {"C-1": 3000, "C-2": 6000}


def test_an_injury_without_amputation_is_charged_its_actual_days(engine):
    run = engine.evaluate([injury("D-1", days_lost=12)])
    [lta] = findings(run, "lost-time-accident")
    assert "12 work days lost (jumlah sesungguhnya (kehilangan-hari.catatan))" in lta.message
    assert [c.number for c in lta.clauses] == ["kecelakaan.1", "kehilangan-hari", "kehilangan-hari.catatan"]


def test_the_lost_time_accident_the_csms_pack_reads(engine):
    """One classification for both packs: its fields, whoever's worker it was."""
    run = engine.evaluate([injury("K-7", contractor="CV Mitra Las", days_lost=6,
                                  time="2025-12-31T23:30:00+07:00", returned_to_work="2026-01-07T07:00:00+07:00")])
    [fact] = [d for d in run.derived if d.type == "lost_time_accident"]
    got = fact.model_dump(exclude={"id", "type", "derived_from"}, exclude_none=True)
    assert got == {"incident": "K-7", "company": "PT Baja", "time": dt.datetime(2025, 12, 31, 23, 30, tzinfo=WIB),
                   "year": 2025, "kind": "injury", "reason": "late_return", "clause": "kecelakaan.1",
                   "person": "Eko", "contractor": "CV Mitra Las", "fatal": False, "days": 6, "days_basis": "actual"}
    [lta] = findings(run, "lost-time-accident")
    assert "worker Eko (contractor CV Mitra Las)" in lta.message


def test_an_excluded_incident_says_why_and_is_no_lost_time_accident(engine):
    run = engine.evaluate([injury("E-1", cause="natural_disaster", days_lost=3)])
    [excluded] = findings(run, "excluded-outside-control")
    assert "is not counted: its cause is natural_disaster, as the register states (pengecualian.1)" in excluded.message
    assert [c.number for c in excluded.clauses] == ["pengecualian.1", "kecelakaan.1"]
    assert not [d for d in run.derived if d.type == "lost_time_accident"]


BASE = [
    {"type": "company", "company": "PT Nihil", "workers": 30},
    *({"type": "work_hours", "company": "PT Nihil", "year": y, "employee_hours": 100000, "overtime_hours": 10000,
       "contractor_hours": 9000, "contractor_overtime_hours": 1000} for y in (2023, 2024, 2025)),
    {"type": "smk3_audit", "audit": "AU-1", "company": "PT Nihil", "date": "2022-01-10", "level": "awal"},
    {"type": "smk3_audit", "audit": "AU-2", "company": "PT Nihil", "date": "2025-01-10", "level": "transisi"},
]
AS_OF = dt.datetime(2026, 6, 30, 12, tzinfo=WIB)


def test_eligible_with_its_hours_and_years(engine):
    [eligible] = findings(engine.evaluate(BASE, as_of=AS_OF), "eligible")
    assert eligible.severity == "observation"
    assert eligible.message.startswith("PT Nihil (Perusahaan Kecil, 30 workers) is eligible for the Zero Accident "
                                       "award at 2026-06-30 12:00 WIB: 360,000 h worked without a lost-time accident "
                                       "over 3 years of the hours register")
    assert "360,000 h without a lost-time accident reach the 300,000 h of a Perusahaan Kecil" in eligible.message
    assert eligible.clauses[0].number == "peserta.3"


def test_a_contractors_accident_resets_the_hours_and_not_eligible_lists_every_reason(engine):
    facts = [f for f in BASE if f.get("year") != 2024] + [
        {"type": "incident", "incident": "K-9", "company": "PT Nihil", "time": "2026-04-01T09:00:00+07:00",
         "kind": "injury", "person": "Andi", "contractor": "CV Karya", "returned_to_work": "2026-04-06T07:00:00+07:00",
         "days_lost": 4},
        {"type": "work_hours", "company": "PT Nihil", "year": 2024, "employee_hours": 100000, "overtime_hours": 10000,
         "contractor_hours": 9000}]
    run = engine.evaluate(facts, as_of=AS_OF)
    [since] = [d for d in run.derived if d.type == "hours_since_lta"]
    assert (since.hours, since.years, since.lta_year) == (0, 0, 2026)  # nothing on record after 2026
    [outcome] = findings(run, "not-eligible")
    assert outcome.severity == "major"
    reasons = outcome.message.split(": ", 1)[1]
    assert "pengajuan.3: 2024 contractor_overtime_hours (jam kerja lembur kontraktor) missing" in reasons
    assert "peserta.3: 0 h worked without a lost-time accident (the last: 2026-04-01 09:00 WIB" in reasons
    assert "peserta: the last lost-time accident was on 2026-04-01" in reasons
    assert not findings(run, "eligible")


def test_hours_since_the_last_lta_add_the_four_series_of_the_years_after_it(engine):
    facts = BASE + [injury("K-1", company="PT Nihil", time="2023-12-15T10:00:00+07:00",
                           returned_to_work="2023-12-20T07:00:00+07:00", days_lost=4),
                    {"type": "work_hours", "company": "PT Nihil", "year": 2026, "employee_hours": 40000.5,
                     "overtime_hours": 0, "contractor_hours": 2000, "contractor_overtime_hours": 0}]
    [since] = [d for d in engine.evaluate(facts, as_of=AS_OF).derived if d.type == "hours_since_lta"]
    # 2024 and 2025 (120,000 h each) and 2026 to date (42,000.5 h); 2023, the accident's year, not counted
    assert (since.hours, since.years, since.first_year) == (282000.5, 3, 2024)


def test_a_stop_judged_against_the_sites_shift_pattern_names_the_shift():
    config = {"timezone": "Asia/Makassar", "shifts": {"I": {"start": "06:00", "end": "18:00"},
                                                      "II": {"start": "18:00", "end": "06:00"}}}
    engine = patuh.Engine([PACK], config=config, entry_points=False)
    stop = {"type": "incident", "incident": "P-1", "company": "PT Baja", "time": "2026-03-02T10:00:00",
            "kind": "process_stop"}
    wita = dt.timezone(dt.timedelta(hours=8))
    [pending] = findings(engine.evaluate([stop], as_of=dt.datetime(2026, 3, 3, 6, tzinfo=wita)),
                         "incident-pending-stop")
    assert pending.message.endswith("by the end of the next normal shift (II), 2026-03-03 06:00 WITA (kecelakaan.2)")
    [lta] = findings(engine.evaluate([stop], as_of=dt.datetime(2026, 3, 3, 6, 1, tzinfo=wita)),
                     "lost-time-process-stop")
    assert "not resumed by the end of the next normal shift, 2026-03-03 06:00 WITA" in lta.message
    assert "0 work days lost" in lta.message
