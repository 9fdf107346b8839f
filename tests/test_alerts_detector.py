"""`patuh detect alerts`: a vendor fatigue camera's alarm report (CSV or JSONL, as its web
platform exports it) in, camera_alert facts in the fatigue pack's vocabulary out; an unknown
vendor alert name is an error naming the row, exit 2, nothing on stdout."""
from __future__ import annotations

import json

from patuh.detectors import alerts
from patuh.plugins import manager, named
from test_forms_detector import SITE_CONFIG, detect, evaluate, write

# An alarm report for Site Kideco's pit on 2 March 2026 (WITA, no zone in the export), with the
# vendor's own columns: a row number, the driver's name and the GPS position, which the
# camera_alert type has no field for.
ALARM_CSV = """\
No,Time,Driver ID,Driver Name,Hull No,Alert Type,Speed,SN,Snapshot URL,Location
1,2026-03-02 14:23:05,CK-0412,Budi Santoso,DT-1043,Fatigue Level 1,32 km/h,MR-9A01,https://fleet.example/snap/88121.jpg,"-1.7421,116.0233"
2,02/03/2026 14:51:40,CK-0412,Budi Santoso,DT-1043,Distraction,28,MR-9A01,https://fleet.example/snap/88130.jpg,"-1.7433,116.0240"
3,02/03/2026 15:02:10,CK-0519,Andi Wijaya,OHT-0771,Yawning,"21,5",MR-9A07,https://fleet.example/snap/88142.jpg,
4,02/03/2026 15:40:00,CK-0519,Andi Wijaya,OHT-0771,Phone Calling,18,MR-9A07,https://fleet.example/snap/88150.jpg,
5,02/03/2026 16:05:33,CK-0633,Rudi Hartono,WT-0210,Cam Covered,0,MR-9B11,,
6,02/03/2026 16:30:00,CK-0633,Rudi Hartono,WT-0210,Face Missing,0,MR-9B11,https://fleet.example/snap/88177.jpg,
7,02/03/2026 17:12:09,CK-0412,Budi Santoso,DT-1043,Overspeed,58,MR-9A01,https://fleet.example/snap/88190.jpg,
8,02/03/2026 17:30:00,CK-0412,Budi Santoso,DT-1043,Smoking,25,MR-9A01,https://fleet.example/snap/88201.jpg,
9,02/03/2026 17:45:00,CK-0412,Budi Santoso,DT-1043,Fatigue Level 2,30,MR-9A01,https://fleet.example/snap/88210.jpg,
"""

# Another vendor's JSONL export: other key names, a zone given.
ALARM_JSONL = [
    {"alarm_time": "2026-03-02T22:10:00+08:00", "driver_id": "CK-0701", "vehicle": "DT-1050",
     "alarm_type": "FATIGUE_LEVEL_1", "speed": 35.0, "device_sn": "XJ-2231", "snapshot": "snap/2231-1.jpg"},
    {"alarm_time": "2026-03-02T23:55:00+08:00", "driver_id": "CK-0701", "vehicle": "DT-1050",
     "alarm_type": "Look Around", "speed": 40.0, "device_sn": "XJ-2231", "snapshot": "snap/2231-2.jpg"},
]

# patuh's own camera detector output (patuh detect camera) reads unchanged, source and all.
CAMERA_OUTPUT = {"type": "camera_alert", "alert": "warning_level_2", "employee": "CK-0701", "unit": "DT-1050",
                 "time": "2026-03-03T01:20:04+08:00", "duration_s": 3.4, "ear": 0.11, "ear_baseline": 0.31,
                 "frames": [1520, 1622], "evidence": "cab-dt1050-warning_level_2-1520.jpg", "video": "cab-dt1050.mp4",
                 "source": {"detector": "camera", "file": "cab-dt1050.mp4", "frames": [1520, 1622]}}


