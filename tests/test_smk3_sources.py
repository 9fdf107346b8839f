"""The smk3 pack's data against its sources (copied into rulesets/smk3/sources/): every number is
parsed from the source files, not retyped here.

- smk3-pp50-2012-criteria.md Part A: each criterion's tag [A]/[T]/[L] and text, each element
  heading's "(awal N / transisi N / lanjutan N)", each sub-element heading; Part B's level table
  (kolom 3/4/5 per element, the counts column and the Total row); the "Penilaian" sentence's 64
  and 122;
- secondary-facts.md: "initial 64, transition 122, advanced 166", the per-element counts and
  splits, the bands and flags, the 3-year periods and the 100 workers;
- permenaker-05-1996-smk3.md: every PER. 05/MEN/1996 clause occurs in it verbatim.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

PACK = Path(__file__).resolve().parents[1] / "rulesets" / "smk3"
SOURCES = PACK / "sources"
LEVELS = ("awal", "transisi", "lanjutan")
TAG = {"A": "awal", "T": "transisi", "L": "lanjutan"}

CRITERIA_MD = (SOURCES / "smk3-pp50-2012-criteria.md").read_text(encoding="utf-8")
SECONDARY = re.sub(r"\s+", " ", (SOURCES / "secondary-facts.md").read_text(encoding="utf-8"))
SEED = (SOURCES / "permenaker-05-1996-smk3.md").read_text(encoding="utf-8")
PART_A = CRITERIA_MD.split("## Part A", 1)[1].split("### Variants seen", 1)[0]
PART_B = CRITERIA_MD.split("## Part B", 1)[1].split("## Part D", 1)[0]
SMK3_FACTS = SECONDARY.split("## SMK3 audit", 1)[1].split("## Zero Accident", 1)[0]


def pack_file(name: str) -> dict:
    return yaml.safe_load((PACK / name).read_text(encoding="utf-8"))


TABLES = pack_file("tables.yaml")["tables"]
CLAUSES = {c["number"]: c for c in pack_file("clauses.yaml")["clauses"]}
PARAMETERS = pack_file("parameters.yaml")["parameters"]
FACTS = pack_file("facts.yaml")["facts"]
ROWS = TABLES["smk3_criterion_level"]["rows"]

# Part A: "- 1.1.1 [A] Terdapat kebijakan K3 ..."
A_CRITERIA = {m.group(1): (TAG[m.group(2)], m.group(3).strip())
              for m in re.finditer(r"^- (\d+\.\d+\.\d+) \[([ATL])\] (.+?)\s*$", PART_A, re.M)}
A_ELEMENTS = {int(m.group(1)): (m.group(2).strip(), tuple(int(m.group(i)) for i in (3, 4, 5)))
              for m in re.finditer(r"^### (\d+)\. (.+?)\s+\(awal (\d+) / transisi (\d+) / lanjutan (\d+)\)\s*$",
                                   PART_A, re.M)}
A_SUBS = {m.group(1): m.group(2).strip() for m in re.finditer(r"^\*\*(\d+\.\d+) (.+)\*\*\s*$", PART_A, re.M)}


def part_b() -> tuple[dict[str, str], dict[int, tuple[int, ...]], dict[str, tuple[int, ...]]]:
    """Part B's table: the level of each criterion by its column, the counts per element, the Total."""
    levels: dict[str, str] = {}
    counts: dict[int, tuple[int, ...]] = {}
    total: dict[str, tuple[int, ...]] = {}
    for line in PART_B.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 6:
            continue
        if cells[0].isdigit():
            for column, level in zip(cells[2:5], LEVELS, strict=True):
                for number in re.findall(r"\d+\.\d+\.\d+", column):
                    assert number not in levels, f"Part B lists {number} twice"
                    levels[number] = level
            counts[int(cells[0])] = tuple(int(x) for x in re.findall(r"\d+", cells[5]))
        elif "Total" in cells[1]:
            numbers = [int(x) for x in re.findall(r"\d+", " ".join(cells[2:5]))]
            total = {"new": (numbers[0], numbers[1], numbers[3]), "cumulative": (numbers[0], numbers[2], numbers[4])}
    return levels, counts, total


B_LEVELS, B_COUNTS, B_TOTAL = part_b()


