"""Speed telemetry (`speed_sample` records: unit, time, speed_kmh) -> "is the unit moving?".

Reads JSONL (one record a line) or CSV (a header with unit, time, speed_kmh; `,` or `;`). A frame takes the
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


def _time(text: str, where: str, zone: dt.tzinfo | None = None) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(str(text))
    except ValueError:
        raise TelemetryError(f"{where}: time {text!r} is not an ISO date-time like 2026-03-02T06:00:00+08:00") from None
    if value.tzinfo is None:
        if zone is None:
            raise TelemetryError(f"{where}: time {text!r} has no time zone; expected e.g. +08:00")
        value = value.replace(tzinfo=zone)
    return value


def read_rows(path: str | Path, errors: list[str] | None = None) -> list[tuple[int, object]]:
    """The file's records with their line numbers: CSV rows (a dict per row, the header on line
    1) or JSONL lines. A line that is not JSON raises TelemetryError, or, when `errors` is given,
    is added to it and left out (the caller then reports every problem and writes nothing)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise TelemetryError(f"{path}: cannot read telemetry: {exc}") from None
    if path.suffix.lower() == ".csv":
        lines = text.splitlines()
        header = lines[0] if lines else ""
        reader = csv.DictReader(lines, delimiter=";" if header.count(";") > header.count(",") else ",")
        return [(reader.line_num, r) for r in reader]
    rows: list[tuple[int, object]] = []
    for i, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rows.append((i, json.loads(line)))
            except json.JSONDecodeError as exc:
                problem = f"{path}:{i}: not JSON ({exc.msg}); expected one record a line"
                if errors is None:
                    raise TelemetryError(problem) from None
                errors.append(problem)
    return rows


def parse_sample(row: object, where: str, zone: dt.tzinfo | None = None) -> tuple[str, dt.datetime, float]:
    """(unit, time, speed_kmh) of one record; TelemetryError naming `where` if it is not one.
    A time without a zone is an error, unless `zone` says how to read it."""
    if not isinstance(row, dict) or not {"unit", "time", "speed_kmh"} <= set(row):
        raise TelemetryError(f"{where}: expected a record with unit, time and speed_kmh")
    try:
        speed = float(row["speed_kmh"])
    except (TypeError, ValueError):
        raise TelemetryError(f"{where}: speed_kmh {row['speed_kmh']!r} is not a number") from None
    return str(row["unit"]), _time(row["time"], where, zone), speed


def read_speeds(path: str | Path, unit: str) -> list[tuple[dt.datetime, float]]:
    """The unit's samples, sorted by time. Raises TelemetryError naming the file and line."""
    out = []
    for line, row in read_rows(path):
        where = f"{path}:{line}"
        if isinstance(row, dict) and str(row.get("unit")) != unit and {"unit", "time", "speed_kmh"} <= set(row):
            continue
        found, time, speed = parse_sample(row, where)
        if found == unit:
            out.append((time, speed))
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
