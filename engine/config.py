"""Company or site configuration: the time zone, the shift pattern, and parameter overrides by
pack and name.

    timezone: Asia/Makassar        # naive times in facts are read in this zone
    shifts:                        # when each shift runs: fills start and end of a record that
      I: {start: "07:00", end: "19:00"}    # names only its date and shift (facts.yaml `shifts: true`)
      II: {start: "19:00", end: "07:00"}   # ends on the next day
    parameters:
      fatigue:
        sleep_minimum_h: 7.5

A pack may also override another pack's parameters (`overrides:` in its pack.yaml). The site
config wins over packs; every override, and where it came from, shows in the trace.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import limits
from .check import clock_seconds
from .documents import Document, load
from .facts import DEFAULT_TIMEZONE
from .models import ParameterUse
from .pack import Pack, Parameter
from .problems import ConfigError, Where

KEYS = ("timezone", "shifts", "parameters")
IN_CODE = "<config given in code>"


@dataclass
class Config:
    timezone: str = DEFAULT_TIMEZONE
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    doc: Document | None = None
    shifts: dict[str, tuple[dt.time, dt.time]] = field(default_factory=dict)  # shift -> (start, end)

    @property
    def label(self) -> str:
        return f"config {self.doc.file}" if self.doc and self.doc.file != IN_CODE else "config"

    def where(self, *path: str) -> Where:
        """Where the config says something about `path` (a pack, a parameter), for messages."""
        return self.doc.where(("parameters",) + path + ("__key__",)) if self.doc else Where(self.label)


def load_config(source: Path | str | dict[str, Any] | None) -> Config:
    if source is None:
        return Config()
    doc = Document(IN_CODE, source, {}) if isinstance(source, dict) else load(source)
    data = doc.data or {}
    if not isinstance(data, dict):
        raise ConfigError(doc.where(()), "expected a mapping with timezone and/or parameters")
    for key in data:
        if key not in KEYS:
            raise ConfigError(doc.where((key, "__key__")),
                              f"unknown setting {key!r}; expected one of {', '.join(KEYS)}")
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
    return Config(str(zone), params, doc, _shifts(doc, data.get("shifts")))


def _shifts(doc: Document, given: Any) -> dict[str, tuple[dt.time, dt.time]]:
    if given is None:
        return {}
    expected = 'expected shifts: {SHIFT: {start: "HH:MM", end: "HH:MM"}}'
    if not isinstance(given, dict):
        raise ConfigError(doc.where(("shifts",)), expected)
    out = {}
    for name, spec in given.items():
        where = doc.where(("shifts", name))
        if not isinstance(spec, dict) or set(spec) != {"start", "end"}:
            raise ConfigError(where, f"shift {name}: {expected}")
        try:
            start, end = (clock_seconds(spec[k]) for k in ("start", "end"))
        except ValueError as exc:
            raise ConfigError(where, f"shift {name}: {exc}") from None
        if start == end:
            raise ConfigError(where, f"shift {name}: starts and ends at {spec['start']}; a shift has a length")
        out[str(name)] = (dt.time(start // 3600, start // 60 % 60, start % 60),
                          dt.time(end // 3600, end // 60 % 60, end % 60))
    return out


def settle_parameters(packs: list[Pack], config: Config,
                      installed: Iterable[str] = ()) -> dict[str, dict[str, list[ParameterUse]]]:
    """Each pack's parameters after overrides, by pack label ("fatigue 0.1.0"): its defaults <
    other packs' overrides < the config. A parameter is a list of the values it takes, oldest
    first: one, or one per date for a value given by date (`since` says from when). An override
    names a pack by name, so it applies to every installed revision that has the parameter, and
    it replaces a dated value with one for all dates."""
    settled = {p.label: {n: _uses(p, param) for n, param in p.parameters.items()} for p in packs}
    installed = set(installed)
    names = sorted({p.name for p in packs})
    # An override of an installed pack this engine has not loaded is skipped (a site config may
    # cover more packs than one run uses); one of a pack that is not installed is an error.
    layers: list[tuple[str, list[tuple[str, str, Any, str | None, Where]], Pack | None]] = [
        (f"pack {p.label}", [(o.pack, o.parameter, o.value, o.clause, o.at.where("__key__")) for o in p.overrides], p)
        for p in packs]
    given = config.parameters
    layers.append((config.label, [(pack, name, value, None, config.where(pack, name))
                                  for pack, values in given.items() for name, value in values.items()], None))
    for source, overrides, by_pack in layers:
        for pack_name, name, value, clause, where in overrides:
            targets = [p for p in packs if p.name == pack_name]
            if not targets and pack_name in installed:
                continue  # an installed pack this engine has not loaded: nothing to override
            if not targets:
                raise ConfigError(config.where(pack_name) if by_pack is None else where,
                                  f"{source} overrides pack {pack_name!r}, which is not loaded; loaded: "
                                  f"{', '.join(names)}")
            current = [settled[p.label][name][-1] for p in targets if name in settled[p.label]]
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
                    settled[p.label][name] = [settled[p.label][name][-1].model_copy(update={
                        "value": value, "source": source, "clause": clause, "since": None,
                        "document": by_pack.source_of(clause).number if clause and by_pack else None})]
    return settled


def _uses(pack: Pack, param: Parameter) -> list[ParameterUse]:
    source = f"pack {pack.label}"
    if not param.values:
        return [ParameterUse(value=param.value, unit=param.unit, clause=param.clause, source=source,
                             document=pack.source_of(param.clause).number if param.clause else None)]
    return [ParameterUse(value=d.value, unit=param.unit, clause=d.clause, source=source, since=d.since,
                         document=pack.source_of(d.clause).number if d.clause else None) for d in param.values]


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    return "a list" if isinstance(value, list) else "text"
