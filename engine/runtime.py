"""Sessions on durable_rules: the one module that imports it, so it could be replaced.

Each part of a compiled pack (its rules sharing a partition key) becomes one durable_rules
ruleset per process, named by pack, version and the hash of its definition (rulesets cannot be
freed, so they are never made per evaluation).
Each evaluation runs its facts in small sessions (`sid`s) whose state is deleted afterwards.
Actions are driven here, synchronously, from the C core's queue: no background thread, no
exception left behind in a session state, and every fact asserted is checked to be accepted.
"""
from __future__ import annotations

import itertools
import json
import os
import re
import threading
from typing import Any, Protocol

import durable_rules_engine as core
import orjson

from . import limits
from .compiler import END, EVALUATION, FID, SESSION, START, CompiledPack, Part, Unjudged, agg_alias
from .counts import Groups
from .pack import Rule
from .problems import EngineError, SourceError

_handles: dict[str, int] = {}  # ruleset name -> handle; content-addressed, so safe to share
_lock = threading.Lock()
# durable_rules' C core keeps shared pools per ruleset and is not thread-safe: a host app may
# evaluate from several threads, so sessions run one at a time in a process.
_running = threading.Lock()


def _unlocked_in_child() -> None:
    """A forked worker starts with this module's locks free: another thread of the parent may
    have held one at the fork, and no thread of the child will ever release it."""
    global _lock, _running
    _lock, _running = threading.Lock(), threading.Lock()


os.register_at_fork(after_in_child=_unlocked_in_child)
_sids = itertools.count(1)

# main-rule match -> derived facts (already encoded) to assert into the same session
class Handler(Protocol):
    """What a session tells of its matches (result.Consequences)."""

    def on_match(self, rule: Rule, frame: dict[str, Any]) -> list[dict[str, Any]]:
        """A main rule matched: the facts it derives (encoded), to assert into the session."""

    def on_unjudged(self, role: Unjudged, frame: dict[str, Any]) -> None:
        """A fact the rule would judge lacks what it needs."""


class DerivationRunaway(SourceError):
    """Rules that keep deriving new facts: the run is stopped at a bound (limits.MAX_ROUNDS,
    DERIVED_PER_FACT), naming them, instead of running until memory or dates run out."""


# durable_rules' JSON reader takes an exponent only after a fraction (json.c, getNumber): "1e-05",
# as Python writes 0.00001, stops its reading of that fact and of every later one in the batch,
# silently (result code 0), and a rule reading such a field has crashed the process. Written
# "1.0e-05" it reads the same number. Only text holding a digit-exponent pair is re-scanned.
_EXPONENT = re.compile(r"\d[eE][-+]?\d")
_TOKEN = re.compile(r'("(?:[^"\\]|\\.)*")|(?<![\d.])(-?\d+)([eE][-+]?\d+)')


def core_json(value: object) -> str:
    """JSON text that durable_rules' reader takes as Python's json module meant it."""
    text = json.dumps(value, ensure_ascii=False)
    if _EXPONENT.search(text):
        text = _TOKEN.sub(lambda m: m.group(1) or f"{m.group(2)}.0{m.group(3)}", text)
    return text


def batch_json(facts: list[dict[str, Any]]) -> str:
    """A batch's JSON for durable_rules. orjson writes it in one call, ten times faster than json;
    a number Python would write with an exponent shows in orjson's text as an exponent with its
    sign ("1e+20") or as a fraction under 1e-4 ("0.000015"), and a fact holding such text goes
    through core_json instead. Content ids hold hex digits ("4e1"): the scan of every batch for
    exponents was a quarter of the time."""
    text = orjson.dumps(facts).decode()
    if not _suspect(text):
        return text
    return "[" + ",".join(core_json(f) if _suspect(one := orjson.dumps(f).decode()) else one for f in facts) + "]"


def _suspect(text: str) -> bool:
    return "e+" in text or "e-" in text or "0.0000" in text


def _handle(part: Part) -> int:
    with _lock:
        handle = _handles.get(part.name)
        if handle is None:
            handle = core.create_ruleset(part.name, core_json(part.definition))
            _handles[part.name] = handle
        return handle


