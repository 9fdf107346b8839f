"""The store: evaluations recorded and read back as history, on SQLite and PostgreSQL (the
`store_url` fixture gives each test both); ids that name one content for ever; the hash chain and
`store verify`; `store replay`; one transaction per evaluation (kill -9 in the middle); writers
that never interleave."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import patuh
import pytest
import sqlalchemy as sa
from conftest import cli
from patuh.models import Obligation, PackRef, Result, Subject
from patuh.store import METADATA, HistorySpec, Recording, Store, StoreError

REPO = Path(__file__).resolve().parents[1]


def alert(employee: str, time: str, kind: str = "warning_level_1", **extra) -> dict:
    return {"type": "camera_alert", "employee": employee, "unit": "DT-1", "alert": kind, "time": time,
            "camera_sn": "SN-1", "evidence": "a.jpg", **extra}


def rules(result_or_findings) -> list[str]:
    findings = getattr(result_or_findings, "findings", result_or_findings)
    return sorted(f.rule for f in findings)


def test_history_comes_from_the_store(store_url):
    """"Again within 2 h" and "the next day" across evaluations, with no history given."""
    first = patuh.Engine(["fatigue"], store=store_url)
    assert rules(first.evaluate([alert("E1", "2026-03-02T06:00:00+08:00")])) == ["fatigue.camera-wl1-action1"]
    sleep = {"type": "readiness_form", "employee": "E2", "shift": "I", "fit": True}
    first.evaluate([{**sleep, "date": "2026-03-02", "sleep_hours": 3}])

    again = patuh.Engine(["fatigue"], store=store_url)  # another process, the next day: only the store
    result = again.evaluate([alert("E1", "2026-03-02T07:30:00+08:00"), {**sleep, "date": "2026-03-03",
                                                                        "sleep_hours": 3.5}])
    # Now is the latest time the facts give (the 3rd, from the form): both alerts are past the 2 h
    # their confirmation was due in, the first one's alert read from the store.
    assert rules(result) == ["fatigue.alert-confirmation-owed.confirmation-overdue"] * 2 + [
        "fatigue.camera-wl1-action2", "fatigue.sleep-under-4h", "fatigue.sleep-under-4h-repeated"]
    assert result.trace.facts_history >= 2

    store = Store(store_url)
    assert [e.id for e in store.evaluations()] == [1, 2, 3]
    assert [e.findings for e in store.evaluations()] == [1, 1, 5]
    stored = store.findings()
    assert sorted(f.rule for _, f in stored) == sorted(
        ["fatigue.camera-wl1-action1", "fatigue.sleep-under-4h", "fatigue.camera-wl1-action2",
         "fatigue.sleep-under-4h", "fatigue.sleep-under-4h-repeated"]
        + ["fatigue.alert-confirmation-owed.confirmation-overdue"] * 2)
    assert {f.id: f for _, f in stored} == {f.id: f for f in [*result.findings, *[f for _, f in stored]]}
    assert store.verify() == (3, [])
    # another employee's facts are not read as history (the pack partitions by employee); what
    # belongs to no employee is: the week of the earlier alerts, whose summary is owed (6.5.3)
    other = again.evaluate([alert("E9", "2026-03-02T07:31:00+08:00")])
    assert other.trace.facts_history == 1
    [week] = [o for o in other.obligations if o.rule == "fatigue.weekly-summary"]
    assert week.due == dt.date(2026, 3, 10)


def test_what_an_evaluation_records(store_url):
    engine = patuh.Engine(["fatigue"], config={"parameters": {"fatigue": {"repeat_window_wl1_h": 3}}}, store=store_url)
    given = alert("E1", "2026-03-02T06:00:00+08:00", source={"detector": "alerts", "file": "alarm.csv", "row": 7})
    recorded = engine.record([given], origin="test")
    store = Store(store_url)
    [evaluation] = store.evaluations()
    assert (evaluation.id, evaluation.origin, evaluation.facts_in) == (recorded.id, "test", 1)
    assert evaluation.config["parameters"] == {"fatigue": {"repeat_window_wl1_h": 3}}
    assert evaluation.chain == recorded.chain and evaluation.previous == ""
    [fact] = store.facts_of(1)
    assert fact["source"] == {"detector": "alerts", "file": "alarm.csv", "row": 7}
    assert fact["time"] == "2026-03-02T06:00:00+08:00"
    [pack] = store.packs_of(1)
    assert (pack["name"], pack["hash"]) == ("fatigue", engine.packs[0].hash)
    with store.reading() as c:
        params = {r.name: json.loads(r.body) for r in c.execute(sa.select(sa.table("parameters", sa.column("name"),
                                                                                    sa.column("body"))))}
    assert params["repeat_window_wl1_h"]["value"] == 3 and params["repeat_window_wl1_h"]["source"] == "config"
    assert params["sleep_min_h" if "sleep_min_h" in params else next(iter(params))]["source"]


def test_json_made_as_it_is_written_records_the_evaluation_too(store_url):
    engine = patuh.Engine(["fatigue"], store=store_url)
    shown = json.loads(b"".join(engine.evaluate_json([alert("E1", "2026-03-02T06:00:00+08:00")])))
    [evaluation] = Store(store_url).evaluations()
    assert [f["rule"] for f in shown["findings"]] == ["fatigue.camera-wl1-action1"]
    assert (evaluation.facts_in, evaluation.findings) == (1, 1)


def test_a_stored_id_names_one_content(store_url, tmp_path):
    engine = patuh.Engine(["fatigue"], store=store_url)
    engine.evaluate([alert("E1", "2026-03-02T06:00:00+08:00", id="A-1")])
    engine.evaluate([alert("E1", "2026-03-02T06:00:00+08:00", id="A-1")])  # the same fact again: fine
    with pytest.raises(StoreError, match="fact A-1: the store already holds a fact with this id and other content"):
        engine.evaluate([alert("E1", "2026-03-02T06:05:00+08:00", id="A-1")])
    assert len(Store(store_url).evaluations()) == 2
    facts = tmp_path / "facts.jsonl"
    facts.write_text(json.dumps(alert("E1", "2026-03-02T06:09:00+08:00", id="A-1")) + "\n", encoding="utf-8")
    code, out, err = cli("eval", "--facts", str(facts), "--pack", "fatigue", "--store", store_url)
    assert code == 2 and out == ""
    assert err.startswith("error: fact A-1: the store already holds a fact with this id and other content "
                          "(given in evaluation 1)")
    assert len(Store(store_url).evaluations()) == 2


def test_cli_records_verifies_lists_and_replays(store_url, tmp_path):
    facts = tmp_path / "alerts.jsonl"
    facts.write_text("".join(json.dumps(alert("E1", f"2026-03-02T0{6 + i}:00:00+08:00")) + "\n" for i in range(3)),
                     encoding="utf-8")
    code, out, err = cli("eval", "--facts", str(facts), "--pack", "fatigue", "--store", store_url, "--format", "json")
    assert code == 0, err
    assert f"recorded as evaluation 1 in {Store(store_url).display}" in err
    assert len(json.loads(out)["findings"]) == 3
    code, out, err = cli("store", "list", "--store", store_url)
    assert code == 0 and out.splitlines()[1].split()[:2] == ["1", out.splitlines()[1].split()[1]]
    code, out, _ = cli("store", "verify", store_url)
    assert code == 0 and "1 evaluations, every record matches its hash and the chain is intact" in out
    code, out, _ = cli("store", "replay", "1", "--store", store_url)
    assert code == 0, out
    assert "findings then 3, now 3: 3 the same, 0 changed, 0 gone, 0 new" in out
    assert out.endswith("today's packs judge it the same\n")
    assert "installed today, the same content" in out


def test_replay_shows_what_a_changed_pack_judges_otherwise(store_url, tmp_path):
    engine = patuh.Engine(["fatigue"], store=store_url)
    engine.evaluate([alert("E1", "2026-03-02T06:00:00+08:00"), alert("E1", "2026-03-02T07:30:00+08:00")])
    changed = tmp_path / "fatigue"
    shutil.copytree(engine.packs[0].path, changed)
    params = changed / "parameters.yaml"
    text = params.read_text(encoding="utf-8")
    assert "repeat_window_wl1_h:" in text
    params.write_text(text.replace("repeat_window_wl1_h:\n    value: 2", "repeat_window_wl1_h:\n    value: 1", 1),
                      encoding="utf-8")
    code, out, _ = cli("store", "replay", "1", "--store", store_url, "--pack", str(changed))
    assert code == 1, out
    assert "installed today with other content" in out
    assert "gone" in out and "fatigue.camera-wl1-action2" in out and "new" in out
    assert out.endswith("today's packs judge it differently\n")


def test_verify_names_the_altered_record(store_url):
    engine = patuh.Engine(["fatigue"], store=store_url)
    for i in range(3):
        engine.evaluate([alert("E1", f"2026-03-02T0{6 + i}:30:00+08:00")])
    store = Store(store_url)
    assert store.verify() == (3, [])
    [(_, finding)] = store.findings(evaluation=2)
    with store.engine.begin() as c:
        c.execute(sa.text("UPDATE findings SET body = replace(body, 'Action 2', 'Action 1') WHERE id = :id"),
                  {"id": finding.id})
    code, out, _ = cli("store", "verify", store_url)
    assert code == 1
    assert out == f"altered: evaluation 2: finding {finding.id}: its content does not match the hash recorded with it\n"

    # the row's hash recomputed too: the evaluation's digest no longer holds
    with store.engine.begin() as c:
        body = c.execute(sa.text("SELECT body FROM findings WHERE id = :id"), {"id": finding.id}).scalar()
        import hashlib
        c.execute(sa.text("UPDATE findings SET hash = :h WHERE id = :id"),
                  {"h": hashlib.sha256(body.encode()).hexdigest(), "id": finding.id})
    _, altered = store.verify()
    assert [str(a) for a in altered] == ["evaluation 2: evaluation: its recorded rows or settings do not match its "
                                         "digest (a row added, removed or changed)"]

    # a fact's content, and an evaluation's column
    fact_id = store.facts_of(1)[0]["id"]
    with store.engine.begin() as c:
        c.execute(sa.text("UPDATE facts SET content = replace(content, 'E1', 'E2') WHERE id = :id"), {"id": fact_id})
        c.execute(sa.text("UPDATE evaluations SET facts_in = 5 WHERE id = 3"))
    altered = [str(a) for a in store.verify()[1]]
    assert f"evaluation 1: fact {fact_id}: its content does not match the hash recorded with it" in altered
    assert "evaluation 3: evaluation: its recorded rows or settings do not match its digest (a row added, removed " \
           "or changed)" in altered


def test_verify_finds_a_removed_row_and_a_broken_link(store_url):
    engine = patuh.Engine(["fatigue"], store=store_url)
    for i in range(3):
        engine.evaluate([alert("E1", f"2026-03-02T0{6 + i}:30:00+08:00")])
    store = Store(store_url)
    with store.engine.begin() as c:
        c.execute(sa.text("DELETE FROM findings WHERE evaluation_id = 1"))
        c.execute(sa.text("UPDATE evaluations SET previous = 'x' WHERE id = 3"))
    altered = [str(a) for a in store.verify()[1]]
    assert altered == [
        "evaluation 1: evaluation: its recorded rows or settings do not match its digest (a row added, removed or "
        "changed)",
        "evaluation 3: evaluation: its link to the previous evaluation is broken (an evaluation before it was altered "
        "or removed)",
        "evaluation 3: evaluation: its chain hash does not match"]


def test_the_migrations_make_the_schema_the_code_uses(store_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    store = Store(store_url)
    with store.engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c), METADATA)
    assert diff == []
    Store(store_url)  # opening again migrates nothing and changes nothing
    with store.engine.connect() as c:
        assert c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "v0001"


def test_obligations_are_recorded_at_each_status_change(store_url):
    """Result.obligations as the engine gives them: a row when an obligation is new or its
    status changed, none when it is unchanged; the latest is what the store reports."""
    engine = patuh.Engine(["fatigue"], store=store_url)
    base = dict(id="O-1", finding="F-1", rule="fatigue.x", pack=PackRef(name="fatigue", version="0", hash="h"),
                clauses=[], subject=Subject(kind="employee", id="E1"), what="interview", accountable=["Supervisor"])
    store = Store(store_url)
    for status in ("open", "open", "overdue", "late"):
        with store.writing() as w:
            result = Result(obligations=[Obligation(**base, status=status)])
            w.record(result, engine.recording({}, {}, "test"), "test")
    assert [(e, o.status) for e, o in store.obligation_history("O-1")] == [(1, "open"), (3, "overdue"), (4, "late")]
    assert [(e, o.status) for e, o in store.obligations()] == [(4, "late")]
    assert store.obligations(status=["open", "overdue"]) == []
    assert store.verify() == (4, [])


def test_bad_store_urls_are_one_error_line(tmp_path):
    code, _, err = cli("store", "verify", "mysql://x")
    assert code == 2 and err == ("error: mysql://x: expected a store URL: sqlite:///path.db or "
                                 "postgresql://user@host/db\n")
    code, _, err = cli("store", "verify", f"sqlite:///{tmp_path}/missing/s.db")
    assert code == 2 and "does not exist" in err
    code, _, err = cli("store", "verify", "postgresql://nobody@127.0.0.1:9/none")
    assert code == 2 and err.startswith("error: postgresql://nobody@127.0.0.1:9/none: cannot use the store: ")
    code, _, err = cli("store", "replay", "7", "--store", f"sqlite:///{tmp_path}/s.db")
    assert code == 2 and err == "error: evaluation 7: no such evaluation in the store (it holds 0)\n"


# -- one transaction per evaluation ----------------------------------------------------------------------------------
CHILD = textwrap.dedent("""
    import sys, time
    import patuh.store
    from patuh.cli import main

    record = patuh.store.Writer.record

    def pause(self, *args):  # every row of the evaluation is written, nothing committed
        recorded = record(self, *args)
        print("written", recorded.id, flush=True)
        time.sleep(120)

    patuh.store.Writer.record = pause
    sys.exit(main(["eval", "--facts", sys.argv[2], "--pack", "fatigue", "--store", sys.argv[1]]))
