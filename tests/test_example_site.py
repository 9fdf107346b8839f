"""The bundled example site (examples/site, what `make demo` runs), end to end.

generate.py plants known events in a week of a site's records (roster, readiness forms, P2H camera
checks and their later sign-offs, sampled inspections, surveys, medics' observations, alert
confirmations and their reports to the department heads, interviews, coaching sessions, camera
repairs, the dispatcher's weekly summaries, the camera vendor's alarm report, speed telemetry) and
writes the findings and obligations they must produce to expected.json, without running the
engine; make_video.py makes a cab video from a real face.
Here: the generator reproduces the committed files byte for byte; the site's exports go through
the detectors (forms, alerts, telemetry, and the camera on the video) and the engine, at the
evaluation time the facts give, into exactly the expected findings (rule, subject, date and
shift, as multisets) and obligations (rule, action, subject, status, due time, when done); the
CLI's JSON output is the same bytes on every run; and the demo prints every finding, grouped by
subject, and the obligations still to do, grouped by role.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import patuh
import patuh.store
import pytest
from patuh.detectors import alerts, forms, telemetry
from patuh.facts import read_records

SITE = Path(__file__).resolve().parent.parent / "examples" / "site"
CONFIG = SITE / "config.yaml"
GENERATED = ["roster.jsonl", "readiness_forms.jsonl", "p2h_camera_checks.csv", "p2h_verifications.csv",
             "fatigue_inspections.csv", "fatigue_surveys.jsonl", "fatigue_observations.yaml",
             "alert_confirmations.json", "heads_reports.csv", "fatigue_interviews.csv", "coaching_sessions.csv",
             "camera_repairs.csv", "alert_summaries.csv", "vendor_alarm_report.csv", "fms_speed.csv",
             "expected.json", "config.yaml", "README.md"]
FACT_FILES = [SITE / "roster.jsonl", SITE / "readiness_forms.jsonl"]
# form exports -> (fact type, columns left out on purpose), as demo.py reads them
FORMS = {"p2h_camera_checks.csv": ("p2h_camera_check", ["Nama"]),
         "p2h_verifications.csv": ("p2h_verification", ["Nama"]),
         "fatigue_inspections.csv": ("fatigue_inspection", ["Nama"]),
         "fatigue_surveys.jsonl": ("fatigue_survey", []),
         "fatigue_observations.yaml": ("fatigue_observation", []),
         "alert_confirmations.json": ("alert_confirmation", []),
         "heads_reports.csv": ("heads_report", ["Nama"]),
         "fatigue_interviews.csv": ("fatigue_interview", ["Nama"]),
         "coaching_sessions.csv": ("coaching_session", ["Nama"]),
         "camera_repairs.csv": ("camera_repair", []),
         "alert_summaries.csv": ("alert_summary", [])}
SKIP_ALERTS = ["Seatbelt"]

sys.path.insert(0, str(SITE))
import generate  # noqa: E402  (examples/site/generate.py: the plans, the video's start and unit)

Key = tuple[str, str, str, str]  # rule, subject, roster date, shift
Owed = tuple[str, str, str, str, str, str | None]  # rule, action, subject, status, due, done (ISO, site time)
WITA = dt.timezone(dt.timedelta(hours=8))


def plan() -> dict:
    return json.loads((SITE / "expected.json").read_text(encoding="utf-8"))


def expected() -> list[Key]:
    return sorted((e["rule"], e["subject"], e["date"], e["shift"]) for e in plan()["findings"])


def expected_obligations() -> list[Owed]:
    return sorted((o["rule"], o["action"], o["subject"], o["status"], o["due"], o.get("discharged_at"))
                  for o in plan()["obligations"])


def shown(time) -> str | None:
    """A due or done time as expected.json writes it: a date, or a time at the site's offset."""
    if time is None:
        return None
    if isinstance(time, str):
        return shown(dt.datetime.fromisoformat(time) if "T" in time else dt.date.fromisoformat(time))
    return time.astimezone(WITA).isoformat() if isinstance(time, dt.datetime) else time.isoformat()


def records(path: Path) -> list[dict]:
    return [r for _, r in read_records(path)]


