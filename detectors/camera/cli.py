"""`patuh detect camera VIDEO ...`: camera_alert records as JSONL on standard output, evidence
under --out, progress on standard error. Bad input: one line, exit 2, nothing on stdout. A file
that stops or skips before the frames it declares is bad input (--partial keeps the part read).
Ctrl-C stops reading the video and still writes the alerts found so far."""
from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

BAD_INPUT = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", metavar="VIDEO|DEVICE|RTSP_URL", help="a video file, a camera number or a stream URL")
    parser.add_argument("--employee", required=True, metavar="ID", help="the operator in the cab")
    parser.add_argument("--unit", required=True, metavar="ID", help="the unit (hull number)")
    parser.add_argument("--camera-sn", metavar="SN", help="the camera's serial number, written on every alert "
                                                          "(camera_sn: an alert report names it, 6.3.2.3.1)")
    parser.add_argument("--start", metavar="TIME", help="the video's start time, ISO 8601 (default: the file's "
                                                        "modification time less its length; now for a device)")
    parser.add_argument("--telemetry", metavar="FILE", help="speed samples (JSONL or CSV: unit, time, speed_kmh, "
                                                           "or the headers patuh detect telemetry reads)")
    parser.add_argument("--out", metavar="DIR", help="folder for the evidence: a snapshot (JPEG) and a clip (AVI) "
                                                     "of each alert; none without it")
    parser.add_argument("--signals", metavar="FILE", help="write a per-second signal log (CSV: second, face, ear, "
                                                          "perclos, mar, yaw, pitch, blocked)")
    parser.add_argument("--config", metavar="FILE", help="site config: timezone and parameter overrides")
    parser.add_argument("--partial", action="store_true", help="a truncated or damaged video file: keep the alerts "
                                                               "of the part read (exit 0) instead of refusing it")


def run(args: argparse.Namespace) -> int:
    made = args.out and not Path(args.out).exists()
    try:
        with _native_logs_quiet():
            return _run(args)
    except InputError as exc:
        if made:  # the folder this run made for the evidence, left empty by a refused video
            with contextlib.suppress(OSError):
                Path(args.out).rmdir()
        print("".join(f"error: {line}\n" for line in str(exc).splitlines()), end="", file=sys.stderr)
        return BAD_INPUT


@contextlib.contextmanager
def _native_logs_quiet():
    """MediaPipe's C++ (TensorFlow Lite, absl) writes INFO and WARNING lines straight to file
    descriptor 2, around patuh's own error line or progress. For the run, descriptor 2 goes to
    /dev/null and Python's sys.stderr to a copy of the real one (PATUH_NATIVE_LOGS=1 keeps them)."""
    if os.environ.get("PATUH_NATIVE_LOGS") == "1":
        yield
        return
    sys.stderr.flush()
    try:
        ours = sys.stderr.fileno() == 2  # else Python's stderr is already elsewhere (a test's capture)
    except (AttributeError, OSError, ValueError):
        ours = False
    real = os.dup(2)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 2)
    os.close(quiet)
    previous = sys.stderr
    if ours:
        sys.stderr = os.fdopen(os.dup(real), "w", buffering=1, encoding="utf-8", errors="backslashreplace")
    try:
        yield
    finally:
        if ours:
            sys.stderr.flush()
            sys.stderr.close()
            sys.stderr = previous
        os.dup2(real, 2)
        os.close(real)


class InputError(Exception):
    pass


def _start(args, video, zone: dt.tzinfo) -> dt.datetime:
    if args.start:
        try:
            start = dt.datetime.fromisoformat(args.start)
        except ValueError:
            raise InputError(f"--start {args.start}: expected an ISO date-time like "
                             "2026-03-02T06:00:00+08:00") from None
        return start if start.tzinfo else start.replace(tzinfo=zone)
    if video.is_file:
        end = dt.datetime.fromtimestamp(Path(args.video).stat().st_mtime, zone)
        length = (video.frame_count or 0) / video.fps
        start = (end - dt.timedelta(seconds=length)).replace(microsecond=0)
        print(f"note: no --start; taking {start.isoformat()} from the file's modification time", file=sys.stderr)
        return start
    return dt.datetime.now(zone).replace(microsecond=0)


