"""The camera's thresholds: the fatigue pack's camera_* parameters (6.4.3.3 and the company's
choices beside it), read through patuh's own pack loading, so the pack stays their one source of
truth, with the same overrides an evaluation would apply (other packs' `overrides:`, then a site
config).

Every field of CameraParams comes from the pack parameter `camera_<field>`; a pack that lacks
one is an error (LookupError), not a silent default. The defaults below only serve Python
callers that build CameraParams by hand (tests of the state machine).

This is the one module of the detector that reaches into the engine (pack loading and config),
and only when `load_params` is called; signals and the state machine take plain values.
`settings=` lets a Python caller (a test, a host app) set fields after the pack and config.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PACK = "fatigue"
PREFIX = "camera_"  # pack parameter camera_<name> -> CameraParams.<name>


@dataclass(frozen=True)
class CameraParams:
    wl1_closed_s: float = 2.0
    wl2_closed_s: float = 3.0
    face_missing_s: float = 30.0
    look_around_s: float = 5.0
    phone_s: float = 5.0
    covered_s: float = 30.0
    wl2_armed_s: float = 7200.0
    look_around_yaw_deg: float = 30.0
    look_down_pitch_deg: float = 20.0
    moving_kmh: float = 5.0
    calibration_s: float = 3.0
    closed_fraction: float = 0.65
    fallback_closed_ear: float = 0.2
    yawn_mar: float = 0.6
    yawn_s: float = 1.5
    perclos_window_s: float = 60.0
    smoking_count: float = 3
    smoking_window_s: float = 120.0
    presence_window_s: float = 1.0
    presence_share: float = 0.6
    face_min_score: float = 0.5
    face_track_shift: float = 0.5
    face_min_width: float = 0.16
    face_max_width: float = 0.9
    face_max_yaw_deg: float = 60.0
    face_max_pitch_deg: float = 45.0
    face_min_shape: float = 0.7
    face_max_shape: float = 2.0
    laugh_width: float = 1.15
    laugh_lift: float = 0.0
    # parameter name -> where its value came from ("pack fatigue 0.1.0", "config site.yaml")
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    def with_settings(self, **settings: Any) -> CameraParams:
        known = {f.name for f in fields(self)} - {"sources"}
        unknown = set(settings) - known
        if unknown:
            raise ValueError(f"unknown camera setting(s) {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(sorted(known))}")
        changes: dict[str, Any] = {k: float(v) for k, v in settings.items()}  # every setting is a number
        return replace(self, **changes)


def parameter_fields() -> list[str]:
    """The CameraParams fields, each read from the pack parameter camera_<field>."""
    return [f.name for f in fields(CameraParams) if f.name != "sources"]


def load_params(config: str | Path | dict | None = None, at: dt.date | None = None,
                settings: dict[str, Any] | None = None) -> CameraParams:
    """The camera parameters of the installed fatigue pack in force on `at` (default: the newest
    revision), after other packs' overrides and the site `config` (file or dict, as for
    patuh.Engine). Raises patuh's own errors (PackInvalid, ConfigError) on a bad pack or config,
    and LookupError when the pack or one of its camera parameters is missing."""
    label, settled = settled_parameters(config, at)
    wanted = {PREFIX + name: name for name in parameter_fields()}
    missing = [name for name in wanted if name not in settled]
    if missing:
        raise LookupError(f"pack {label} lacks camera parameter(s) {', '.join(missing)}")
    values = {attr: float(settled[name].value) for name, attr in wanted.items()}
    sources = {name: settled[name].source for name in wanted}
    return CameraParams(**values, sources=sources).with_settings(**(settings or {}))


def settled_parameters(config: str | Path | dict | None = None, at: dt.date | None = None) -> tuple[str, dict]:
    """The fatigue pack's parameters in force on `at`, settled (see patuh.parameters)."""
    from patuh import parameters

    return parameters(PACK, at, config)
