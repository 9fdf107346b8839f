"""Speed telemetry -> `speed_sample` facts, and `overspeed` camera_alert facts.

    patuh detect telemetry fms-speed-20260302.csv --roster roster.jsonl --config site.yaml > speed.jsonl

Files: CSV (a header; `,` or `;`) or JSONL, one sample a row, read by the camera detector's
telemetry reader (patuh.detectors.camera.telemetry, through patuh.rows), so `--telemetry` of
`patuh detect camera` and this command take the same files. Columns are matched as the forms
detector matches them, to speed_sample's fields and the aliases the fatigue pack's facts.yaml
declares for them: unit (Hull No, Vehicle, ...), time (GPS Time, ...), speed_kmh (Speed, ...),
and optionally employee (camera_alert's: Driver ID, NIK). A sample carries only those: the other
columns of a fleet system's export (position, heading, odometer) are not read. Values are read
by patuh's fact checker: times ISO or day-first 02/03/2026 14:05:10, without a zone in the site
config's; speeds 45, 45.5 or 45,5.

Overspeed: the camera's "Speeding Warning" sounds "ketika unit bergerak di atas batas kecepatan"
(6.4.3.3), and 8.1.4 names the limit "Overspeed 50 km/h": the fatigue pack's parameter
`overspeed_limit_kmh` (with a site config's override, as for the camera's parameters).
`--limit-kmh` replaces it for one run (said on standard error). A run of a unit's consecutive
samples above the limit is one overspeed alert: its time is the first sample's, its speed_kmh the
highest, its duration_s first to last; a sample at or under the limit, or a gap in the telemetry
longer than --gap-s (default 60 s), ends it. The employee is the sample's own (a Driver ID
column), else the one rostered on that unit at that time (`--roster`, roster facts or a roster
export: unit, start, end). No employee, or two, is an error naming the row: an alert is never
dropped, and never pinned on a guess.
Overspeed alerts say `recorder: telemetry`: they have no camera serial number or photo for a
dispatcher's alert report to name (6.3.2.3), and are not judged for lacking them.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path

from patuh.models import canonical
from patuh.plugins import hookimpl
from patuh.problems import FactError

from . import forms
from .camera.telemetry import Sample, read_samples
from .forms import DetectError

DETECTOR = "telemetry"
LIMIT_PARAMETER = "overspeed_limit_kmh"
GAP_S = 60.0


def speed_limit(config, at: dt.date | None, given: float | None) -> tuple[float, str]:
    """The overspeed limit and where it came from: --limit-kmh, else the fatigue pack's parameter."""
    if given is not None:
        return given, "--limit-kmh"
    from .camera.params import settled_parameters

    try:
        label, settled = settled_parameters(config, at)
    except LookupError as exc:
        raise DetectError([f"{exc}; give the overspeed limit as --limit-kmh"]) from None
    use = settled.get(LIMIT_PARAMETER)
    if use is None:
        raise DetectError([f"pack {label} has no parameter {LIMIT_PARAMETER}; give the overspeed limit as "
                           f"--limit-kmh"])
    return float(use.value), use.source


class Rostered:
    """Who was rostered on a unit at a time: roster facts with unit, start and end."""

    def __init__(self, roster: list[dict]):
        self.by_unit: dict[str, list[tuple[dt.datetime, dt.datetime, str]]] = {}
        for r in roster:
            if r.get("unit") and r.get("start") and r.get("end"):
                self.by_unit.setdefault(r["unit"], []).append(
                    (dt.datetime.fromisoformat(r["start"]), dt.datetime.fromisoformat(r["end"]), r["employee"]))

    def at(self, unit: str, time: dt.datetime) -> set[str]:
        return {e for start, end, e in self.by_unit.get(unit, ()) if start <= time < end}


def overspeed(samples: list[Sample], limit: float, gap_s: float, rostered: Rostered | None,
              problems: list[str]) -> list[dict]:
    """One camera_alert per run of a unit's consecutive samples above `limit`."""
    runs: list[list[Sample]] = []
    by_unit: dict[str, list[Sample]] = {}
    for s in samples:
        by_unit.setdefault(s.unit, []).append(s)
    for unit in sorted(by_unit):
        current: list[Sample] = []
        for s in sorted(by_unit[unit], key=lambda s: s.time):
            if current and (s.speed <= limit or (s.time - current[-1].time).total_seconds() > gap_s):
                runs.append(current)
                current = []
            if s.speed > limit:
                current.append(s)
        if current:
            runs.append(current)
    out = []
    for run in runs:
        first, last = run[0], run[-1]
        peak = max(run, key=lambda s: s.speed)
        where = f"{first.file}:{first.row}"
        given = {s.employee for s in run if s.employee}
        who = given or (rostered.at(first.unit, first.time) if rostered else set())
        if len(who) != 1:
            why = (f"the samples name {len(who)} drivers ({', '.join(sorted(who))})" if given else
                   f"{len(who)} employees are rostered on {first.unit} then ({', '.join(sorted(who))})" if who else
                   "the samples carry no Driver ID and no --roster was given" if rostered is None else
                   f"the samples carry no Driver ID and nobody is rostered on {first.unit} then")
            problems.append(f"{where}: overspeed of {first.unit} at {first.time.isoformat()} "
                            f"({_kmh(peak.speed)} km/h, above {_kmh(limit)}) cannot be given to an employee: {why}")
            continue
        out.append({"type": "camera_alert", "alert": "overspeed", "employee": who.pop(), "unit": first.unit,
                    "time": first.time.isoformat(), "speed_kmh": _kmh(peak.speed),
                    "duration_s": _seconds((last.time - first.time).total_seconds()), "moving": True,
                    "recorder": "telemetry",
                    "source": {"detector": DETECTOR, "file": first.file, "row": first.row,
                               "peak": {"file": peak.file, "row": peak.row}, "limit_kmh": _kmh(limit)}})
    return sorted(out, key=lambda r: (r["time"], r["unit"]))