def scope_of(level: str) -> list[str]:
    """The criteria an audit at `level` covers, by the pack's tables."""
    includes = {r["includes"] for r in TABLES["smk3_level_scope"]["rows"] if r["level"] == level}
    return [r["criterion"] for r in ROWS if r["level"] in includes]


def test_the_sources_list_166_criteria_each_once():
    assert len(A_CRITERIA) == 166 and len(B_LEVELS) == 166
    assert set(A_CRITERIA) == set(B_LEVELS)


def test_each_criterion_enters_at_the_level_part_a_and_part_b_give():
    assert [r["criterion"] for r in ROWS] == list(A_CRITERIA)  # every criterion, once, in the source's order
    for row in ROWS:
        number = row["criterion"]
        assert row["level"] == A_CRITERIA[number][0] == B_LEVELS[number], number
        assert row["element"] == int(number.split(".")[0]), number
        assert row["sub_element"] == ".".join(number.split(".")[:2]), number


@pytest.mark.parametrize("level, count", [("awal", 64), ("transisi", 122), ("lanjutan", 166)])
def test_each_audit_level_covers_the_criteria_count_the_source_states(level, count):
    # "a. Kategori Tingkat awal — Perusahaan yang memenuhi 64 (enam puluh empat) kriteria ... b. Kategori
    # Tingkat Transisi — Perusahaan yang memenuhi 122 (seratus dua puluh dua) kriteria"; the lanjutan
    # sentence is cut off in the source, whose Part B header says "kolom 3 + 4 + 5 = 166 kriteria".
    stated = {"awal": re.search(r"Tingkat awal — Perusahaan yang memenuhi (\d+) ", CRITERIA_MD),
              "transisi": re.search(r"Tingkat Transisi — Perusahaan yang memenuhi (\d+) ", CRITERIA_MD),
              "lanjutan": re.search(r"kolom 3 \+ 4 \+ 5 = (\d+) kriteria", CRITERIA_MD)}[level]
    assert stated is not None and int(stated.group(1)) == count
    level_index = LEVELS.index(level)
    assert len(scope_of(level)) == count == B_TOTAL["cumulative"][level_index]
    assert len([c for c, (tag, _) in A_CRITERIA.items() if LEVELS.index(tag) <= level_index]) == count
    secondary = re.search(r"initial (\d+), transition (\d+), advanced (\d+)", SMK3_FACTS)
    assert secondary is not None and int(secondary.group(level_index + 1)) == count


def test_criteria_entering_at_each_level_are_part_b_total_row():
    entering = Counter(r["level"] for r in ROWS)
    assert tuple(entering[level] for level in LEVELS) == B_TOTAL["new"] == (64, 58, 44)


def test_per_element_counts_agree_with_part_a_part_b_and_secondary_facts():
    splits = {int(e): (int(a), int(t), int(n)) for e, a, t, n in re.findall(r"(\d+): (\d+)/(\d+)/(\d+)", SMK3_FACTS)}
    advanced = re.search(r"elements 1–12: ([\d,\s]+?) \(H\)", SMK3_FACTS)
    assert advanced is not None
    for element in range(1, 13):
        ours = tuple(len([c for c in scope_of(level) if c.split(".")[0] == str(element)]) for level in LEVELS)
        assert ours == splits[element] == B_COUNTS[element] == A_ELEMENTS[element][1], element
    assert [len([c for c in scope_of("lanjutan") if c.split(".")[0] == str(e)]) for e in range(1, 13)] == \
        [int(x) for x in advanced.group(1).split(",")]


def test_the_level_scope_is_each_level_with_those_below_it():
    pairs = {(r["level"], r["includes"]) for r in TABLES["smk3_level_scope"]["rows"]}
    assert pairs == {(a, b) for a in LEVELS for b in LEVELS if LEVELS.index(b) <= LEVELS.index(a)}


def test_each_criterion_element_and_sub_element_is_quoted_from_part_a():
    pp50 = {n: c for n, c in CLAUSES.items() if c.get("document") == "pp50"}
    for number, (_, text) in A_CRITERIA.items():
        assert pp50[number]["text"] == text, number
    for element, (name, _) in A_ELEMENTS.items():
        assert pp50[str(element)]["title"] == name
    for sub, name in A_SUBS.items():
        assert pp50[sub]["title"] == name
    flat = re.sub(r"\s+", " ", CRITERIA_MD)
    for number, clause in pp50.items():
        if number not in A_CRITERIA:  # headings and the level scheme
            assert clause["text"] in flat, number