""")


def test_kill_9_in_the_middle_leaves_the_store_as_it_was(store_url, tmp_path):
    engine = patuh.Engine(["fatigue"], store=store_url)
    engine.evaluate([alert("E1", "2026-03-02T06:00:00+08:00")])
    store = Store(store_url)
    before = (store.evaluations(), store.findings())
    facts = tmp_path / "facts.jsonl"
    facts.write_text("".join(json.dumps(alert(f"E{i % 7}", f"2026-03-02T07:{i:02d}:00+08:00")) + "\n"
                             for i in range(50)), encoding="utf-8")
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    child = subprocess.Popen([sys.executable, str(script), store_url, str(facts)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line == "written 2\n", child.stderr.read()
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    assert child.returncode == -signal.SIGKILL
    after = Store(store_url)
    assert (after.evaluations(), after.findings()) == before
    assert after.verify() == (1, [])
    with after.reading() as c:
        assert c.execute(sa.text("SELECT count(*) FROM facts")).scalar() == 1
    # the store is usable at once: no lock is left behind
    code, _, err = cli("eval", "--facts", str(facts), "--pack", "fatigue", "--store", store_url)
    assert code == 0, err
    assert after.verify() == (2, [])


WRITER = textwrap.dedent("""
    import sys, time
    import patuh, patuh.store

    read = patuh.store.Writer.history

    def slow(self, *args):  # a writer that reads its history, then dawdles before it writes
        out = read(self, *args)
        time.sleep(0.02)
        return out

    patuh.store.Writer.history = slow
    engine = patuh.Engine(["fatigue"], store=sys.argv[1])
    for day in range(int(sys.argv[2]), 28, 2):
        # a form that derives nothing: each evaluation's history is exactly the forms stored before it
        engine.evaluate([{"type": "readiness_form", "employee": "E1", "date": f"2026-02-{day + 1:02d}", "shift": "I",
                          "sleep_hours": 8, "fit": True, "filled_at": f"2026-02-{day + 1:02d}T05:00:00+08:00"}])
""")


def test_two_writers_never_interleave_an_evaluation(store_url, tmp_path):
    """Two processes record evaluations of one employee at once: each evaluation must have read
    every fact committed before it (all are within the history window), so the k-th evaluation
    saw k - 1 facts of history, whichever process made it."""
    Store(store_url)  # migrated once before the race
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    writers = [subprocess.Popen([sys.executable, str(script), store_url, str(start)], stderr=subprocess.PIPE,
                                text=True) for start in (0, 1)]
    for writer in writers:
        _, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
    store = Store(store_url)
    evaluations = store.evaluations()
    assert len(evaluations) == 28
    # history and facts dated after the evaluation's own time (left out, and counted) together
    assert [e.facts_history + e.trace.get("facts_after_as_of", 0) for e in evaluations] == list(range(28))
    assert store.verify() == (28, [])


def test_history_spec_of_the_fatigue_pack():
    engine = patuh.Engine(["fatigue"])
    assert engine.history.key == "employee"
    assert "roster" in engine.history.shared and "camera_alert" not in engine.history.shared
    assert isinstance(engine.recording({}, {}, "x"), Recording)
    assert HistorySpec().as_json() == {"days": 31, "key": None, "shared": []}