def _run(args) -> int:
    import patuh
    from patuh.problems import PackInvalid, SourceError

    from .params import load_params
    from .pipeline import detect_alerts
    from .telemetry import Speeds, TelemetryError, read_speeds
    from .video import Video, VideoError

    try:
        types = patuh.fact_types(args.config)  # the site's time zone, and the checker telemetry is read with
        video = Video(args.video)
    except (SourceError, VideoError) as exc:
        raise InputError(str(exc)) from None
    with video:
        start = _start(args, video, types.zone)
        try:
            params = load_params(args.config, at=start.date())
        except (SourceError, LookupError) as exc:
            raise InputError(str(exc)) from None
        except PackInvalid as exc:
            raise InputError(str(exc.problems[0])) from None
        speeds = None
        if args.telemetry:
            try:
                speeds = Speeds(read_speeds(args.telemetry, args.unit, types), params.moving_kmh)
            except TelemetryError as exc:
                raise InputError(str(exc)) from None
        if args.out:
            try:
                Path(args.out).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InputError(f"--out {args.out}: cannot create the folder ({exc.strerror})") from None
        if args.signals:
            try:  # for a file, only one already there (a folder? read-only?): _Staging makes a new one
                if not video.is_file or Path(args.signals).exists():
                    open(args.signals, "a").close()
            except OSError as exc:
                raise InputError(f"--signals {args.signals}: cannot write ({exc.strerror})") from None
        if video.is_file and video.frame_count is None:
            print(f"warning: {args.video}: the container declares no length (a raw stream or a damaged header): "
                  f"a truncated file cannot be told, and {video.fps:g} fps may be a guess", file=sys.stderr)
        stop = _Stop()
        progress = _Progress(video.frame_count)
        held: list[dict] = []
        found = 0
        with _Staging(args.out, args.signals, hold=video.is_file) as staging:
            records = detect_alerts(stop.wrap(video.frames()), fps=video.fps, params=params, employee=args.employee,
                                    unit=args.unit, start=start, video=args.video, out=staging.out,
                                    moving=speeds.moving if speeds else None,
                                    speed=speeds.speed if speeds else None,
                                    progress=progress, signals_csv=staging.signals)
            with stop:
                for record in records:
                    if args.camera_sn:
                        record["camera_sn"] = args.camera_sn
                    if staging.hold:
                        held.append(record)
                    else:  # a device or stream has no end to wait for
                        _write(record)
                        found += 1
            loss = None if stop.stopped else video.loss()
            kept: int | None = None  # with a loss: the frames decoded in place, from the start
            if loss:
                if loss.kept is None:
                    raise InputError(f"{loss}, so the frames after them cannot be placed in time; nothing "
                                     f"written, even with --partial")
                kept = loss.kept
                if not args.partial:
                    raise InputError(f"{loss}: the video is truncated or damaged; nothing written "
                                     f"(--partial keeps the first {loss.at(kept)})")
                held = [r for r in held if r["frames"][1] < kept]  # decoded after a skip: out of place in time
            staging.keep(held, kept / video.fps if loss and kept is not None and kept < loss.read else None)
        for record in held:
            _write(record)
        progress.done(found + len(held), stop.stopped)
        if loss and kept is not None:
            print(f"warning: {loss}: kept 0 to {loss.at(kept)}, lost {loss.at(kept)} to "
                  f"{loss.at(loss.total)}", file=sys.stderr)
    return 130 if stop.stopped else 0


def _write(record: dict) -> None:
    sys.stdout.write(json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n")
    sys.stdout.flush()


class _Staging:
    """A file's alerts wait until it has been read whole (a damaged one is then refused with
    nothing written, not cut short after some alerts went out), and so do its evidence and
    signal log: written aside (a hidden folder under --out, a hidden file beside --signals),
    moved into place by keep(), removed otherwise. A device or stream writes in place."""

    def __init__(self, out: str | None, signals: str | None, hold: bool):
        self.hold, self.final_out, self.final_signals = hold, out, signals
        self.out, self.signals = out, signals

    def __enter__(self) -> _Staging:
        if self.hold and self.final_signals:  # beside it, to be renamed over it; created as open() would
            folder, name = os.path.split(os.path.abspath(self.final_signals))
            self.signals = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
            try:
                open(self.signals, "w").close()
            except OSError as exc:
                self.signals = self.final_signals
                raise InputError(f"--signals {self.final_signals}: cannot write ({exc.strerror})") from None
        if self.hold and self.final_out:
            try:
                self.out = tempfile.mkdtemp(prefix=".patuh-", dir=self.final_out)
            except OSError as exc:
                self.__exit__()
                raise InputError(f"--out {self.final_out}: cannot write ({exc.strerror})") from None
        return self

    def keep(self, records: list[dict], until_s: float | None = None) -> None:
        """Move the evidence of `records` and the signal log into place; with `until_s`, only
        the log's whole seconds before it."""
        if self.out is not None and self.final_out is not None and self.out != self.final_out:  # staged aside
            for record in records:
                for name in (record.get("evidence"), record.get("clip")):
                    if name:
                        os.replace(os.path.join(self.out, name), os.path.join(self.final_out, name))
        if self.signals is not None and self.final_signals is not None and self.signals != self.final_signals:
            if until_s is not None:
                with open(self.signals, newline="", encoding="utf-8") as file:
                    rows = list(csv.reader(file))
                with open(self.signals, "w", newline="", encoding="utf-8") as file:
                    csv.writer(file).writerows(rows[:1] + [r for r in rows[1:] if int(r[0]) + 1 <= until_s])
            os.replace(self.signals, self.final_signals)
            self.signals = self.final_signals

    def __exit__(self, *exc) -> None:
        if self.out is not None and self.out != self.final_out:  # the hidden folder: emptied by keep(), or discarded
            shutil.rmtree(self.out, ignore_errors=True)
        if self.signals is not None and self.signals != self.final_signals:
            os.unlink(self.signals)


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