def test_per05_clauses_occur_verbatim_in_the_seed():
    lines = []
    for line in SEED.splitlines():
        stripped = re.sub(r"^#+\s*", "", line.strip()).replace("**", "")
        lines.append(re.sub(r"^-\s+", "", stripped).strip())
    seed = re.sub(r"\s+", " ", " ".join(lines))
    own = [c for c in CLAUSES.values() if not c.get("document")]
    assert len(own) > 60 and {"3(1)", "7(1)", "8(4)", "8(4)a", "8(4)b", "9(1)", "Lampiran I 1.1"} <= {
        c["number"] for c in own}
    for clause in own:
        assert clause["text"] in seed, clause["number"]


def test_the_criterion_values_the_fact_checker_accepts_are_the_166():
    assert FACTS["smk3_criterion"]["fields"]["criterion"]["values"] == list(A_CRITERIA)
    for derived in ("smk3_expected", "smk3_nonconformity"):
        assert FACTS[derived]["fields"]["criterion"]["values"] == list(A_CRITERIA)


def test_the_bands_and_flags_agree_with_secondary_facts_and_the_parameters():
    bands = {name: (int(low), int(high)) for low, high, name in re.findall(r"(\d+)–(\d+) % (\w+)", SMK3_FACTS)}
    flags = dict(re.findall(r"(\w+) \([a-z]+: certificate and (\w+) flag\)", SMK3_FACTS))
    def low(cell):  # a cell naming a parameter holds its value
        return PARAMETERS[cell[1:]]["value"] if isinstance(cell, str) and cell.startswith("$") else cell

    rows = sorted(TABLES["smk3_band"]["rows"], key=lambda r: low(r["low"]))
    lows = [low(r["low"]) for r in rows]
    # each band from its low up to the next band's: 0–59, 60–84, 85–100
    assert {r["band"]: (a, b - 1) for r, a, b in zip(rows, lows, lows[1:] + [101], strict=True)} == bands
    by_band = {r["band"]: r for r in rows}
    assert by_band["baik"]["low"] == "$band_baik_min_pct" and PARAMETERS["band_baik_min_pct"]["value"] == 60
    assert by_band["memuaskan"]["low"] == "$band_memuaskan_min_pct"
    assert PARAMETERS["band_memuaskan_min_pct"]["value"] == 85
    assert not by_band["kurang"]["certificate"] and "flag" not in by_band["kurang"]
    assert {n: by_band[n]["flag"] for n in flags} == flags == {"baik": "silver", "memuaskan": "gold"}
    assert all(by_band[n]["certificate"] for n in flags)


def test_the_periods_and_the_worker_count_are_the_sources():
    assert "seratus orang atau lebih" in CLAUSES["3(1)"]["text"]
    workers = re.search(r"Mandatory for (\d+) or more workers", SMK3_FACTS)
    assert workers is not None and PARAMETERS["workers_min"]["value"] == int(workers.group(1)) == 100
    assert "sekurang-kurangnya satu kali dalam tiga tahun" in CLAUSES["7(1)"]["text"]
    assert "berlaku untuk jangka waktu 3 (tiga) tahun" in CLAUSES["9(1)"]["text"]
    periods = re.search(r"Certificate valid (\d+) years.*?audit at least once in (\d+) years", SMK3_FACTS)
    assert periods is not None
    assert PARAMETERS["certificate_validity_y"]["value"] == int(periods.group(1)) == 3
    assert PARAMETERS["audit_cycle_y"]["value"] == int(periods.group(2)) == 3


def test_pp50_took_effect_on_the_day_the_source_gives():
    edition = TABLES["smk3_criteria_edition"]["rows"]
    assert [str(r["since"]) for r in edition] == ["2012-04-12"]
    assert "in force from 12 April 2012" in CRITERIA_MD
    assert str(pack_file("pack.yaml")["documents"]["pp50"]["effective"]) == "2012-04-12"
