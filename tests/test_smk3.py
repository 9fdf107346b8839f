"""The smk3 pack end to end, beyond what its pack tests can say (rulesets/smk3/tests/*.yaml check
which findings each case gives): the achievement's value, band and flag, the messages' numbers, the
citations of both source documents, each level's criteria count against the source file, refused
records, and the due dates. Expected values come from the plans in generate.py and from the
source file, worked out here by hand, not from the pack's output."""
from __future__ import annotations

import datetime as dt
import importlib.util
import re
import sys
from fractions import Fraction
from pathlib import Path

import patuh
import pytest
from patuh.problems import FactsInvalid, Rejected

PACK = Path(__file__).resolve().parents[1] / "rulesets" / "smk3"
SOURCE = (PACK / "sources" / "smk3-pp50-2012-criteria.md").read_text(encoding="utf-8")


def _generator():
    spec = importlib.util.spec_from_file_location("smk3_generate", PACK / "tests" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


GEN = _generator()


@pytest.fixture(scope="module")
def engine() -> patuh.Engine:
    return patuh.Engine(["smk3"])


def source_text(number: str) -> str:
    found = re.search(rf"^- {re.escape(number)} \[[ATL]\] (.+?)\s*$", SOURCE, re.M)
    assert found is not None
    return found.group(1)


def audit(audit_id: str, level: str, date: str = "2025-05-20", kind: str | None = "external") -> dict:
    out = {"type": "smk3_audit", "audit": audit_id, "company": "PT Semen Padu", "date": date, "level": level,
           "auditor": "PT Sucofindo"}
    return out | ({"kind": kind} if kind else {})


def rows(audit_id: str, criteria: list[str], result: str = "met", **extra: str) -> list[dict]:
    return [{"type": "smk3_criterion", "audit": audit_id, "criterion": c, "result": result, **extra} for c in criteria]


def derived(run, kind: str) -> list:
    return [d for d in run.derived if d.type == kind]


def only(run, rule: str):
    [finding] = [f for f in run.findings if f.rule == rule]
    return finding


def test_the_generated_pack_tests_are_what_generate_py_writes():
    for name, text in GEN.files().items():
        written = (PACK / "tests" / name).read_text(encoding="utf-8")
        assert written == text, f"run rulesets/smk3/tests/generate.py ({name})"


# -- the outcome: achievement, band, flag, message ---------------------------------------------------------

BANDS = (("kurang", 0, 59, None), ("baik", 60, 84, "silver"), ("memuaskan", 85, 100, "gold"))  # the source's


def one_decimal(share: Fraction) -> str:
    """Rounded to one decimal, but never up to the next whole percent (so never into the next band)."""
    return f"{float(min(round(share, 1), Fraction(int(share)) + Fraction(9, 10))):.1f}"


@pytest.mark.parametrize("plan", [p for p in GEN.OUTCOME if p.not_applicable < 64], ids=lambda p: p.audit)
def test_each_outcome_plan_gives_its_achievement_band_and_flag(engine, plan):
    run = engine.evaluate(plan.case()["facts"])
    [outcome] = derived(run, "smk3_outcome")
    scope = len(GEN.in_scope(plan.level))
    met = scope - len(plan.not_met) - plan.not_applicable - plan.missing
    share = Fraction(100 * met, met + len(plan.not_met))
    band, _, _, flag = next(b for b in BANDS if b[1] <= share < b[2] + 1)
    assert (outcome.met, outcome.not_met, outcome.not_applicable, outcome.expected) == (
        met, len(plan.not_met), plan.not_applicable, scope)
    assert Fraction(outcome.achievement).limit_denominator(1000) == share
    assert (outcome.band, getattr(outcome, "flag", None)) == (band, flag)
    # one outcome finding, or two: a critical finding under 60 % is critical and kurang (8(4)b)
    findings = [f for f in run.findings if f.rule.startswith("smk3.outcome-")]
    assert len(findings) == 1 + ("critical" in plan.not_met and share < 60)
    for finding in findings:
        text = f"{one_decimal(share)} %"
        assert text in finding.message and band in finding.message
        assert f"{met} dari {met + len(plan.not_met)} kriteria yang berlaku terpenuhi" in finding.message
        assert f"({plan.not_applicable} kriteria tidak berlaku, tidak dihitung" in finding.message


@pytest.mark.parametrize("audit_id, text, band, decision", [
    ("SMK3-O01", "pencapaian 78.1 %", "baik: sertifikat dan bendera perak (silver)", "certificate"),
    ("SMK3-O02", "pencapaian 59.9 %", "kurang: tidak ada sertifikat", "none"),       # 97/162 = 59.88: kurang
    ("SMK3-O03", "pencapaian 60.0 %", "baik: sertifikat dan bendera perak (silver)", "certificate"),
    ("SMK3-O04", "pencapaian 60.0 %", "baik: sertifikat dan bendera perak (silver)", "certificate"),
    ("SMK3-O05", "pencapaian 84.9 %", "baik: sertifikat dan bendera perak (silver)", "certificate"),  # 84.97
    ("SMK3-O06", "pencapaian 84.9 %", "baik: sertifikat dan bendera perak (silver)", "certificate"),  # 84.94
    ("SMK3-O07", "pencapaian 85.0 %", "memuaskan: sertifikat dan bendera emas (gold)", "certificate"),
    ("SMK3-O08", "pencapaian 100.0 %", "memuaskan: sertifikat dan bendera emas (gold)", "certificate"),
    ("SMK3-O09", "pencapaian 95.3 %", "memuaskan, tetapi 1 temuan kritikal dan 0 temuan mayor: tidak ada sertifikat",
     "none"),
    ("SMK3-O11", "pencapaian 87.7 %", "memuaskan, tetapi 1 temuan mayor (14 minor): tidak ada sertifikat", "none"),
])
def test_the_outcome_message_states_the_achievement_and_band(engine, audit_id, text, band, decision):
    plan = next(p for p in GEN.OUTCOME if p.audit == audit_id)
    run = engine.evaluate(plan.case()["facts"])
    [finding] = [f for f in run.findings if f.rule.startswith("smk3.outcome-")]
    assert text in finding.message and band in finding.message, finding.message
    assert finding.subject.kind == "audit" and finding.subject.id == audit_id
    [made] = derived(run, "smk3_decision")
    assert made.decision == decision


def test_certificate_earned_is_an_observation_and_a_critical_finding_is_critical_at_95(engine):
    earned = engine.evaluate(next(p for p in GEN.OUTCOME if p.audit == "SMK3-O07").case()["facts"])
    assert only(earned, "smk3.outcome-certificate").severity == "observation"
    critical = engine.evaluate(next(p for p in GEN.OUTCOME if p.audit == "SMK3-O09").case()["facts"])
    assert only(critical, "smk3.outcome-critical").severity == "critical"
    assert not [f for f in critical.findings if f.rule == "smk3.outcome-certificate"]
    kurang = engine.evaluate(next(p for p in GEN.OUTCOME if p.audit == "SMK3-O02").case()["facts"])
    finding = only(kurang, "smk3.outcome-kurang")
    assert finding.severity == "major" and [s.rung for s in finding.sanctions] == ["tindakan-pegawai-pengawas"]
    assert [c.number for c in finding.clauses][:2] == ["8(4)b", "8(4)a"]


def test_not_applicable_criteria_leave_the_denominator_and_are_counted(engine):
    scope = GEN.in_scope("awal")
    facts = [audit("NA-1", "awal")] + rows("NA-1", scope[:4], "not_applicable") + rows("NA-1", scope[4:55]) + \
        rows("NA-1", scope[55:], "not_met", category="minor")
    run = engine.evaluate(facts)
    [outcome] = derived(run, "smk3_outcome")
    assert (outcome.applicable, outcome.met, outcome.achievement) == (60, 51, 85)
    message = only(run, "smk3.outcome-certificate").message
    assert "pencapaian 85.0 % – 51 dari 60 kriteria yang berlaku terpenuhi (4 kriteria tidak berlaku, tidak " \
           "dihitung; 64 dari 64 kriteria tingkat awal dinilai) – memuaskan" in message


# -- the checklist: each level's criteria, missing ones, refused rows ------------------------------------------

@pytest.mark.parametrize("level, count", [("awal", 64), ("transisi", 122), ("lanjutan", 166)])
def test_each_level_expects_the_criteria_count_of_the_source(engine, level, count):
    # The count the source states for the level (see test_smk3_sources), and each criterion of it.
    rank = ("awal", "transisi", "lanjutan").index(level)
    in_source = [m.group(1) for m in re.finditer(r"^- (\d+\.\d+\.\d+) \[([ATL])\] ", SOURCE, re.M)
                 if "ATL".index(m.group(2)) <= rank]
    assert len(in_source) == count
    run = engine.evaluate([audit("L-1", level)] + rows("L-1", ["1.1.1"]))
    assert sorted(d.criterion for d in derived(run, "smk3_expected")) == sorted(in_source)
    finding = only(run, "smk3.checklist-incomplete")
    assert f"tidak memuat hasil untuk {count - 1} dari {count} kriteria tingkatnya: {in_source[1]}, {in_source[2]}, " \
        in finding.message
    assert finding.severity == "major"
    elements = {d.element for d in derived(run, "smk3_element_score")}
    assert elements == {int(c.split(".")[0]) for c in in_source}  # awal: no element 10 or 11; transisi: no 11


def test_a_checklist_lacking_criteria_names_them_and_the_outcome_says_over_what(engine):
    scope = GEN.in_scope("awal")
    left_out = ["6.4.3", "12.2.1", "2.4.1"]
    facts = [audit("M-1", "awal")] + rows("M-1", [c for c in scope if c not in left_out])
    run = engine.evaluate(facts)
    finding = only(run, "smk3.checklist-incomplete")
    assert "tidak memuat hasil untuk 3 dari 64 kriteria tingkatnya: 2.4.1, 6.4.3, 12.2.1. Pencapaian dihitung atas " \
           "61 kriteria yang dinilai saja." in finding.message
    pending = only(run, "smk3.outcome-incomplete")
    assert pending.severity == "observation"
    assert "pencapaian sementara 100.0 % atas kriteria yang dinilai saja" in pending.message
    assert "61 dari 64" in pending.message and "3 belum" in pending.message
    assert [d.decision for d in derived(run, "smk3_decision")] == ["pending"]


def test_a_criterion_outside_lampiran_ii_is_refused_by_the_fact_checker_naming_the_record(engine):
    facts = [audit("X-1", "awal")] + rows("X-1", ["1.1.1"]) + \
        [{"type": "smk3_criterion", "audit": "X-1", "criterion": "13.1.1", "result": "met",
          "source": {"detector": "audit", "file": "checklist.xlsx", "row": 9}}]
    with pytest.raises(FactsInvalid) as caught:
        engine.evaluate(facts)
    [problem] = caught.value.problems
    assert str(problem.where) == "fact 3"
    assert "smk3_criterion.criterion: expected one of" in problem.message and "found '13.1.1'" in problem.message


def test_a_criterion_of_a_higher_level_is_refused_by_the_pack_naming_the_record(engine):
    facts = [audit("X-2", "transisi")] + rows("X-2", GEN.in_scope("transisi")) + \
        [{"type": "smk3_criterion", "audit": "X-2", "criterion": "11.1.1", "result": "met",
          "source": {"detector": "audit", "file": "checklist.xlsx", "row": 124}}]
    with pytest.raises(FactsInvalid) as caught:
        engine.evaluate(facts)
    [problem] = caught.value.problems
    assert isinstance(problem, Rejected) and problem.rule == "smk3.criterion-outside-level"
    assert re.fullmatch(r"smk3_criterion smk3_criterion:[0-9a-f]+ \(file checklist.xlsx, row 124\)", str(problem.where))
    assert problem.message.startswith("kriteria 11.1.1 adalah kriteria tingkat lanjutan (PP 50/2012 Lampiran II), "
                                      "bukan kriteria audit X-2 tingkat transisi")


# -- citations: both documents ---------------------------------------------------------------------------------

def test_a_criterion_finding_cites_the_criterion_quoted_its_element_and_lampiran_i(engine):
    scope = GEN.in_scope("awal")
    facts = [audit("C-1", "awal")] + rows("C-1", [c for c in scope if c != "1.2.5"]) + \
        rows("C-1", ["1.2.5"], "not_met", category="major", location="Pos Pemadam", evidence="Tidak ada SK petugas")
    run = engine.evaluate(facts)
    finding = only(run, "smk3.criterion-not-met-major")
    assert finding.severity == "major" and finding.subject.id == "C-1"
    cited = [(c.number, c.document, c.revision) for c in finding.clauses]
    assert cited == [("1.2.5", "PP 50/2012", "2012"), ("1", "PP 50/2012", "2012"),
                     ("Lampiran I 4.3", "PER. 05/MEN/1996", "1996"), ("Lampiran I 4.1", "PER. 05/MEN/1996", "1996")]
    assert finding.clauses[0].text == source_text("1.2.5")
    assert finding.clauses[1].text == "Pembangunan dan Pemeliharaan Komitmen"
    assert "lokasi: Pos Pemadam. Bukti: Tidak ada SK petugas." in finding.message
    [action] = finding.actions
    assert action.due == dt.date(2025, 6, 19)  # 20 May + 30 days (corrective_major_d)
    assert action.accountable == ["Pengurus"]


def test_per05_articles_are_cited_by_their_own_numbers(engine):
    run = engine.evaluate([{"type": "company", "company": "PT A", "workers": 100, "high_hazard": False,
                            "date": "2026-01-01"}], as_of=dt.date(2026, 3, 1))
    finding = only(run, "smk3.no-audit")
    assert [(c.number, c.document) for c in finding.clauses] == [
        ("3(1)", "PER. 05/MEN/1996"), ("5(1)", "PER. 05/MEN/1996"), ("7(1)", "PER. 05/MEN/1996")]
    assert finding.clauses[0].text.startswith("Setiap perusahaan yang mempekerjakan tenaga kerja sebanyak seratus")


# -- the cycle and the certificate: due dates --------------------------------------------------------------------

def test_the_next_audit_is_owed_three_years_after_the_last(engine):
    facts = [audit("E-1", "transisi", "2023-03-15")]
    [owed] = engine.evaluate(facts, as_of=dt.date(2026, 3, 15)).obligations
    assert (owed.rule, owed.status, owed.due, owed.subject.id) == ("smk3.audit-cycle", "open", dt.date(2026, 3, 15),
                                                                    "PT Semen Padu")
    late = engine.evaluate(facts, as_of=dt.date(2026, 3, 16))
    assert [o.status for o in late.obligations] == ["overdue"]
    finding = only(late, "smk3.audit-overdue")
    assert "(E-1, 2023-03-15) lebih dari 3 tahun sebelum 2026-03-16: audit berikutnya jatuh tempo 2026-03-15" \
        in finding.message


def test_the_certificate_is_valid_through_its_third_anniversary(engine):
    cert = {"type": "smk3_certificate", "company": "PT Semen Padu", "number": "5678/SMK3/2023",
            "issued": "2023-03-15", "level": "lanjutan", "achievement": 91.2, "flag": "gold"}
    last_day = engine.evaluate([cert], as_of=dt.date(2026, 3, 15))
    assert [f.rule for f in last_day.findings] == ["smk3.certificate-expiring"]
    assert "berlaku sampai 2026-03-15" in last_day.findings[0].message
    after = engine.evaluate([cert], as_of=dt.date(2026, 3, 16))
    finding = only(after, "smk3.certificate-expired")
    assert finding.severity == "major" and "berlaku sampai 2026-03-15: sudah tidak berlaku pada 2026-03-16" \
        in finding.message


@pytest.mark.parametrize("category, days", [("critical", 7), ("major", 30), ("minor", 90)])
def test_corrective_actions_are_due_by_category(engine, category, days):
    scope = GEN.in_scope("awal")
    facts = [audit("K-1", "awal")] + rows("K-1", scope[1:]) + rows("K-1", scope[:1], "not_met", category=category)
    run = engine.evaluate(facts)
    [owed] = [o for o in run.obligations if o.action == "corrective"]
    assert owed.due == dt.date(2025, 5, 20) + dt.timedelta(days=days)
    assert owed.clauses[0].number == scope[0] and owed.clauses[0].document == "PP 50/2012"


# -- the summary for the report ------------------------------------------------------------------------------------

def test_element_and_sub_element_summaries_add_up_to_the_outcome(engine):
    plan = next(p for p in GEN.OUTCOME if p.audit == "SMK3-O02")
    run = engine.evaluate(plan.case()["facts"])
    [outcome] = derived(run, "smk3_outcome")
    elements = derived(run, "smk3_element_score")
    subs = derived(run, "smk3_sub_element_score")
    assert len(elements) == 12 and len(subs) == len({c.rsplit(".", 1)[0] for c in GEN.in_scope("lanjutan")})
    for field in ("met", "not_met", "not_applicable", "missing", "expected"):
        assert sum(getattr(e, field) for e in elements) == sum(getattr(s, field) for s in subs) == \
            getattr(outcome, field), field
    one = next(e for e in elements if e.element == 6)
    assert one.expected == 41 and one.achievement == pytest.approx(100 * one.met / (one.met + one.not_met))
    awal = engine.evaluate(next(p for p in GEN.OUTCOME if p.audit == "SMK3-O01").case()["facts"])
    by_sub = {s.sub_element: s.expected for s in derived(awal, "smk3_sub_element_score")}
    assert by_sub["1.1"] == 2 and "11.1" not in by_sub  # 1.1.1 and 1.1.3 at awal; element 11 only at lanjutan


def test_the_pack_s_tables_through_the_public_api_detectors_use():
    tables = patuh.tables("smk3")
    assert {r["criterion"]: r["level"] for r in tables["smk3_criterion_level"]} == {
        m.group(1): {"A": "awal", "T": "transisi", "L": "lanjutan"}[m.group(2)]
        for m in re.finditer(r"^- (\d+\.\d+\.\d+) \[([ATL])\] ", SOURCE, re.M)}
    assert [(r["band"], r["low"], r.get("flag")) for r in tables["smk3_band"]] == [
        ("kurang", 0, None), ("baik", 60, "silver"), ("memuaskan", 85, "gold")]  # the lows are parameters
    assert [r["since"] for r in tables["smk3_criteria_edition"]] == [dt.date(2012, 4, 12)]
    with pytest.raises(LookupError, match="the nope pack is not installed"):
        patuh.tables("nope")


def test_a_band_limit_overridden_moves_the_band_the_table_gives():
    facts = next(p for p in GEN.OUTCOME if p.audit == "SMK3-O01").case()["facts"]  # 78.125 %
    stricter = patuh.Engine(["smk3"], config={"parameters": {"smk3": {"band_baik_min_pct": 80}}})
    run = stricter.evaluate(facts)
    [outcome] = derived(run, "smk3_outcome")
    assert (outcome.band, getattr(outcome, "flag", None)) == ("kurang", None)
    assert "pencapaian 78.1 %" in only(run, "smk3.outcome-kurang").message
