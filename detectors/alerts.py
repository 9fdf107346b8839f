"""Vendor camera alert logs -> `camera_alert` facts in the fatigue pack's vocabulary.

    patuh detect alerts alarm-report-2026-03-02.csv --config site.yaml > alerts.jsonl

A fatigue camera's web platform exports its alarms as CSV, XLSX or JSONL, one alarm a row, with
columns such as Time, Driver ID, Driver Name, Hull No, Alert Type, Speed, SN, Snapshot URL.
Files are read as the forms detector reads them (patuh.rows: `,` or `;` CSV with a header,
XLSX, JSON, JSONL, YAML), columns through the aliases of the camera_alert fields in the fatigue
pack's facts.yaml (Driver ID -> employee, Hull No -> unit, Alert Type -> alert, ...), alert
names through VENDOR_ALERTS (below), and each record is checked by patuh's fact checker (ISO or
day-first times, without a zone in the site config's; a speed of 21,5 or "32 km/h").
patuh's own camera detector output (`patuh detect camera`) passes through unchanged, keeping its
`source` (video, frames).

A vendor alert name that is not in VENDOR_ALERTS is an error naming the row: an alarm is never
dropped or guessed. `--skip-alert NAME` leaves a vendor alarm type out on purpose (e.g. "Seatbelt",
which the procedure does not judge); the count of rows left out is printed on standard error.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from patuh.plugins import hookimpl
from patuh.rows import Row, column_key
from patuh.rows import read as read_rows

from . import forms
from .forms import DetectError

DETECTOR = "alerts"
KIND = "camera_alert"

# Vendor alarm names (folded as column_key folds headers: "Fatigue Level 1" -> fatigue_level_1)
# -> the pack's camera_alert.alert values (rulesets/fatigue/facts.yaml). The pack's own names map
# to themselves, so patuh's camera detector output reads too. Sources for the less obvious rows:
# - "Distraction" -> warning_level_1: CK-PR-SHE-25 8.1.4 handles "Warning level 1 / Distraction"
#   as one alert row ("Alert teridentifikasi sebagai WL 1/Distraction Warning"); look_around is
#   its own row ("Look Around"), so a vendor "Distraction" is not read as look_around.
# - "Cam Covered" -> camera_covered, "Face Missing" -> face_missing: 8.1.4 names them in one row
#   ("Face Missing / Cam covered") but the pack keeps them apart, and so do the vendor names.
# - "Speeding"/"Overspeed" -> overspeed: the "Speeding Warning" of 6.4.3.3, "Overspeed" of 8.1.4.
VENDOR_ALERTS: dict[str, str] = {
    # Warning Level 1
    "fatigue_level_1": "warning_level_1", "fatigue_level1": "warning_level_1", "fatigue_l1": "warning_level_1",
    "fatigue_warning_level_1": "warning_level_1", "fatigue_driving_level_1": "warning_level_1",
    "warning_level_1": "warning_level_1", "level_1_fatigue": "warning_level_1",
    "distraction": "warning_level_1", "distraction_warning": "warning_level_1",
    "distracted_driving": "warning_level_1",
    # Warning Level 2
    "fatigue_level_2": "warning_level_2", "fatigue_level2": "warning_level_2", "fatigue_l2": "warning_level_2",
    "fatigue_warning_level_2": "warning_level_2", "fatigue_driving_level_2": "warning_level_2",
    "warning_level_2": "warning_level_2", "level_2_fatigue": "warning_level_2",
    # the rest of table 6.4.3.3
    "yawning": "yawn", "yawn": "yawn", "yawn_warning": "yawn",
    "face_missing": "face_missing", "face_missing_warning": "face_missing", "no_face": "face_missing",
    "driver_absence": "face_missing", "driver_absent": "face_missing",
    "cam_covered": "camera_covered", "camera_covered": "camera_covered", "camera_blocked": "camera_covered",
    "lens_covered": "camera_covered", "camera_occlusion": "camera_covered",
    "look_around": "look_around", "looking_around": "look_around", "look_around_warning": "look_around",
    "smoking": "smoking", "smoking_warning": "smoking",
    "phone_calling": "phone", "phone_call": "phone", "calling": "phone", "phone": "phone",
    "phone_warning": "phone", "phone_usage": "phone", "using_phone": "phone",
    "overspeed": "overspeed", "over_speed": "overspeed", "speeding": "overspeed", "speeding_warning": "overspeed",
    "overspeed_warning": "overspeed",
}

# The vendor names an error message shows (VENDOR_ALERTS has their spelling variants).
SHOWN = ("Fatigue Level 1", "Fatigue Level 2", "Distraction", "Yawning", "Face Missing", "Cam Covered",
         "Look Around", "Smoking", "Phone Calling", "Overspeed")
assert all(column_key(name) in VENDOR_ALERTS for name in SHOWN)

# Vendor columns the camera_alert type has no field for and that are left out without asking:
# the driver's name (the employee id identifies), the map position, the fleet grouping.
VENDOR_EXTRA = ("driver_name", "nama", "name", "location", "address", "lat", "lng", "lon", "latitude",
                "longitude", "gps", "company", "fleet", "group", "department", "no", "id", "remark", "remarks")

SPEED_UNIT = re.compile(r"\s*(km/?h|kph|km/j)\s*$", re.IGNORECASE)


def alert_name(vendor: Any) -> str | None:
    """The pack's alert for a vendor alarm name, or None when it is not in the table."""
    return VENDOR_ALERTS.get(column_key(vendor))


