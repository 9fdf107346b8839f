"""Write the smk3 pack's checklist test cases (checklist.yaml, outcome.yaml) from plans.

    .venv/bin/python rulesets/smk3/tests/generate.py        # rewrites the two files beside it

A case is a plan: an audit's level, how many of its criteria are met, not met (with the auditor's
categories) and not applicable, and which are left out. The criteria and the level each enters at
come from the source file (sources/smk3-pp50-2012-criteria.md, Part A: "- 1.1.1 [A] ...", [A]
awal, [T] transisi, [L] lanjutan), not from the pack's table, and the findings each case expects
are worked out here from the issue's rules (achievement = met / (met + not met); 0-59 kurang,
60-84 baik, 85-100 memuaskan, on the exact value; any critical or major finding: no certificate),
so the pack is checked against the plan, not against itself. tests/test_smk3.py checks that the
files are what this script writes.
"""
from __future__ import annotations

import random
import re
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "sources" / "smk3-pp50-2012-criteria.md"
LEVELS = ("awal", "transisi", "lanjutan")
TAG = {"A": "awal", "T": "transisi", "L": "lanjutan"}
LOCATIONS = ("Gudang Bahan Baku", "Bengkel Perawatan", "Area Produksi 2", "Kantor K3", "Dermaga Muat")


def criteria() -> list[tuple[str, str]]:
    """(criterion, the level it enters at) in the source's order."""
    part_a = SOURCE.read_text(encoding="utf-8").split("## Part A", 1)[1].split("### Variants seen", 1)[0]
    return [(m.group(1), TAG[m.group(2)]) for m in re.finditer(r"^- (\d+\.\d+\.\d+) \[([ATL])\] ", part_a, re.M)]


def in_scope(level: str) -> list[str]:
    rank = LEVELS.index(level)
    return [c for c, entered in criteria() if LEVELS.index(entered) <= rank]


@dataclass
class Plan:
    name: str
    audit: str
    level: str
    date: str = "2025-05-20"
    kind: str | None = "external"
    not_met: list[str] = field(default_factory=list)  # categories, one per criterion not met
    not_applicable: int = 0
    missing: int = 0  # criteria of the level with no row
    seed: int = 1
    extra: list[dict] = field(default_factory=list)  # rows added as they are (the plan counts them)
    facts: list[dict] = field(default_factory=list)  # more facts (a follow-up audit)
    expect: list[dict] | None = None  # when the outcome is not worked out from the counts
    rejects: list[dict] | None = None
    obligations: list[dict] | None = None
    ignore: list[str] = field(default_factory=list)
    as_of: str | None = None
    description: str | None = None

    def rows(self) -> list[dict]:
        """The checklist: criteria of the level chosen at random (seeded) for each result."""
        scope = in_scope(self.level)
        picked = random.Random(self.seed).sample(scope, len(scope))
        out, at = [], 0
        for category in self.not_met:
            c = picked[at]
            at += 1
            out.append({"criterion": c, "result": "not_met", "category": category,
                        "location": LOCATIONS[at % len(LOCATIONS)], "evidence": f"Catatan auditor {self.audit}/{c}"})
        for _ in range(self.not_applicable):
            out.append({"criterion": picked[at], "result": "not_applicable"})
            at += 1
        at += self.missing
        out += [{"criterion": c, "result": "met"} for c in picked[at:]]
        order = {c: i for i, c in enumerate(scope)}
        out.sort(key=lambda r: order[r["criterion"]])
        return [{"type": "smk3_criterion", "audit": self.audit, **r} for r in out] + \
            [{"type": "smk3_criterion", "audit": self.audit, **r} for r in self.extra]

    def worked_out(self) -> list[dict]:
        """The findings the regulation's rules give for the plan."""
        if self.expect is not None:
            return self.expect
        met = len(in_scope(self.level)) - len(self.not_met) - self.not_applicable - self.missing
        out = [{"rule": f"smk3.criterion-not-met-{c}", "subject": self.audit, "count": n}
               for c in ("critical", "major", "minor") if (n := self.not_met.count(c))]
        if self.missing:
            out.append({"rule": "smk3.checklist-incomplete", "subject": self.audit})
        if met + len(self.not_met) == 0:
            return out + [{"rule": "smk3.outcome-not-judged", "subject": self.audit}]
        share = Fraction(100 * met, met + len(self.not_met))
        critical, major = "critical" in self.not_met, "major" in self.not_met
        if self.kind == "internal":
            rule = "smk3.outcome-internal"
        elif critical:  # and under 60 % with every criterion assessed, kurang's 8(4)b too
            if not self.missing and share < 60:
                out.append({"rule": "smk3.outcome-kurang", "subject": self.audit,
                            "sanctions": ["tindakan-pegawai-pengawas"]})
            rule = "smk3.outcome-critical"
        elif major and (self.missing or share >= 60):
            rule = "smk3.outcome-major-finding"
        elif self.missing:
            rule = "smk3.outcome-incomplete"
        elif share < 60:
            out.append({"rule": "smk3.outcome-kurang", "subject": self.audit,
                        "sanctions": ["tindakan-pegawai-pengawas"]})
            return out
        else:
            rule = "smk3.outcome-certificate"
        return out + [{"rule": rule, "subject": self.audit}]

    def case(self) -> dict:
        audit = {"type": "smk3_audit", "audit": self.audit, "company": "PT Semen Padu", "date": self.date,
                 "level": self.level, "auditor": "PT Sucofindo" if self.kind != "internal" else "Tim Audit Internal"}
        if self.kind:
            audit["kind"] = self.kind
        out: dict = {"name": self.name}
        if self.description:
            out["description"] = self.description
        if self.as_of:
            out["as_of"] = self.as_of
        if self.ignore:
            out["ignore"] = self.ignore
        out["facts"] = [audit] + self.rows() + self.facts
        if self.rejects is not None:
            out["rejects"] = self.rejects
            out["expect"] = []
        else:
            out["expect"] = self.worked_out()
        if self.obligations is not None:
            out["obligations"] = self.obligations
        return out


