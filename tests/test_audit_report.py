"""The HTML audit report (`patuh report audit`), made from a store and read in a real browser:
headless Chromium (Debian's `chromium`, which `make test` installs: tools/system-packages.sh)
driven by Playwright with that executable. The browser tests are skipped, saying why, only where
no Chromium is installed."""
from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import patuh
import pytest
from conftest import cli
from patuh.audit import AuditReport, Period
from patuh.store import Store

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def site(tmp_path):
    """A store holding two evaluations of a small site: camera alerts with a photo and a clip,
    a vendor alert whose photo is a URL, and two nights of short sleep (a next-day repeat)."""
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "snap-1.jpg").write_bytes(jpeg())
    (evidence / "clip-1.avi").write_bytes(b"RIFF....AVI ")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = patuh.Engine(["fatigue"], store=url)
    alert = {"type": "camera_alert", "employee": "CK-1", "unit": "OHT-7713", "camera_sn": "PTH-7713"}
    engine.record([
        {**alert, "alert": "warning_level_1", "time": "2026-03-02T10:42:15+08:00", "evidence": "snap-1.jpg",
         "clip": "clip-1.avi", "source": {"detector": "patuh.camera", "file": "cab.mp4", "frames": [40, 94]}},
        {**alert, "employee": "CK-2", "alert": "yawn", "time": "2026-03-02T11:00:00+08:00",
         "evidence": "https://vendor.example/alarm/1.jpg",
         "source": {"detector": "alerts", "file": "alarm-report.csv", "row": 7}},
        {"type": "readiness_form", "employee": "CK-3", "date": "2026-03-02", "shift": "I", "sleep_hours": 3,
         "fit": True, "source": {"detector": "forms", "file": "kesiapan.xlsx", "row": 4}},
    ], origin="test")
    engine.record([{"type": "readiness_form", "employee": "CK-3", "date": "2026-03-03", "shift": "I",
                    "sleep_hours": 3.5, "fit": True, "source": {"detector": "forms", "file": "kesiapan.xlsx",
                                                                 "row": 9}}], origin="test")
    return url, evidence, tmp_path


def test_the_report_holds_what_the_store_holds(site):
    url, evidence, tmp_path = site
    code, out, err = cli("report", "audit", "--store", url, "--out", str(tmp_path / "report"), "--evidence",
                         str(evidence))
    assert code == 0, err
    index = Path(out.strip())
    assert index == tmp_path / "report" / "index.html"
    html = index.read_text(encoding="utf-8")
    store = Store(url)
    stored = store.findings()
    assert len(stored) == 5
    for _, finding in stored:
        assert f'href="finding/{finding.id}.html"' in html
        page = (index.parent / "finding" / f"{finding.id}.html").read_text(encoding="utf-8")
        assert finding.clauses[0].text.split("\n")[0][:40].replace('"', "&#34;") in page
    assert "Temuan per subjek" in html and "Matriks cakupan pasal" in html
    assert (index.parent / "evidence" / "snap-1.jpg").read_bytes() == (evidence / "snap-1.jpg").read_bytes()
    assert (index.parent / "charts" / "fatigue-weekly-2026-W10.png").is_file()
    assert not re.search(r'(src|href)="(https?:)?//', html), "the report loads nothing from the network"
    # every clause of the pack is in the matrix, with the rules citing it
    pack = patuh.Engine(["fatigue"]).packs[0]
    for number in pack.clauses:
        assert f'data-clause="{number}"' in html
    # English labels; clause texts as the source has them
    code, out, _ = cli("report", "audit", "--store", url, "--out", str(tmp_path / "en"), "--lang", "en")
    english = Path(out.strip()).read_text(encoding="utf-8")
    assert "Findings by subject" in english and "Temuan per subjek" not in english
    assert pack.clauses["6.1.1.1.2"].text.split()[0] in english


def test_filters_by_period_pack_and_subject(site):
    url, _, tmp_path = site
    store = Store(url)
    assert len(AuditReport(store, Period(subject="CK-3"), run_pack_tests=False).rows) == 3
    import datetime as dt
    day = AuditReport(store, Period(since=dt.date(2026, 3, 3), until=dt.date(2026, 3, 3)), run_pack_tests=False)
    assert sorted(r.finding.rule for r in day.rows) == ["fatigue.sleep-under-4h", "fatigue.sleep-under-4h-repeated"]
    assert AuditReport(store, Period(packs=["other"]), run_pack_tests=False).rows == []
    code, _, err = cli("report", "audit", "--store", url, "--out", str(tmp_path / "r"), "--from", "2026-03-05",
                       "--to", "2026-03-01")
    assert code == 2 and err == "error: --from: --from 2026-03-05 is after --to 2026-03-01\n"
    code, _, err = cli("report", "audit", "--store", url, "--out", str(tmp_path / "r"), "--from", "5 March")
    assert code == 2 and err == "error: --from: expected a date YYYY-MM-DD, found '5 March'\n"


# -- in a real browser -----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium (Debian's) through Playwright, with a fresh profile folder."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("Chromium is not installed (Debian's chromium package; make test installs it with "
                    "tools/system-packages.sh where apt-get can)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev extra brings it
        pytest.skip("playwright (the dev extra) is not installed")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=executable, headless=True,
            args=CHROMIUM_FLAGS[1:], viewport={"width": 1200, "height": 900})
        yield context
        context.close()


