"""Sessions side by side: the chunks of one part share no fact, so they run in worker processes,
forked from the evaluating one (`patuh eval --workers N`) or as tasks on a dask cluster
(`--cluster ADDRESS`).

durable_rules' C core is not thread-safe, so the work goes to processes. A forked worker sees
the evaluation as it stood (facts, encodings, rulesets) without a copy; a cluster's worker is
sent the engine's packs and config once and each chunk's facts. Either way a worker records
what its session reported (each match with the values of the facts it derives, and each fact
that could not be judged), and the evaluating process replays those records in chunk order,
as if it had run the sessions itself: the result is the same, byte for byte, as with one
process. Findings, obligations and the result are made there, once.
"""
from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .compiler import CompiledPack, Part, Unjudged, fact_id
from .facts import FactTypes
from .pack import Rule
from .result import Checked, Consequences, Content, Match
from .runtime import Session


@dataclass
class ChunkLog:
    """What one chunk's session reported, in order: ("match", rule, binding, counts, derived) and
    ("lacks", rule, alias, binding); and the derived facts it checked, by content."""

    events: list[tuple[Any, ...]] = field(default_factory=list)
    checked: dict[Content, Checked] = field(default_factory=dict)


class Recorder:
    """The handler of a worker's session: computes what the evaluating process would (matches,
    derived values), keeps it in a ChunkLog, and gives the session the derived facts to assert."""

    def __init__(self, consequences: Consequences):
        self.consequences = consequences
        self.log = ChunkLog()

    def on_match(self, rule: Rule, frame: dict[str, Any]) -> list[dict[str, Any]]:
        match = self.consequences.match(rule, frame)
        derived = self.consequences.derived(match)
        self.log.events.append(("match", rule.id, match.binding, match.counts, derived))
        out = []
        for i, values in derived:
            fact, encoded = self.log.checked[self.consequences.content(rule.derive[i], values)] = \
                self.consequences.checked(rule, rule.derive[i], values)
            self.consequences.facts.setdefault(fact["id"], fact)  # read by later matches of the session
            out.append(dict(encoded))
        return out

    def on_unjudged(self, role: Unjudged, frame: dict[str, Any]) -> None:
        binding = {c.alias: fact_id(frame[c.alias]) for c in role.rule.facts if c.alias in frame}
        self.log.events.append(("lacks", role.rule.id, role.condition.alias, binding))


def replay(consequences: Consequences, log: ChunkLog) -> None:
    """A chunk's records into the evaluating process's consequences, as its session would have."""
    consequences.remember(log.checked)
    compiled = consequences.compiled
    for event in log.events:
        if event[0] == "match":
            _, rule_id, binding, counts, derived = event
            consequences.record(Match(compiled.rules[rule_id], binding, counts), derived)
        else:
            _, rule_id, alias, binding = event
            role = compiled.roles[f"{rule_id}~u:{alias}"]
            assert isinstance(role, Unjudged)
            consequences.lacks(role, binding)


# -- forked workers ------------------------------------------------------------------------------

# The chunks being run, set before the workers are forked: they inherit it, nothing is sent.
_forked: tuple[CompiledPack, Part, Consequences, list[list[dict[str, Any]]]] | None = None
_forking = threading.Lock()


def _run_forked(index: int) -> ChunkLog:
    assert _forked is not None
    compiled, part, consequences, chunks = _forked
    recorder = Recorder(consequences)
    Session(compiled, part, recorder).run(chunks[index])
    return recorder.log


def run_forked(workers: int, compiled: CompiledPack, part: Part, consequences: Consequences,
               chunks: list[list[dict[str, Any]]]) -> Iterator[ChunkLog]:
    """Each chunk's log, in chunk order, from `workers` processes forked now."""
    global _forked
    with _forking:  # one evaluation's workers at a time: they read _forked as it was at the fork
        _forked = (compiled, part, consequences, chunks)
        try:
            with multiprocessing.get_context("fork").Pool(min(workers, len(chunks))) as pool:
                yield from pool.imap(_run_forked, range(len(chunks)))
        finally:
            _forked = None


# -- a dask cluster ------------------------------------------------------------------------------

@dataclass(frozen=True)
class EngineSpec:
    """What a cluster's worker builds its engine from: the pack folders and the config's content
    (installed alike on every worker: the compiled rulesets' names, which hold the hash of their
    definitions, are checked to be the same)."""

    packs: tuple[str, ...]
    config: str | None  # the site config as JSON text
    max_session_facts: int


@dataclass
class ChunkTask:
    """One chunk, as a cluster's worker gets it: its facts (normalised and encoded), which of
    them are history, and the evaluation's time."""

    spec: EngineSpec
    compiled: int  # index into the engine's compiled packs
    part: int
    name: str  # the part's ruleset name, to check the worker's engine against
    facts: list[Checked]
    early: list[dict[str, Any]]  # facts asserted first (the evaluation time)
    historical: set[str]
    now: dt.datetime
    horizon: dt.datetime | None


def run_task(compiled: CompiledPack, types: FactTypes, task: ChunkTask) -> ChunkLog:
    """A chunk's session on a cluster's worker, with the worker's own engine's compiled pack."""
    part = compiled.parts[task.part]
    if part.name != task.name:
        raise RuntimeError(f"a cluster worker compiled {part.name} where the evaluation has {task.name}: "
                           "install the same packs and patuh on every worker")
    facts = {fact["id"]: fact for fact, _ in task.facts}
    consequences = Consequences(compiled, types, facts, set(task.historical), {}, task.now, task.horizon)
    recorder = Recorder(consequences)
    Session(compiled, part, recorder).run(task.early + [dict(encoded) for _, encoded in task.facts])
    return recorder.log


def run_cluster(client: Any, run: Any, tasks: list[ChunkTask]) -> Iterator[ChunkLog]:
    """Each chunk's log, in chunk order, from the cluster `client` is connected to; `run(task)` is
    what a worker calls (it builds the worker's engine, then run_task)."""
    futures = client.map(run, tasks, pure=False)
    try:
        for future in futures:
            yield future.result()
    finally:
        client.cancel(futures)
