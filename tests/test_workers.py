"""Sessions in worker processes and on a dask cluster give the result one process gives, byte for
byte (engine/workers.py): the same partition plan, each chunk's session replayed in order."""
from __future__ import annotations

import concurrent.futures
import json

import patuh
import pytest
from conftest import cli
from patuh.problems import FactsInvalid, SourceError

from benchmarks import generate


@pytest.fixture(scope="module")
def records():
    return generate.facts(1500)


@pytest.fixture(scope="module")
def engine():
    return patuh.Engine(["fatigue"], max_session_facts=100)  # many sessions from a small input


@pytest.fixture(scope="module")
def one(engine, records):
    return engine.evaluate(records).to_json()


def test_forked_workers_give_the_same_bytes(engine, records, one, monkeypatch):
    forked = []
    run_forked = patuh.api.run_forked
    monkeypatch.setattr(patuh.api, "run_forked", lambda *a: forked.append(a[2].name) or run_forked(*a))
    result = engine.evaluate(records, workers=2)
    assert len(forked) == len(engine.compiled[0].parts), "every part has sessions enough to fork"
    assert result.to_json() == one


def test_a_part_with_too_few_sessions_for_its_workers_runs_here(records, monkeypatch):
    # Forking costs about a session's time: a part runs in workers only when each gets three.
    engine = patuh.Engine(["fatigue"], max_session_facts=300)  # 1,500 records: five sessions at most a part
    forked = []
    monkeypatch.setattr(patuh.api, "run_forked", lambda *a: forked.append(a[2].name))
    result = engine.evaluate(records, workers=2)
    assert forked == [] and result.trace.sessions >= 2


def test_a_rejected_record_in_a_worker_is_bad_input_as_in_one_process(engine, records):
    # readiness_form is judged in worker processes; a rule's reject would be replayed here. The
    # fact checker's refusal comes before any session: the same error either way.
    bad = records + [{"type": "readiness_form", "employee": "K1", "date": "2024-02-30", "shift": "I"}]
    with pytest.raises(FactsInvalid) as one_process:
        engine.evaluate(bad)
    with pytest.raises(FactsInvalid) as two:
        engine.evaluate(bad, workers=2)
    assert str(two.value) == str(one_process.value)


def test_eval_workers_on_the_command_line(tmp_path, records):
    facts = tmp_path / "facts.jsonl"
    facts.write_text("".join(json.dumps(r) + "\n" for r in records[:400]))
    outputs = [cli("eval", "--pack", "fatigue", "--facts", str(facts), "--format", "json", "--workers", n)
               for n in ("1", "3")]
    assert outputs[0][0] == 0 and outputs[0] == outputs[1]
    code, out, err = cli("eval", "--pack", "fatigue", "--facts", str(facts), "--workers", "0")
    assert code == 2 and "--workers: expected a whole number of processes, at least 1; found '0'" in err


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as local:
        yield local.scheduler_address


def test_a_local_cluster_of_two_workers_gives_the_same_bytes(engine, records, one, cluster):
    assert engine.evaluate(records, cluster=cluster).to_json() == one


def test_eval_cluster_on_the_command_line(tmp_path, records, cluster):
    facts = tmp_path / "facts.jsonl"
    facts.write_text("".join(json.dumps(r) + "\n" for r in records[:300]))
    config = tmp_path / "site.yaml"  # the workers build their engine with the site's config too
    config.write_text("timezone: Asia/Makassar\nshifts: {I: {start: '06:00', end: '18:00'}, "
                      "II: {start: '18:00', end: '06:00'}}\n", encoding="utf-8")
    args = ["eval", "--pack", "fatigue", "--facts", str(facts), "--config", str(config), "--format", "json"]
    local = cli(*args, "--workers", "1")
    remote = cli(*args, "--cluster", cluster)
    assert local[0] == 0 and remote == local
    assert json.loads(local[1])["trace"]["timezone"] == "Asia/Makassar"


def test_an_engine_given_plugins_is_not_sent_to_a_cluster(records):
    engine = patuh.Engine(["fatigue"], plugins=[object()])
    with pytest.raises(SourceError, match="cannot be rebuilt on a cluster's workers"):
        engine.evaluate(records[:10], cluster="tcp://127.0.0.1:9")


def test_forked_workers_from_two_threads_at_once(engine, records, one):
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(engine.evaluate, records, workers=2) for _ in range(2)]
        assert [r.result(timeout=600).to_json() for r in runs] == [one, one]


def test_no_scheduler_at_the_address_is_one_error():
    with pytest.raises(SourceError, match="no dask scheduler answers there"):
        patuh.Engine(["fatigue"]).evaluate([], cluster="tcp://127.0.0.1:9")
