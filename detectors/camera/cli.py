"""`patuh detect camera VIDEO ...`: camera_alert records as JSONL on standard output, evidence
under --out, progress on standard error. Bad input: one line, exit 2, nothing on stdout.
Ctrl-C stops reading the video and still writes the alerts found so far."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import signal
import sys
import time
from pathlib import Path
from typing import Iterable, Iterator
from zoneinfo import ZoneInfo

BAD_INPUT = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", metavar="VIDEO|DEVICE|RTSP_URL", help="a video file, a camera number or a stream URL")
    parser.add_argument("--employee", required=True, metavar="ID", help="the operator in the cab")
    parser.add_argument("--unit", required=True, metavar="ID", help="the unit (hull number)")
    parser.add_argument("--camera-sn", metavar="SN", help="the camera's serial number, written on every alert "
                                                          "(camera_sn: an alert report names it, 6.3.2.3.1)")
    parser.add_argument("--start", metavar="TIME", help="the video's start time, ISO 8601 (default: the file's "
                                                        "modification time less its length; now for a device)")
    parser.add_argument("--telemetry", metavar="FILE", help="speed samples (JSONL or CSV: unit, time, speed_kmh)")
    parser.add_argument("--out", metavar="DIR", help="folder for the evidence: a snapshot (JPEG) and a clip (AVI) "
                                                     "of each alert; none without it")
    parser.add_argument("--signals", metavar="FILE", help="write a per-second signal log (CSV: second, face, ear, "
                                                          "perclos, mar, yaw, pitch, blocked)")
    parser.add_argument("--config", metavar="FILE", help="site config: timezone and parameter overrides")


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_INPUT


class InputError(Exception):
    pass


def _start(args, video, timezone: str) -> dt.datetime:
    zone = ZoneInfo(timezone)
    if args.start:
        try:
            start = dt.datetime.fromisoformat(args.start)
        except ValueError:
            raise InputError(f"--start {args.start}: expected an ISO date-time like 2026-03-02T06:00:00+08:00") from None
        return start if start.tzinfo else start.replace(tzinfo=zone)
    if video.is_file:
        end = dt.datetime.fromtimestamp(Path(args.video).stat().st_mtime, zone)
        length = (video.frame_count or 0) / video.fps
        start = (end - dt.timedelta(seconds=length)).replace(microsecond=0)
        print(f"note: no --start; taking {start.isoformat()} from the file's modification time", file=sys.stderr)
        return start
    return dt.datetime.now(zone).replace(microsecond=0)


def _run(args) -> int:
    from patuh.config import load_config
    from patuh.pack import PackInvalid
    from patuh.yamlsource import SourceError

    from .params import load_params
    from .pipeline import detect_alerts
    from .telemetry import Speeds, TelemetryError, read_speeds
    from .video import Video, VideoError

    try:
        config = load_config(args.config)
        video = Video(args.video)
    except (SourceError, VideoError) as exc:
        raise InputError(str(exc)) from None
    with video:
        start = _start(args, video, config.timezone)
        try:
            params = load_params(args.config, at=start.date())
        except (SourceError, LookupError) as exc:
            raise InputError(str(exc)) from None
        except PackInvalid as exc:
            raise InputError(str(exc.problems[0])) from None
        speeds = None
        if args.telemetry:
            try:
                speeds = Speeds(read_speeds(args.telemetry, args.unit), params.moving_kmh)
            except TelemetryError as exc:
                raise InputError(str(exc)) from None
        if args.out:
            try:
                Path(args.out).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InputError(f"--out {args.out}: cannot create the folder ({exc.strerror})") from None
        if args.signals:
            try:
                open(args.signals, "a").close()
            except OSError as exc:
                raise InputError(f"--signals {args.signals}: cannot write ({exc.strerror})") from None
        stop = _Stop()
        progress = _Progress(video.frame_count)
        records = detect_alerts(stop.wrap(video.frames()), fps=video.fps, params=params, employee=args.employee,
                                unit=args.unit, start=start, video=args.video, out=args.out,
                                moving=speeds.moving if speeds else None, speed=speeds.speed if speeds else None,
                                progress=progress, signals_csv=args.signals)
        found = 0
        with stop:
            for record in records:
                if args.camera_sn:
                    record["camera_sn"] = args.camera_sn
                sys.stdout.write(json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n")
                sys.stdout.flush()
                found += 1
        progress.done(found, stop.stopped)
    return 130 if stop.stopped else 0


class _Stop:
    """Ctrl-C ends the frames, not the program: the alerts under way are finished and written."""

    def __init__(self):
        self.stopped = False
        self._previous = None

    def wrap(self, frames: Iterable) -> Iterator:
        for frame in frames:
            if self.stopped:
                return
            yield frame

    def _handle(self, *_):
        self.stopped = True

    def __enter__(self):
        try:
            self._previous = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread: Ctrl-C stays as it was
            self._previous = None
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class _Progress:
    def __init__(self, total: int | None):
        self.total, self.frames = total, 0
        self.t0 = self.shown = time.perf_counter()

    def __call__(self, frames: int) -> None:
        self.frames = frames
        now = time.perf_counter()
        if now - self.shown >= 2:
            self.shown = now
            print(self._line(now), file=sys.stderr, flush=True)

    def _line(self, now: float) -> str:
        of = f" of {self.total}" if self.total else ""
        return f"frames {self.frames}{of}, {self.frames / max(now - self.t0, 1e-9):.0f} fps"

    def done(self, found: int, stopped: bool) -> None:
        why = " (interrupted)" if stopped else ""
        print(f"{self._line(time.perf_counter())}; {found} alerts{why}", file=sys.stderr, flush=True)