class Session:
    """One durable_rules state: assert, let every action run, compute counts stage by stage."""

    def __init__(self, compiled: CompiledPack, part: Part, handler: Handler):
        self.compiled, self.part = compiled, part
        self.handle = _handle(part)
        self.sid = f"s{next(_sids)}"
        self.on_match, self.on_unjudged = handler.on_match, handler.on_unjudged
        self.groups = Groups()
        self.asserted = 0  # durable_rules ids in this session: "0", "1", ...
        self.present: dict[str, dict[str, Any]] = {}  # fid -> the encoding asserted in this session
        self.kept: dict[str, list[dict[str, Any]]] = {t: [] for t in part.kept}  # for Keyed counts, by type
        self.pending: list[dict[str, Any]] = []  # facts derived by the actions being run, asserted after them
        self.deriving: set[str] = set()  # the rules that derived the pending facts
        self.batches = self.ends = 0  # asserts made, and their end markers seen (see _assert)
        self.given = self.derived = 0

    def run(self, facts: list[dict[str, Any]]) -> None:
        with _running:
            self._run(facts)

    def _run(self, facts: list[dict[str, Any]]) -> None:
        self.given = len(facts)
        early, unasserted = self.part.early, self.part.unasserted
        # one pass: three over a session's facts were 3 % of it
        first: list[dict[str, Any]] = [dict(SESSION)]
        rest: list[dict[str, Any]] = []
        kept: list[dict[str, Any]] = []
        for fact in facts:
            kind = fact["type"]
            (first if kind in early else kept if kind in unasserted else rest).append(fact)
        self._assert(first)
        self._assert(rest)
        self._keep(kept)
        self._filtered(facts)
        by_level: dict[int, list[Rule]] = {}
        for rule_id in self.part.rules:
            if self.compiled.counts[rule_id]:
                by_level.setdefault(self.compiled.levels[rule_id], []).append(self.compiled.rules[rule_id])
        for level in sorted(by_level):
            for rule in by_level[level]:  # every fact they count is in by now: earlier levels derive them
                for index, spec in self.compiled.keyed.get(rule.id, {}).items():
                    self.groups.group(rule, index, spec, self.kept[spec.type], self.present)
            self._assert(self.groups.aggregates(by_level[level], self.compiled.counts, self.compiled.aggregates,
                                                self.present))
        # Deleted only after success: deleting a state whose assert failed has aborted the
        # process before the error could be reported; one leaked state is the lesser harm.
        core.delete_state(self.handle, self.sid)

    def _filtered(self, facts: list[dict[str, Any]]) -> None:
        """The rules judged in Python (patterns.Filter), on the facts given: their matches, as the
        core's would be, and what they derive, asserted for the core's rules (forward chaining)."""
        derived: list[dict[str, Any]] = []
        now = next((f for f in facts if f["type"] == EVALUATION), None)
        for fact in facts:
            for judged in self.part.filters.get(fact["type"], ()):
                if not judged.holds(fact, now):
                    continue
                if judged.unjudged is not None:
                    self.on_unjudged(judged.unjudged, {judged.alias: fact})
                else:
                    derived += self.on_match(judged.rule, {judged.alias: fact})
        if derived:
            self.derived += len(derived)
            self._assert(derived)

    def _keep(self, facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The facts not yet in the session, now in it (and kept by type for Keyed counts)."""
        facts = list({f["fid"]: f for f in facts if f["fid"] not in self.present}.values())
        self.present.update((f["fid"], f) for f in facts)
        for fact in facts:
            kept = self.kept.get(fact["type"])
            if kept is not None:
                kept.append(fact)
        return facts

    def _assert(self, facts: list[dict[str, Any]], drain: bool = True) -> int | None:
        """Assert facts into the session's state (and run what they trigger); its state handle.

        Each batch ends with a marker fact whose rule runs one action: durable_rules stops
        reading a batch at the first fact it cannot read and reports success for the rest, so
        a marker that never fires means facts were lost, which is an error, never a silence."""
        # A fact derived again (by another rule or match, or twice in one batch) is asserted once.
        facts = self._keep(facts)
        unasserted = self.part.unasserted
        facts = [f for f in facts if f["type"] not in unasserted]  # kept for Keyed counts alone
        if not facts:
            return None
        self.batches += 1
        facts.append({"type": END, "fid": f"#{END}:{self.batches}"})
        sid, first, reads = self.sid, self.asserted, self.part.reads
        self.asserted += len(facts)
        # Each fact projected to the fields the part's patterns read (about half of the employee
        # part's have no other field), after this session's sid and a durable_rules id ("0", "1",
        # ...): a new dict, as the encodings are shared by every session that asserts them.
        text = batch_json([{"sid": sid, "id": str(first + n)}
                           | (fact if fact.keys() <= reads else {k: v for k, v in fact.items() if k in reads})
                           for n, fact in enumerate(facts)])
        try:
            asserted: tuple[int, int] = core.assert_facts(self.handle, text)  # (result code, state)
            code, state = asserted
        except core.error as exc:  # e.g. 311: a join read a field a fact lacks (compiler prevents it)
            raise EngineError(f"durable_rules stopped on {len(facts) - 1} facts in session {self.sid} of "
                              f"{self.part.name}: {exc}; no finding of this evaluation can be trusted") from None
        if code != 0:
            raise EngineError(
                f"durable_rules rejected {'a fact' if len(facts) == 2 else 'one of ' + str(len(facts) - 1) + ' facts'} "
                f"in session {self.sid} of {self.part.name} (result code {code}); "
                "durable_rules lost track of a fact, and no finding of this evaluation can be trusted")
        if drain:
            self._drain(state)
            if self.ends != self.batches:
                raise EngineError(
                    f"durable_rules did not read every fact given to session {self.sid} of {self.part.name}: "
                    f"{self.batches - self.ends} of {self.batches} batches stopped early (a fact it could not read, "
                    "and those after it, were lost); no finding of this evaluation can be trusted")
        return state

    def _drain(self, state: int) -> None:
        # Until the state has no action left: completing one action does not always hand over
        # the next, and nothing else (no background dispatcher here) would pick it up. Facts
        # the actions derived go in together once the queue is empty (one assert, not one per
        # match), and their own actions run in the next turn of the loop (forward chaining).
        rounds = 0
        while True:
            while result := core.start_action_for_state(self.handle, state):
                self._run_actions(state, result)
            if not self.pending:
                return
            facts, self.pending = self.pending, []
            rounds += 1
            self.derived += len(facts)
            derived_max = max(limits.MIN_DERIVED, limits.DERIVED_PER_FACT * self.given)
            if rounds > limits.MAX_ROUNDS or self.derived > derived_max:
                self._runaway(rounds)
            self.deriving = set()
            state = self._assert(facts, drain=False) or state  # None: all were in the state already

    def _runaway(self, rounds: int) -> None:
        rules = sorted(self.deriving)
        first = self.compiled.rules[rules[0]]
        raise DerivationRunaway(first.at.where("then", "derive"), (
            f"{'rules' if len(rules) > 1 else 'rule'} {', '.join(rules)} {'keep' if len(rules) > 1 else 'keeps'} "
            f"deriving new facts: {self.derived:,} "
            f"facts in {rounds} rounds from {self.given:,} given (at most {limits.MAX_ROUNDS} rounds, "
            f"{limits.DERIVED_PER_FACT} derived facts per fact given); a derivation without end, stopped"))

    def _run_actions(self, state: int, result: tuple[str | None, str] | None) -> None:
        """Run a state's pending actions. `result` is durable_rules' (state, message) of the first,
        both JSON text; a message is an object of rule name -> the frame it matched."""
        while result:
            message = orjson.loads(result[1])
            try:
                for name, frame in message.items():
                    self._dispatch(name, frame)
            except BaseException:
                core.abandon_action(self.handle, state)
                raise
            following = core.complete_and_start_action(self.handle, state)
            result = (None, following) if following else None

    def _dispatch(self, name: str, frame: dict[str, Any]) -> None:
        if name == START:
            return
        if name == END:
            self.ends += 1
            return
        role = self.compiled.roles[name]
        if role.kind == "collect":
            self.groups.collect(role.rule, role.condition, frame)
        elif role.kind == "anchor":
            self.groups.anchor(role.rule, frame)
        elif role.kind == "unjudged":
            self.on_unjudged(role, frame)
        else:
            for count in self.compiled.counts[role.rule.id]:  # each aggregate whole, as counts made it
                alias = agg_alias(count.alias)
                frame[alias] = self.present[frame[alias][FID]]
            derived = self.on_match(role.rule, frame)
            if derived:
                self.pending += derived
                self.deriving.add(role.rule.id)
