"""`patuh lint` and `patuh.load_pack` on packs with one realistic mistake each.

Each case copies rulesets/fatigue into a temporary folder, makes one mistake a compliance
engineer could make while editing it, and checks that both the Python API (PackInvalid and its
problems) and the CLI (exit 2, `error: FILE:LINE:COL: message` on stderr) point at the exact
line and column of the offending text, computed from the text written, with a message that
says what was expected.

The CLI is run once for all the broken packs (`patuh lint P1 P2 ...`), in the background while
the Python API cases run; each CLI case then reads its own pack's lines from that run.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from patuh import load_pack
from patuh.problems import PackInvalid

REPO = Path(__file__).resolve().parents[1]
FATIGUE = REPO / "rulesets" / "fatigue"
ERROR_LINE = re.compile(r"^error: (?P<file>.+?)(?::(?P<line>\d+):(?P<column>\d+))?: (?P<message>.*)$")
# A message "names the expected version form" when it says semver or shows the x.y.z shape.
SEMVER = "|".join(re.escape(s) for s in ("semver", "MAJOR.MINOR.PATCH", "x.y.z", r"\d+\.\d+\.\d+", "1.2.3"))


def position(text: str, needle: str, start: int = 0) -> tuple[int, int]:
    """1-based line and column of the first `needle` in `text` at or after `start`."""
    offset = text.find(needle, start)
    assert offset >= 0, f"{needle!r} not found in the text written"
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


@dataclass(frozen=True)
class Mistake:
    id: str
    file: str  # the pack file changed, relative to the pack folder
    old: str | None  # text replaced (must occur exactly once); None: the file is written whole
    new: str
    says: tuple[str, ...]  # regular expressions the problem's message must all match
    at: str | None = None  # the offending text the problem points at (its first character); None: 1:1
    at_file: str | None = None  # when the problem is reported in another file (searched from its start)
    exact: bool = True  # False: only the file is checked, not line and column
    bug: str | None = None  # the engine bug that makes this case fail for now (strict xfail)


def make_pack(folder: Path, mistake: Mistake) -> tuple[Path, Path, int, int]:
    """Copy the fatigue pack to `folder` with the mistake made; return the pack folder, and the
    file, line and column where the problem must be reported."""
    # The pack's own tests/ are left out: no mistake here touches them, and parsing them would
    # add a third to every load.
    shutil.copytree(FATIGUE, folder, ignore=shutil.ignore_patterns("tests"))
    target = folder / mistake.file
    if mistake.old is None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(mistake.new, encoding="utf-8")
        start = 0
    else:
        text = target.read_text(encoding="utf-8")
        assert text.count(mistake.old) == 1, (
            f"rulesets/fatigue/{mistake.file} changed: {mistake.old!r} should occur exactly once; "
            f"update the mistake {mistake.id!r} in this test")
        start = text.index(mistake.old)
        target.write_text(text.replace(mistake.old, mistake.new), encoding="utf-8")
    where = folder / (mistake.at_file or mistake.file)
    if mistake.at is None:
        return folder, where, 1, 1
    text = where.read_text(encoding="utf-8")
    line, column = position(text, mistake.at, 0 if mistake.at_file else start)
    return folder, where, line, column


MISTAKES = [
    # -- consequences a fact could break at run time ------------------------------------------------
    Mistake("due-from-a-text-field", "rules/preshift.yaml",
            "due: {at: $shift.start, text", "due: {at: $shift.unit, text",
            says=(r"due at \$shift\.unit", r"expected a time or a date, found a string"), at="$shift.unit, text"),
    Mistake("required-derived-field-from-optional", "rules/preshift.yaml",
            "shift: $form.shift\n            sleep_hours", "shift: $form.unit\n            sleep_hours",
            says=(r"derived sleep_unfit\.shift is required", r"form\.unit is optional"), at="$form.unit"),
    Mistake("derived-field-of-another-type", "rules/preshift.yaml",
            "sleep_hours: $form.sleep_hours", "sleep_hours: $form.fit",
            says=(r"sleep_unfit\.sleep_hours is a number", r"form\.fit is a boolean"), at="$form.fit"),
    # -- obligations, the unjudged and expressions --------------------------------------------------
    Mistake("discharge-by-an-undeclared-type", "rules/preshift.yaml",
            "            fact: fatigue_survey\n", "            fact: fatigue_surveys\n",
            says=(r"'fatigue_surveys'", r"declared nowhere", r"\bfatigue_survey\b"), at="fatigue_surveys"),
    Mistake("discharge-on-a-field-the-type-lacks", "rules/preshift.yaml",
            "              time: {ge: $form.filled_at}", "              filled: {ge: $form.filled_at}",
            says=(r"'fatigue_survey' has no field 'filled'",), at="filled:"),
    Mistake("obligation-without-a-due-time", "rules/preshift.yaml",
            "          due: {at: $form.filled_at + $survey_due_h h, text: sebelum mulai bekerja}\n",
            "          due: {text: sebelum mulai bekerja}\n",
            says=(r"an obligation needs a due time",), at="fact: fatigue_survey"),
    Mistake("obligation-without-an-id", "rules/preshift.yaml",
            "        - id: survey\n          what: Pengawas memeriksa",
            "        - what: Pengawas memeriksa",
            says=(r"discharged_by needs an id",), at="fact: fatigue_survey"),
    Mistake("due-a-number", "rules/preshift.yaml",
            "due: {at: $form.filled_at + $survey_due_h h, text: sebelum mulai bekerja}",
            "due: {at: $survey_due_h, text: sebelum mulai bekerja}",
            says=(r"due at \$survey_due_h: expected a time or a date, found a integer",), at="$survey_due_h, text"),
    Mistake("due-hours-on-a-date", "rules/preshift.yaml",
            "due: {at: $form.filled_at + $survey_due_h h, text: sebelum mulai bekerja}",
            "due: {at: $form.date + $survey_due_h h, text: sebelum mulai bekerja}",
            says=(r"a date moves by whole days \(d\), months \(mo\) or years \(y\)",), at="$form.date + $survey"),
    Mistake("unjudged-field-the-type-lacks", "rules/preshift.yaml",
            "      form: [filled_at]", "      form: [filled_on]",
            says=(r"'readiness_form' has no field 'filled_on'",), at="filled_on"),
    Mistake("unjudged-required-field", "rules/preshift.yaml",
            "      form: [filled_at]", "      form: [sleep_hours]",
            says=(r"readiness_form\.sleep_hours is required: a fact never lacks it",), at="sleep_hours]"),
    # -- misspelt field names ----------------------------------------------------------------------
    Mistake("misspelt-clauses", "rules/preshift.yaml",
            '    clauses: ["6.2.1.1", "6.4.2.2.1"]', '    clause: ["6.4.2.2.1"]',
            says=(r"unknown field 'clause'", r"\bclauses\b"), at="clause:"),
    Mistake("misspelt-severity", "rules/preshift.yaml",
            '        severity: minor\n        message: "{$form.employee} slept',
            '        severty: minor\n        message: "{$form.employee} slept',
            says=(r"'severty'", r"\bseverity\b"), at="severty"),
    Mistake("unknown-pack-key", "pack.yaml",
            "partition_by: employee", "partition_by: employee\nmaintainer: OSHE Site",
            says=(r"'maintainer'", r"\bdescription\b", r"\bpartition_by\b"), at="maintainer"),
    Mistake("unknown-where-operator", "rules/preshift.yaml",
            "sleep_hours: {ge: $sleep_no_work_below_h, lt: $sleep_minimum_h}",
            "sleep_hours: {gte: $sleep_no_work_below_h, lt: $sleep_minimum_h}",
            says=(r"\bgte\b", r"\bge\b", r"\bbetween\b"), at="gte"),
    # -- references that do not resolve ----------------------------------------------------------------
    Mistake("unknown-clause", "rules/preshift.yaml",
            '    clauses: ["6.2.1.1", "6.4.2.2.1"]', '    clauses: ["6.4.2.1"]',
            says=(r"'6\.4\.2\.1'", r"clauses\.yaml"), at='"6.4.2.1"'),
    Mistake("undefined-parameter", "rules/preshift.yaml",
            "lt: $sleep_minimum_h}", "lt: $sleep_minimum_hours}",
            says=(r"\$sleep_minimum_hours", r"not defined", r"\bsleep_minimum_h\b"), at="$sleep_minimum_hours"),
    Mistake("undeclared-fact-type", "rules/preshift.yaml",
            "      - fact: readiness_form\n        as: form\n        where:\n          fit: false",
            "      - fact: readines_form\n        as: form\n        where:\n          fit: false",
            says=(r"'readines_form'", r"declared nowhere", r"\breadiness_form\b"), at="readines_form"),
    Mistake("field-the-type-lacks", "rules/preshift.yaml",
            "          fit: false\n    then:", "          fit_to_work: false\n    then:",
            says=(r"'fit_to_work'", r"\bfit\b"), at="fit_to_work"),
    Mistake("field-the-type-lacks-in-a-join", "rules/preshift.yaml",
            "          shift: $shift.shift\n          filled_at:",
            "          shfit: $shift.shift\n          filled_at:",
            says=(r"'shfit'", r"\bshift\b"), at="shfit"),
    Mistake("unknown-raci-process", "rules/preshift.yaml",
            '        - what: Pembinaan oleh pengawas\n          raci: "5.1/5"',
            '        - what: Pembinaan oleh pengawas\n          raci: "5.1/8"',
            says=(r"'5\.1/8'", r"raci\.yaml", r"\b5\.1/7\b"), at='"5.1/8"'),
    Mistake("unknown-sanction-rung", "rules/preshift.yaml",
            "rung: sanksi-perusahaan", "rung: SP2",
            says=(r"'SP2'", r"sanctions\.yaml", r"\bSP1\b"), at="SP2"),
    Mistake("duplicate-sanction-id", "sanctions.yaml",
            "  - id: SP3/PHK",
            '  - id: SP1\n    label: Surat Peringatan 2 (SP2)\n    clause: "8.1.4"\n  - id: SP3/PHK',
            says=(r"\bSP1\b", r"twice|duplicate"), at="SP1"),
    Mistake("parameter-without-clause", "parameters.yaml",
            '    clause: "6.1.1.1"\n', "",
            says=(r"'sleep_minimum_h'", r"\bclause\b", r"company_choice"), at="value: 7", at_file="parameters.yaml"),
    # -- wrong types ------------------------------------------------------------------------------------
    Mistake("text-where-a-number-goes", "rules/preshift.yaml",
            "sleep_hours: {lt: $sleep_no_work_below_h}", "sleep_hours: {lt: four}",
            says=(r"'four'", r"'sleep_hours'", r"expected a number"), at="four"),
    # A parameter that a rule compares with a number field must be a number: the problem is shown
    # where the rule uses it, naming the parameter and its value.
    Mistake("parameter-value-quoted", "parameters.yaml",
            "    value: 4\n", '    value: "4"\n',
            says=(r"\$sleep_no_work_below_h", r"'4'", r"expected a number"),
            at="$sleep_no_work_below_h", at_file="rules/preshift.yaml"),
    # -- rules that can never fire ------------------------------------------------------------------------
    Mistake("empty-range", "rules/preshift.yaml",
            "sleep_hours: {lt: $sleep_no_work_below_h}", "sleep_hours: {lt: 4, gt: 7}",
            says=(r"never fire", r"'sleep_hours'"), at="4, gt"),
    Mistake("in-empty-list", "rules/preshift.yaml",
            "          fit: false\n    then:", "          shift: {in: []}\n    then:",
            says=(r"never fire", r"\bin\b", r"empty"), at="[]"),
    Mistake("value-the-field-never-has", "rules/preshift.yaml",
            "          fit: false\n    then:", "          shift: III\n    then:",
            says=(r"never fire", r"'III'", r"\bI, II\b"), at="III"),
    # -- pack.yaml ---------------------------------------------------------------------------------------------
    Mistake("missing-document-revision", "pack.yaml",
            '  revision: "02"\n', "",
            says=(r"missing required field 'revision'", r"\bdocument\b"), at="number:", at_file="pack.yaml"),
    Mistake("version-not-semver", "pack.yaml",
            "version: 0.3.4", 'version: "0.1"',
            says=(r"\bversion\b", r"'0\.1'", SEMVER), at='"0.1"'),
    Mistake("version-unquoted-number", "pack.yaml",
            "version: 0.3.4", "version: 1.0",
            says=(r"\bversion\b", r"\b1\.0\b", SEMVER), at="1.0"),
    Mistake("duplicate-yaml-key", "pack.yaml",
            "language: id", "language: id\nlanguage: en",
            says=(r"duplicate key 'language'",), at="language: en"),
    # -- empty files ---------------------------------------------------------------------------------------------
    Mistake("empty-rules-file", "rules/camera.yaml", None, "",
            says=(r"empty", r"\brules\b")),
    Mistake("empty-pack-yaml", "pack.yaml", None, "",
            says=(r"empty", r"\bname\b", r"\bversion\b", r"\bdocument\b")),
    # -- broken YAML -------------------------------------------------------------------------------------------
    Mistake("unclosed-bracket", "rules/preshift.yaml",
            '    clauses: ["6.2.1.1", "6.4.2.2.1"]', '    clauses: ["6.2.1.1", "6.4.2.2.1"',
            says=(r"invalid YAML", r"\]"), at="["),
    Mistake("bad-indentation", "rules/preshift.yaml",
            "          fit: false\n    then:", "          fit: false\n   then:",
            says=(r"invalid YAML",), at="then:"),
    Mistake("bad-indentation-message", "rules/preshift.yaml",
            "          fit: false\n    then:", "          fit: false\n   then:",
            says=(r"invalid YAML", r"indent"), at="then:"),
    Mistake("tab-indentation", "rules/preshift.yaml",
            "    title: Karyawan tidak FIT", "\ttitle: Karyawan tidak FIT",
            says=(r"invalid YAML", r"\\t|tab"), at="\t"),
    # -- clock times and partitions of 6.3.1 ---------------------------------------------------------------
    Mistake("clock-of-a-date", "rules/inspection.yaml",
            "          time.clock: {between: [$inspection_shift_i_from, $inspection_shift_i_to]}",
            "          time.clock: {between: [$inspection_shift_i_from, $inspection_shift_i_to]}\n"
            "          employee.clock: {ge: \"13:00\"}",
            says=(r"employee\.clock", r"datetime field 'employee'"), at="employee.clock"),
    Mistake("clock-not-hh-mm", "parameters.yaml",
            'value: "13:00"', 'value: "13.00"',
            says=(r"parameter \$inspection_shift_i_from", r"clock time HH:MM", r"'13\.00'"),
            at="[$inspection_shift_i_from, $inspection_shift_i_to]",
            at_file="rules/inspection.yaml"),
    Mistake("clock-window-across-midnight", "rules/inspection.yaml",
            "time.clock: {between: [$inspection_shift_ii_from, $inspection_shift_ii_to]}",
            "time.clock: {between: [\"22:00\", $inspection_shift_ii_to]}",
            says=(r"from 22:00 to 06:00", r"cross\s+midnight", r"any:"), at='["22:00"'),
    Mistake("rule-partition-join-missing", "rules/inspection.yaml",
            "      - count: inspected_unit\n        as: inspected\n        where: {date: $group.date, "
            "shift: $group.shift, unit_type: $group.unit_type}\n        lt: $operating.n * $inspection_share_min_wt_ft",
            "      - count: inspected_unit\n        as: inspected\n        where: {shift: $group.shift, "
            "unit_type: $group.unit_type}\n        lt: $operating.n * $inspection_share_min_wt_ft",
            says=(r"the rule partitions facts by 'date'", r"date: \$<alias>\.date"), at="count: inspected_unit"),
    # -- header aliases (facts.yaml): a header must mean one field ---------------------------------------------
    Mistake("alias-shared-by-two-fields", "facts.yaml",
            "aliases: [Fit untuk Bekerja, Fit to Work, Layak Bekerja]",
            "aliases: [Fit untuk Bekerja, Fit to Work, Layak Bekerja, Jam Tidur]",
            says=(r"alias 'Jam Tidur' of readiness_form\.fit is also an alias of readiness_form\.sleep_hours",),
            at="Jam Tidur"),
    Mistake("alias-naming-another-field", "facts.yaml",
            "aliases: [Fit untuk Bekerja, Fit to Work, Layak Bekerja]",
            "aliases: [Fit untuk Bekerja, Fit to Work, Layak Bekerja, Sleep Hours]",
            says=(r"alias 'Sleep Hours' of readiness_form\.fit is the name of the field 'sleep_hours'",),
            at="Sleep Hours"),
    # -- files lint never reads ---------------------------------------------------------------------------------
    Mistake("rules-file-with-yml-suffix", "rules/camera.yml", None,
            "rules:\n  - id: fatigue.camera-alert\n    title: Alert kamera fatigue\n    clauses: [\"6.5.9\"]\n"
            "    when:\n      - fact: readiness_form\n    then:\n      finding: {severity: minor, message: alert}\n",
            says=(r".",), exact=False),
]


def _param(m: Mistake):
    marks = [pytest.mark.xfail(strict=True, reason=f"engine bug: {m.bug}")] if m.bug else []
    return pytest.param(m, id=m.id, marks=marks)


class LintRun:
    """One `patuh lint` over every broken pack, started at once and read when first needed, so the
    subprocess runs while the Python API cases do."""

    def __init__(self, folders: list[Path]):
        self._proc = subprocess.Popen([sys.executable, "-m", "patuh.cli", "lint", *map(str, folders)],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._out: tuple[int, str, str] | None = None

    def result(self) -> tuple[int, str, str]:
        if self._out is None:
            stdout, stderr = self._proc.communicate(timeout=300)
            self._out = (self._proc.returncode, stdout, stderr)
        return self._out


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """Every broken pack: folder, and file, line and column where its problem must be reported."""
    root = tmp_path_factory.mktemp("packs")
    return {m.id: make_pack(root / m.id, m) for m in MISTAKES}


@pytest.fixture(scope="module")
def lint_run(broken):
    run = LintRun([p[0] for p in broken.values()])
    yield run
    run.result()


def _matches(message: str, says: tuple[str, ...]) -> bool:
    return all(re.search(pattern, message) for pattern in says)


@pytest.mark.parametrize("mistake", [_param(m) for m in MISTAKES])
def test_api_reports_mistake_at_its_place(broken, lint_run, mistake: Mistake):
    """load_pack raises one PackInvalid listing a problem at the offending text."""
    folder, file, line, column = broken[mistake.id]
    with pytest.raises(PackInvalid) as raised:
        load_pack(folder, {})
    problems = raised.value.problems
    assert problems, "PackInvalid without problems"
    for problem in problems:
        assert problem.where.file and problem.message, problem
    listing = "\n".join(f"{p.where.file}:{p.where.line}:{p.where.column}: {p.message}" for p in problems)
    found = [p for p in problems if Path(p.where.file) == file
             and (not mistake.exact or (p.where.line, p.where.column) == (line, column))]
    assert found, f"no problem at {file}:{line}:{column}; problems:\n{listing}"
    assert any(_matches(p.message, mistake.says) for p in found), (
        f"no problem at {file}:{line}:{column} says all of {mistake.says}; problems:\n{listing}")


@pytest.mark.parametrize("mistake", [_param(m) for m in MISTAKES])
def test_cli_reports_mistake_at_its_place(broken, lint_run, mistake: Mistake):
    """`patuh lint`: exit 2, the pack never "ok", each stderr line `error: FILE:LINE:COL: message`."""
    folder, file, line, column = broken[mistake.id]
    code, stdout, stderr = lint_run.result()
    assert code == 2, stderr
    assert "Traceback" not in stderr
    assert f"ok {folder}:" not in stdout
    ours = [ERROR_LINE.match(line) for line in stderr.splitlines() if line.startswith(f"error: {folder}/")]
    assert ours and all(ours), f"stderr lines for {folder}:\n{stderr}"
    assert any(Path(m["file"]) == file
               and (not mistake.exact or (m["line"], m["column"]) == (str(line), str(column)))
               and _matches(m["message"], mistake.says) for m in ours), (
        f"no line `error: {file}:{line}:{column}: ...` saying {mistake.says} in:\n" + "\n".join(m[0] for m in ours))


def test_duplicate_rule_id_names_both_places(tmp_path):
    """The second rule with an id is reported, and the message says where the first one is."""
    mistake = Mistake("duplicate-rule-id", "rules/preshift.yaml",
                      "  - id: fatigue.readiness-not-fit", "  - id: fatigue.sleep-under-4h",
                      says=(), at="fatigue.sleep-under-4h")
    folder, file, line, column = make_pack(tmp_path / "fatigue", mistake)
    first = position(file.read_text(encoding="utf-8"), "fatigue.sleep-under-4h")
    with pytest.raises(PackInvalid) as raised:
        load_pack(folder, {})
    found = [p for p in raised.value.problems
             if (Path(p.where.file), p.where.line, p.where.column) == (file, line, column)]
    assert len(found) == 1, raised.value
    assert "duplicate rule id 'fatigue.sleep-under-4h'" in found[0].message
    assert f"{file}:{first[0]}:{first[1]}" in found[0].message


def test_one_bad_pack_exits_2_with_only_error_lines(tmp_path):
    mistake = next(m for m in MISTAKES if m.id == "unknown-sanction-rung")
    folder, file, line, column = make_pack(tmp_path / "fatigue", mistake)
    proc = subprocess.run([sys.executable, "-m", "patuh.cli", "lint", str(folder)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    (error,) = proc.stderr.splitlines()
    assert error.startswith(f"error: {file}:{line}:{column}: ")
    assert "'SP2'" in error and "sanctions.yaml" in error


def test_folder_without_pack_yaml(tmp_path):
    with pytest.raises(PackInvalid) as raised:
        load_pack(tmp_path, {})
    (problem,) = raised.value.problems
    assert problem.where.file == str(tmp_path)
    assert "pack.yaml" in problem.message


def test_fatigue_pack_lints_clean():
    pack = load_pack(FATIGUE, {})
    assert pack.name == "fatigue"
    assert pack.rules and pack.clauses and pack.parameters
    proc = subprocess.run([sys.executable, "-m", "patuh.cli", "lint", str(FATIGUE)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.startswith(f"ok {FATIGUE}: fatigue {pack.version}, {len(pack.rules)} rules")
