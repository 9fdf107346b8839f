"""`patuh.Engine`: packs in, facts in, a typed, traced, deterministic result out.

    engine = patuh.Engine(["fatigue"], config="site.yaml")
    result = engine.evaluate(facts, history=last_week)
    for finding in result.findings: ...

An engine is built once: its packs are loaded, checked, planned and compiled (load → check →
plan → compiler); each evaluation then runs its facts in sessions of its own (runtime), deleted
afterwards, so two engines (or two calls) never see each other's facts. `fact_types` and
`parameters` are what detectors use to check records and read thresholds.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

from . import plugins as plugin_hooks
from .build import build
from .check import Known, check_pack, merge_declarations, shared_types
from .compiler import EVALUATION, CompiledPack, Part, compile_plan, evaluation_fact
from .config import Config, load_config, settle_parameters
from .facts import FactTypes, time_or_date
from .load import load_folder, load_folders
from .memory import collector_paused, heap_returned
from .models import Fact, Finding, Obligation, PackUse, ParameterUse, Result, Trace
from .pack import Pack
from .plan import plan as plan_pack
from .problems import FactError, FactsInvalid, PackInvalid, Problem, SourceError, Where
from .result import Consequences, Derived, Judgement, judgement
from .runtime import Session
from .store import DEFAULT_HISTORY_DAYS, HistorySpec, PackRecord, Recorded, Recording, Store
from .workers import ChunkLog, ChunkTask, EngineSpec, replay, run_cluster, run_forked, run_task

# Facts per durable_rules session. Measured (benchmarks/README.md): 1,000-2,000 is fastest for
# raw durable_rules and no slower for patuh than 5,000; larger states cost memory and joins. At
# 100k facts 1,000 is as fast as 2,000 (whole pack, three runs each: 8.9-9.8 s, 9.2-10.6 s), and
# the largest session, the peak at 2,000 (109 MB above the input), is 91 MB.
MAX_SESSION_FACTS = 1000

# A part is run in forked workers when each would get at least this many sessions: forking and
# replaying cost about a session's time (measured on 2 workers: 4,000 facts, two sessions a part,
# x0.83; 10,000 facts, five sessions, x0.93-0.98; 20,000, ten, x1.04).
FORK_FROM_SESSIONS = 3

# durable_rules holds each fact of a state in a node of about 8.8 KB (room for 255 properties),
# grown by half again as it fills: a 2,000-fact session's state is 20-40 MB, freed with it into
# the C heap, where Python's objects never reuse it (100k facts: 30 MB of a peak of 160). It is
# handed back to the system once a part whose largest session had at least this many facts is
# done: not after each session, nor after small ones, as the next session faults the pages in
# again (a one-alert evaluation ran 35 % slower trimmed each time; 2,000-fact sessions, 10 %).
# Half MAX_SESSION_FACTS: a session holds whole groups of the key, so the largest is often well under it.
HEAP_RETURNED_FROM = 500

# A fact as evaluate() takes it: a record, a Fact model, or (where, record) for error messages.
FactInput: TypeAlias = Fact | dict[str, Any] | tuple[Where, Any]
# Checked facts by id: (the fact, normalised; its engine encoding).
Checked: TypeAlias = dict[str, tuple[dict[str, Any], dict[str, Any]]]


class UnknownPack(SourceError):
    pass


@dataclass
class Installed:
    """The installed packs (built-in and plugins'), each folder loaded once and built if it can
    be: what a pack is checked against and what names resolve to."""

    folders: dict[str, list[Path]]  # pack name -> folders (several revisions may be installed)
    built: dict[Path, Pack]  # the folders whose files hold a pack (a broken one is said when linted)
    plugin_types: dict[str, dict[str, Any]]

    def known(self, extra: Iterable[Pack] = ()) -> Known:
        types = dict(self.plugin_types)
        parameters: dict[str, set[str]] = defaultdict(set)
        for pack in list(self.built.values()) + list(extra):
            merge_declarations(types, pack)
            parameters[pack.name].update(pack.parameters)
        for name in self.folders:
            parameters[name]  # noqa: B018 - an installed pack whose files are broken still has a name
        return Known(types, dict(parameters))


def installed(pm: Any) -> Installed:
    folders = plugin_hooks.pack_folders(pm)
    loaded, _ = load_folders(folders, tests=False)
    by_name: dict[str, list[Path]] = defaultdict(list)
    built: dict[Path, Pack] = {}
    for files in loaded:
        pack, problems = build(files)
        if pack is not None and not problems:
            built[files.folder] = pack
        by_name[files.name() or files.folder.name].append(files.folder)
    for folder in folders:  # a folder whose files cannot be read is known by its folder's name
        if not any(folder in fs for fs in by_name.values()):
            by_name[folder.name].append(folder)
    return Installed(dict(by_name), built, plugin_hooks.fact_declarations(pm))


def check_folders(folders: Sequence[Path | str], context: Installed, tests: bool = True) -> list[Pack]:
    """Load, build and check pack folders against the installed set: the packs, or every
    problem of every folder together (PackInvalid). An installed folder named as installed is
    not read again (its tests are, when asked for)."""
    problems: list[Problem] = []
    packs = []
    for folder in folders:
        reuse = context.built.get(Path(folder)) if not tests else None
        if reuse is not None:
            packs.append(reuse)
            continue
        try:
            files = load_folder(folder, tests=tests)
        except PackInvalid as exc:
            problems += exc.problems
            continue
        pack, found = build(files)
        problems += found
        if pack is not None and not found:
            packs.append(pack)
    known = context.known(packs)
    others = list(context.built.values())
    for pack in packs:
        problems += check_pack(pack, known) + shared_types(pack, others + [p for p in packs if p is not pack])
    if problems:
        raise PackInvalid(problems)
    return packs


def lint(folders: Sequence[Path | str], fact_types: dict[str, dict[str, Any]] | None = None
         ) -> list[tuple[Path, Pack | None, list[Problem]]]:
    """Every stage but running, for each pack folder: loaded, checked against the installed set
    and the other folders, planned and compiled (durable_rules' limits). Per folder: the pack
    (None when it could not be built) and its problems. With `fact_types`, those are all a pack
    is checked against besides the folders (no installed pack; overrides are not checked)."""
    context = installed(plugin_hooks.manager()) if fact_types is None else Installed({}, {}, fact_types)
    out: list[tuple[Path, Pack | None, list[Problem]]] = []
    for folder in folders:
        try:
            pack, problems = build(load_folder(folder))
        except PackInvalid as exc:
            pack, problems = None, exc.problems
        out.append((Path(folder), pack, problems))
    known = context.known([pack for _, pack, _ in out if pack is not None])
    if fact_types is not None:
        known.parameters = None
    for _, pack, problems in out:
        if pack is None or problems:
            continue
        others = [p for p in context.built.values()] + [p for _, p, _ in out if p is not None and p is not pack]
        problems += check_pack(pack, known) + shared_types(pack, others)
        if problems:
            continue
        try:
            settled = settle_parameters([pack], Config(), installed=context.folders)[pack.label]
            planned = plan_pack(pack, settled, known.fact_types)
            for period in planned.periods:
                compile_plan(planned, period, known.fact_types)
        except PackInvalid as exc:
            problems += exc.problems
    return out


def load_pack(folder: Path | str, fact_types: dict[str, dict[str, Any]] | None = None) -> Pack:
    """One pack folder, tests included, through every stage `patuh lint` runs: the pack, or
    PackInvalid with every problem. `fact_types`: as for `lint`."""
    [(_, pack, problems)] = lint([folder], fact_types)
    if problems or pack is None:
        raise PackInvalid(problems)
    return pack


def fact_types(config: str | Path | dict[str, Any] | None = None) -> FactTypes:
    """The fact types the installed packs and plugins declare, checking records as `patuh eval`
    does; times without a zone are read in the site config's zone. What a detector checks its
    records with (part of the small API detectors use: this, `parameters` and `patuh.rows`)."""
    return FactTypes(installed(plugin_hooks.manager()).known().fact_types, load_config(config).timezone)


def _revision(pack: str, at: dt.date | None) -> tuple[Installed, Pack]:
    """The installed set, and the revision of the installed `pack` in force on `at` (its newest when
    None); LookupError when the pack is not installed."""
    context = installed(plugin_hooks.manager())
    if pack not in context.folders:
        raise LookupError(f"the {pack} pack is not installed; installed: "
                          f"{', '.join(sorted(context.folders)) or 'none'}")
    revisions = sorted(check_folders(context.folders[pack], context, tests=False), key=lambda p: p.effective)
    return context, ([p for p in revisions if at is None or p.effective <= at] or revisions[:1])[-1]


def parameters(pack: str, at: dt.date | None = None,
               config: str | Path | dict[str, Any] | None = None) -> tuple[str, dict[str, ParameterUse]]:
    """The parameters of the installed `pack` in force on `at` (its newest revision when None):
    the revision's label and its parameters by name, after other packs' overrides and the site
    `config`, as an evaluation would settle them. LookupError when the pack is not installed."""
    context, chosen = _revision(pack, at)
    return chosen.label, _in_force(context, chosen, at, config)


def _in_force(context: Installed, chosen: Pack, at: dt.date | None,
              config: str | Path | dict[str, Any] | None) -> dict[str, ParameterUse]:
    overriding = [p for p in context.built.values() if p.name != chosen.name
                  and any(o.pack == chosen.name for o in p.overrides)]
    settled = settle_parameters([chosen] + overriding, load_config(config), installed=context.folders)[chosen.label]
    day = at or dt.date.max
    return {name: [u for u in uses if u.since is None or u.since <= day][-1] if any(
        u.since is None or u.since <= day for u in uses) else uses[0] for name, uses in settled.items()}


def tables(pack: str, at: dt.date | None = None,
           config: str | Path | dict[str, Any] | None = None) -> dict[str, list[dict[str, Any]]]:
    """The tables of the installed `pack` in force on `at` (its newest revision when None): each
    table's rows by its name, a cell naming a parameter ($name) given that parameter's value in
    force on `at` (after overrides and `config`), as an evaluation reads them: what a detector
    checks a record against (which audit level a criterion belongs to). LookupError when the pack
    is not installed."""
    context, chosen = _revision(pack, at)
    params = _in_force(context, chosen, at, config)

    def cell(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("$$"):
            return value[1:]
        return params[value[1:]].value if isinstance(value, str) and value.startswith("$") else value

    return {name: [{k: cell(v) for k, v in row.items()} for row in table.rows] for name, table in chosen.tables.items()}


class Engine:
    def __init__(self, packs: Sequence[str | Path] | None = None, config: str | Path | dict[str, Any] | None = None, *,
                 plugins: Sequence[object] = (), entry_points: bool = True,
                 max_session_facts: int = MAX_SESSION_FACTS, store: Store | str | None = None,
                 history_days: int = DEFAULT_HISTORY_DAYS):
        self.plugins = plugin_hooks.manager(*plugins, entry_points=entry_points)
        self.context = installed(self.plugins)
        self.installed = self.context.folders
        self.config: Config = load_config(config)
        self.max_session_facts = max_session_facts
        self.packs: list[Pack] = check_folders(self._resolve(packs), self.context, tests=False)
        self._check_unique()
        self._check_revisions()
        self.packs = pack_order(self.packs)
        # The fact types a pack of this evaluation derives and one of them declares derived (only
        # rules make them), with the first pack deriving each.
        declared_derived = {k for p in self.packs for k, t in p.facts.items() if t.declaration.get("derived")}
        self.derivers: dict[str, str] = {}
        for pack in self.packs:
            for rule in pack.rules:
                for kind in rule.derives:
                    if kind in declared_derived:
                        self.derivers.setdefault(kind, pack.name)
        declarations = self.context.known(self.packs).fact_types
        self.types = FactTypes(declarations, self.config.timezone, self.config.shifts)
        settled = settle_parameters(self.packs, self.config, installed=self.installed)
        plans = [plan_pack(p, settled[p.label], declarations) for p in self.packs]
        self.compiled: list[CompiledPack] = [compile_plan(plan, period, declarations)
                                             for plan in plans for period in plan.periods]
        self.types.read_parts({part for plan in plans for part in plan.encoded})
        self.now_months = {m for plan in plans for m in plan.now_months}
        # Each period's table rows as facts (a cell naming a parameter takes the period's value).
        self.tables: dict[int, list[tuple[dict[str, Any], dict[str, Any]]]] = {
            id(c): self._table_facts(c) for c in self.compiled}
        # What a cluster's worker builds the same engine from (the config as JSON text: hashable,
        # and YAML 1.2 data comes back the same; a plugin given here cannot be sent, so none is).
        self._spec = EngineSpec(tuple(str(p.path) for p in self.packs),
                                json.dumps(self.config.doc.data, sort_keys=True, default=str) if self.config.doc
                                else None, max_session_facts)
        self._given_plugins = bool(plugins or not entry_points)
        self.history = self._history_spec(history_days)
        # The store each evaluation is recorded in and reads its history from (opened, and its
        # schema migrated, now: a store that cannot be used fails before any evaluation).
        self.store: Store | None = Store(store) if isinstance(store, str) else store
        self._recorded: dict[str, Any] = {}  # what every recording of this engine shares, made once

    def _history_spec(self, days: int) -> HistorySpec:
        """How this engine's history is read from a store: by the packs' one partition field when
        they share one, with the types of parts grouped otherwise read whole."""
        keys = {p.partition_by for p in self.packs}
        key = keys.pop() if len(keys) == 1 else None
        shared = {t for c in self.compiled for part in c.parts if part.key != key for t in part.types}
        return HistorySpec(days=days, key=key, shared=shared if key else set())

    def _resolve(self, packs: Sequence[str | Path] | str | Path | None) -> list[Path]:
        if packs is None:
            return sorted(f for fs in self.installed.values() for f in fs)
        out = []
        if isinstance(packs, (str, Path)):
            packs = [packs]  # one pack named on its own
        for item in packs:
            if not isinstance(item, (str, Path)):
                raise UnknownPack(Where(repr(item)), "expected a pack name or a pack folder (str or Path)")
            path = Path(item)
            if isinstance(item, Path) or (path / "pack.yaml").is_file() or "/" in str(item):
                out.append(path)
            elif str(item) in self.installed:
                out += self.installed[str(item)]
            else:
                raise UnknownPack(Where(str(item)), f"unknown pack {str(item)!r}; installed: "
                                                    f"{', '.join(sorted(self.installed)) or 'none'}")
        return out

    def _check_unique(self) -> None:
        """A pack asked for twice (by name and by path) loads once; two folders holding the same
        pack name and version are an error, since findings could not say which one fired."""
        seen: dict[tuple[str, str], Pack] = {}
        for pack in self.packs:
            key = (pack.name, pack.version)
            if key in seen and seen[key].path.resolve() != pack.path.resolve():
                raise PackInvalid([Problem(Where(str(pack.path / "pack.yaml")),
                                           f"pack {pack.label} is also loaded from {seen[key].path}")])
            seen[key] = pack
        self.packs = list({(p.name, p.version): p for p in self.packs}.values())

    def _check_revisions(self) -> None:
        """Revisions of one pack (same name) must take effect on different dates, or no date
        could say which one is in force."""
        seen: dict[tuple[str, dt.date], Pack] = {}
        for pack in self.packs:
            other = seen.setdefault((pack.name, pack.effective), pack)
            if other is not pack:
                raise PackInvalid([pack.at.problem(f"{pack.label} and {other.label} both take effect on "
                                                   f"{pack.effective}: one date must pick one revision",
                                                   "document", "effective")])

    # -- evaluation -------------------------------------------------------------------------------
    def check_facts(self, records: Iterable[FactInput], where: str = "fact", *, history: bool = False) -> Checked:
        """Validate records (dicts or Fact models) against the declared fact types: by id, each
        fact and its engine encoding. The same id twice is one fact when the content agrees,
        and an error when it does not. A given fact (not `history`, which may hold an earlier
        result's derived facts) of a type a pack of this evaluation declares derived is refused:
        it would be counted beside those the pack derives. Every bad record is reported
        (FactsInvalid), not only the first."""
        out: Checked = {}
        seen: dict[str, Where | str] = {}
        problems: list[FactError] = []
        for n, record in enumerate(records, 1):
            # a record's place as text, made a Where only for an error (a Where each was a tenth of checking)
            location = record[0] if isinstance(record, tuple) else f"{where} {n}"
            try:
                fact, encoded = self.types.check_encoded(record[1] if isinstance(record, tuple) else record, location)
            except FactError as exc:
                problems.append(exc)
                continue
            if not history and fact["type"] in self.derivers:
                problems.append(FactError(location,
                                          f"{fact['type']} facts are derived in this evaluation by the "
                                          f"{self.derivers[fact['type']]} pack's rules; give what they are "
                                          "derived from, or an earlier result's as history"))
                continue
            first = out.get(fact["id"])
            if first is None:
                out[fact["id"]] = (fact, encoded)
                seen[fact["id"]] = location
            elif _content(first[0]) != _content(fact):
                problems.append(FactError(location, f"id {fact['id']!r} was already given to a different "
                                                            f"{first[0]['type']} at {seen[fact['id']]}"))
        if problems:
            raise FactsInvalid(problems)
        return out

    def evaluate(self, facts: Iterable[FactInput], history: Iterable[FactInput] = (),
                 progress: Callable[[int, int], None] | None = None,
                 as_of: dt.datetime | dt.date | str | None = None, workers: int = 1,
                 cluster: str | None = None) -> Result:
        """Judge `facts` (dicts, Fact models, or (where, record) pairs for error messages), with
        `history` from earlier runs, at the evaluation time `as_of` ($now: what open and overdue
        obligations are judged against; a date is its end in the site's zone; ISO text is read as
        such). By default it is
        the latest time of the facts, so a replayed log is judged as it was; facts dated after it
        are left out and counted in the trace. `progress(done, total)` is called as sessions
        finish. Records a rule rejects as bad input raise FactsInvalid, like those the fact
        checker refuses: nothing of the evaluation is returned. With a store, the evaluation reads
        its history from the store too, and is recorded there.

        `workers` > 1 runs the sessions of each part in that many forked processes; `cluster`, a
        dask.distributed scheduler's address, runs them on its workers (patuh and the same packs
        installed there). The result is the same, byte for byte, however they run."""
        if self.store is not None:
            return self.record(facts, history, progress, as_of=as_of, workers=workers, cluster=cluster).result
        with collector_paused():  # checking too: its passes over 100k new facts were half its time
            current, past = self._checked(facts, history)
            return self._run(current, past, progress, as_of, workers, cluster).result()

    def evaluate_json(self, facts: Iterable[FactInput], history: Iterable[FactInput] = (),
                      progress: Callable[[int, int], None] | None = None,
                      as_of: dt.datetime | dt.date | str | None = None, workers: int = 1,
                      cluster: str | None = None) -> Iterator[bytes]:
        """`evaluate(...).json_chunks()`, the same bytes, without the Result ever held: its derived
        facts and evidence are made as they are written (as `patuh eval --format json` writes).
        The evaluation is done, and its errors raised, before this returns."""
        if self.store is not None:
            return self.record(facts, history, progress, as_of=as_of, workers=workers,
                               cluster=cluster).result.json_chunks()
        with collector_paused():
            current, past = self._checked(facts, history)
            return self._run(current, past, progress, as_of, workers, cluster).json_chunks()

    def record(self, facts: Iterable[FactInput], history: Iterable[FactInput] = (),
               progress: Callable[[int, int], None] | None = None, origin: str = "python",
               as_of: dt.datetime | dt.date | str | None = None, workers: int = 1,
               cluster: str | None = None) -> Recorded:
        """`evaluate` with the store: in one transaction holding the store's write lock, the facts
        are checked against those stored (an id given other content is refused), the history is
        read from the store (HistorySpec) beside `history`, the facts are judged, and everything
        is recorded. The recorded evaluation: its id in the store, the result, its chain hash."""
        if self.store is None:
            raise ValueError("this engine has no store: Engine(..., store=URL)")
        with collector_paused():
            return self._record(facts, history, progress, origin, as_of, workers, cluster)

    def _record(self, facts: Iterable[FactInput], history: Iterable[FactInput],
                progress: Callable[[int, int], None] | None, origin: str,
                as_of: dt.datetime | dt.date | str | None, workers: int, cluster: str | None) -> Recorded:
        assert self.store is not None
        current, past = self._checked(facts, history)
        given = {i: pair[0] for i, pair in current.items()}
        days = {i: self.event_day(f) for i, f in given.items()}
        with self.store.writing() as writer:
            writer.refuse_conflicts(given)
            stored = writer.history(self.history, given, days)
            if stored:
                found = self.check_facts([(Where(f"stored fact {f.get('id')}"), f) for f in stored], "stored fact",
                                         history=True)
                for fact_id, pair in found.items():
                    past.setdefault(fact_id, pair)
            result = self._run(current, past, progress, as_of, workers, cluster).result()
            for fact in result.derived:
                days[fact.id] = self.event_day(fact.model_dump())
            for fact_id in result.derivations:
                if fact_id in result.facts:
                    days.setdefault(fact_id, self.event_day(result.facts[fact_id]))
            return writer.record(result, self.recording(given, days, origin), patuh_version())

    def recording(self, given: dict[str, dict[str, Any]], days: dict[str, str | None], origin: str) -> Recording:
        """What the store records of this engine beside a result: packs, settled parameters, config."""
        packs = [PackRecord(p.name, p.version, p.hash, {
            "name": p.name, "version": p.version, "hash": p.hash, "document": p.document.number,
            "revision": p.document.revision, "effective": p.effective.isoformat(), "title": p.document.title})
            for p in self.packs]
        settled = {(c.pack.label, c.period.since.isoformat() if c.period.since else ""): c.params
                   for c in self.compiled}
        config = {"label": self.config.label, "timezone": self.config.timezone, "parameters": self.config.parameters}
        return Recording(packs, settled, config, self.history, given, days, origin, self._recorded)

    def event_day(self, fact: dict[str, Any]) -> str | None:
        """The local date a fact happened on, as ISO text (a fact read back holds its time as text)."""
        found = {k: _time(v) for k, v in fact.items() if k != "type"} | {"type": fact.get("type")}
        day = self.types.event_date(found) if found["type"] in self.types.declarations else None
        return day.isoformat() if day else None

    def _checked(self, facts: Iterable[FactInput], history: Iterable[FactInput]) -> tuple[Checked, Checked]:
        """The facts and history checked, every problem of both at once; a history fact under the
        id of a given fact must be the same fact."""
        problems: list[FactError] = []
        current: Checked = {}
        past: Checked = {}
        for name, records, into in (("fact", facts, current), ("history fact", history, past)):
            try:
                into.update(self.check_facts(records, name, history=into is past))
            except FactsInvalid as exc:
                problems += exc.problems
        if problems:
            raise FactsInvalid(problems)
        for fact_id in past.keys() & current.keys():
            if _content(past[fact_id][0]) != _content(current[fact_id][0]):
                raise FactError(Where(f"fact {fact_id}"), "the same id names a different fact in the history")
        return current, past

    def _run(self, current: Checked, past: Checked, progress: Callable[[int, int], None] | None,
             as_of: dt.datetime | dt.date | str | None, workers: int, cluster: str | None) -> Judgement:
        if cluster and self._given_plugins:
            raise SourceError(Where(f"--cluster {cluster}"), "an engine built with plugins given to it (or without "
                                                             "the installed ones) cannot be rebuilt on a cluster's "
                                                             "workers: install them there as packages")
        client = _client(cluster) if cluster else None
        try:
            return self._judge(current, past, progress, as_of, workers, client)
        finally:
            if client is not None:
                client.close()

    def _judge(self, current: Checked, past: Checked, progress: Callable[[int, int], None] | None,
               as_of: dt.datetime | dt.date | str | None, workers: int, client: Any) -> Judgement:
        """The evaluation proper. It takes `current` and `past` over and empties them: the caller
        holding them kept every checked fact alive to the end (a site-month's peak, 100 MB)."""
        # each fact's time as an instant, read once for both the evaluation time and what is after it
        times = {i: self.types.instant(t) for pairs in (past, current) for i, (fact, _) in pairs.items()
                 if (t := self.types.event(fact)) is not None}
        now = self._now(as_of, times.values())
        later = {i for i, t in times.items() if t > now}
        del times
        historical = past.keys() - current.keys() - later
        horizon = max((self.types.instant(t) for i in historical if (t := self.types.event(past[i][0])) is not None),
                      default=None)
        # A fact of a type no rule reads has been checked, counted and dated: nothing more is
        # asked of it, and it is let go (a site-month's 80k speed samples held 100 MB).
        read = set().union(*(c.types for c in self.compiled))
        known: dict[str, dict[str, Any]] = {}
        encoded: dict[str, dict[str, Any]] = {}
        for pairs in (past, current):  # one pass: a given fact replaces the same fact in the history
            for i, (fact, enc) in pairs.items():
                if fact["type"] in read and i not in later:
                    known[i], encoded[i] = fact, enc
        derivations: dict[str, Derived] = {}
        trace = Trace(timezone=self.config.timezone, facts_in=len(current.keys() - later),
                      facts_history=len(historical), as_of=now, facts_after_as_of=len(later),
                      shifts={name: {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M"),
                                     "source": f"{self.config.label}, company choice"}
                              for name, (start, end) in self.config.shifts.items()})
        findings: dict[str, Finding] = {}
        obligations: list[Obligation] = []
        rejected: list[FactError] = []
        current.clear()
        past.clear()

        routed, unread = self._route(list(known.values()))
        # Progress counts the given facts each part reads; derived ones come on top.
        total = sum(1 for c in self.compiled for part in c.parts for f in routed.get(id(c), [])
                    if f["type"] in part.types)
        ran = _Progress(total, progress)
        evaluation = evaluation_fact(now, self.types, self.now_months)
        # Facts earlier packs derived, for the packs that read them: routed as given ones are, to
        # each pack's revision in force on their date (one no revision of a pack reading it is in
        # force for, and no pack judged, is counted as not in force too).
        passed: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for n, compiled in enumerate(self.compiled):
            tables = self.tables[id(compiled)]
            for fact, enc in tables:
                known.setdefault(fact["id"], fact)
                encoded.setdefault(fact["id"], enc)
            relevant = [f for f in routed.pop(id(compiled), []) + passed.pop(id(compiled), [])
                        if f["type"] in compiled.types] + [f for f, _ in tables if f["type"] in compiled.types]
            consequences = Consequences(compiled, self.types, known, historical, derivations, now, horizon)
            later_read = set().union(*(c.types for c in self.compiled[n + 1:]))
            self._run_parts(compiled, consequences, relevant, encoded, later_read, evaluation, ran, trace, workers,
                            client)
            trace.packs.append(_pack_use(compiled, len(relevant)))
            del relevant  # the last pack's would be held through the Result
            if compiled is not self.compiled[-1]:  # the last pack's derived facts go to no later one
                passed_on, passed_unread = self._route([known[i] for i in consequences.produced])
                for key, facts in passed_on.items():
                    passed[key] += facts
                unread |= passed_unread
            # a later pack may read a type no part of this one does
            encoded.update((i, e) for i, e in consequences.produced.items() if e["type"] in later_read)
            consequences.sessions_done()
            for rule_id, count in consequences.matched.items():
                trace.matches[rule_id] = trace.matches.get(rule_id, 0) + count
            found, tracked = consequences.findings()
            findings.update({f.id: f for f in found})
            obligations += tracked
            rejected += consequences.rejects()
            overridden = {k: u for k, u in compiled.params.items() if u.source != f"pack {compiled.pack.label}"}
            if overridden:
                trace.overrides[compiled.pack.label] = overridden
            del consequences  # its matches and sources of derived facts, before the next pack and the Result
        trace.facts_not_in_force = len(unread)
        if rejected:
            raise FactsInvalid(rejected)
        return judgement(findings, obligations, derivations, known, historical, trace)

    def _run_parts(self, compiled: CompiledPack, consequences: Consequences, relevant: list[dict[str, Any]],
                   encoded: dict[str, dict[str, Any]], later_read: set[str], evaluation: dict[str, Any],
                   ran: _Progress, trace: Trace, workers: int, client: Any) -> None:
        """A pack's parts, in order. `later_read`: the types later packs read."""
        for n, part in enumerate(compiled.parts):
            # A part reads the given facts of its types and what earlier parts derived.
            derived = [consequences.facts[i] for i, e in consequences.produced.items() if e["type"] in part.types]
            encoded.update((i, e) for i, e in consequences.produced.items() if e["type"] in part.types)
            given = [f for f in relevant if f["type"] in part.types]
            if given or derived:
                self._run_part(compiled, part, consequences, given + derived, encoded, evaluation, ran, trace,
                               workers, client)
            # An encoding is for sessions: once no later part or pack reads its type, it is let go
            # (the fatigue pack's date part reads rosters alone, not the forms and alerts).
            read = later_read.union(*(p.types for p in compiled.parts[n + 1:]))
            for fact_id in [i for i, e in encoded.items() if e["type"] not in read]:
                del encoded[fact_id]

    def _run_part(self, compiled: CompiledPack, part: Part, consequences: Consequences, facts: list[dict[str, Any]],
                  encoded: dict[str, dict[str, Any]], evaluation: dict[str, Any], ran: _Progress, trace: Trace,
                  workers: int, client: Any) -> None:
        """A part's facts in sessions of at most max_session_facts facts: here, in forked workers
        or on a cluster."""
        historical = consequences.historical
        early = [evaluation] if EVALUATION in part.types else []
        chunks = partition(facts, part.key, self.max_session_facts)
        # The same encoding serves every part and chunk that reads it (a session asserts
        # its own copy of it, with its sid and ids).
        batches = [early + [encoded[f["id"]] for f in chunk] for chunk in chunks]
        if client is not None:
            tasks = [ChunkTask(self._spec, self.compiled.index(compiled), compiled.parts.index(part),
                               part.name, [(f, encoded[f["id"]]) for f in chunk], early,
                               {f["id"] for f in chunk if f["id"] in historical}, consequences.now,
                               consequences.horizon)
                     for chunk in chunks]
            sessions = self._replayed(consequences, run_cluster(client, _cluster_task, tasks))
        elif workers > 1 and len(chunks) >= FORK_FROM_SESSIONS * workers:
            sessions = self._replayed(consequences, run_forked(workers, compiled, part, consequences, batches))
        else:
            sessions = _sessions(compiled, part, consequences, batches)
        for chunk, _ in zip(chunks, sessions, strict=True):
            consequences.session_done()
            trace.sessions += 1
            ran.add(sum(1 for f in chunk if f["id"] not in consequences.produced))
        if max(map(len, batches), default=0) >= HEAP_RETURNED_FROM:
            heap_returned()  # the states' memory (see HEAP_RETURNED_FROM)

    @staticmethod
    def _replayed(consequences: Consequences, logs: Iterator[ChunkLog]) -> Iterator[None]:
        for log in logs:  # in chunk order, as the sessions would have run here
            replay(consequences, log)
            yield None

    def _now(self, as_of: dt.datetime | dt.date | str | None, times: Iterable[dt.datetime]) -> dt.datetime:
        """The evaluation time: as given (a date: its last moment in the site's zone, a time
        without a zone: in it), else the latest of the facts' `times`, else this moment (the one
        case the wall clock is read: facts that say nothing of when)."""
        if isinstance(as_of, str):
            try:
                as_of = time_or_date(as_of)
            except ValueError:
                raise SourceError(Where("as_of"), f"expected a time like 2026-03-02T14:00+08:00 or a date, found "
                                                  f"{as_of!r}") from None
        elif as_of is not None and not isinstance(as_of, dt.date):
            raise SourceError(Where("as_of"), f"expected a datetime, a date or ISO text, found {as_of!r}")
        if isinstance(as_of, dt.datetime):
            return as_of if as_of.tzinfo else as_of.replace(tzinfo=self.types.zone)
        if isinstance(as_of, dt.date):
            return dt.datetime.combine(as_of, dt.time.max, tzinfo=self.types.zone)
        # A date alone counts from its start (FactTypes.instant): no more time has passed than the facts show.
        latest = max(times, default=None)
        return latest if latest is not None else dt.datetime.now(self.types.zone).replace(microsecond=0)

    def _table_facts(self, compiled: CompiledPack) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """A pack's table rows as facts of the table's type, for one period of its parameters."""
        out = []
        for name, table in compiled.pack.tables.items():
            if name not in compiled.types:
                continue
            for i, row in enumerate(table.rows):
                values = {k: compiled.params[v[1:]].value if isinstance(v, str) and v.startswith("$")
                          and not v.startswith("$$") else v[1:] if isinstance(v, str) and v.startswith("$$") else v
                          for k, v in row.items()}
                key = ":".join(str(row.get(k)) for k in table.key)
                where = table.at.where("rows", i)
                out.append(self.types.check_encoded({"type": name, "id": f"{name}:{key}", **values}, where))
        return out

    def _route(self, facts: list[dict[str, Any]]) -> tuple[dict[int, list[dict[str, Any]]], set[str]]:
        """Each fact goes, for each pack, to the revision in force on the fact's date, and within
        it to the period of its parameters that date falls in. With the ids of the facts a pack
        reading their type had no revision in force for, and no revision of any pack read."""
        by_pack: dict[str, dict[str, list[CompiledPack]]] = defaultdict(dict)  # name -> label -> periods
        for compiled in self.compiled:
            by_pack[compiled.pack.name].setdefault(compiled.pack.label, []).append(compiled)
        routed: dict[int, list[dict[str, Any]]] = defaultdict(list)
        judged: set[str] = set()  # facts some revision read
        missed: set[str] = set()  # facts a pack had no revision in force for
        dates = [self.types.event_date(fact) for fact in facts]
        for revisions in by_pack.values():
            ordered = sorted(revisions.values(), key=lambda periods: periods[0].pack.effective)
            read = set().union(*(c.types for cs in ordered for c in cs))
            by_date: dict[dt.date | None, CompiledPack | None] = {}  # most facts share their date with many
            for fact, date in zip(facts, dates, strict=True):
                if date in by_date:
                    chosen = by_date[date]
                else:
                    in_force = [periods for periods in ordered if date is None or periods[0].pack.effective <= date]
                    chosen = by_date[date] = None if not in_force else [
                        c for c in in_force[-1] if date is None or c.period.since is None or c.period.since <= date][-1]
                if chosen is None:
                    if fact["type"] in read:
                        missed.add(fact["id"])
                    continue
                routed[id(chosen)].append(fact)
                if fact["type"] in chosen.types:
                    judged.add(fact["id"])
        return routed, missed - judged


@dataclass
class _Progress:
    """Given facts judged so far, of `total`, told to `progress(done, total)` as sessions end."""

    total: int
    progress: Callable[[int, int], None] | None
    done: int = 0

    def add(self, judged: int) -> None:
        self.done = min(self.total, self.done + judged)
        if self.progress:
            self.progress(self.done, self.total)


def _sessions(compiled: CompiledPack, part: Part, consequences: Consequences,
              batches: list[list[dict[str, Any]]]) -> Iterator[None]:
    """Each chunk's session, here, one after the other."""
    for batch in batches:
        Session(compiled, part, consequences).run(batch)
        yield None


def _client(address: str) -> Any:
    """A dask.distributed client of the scheduler at `address`."""
    try:
        from distributed import Client
    except ImportError:
        raise SourceError(Where(f"--cluster {address}"), "dask.distributed is not installed: "
                                                         "pip install 'patuh[cluster]'") from None
    try:
        return Client(address, timeout=30)  # type: ignore[no-untyped-call]  # distributed has no annotations
    except (OSError, TimeoutError) as exc:
        raise SourceError(Where(f"--cluster {address}"), f"no dask scheduler answers there: {exc}") from None


_cluster_engines: dict[EngineSpec, Engine] = {}  # on a cluster's worker: each engine built once


def _cluster_task(task: ChunkTask) -> ChunkLog:
    """What a cluster's worker runs for a chunk: its engine (built once), then the session."""
    engine = _cluster_engines.get(task.spec)
    if engine is None:
        config = json.loads(task.spec.config) if task.spec.config is not None else None
        engine = _cluster_engines[task.spec] = Engine(list(task.spec.packs), config=config,
                                                      max_session_facts=task.spec.max_session_facts)
    return run_task(engine.compiled[task.compiled], engine.types, task)


def pack_order(packs: list[Pack]) -> list[Pack]:
    """Packs in the order they are evaluated: a pack that reads a fact type another pack derives
    after it (its derived facts are part of the later pack's input); else as given."""
    derives = {p.name: {t for r in p.rules for t in r.derives} for p in packs}
    reads = {p.name: {c.type for r in p.rules for c in r.when} for p in packs}
    ordered: list[Pack] = []
    waiting = list(packs)
    while waiting:
        ready = [p for p in waiting if not any(derives[o.name] & reads[p.name] for o in waiting
                                               if o.name != p.name)] or waiting[:1]  # a cycle: as given
        ordered.append(ready[0])
        waiting.remove(ready[0])
    return ordered


def _time(value: Any) -> Any:
    """A time or date read back from text (a stored fact), else the value."""
    if isinstance(value, str):
        try:
            return (dt.datetime.fromisoformat(value) if "T" in value or " " in value
                    else dt.date.fromisoformat(value))
        except ValueError:
            return None
    return value


@functools.cache
def patuh_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("patuh")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree without installing
        return "unknown"


def _content(fact: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fact.items() if k != "source"}


def partition(facts: list[dict[str, Any]], key: str | None, limit: int) -> list[list[dict[str, Any]]]:
    """Facts in session-sized chunks that never split a partition key's group (every rule joins
    on it, which the linter checks). Facts without the key go to every chunk."""
    if not key:
        return [facts] if facts else []
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    shared: list[dict[str, Any]] = []  # facts without the key
    for fact in facts:
        value = fact.get(key)
        (groups[str(value)] if value is not None else shared).append(fact)
    chunks: list[list[dict[str, Any]]] = []
    chunk: list[dict[str, Any]] = []
    for name in sorted(groups):
        if chunk and len(chunk) + len(groups[name]) > limit:
            chunks.append(chunk)
            chunk = []
        chunk += groups[name]
    if chunk:
        chunks.append(chunk)
    return [c + shared for c in chunks] or ([shared] if shared else [])


def _pack_use(compiled: CompiledPack, judged: int) -> PackUse:
    pack = compiled.pack
    return PackUse(name=pack.name, version=pack.version, hash=pack.hash, document=pack.document.number,
                   revision=pack.document.revision, effective=pack.effective, since=compiled.period.since,
                   facts=judged)
