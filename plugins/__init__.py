# mypy: disable-error-code="empty-body"
# (Specs below declares the hooks' signatures only: pluggy calls the plugins' implementations, never its bodies.)
"""Plugin hooks (pluggy): how packs, fact types, detectors, reports and result sinks get into patuh.

A plugin is any module registered under the `patuh` entry point group. patuh's own packs,
detectors and sinks come in the same way (`patuh.rulesets`, `patuh.detectors.*`, `patuh.sinks`),
so there is one way in. Each hook returns a list; pluggy gathers the lists of every plugin. A
plugin that cannot be loaded, or that implements a hook patuh does not have (a misspelt name),
is a PluginError when the plugin manager is made, not a silent skip.
"""
from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pluggy

PROJECT = "patuh"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class PluginError(Exception):
    """A plugin that cannot be used, and why (its name, its module)."""


@runtime_checkable
class Detector(Protocol):
    """Turns a source into fact records: `patuh detect NAME` and Python callers alike."""

    name: str
    help: str  # one line for `patuh detect --help`

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """The options of `patuh detect NAME` (its own; importing nothing heavy)."""

    def run(self, args: argparse.Namespace) -> int:
        """`patuh detect NAME`: records as JSON lines on standard output; the exit code."""

    def facts(self, *args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """The records, for a Python caller."""


@runtime_checkable
class Report(Protocol):
    """A report a procedure asks for (`patuh report NAME`), made from facts or a result."""

    name: str
    help: str  # one line for `patuh report --help`

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """The options of `patuh report NAME`."""

    def run(self, args: argparse.Namespace) -> int:
        """Write the report; the exit code."""


@runtime_checkable
class Sink(Protocol):
    """Where a result goes besides the output (`patuh eval --sink NAME:TARGET`). It may also have
    `check(target)`, called before evaluating, raising patuh.problems.SourceError when the target
    cannot be written (exit 2, nothing written)."""

    name: str

    def write(self, result: Any, target: str) -> None: ...


class Specs:
    @hookspec
    def patuh_packs(self) -> list[Path]:
        """Folders of the packs this plugin provides."""

    @hookspec
    def patuh_fact_types(self) -> list[dict[str, Any]]:
        """Fact type declarations, each a mapping in facts.yaml form: {type: {subject, fields}}."""

    @hookspec
    def patuh_detectors(self) -> list[Detector]:
        """Detectors (see Detector)."""

    @hookspec
    def patuh_sinks(self) -> list[Sink]:
        """Result sinks (see Sink)."""

    @hookspec
    def patuh_reports(self) -> list[Report]:
        """Reports (see Report)."""


def manager(*extra: object, entry_points: bool = True) -> pluggy.PluginManager:
    """A fresh plugin manager (none is shared between engines): entry points plus `extra`."""
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(Specs)
    if entry_points:
        try:
            pm.load_setuptools_entrypoints(PROJECT)
        except Exception as exc:  # noqa: BLE001 - any error of a plugin's import: say which plugin
            raise PluginError(f"a plugin of the {PROJECT!r} entry point group cannot be loaded: "
                              f"{type(exc).__name__}: {exc}") from None
    for plugin in extra:
        if not pm.is_registered(plugin):
            pm.register(plugin)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:  # e.g. patuh_pack for patuh_packs
        known = ", ".join(sorted(name for name in dir(Specs) if name.startswith("patuh_")))
        plugin = getattr(exc.plugin, "__name__", None) or type(exc.plugin).__name__  # a module, or an object's class
        raise PluginError(f"plugin {plugin}: {exc}; patuh's hooks: {known}") from None
    return pm


def pack_folders(pm: pluggy.PluginManager) -> list[Path]:
    return sorted({Path(p).resolve() for found in pm.hook.patuh_packs() for p in found})


def fact_declarations(pm: pluggy.PluginManager) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for found in pm.hook.patuh_fact_types():
        for declarations in found:
            out.update(declarations)
    return out


def _named(pm: pluggy.PluginManager, hook: str, kind: type[Detector] | type[Sink] | type[Report]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for found in getattr(pm.hook, hook)():
        for item in found:
            if not isinstance(item, kind):
                raise PluginError(f"{hook} gave {item!r}, which is not a {kind.__name__} (see patuh.plugins)")
            out[item.name] = item
    return out


def detectors(pm: pluggy.PluginManager) -> dict[str, Detector]:
    """The detectors of every plugin, by name."""
    return _named(pm, "patuh_detectors", Detector)


def sinks(pm: pluggy.PluginManager) -> dict[str, Sink]:
    """The result sinks of every plugin, by name."""
    return _named(pm, "patuh_sinks", Sink)


def reports(pm: pluggy.PluginManager) -> dict[str, Report]:
    """The reports of every plugin, by name."""
    return _named(pm, "patuh_reports", Report)


def named(pm: pluggy.PluginManager, hook: str) -> dict[str, Any]:
    """Detectors, reports or sinks by name."""
    if hook == "patuh_detectors":
        return detectors(pm)
    return reports(pm) if hook == "patuh_reports" else sinks(pm)
