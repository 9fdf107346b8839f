"""The `patuh` CLI on bad input, and the shape of its output on good input.

Bad input: exit 2, ONE line on stderr (`error: FILE[:LINE:COL]: message`) naming the file, the
record or line, and what was expected; nothing on stdout; with `--out FILE`, no file (and no
temporary file) left behind.

Errors found before any evaluation starts are checked in-process through `patuh.cli.main` (fast).
Everything that evaluates facts runs in a subprocess: the real exit code matters there, and a
crash in durable_rules' C core must not take the test run down with it.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from patuh import load_pack
from patuh.cli import main

REPO = Path(__file__).resolve().parents[1]
FATIGUE = REPO / "rulesets" / "fatigue"
ERROR_LINE = re.compile(r"^error: (?P<file>.+?)(?::(?P<line>\d+):(?P<column>\d+))?: (?P<message>.+)$")

# Realistic records in the fatigue vocabulary (rulesets/fatigue/facts.yaml): a night-shift dump
# truck operator who slept 3.5 h, a day-shift operator who slept 6 h, and an operator rostered
# on mobile equipment who filled in no readiness form.
ROSTER_NIGHT = {"type": "roster", "employee": "CK-0412", "name": "Budi Santoso", "date": "2024-03-11", "shift": "II",
                "unit": "DT-1043", "unit_type": "DT", "role": "Operator DT", "mobile_equipment": True,
                "high_risk": False, "start": "2024-03-11T18:00:00+08:00", "end": "2024-03-12T06:00:00+08:00",
                "site": "Tanjung Enim", "supervisor": "CK-0107"}
FORM_SHORT_SLEEP = {"type": "readiness_form", "employee": "CK-0412", "date": "2024-03-11", "shift": "II",
                    "sleep_hours": 3.5, "fit": True, "filled_at": "2024-03-11T17:20:00+08:00", "unit": "DT-1043",
                    "verified_by": "CK-0107"}
FORM_SHORTFALL = {"type": "readiness_form", "employee": "CK-0519", "date": "2024-03-11", "shift": "I",
                  "sleep_hours": 6, "fit": True, "filled_at": "2024-03-11T05:35:00+08:00", "unit": "OHT-0771"}
ROSTER_NO_FORM = {"type": "roster", "employee": "CK-0633", "name": "Andi Wijaya", "date": "2024-03-11", "shift": "I",
                  "unit": "OHT-0771", "unit_type": "OHT", "mobile_equipment": True,
                  "start": "2024-03-11T06:00:00+08:00", "end": "2024-03-11T18:00:00+08:00"}
GOOD = [ROSTER_NIGHT, FORM_SHORT_SLEEP, FORM_SHORTFALL, ROSTER_NO_FORM]


def jsonl(path: Path, records: list) -> Path:
    """Write records one a line; a str record is written as it is (for broken lines)."""
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n"
                            for r in records), encoding="utf-8")
    return path


def run_in_process(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "patuh.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def one_error(code: int, out: str, err: str, located: bool = True) -> re.Match | str:
    """Exit 2, nothing on stdout, one `error: ...` line on stderr; returns that line parsed into
    file, line, column and message (or, when not `located`, the line itself)."""
    assert "Traceback" not in err, err
    assert code == 2, err
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), lines[0]
    if not located:
        return lines[0]
    match = ERROR_LINE.match(lines[0])
    assert match, lines[0]
    return match


def position(text: str, needle: str) -> tuple[int, int]:
    offset = text.index(needle)
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


# -- bad facts files --------------------------------------------------------------------------------------
# Each case: (id, file name, content (records or raw text), line expected or None, regexes for the message)
FACT_CASES = [
    ("missing-file", "readiness_forms.jsonl", None, None, (r"cannot read",)),
    ("not-utf8", "roster_export.jsonl",
     '{"type": "roster", "employee": "CK-0412", "name": "Jos\xe9 Manurung", "date": "2024-03-11", "shift": "I"}\n'
     .encode("latin-1"), None, (r"cannot read", r"utf-8")),
    ("invalid-json-trailing-comma", "readiness_forms.jsonl",
     [FORM_SHORT_SLEEP, FORM_SHORTFALL,
      '{"type": "readiness_form", "employee": "CK-0633", "date": "2024-03-11", "shift": "I", "sleep_hours": 7,}'],
     3, (r"invalid JSON", r"property name|double quotes")),
    ("invalid-json-truncated-line", "readiness_forms.jsonl",
     [FORM_SHORT_SLEEP, '{"type": "readiness_form", "employee": "CK-05', FORM_SHORTFALL],
     2, (r"invalid JSON",)),
    ("unknown-fact-type", "readiness_forms.jsonl",
     [FORM_SHORT_SLEEP, dict(FORM_SHORTFALL, type="readines_form")],
     2, (r"'readines_form'", r"\breadiness_form\b", r"\broster\b")),
    ("missing-required-field", "readiness_forms.jsonl",
     [FORM_SHORT_SLEEP, {k: v for k, v in FORM_SHORTFALL.items() if k != "sleep_hours"}],
     2, (r"\bsleep_hours\b", r"required", r"number")),
    ("text-where-a-number-goes", "readiness_forms.jsonl",
     [dict(FORM_SHORT_SLEEP, sleep_hours="lots"), FORM_SHORTFALL],
     1, (r"\bsleep_hours\b", r"expected a number", r"'lots'")),
    ("value-outside-the-declared-values", "roster.jsonl",
     [ROSTER_NO_FORM, dict(ROSTER_NIGHT, shift="III")],
     2, (r"\bshift\b", r"'III'", r"\bI, II\b")),
    ("unknown-field", "readiness_forms.jsonl",
     [dict(FORM_SHORT_SLEEP, sleep_hour=3.5)],
     1, (r"'sleep_hour'", r"\bsleep_hours\b")),
    ("impossible-date", "readiness_forms.jsonl",
     [FORM_SHORT_SLEEP, dict(FORM_SHORTFALL, date="2024-02-30")],
     2, (r"\bdate\b", r"expected a date", r"2024-02-30")),
    ("not-a-fact", "readiness_forms.jsonl",
     [FORM_SHORT_SLEEP, ["CK-0519", "2024-03-11", "I", 6]],
     2, (r"expected a fact",)),
    ("unknown-format", "roster.csv", "employee,date,shift\nCK-0412,2024-03-11,II\n", None,
     (r"\.json\b", r"\.jsonl\b", r"\.yaml\b")),
    ("json-not-a-list", "roster.json", '{"rows": []}', 1, (r"list of facts",)),
]


def _write_case(tmp_path: Path, name: str, content) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif content is not None:
        jsonl(path, content)
    return path


@pytest.mark.parametrize("name,content,line,says", [pytest.param(*c[1:], id=c[0]) for c in FACT_CASES])
def test_bad_facts_file(tmp_path, capsys, name, content, line, says):
    """Run with --out: nothing on stdout all the same, and no output file nor temporary file."""
    path = _write_case(tmp_path, name, content)
    target = tmp_path / "results" / "findings.json"
    target.parent.mkdir()
    match = one_error(*run_in_process(capsys, "eval", "--facts", str(path), "--pack", "fatigue", "--format", "json",
                                      "--out", str(target)))
    assert match["file"] == str(path)
    if line is not None:
        assert match["line"] == str(line), match[0]
    for pattern in says:
        assert re.search(pattern, match["message"]), match[0]
    assert list(target.parent.iterdir()) == []


def test_invalid_json_line_and_column(tmp_path, capsys):
    bad = '{"type": "readiness_form", "employee": "CK-0633", "date": "2024-03-11", "shift": "I", "sleep_hours": 7,}'
    path = jsonl(tmp_path / "readiness_forms.jsonl", [FORM_SHORT_SLEEP, FORM_SHORTFALL, bad])
    match = one_error(*run_in_process(capsys, "eval", "--facts", str(path)))
    assert (match["line"], match["column"]) == ("3", str(bad.index(",}") + 2))


def test_bad_record_in_json_list_names_the_record(tmp_path, capsys):
    path = tmp_path / "readiness_forms.json"
    path.write_text(json.dumps({"facts": [FORM_SHORT_SLEEP, dict(FORM_SHORTFALL, sleep_hours="enam")]}, indent=2))
    match = one_error(*run_in_process(capsys, "eval", "--facts", str(path)))
    assert match[0].startswith(f"error: {path} record 2: ")
    assert "expected a number" in match["message"] and "'enam'" in match["message"]


def test_bad_record_in_yaml_names_its_line(tmp_path, capsys):
    path = tmp_path / "readiness_forms.yaml"
    text = ("facts:\n"
            "  - {type: readiness_form, employee: CK-0412, date: 2024-03-11, shift: II, sleep_hours: 3.5}\n"
            "  - {type: readiness_form, employee: CK-0519, date: 2024-03-11, shift: I, sleep_hours: enam}\n")
    path.write_text(text, encoding="utf-8")
    match = one_error(*run_in_process(capsys, "eval", "--facts", str(path)))
    line, column = position(text, "{type: readiness_form, employee: CK-0519")
    assert (match["file"], match["line"], match["column"]) == (str(path), str(line), str(column))
    assert "expected a number" in match["message"]


def test_directory_given_as_facts_file(tmp_path, capsys):
    match = one_error(*run_in_process(capsys, "eval", "--facts", str(tmp_path)))
    assert match["file"] == str(tmp_path)
    assert "cannot read" in match["message"]


def test_missing_history_file(tmp_path, capsys):
    facts = jsonl(tmp_path / "readiness_forms.jsonl", [FORM_SHORT_SLEEP])
    history = tmp_path / "last_week.json"
    match = one_error(*run_in_process(capsys, "eval", "--facts", str(facts), "--history", str(history)))
    assert match["file"] == str(history)


# -- packs ------------------------------------------------------------------------------------------------------
def test_unknown_pack_name(tmp_path, capsys):
    facts = jsonl(tmp_path / "readiness_forms.jsonl", [FORM_SHORT_SLEEP])
    match = one_error(*run_in_process(capsys, "eval", "--facts", str(facts), "--pack", "fatigu"))
    assert "'fatigu'" in match["message"] and "fatigue" in match["message"].replace("'fatigu'", "")


def test_pack_path_that_is_not_a_pack(tmp_path, capsys):
    facts = jsonl(tmp_path / "readiness_forms.jsonl", [FORM_SHORT_SLEEP])
    folder = tmp_path / "packs" / "fatigue"
    folder.mkdir(parents=True)
    match = one_error(*run_in_process(capsys, "eval", "--facts", str(facts), "--pack", str(folder)))
    assert match["file"] == str(folder)
    assert "pack.yaml" in match["message"]


# -- site config -------------------------------------------------------------------------------------------------
CONFIG_CASES = [
    # (id, config text, the text the error must point at, regexes for the message)
    ("unknown-parameter", "timezone: Asia/Makassar\nparameters:\n  fatigue:\n    sleep_minimum_hours: 8\n",
     "sleep_minimum_hours", (r"'sleep_minimum_hours'", r"\bsleep_minimum_h\b")),
    ("parameter-of-wrong-type", "timezone: Asia/Makassar\nparameters:\n  fatigue:\n    sleep_minimum_h: 8 jam\n",
     "8 jam", (r"\bsleep_minimum_h\b", r"a number", r"'8 jam'")),
    ("unknown-setting", "time_zone: Asia/Makassar\nparameters:\n  fatigue:\n    sleep_minimum_h: 8\n",
     "time_zone", (r"'time_zone'", r"\btimezone\b", r"\bparameters\b")),
    ("unknown-time-zone", "timezone: WITA\n", "WITA", (r"'WITA'", r"Asia/")),
    ("parameters-not-by-pack", "parameters:\n  sleep_minimum_h: 8\n", "sleep_minimum_h", (r"\bpack\b",)),
    ("not-a-mapping", "- timezone: Asia/Makassar\n", "- timezone", (r"mapping",)),
    ("invalid-yaml", "timezone: Asia/Makassar\nparameters: {fatigue: {sleep_minimum_h: 8}\n", None, (r"invalid YAML",)),
]


@pytest.mark.parametrize("text,at,says", [pytest.param(*c[1:], id=c[0]) for c in CONFIG_CASES])
def test_bad_config(tmp_path, capsys, text, at, says):
    facts = jsonl(tmp_path / "readiness_forms.jsonl", [FORM_SHORT_SLEEP])
    config = tmp_path / "site.yaml"
    config.write_text(text, encoding="utf-8")
    target = tmp_path / "findings.json"
    match = one_error(*run_in_process(capsys, "eval", "--facts", str(facts), "--config", str(config),
                                      "--out", str(target)))
    assert match["file"] == str(config)
    if at is not None:
        assert match["line"] == str(position(text, at)[0]), match[0]
    for pattern in says:
        assert re.search(pattern, match["message"]), match[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["readiness_forms.jsonl", "site.yaml"]


def test_missing_config_file(tmp_path, capsys):
    facts = jsonl(tmp_path / "readiness_forms.jsonl", [FORM_SHORT_SLEEP])
    config = tmp_path / "site.yaml"
    match = one_error(*run_in_process(capsys, "eval", "--facts", str(facts), "--config", str(config)))
    assert match["file"] == str(config) and "cannot read" in match["message"]


def test_config_unknown_parameter_points_at_its_name(tmp_path, capsys):
    text = "timezone: Asia/Makassar\nparameters:\n  fatigue:\n    sleep_minimum_hours: 8\n"
    config = tmp_path / "site.yaml"
    config.write_text(text, encoding="utf-8")
    facts = jsonl(tmp_path / "readiness_forms.jsonl", [FORM_SHORT_SLEEP])
    match = one_error(*run_in_process(capsys, "eval", "--facts", str(facts), "--config", str(config)))
    assert (match["line"], match["column"]) == tuple(map(str, position(text, "sleep_minimum_hours")))


def test_config_unknown_pack_points_at_its_name(tmp_path, capsys):
    text = "timezone: Asia/Makassar\nparameters:\n  fatique:\n    sleep_minimum_h: 8\n"
    config = tmp_path / "site.yaml"
    config.write_text(text, encoding="utf-8")
    facts = jsonl(tmp_path / "readiness_forms.jsonl", [FORM_SHORT_SLEEP])
    match = one_error(*run_in_process(capsys, "eval", "--facts", str(facts), "--config", str(config)))
    assert (match["line"], match["column"]) == tuple(map(str, position(text, "fatique")))
    assert "'fatique'" in match["message"] and "fatigue" in match["message"].replace("'fatique'", "")


# -- bad input that reaches the engine (in a subprocess: it evaluates) -------------------------------------------
def test_nan_is_not_a_number_of_hours(tmp_path):
    path = tmp_path / "readiness_forms.jsonl"
    path.write_text(json.dumps(FORM_SHORT_SLEEP) + "\n"
                    + json.dumps(dict(FORM_SHORTFALL, sleep_hours=float("nan"))) + "\n")
    assert '"sleep_hours": NaN' in path.read_text()
    proc = run_cli("eval", "--facts", str(path), cwd=tmp_path)
    match = one_error(proc.returncode, proc.stdout, proc.stderr)
    assert (match["file"], match["line"]) == (str(path), "2")
    assert "sleep_hours" in match["message"]


def test_same_id_different_content_is_refused(tmp_path):
    path = jsonl(tmp_path / "readiness_forms.jsonl",
                 [FORM_SHORTFALL,
                  dict(FORM_SHORT_SLEEP, id="RF-2024-03-11-0412"),
                  dict(FORM_SHORT_SLEEP, id="RF-2024-03-11-0412", sleep_hours=8)])
    proc = run_cli("eval", "--facts", str(path), cwd=tmp_path)
    match = one_error(proc.returncode, proc.stdout, proc.stderr)
    assert (match["file"], match["line"]) == (str(path), "3")
    assert "RF-2024-03-11-0412" in match["message"]


def test_out_into_missing_folder(tmp_path):
    facts = jsonl(tmp_path / "readiness_forms.jsonl", [FORM_SHORT_SLEEP])
    target = tmp_path / "reports" / "2024-03-11.json"
    proc = run_cli("eval", "--facts", str(facts), "--format", "json", "--out", str(target), cwd=tmp_path)
    match = one_error(proc.returncode, proc.stdout, proc.stderr)
    assert str(target) in match[0]
    assert not target.parent.exists()


# -- good input ----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    """`eval --format json` run twice, `--format jsonl` once, and the pack as the CLI sees it."""
    folder = tmp_path_factory.mktemp("good")
    facts = jsonl(folder / "site_2024-03-11.jsonl", GOOD)
    args = ("eval", "--facts", str(facts), "--pack", "fatigue")
    runs = [run_cli(*args, "--format", "json", cwd=folder) for _ in range(2)]
    lines = run_cli(*args, "--format", "jsonl", cwd=folder)
    return facts, runs, lines, load_pack(FATIGUE, {})


def test_eval_json_findings_shape(good_run):
    _, (run, _), _, pack = good_run
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    result = json.loads(run.stdout)
    assert isinstance(result, dict) and isinstance(result["findings"], list)
    by_rule = {f["rule"]: f for f in result["findings"]}
    assert {"fatigue.sleep-under-4h", "fatigue.sleep-shortfall-survey",
            "fatigue.readiness-form-missing"} <= set(by_rule)
    for finding in result["findings"]:
        for key in ("rule", "pack", "clauses", "severity", "subject", "facts", "actions", "sanctions"):
            assert key in finding, key
        assert finding["pack"] == {"name": "fatigue", "version": pack.version, "hash": pack.hash}
        assert finding["clauses"]
        for citation in finding["clauses"]:
            assert citation["document"] == pack.document.number
            assert citation["number"] in pack.clauses
            assert citation["text"] == pack.clauses[citation["number"]].text
        assert finding["severity"] in ("critical", "major", "minor", "observation")
        assert set(finding["subject"]) >= {"kind", "id"}
        assert finding["facts"] and all(fact_id in result["facts"] for fact_id in finding["facts"])
        assert isinstance(finding["actions"], list) and isinstance(finding["sanctions"], list)

    barred = by_rule["fatigue.sleep-under-4h"]
    assert barred["severity"] == "major"
    assert barred["subject"] == {"kind": "employee", "id": "CK-0412"}
    assert [c["number"] for c in barred["clauses"]] == ["6.1.1.1.2"]
    assert [s["rung"] for s in barred["sanctions"]] == ["pembinaan"]
    assert barred["actions"] and all(a["what"] for a in barred["actions"])
    (evidence,) = [result["facts"][i] for i in barred["facts"]]
    assert (evidence["type"], evidence["employee"], evidence["sleep_hours"]) == ("readiness_form", "CK-0412", 3.5)
    assert by_rule["fatigue.readiness-form-missing"]["subject"]["id"] == "CK-0633"
    assert by_rule["fatigue.sleep-shortfall-survey"]["subject"]["id"] == "CK-0519"


def test_eval_json_is_byte_for_byte_repeatable(good_run):
    _, (first, second), _, _ = good_run
    assert first.returncode == second.returncode == 0
    assert first.stdout.encode() == second.stdout.encode()


def test_eval_json_written_from_the_result_is_the_same_bytes(good_run, tmp_path):
    # With a sink the Result is made (the sink reads it) and the JSON written from it; without,
    # the JSON is made as it is written (Engine.evaluate_json). The same bytes either way.
    facts, (run, _), _, _ = good_run
    held = run_cli("eval", "--facts", str(facts), "--pack", "fatigue", "--format", "json",
                   "--sink", f"jsonl:{tmp_path / 'findings.jsonl'}", cwd=tmp_path)
    assert held.returncode == 0, held.stderr
    assert (tmp_path / "findings.jsonl").read_text(encoding="utf-8")
    assert held.stdout == run.stdout


def test_eval_jsonl_is_one_finding_a_line(good_run):
    _, (run, _), lines, _ = good_run
    assert lines.returncode == 0, lines.stderr
    assert lines.stdout.endswith("\n")
    findings = [json.loads(line) for line in lines.stdout.splitlines()]
    assert findings == json.loads(run.stdout)["findings"]


def test_explain_quotes_the_clause_and_the_evidence(good_run, tmp_path):
    facts, (run, _), _, pack = good_run
    finding = next(f for f in json.loads(run.stdout)["findings"] if f["rule"] == "fatigue.sleep-under-4h")
    proc = run_cli("explain", finding["id"], "--facts", str(facts), "--pack", "fatigue", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    text = pack.clauses["6.1.1.1.2"].text.strip()
    assert f'"{text}"' in proc.stdout
    assert pack.document.number in proc.stdout and pack.document.number.startswith("CK-PR-SHE-25")
    for fact_id in finding["facts"]:
        assert fact_id in proc.stdout


def test_explain_unknown_finding(good_run, tmp_path):
    facts = good_run[0]
    proc = run_cli("explain", "F-0000dead", "--facts", str(facts), "--pack", "fatigue", cwd=tmp_path)
    line = one_error(proc.returncode, proc.stdout, proc.stderr, located=False)
    assert "'F-0000dead'" in line


def test_facts_that_fire_nothing_give_no_findings(tmp_path):
    office = {"type": "roster", "employee": "CK-0871", "name": "Sri Lestari", "date": "2024-03-11", "shift": "I",
              "role": "Admin", "mobile_equipment": False, "high_risk": False}
    rested = dict(FORM_SHORTFALL, sleep_hours=7.5)
    facts = jsonl(tmp_path / "site_2024-03-11.jsonl", [office, rested])
    proc = run_cli("eval", "--facts", str(facts), "--pack", "fatigue", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["findings"] == []
