"""Plugin hooks (pluggy): how packs, fact types, detectors and result sinks get into patuh.

A plugin is any module registered under the `patuh` entry point group. patuh's own packs come
in the same way (`patuh.rulesets`), so there is one way in. Each hook returns a list; pluggy
gathers the lists of every plugin.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pluggy

PROJECT = "patuh"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class Specs:
    @hookspec
    def patuh_packs(self) -> list[Path]:
        """Folders of the packs this plugin provides."""

    @hookspec
    def patuh_fact_types(self) -> list[dict[str, Any]]:
        """Fact type declarations, each a mapping in facts.yaml form: {type: {subject, fields}}."""

    @hookspec
    def patuh_detectors(self) -> list[Any]:
        """Detectors: objects with a `name` and a `facts(...)` method yielding fact records."""

    @hookspec
    def patuh_sinks(self) -> list[Any]:
        """Result sinks: objects with a `name` and a `write(result, target)` method."""


def manager(*extra: object, entry_points: bool = True) -> pluggy.PluginManager:
    """A fresh plugin manager (none is shared between engines): entry points plus `extra`."""
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(Specs)
    if entry_points:
        pm.load_setuptools_entrypoints(PROJECT)
    for plugin in extra:
        if not pm.is_registered(plugin):
            pm.register(plugin)
    return pm


def pack_folders(pm: pluggy.PluginManager) -> list[Path]:
    return sorted({Path(p).resolve() for found in pm.hook.patuh_packs() for p in found})


def fact_declarations(pm: pluggy.PluginManager) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for found in pm.hook.patuh_fact_types():
        for declarations in found:
            out.update(declarations)
    return out


def named(pm: pluggy.PluginManager, hook: str) -> dict[str, Any]:
    """Detectors or sinks by name."""
    return {item.name: item for found in getattr(pm.hook, hook)() for item in found}