class Shifts:
    """The rostered shift that holds a time, for an employee or a unit."""

    def __init__(self, roster: list[dict]):
        self.spans: dict[str, list[tuple[dt.datetime, dt.datetime, str, str]]] = {}
        for r in roster:
            span = (dt.datetime.fromisoformat(r["start"]), dt.datetime.fromisoformat(r["end"]), r["date"], r["shift"])
            self.spans.setdefault(r["employee"], []).append(span)
            if r.get("unit"):
                self.spans.setdefault(r["unit"], []).append(span)

    def at(self, who: str, time) -> tuple[str, str]:
        if isinstance(time, str):
            time = dt.datetime.fromisoformat(time)
        found = {(d, s) for start, end, d, s in self.spans.get(who, ()) if start <= time < end}
        assert len(found) == 1, f"{who} at {time}: rostered shifts {found}"
        return found.pop()


def found(result, shifts: Shifts) -> list[Key]:
    """(rule, subject, date, shift) of each finding. The subject is the finding's own (an alert
    naming no employee: its unit; an obligation overdue or done late: the role accountable). The
    date and shift come from the dated evidence (roster, forms, the 6.5.2 stop, a coverage group),
    the latest date's; else, for an obligation's, the rostered shift of the employee its evidence
    names at that evidence's time (what it follows up); else the rostered shift that holds the
    finding's time."""
    derived = {d.id: d.model_dump(mode="json") for d in result.derived}
    out = []
    for finding in result.findings:
        evidence = [result.facts.get(i) or derived.get(i) or {} for i in finding.facts]
        subject = finding.subject.id
        if finding.subject.kind == "camera_alert":
            subject = next(e["unit"] for e in evidence
                           if e.get("type", "camera_alert") == "camera_alert" and "unit" in e)
        dated = [e for e in evidence if "date" in e and "shift" in e]
        if dated:
            latest = max(str(e["date"]) for e in dated)
            kept = {e["shift"] for e in dated if str(e["date"]) == latest}
            assert len(kept) == 1, f"{finding.rule} {finding.id}: evidence on one date names shifts {kept}"
            date, shift = latest, kept.pop()
        elif finding.subject.kind == "role":
            (followed,) = [e for e in evidence if e.get("employee") and e.get("time")]
            date, shift = shifts.at(followed["employee"], followed["time"])
        else:
            assert finding.time is not None, f"{finding.rule} {finding.id}: neither dated evidence nor a time"
            date, shift = shifts.at(subject, finding.time)
        out.append((finding.rule, subject, str(date), shift))
    return sorted(out)


def owed(result) -> list[Owed]:
    """(rule, action, subject, status, due, done) of each obligation. The subject is the obligation's
    own (a week owing its summary: the week, named by its Monday)."""
    out = []
    for o in result.obligations:
        if o.rule == generate.WEEKLY_SUMMARY:
            assert o.subject.kind == "week", o.subject
        out.append((o.rule, o.action or "", o.subject.id, o.status, shown(o.due), shown(o.discharged_at)))
    return sorted(out)


def difference(got: list, want: list) -> str:
    missing = sorted(Counter(want) - Counter(got))
    extra = sorted(Counter(got) - Counter(want))
    if not missing and not extra:
        return ""
    lines = [f"planted but not found ({len(missing)}):"] + [f"  {k}" for k in missing]
    lines += [f"found but not planted ({len(extra)}):"] + [f"  {k}" for k in extra]
    return "\n".join(lines)


def run_cli(*args: str, hashseed: str = "0") -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    return subprocess.run([sys.executable, "-m", "patuh.cli", *args], capture_output=True, env=env,
                          cwd=SITE.parent.parent, timeout=300)


def camera_alerts(folder: Path) -> list[dict]:
    """The cab video through `patuh detect camera`, as demo.py runs it."""
    pytest.importorskip("cv2")
    pytest.importorskip("mediapipe")
    employee, unit, start = video_shift()
    proc = run_cli("detect", "camera", str(SITE / generate.VIDEO_FILE), "--employee", employee, "--unit", unit,
                   "--start", start, "--camera-sn", generate.VIDEO_SN, "--out", str(folder / "evidence"),
                   "--config", str(CONFIG))
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    return [json.loads(line) for line in proc.stdout.decode().splitlines()]