def test_vendor_csv_into_the_pack_vocabulary(tmp_path, capsys):
    path = write(tmp_path / "alarm-report-20260302.csv", ALARM_CSV)
    code, out, err = detect(capsys, "alerts", path, "--config", SITE_CONFIG)
    assert (code, err) == (0, [])
    assert [(r["alert"], r["employee"], r["unit"], r["time"], r.get("speed_kmh")) for r in out] == [
        ("warning_level_1", "CK-0412", "DT-1043", "2026-03-02T14:23:05+08:00", 32),
        ("warning_level_1", "CK-0412", "DT-1043", "2026-03-02T14:51:40+08:00", 28),  # 8.1.4: "WL 1/Distraction"
        ("yawn", "CK-0519", "OHT-0771", "2026-03-02T15:02:10+08:00", 21.5),
        ("phone", "CK-0519", "OHT-0771", "2026-03-02T15:40:00+08:00", 18),
        ("camera_covered", "CK-0633", "WT-0210", "2026-03-02T16:05:33+08:00", 0),
        ("face_missing", "CK-0633", "WT-0210", "2026-03-02T16:30:00+08:00", 0),
        ("overspeed", "CK-0412", "DT-1043", "2026-03-02T17:12:09+08:00", 58),
        ("smoking", "CK-0412", "DT-1043", "2026-03-02T17:30:00+08:00", 25),
        ("warning_level_2", "CK-0412", "DT-1043", "2026-03-02T17:45:00+08:00", 30)]
    assert out[1]["camera_sn"] == "MR-9A01" and out[1]["evidence"] == "https://fleet.example/snap/88130.jpg"
    assert out[1]["source"] == {"detector": "alerts", "file": str(path), "row": 3, "vendor_alert": "Distraction"}
    assert "evidence" not in out[4]  # the export had no snapshot: left for 6.3.2.3 to judge, not invented

    facts = write(tmp_path / "alerts.jsonl", "".join(json.dumps(r) + "\n" for r in out))
    result = evaluate(facts)
    rules = {(f["rule"], f["subject"]["id"]) for f in result["findings"]}
    assert ("fatigue.camera-wl1-action1", "CK-0412") in rules
    assert ("fatigue.camera-yawn-action1", "CK-0519") in rules
    assert result["trace"]["facts_in"] == 9


def test_other_vendor_jsonl_and_the_camera_detectors_own_output(tmp_path, capsys):
    path = write(tmp_path / "xj-alarms.jsonl", "".join(json.dumps(r) + "\n" for r in ALARM_JSONL + [CAMERA_OUTPUT]))
    code, out, err = detect(capsys, "alerts", path)
    assert (code, err) == (0, [])
    assert [(r["alert"], r["camera_sn"] if "camera_sn" in r else None, r["source"]["detector"]) for r in out] == [
        ("warning_level_1", "XJ-2231", "alerts"), ("look_around", "XJ-2231", "alerts"),
        ("warning_level_2", None, "camera")]
    assert out[2]["source"] == CAMERA_OUTPUT["source"] and out[2]["frames"] == [1520, 1622]
    assert out[0]["source"]["vendor_alert"] == "FATIGUE_LEVEL_1"


def test_unknown_alert_name_names_the_row(tmp_path, capsys):
    text = ALARM_CSV + ("10,02/03/2026 18:01:00,CK-0519,Andi Wijaya,OHT-0771,Seatbelt,22,MR-9A07,,\n"
                        "11,02/03/2026 18:20:00,CK-0519,Andi Wijaya,OHT-0771,Mengantuk,22,MR-9A07,,\n")
    path = write(tmp_path / "alarm.csv", text)
    code, out, err = detect(capsys, "alerts", path)
    assert code == 2 and out == []
    assert [line.split(": camera_alert.alert: ")[0] for line in err] == [f"error: {path}:11:6", f"error: {path}:12:6"]
    assert "unknown vendor alert 'Seatbelt'; known: Fatigue Level 1, Fatigue Level 2, Distraction" in err[0]
    assert "--skip-alert 'Mengantuk'" in err[1]

    code, out, err = detect(capsys, "alerts", path, "--skip-alert", "seatbelt", "--skip-alert", "Mengantuk")
    assert code == 0 and len(out) == 9
    assert err == ["note: 2 row(s) of seatbelt, Mengantuk left out (--skip-alert)"]


def test_bad_rows_each_named(tmp_path, capsys):
    text = ("Time,Driver ID,Hull No,Alert Type,Speed,SN\n"
            "2026-03-02 25:10:00,CK-0412,DT-1043,Fatigue Level 1,30,MR-9A01\n"   # no such hour
            "2026-03-02 14:10:00,,DT-1043,Fatigue Level 1,30,MR-9A01\n"          # no driver: fine (below)
            "2026-03-02 14:20:00,CK-0412,DT-1043,Yawning,cepat,MR-9A01\n")       # speed not a number
    path = write(tmp_path / "alarm.csv", text)
    code, out, err = detect(capsys, "alerts", path)
    assert code == 2 and out == []
    assert [line.replace(str(path), "F") for line in err] == [
        "error: F:2:1: camera_alert.time: no such date and time (hour must be in 0..23), found '2026-03-02 25:10:00'",
        "error: F:4:5: camera_alert.speed_kmh: expected a number, e.g. 6.5 or 6,5, found 'cepat'"]