def minor(n: int) -> list[str]:
    return ["minor"] * n


OUTCOME = [
    Plan("awal, 50 of 64 met, 14 minor – 78.1 %, baik: certificate and silver flag", "SMK3-O01", "awal",
         not_met=minor(14)),
    Plan("lanjutan, 97 met, 65 not met, 4 not applicable – 97/162 = 59.88 %, kurang (8(4)b)", "SMK3-O02", "lanjutan",
         not_met=minor(65), not_applicable=4, seed=2),
    Plan("lanjutan, 99 met, 66 not met, 1 not applicable – 60.0 %, baik", "SMK3-O03", "lanjutan",
         not_met=minor(66), not_applicable=1, seed=3),
    Plan("awal, 36 met, 24 not met, 4 not applicable – 60.0 %, baik", "SMK3-O04", "awal",
         not_met=minor(24), not_applicable=4, seed=4),
    Plan("lanjutan, 130 met, 23 not met, 13 not applicable – 130/153 = 84.97 %, baik (not rounded up)", "SMK3-O05",
         "lanjutan", not_met=minor(23), not_applicable=13, seed=5),
    Plan("lanjutan, 141 of 166 met – 84.94 %, baik", "SMK3-O06", "lanjutan", not_met=minor(25), seed=6),
    Plan("awal, 51 met, 9 not met, 4 not applicable – 85.0 %, memuaskan: certificate and gold flag", "SMK3-O07",
         "awal", not_met=minor(9), not_applicable=4, seed=7),
    Plan("transisi, all 122 met – 100 %, memuaskan", "SMK3-O08", "transisi", seed=8),
    Plan("a critical finding at 95.3 % (61 of 64) – no certificate", "SMK3-O09", "awal",
         not_met=["critical", "minor", "minor"], seed=9),
    Plan("a critical finding at 50 % – critical, and kurang with 8(4)b", "SMK3-O10", "awal",
         not_met=["critical"] + minor(31), seed=10),
    Plan("a major finding at 87.7 % (107 of 122) – no certificate, whatever the percentage", "SMK3-O11", "transisi",
         not_met=["major"] + minor(14), seed=11),
    Plan("a major finding at 59.9 % – kurang says both", "SMK3-O12", "lanjutan",
         not_met=["major"] + minor(64), not_applicable=4, seed=12),
    Plan("an internal audit at 90.2 % – no certificate from an internal audit", "AI-O13", "transisi",
         kind="internal", not_met=minor(12), seed=13),
    Plan("an audit that says nothing of its kind is read as external", "SMK3-O14", "awal", kind=None,
         not_met=minor(3), seed=14),
    Plan("every criterion of the level not applicable – no achievement can be computed", "SMK3-O15", "awal",
         not_applicable=64, seed=15),
]


def follow_up(audit: str, date: str, criterion_of: str) -> list[dict]:
    """A follow-up internal audit that finds the first audit's critical criterion met."""
    return [{"type": "smk3_audit", "audit": audit, "company": "PT Semen Padu", "date": date, "level": "awal",
             "auditor": "Tim Audit Internal", "kind": "internal"},
            {"type": "smk3_criterion", "audit": audit, "criterion": criterion_of, "result": "met",
             "evidence": "Verifikasi tindakan perbaikan"}]


def critical_criterion(plan: Plan) -> str:
    return next(r["criterion"] for r in plan.rows() if r.get("category") == "critical")


