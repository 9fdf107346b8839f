"""A third-party pack plugs in the way DESIGN.md promises: pip-install a package, and patuh finds
its pack through the `patuh` entry point group, with no change to patuh itself.

The example package (examples/acme-fatigue) is installed once per session with pip into a
temporary folder, never into the shared venv; patuh then runs in subprocesses with that folder
on PYTHONPATH, so importlib.metadata (through pluggy) discovers the entry point as it would in a
real installation. Installing is offline: no build isolation where this interpreter can build a
wheel itself, otherwise an isolated build that takes setuptools from the local package sources
in pip's configuration only.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "acme-fatigue"
DIST = "patuh-acme-fatigue"
PACK = "acme-fatigue"
VERSION = "1.0.0"

# ACME-301 slept 7.5 h: enough for the built-in 7 h minimum, short of ACME's 8 h; a supervisor
# verified the form. ACME-302 slept 8 h, but nobody verified the form (ACME-SOP-K3-07 4.2).
FACTS = [
    {"type": "roster", "employee": "ACME-301", "date": "2026-03-02", "shift": "I", "mobile_equipment": True,
     "start": "2026-03-02T06:00:00+08:00", "end": "2026-03-02T18:00:00+08:00"},
    {"type": "readiness_form", "employee": "ACME-301", "date": "2026-03-02", "shift": "I", "sleep_hours": 7.5,
     "fit": True, "verified_by": "SPV-07", "filled_at": "2026-03-02T05:10:00+08:00"},
    {"type": "roster", "employee": "ACME-302", "date": "2026-03-02", "shift": "I", "mobile_equipment": True,
     "start": "2026-03-02T06:00:00+08:00", "end": "2026-03-02T18:00:00+08:00"},
    {"type": "readiness_form", "employee": "ACME-302", "date": "2026-03-02", "shift": "I", "sleep_hours": 8,
     "fit": True, "filled_at": "2026-03-02T05:20:00+08:00"},
]


# -- installing the example ---------------------------------------------------------------------
def _builds_wheels_offline() -> bool:
    """Can this interpreter build a setuptools wheel with no build isolation? setuptools 70.1+
    carries bdist_wheel; older setuptools needs the `wheel` package beside it."""
    try:
        version = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return False
    if importlib.util.find_spec("wheel") is not None:
        return True
    major, minor = (int(part) if part.isdigit() else 0 for part in (version.split(".") + ["0"])[:2])
    return (major, minor) >= (70, 1)


def _local_sources() -> list[str]:
    """pip options naming only the local package sources (file:// indexes, folders of wheels)
    in pip's own configuration, so that an isolated build never reaches for the network."""
    listed = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True,
                            env={**os.environ, "PIP_NO_INPUT": "1"}).stdout
    indexes: list[str] = []
    links: list[str] = []
    for line in listed.splitlines():
        key, _, value = line.partition("=")
        option = key.rsplit(".", 1)[-1]
        try:
            items = shlex.split(value.strip())
        except ValueError:
            continue
        for item in items:
            for raw in item.split():
                local = raw.startswith("file:") or Path(raw).exists()
                if not local:
                    continue
                if option in ("index-url", "extra-index-url") and raw not in indexes:
                    indexes.append(raw)
                elif option == "find-links" and raw not in links:
                    links.append(raw)
    options = [f"--find-links={link}" for link in links]
    if indexes:
        options += [f"--index-url={indexes[0]}"] + [f"--extra-index-url={i}" for i in indexes[1:]]
    else:
        options.append("--no-index")
    return options if indexes or links else []


def _pip_install(source: Path, target: Path) -> subprocess.CompletedProcess:
    base = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-input", "--disable-pip-version-check",
            "--no-cache-dir", "--quiet", "--target", str(target)]
    if _builds_wheels_offline():
        how = ["--no-build-isolation", "--no-index"]
        env = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
    else:
        how = _local_sources()
        if not how:
            pytest.fail("cannot build the example package offline: this interpreter has setuptools "
                        f"{_setuptools_version()} without `wheel` (bdist_wheel), and pip's configuration names "
                        "no local package source to take them from for an isolated build")
        # Only the sources named above: no config file may add a remote index.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")} | {"PIP_CONFIG_FILE": os.devnull}
    return subprocess.run(base + how + [str(source)], capture_output=True, text=True, env=env, timeout=180)


def _setuptools_version() -> str:
    try:
        return importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return "(none)"


def _already_installed() -> bool:
    return any(ep.name == PACK for ep in importlib.metadata.entry_points(group="patuh"))


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory) -> Path:
    """A folder holding the installed example package (and its dist-info), for PYTHONPATH."""
    work = tmp_path_factory.mktemp("acme-plugin")
    # Build from a copy, so pip's in-tree build leaves nothing (egg-info, build/) in the repo.
    source = work / "src"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    site = work / "site"
    done = _pip_install(source, site)
    assert done.returncode == 0, f"pip install of {EXAMPLE} failed:\n{done.stdout}\n{done.stderr}"
    return site