def read_alerts(paths: Iterable[str | Path], types, *, mapping: dict[str, str] | None = None,
                ignore: Iterable[str] = (), skip: Iterable[str] = (), sheet: str | None = None
                ) -> tuple[list[dict], int]:
    """camera_alert records from every file, and how many rows `skip` left out; DetectError with
    every problem of every file when any."""
    problems: list = []
    declaration = types.declarations.get(KIND)
    if declaration is None:
        raise DetectError([f"no installed pack declares {KIND}; install the fatigue pack"])
    skipping = {column_key(s) for s in skip}
    columns = forms.Columns(declaration["fields"], mapping, [*VENDOR_EXTRA, *ignore])
    skipped = 0

    def convert(row: Row, record: dict, problems: list, failed: set[str]):
        nonlocal skipped
        if "alert" in record:
            vendor = record["alert"]
            if column_key(vendor) in skipping:
                skipped += 1
                return forms.SKIP
            found = alert_name(vendor)
            if found is None:
                where = row.where(columns.column_of(row, "alert"))
                problems.append(f"{where}: {KIND}.alert: unknown vendor alert {vendor!r}; known: "
                                f"{', '.join(SHOWN)} and their variants (VENDOR_ALERTS in {__name__}); or "
                                f"--skip-alert '{vendor}' to leave such rows out on purpose")
                failed.add("alert")
            else:
                record["alert"] = found
                if found != vendor:
                    renamed[(row.file, row.number)] = vendor
        speed = record.get("speed_kmh")
        if isinstance(speed, str):
            record["speed_kmh"] = SPEED_UNIT.sub("", speed)

    out = []
    renamed: dict[tuple[str, int], str] = {}
    for path in paths:
        rows, header = read_rows(path, problems, sheet)
        if header and not rows:
            problems.append(f"{path}: no rows under the header")
        if rows:
            out += forms.to_facts(rows, header, KIND, types, columns, problems, detector=DETECTOR,
                                  convert=convert)
    if problems:
        raise DetectError(problems)
    for record in out:  # the vendor's own name stays with the evidence, for an auditor
        vendor = renamed.get((record["source"].get("file"), record["source"].get("row")))
        if vendor is not None:
            record["source"]["vendor_alert"] = vendor
    return out, skipped


class AlertsDetector:
    """Through the patuh_detectors hook: `facts(paths)` yields checked camera_alert records."""

    name = DETECTOR
    help = "a vendor camera's alert log (CSV, JSONL) in, camera_alert facts out"

    def add_arguments(self, parser) -> None:
        add_arguments(parser)

    def run(self, args) -> int:
        return run(args)
    fact_types = (KIND,)

    def facts(self, paths: Iterable[str | Path], *, config: str | Path | dict | None = None, types=None,
              mapping: dict[str, str] | None = None, ignore: Iterable[str] = (),
              skip: Iterable[str] = (), sheet: str | None = None) -> Iterator[dict]:
        yield from read_alerts(list(paths), types or forms.fact_types(config), mapping=mapping, ignore=ignore,
                               skip=skip, sheet=sheet)[0]


@hookimpl
def patuh_detectors():
    return [AlertsDetector()]


def add_arguments(parser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="alert logs: .csv, .xlsx, .jsonl (.json, .yaml)")
    parser.add_argument("--skip-alert", action="append", default=[], metavar="NAME",
                        help="leave out rows of this vendor alert type on purpose (repeatable); counted on stderr")
    forms.add_common(parser)


def run(args) -> int:
    import sys

    def produce():
        records, skipped = read_alerts(args.files, forms._types(args), mapping=forms.parse_mapping(args.map),
                                       ignore=args.ignore, skip=args.skip_alert, sheet=args.sheet)
        if skipped:
            print(f"note: {skipped} row(s) of {', '.join(args.skip_alert)} left out (--skip-alert)", file=sys.stderr)
        return records

    return forms.emit(produce)