def video_shift() -> tuple[str, str, str]:
    """Who drove the pilot unit when the video starts (from the roster), the unit, the start."""
    start = generate.at(generate.VIDEO.date, "I", generate.VIDEO_START)
    shifts = Shifts(records(SITE / "roster.jsonl"))
    date, shift = shifts.at(generate.PILOT_UNIT, start)
    (employee,) = {r["employee"] for r in records(SITE / "roster.jsonl")
                   if r.get("unit") == generate.PILOT_UNIT and r["date"] == date and r["shift"] == shift}
    return employee, generate.PILOT_UNIT, start.isoformat()


@pytest.fixture(scope="module")
def site_facts(tmp_path_factory) -> list[dict]:
    """Every fact of the site, from its exports through the detectors' Python APIs (the camera
    through its CLI), as the demo makes them."""
    folder = tmp_path_factory.mktemp("site")
    types = forms.fact_types(CONFIG)
    roster = records(SITE / "roster.jsonl")
    facts = roster + records(SITE / "readiness_forms.jsonl")
    for name, (kind, ignore) in FORMS.items():
        facts += forms.read_forms([SITE / name], kind, types, ignore=ignore)
    facts += alerts.read_alerts([SITE / "vendor_alarm_report.csv"], types, skip=SKIP_ALERTS)[0]
    facts += telemetry.read_telemetry([SITE / "fms_speed.csv"], types, config=CONFIG, roster=roster)[0]
    facts += camera_alerts(folder)
    return facts


@pytest.fixture(scope="module")
def site_result(site_facts):
    return patuh.Engine(["fatigue"], config=CONFIG).evaluate(site_facts)


