"""Speed telemetry (`speed_sample` records: unit, time, speed_kmh) -> "is the unit moving?".

Reads JSONL (one record a line) or CSV (a header with unit, time, speed_kmh). A frame takes the
nearest sample of its unit within MAX_GAP; with none that close, whether the unit moves is
unknown (None), as it is without telemetry.
"""
from __future__ import annotations

import bisect
import csv
import datetime as dt
import json
from pathlib import Path

MAX_GAP = dt.timedelta(seconds=10)


class TelemetryError(ValueError):
    pass


def _time(text: str, where: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(str(text))
    except ValueError:
        raise TelemetryError(f"{where}: time {text!r} is not an ISO date-time like 2026-03-02T06:00:00+08:00") from None
    if value.tzinfo is None:
        raise TelemetryError(f"{where}: time {text!r} has no time zone; expected e.g. +08:00")
    return value


def read_speeds(path: str | Path, unit: str) -> list[tuple[dt.datetime, float]]:
    """The unit's samples, sorted by time. Raises TelemetryError naming the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TelemetryError(f"{path}: cannot read telemetry: {exc}") from None
    rows: list[tuple[int, dict]] = []
    if path.suffix.lower() == ".csv":
        rows = [(i + 2, r) for i, r in enumerate(csv.DictReader(text.splitlines()))]
    else:
        for i, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    rows.append((i, json.loads(line)))
                except json.JSONDecodeError as exc:
                    raise TelemetryError(f"{path}:{i}: not JSON ({exc.msg}); expected one record a line") from None
    out = []
    for line, row in rows:
        where = f"{path}:{line}"
        if not isinstance(row, dict) or not {"unit", "time", "speed_kmh"} <= set(row):
            raise TelemetryError(f"{where}: expected a record with unit, time and speed_kmh")
        if str(row["unit"]) != unit:
            continue
        try:
            speed = float(row["speed_kmh"])
        except (TypeError, ValueError):
            raise TelemetryError(f"{where}: speed_kmh {row['speed_kmh']!r} is not a number") from None
        out.append((_time(row["time"], where), speed))
    return sorted(out)


class Speeds:
    def __init__(self, samples: list[tuple[dt.datetime, float]], moving_kmh: float):
        self.times = [t for t, _ in samples]
        self.speeds = [v for _, v in samples]
        self.moving_kmh = moving_kmh

    def speed(self, at: dt.datetime) -> float | None:
        i = bisect.bisect_left(self.times, at)
        near = [j for j in (i - 1, i) if 0 <= j < len(self.times) and abs(self.times[j] - at) <= MAX_GAP]
        if not near:
            return None
        return self.speeds[min(near, key=lambda j: abs(self.times[j] - at))]

    def moving(self, at: dt.datetime) -> bool | None:
        speed = self.speed(at)
        return None if speed is None else speed > self.moving_kmh
