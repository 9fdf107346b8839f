"""`patuh detect telemetry`: a fleet management system's speed export in, speed_sample facts and
overspeed camera_alert facts (above the fatigue pack's overspeed_limit_kmh, 8.1.4 "Overspeed
50 km/h") out; the employee from the samples' Driver ID or from the roster."""
from __future__ import annotations

import json

import pytest
from patuh.detectors import telemetry
from patuh.plugins import manager, named
from test_forms_detector import ROSTER_CSV, SITE_CONFIG, detect, evaluate, write

# The FMS export (semicolon CSV, WITA without a zone, a decimal comma, columns patuh does not read).
# DT-1043 (Budi, night shift from the roster) climbs past the limit: exactly 50 is not over it,
# 51 is; one run peaks at 58,5 (Action 1's 56-65 band), then back to 50. Later a second run at
# 81 km/h (the golden rule) after a gap of more than a minute in the telemetry.
FMS_CSV = """\
Hull No;GPS Time;Speed;Latitude;Longitude;Heading
DT-1043;02/03/2026 19:00:00;48;-1.7421;116.0233;90
DT-1043;02/03/2026 19:00:10;50;-1.7422;116.0236;90
DT-1043;02/03/2026 19:00:20;51;-1.7423;116.0240;91
DT-1043;02/03/2026 19:00:30;58,5;-1.7424;116.0245;91
DT-1043;02/03/2026 19:00:40;55;-1.7425;116.0250;92
DT-1043;02/03/2026 19:00:50;50;-1.7426;116.0254;92
DT-1043;02/03/2026 21:30:00;81;-1.7500;116.0300;180
DT-1043;02/03/2026 21:32:00;78;-1.7520;116.0301;180
OHT-0771;02/03/2026 19:00:00;30;-1.7300;116.0100;10
"""


def test_samples_and_overspeed_from_the_pack_limit(tmp_path, capsys):
    fms = write(tmp_path / "fms-speed-20260302.csv", FMS_CSV)
    roster = write(tmp_path / "roster.csv", ROSTER_CSV)
    code, out, err = detect(capsys, "telemetry", fms, "--roster", roster, "--config", SITE_CONFIG)
    assert (code, err) == (0, [])
    samples = [r for r in out if r["type"] == "speed_sample"]
    assert len(samples) == 9
    assert samples[3] == {"type": "speed_sample", "unit": "DT-1043", "time": "2026-03-02T19:00:30+08:00",
                          "speed_kmh": 58.5, "source": {"detector": "telemetry", "file": str(fms), "row": 5}}
    alerts = [r for r in out if r["type"] == "camera_alert"]
    assert [(a["alert"], a["employee"], a["unit"], a["time"], a["speed_kmh"], a["duration_s"]) for a in alerts] == [
        ("overspeed", "CK-0412", "DT-1043", "2026-03-02T19:00:20+08:00", 58.5, 20),  # 51, 58.5, 55
        ("overspeed", "CK-0412", "DT-1043", "2026-03-02T21:30:00+08:00", 81, 0),     # 81; 78 is 2 min later
        ("overspeed", "CK-0412", "DT-1043", "2026-03-02T21:32:00+08:00", 78, 0)]
    assert {a["recorder"] for a in alerts} == {"telemetry"}  # no camera SN or photo to ask of it (6.3.2.3)
    assert alerts[0]["source"] == {"detector": "telemetry", "file": str(fms), "row": 4,
                                   "peak": {"file": str(fms), "row": 5}, "limit_kmh": 50}

    facts = write(tmp_path / "speed.jsonl", "".join(json.dumps(r) + "\n" for r in out))
    result = evaluate(facts)
    rules = sorted(f["rule"] for f in result["findings"] if f["subject"]["id"] == "CK-0412")
    assert "fatigue.camera-overspeed-golden-rule" in rules  # 81 km/h


def test_driver_id_column_and_limit_from_the_command_line(tmp_path, capsys):
    lines = [json.dumps({"vehicle": "DT-1050", "gps_time": f"2026-03-02T22:10:{s:02d}+08:00", "speed": v,
                         "driver_id": "CK-0701"}) for s, v in ((0, 40), (5, 46), (10, 47), (15, 44))]
    path = write(tmp_path / "fms.jsonl", "\n".join(lines) + "\n")
    code, out, err = detect(capsys, "telemetry", path, "--limit-kmh", "45")
    assert code == 0
    assert err == ["note: overspeed above 45 km/h from --limit-kmh, not the pack's overspeed_limit_kmh"]
    assert [(r["employee"], r["speed_kmh"], r["duration_s"]) for r in out if r["type"] == "camera_alert"] == [
        ("CK-0701", 47, 5)]
    code, out, err = detect(capsys, "telemetry", path, "--no-alerts")
    assert (code, err) == (0, []) and {r["type"] for r in out} == {"speed_sample"}


