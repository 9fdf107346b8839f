"""Speed telemetry (`speed_sample` records: unit, time, speed_kmh) -> "is the unit moving?".

The samples are read as every detector reads rows (patuh.rows: CSV with `,` or `;`, JSONL, and
the other formats), columns matched to speed_sample's fields and the aliases the fatigue pack
declares for them (Hull No, GPS Time, Speed, ...), and each sample checked by patuh's fact
checker, so a time without a zone is read in the site config's. A frame takes the nearest sample
of its unit within MAX_GAP; with none that close, whether the unit moves is unknown (None), as it
is without telemetry.
"""
from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from patuh.problems import FactError
from patuh.rows import read as read_rows

from ..forms import Columns

MAX_GAP = dt.timedelta(seconds=10)
KIND = "speed_sample"
NEEDED = ("unit", "time", "speed_kmh")
SUFFIXES = (".csv", ".jsonl")  # what fleet systems export; patuh.rows would read the other formats too


class TelemetryError(ValueError):
    """Telemetry that cannot be used: every problem, one a line."""


@dataclass
class Sample:
    file: str
    row: int
    unit: str
    time: dt.datetime
    speed: float
    employee: str | None  # a Driver ID column's, when the export has one


def read_samples(paths: Iterable[str | Path], types, problems: list) -> list[Sample]:
    """The checked samples of every file, in file and row order; a row that is no sample adds
    its problems (file and row) to `problems`. Columns besides unit, time, speed_kmh and a
    driver's id (camera_alert's employee and its aliases) are not read: a fleet system's export
    carries position, heading and odometer too."""
    if KIND not in types.declarations:
        problems.append(f"no installed pack declares {KIND}; install the fatigue pack")
        return []
    fields = dict(types.declarations[KIND]["fields"])
    driver = types.declarations.get("camera_alert", {}).get("fields", {}).get("employee")
    if driver:
        fields["employee"] = driver
    columns = Columns(fields)
    out = []
    for path in paths:
        if Path(path).suffix.lower() not in SUFFIXES:
            problems.append(f"{path}: unknown format {Path(path).suffix or '(no suffix)'!r}; expected .csv or .jsonl")
            continue
        known = len(problems)
        rows, _ = read_rows(path, problems)
        if not rows and len(problems) == known:
            problems.append(f"{path}: no samples")
        for row in rows:
            where = f"{row.file}:{row.number}"  # a sample's problems are named by its row
            if row.problems:
                problems += row.problems
                continue
            record, twice = {}, []
            for column, value in row.cells.items():
                name = columns.field_of(column)
                if name is None or value is None or value == "":
                    continue
                if name in record:
                    twice.append(f"{row.where(column)}: {KIND}.{name}: given twice (column {column!r} and another)")
                record[name] = value
            missing = [f"{where}: {KIND}.{name}: missing (an empty cell, or no column for it among "
                       f"{', '.join(map(str, row.cells))})" for name in NEEDED if name not in record]
            problems += twice + missing
            if twice or missing:
                continue
            employee = record.pop("employee", None)
            try:
                fact = types.check({"type": KIND, **record}, where)
            except FactError as exc:
                problems += [f"{where}: {message}" for _, message in exc.fields]
                continue
            out.append(Sample(row.file, row.number, fact["unit"], fact["time"], fact["speed_kmh"],
                              None if employee is None else str(employee)))
    return out


def read_speeds(path: str | Path, unit: str, types) -> list[tuple[dt.datetime, float]]:
    """The unit's samples, sorted by time. TelemetryError with every problem of the file."""
    problems: list = []
    samples = read_samples([path], types, problems)
    if problems:
        raise TelemetryError("\n".join(map(str, problems)))
    return sorted((s.time, s.speed) for s in samples if s.unit == unit)


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
