"""The fatigue camera detector (CK-PR-SHE-25 table 6.4.3.3): cab video in, `camera_alert`
facts out, each with the frames and a snapshot that raised it.

    signals.py   per frame: face, eye and mouth aspect ratios, head yaw and pitch, frame blocked
    state.py     per operator over time: calibration, durations, the procedure's alerts
    params.py    the thresholds, read from the installed fatigue pack (and site overrides)
    records.py   alerts -> camera_alert fact records
    telemetry.py speed samples -> whether the unit moves
    pipeline.py  frames -> records, with snapshots as evidence
    video.py     opening a video file, with one clear error for bad input
    plugin.py    the detector through the patuh_detectors hook
    sample.py    the astronaut's face, open-eyed and with eyes painted closed (demo and tests)
    scenes.py    the test set: real faces edited and composited into cab scenes, with their alerts

Needs the `camera` extra (OpenCV, MediaPipe, NumPy).
"""
from __future__ import annotations

from importlib import import_module

# Exports load on first use, so that registering the plugin (plugin.py, loaded with every
# engine through the entry point) does not import OpenCV and MediaPipe.
_EXPORTS = {"CameraParams": "params", "load_params": "params", "Signals": "signals", "FaceSignals": "signals",
            "OperatorState": "state", "Alert": "state", "alert_record": "records", "alert_fact": "records",
            "CameraDetector": "plugin"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
