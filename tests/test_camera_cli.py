"""`patuh detect camera`: JSONL camera_alert records that `patuh eval` accepts, evidence under
--out, and one line with exit 2 for bad input."""
from __future__ import annotations

import json

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")
pytest.importorskip("mediapipe")
skimage_data = pytest.importorskip("skimage.data")

from patuh.cli import main  # noqa: E402 - after the importorskips


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("videos")
    image = cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR)
    face = cv2.resize(image[15:195, 100:340], (640, 480), interpolation=cv2.INTER_CUBIC)
    writer = cv2.VideoWriter(str(folder / "cab.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 480))
    for i in range(60):  # 1.5 s face, 3.5 s covered, 1 s face
        writer.write(np.zeros_like(face) if 15 <= i < 50 else face)
    writer.release()
    cv2.VideoWriter(str(folder / "zero.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 480)).release()
    (folder / "notes.mp4").write_text("not a video")
    (folder / "empty.mp4").write_bytes(b"")
    (folder / "site.yaml").write_text("timezone: Asia/Makassar\nparameters:\n  fatigue:\n    camera_face_missing_s: 2\n"
                                      "    camera_covered_s: 2\n")
    return folder


def test_detect_then_eval(videos, tmp_path, capsys):
    out = tmp_path / "evidence"
    rc = main(["detect", "camera", str(videos / "cab.avi"), "--employee", "OP-7", "--unit", "DT-101",
               "--camera-sn", "PTH-0007", "--start", "2026-03-02T06:00:00", "--out", str(out),
               "--config", str(videos / "site.yaml"), "--signals", str(tmp_path / "signals.csv")])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["alert"] for r in records] == ["camera_covered"]
    r = records[0]
    assert r["time"] == "2026-03-02T06:00:01.500000+08:00" and r["frames"] == [15, 49]
    assert r["employee"] == "OP-7" and r["unit"] == "DT-101" and r["duration_s"] == 3.5
    assert r["camera_sn"] == "PTH-0007"  # --camera-sn: what an alert report names (6.3.2.3.1)
    assert (out / r["evidence"]).is_file()
    # the clip: 2 s before the frame it sounded on (35, 2 s after the 1.5 s start) to 2 s after
    assert r["clip"] == "cab-camera_covered-20260302T060001.500.avi"
    clip = cv2.VideoCapture(str(out / r["clip"]))
    assert int(clip.get(cv2.CAP_PROP_FRAME_COUNT)) == 40 and clip.get(cv2.CAP_PROP_FPS) == 10
    clip.release()
    rows = (tmp_path / "signals.csv").read_text().splitlines()
    assert rows[0] == "second,face,ear,perclos,mar,yaw,pitch,blocked" and len(rows) == 1 + 6
    assert rows[1].startswith("0,1.00,0.3") and rows[3].split(",")[1:2] == ["0.00"] and rows[3].endswith(",1.00")
    facts = tmp_path / "alerts.jsonl"
    facts.write_text(captured.out)
    assert main(["eval", "--facts", str(facts), "--pack", "fatigue", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["trace"]["facts_in"] == 1


def test_telemetry_says_moving(videos, tmp_path, capsys):
    speeds = tmp_path / "speed.csv"
    speeds.write_text("unit,time,speed_kmh\n" + "".join(
        f"DT-101,2026-03-02T06:00:{s:02d}+08:00,30\n" for s in range(0, 8)))
    rc = main(["detect", "camera", str(videos / "cab.avi"), "--employee", "OP-7", "--unit", "DT-101",
               "--start", "2026-03-02T06:00:00+08:00", "--telemetry", str(speeds),
               "--config", str(videos / "site.yaml")])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rc == 0 and records[0]["moving"] is True and records[0]["speed_kmh"] == 30
    assert "camera_sn" not in records[0]  # no --camera-sn: none made up


@pytest.mark.parametrize("name, expected", [("zero.avi", "no frames"), ("notes.mp4", "cannot open as video"),
                                            ("empty.mp4", "empty file"), ("missing.mp4", "no such file")])
def test_bad_video_is_one_line_and_exit_2(videos, capsys, name, expected):
    rc = main(["detect", "camera", str(videos / name), "--employee", "OP-7", "--unit", "DT-101"])
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert rc == 2 and captured.out == ""
    assert len(errors) == 1 and name in errors[0] and expected in errors[0]
