"""`patuh detect camera` on damaged input: a video cut short or overwritten in places, and images
passed as videos. The videos are built here (60 frames at 10 fps from skimage's astronaut, the
camera covered from frame 2 to 26: one camera_covered alert) and damaged from frame 30 on by
cutting or overwriting bytes, found by each format's own markers. What OpenCV 4.11 does with
each is pinned: it stops at the damage, skips past it, decodes it as a damaged picture, or
cannot open the file."""
from __future__ import annotations

import json
import re
import signal

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")
pytest.importorskip("mediapipe")
skimage_data = pytest.importorskip("skimage.data")

from patuh.cli import main  # noqa: E402 - after the importorskips

SITE = "timezone: Asia/Makassar\nparameters:\n  fatigue:\n    camera_covered_s: 2\n"
REFUSED = "the video is truncated or damaged; nothing written (--partial keeps the first 3 s)"


def _write(path, fourcc: str) -> bytes:
    image = cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR)
    face = cv2.resize(image[15:195, 100:340], (640, 480), interpolation=cv2.INTER_CUBIC)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 10, (640, 480))
    for i in range(60):
        frame = np.zeros_like(face) if 2 <= i < 27 else face.copy()
        frame[:8, :8] = i  # no two frames alike, as in real footage (an AVI skip is told by them)
        writer.write(frame)
    writer.release()
    return path.read_bytes()


def _avi_frames(data: bytes) -> list[tuple[int, int]]:
    """(offset, size) of each frame's chunk in an AVI's movi list: an 8-byte header, then data."""
    pos, chunks = data.index(b"movi") + 4, []
    while data[pos:pos + 2] == b"00":
        size = int.from_bytes(data[pos + 4:pos + 8], "little")
        chunks.append((pos, size))
        pos += 8 + size + size % 2
    return chunks


def _mp4v_frames(data: bytes) -> list[int]:
    """Offset of each MPEG-4 part 2 frame (its VOP start code), in MP4 or Matroska alike."""
    return [m.start() for m in re.finditer(rb"\x00\x00\x01\xb6", data)]