def test_a_finding_leads_to_its_evidence_in_chromium(site, browser):
    url, evidence, tmp_path = site
    code, out, err = cli("report", "audit", "--store", url, "--out", str(tmp_path / "report"), "--evidence",
                         str(evidence))
    assert code == 0, err
    store = Store(url)
    stored = {f.id: (e, f) for e, f in store.findings()}
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(Path(out.strip()).as_uri())

    assert page.title() == "Laporan Audit Kepatuhan K3"
    assert page.inner_text("#finding-count") == str(len(stored))
    rows = page.locator("#by-subject tr.finding")
    assert sorted(rows.evaluate_all("rows => rows.map(r => r.dataset.finding)")) == sorted(stored)
    # the subject headings say whom, as the store does
    subjects = page.locator("#by-subject h3.subject").all_inner_texts()
    assert {s.rsplit(" (", 1)[0] for s in subjects} == {f"{f.subject.kind} {f.subject.id}" for _, f in stored.values()}

    # follow the camera alert's finding to its chain and its evidence
    [(evaluation, finding)] = [v for v in stored.values() if v[1].rule == "fatigue.camera-wl1-action1"]
    page.click(f'#by-subject tr[data-finding="{finding.id}"] a.finding-link')
    page.wait_for_load_state()
    assert page.url.endswith(f"/finding/{finding.id}.html")
    assert page.inner_text("#finding-id") == finding.id
    assert page.inner_text("#finding-message") == finding.message
    assert page.inner_text("#finding-rule") == finding.rule
    assert page.inner_text("#finding-subject") == f"{finding.subject.kind} {finding.subject.id}"
    assert page.inner_text("#finding-evaluation").startswith(f"{evaluation} ·")
    assert store.evaluation(evaluation).chain in page.inner_text("#finding-evaluation")
    quoted = [" ".join(t.split()) for t in page.locator("blockquote.quote").all_inner_texts()]
    assert quoted == [" ".join(c.text.split()) for c in finding.clauses]
    assert page.locator(".clause-number").all_inner_texts() == [c.number for c in finding.clauses]
    for name, use in finding.parameters.items():
        assert name in page.inner_text("table.parameters")
        assert use.source in page.inner_text("table.parameters")

    [fact_id] = finding.facts
    fact = store.facts([fact_id])[fact_id]
    item = page.locator(f'li.fact[data-fact="{fact_id}"]')
    assert item.locator(".field-alert").inner_text() == fact["alert"]
    assert item.locator(".field-employee").inner_text() == fact["employee"]
    assert item.locator(".source-file").inner_text() == fact["source"]["file"]
    photo = item.locator("img.evidence-photo")
    assert photo.evaluate("img => img.complete && img.naturalWidth") == 64  # the photo loaded, from the report
    clip = item.locator(".evidence-video a.evidence-link")
    assert clip.get_attribute("href") == "../evidence/clip-1.avi"
    item.locator("a.evidence-link").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/evidence/snap-1.jpg")
    assert all(r.startswith("file://") for r in requests), [r for r in requests if not r.startswith("file://")]

    # the vendor's photo is a URL: linked, said to need a network, not loaded
    [(_, yawn)] = [v for v in stored.values() if v[1].rule == "fatigue.camera-yawn-action1"]
    page.goto((tmp_path / "report" / "finding" / f"{yawn.id}.html").as_uri())
    external = page.locator("a.external")
    assert external.get_attribute("href") == "https://vendor.example/alarm/1.jpg"
    assert page.locator(".source-row").inner_text() == "7"
    assert all(r.startswith("file://") for r in requests)

    # the next-day repeat leads through both nights' forms, with their rows
    [(_, repeat)] = [v for v in stored.values() if v[1].rule == "fatigue.sleep-under-4h-repeated"]
    page.goto((tmp_path / "report" / "finding" / f"{repeat.id}.html").as_uri())
    assert sorted(page.locator(".source-row").all_inner_texts()) == ["4", "9"]
    page.close()


def test_the_report_prints_on_a4(site, browser):
    url, evidence, tmp_path = site
    code, out, _ = cli("report", "audit", "--store", url, "--out", str(tmp_path / "report"), "--lang", "en")
    page = browser.new_page()
    page.goto(Path(out.strip()).as_uri())
    assert page.locator("h2").first.inner_text() == "1. Findings by subject"
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 5  # a chapter per page at least
    media = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert media and abs(float(media[1]) - 595.3) < 1 and abs(float(media[2]) - 841.9) < 1.5  # A4 in points
    page.close()


def test_the_obligations_section_groups_by_accountable_role(site):
    url, _, tmp_path = site
    from patuh.models import Obligation, PackRef, Result

    store = Store(url)
    engine = patuh.Engine(["fatigue"])
    [(_, finding)] = [v for v in store.findings() if v[1].rule == "fatigue.sleep-under-4h-repeated"]
    base = dict(finding=finding.id, rule=finding.rule, pack=PackRef(name="fatigue", version="0.2.0", hash="h"),
                clauses=finding.clauses, subject=finding.subject, accountable=["Superintendent"])
    with store.writing() as w:
        w.record(Result(obligations=[Obligation(id="O-1", what="usulkan sanksi", status="overdue", **base),
                                     Obligation(id="O-2", what="coaching", status="done", **base)]),
                 engine.recording({}, {}, "test"), "test")
    report = AuditReport(store, run_pack_tests=False)
    by_role = dict(report.obligations_by_role())  # the site's own (confirmations owed ...) beside these
    assert [o.id for _, o in by_role["Superintendent"]] == ["O-1"]
    html = report.index()
    assert "usulkan sanksi" in html and "coaching" not in html.split('id="obligations"')[1].split("</section>")[0]
    page = report.finding_page([r for r in report.rows if r.finding.id == finding.id][0])
    assert "usulkan sanksi" in page and json.dumps("terlambat")[1:-1] in page
