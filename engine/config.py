"""Company or site configuration: the time zone, and parameter overrides by pack and name.

    timezone: Asia/Makassar        # naive times in facts are read in this zone
    parameters:
      fatigue:
        sleep_minimum_h: 7.5

A pack may also override another pack's parameters (`overrides:` in its pack.yaml). The site
config wins over packs; every override, and where it came from, shows in the trace.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import limits
from .facts import DEFAULT_TIMEZONE
from .models import ParameterUse
from .pack import Pack
from .documents import Document, load
from .problems import ConfigError, SourceError, Where

KEYS = ("timezone", "parameters")
IN_CODE = "<config given in code>"


@dataclass
class Config:
    timezone: str = DEFAULT_TIMEZONE
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    doc: Document | None = None

    @property
    def label(self) -> str:
        return f"config {self.doc.file}" if self.doc and self.doc.file != IN_CODE else "config"


def load_config(source: Path | str | dict | None) -> Config:
    if source is None:
        return Config()
    doc = Document(IN_CODE, source, {}) if isinstance(source, dict) else load(source)
    data = doc.data or {}
    if not isinstance(data, dict):
        raise ConfigError(doc.where(()), "expected a mapping with timezone and/or parameters")
    for key in data:
        if key not in KEYS:
            raise ConfigError(doc.where((key, "__key__")), f"unknown setting {key!r}; expected one of {', '.join(KEYS)}")
    zone = data.get("timezone", DEFAULT_TIMEZONE)
    try:
        if not isinstance(zone, str):
            raise ValueError
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        raise ConfigError(doc.where(("timezone",)), f"unknown time zone {zone!r}; expected e.g. Asia/Jakarta") from None
    params = data.get("parameters") or {}
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise ConfigError(doc.where(("parameters",)), "expected parameters: {pack: {parameter: value}}")
    return Config(str(zone), params, doc)


def settle_parameters(packs: list[Pack], config: Config, installed: Iterable[str] = ()) -> dict[str, dict[str, ParameterUse]]:
    """Each pack's parameter values after overrides, by pack label ("fatigue 0.1.0"):
    its defaults < other packs' overrides < the config. An override names a pack by name, so it
    applies to every installed revision of that pack that has the parameter."""
    settled = {
        p.label: {n: ParameterUse(value=loc.data["value"], unit=loc.data.get("unit"), clause=loc.data.get("clause"),
                                  document=p.document["number"] if loc.data.get("clause") else None,
                                  source=f"pack {p.label}") for n, loc in p.parameters.items()}
        for p in packs
    }
    installed = set(installed)
    names = sorted({p.name for p in packs})
    # An override of an installed pack this engine has not loaded is skipped (a site config may
    # cover more packs than one run uses); one of a pack that is not installed is an error.
    layers: list[tuple[str, dict, Document | None, tuple, Pack | None]] = [
        (f"pack {p.label}", p.meta.get("overrides") or {}, p.meta_doc, ("overrides",), p) for p in packs
    ] + [(config.label, config.parameters, config.doc, ("parameters",), None)]
    for source, overrides, doc, root, by_pack in layers:
        for pack_name, values in overrides.items():
            where = doc.where(root + (pack_name, "__key__")) if doc else Where(source)
            targets = [p for p in packs if p.name == pack_name]
            if not targets and pack_name in installed:
                continue  # an installed pack this engine has not loaded: nothing to override
            if not targets:
                raise ConfigError(where, f"{source} overrides pack {pack_name!r}, which is not loaded; loaded: "
                                         f"{', '.join(names)}")
            for name, value in values.items():
                where = doc.where(root + (pack_name, name, "__key__")) if doc else Where(source)
                clause = None
                if isinstance(value, dict) and by_pack:  # {value, clause}: the overriding pack's clause
                    value, clause = value["value"], value["clause"]
                current = [settled[p.label][name] for p in targets if name in settled[p.label]]
                if not current:
                    known = sorted({n for p in targets for n in settled[p.label]})
                    raise ConfigError(where, f"pack {pack_name} has no parameter {name!r}; its parameters: "
                                             f"{', '.join(known)}")
                problem = limits.value_problem(value)
                if problem:
                    raise ConfigError(where, f"{pack_name}.{name}: {problem}")
                if _kind(value) != _kind(current[0].value):
                    raise ConfigError(where, f"{pack_name}.{name}: expected {_kind(current[0].value)} like "
                                             f"{current[0].value!r}, found {value!r}")
                for p in targets:
                    if name in settled[p.label]:
                        settled[p.label][name] = settled[p.label][name].model_copy(update={
                            "value": value, "source": source, "clause": clause,
                            "document": by_pack.document["number"] if clause and by_pack else None})
    return settled


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    return "a list" if isinstance(value, list) else "text"