def _zero(data: bytes, start: int, end: int) -> bytes:
    return data[:start] + bytes(end - start) + data[end:]


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("damaged")
    avi, mp4, mkv = (_write(folder / f"whole.{ext}", fourcc) for ext, fourcc in
                     (("avi", "MJPG"), ("mp4", "mp4v"), ("mkv", "mp4v")))
    a, m, k = _avi_frames(avi), _mp4v_frames(mp4), _mp4v_frames(mkv)
    assert len(a) == len(m) == len(k) == 60
    damaged = {
        "cut.avi": avi[:a[30][0]],
        "cut-in-frame.avi": avi[:a[30][0] + a[30][1] // 2],
        "jpeg-zeroed.avi": _zero(avi, a[30][0] + 8, a[30][0] + 8 + a[30][1]),
        "chunks-zeroed.avi": _zero(avi, a[31][0], a[33][0]),
        "header-zeroed.avi": _zero(avi, a[30][0], a[30][0] + 8),
        "riff-zeroed.avi": _zero(avi, 0, 64),
        "cut.mp4": mp4[:m[30]],
        "frame-zeroed.mp4": _zero(mp4, m[30], m[31]),
        "inside-zeroed.mp4": _zero(mp4, m[30] + 20, m[30] + 36),
        "cut.mkv": mkv[:k[30]],
        "block-zeroed.mkv": _zero(mkv, k[30] - 4, k[30]),  # the Matroska block header before it
    }
    for name, data in damaged.items():
        (folder / name).write_bytes(data)
    (folder / "site.yaml").write_text(SITE)
    return folder


def detect(videos, tmp_path, capsys, name, *extra):
    out, signals = tmp_path / "evidence", tmp_path / "signals.csv"
    rc = main(["detect", "camera", str(videos / name), "--employee", "OP-7", "--unit", "DT-101",
               "--start", "2026-03-02T06:00:00+08:00", "--config", str(videos / "site.yaml"),
               "--out", str(out), "--signals", str(signals), *extra])
    captured = capsys.readouterr()
    # progress lines ("frames 30 of 60, ...") come every 2 s of run time, and the last one at
    # the end: whether one came and when is not the test's business
    err = [line for line in captured.err.splitlines() if not line.startswith("frames ")]
    left = sorted(p.name for p in out.rglob("*")) + ([signals.name] if signals.exists() else [])
    return rc, captured.out, err, left


@pytest.mark.parametrize("name, where", [
    ("cut.avi", "decoding stopped at frame 30 of 60 (at 3 s of 6 s)"),
    ("jpeg-zeroed.avi", "decoding stopped at frame 30 of 60 (at 3 s of 6 s)"),  # the decoder fails
    ("frame-zeroed.mp4", "decoding stopped at frame 30 of 60 (at 3 s of 6 s)"),
    ("cut.mkv", "decoding stopped at frame 30 of 60 (at 3 s of 6 s)"),
    # Matroska resyncs on the next cluster, whose time stamp shows the frames skipped
    ("block-zeroed.mkv", "decoding skipped frames 30 to 38 of 60 (3 s to 3.9 s of 6 s)"),
])
def test_a_damaged_file_is_refused_with_nothing_written(videos, tmp_path, capsys, name, where):
    rc, out, err, left = detect(videos, tmp_path, capsys, name)
    assert (rc, out, err, left) == (2, "", [f"error: {videos / name}: {where}: {REFUSED}"], [])


def test_half_a_frame_is_decoded_as_a_frame(videos, tmp_path, capsys):
    """Cut inside frame 30, the JPEG decoder gives out what it has: a frame, half grey."""
    rc, out, err, left = detect(videos, tmp_path, capsys, "cut-in-frame.avi")
    assert (rc, out, left) == (2, "", [])
    assert err == [f"error: {videos / 'cut-in-frame.avi'}: decoding stopped at frame 31 of 60 (at 3.1 s of 6 s): "
                   f"the video is truncated or damaged; nothing written (--partial keeps the first 3.1 s)"]


@pytest.mark.parametrize("name, where", [
    ("cut.avi", "decoding stopped at frame 30 of 60 (at 3 s of 6 s)"),
    ("block-zeroed.mkv", "decoding skipped frames 30 to 38 of 60 (3 s to 3.9 s of 6 s)"),
])
def test_partial_keeps_the_part_read(videos, tmp_path, capsys, name, where):
    rc, out, err, left = detect(videos, tmp_path, capsys, name, "--partial")
    records = [json.loads(line) for line in out.splitlines()]
    assert rc == 0 and [(r["alert"], r["frames"]) for r in records] == [("camera_covered", [2, 26])]
    assert err == [f"warning: {videos / name}: {where}: kept 0 to 3 s, lost 3 s to 6 s"]
    # its evidence and the signal log of seconds 0-2 (after a skip, the frames decoded out of place
    # are left out of it too), and no staging folder or file left beside them
    assert left == sorted([records[0]["clip"], records[0]["evidence"], "signals.csv"])
    rows = (tmp_path / "signals.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in rows] == ["second", "0", "1", "2"]


@pytest.mark.parametrize("name, decoded", [("chunks-zeroed.avi", 58), ("header-zeroed.avi", 59)])
@pytest.mark.parametrize("partial", [(), ("--partial",)])
def test_an_avi_skip_cannot_be_placed_so_even_partial_refuses(videos, tmp_path, capsys, name, decoded, partial):
    """FFmpeg resyncs past a zeroed AVI chunk and numbers the next frame as the lost one's: no
    time stamp says where, and every later alert would come out early."""
    rc, out, err, left = detect(videos, tmp_path, capsys, name, *partial)
    assert (rc, out, left) == (2, "", [])
    assert err == [f"error: {videos / name}: {decoded} of 60 frames decoded ({decoded / 10:g} s of 6 s), some "
                   f"skipped at a point the container does not tell, so the frames after them cannot be placed "
                   f"in time; nothing written, even with --partial"]


def test_a_cut_mp4_cannot_be_opened(videos, tmp_path, capsys):
    """MP4 writers put the index (moov) at the end: cut anywhere, the file has none."""
    rc, out, err, left = detect(videos, tmp_path, capsys, "cut.mp4", "--partial")
    assert (rc, out, left) == (2, "", [])
    assert err == [f"error: {videos / 'cut.mp4'}: cannot open as video (an MP4 file, but truncated or damaged)"]


def test_bytes_overwritten_inside_a_frame_pass_unseen(videos, tmp_path, capsys):
    """The decoder conceals them (a damaged picture) and every frame comes out: nothing to tell."""
    rc, out, err, left = detect(videos, tmp_path, capsys, "inside-zeroed.mp4")
    assert (rc, err) == (0, []) and [json.loads(line)["frames"] for line in out.splitlines()] == [[2, 26]]


def test_a_damaged_header_reads_as_a_raw_stream_with_a_warning(videos, tmp_path, capsys):
    """Without its RIFF header, FFmpeg reads the AVI as bare JPEGs: no length, and 25 fps guessed,
    at which the 2.5 s covered last 1 s and raise nothing. The warning is all there is to tell."""
    rc, out, err, left = detect(videos, tmp_path, capsys, "riff-zeroed.avi")
    assert (rc, out) == (0, "") and err[0] == (f"warning: {videos / 'riff-zeroed.avi'}: the container declares no "
                                               "length (a raw stream or a damaged header): a truncated file cannot be "
                                               "told, and 25 fps may be a guess")


def test_ctrl_c_still_keeps_what_was_found(videos, tmp_path, capsys, monkeypatch):
    """Stopped by the user, a file is not judged complete or not: its alerts so far go out, 130."""
    from patuh.detectors.camera import cli

    def progress(self, frames):
        if frames == 28:
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(cli._Progress, "__call__", progress)
    rc, out, err, left = detect(videos, tmp_path, capsys, "cut.avi")
    records = [json.loads(line) for line in out.splitlines()]
    assert (rc, err) == (130, []) and [r["frames"] for r in records] == [[2, 26]]
    assert left == sorted([records[0]["clip"], records[0]["evidence"], "signals.csv"])


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    image = cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR)
    for ext in ("jpg", "png", "bmp", "tiff", "webp"):
        assert cv2.imwrite(str(folder / f"photo.{ext}"), image)
    (folder / "photo-jpg.mp4").write_bytes((folder / "photo.jpg").read_bytes())
    (folder / "photo-png.avi").write_bytes((folder / "photo.png").read_bytes())
    return folder


@pytest.mark.parametrize("name, kind", [("photo.jpg", "JPEG"), ("photo.png", "PNG"), ("photo.bmp", "BMP"),
                                        ("photo.tiff", "TIFF"), ("photo.webp", "WebP"),
                                        ("photo-jpg.mp4", "JPEG"), ("photo-png.avi", "PNG")])
def test_an_image_is_not_a_video(images, capsys, name, kind):
    """OpenCV opens each as a one-frame video; the leading bytes say what it is, whatever its name."""
    rc = main(["detect", "camera", str(images / name), "--employee", "OP-7", "--unit", "DT-101"])
    captured = capsys.readouterr()
    assert (rc, captured.out) == (2, "")
    assert captured.err.splitlines() == [f"error: {images / name}: an image ({kind}), not a video; expected a video "
                                         f"file such as .mp4 or .avi, a camera number or a stream URL"]


def test_leading_bytes_gif_heif_and_others():
    from patuh.detectors.camera.video import _container, _image

    assert _image(b"GIF89a\x01\x00") == "GIF" and _image(b"MM\x00*\x00\x00") == "TIFF"
    assert _image(b"\x00\x00\x00\x18ftypheic") == "HEIF" and _image(b"\x00\x00\x00\x18ftypisom") is None
    assert _container(b"\x00\x00\x00\x18ftypisom") == "an MP4" and _container(b"RIFF\x00\x00\x00\x00AVI ") == "an AVI"
    assert _image(b"RIFF\x00\x00\x00\x00AVI ") is None and _image(b"\x1a\x45\xdf\xa3") is None
    assert _image(b"BMW service notes") is None  # text, not a bitmap: its reserved bytes are not zero