def test_generator_reproduces_the_committed_files(tmp_path):
    proc = subprocess.run([sys.executable, str(SITE / "generate.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(GENERATED)
    for name in GENERATED:
        assert (tmp_path / name).read_bytes() == (SITE / name).read_bytes(), f"{name} differs from the generator's"


def test_example_site_has_the_shape_the_brief_asks_for():
    roster = records(SITE / "roster.jsonl")
    readiness = records(SITE / "readiness_forms.jsonl")
    workers = {r["employee"]: r for r in roster}
    assert sum(1 for r in workers.values() if r["mobile_equipment"]) >= 40
    assert any(not r["mobile_equipment"] and r["high_risk"] for r in workers.values())
    assert any(not r["mobile_equipment"] and not r["high_risk"] for r in workers.values())
    assert sorted({r["date"] for r in roster}) == [f"2026-03-0{d}" for d in range(2, 9)]
    assert {r["shift"] for r in roster} == {"I", "II"}
    per_day = Counter((r["employee"], r["date"]) for r in roster)
    assert max(per_day.values()) == 1, "someone is rostered twice on one day"
    rostered = {(r["employee"], r["date"], r["shift"]) for r in roster}
    assert len(readiness) < len(rostered), "no form is missing"
    # one fleet with cameras (P2H, 6.4), the other without (inspections, 6.3.1), mixed unit types
    camera = {r["unit_type"] for r in roster if r.get("camera")}
    without = {r["unit_type"] for r in roster if r.get("unit") and r.get("camera") is False}
    assert {"OHT", "DT", "ADT", "CT", "WT", "FT"} <= camera & without
    # every rule the plans name has a case (a finding or an obligation; an obligation overdue or
    # late is a finding "<rule>.<action>-overdue" / "-late"), every finding and obligation names a
    # planted event, and every status of an obligation is planted
    expect = plan()
    named = [v for k, v in vars(generate).items() if k.isupper()]
    named += [x for v in named if isinstance(v, dict) for x in v.values()]
    ids = {v for v in named if isinstance(v, str) and v.startswith("fatigue.")}
    breaches = {f"{o['rule']}.{o['action']}-{o['status']}" for o in expect["obligations"]
                if o["status"] in ("overdue", "late")}
    assert {e["rule"] for e in expect["findings"]} - breaches | {o["rule"] for o in expect["obligations"]} == ids
    assert {e["rule"] for e in expect["findings"]} >= breaches
    assert all(e["event"] for e in expect["findings"] + expect["obligations"])
    assert {o["status"] for o in expect["obligations"]} == {"done", "late", "open", "overdue"}
    assert (SITE / generate.VIDEO_FILE).stat().st_size < 1_000_000


def test_detectors_and_engine_find_exactly_the_planted_findings(site_facts, site_result):
    shifts = Shifts(records(SITE / "roster.jsonl"))
    problem = difference(found(site_result, shifts), expected())
    assert not problem, problem


def test_the_engine_tracks_exactly_the_planted_obligations_at_the_facts_latest_time(site_result):
    assert shown(site_result.trace.as_of) == plan()["as_of"]
    assert site_result.trace.facts_after_as_of == 0
    problem = difference(owed(site_result), expected_obligations())
    assert not problem, problem


def test_every_action_names_whom_it_falls_to(site_result):
    # 5.1/5.2: each required action has its responsible and accountable roles from the matrix
    # (or the rule's own PIC column), across every rule the site's week fires.
    actions = [(f.rule, a.what) for f in site_result.findings for a in f.actions]
    assert len({rule for rule, _ in actions}) >= 30
    lacking = [(f.rule, a.what) for f in site_result.findings for a in f.actions
               if not a.responsible or not a.accountable]
    assert lacking == []


def test_the_cab_video_raises_what_the_plan_says(tmp_path):
    got = camera_alerts(tmp_path)
    want = [(a.vendor, generate.at(generate.VIDEO.date, "I", a.clock)) for a in generate.VIDEO.alerts]
    assert [r["alert"] for r in got] == [w[0] for w in want]
    for record, (_, time) in zip(got, want, strict=True):
        assert abs(dt.datetime.fromisoformat(record["time"]) - time) <= dt.timedelta(seconds=0.2), record
        assert record["camera_sn"] == generate.VIDEO_SN and (tmp_path / "evidence" / record["evidence"]).is_file()


def test_cli_json_is_the_same_bytes_on_every_run(tmp_path, site_facts):
    facts = tmp_path / "site.jsonl"
    facts.write_text("".join(json.dumps(r, sort_keys=True, default=str) + "\n" for r in site_facts), encoding="utf-8")
    args = ["eval", "--facts", str(facts), "--pack", "fatigue", "--config", str(CONFIG), "--format", "json"]
    first = run_cli(*args, hashseed="1")
    second = run_cli(*args, hashseed="2")
    assert first.returncode == 0, first.stderr.decode()
    assert second.returncode == 0, second.stderr.decode()
    assert first.stdout == second.stdout


def test_demo_runs_and_prints_every_finding_by_subject(tmp_path):
    pytest.importorskip("cv2")
    pytest.importorskip("mediapipe")
    pytest.importorskip("matplotlib")
    env = dict(os.environ, PATUH=str(Path(sys.executable).parent / "patuh"))
    proc = subprocess.run([sys.executable, str(SITE / "demo.py"), "--out", str(tmp_path)], capture_output=True,
                          text=True, env=env, cwd=SITE.parent.parent, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    n = len(expected())
    assert f"\n{n} findings from " in proc.stdout
    result = patuh.Result.model_validate_json((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert len(result.findings) == n
    assert len(result.obligations) == len(expected_obligations())
    subjects = {f.subject.id for f in result.findings}
    findings, _, pending = proc.stdout.partition("\nObligations still to do, by the role accountable:\n")
    headings = [line for line in findings.splitlines() if line.startswith("== ")]
    assert len(headings) == len(subjects)
    # the obligations still to do (open or overdue), under the role accountable for each
    to_do = [o for o in plan()["obligations"] if o["status"] in ("open", "overdue")]
    roles = [line for line in pending.splitlines() if line.startswith("== ")]
    assert roles and sum(int(line.split(": ")[1].split()[0]) for line in roles) == len(to_do)
    assert (tmp_path / "report" / "fatigue-weekly.csv").is_file()
    assert list((tmp_path / "report").glob("fatigue-weekly-*.png"))
    # the evaluation is recorded, and the audit report made from the store is the last line
    store = patuh.store.Store(f"sqlite:///{tmp_path / 'store.db'}")
    assert [e.findings for e in store.evaluations()] == [n]
    assert store.verify() == (1, [])
    index = Path(proc.stdout.strip().splitlines()[-1])
    assert index.name == "index.html" and (SITE.parent.parent / index).resolve() == tmp_path / "audit" / "index.html"
    html = (tmp_path / "audit" / "index.html").read_text(encoding="utf-8")
    assert html.count('class="finding"') == n
    assert list((tmp_path / "audit" / "evidence").glob("*.jpg"))
