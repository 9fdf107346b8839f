"""`patuh.Engine`: packs in, facts in, a typed, traced, deterministic result out.

    engine = patuh.Engine(["fatigue"], config="site.yaml")
    result = engine.evaluate(facts, history=last_week)
    for finding in result.findings: ...

An engine holds only what it was built from; each evaluation has its own sessions, deleted
afterwards, so two engines (or two calls) never see each other's facts.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from . import plugins as plugin_hooks
from .compiler import CompiledPack, compile_pack
from .config import Config, load_config, settle_parameters
from .consequences import Consequences
from .facts import FactTypes
from .problems import FactError, FactsInvalid
from .models import DerivedFact, Derivation, Fact, Finding, PackUse, ParameterUse, Result, Trace, canonical
from .pack import Pack, load_pack
from .runtime import Session
from .documents import load
from .problems import PackInvalid, Problem, SourceError, Where

# Facts per durable_rules session. Measured (benchmarks/README.md): 1,000-2,000 is fastest for
# raw durable_rules and no slower for patuh than 5,000; larger states cost memory and joins.
MAX_SESSION_FACTS = 2000


class UnknownPack(SourceError):
    pass


def installed_packs(pm) -> dict[str, list[Path]]:
    """Installed pack folders by pack name (a name may have several revisions installed)."""
    out: dict[str, list[Path]] = defaultdict(list)
    for folder in plugin_hooks.pack_folders(pm):
        try:
            name = load(folder / "pack.yaml").data["name"]
        except (SourceError, TypeError, KeyError):
            name = folder.name  # a broken pack is reported when it is loaded
        out[name].append(folder)
    return dict(out)


def known_fact_types(pm, folders: Iterable[Path]) -> dict[str, dict]:
    """Fact types declared by installed packs and plugins, for checking packs that use them."""
    out = plugin_hooks.fact_declarations(pm)
    for folder in folders:
        try:
            data = load(folder / "facts.yaml").data if (folder / "facts.yaml").is_file() else None
        except SourceError:
            continue  # reported when that pack itself is linted
        if isinstance(data, dict) and isinstance(data.get("facts"), dict):
            out.update({k: v for k, v in data["facts"].items() if isinstance(v, dict) and "fields" in v})
    return out


def known_parameters(folders: Iterable[Path]) -> dict[str, set[str]]:
    """Parameter names of installed packs, by pack name, for checking overrides."""
    out: dict[str, set[str]] = defaultdict(set)
    for folder in folders:
        try:
            name = load(folder / "pack.yaml").data["name"]
            data = load(folder / "parameters.yaml").data if (folder / "parameters.yaml").is_file() else {}
        except (SourceError, TypeError, KeyError):
            continue  # reported when that pack itself is linted
        if isinstance(data, dict) and isinstance(data.get("parameters"), dict):
            out[name].update(data["parameters"])
        else:
            out[name]
    return dict(out)


def installed_declarations(pm, installed: dict[str, list[Path]], extra: Iterable[Path] = ()) -> tuple[dict, dict]:
    """The fact types and the parameters (by pack) that the installed packs, plugins and the
    `extra` pack folders declare: what a pack is checked against when it uses them."""
    folders = [f for fs in installed.values() for f in fs] + list(extra)
    return known_fact_types(pm, folders), known_parameters(folders)


def fact_types(config: str | Path | dict | None = None) -> FactTypes:
    """The fact types the installed packs and plugins declare, checking records as `patuh eval`
    does; times without a zone are read in the site config's zone. What a detector checks its
    records with (part of the small API detectors use: this, `parameters` and `patuh.rows`)."""
    pm = plugin_hooks.manager()
    return FactTypes(installed_declarations(pm, installed_packs(pm))[0], load_config(config).timezone)


def parameters(pack: str, at: dt.date | None = None,
               config: str | Path | dict | None = None) -> tuple[str, dict[str, ParameterUse]]:
    """The parameters of the installed `pack` in force on `at` (its newest revision when None):
    the revision's label and its parameters by name, after other packs' overrides and the site
    `config`, as an evaluation would settle them. LookupError when the pack is not installed."""
    pm = plugin_hooks.manager()
    installed = installed_packs(pm)
    if pack not in installed:
        raise LookupError(f"the {pack} pack is not installed; installed: {', '.join(sorted(installed)) or 'none'}")
    known, names = installed_declarations(pm, installed)
    revisions = sorted((load_pack(f, known, names) for f in installed[pack]), key=lambda p: p.effective)
    chosen = ([p for p in revisions if at is None or p.effective <= at] or revisions[:1])[-1]
    overriding = [load_pack(f, known, names) for name, folders in sorted(installed.items()) if name != pack
                  for f in folders if pack in (_overrides(f) or {})]
    settled = settle_parameters([chosen] + overriding, load_config(config), installed=installed)
    return chosen.label, settled[chosen.label]


def _overrides(folder: Path) -> dict | None:
    try:
        data = load(folder / "pack.yaml").data
    except SourceError:
        return None
    return data.get("overrides") if isinstance(data, dict) else None


class Engine:
    def __init__(self, packs: Sequence[str | Path] | None = None, config: str | Path | dict | None = None, *,
                 plugins: Sequence[object] = (), entry_points: bool = True,
                 max_session_facts: int = MAX_SESSION_FACTS):
        self.plugins = plugin_hooks.manager(*plugins, entry_points=entry_points)
        self.installed = installed_packs(self.plugins)
        self.config: Config = load_config(config)
        self.max_session_facts = max_session_facts
        paths = self._resolve(packs)
        known, parameters = installed_declarations(self.plugins, self.installed, paths)
        self.packs: list[Pack] = [load_pack(p, known, parameters) for p in paths]
        self._check_unique()
        self._check_revisions()
        declarations = dict(known)
        for pack in self.packs:
            declarations.update({k: loc.data for k, loc in pack.facts.items()})
        self.types = FactTypes(declarations, self.config.timezone)
        params = settle_parameters(self.packs, self.config, installed=self.installed)
        self.compiled: list[CompiledPack] = [compile_pack(p, params[p.label], declarations) for p in self.packs]
        self.types.read_clocks({c for compiled in self.compiled for c in compiled.clocks})

    def _resolve(self, packs: Sequence[str | Path] | None) -> list[Path]:
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
        seen: dict[tuple, Pack] = {}
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
        seen: dict[tuple, Pack] = {}
        for pack in self.packs:
            other = seen.setdefault((pack.name, pack.effective), pack)
            if other is not pack:
                raise PackInvalid([Problem(pack.meta_doc.where(("document", "effective")),
                                           f"{pack.label} and {other.label} both take effect on {pack.effective}: "
                                           "one date must pick one revision")])

    # -- evaluation -------------------------------------------------------------------------------
    def check_facts(self, records: Iterable[Any], where: str = "fact") -> dict[str, tuple[dict, dict]]:
        """Validate records (dicts or Fact models) against the declared fact types: by id, each
        fact and its engine encoding. The same id twice is one fact when the content agrees,
        and an error when it does not. Every bad record is reported (FactsInvalid), not only
        the first."""
        out: dict[str, tuple[dict, dict]] = {}
        seen: dict[str, Where] = {}
        problems: list[FactError] = []
        for n, record in enumerate(records, 1):
            location = record[0] if isinstance(record, tuple) else Where(f"{where} {n}")
            try:
                fact, encoded = self.types.check_encoded(record[1] if isinstance(record, tuple) else record, location)
            except FactError as exc:
                problems.append(exc)
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

    def evaluate(self, facts: Iterable[Fact | dict | tuple], history: Iterable[Fact | dict | tuple] = (),
                 progress: Callable[[int, int], None] | None = None) -> Result:
        """Judge `facts` (dicts, Fact models, or (where, record) pairs for error messages), with
        `history` from earlier runs. `progress(done, total)` is called as sessions finish."""
        problems: list[FactError] = []
        current, past = {}, {}
        for name, records, into in (("fact", facts, current), ("history fact", history, past)):
            try:
                into.update(self.check_facts(records, name))
            except FactsInvalid as exc:
                problems += exc.problems
        if problems:
            raise FactsInvalid(problems)
        for fact_id in past.keys() & current.keys():
            if _content(past[fact_id][0]) != _content(current[fact_id][0]):
                raise FactError(Where(f"fact {fact_id}"), "the same id names a different fact in the history")
        encoded = {i: pair[1] for i, pair in past.items()}
        encoded.update((i, pair[1]) for i, pair in current.items())
        known: dict[str, dict] = {i: pair[0] for i, pair in past.items()}
        known.update((i, pair[0]) for i, pair in current.items())
        historical = past.keys() - current.keys()
        derivations: dict[str, Derivation] = {}
        trace = Trace(facts_in=len(current), facts_history=len(historical))
        findings: dict[str, Finding] = {}

        routed, trace.facts_not_in_force = self._route(list(known.values()))
        plan = []
        for compiled in self.compiled:
            judged = routed.get(id(compiled), [])
            plan.append((compiled, [f for f in judged if f["type"] in compiled.types]))
        # Progress counts the given facts each part reads; derived ones come on top.
        total = sum(1 for compiled, relevant in plan for part in compiled.parts for f in relevant
                    if f["type"] in part.types)
        done = 0
        for compiled, relevant in plan:
            consequences = Consequences(compiled, self.types, known, historical, derivations)
            for part in compiled.parts:
                # A part reads the given facts of its types and what earlier parts derived.
                derived = [known[i] for i, e in consequences.produced.items() if e["type"] in part.types]
                encoded.update((i, e) for i, e in consequences.produced.items() if e["type"] in part.types)
                given = [f for f in relevant if f["type"] in part.types]
                for chunk in partition(given + derived, part.key, self.max_session_facts):
                    # A session stamps its own sid and id on each fact before asserting it, so the
                    # same encoding serves every part and chunk that reads it.
                    Session(compiled, part, consequences.on_match).run([encoded[f["id"]] for f in chunk])
                    trace.sessions += 1
                    done = min(total, done + sum(1 for f in chunk if f["id"] not in consequences.produced))
                    if progress:
                        progress(done, total)
            for match in consequences.matches:
                trace.matches[match.rule.id] = trace.matches.get(match.rule.id, 0) + 1
            findings.update({f.id: f for f in consequences.findings()})
            trace.packs.append(_pack_use(compiled, len(relevant)))
            overridden = {n: u for n, u in compiled.params.items() if u.source != f"pack {compiled.pack.label}"}
            if overridden:
                trace.overrides[compiled.pack.label] = overridden
        return self._result(findings, derivations, known, historical, trace)

    def _route(self, facts: list[dict]) -> tuple[dict[int, list[dict]], int]:
        """Each fact goes to the revision of each pack in force on the fact's date."""
        by_pack: dict[str, list[CompiledPack]] = defaultdict(list)  # the revisions of each pack
        for compiled in self.compiled:
            by_pack[compiled.pack.name].append(compiled)
        routed: dict[int, list[dict]] = defaultdict(list)
        judged, missed = set(), set()  # facts some revision read; facts a pack had none in force for
        for revisions in by_pack.values():
            revisions.sort(key=lambda c: c.pack.effective)
            for fact in facts:
                date = self.types.event_date(fact)
                in_force = [c for c in revisions if date is None or c.pack.effective <= date]
                if in_force:
                    routed[id(in_force[-1])].append(fact)
                    if fact["type"] in in_force[-1].types:
                        judged.add(fact["id"])
                elif any(fact["type"] in c.types for c in revisions):
                    missed.add(fact["id"])
        return routed, len(missed - judged)

    def _result(self, findings: dict[str, Finding], derivations: dict[str, Derivation], known: dict[str, dict],
                historical: set[str], trace: Trace) -> Result:
        ordered = sorted(findings.values(), key=lambda f: (str(f.time), f.subject.kind, f.subject.id, f.rule, f.id))
        # Built without re-validation: the facts were checked when derived.
        derived = [DerivedFact.model_construct(**{k: v for k, v in known[i].items() if k != "source"}, derived_from=d)
                   for i, d in sorted(derivations.items()) if i not in historical]
        evidence: dict[str, dict] = {}
        stack = [i for f in ordered for i in f.facts]
        while stack:
            fact_id = stack.pop()
            if fact_id in evidence or fact_id not in known:
                continue
            evidence[fact_id] = canonical(known[fact_id])
            if fact_id in derivations:
                stack += derivations[fact_id].facts
        return Result(findings=ordered, derived=derived, trace=trace,
                      facts=dict(sorted(evidence.items())), derivations={i: derivations[i] for i in sorted(evidence)
                                                                          if i in derivations})


def _content(fact: dict) -> dict:
    return {k: v for k, v in fact.items() if k != "source"}


def partition(facts: list[dict], key: str | None, limit: int) -> list[list[dict]]:
    """Facts in session-sized chunks that never split a partition key's group (every rule joins
    on it, which the linter checks). Facts without the key go to every chunk."""
    if not key:
        return [facts] if facts else []
    groups: dict[str, list[dict]] = defaultdict(list)
    shared = []
    for fact in facts:
        value = fact.get(key)
        (groups[str(value)] if value is not None else shared).append(fact)
    chunks, chunk = [], []
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
    return PackUse(name=pack.name, version=pack.version, hash=pack.hash, document=pack.document["number"],
                   revision=pack.document["revision"], effective=pack.effective, facts=judged)
