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

Needs the `camera` extra (OpenCV, MediaPipe, NumPy).
"""
from .params import CameraParams, load_params
from .records import alert_fact, alert_record
from .signals import FaceSignals, Signals
from .state import Alert, OperatorState

__all__ = ["CameraParams", "load_params", "Signals", "FaceSignals", "OperatorState", "Alert", "alert_record",
           "alert_fact"]