def _patuh(*args: str, site: Path | None, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if site is not None:
        env["PYTHONPATH"] = str(site)
    return subprocess.run([sys.executable, "-m", "patuh.cli", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120)


@pytest.fixture(scope="session")
def facts_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("acme-facts") / "facts.json"
    path.write_text(json.dumps({"facts": FACTS}), encoding="utf-8")
    return path


def _eval(facts: Path, site: Path | None, *packs: str) -> dict:
    args = ["eval", "--facts", str(facts), "--format", "json"]
    for pack in packs:
        args += ["--pack", pack]
    done = _patuh(*args, site=site, cwd=facts.parent)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="session")
def with_plugin(plugin_site, facts_file) -> dict:
    """The result (eval --format json) of the facts under the fatigue pack and the plugin's."""
    return _eval(facts_file, plugin_site, "fatigue", PACK)


# -- the installed package ----------------------------------------------------------------------
def test_the_package_installs_with_its_pack_and_entry_point(plugin_site):
    pack = plugin_site / "acme_fatigue" / "pack"
    for name in ("pack.yaml", "clauses.yaml", "parameters.yaml", "raci.yaml", "rules/verification.yaml",
                 "tests/verification.yaml"):
        assert (pack / name).is_file(), f"{name} is not shipped as package data"
    dist = importlib.metadata.Distribution.at(next(plugin_site.glob("patuh_acme_fatigue-*.dist-info")))
    assert dist.version == VERSION
    assert [(ep.group, ep.name, ep.value) for ep in dist.entry_points] == [("patuh", PACK, "acme_fatigue")]


def test_patuh_packs_lists_the_plugin_pack_with_its_version(plugin_site, tmp_path):
    done = _patuh("packs", site=plugin_site, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines()[1:] if line.strip()}
    assert rows[PACK][1] == VERSION
    assert rows[PACK][2] == "ACME-SOP-K3-07"
    assert "fatigue" in rows  # the built-in packs still come in beside it


def test_the_override_raises_the_sleep_minimum_to_8_h(with_plugin):
    result = with_plugin
    survey = [f for f in result["findings"] if f["rule"] == "fatigue.sleep-shortfall-survey"]
    assert [f["subject"]["id"] for f in survey] == ["ACME-301"]  # 7.5 h < 8 h; ACME-302's 8 h is enough
    used = survey[0]["parameters"]["sleep_minimum_h"]
    assert used["value"] == 8 and used["source"] == f"pack {PACK} {VERSION}"
    assert "(minimum 8 h)" in survey[0]["message"]

    overrides = result["trace"]["overrides"]
    fatigue = [label for label in overrides if label.split()[0] == "fatigue"]
    assert len(fatigue) == 1, overrides
    assert overrides[fatigue[0]] == {"sleep_minimum_h": {**used, "value": 8, "source": f"pack {PACK} {VERSION}"}}
    assert sorted(p["name"] for p in result["trace"]["packs"]) == [PACK, "fatigue"]


def test_the_plugin_rule_finds_an_unverified_form(with_plugin):
    own = [f for f in with_plugin["findings"] if f["pack"]["name"] == PACK]
    assert [(f["rule"], f["subject"]["id"]) for f in own] == [("acme.readiness-form-unverified", "ACME-302")]
    finding = own[0]
    assert finding["pack"]["version"] == VERSION
    assert [(c["document"], c["revision"], c["number"]) for c in finding["clauses"]] == [("ACME-SOP-K3-07", "1", "4.2")]
    assert finding["severity"] == "major"
    action = finding["actions"][0]
    assert action["responsible"] == ["Pengawas Lapangan"]
    assert action["due"] == "2026-03-02T05:45:00+08:00"  # 15 min before the 06:00 start
    assert finding["parameters"]["verification_due_offset_min"]["clause"] == "4.2"
    assert len(finding["facts"]) == 2  # the roster entry and the form


def test_the_plugin_pack_tests_run_through_patuh_test(plugin_site, tmp_path):
    done = _patuh("test", PACK, site=plugin_site, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    passed = [line for line in done.stdout.splitlines() if line.startswith(f"PASS {PACK}: ")]
    assert len(passed) >= 5  # the cases in the installed pack's tests/verification.yaml
    assert done.stdout.splitlines()[-1] == f"{len(passed)} passed, 0 failed"


def test_without_the_plugin_7_5_h_needs_no_survey(facts_file):
    if _already_installed():
        pytest.skip(f"{DIST} is installed in this environment itself, so no run here is without it")
    result = _eval(facts_file, None, "fatigue")
    assert [p["name"] for p in result["trace"]["packs"]] == ["fatigue"]
    assert not [label for label in result["trace"]["overrides"] if label.split()[0] == "fatigue"]
    assert not [f for f in result["findings"] if f["rule"] == "fatigue.sleep-shortfall-survey"]
    assert not [f for f in result["findings"] if f["rule"].startswith("acme.")]


def test_a_misspelt_hook_is_a_plugin_error_naming_the_plugin():
    """A hook patuh does not have (patuh_pack for patuh_packs) is one error naming the plugin
    and patuh's hooks, not a traceback."""
    from patuh.plugins import PluginError, hookimpl, manager

    class Misspelt:
        @hookimpl
        def patuh_pack(self) -> list[Path]:
            return []

    with pytest.raises(PluginError) as raised:
        manager(Misspelt(), entry_points=False)
    assert str(raised.value).startswith("plugin Misspelt: unknown hook 'patuh_pack' in plugin ")
    assert str(raised.value).endswith("; patuh's hooks: patuh_detectors, patuh_fact_types, patuh_packs, "
                                      "patuh_reports, patuh_sinks")
