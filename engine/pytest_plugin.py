"""Pack tests as pytest items (registered as the `pytest11` entry point `patuh`).

pytest collects every `tests/*.yaml` of a pack folder (a folder with pack.yaml) under the paths it
is given, one item per case, so `-k`, `-x` and JUnit reports work on them; `patuh test` stays
the command. `--patuh-packs` adds the tests of every installed pack (plugins' too), wherever they
are. `--patuh-min-coverage PCT` prints each pack's coverage (as `patuh test --coverage` does) and
fails the run when the cases of an installed pack (built-in or a plugin's, not a test pack of
the repository) exercise less than PCT % of its rules. Under pytest-xdist (`-n 2`), each worker
sends the rules its cases matched to the controlling process, which reports once for them all.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from . import plugins as plugin_hooks
from .api import Engine
from .pack import Pack, TestCase
from .packtest import CaseResult, coverage, engine_for, run_case, with_tests


@dataclass
class _State:
    """What a pytest run keeps between collecting, running and reporting pack tests."""

    packs: dict[Path, tuple[Engine, Pack]] = field(default_factory=dict)  # pack folder -> engine, pack with tests
    results: dict[Path, list[CaseResult]] = field(default_factory=dict)  # pack folder -> its cases run
    # pack folder -> the rules each case matched, as pytest-xdist's workers told the controller
    received: dict[Path, list[set[str]]] = field(default_factory=dict)
    report: list[tuple[str, bool]] = field(default_factory=list)  # coverage texts, and whether below minimum


_STATE = pytest.StashKey[_State]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("patuh", "patuh pack tests")
    group.addoption("--patuh-packs", action="store_true", help="also run the tests of every installed pack")
    group.addoption("--patuh-min-coverage", type=float, metavar="PCT",
                    help="fail when an installed pack's cases exercise less than PCT %% of its rules")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_STATE] = _State()
    if config.getoption("patuh_packs"):
        for folder in plugin_hooks.pack_folders(plugin_hooks.manager()):
            if (folder / "tests").is_dir():
                config.args.append(str(folder / "tests"))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if (file_path.suffix in (".yaml", ".yml") and file_path.parent.name == "tests"
            and (file_path.parent.parent / "pack.yaml").is_file()):
        return PackTestFile.from_parent(parent, path=file_path)
    return None


def _pack(config: pytest.Config, folder: Path) -> tuple[Engine, Pack]:
    """The engine a pack's tests run on and the pack with its tests, made once per folder."""
    packs = config.stash[_STATE].packs
    if folder not in packs:
        base = Engine([folder])
        pack = base.packs[0]
        engine = engine_for(pack, base.installed)
        packs[folder] = (engine, with_tests(engine, pack))
    return packs[folder]


class PackTestFile(pytest.File):
    def collect(self) -> Iterator[PackTestItem]:
        engine, pack = _pack(self.config, self.path.parent.parent)
        for case in pack.tests:
            if Path(case.at.doc.file).resolve() == self.path.resolve():
                yield PackTestItem.from_parent(self, name=case.name, pack=pack, case=case, engine=engine)


class CaseFailed(Exception):
    pass


class PackTestItem(pytest.Item):
    def __init__(self, *, pack: Pack, case: TestCase, engine: Engine, **kwargs: Any):
        super().__init__(**kwargs)
        self.pack, self.case, self.engine = pack, case, engine

    def runtest(self) -> None:
        result = run_case(self.engine, self.pack, self.case)
        self.config.stash[_STATE].results.setdefault(self.pack.path, []).append(result)
        if not result.ok:
            raise CaseFailed(result.detail)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailed):
            return f"{self.case.at.where()}: {self.pack.name}: {self.case.name}\n{excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, max(self.case.at.where().line - 1, 0), f"{self.pack.name}: {self.case.name}"


_WORKER_OUTPUT = "patuh_matched"


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook, in its controlling process: a worker is done
def pytest_testnodedown(node: Any, error: Any) -> None:
    received = node.config.stash[_STATE].received
    for folder, matched in getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT, {}).items():
        received.setdefault(Path(folder), []).extend(set(rules) for rules in matched)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    minimum = session.config.getoption("patuh_min_coverage")
    if minimum is None:
        return
    state = session.config.stash[_STATE]
    matched = {folder: [r.matched for r in state.results.get(folder, [])] for folder in state.packs}
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: its controller reports, for every worker
        workeroutput[_WORKER_OUTPUT] = {str(f): [sorted(m) for m in cases] for f, cases in matched.items()}
        return
    for folder, cases in state.received.items():
        matched.setdefault(folder, []).extend(cases)
    state.report = []
    installed = set(plugin_hooks.pack_folders(plugin_hooks.manager()))
    for folder in sorted(matched):
        _, pack = _pack(session.config, folder)  # the controller of xdist's workers collected none
        if len(matched[folder]) < len(pack.tests):
            continue  # not every case ran (-k, -x): its coverage would say nothing
        found = coverage(pack, matched[folder])
        short = found.rule_share < minimum and folder.resolve() in installed
        state.report.append((found.report(), short))
        if short and session.exitstatus == 0:
            session.exitstatus = 1


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    minimum = config.getoption("patuh_min_coverage")
    for text, short in config.stash[_STATE].report:
        terminalreporter.write_line(text)
        if short:
            terminalreporter.write_line(f"  below the minimum of {minimum:g} % of rules", red=True)
