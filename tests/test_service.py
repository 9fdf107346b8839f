"""`patuh serve`: the HTTP service, in process (FastAPI's TestClient) and as a real server on a
local port (server-sent events). Tokens and roles; bad bodies refused with the record named and
nothing stored; one evaluation path with the CLI."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import httpx
import patuh
import pytest
from conftest import cli
from fastapi.testclient import TestClient
from patuh.service import create_app, load_tokens
from patuh.store import Store

WRITE, READ, ADMIN = "write-token-0123456789", "read-token-0123456789", "admin-token-0123456789"


def alert(time: str, employee: str = "E1", kind: str = "warning_level_2", **extra) -> dict:
    return {"type": "camera_alert", "employee": employee, "unit": "DT-1", "alert": kind, "time": time,
            "camera_sn": "SN-1", "evidence": "a.jpg", **extra}


@pytest.fixture
def tokens(tmp_path):
    path = tmp_path / "tokens.yaml"
    path.write_text(f"""tokens:
  - {{name: dispatch, role: write, token: "{WRITE}"}}
  - {{name: auditor, role: read, sha256: "{__import__('hashlib').sha256(READ.encode()).hexdigest()}"}}
  - {{name: root, role: admin, token: "{ADMIN}"}}
""", encoding="utf-8")
    return path


@pytest.fixture
def service(tmp_path, tokens):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    app = create_app(url, ["fatigue"], tokens=load_tokens(tokens), max_body=20_000, evidence=[tmp_path])
    with TestClient(app) as client:
        yield client, url


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_post_facts_returns_the_findings_and_records_them(service):
    client, url = service
    first = client.post("/facts", json=alert("2026-03-02T06:00:00+08:00"), headers=auth(WRITE))
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["evaluation"] == 1 and body["facts"] == 1
    # the alert owes its confirmation (6.3.2.2) within 2 h, and its week a summary (6.5.3)
    assert sorted((o["rule"], o["action"], o["status"]) for o in body["obligations"]) == [
        ("fatigue.alert-confirmation-owed", "confirmation", "open"), ("fatigue.weekly-summary", "summary", "open")]
    assert [f["rule"] for f in body["findings"]] == ["fatigue.camera-wl2-action1"]
    # JSONL, the repeat within the window: the store's history makes it Action 2
    lines = json.dumps(alert("2026-03-02T06:30:00+08:00")) + "\n" + json.dumps(alert("2026-03-02T06:40:00+08:00",
                                                                                      "E2")) + "\n"
    second = client.post("/facts", content=lines, headers={**auth(WRITE), "Content-Type": "application/x-ndjson"})
    assert second.status_code == 201, second.text
    assert sorted(f["rule"] for f in second.json()["findings"]) == ["fatigue.camera-wl2-action1",
                                                                     "fatigue.camera-wl2-action2"]
    # what the CLI records of the same facts is judged the same way: one path
    store = Store(url)
    assert [e.origin for e in store.evaluations()] == ["service:dispatch", "service:dispatch"]
    [fact] = [f for f in store.facts_of(2) if f["employee"] == "E2"]
    assert fact["source"] == {"detector": "http", "by": "dispatch", "row": 2}

    found = client.get("/findings", headers=auth(READ)).json()
    assert sorted((f["evaluation"], f["finding"]["rule"]) for f in found) == [
        (1, "fatigue.camera-wl2-action1"), (2, "fatigue.camera-wl2-action1"), (2, "fatigue.camera-wl2-action2")]
    assert len(client.get("/findings", params={"subject": "E2"}, headers=auth(READ)).json()) == 1
    assert len(client.get("/findings", params={"after": 1}, headers=auth(READ)).json()) == 2
    [repeat] = [f["finding"]["id"] for f in found if f["finding"]["rule"].endswith("action2")]
    one = client.get(f"/findings/{repeat}", headers=auth(READ)).json()
    assert one["evaluation"] == 2
    assert sorted(f["time"] for f in one["facts"].values()) == ["2026-03-02T06:00:00+08:00",
                                                                "2026-03-02T06:30:00+08:00"]  # the first from history
    assert client.get("/findings/F-nope", headers=auth(READ)).status_code == 404
    evaluations = client.get("/evaluations", headers=auth(READ)).json()
    assert [e["id"] for e in evaluations] == [1, 2] and evaluations[1]["previous"] == evaluations[0]["chain"]
    assert client.get("/evaluations/2", headers=auth(READ)).json()["packs"][0]["name"] == "fatigue"
    assert client.get("/evaluations/9", headers=auth(READ)).status_code == 404
    owed = client.get("/obligations", headers=auth(READ)).json()  # each as last recorded
    assert sorted((o["obligation"]["rule"], o["obligation"]["status"]) for o in owed) == [
        ("fatigue.alert-confirmation-owed", "open")] * 3 + [("fatigue.weekly-summary", "open")]
    assert client.get("/verify", headers=auth(ADMIN)).json() == {"evaluations": 2, "intact": True, "altered": []}


def test_tokens_and_roles(service, tmp_path):
    client, url = service
    facts = alert("2026-03-02T06:00:00+08:00")
    assert client.post("/facts", json=facts).status_code == 401  # no anonymous write
    assert client.get("/findings").status_code == 401
    assert client.post("/facts", json=facts, headers=auth("guess-0123456789abc")).status_code == 401
    refused = client.post("/facts", json=facts, headers=auth(READ))
    assert refused.status_code == 403 and refused.json()["detail"] == ("token 'auditor' has the role read; this "
                                                                      "needs write")
    assert client.get("/verify", headers=auth(WRITE)).status_code == 403
    assert Store(url).last_evaluation() == 0
    # tokens kept in the store: by the CLI, or by an admin over HTTP
    code, token, _ = cli("store", "token", "add", "site-app", "--role", "write", "--store", url)
    assert code == 0
    assert client.post("/facts", json=facts, headers=auth(token.strip())).status_code == 201
    made = client.post("/tokens", params={"name": "viewer", "role": "read"}, headers=auth(ADMIN))
    assert made.status_code == 201
    assert client.get("/findings", headers=auth(made.json()["token"])).status_code == 200
    assert client.delete("/tokens/viewer", headers=auth(ADMIN)).status_code == 204
    assert client.get("/findings", headers=auth(made.json()["token"])).status_code == 401
    assert "site-app" in {n for n, _ in Store(url).tokens().values()}


def test_bad_bodies_name_the_record_and_store_nothing(service):
    client, url = service
    post = lambda content, kind="application/json": client.post(  # noqa: E731
        "/facts", content=content, headers={**auth(WRITE), "Content-Type": kind})
    bad = post('[{"type": "camera_alert", "employee": "E1",}]')
    assert bad.status_code == 400
    assert bad.json()["detail"]["problems"] == ["request:1:44: invalid JSON: Expecting property name enclosed in "
                                                "double quotes"]
    lines = json.dumps(alert("2026-03-02T06:00:00+08:00")) + "\n{oops\n"
    bad = post(lines, "application/x-ndjson")
    assert bad.status_code == 400 and bad.json()["detail"]["problems"][0].startswith("request:2:2: invalid JSON")
    unknown = post(json.dumps([alert("2026-03-02T06:00:00+08:00"), {"type": "camera_alarm", "employee": "E1"},
                               alert("2026-03-02T06:01:00+08:00", kind="sleepy")]))
    assert unknown.status_code == 422
    problems = unknown.json()["detail"]["problems"]
    assert problems[0].startswith("request record 2: unknown fact type 'camera_alarm'")
    assert problems[1].startswith("request record 3: ") and "sleepy" in problems[1]
    assert unknown.json()["detail"]["message"] == "2 record(s) refused; nothing was stored"
    big = post(json.dumps([alert(f"2026-03-02T06:{i % 60:02d}:00+08:00") for i in range(200)]))
    assert big.status_code == 413 and "at most 20,000 are taken" in big.json()["detail"]
    assert post("").status_code == 400 and post("").json()["detail"] == "request: no facts in the body"
    assert post(b"\xff\xfe[]").status_code == 400
    assert Store(url).last_evaluation() == 0
    assert client.post("/facts", json=alert("2026-03-02T06:00:00+08:00", id="A-1"), headers=auth(WRITE)).status_code \
        == 201
    conflict = client.post("/facts", json=alert("2026-03-02T06:05:00+08:00", id="A-1"), headers=auth(WRITE))
    assert conflict.status_code == 409 and "fact A-1: the store already holds a fact with this id" in \
        conflict.json()["detail"]
    assert Store(url).last_evaluation() == 1


def test_openapi_and_report_pages(service, tmp_path):
    client, _ = service
    spec = client.get("/openapi.json").json()
    assert {"/facts", "/findings", "/obligations", "/evaluations", "/events", "/report/"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    (tmp_path / "a.jpg").write_bytes(b"\xff\xd8\xff\xe0 a photo")
    posted = client.post("/facts", json=alert("2026-03-02T06:00:00+08:00"), headers=auth(WRITE)).json()
    assert client.get("/report/").status_code == 401
    index = client.get("/report/", headers=auth(READ))
    assert index.status_code == 200 and "Temuan per subjek" in index.text
    finding = posted["findings"][0]["id"]
    assert f'href="finding/{finding}.html"' in index.text
    assert "Findings by subject" in client.get("/report/", params={"lang": "en"}, headers=auth(READ)).text
    page = client.get(f"/report/finding/{finding}.html", headers=auth(READ))
    assert page.status_code == 200 and posted["findings"][0]["message"] in page.text
    assert 'src="../evidence/a.jpg"' in page.text
    assert client.get("/report/evidence/a.jpg", headers=auth(READ)).content == b"\xff\xd8\xff\xe0 a photo"
    assert client.get("/report/style.css").headers["content-type"].startswith("text/css")
    assert client.get("/report/", params={"from": "March"}, headers=auth(READ)).status_code == 422


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_real_server_streams_new_findings(tmp_path, tokens):
    """`patuh serve` on a local port: a dispatcher's event stream sees the repeated Warning Level
    2 the moment the webhook posts it; a CLI evaluation into the same store shows there too."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "patuh.cli", "serve", "--store", url, "--pack", "fatigue",
                               "--tokens", str(tokens), "--port", str(port)], stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail(f"the server did not start: {server.stderr.read()}")
        with httpx.Client(base_url=base, headers=auth(READ), timeout=30) as reader, \
                reader.stream("GET", "/events", params={"max_events": 3}) as events:
            assert events.headers["content-type"].startswith("text/event-stream")
            lines = events.iter_lines()
            assert next(lines) == ": patuh findings"
            posted = []
            for minute in ("00", "20"):
                done = httpx.post(base + "/facts", json=alert(f"2026-03-02T06:{minute}:00+08:00"),
                                  headers=auth(WRITE), timeout=30)
                assert done.status_code == 201
                posted += [f["id"] for f in done.json()["findings"]]
            facts = tmp_path / "alerts.jsonl"
            facts.write_text(json.dumps(alert("2026-03-02T09:00:00+08:00", "E7")) + "\n", encoding="utf-8")
            code, _, err = cli("eval", "--facts", str(facts), "--pack", "fatigue", "--store", url)
            assert code == 0, err
            received = []
            for line in lines:
                if line.startswith("data: "):
                    received.append(json.loads(line[6:]))
            assert [r["evaluation"] for r in received] == [1, 2, 3]
            assert [r["finding"]["id"] for r in received[:2]] == posted
            assert received[1]["finding"]["rule"] == "fatigue.camera-wl2-action2"
            assert received[2]["finding"]["subject"]["id"] == "E7"
    finally:
        server.terminate()
        server.wait(30)


def test_bad_tokens_files_and_ports(tmp_path):
    bad = tmp_path / "tokens.yaml"
    bad.write_text("tokens:\n  - {name: x, role: root, token: abcdefghijklmnopq}\n", encoding="utf-8")
    code, _, err = cli("serve", "--store", f"sqlite:///{tmp_path / 's.db'}", "--tokens", str(bad))
    assert code == 2 and err == f"error: {bad}:2:5: token x: role must be one of read, write, admin\n"
    bad.write_text("tokens:\n  - {name: x, role: read, token: short}\n", encoding="utf-8")
    code, _, err = cli("serve", "--store", f"sqlite:///{tmp_path / 's.db'}", "--tokens", str(bad))
    assert code == 2 and "give `token` (16 characters or more) or `sha256`" in err
    code, _, err = cli("serve", "--store", f"sqlite:///{tmp_path / 's.db'}", "--port", "70000")
    assert code == 2 and err == "error: --port: expected a port 1-65535, found 70000\n"
    assert patuh.Engine  # the service is built on the public engine