def _kmh(value: float) -> float | int:
    """A speed as read, never rounded: a peak of 80.96 km/h shown as 81 reached the golden rule's
    band (>= 81), and one of 50.04 as 50 fell to the limit itself."""
    value = float(value)
    return int(value) if value.is_integer() else value


def _seconds(value: float) -> float | int:
    value = round(value, 1)  # a run's length, from the samples' times: a tenth of a second is its precision
    return int(value) if value.is_integer() else value


def read_telemetry(paths: Iterable[str | Path], types, *, config=None, limit_kmh: float | None = None,
                   gap_s: float = GAP_S, roster: list[dict] | None = None,
                   alerts: bool = True) -> tuple[list[dict], float | None, str | None]:
    """speed_sample records (file and row order), then the overspeed alerts; the limit used and
    its source. DetectError with every problem when any."""
    problems: list = []
    out = []

    def keep(record: dict) -> None:
        """Checked against the declared type; a bad record is a problem named by file and row."""
        try:
            fact = types.check(record, f"{record['source']['file']}:{record['source']['row']}")
        except FactError as exc:
            problems.append(str(exc))
            return
        fact.pop("id", None)  # the engine gives content ids
        out.append(canonical(fact))

    samples = read_samples(paths, types, problems)
    for s in samples:
        keep({"type": "speed_sample", "unit": s.unit, "time": s.time.isoformat(), "speed_kmh": s.speed,
              "source": {"detector": DETECTOR, "file": s.file, "row": s.row}})
    limit = source = None
    if alerts and samples:
        limit, source = speed_limit(config, min(s.time for s in samples).astimezone(types.zone).date(), limit_kmh)
        for record in overspeed(samples, limit, gap_s, Rostered(roster) if roster is not None else None, problems):
            keep(record)
    if problems:
        raise DetectError(problems)
    return out, limit, source


class TelemetryDetector:
    """Through the patuh_detectors hook: `facts(paths, roster=..., config=...)` yields
    speed_sample records and overspeed camera_alert records."""

    name = DETECTOR
    help = "speed telemetry (CSV, JSONL) in, speed_sample facts and overspeed camera_alert facts out"

    def add_arguments(self, parser) -> None:
        add_arguments(parser)

    def run(self, args) -> int:
        return run(args)
    fact_types = ("speed_sample", "camera_alert")

    def facts(self, paths: Iterable[str | Path], *, config: str | Path | dict | None = None, types=None,
              limit_kmh: float | None = None, gap_s: float = GAP_S, roster: list[dict] | None = None,
              alerts: bool = True) -> Iterator[dict]:
        yield from read_telemetry(list(paths), types or forms.fact_types(config), config=config, limit_kmh=limit_kmh,
                                  gap_s=gap_s, roster=roster, alerts=alerts)[0]


@hookimpl
def patuh_detectors():
    return [TelemetryDetector()]


def add_arguments(parser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="speed samples: .csv or .jsonl")
    parser.add_argument("--roster", action="append", default=[], metavar="FILE",
                        help="roster facts or a roster export (unit, start, end): who drove when the samples "
                             "carry no Driver ID (repeatable)")
    parser.add_argument("--limit-kmh", type=float, metavar="KMH",
                        help=f"overspeed above this speed (default: the fatigue pack's {LIMIT_PARAMETER})")
    parser.add_argument("--gap-s", type=float, default=GAP_S, metavar="S",
                        help=f"a gap in a unit's samples longer than this ends an overspeed (default {GAP_S:g})")
    parser.add_argument("--no-alerts", action="store_true", help="speed samples only, no overspeed alerts")
    parser.add_argument("--config", metavar="FILE", help="site config: time zone, parameter overrides")


def run(args) -> int:
    import sys

    def produce():
        types = forms._types(args)
        roster = None
        if args.roster:
            roster = forms.read_forms(args.roster, "roster", types)
        records, limit, source = read_telemetry(args.files, types, config=args.config, limit_kmh=args.limit_kmh,
                                                gap_s=args.gap_s, roster=roster, alerts=not args.no_alerts)
        if source == "--limit-kmh":
            print(f"note: overspeed above {limit:g} km/h from --limit-kmh, not the pack's {LIMIT_PARAMETER}",
                  file=sys.stderr)
        return records

    return forms.emit(produce)