def test_a_report_lacking_driver_unit_time_or_sn_passes_through(tmp_path, capsys):
    """6.3.2.3.1: an alert report must name the time, the employee, the SN and the hull number. A
    row lacking one is the dispatcher's finding to judge (fatigue.alert-report-incomplete), not a
    record to refuse: it passes through with the field absent."""
    text = ("Time,Driver ID,Hull No,Alert Type,Speed,SN,Snapshot URL\n"
            "02/03/2026 14:10:00,,DT-1043,Fatigue Level 1,30,MR-9A01,https://fleet.example/snap/1.jpg\n"
            "02/03/2026 14:20:00,CK-0412,,Yawning,25,MR-9A01,\n"
            ",CK-0412,DT-1043,Yawning,25,,https://fleet.example/snap/3.jpg\n")
    path = write(tmp_path / "alarm.csv", text)
    code, out, err = detect(capsys, "alerts", path, "--config", SITE_CONFIG)
    assert (code, err) == (0, [])
    assert [{k: r.get(k) for k in ("employee", "unit", "time", "camera_sn", "evidence")} for r in out] == [
        {"employee": None, "unit": "DT-1043", "time": "2026-03-02T14:10:00+08:00", "camera_sn": "MR-9A01",
         "evidence": "https://fleet.example/snap/1.jpg"},
        {"employee": "CK-0412", "unit": None, "time": "2026-03-02T14:20:00+08:00", "camera_sn": "MR-9A01",
         "evidence": None},
        {"employee": "CK-0412", "unit": "DT-1043", "time": None, "camera_sn": None,
         "evidence": "https://fleet.example/snap/3.jpg"}]
    assert all(k not in r for r, k in zip(out, ("employee", "unit", "time"), strict=True))  # absent, not null


def test_a_dash_for_the_driver_or_the_sn_records_neither(tmp_path, capsys):
    """A dispatcher's export writes "-" where it has no driver or no SN: the report lacks them
    (6.3.2.3.1), as with an empty cell. Read as text, "-" was an employee, and the report looked
    complete."""
    text = ("Time,Driver ID,Hull No,Alert Type,Speed,SN,Snapshot URL\n"
            "02/03/2026 14:10:00,-,DT-1043,Fatigue Level 1,30,\u2013,https://fleet.example/snap/1.jpg\n")
    path = write(tmp_path / "alarm.csv", text)
    code, out, err = detect(capsys, "alerts", path, "--config", SITE_CONFIG)
    assert (code, err) == (0, [])
    assert [sorted(k for k in ("employee", "camera_sn", "unit") if k in r) for r in out] == [["unit"]]
    result = evaluate(write(tmp_path / "alerts.jsonl", "".join(json.dumps(r) + "\n" for r in out)))
    assert [f["rule"] for f in result["findings"] if f["rule"] == "fatigue.alert-report-incomplete"] == [
        "fatigue.alert-report-incomplete"]


def test_a_vendors_row_number_is_no_facts_id(tmp_path, capsys):
    # Each day's export numbers its rows from 1 in a column "id": as the facts' ids, the second
    # day's first alert was "already given to a different camera_alert"
    day = ("id,Time,Driver ID,Hull No,Alert Type,Speed,SN,Snapshot URL\n"
           "1,{} 14:10:00,CK-0412,DT-1043,Yawning,30,MR-9A01,x\n")
    paths = [write(tmp_path / f"alarm-{d}.csv", day.format(f"0{d}/03/2026")) for d in (2, 3)]
    code, out, err = detect(capsys, "alerts", *paths, "--config", SITE_CONFIG)
    assert (code, err) == (0, [])
    assert [("id" in r, r["time"]) for r in out] == [(False, "2026-03-02T14:10:00+08:00"),
                                                    (False, "2026-03-03T14:10:00+08:00")]


def test_missing_alert_column(tmp_path, capsys):
    path = write(tmp_path / "alarm.csv", "Time,Driver ID,Hull No,Speed\n2026-03-02 14:10:00,CK-0412,DT-1043,30\n")
    code, out, err = detect(capsys, "alerts", path)
    assert code == 2 and out == []
    assert err == [f"error: {path}:1: camera_alert.alert: no column for this required field (string); the header "
                   f"has: Time, Driver ID, Hull No, Speed"]


def test_mapping_table_covers_the_pack_vocabulary():
    from patuh.detectors.forms import fact_types

    values = set(fact_types().declarations["camera_alert"]["fields"]["alert"]["values"])
    assert set(alerts.VENDOR_ALERTS.values()) == values
    assert all(alerts.alert_name(v) == v for v in values)  # the pack's own names read as themselves
    assert alerts.alert_name("Phone Calling") == "phone" and alerts.alert_name("cam-covered") == "camera_covered"
    assert alerts.alert_name("Mengantuk") is None


def test_registered_through_the_detectors_hook(tmp_path):
    detector = named(manager(), "patuh_detectors")["alerts"]
    path = write(tmp_path / "a.jsonl", json.dumps(ALARM_JSONL[0]) + "\n")
    assert [r["alert"] for r in detector.facts([path])] == ["warning_level_1"]