def test_bad_rows_and_an_overspeed_nobody_drove(tmp_path, capsys):
    text = FMS_CSV + ("OHT-0771;02/03/2026 19:00:10;;-1.7300;116.0100;10\n"
                      "OHT-0771;02/03/2026 7 malam;40;-1.7300;116.0100;10\n"
                      "OHT-0771;02/03/2026 19:00:30;cepat;-1.7300;116.0100;10\n"
                      "OHT-0771;02/03/2026 19:00:40;66;-1.7300;116.0100;10\n")
    fms = write(tmp_path / "fms.csv", text)
    roster = write(tmp_path / "roster.csv", ROSTER_CSV)
    code, out, err = detect(capsys, "telemetry", fms, "--roster", roster, "--config", SITE_CONFIG)
    assert code == 2 and out == []
    assert [line.replace(str(fms), "F") for line in err] == [
        "error: F:11: speed_sample.speed_kmh: missing (an empty cell, or no column for it among Hull No, GPS Time, "
        "Speed, Latitude, Longitude, Heading)",
        "error: F:12: speed_sample.time: expected a date and time as 2026-03-02T05:30:00+08:00, 2026-03-02 05:30 "
        "or 02/03/2026 05:30, found '02/03/2026 7 malam'",
        "error: F:13: speed_sample.speed_kmh: expected a number, e.g. 6.5 or 6,5, found 'cepat'",
        "error: F:14: overspeed of OHT-0771 at 2026-03-02T19:00:40+08:00 (66 km/h, above 50) cannot be given to "
        "an employee: the samples carry no Driver ID and nobody is rostered on OHT-0771 then"]


def test_no_roster_and_no_driver(tmp_path, capsys):
    fms = write(tmp_path / "fms.csv", FMS_CSV)
    code, out, err = detect(capsys, "telemetry", fms)
    assert code == 2 and out == [] and len(err) == 3
    assert err[0].endswith("the samples carry no Driver ID and no --roster was given")
    code, out, err = detect(capsys, "telemetry", write(tmp_path / "speed.txt", "x"))
    assert (code, out) == (2, []) and err == [f"error: {tmp_path}/speed.txt: unknown format '.txt'; expected .csv "
                                              f"or .jsonl"]


def test_overspeed_runs():
    def samples(*speeds, step=10):
        import datetime as dt
        t0 = dt.datetime(2026, 3, 2, 19, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        return [telemetry.Sample("f.csv", i + 2, "DT-1", t0 + dt.timedelta(seconds=i * step), v, "E-1")
                for i, v in enumerate(speeds)]

    problems: list[str] = []
    assert telemetry.overspeed(samples(50, 50, 50), 50, 60, None, problems) == []
    assert [a["speed_kmh"] for a in telemetry.overspeed(samples(51, 60, 50, 52), 50, 60, None, problems)] == [60, 52]
    assert len(telemetry.overspeed(samples(60, 60, step=61), 50, 60, None, problems)) == 2  # a gap ends a run
    assert len(telemetry.overspeed(samples(60, 60, step=60), 50, 60, None, problems)) == 1
    # a peak is kept as the export gives it: 80.96 km/h rounded to 81 reached the golden rule's band
    # (>= 81), and 50.04 rounded to 50 fell to the limit itself
    assert [a["speed_kmh"] for a in telemetry.overspeed(samples(70, 80.96, 50, 50.04), 50, 60, None, problems)] == [
        80.96, 50.04]
    assert problems == []


def test_registered_through_the_detectors_hook(tmp_path):
    detector = named(manager(), "patuh_detectors")["telemetry"]
    path = write(tmp_path / "s.csv", "unit,time,speed_kmh,driver_id\nDT-1,2026-03-02T19:00:00+08:00,70,E-1\n")
    assert [r["type"] for r in detector.facts([path])] == ["speed_sample", "camera_alert"]
    with pytest.raises(telemetry.DetectError) as caught:
        list(detector.facts([write(tmp_path / "t.csv", "unit,time\nDT-1,x\n")]))
    assert caught.value.problems[0].startswith(f"{tmp_path}/t.csv:2: speed_sample.speed_kmh: missing")