def corrective(name: str, audit: str, categories: list[str], status: str, as_of: str | None = None,
               follow: str | None = None) -> Plan:
    plan = Plan(name, audit, "awal", not_met=categories, seed=30, as_of=as_of)
    findings = plan.worked_out()
    obligations = [{"rule": "smk3.audit-cycle", "action": "next-audit", "status": "open"},
                   {"rule": f"smk3.criterion-not-met-{categories[0]}", "action": "corrective", "status": status}]
    if follow:
        plan.facts = follow_up("AI-FU-01", follow, critical_criterion(plan))
        plan.ignore = ["smk3.checklist-incomplete", "smk3.outcome-internal"]
    if status in ("late", "overdue"):
        findings.append({"rule": f"smk3.criterion-not-met-{categories[0]}.corrective-{status}", "subject": "Pengurus"})
    plan.expect, plan.obligations = findings, obligations
    return plan


CHECKLIST = [
    Plan("awal, 63 of 64 criteria given, all met – the checklist lacks one; the outcome waits", "SMK3-C01", "awal",
         missing=1, seed=21),
    Plan("awal, 4 criteria missing and a major finding – no certificate all the same", "SMK3-C02", "awal",
         not_met=["major", "minor"], missing=4, seed=22),
    Plan("transisi, 22 criteria missing and a critical finding", "SMK3-C03", "transisi",
         not_met=["critical"], missing=22, seed=23),
    Plan("awal audit with one row – the other 63 of its level are missing", "SMK3-C04", "awal", missing=63, seed=24),
    Plan("lanjutan, a criterion met at one location and not met at another is not met; met beside "
         "not applicable is met", "SMK3-C05", "lanjutan", seed=25,
         extra=[{"criterion": "1.1.1", "result": "not_met", "category": "minor", "location": "Gudang Bahan Baku",
                 "evidence": "Kebijakan K3 tidak dipasang"},
                {"criterion": "1.1.3", "result": "not_applicable", "location": "Dermaga Muat"}],
         expect=[{"rule": "smk3.criterion-not-met-minor", "subject": "SMK3-C05"},
                 {"rule": "smk3.outcome-certificate", "subject": "SMK3-C05"}]),
    Plan("an audit that ended the day before PP 50/2012 took effect – its rows are not scored", "SMK3-C06", "awal",
         date="2012-04-11", not_met=minor(5), seed=26,
         expect=[{"rule": "smk3.audit-before-pp50", "subject": "SMK3-C06"}]),
    Plan("an audit that ended the day PP 50/2012 took effect is scored", "SMK3-C07", "awal", date="2012-04-12",
         not_met=minor(2), seed=27),
    Plan("a lanjutan audit holds 11.1.1 (internal audit, a lanjutan criterion)", "SMK3-C08", "lanjutan", seed=28),
    Plan("one criterion not met as minor at two locations – the same minor finding at several locations is "
         "major: no certificate at 98.4 %", "SMK3-C09", "awal", not_met=["minor"], seed=29,
         expect=[{"rule": "smk3.criterion-not-met-minor", "subject": "SMK3-C09", "count": 2},
                 {"rule": "smk3.minor-repeated-major", "subject": "SMK3-C09"},
                 {"rule": "smk3.outcome-major-finding", "subject": "SMK3-C09"}]),
    Plan("two criteria each not met as minor at one location – minor findings, the certificate stands",
         "SMK3-C10", "awal", not_met=minor(2), seed=30),
    Plan("a transisi checklist with 11.1.1, a lanjutan criterion – refused", "SMK3-R01", "transisi", seed=31,
         extra=[{"criterion": "11.1.1", "result": "met"}], rejects=[{"rule": "smk3.criterion-outside-level"}]),
    Plan("an awal checklist with 1.1.2, a transisi criterion – refused", "SMK3-R02", "awal", seed=32, missing=1,
         extra=[{"criterion": "1.1.2", "result": "met"}], rejects=[{"rule": "smk3.criterion-outside-level"}]),
    Plan("a criterion not met without its category – refused", "SMK3-R03", "awal", seed=33, missing=1,
         extra=[{"criterion": "1.2.2", "result": "not_met", "location": "Kantor K3"}],
         rejects=[{"rule": "smk3.criterion-category-missing"}]),
    Plan("one criterion twice at one location – both rows refused", "SMK3-R04", "awal", seed=34,
         not_met=["minor"], rejects=[{"rule": "smk3.criterion-duplicate", "count": 2}]),
    Plan("one criterion twice without a location – both rows refused", "SMK3-R05", "awal", seed=35,
         rejects=[{"rule": "smk3.criterion-duplicate-unplaced", "count": 2}]),
    Plan("a row of an audit that is not recorded – refused", "SMK3-R06", "awal", seed=36,
         extra=[{"criterion": "1.1.1", "result": "met", "audit": "SMK3-TIDAK-ADA"}],
         rejects=[{"rule": "smk3.criterion-audit-unknown"}]),
    corrective("a critical finding closed by a follow-up audit on its due day (7 days)", "SMK3-K01", ["critical"],
               "done", follow="2025-05-27"),
    corrective("a critical finding closed a day after its due day – late", "SMK3-K02", ["critical"], "late",
               follow="2025-05-28"),
    corrective("a critical finding not closed, on its due day – open", "SMK3-K03", ["critical"], "open",
               as_of="2025-05-27"),
    corrective("a critical finding not closed a day after its due day – overdue", "SMK3-K04", ["critical"], "overdue",
               as_of="2025-05-28"),
    corrective("a major finding on its due day (30 days) – open", "SMK3-K05", ["major"], "open", as_of="2025-06-19"),
    corrective("a major finding a day after its due day – overdue", "SMK3-K06", ["major"], "overdue",
               as_of="2025-06-20"),
    corrective("a minor finding on its due day (90 days) – open", "SMK3-K07", ["minor"], "open", as_of="2025-08-18"),
    corrective("a minor finding a day after its due day – overdue", "SMK3-K08", ["minor"], "overdue",
               as_of="2025-08-19"),
]


def _fix_duplicates() -> None:
    """R04 and R05 repeat one row of their checklist (the same criterion and location, or none); C09
    gives its one criterion not met a second location."""
    for plan in CHECKLIST:
        if plan.audit == "SMK3-R04":
            row = next(r for r in plan.rows() if r["result"] == "not_met")
            plan.extra = [{k: v for k, v in row.items() if k not in ("type", "audit")} | {"evidence": "Foto kedua"}]
        if plan.audit == "SMK3-C09":  # the same criterion, not met as minor at a second location
            row = next(r for r in plan.rows() if r["result"] == "not_met")
            plan.extra = [{k: v for k, v in row.items() if k not in ("type", "audit")}
                          | {"location": "Kantor K3", "evidence": "Catatan auditor, lokasi kedua"}]
        if plan.audit == "SMK3-R05":
            row = plan.rows()[0]
            plan.extra = [{"criterion": row["criterion"], "result": "not_met", "category": "minor"}]


def _value(v: object) -> str:
    if isinstance(v, str):
        plain = re.fullmatch(r"[A-Za-z][A-Za-z0-9 _./-]*", v) and v not in ("true", "false", "null", "yes", "no") \
            and not re.fullmatch(r"\d{4}-\d\d-\d\d", v)
        return v if plain and ":" not in v else '"' + v.replace('"', '\\"') + '"'
    return str(v)


def _flow(record: dict) -> str:
    items = []
    for k, v in record.items():
        if isinstance(v, list):
            items.append(f"{k}: [" + ", ".join(_value(x) for x in v) + "]")
        elif k in ("date",) and isinstance(v, str):
            items.append(f"{k}: {v}")
        else:
            items.append(f"{k}: {_value(v)}")
    return "{" + ", ".join(items) + "}"


def render(header: str, plans: list[Plan]) -> str:
    lines = [header.rstrip(), "tests:"]
    for plan in plans:
        case = plan.case()
        lines.append(f"  - name: {_value(case['name'])}")
        for key in ("description", "as_of"):
            if key in case:
                lines.append(f"    {key}: {case[key] if key == 'as_of' else _value(case[key])}")
        if "ignore" in case:
            lines.append(f"    ignore: [{', '.join(case['ignore'])}]")
        lines.append("    facts:")
        lines += [f"      - {_flow(f)}" for f in case["facts"]]
        for key in ("rejects", "expect", "obligations"):
            if key in case:
                if not case[key]:
                    lines.append(f"    {key}: []")
                    continue
                lines.append(f"    {key}:")
                lines += [f"      - {_flow(e)}" for e in case[key]]
        lines.append("")
    return "\n".join(lines)


HEADER = """# Generated by generate.py from its plans and the criteria of sources/smk3-pp50-2012-criteria.md: do not
# edit, change the plans and run it again (tests/test_smk3.py checks the file is what it writes).
"""


def files() -> dict[str, str]:
    _fix_duplicates()
    return {
        "outcome.yaml": render(HEADER + "# An audit's outcome at each band's edges (59.9 / 60.0 / 84.9 / 85.0 %), with "
                                        "critical and major\n# findings, not applicable criteria and internal "
                                        "audits.\n", OUTCOME),
        "checklist.yaml": render(HEADER + "# Checklists lacking criteria, several rows of one criterion, audits "
                                          "before PP 50/2012, rows refused\n# as bad input, and the corrective "
                                          "actions' obligations.\n", CHECKLIST),
    }


if __name__ == "__main__":
    for name, text in files().items():
        (HERE / name).write_text(text, encoding="utf-8")
        print(f"wrote {HERE / name}", file=sys.stderr)
