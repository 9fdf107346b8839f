"""Result: what a rule's matches produce. During a session, the facts it derives (forward
chaining), the records it rejects and the facts it could not judge; afterwards, its findings
with their clause citations, RACI-resolved actions and sanctions, the obligations those actions
set with their status at the evaluation time, and the evaluation's whole Result, with the
evidence behind its findings.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple, TypeAlias, TypedDict, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from . import limits
from .compiler import CompiledPack, Unjudged, agg_alias, fact_id
from .expressions import CountRef, FieldRef, Now, Param, Text, evaluate, is_expression, plain, refs, shift
from .facts import FactTypes
from .models import (
    Action,
    Citation,
    Derivation,
    DerivedFact,
    Finding,
    Obligation,
    ObligationStatus,
    PackRef,
    Result,
    Sanction,
    Streamed,
    Subject,
    Trace,
    canonical,
    result_json,
)
from .pack import ActionSpec, Derive, Rule
from .plan import flat
from .problems import FactError, Rejected, SourceError, Where

Sources: TypeAlias = tuple[str, ...]  # the facts one derivation of a derived fact read
Values: TypeAlias = tuple[Any, ...]  # a derived fact's field values, in its derive's order of fields
# A derived fact's content: its type, its derive's field names (one tuple per derive, shared) and
# values. Flat: a tuple of (name, value) pairs cost a derived fact a fifth of its memory.
Content: TypeAlias = tuple[str, tuple[str, ...], Values]
Checked: TypeAlias = tuple[dict[str, Any], dict[str, Any]]  # a fact and its encoding


class Derived(NamedTuple):
    """The derivation a derived fact is shown with, as held until the result is made (its
    Derivation model then: a model each held from the first pack on was 21 MB at 100k facts)."""

    rule: str
    pack: str
    sources: Sources


class _Roles(TypedDict):
    """An action's RACI roles, by name."""

    responsible: list[str]
    accountable: list[str]
    consulted: list[str]
    informed: list[str]


@dataclass
class Match:
    rule: Rule
    binding: dict[str, str]  # fact alias -> fact id
    counts: dict[str, tuple[int, list[str]]]  # count alias -> (n, member ids); discharges as ~<action id>

    @property
    def fact_ids(self) -> list[str]:
        return list(self.sources)

    _sources: Sources | None = field(default=None, repr=False, compare=False)

    @property
    def sources(self) -> Sources:
        """The facts the match read, once: asked for by every finding, derived fact and obligation,
        and the tuple a derived fact keeps as its derivation's sources (shared, never changed).
        Kept in a field, not a cached_property, whose lock (Python 3.11) was 6 % of a match's handling."""
        if self._sources is None:
            ids = list(self.binding.values())
            for alias, (_, members) in self.counts.items():
                if not alias.startswith("~"):  # what could discharge an obligation is not evidence of the finding
                    ids += [m for m in members if m not in ids]
            self._sources = tuple(ids)
        return self._sources


@dataclass
class Lacking:
    """A fact a rule would judge that lacks fields the rule needs (an unjudged companion matched)."""

    rule: Rule
    alias: str
    binding: dict[str, str]
    fields: list[str]


@dataclass(frozen=True)
class _Bound:
    """How a rule's matches are read from durable_rules' frames, made once per rule: its facts'
    aliases; its counts' aliases with the frame's name of their aggregate; the aliases of counts
    the frame has no aggregate for (negated: nothing counted); and whether its matches are kept
    (a finding or an obligation is made of them)."""

    facts: tuple[str, ...]
    counted: tuple[tuple[str, str], ...]
    uncounted: tuple[str, ...]
    kept: bool


@dataclass
class _Fixed:
    """What every finding of one rule shares, made once per rule."""

    roles: list[_Roles]  # per action
    finding: dict[str, Any] = field(default_factory=dict)  # title, pack, severity, sanctions, ...


class Consequences:
    """Collects one compiled pack's matches in an evaluation and turns them into results.

    `now` is the evaluation time ($now, and what open and overdue are judged against);
    `horizon` the latest time the history covers: an obligation that fell due after it became
    overdue since the last run, which is when its finding is said."""

    def __init__(self, compiled: CompiledPack, types: FactTypes, facts: dict[str, dict[str, Any]],
                 historical: set[str], derivations: dict[str, Derived], now: dt.datetime,
                 horizon: dt.datetime | None = None):
        self.compiled, self.types = compiled, types
        self.facts, self.historical, self.derivations = facts, historical, derivations
        self.now, self.horizon = now, horizon
        self.today = now.astimezone(types.zone).date()
        self.matches: list[Match] = []  # of the rules with a finding or an obligation
        self.matched: dict[str, int] = {}  # rule -> its matches, for the trace
        self.lacking: dict[tuple[str, str], Lacking] = {}  # (rule, lacking fact) -> what it lacks
        self.rejected: dict[tuple[str, str], FactError] = {}  # (rule, record) -> the error
        self.produced: dict[str, dict[str, Any]] = {}  # derived fact id -> its encoding, for later parts
        # derived fact id -> the facts of each derivation: one tuple (most are derived once), a set
        # of them when derived several ways; the tuples are the matches' own (a set each cost a
        # quarter of a derived fact's memory)
        self.sources: dict[str, Sources | set[Sources]] = {}
        # derived fact id -> the least (rule, facts) deriving it here, a Derivation once all are in
        self._least: dict[str, tuple[str, Sources]] = {}
        self._current_elsewhere: set[str] = set()  # derived here, and already a current fact before
        self.params = {name: use.value for name, use in compiled.params.items()}
        self._fixed: dict[str, _Fixed] = {}
        self._bound: dict[str, _Bound] = {}
        self._citations: dict[str, list[Citation]] = {}  # rule -> its citations, when no fact names one
        # (rule, action, late) -> an obligation's breach: its rule id, title and sanctions
        self._overdue: dict[tuple[str, int, bool], tuple[str, str, list[Sanction]]] = {}
        self._checked: dict[Content, Checked] = {}  # derived fact's content -> (fact, encoding)
        self._names: dict[int, tuple[str, ...]] = {}  # id of a derive -> its field names
        self._subjects: dict[tuple[str, str], Subject] = {}
        self._actions: dict[tuple[int, str, str], Action] = {}
        # a time -> its text in the site's zone: findings show the same shift ends, due times and
        # evaluation time again and again (30k times shown at 100k facts, 6k of them distinct)
        self._times: dict[tuple[dt.datetime, int], str] = {}

    # -- during the session ---------------------------------------------------------------------
    def on_match(self, rule: Rule, frame: dict[str, Any]) -> list[dict[str, Any]]:
        match = self.match(rule, frame)
        return self.record(match, self.derived(match))

    def match(self, rule: Rule, frame: dict[str, Any]) -> Match:
        """A main rule's match as durable_rules framed it: the facts bound, the counts' groups.
        Each id is the fact's own text, not the copy cut from the frame: findings, obligations
        and derivations hold them all to the end (a copy each was 6 MB of the Result at 100k)."""
        facts = self.facts
        bound = self._bound.get(rule.id) or self._bind(rule)
        counts = {alias: (frame[name]["n"], [facts[m]["id"] for m in frame[name]["members"]])
                  for alias, name in bound.counted}
        for alias in bound.uncounted:
            counts[alias] = (0, [])
        return Match(rule, {alias: facts[fact_id(frame[alias])]["id"] for alias in bound.facts}, counts)

    def _bind(self, rule: Rule) -> _Bound:
        counted = [c.alias for c in self.compiled.counts[rule.id]]
        bound = self._bound[rule.id] = _Bound(
            tuple(c.alias for c in rule.facts), tuple((alias, agg_alias(alias)) for alias in counted),
            tuple(c.alias for c in rule.counts if c.alias not in counted),
            rule.finding is not None or any(a.discharged_by for a in rule.actions))
        return bound

    def derived(self, match: Match) -> list[tuple[int, Values]]:
        """The field values of each fact the match derives, by the index of its derive."""
        return [(i, values) for i, derive in enumerate(match.rule.derive) for values in self._derived(derive, match)]

    def record(self, match: Match, derived: list[tuple[int, Values]]) -> list[dict[str, Any]]:
        """Keep a match and the facts it derives (forward chaining): their encodings, to assert."""
        self.matched[match.rule.id] = self.matched.get(match.rule.id, 0) + 1
        if (self._bound.get(match.rule.id) or self._bind(match.rule)).kept:
            self.matches.append(match)  # kept for chosen(); one that only derives is done with here
        if match.rule.reject is not None:
            self._reject(match)
        return [self._assertable(match.rule, match.rule.derive[i], values, match) for i, values in derived]

    def on_unjudged(self, role: Unjudged, frame: dict[str, Any]) -> None:
        self.lacks(role, {c.alias: fact_id(frame[c.alias]) for c in role.rule.facts if c.alias in frame})

    def lacks(self, role: Unjudged, binding: dict[str, str]) -> None:
        """A fact the rule would judge lacks what it needs (its unjudged companion matched)."""
        rule, alias = role.rule, role.condition.alias
        lacking = self.facts[binding[alias]]
        missing = [name for name in role.fields if lacking.get(name) is None]
        self.lacking.setdefault((rule.id, binding[alias]), Lacking(rule, alias, binding, missing))

    def _reject(self, match: Match) -> None:
        first = self.facts[match.binding[match.rule.facts[0].alias]]
        key = (match.rule.id, first["id"])
        if key not in self.rejected:
            source = first.get("source") or {}
            place = ", ".join(f"{k} {source[k]}" for k in ("file", "sheet", "row") if source.get(k) is not None)
            where = Where(f"{first['type']} {first['id']}" + (f" ({place})" if place else ""))
            assert match.rule.reject is not None
            self.rejected[key] = Rejected(where, f"{self.render(match.rule.reject, match)} "
                                                 f"(rule {match.rule.id}, {self.compiled.pack.label})", match.rule.id)

    def _derived(self, derive: Derive, match: Match) -> list[Values]:
        """The field values of each fact a derive makes for a match: one, or one per step of `each`."""
        if derive.each is None:
            return [tuple([self.value(v, match) for v in derive.fields.values()])]
        each = derive.each
        start, end = self.value(each.start, match), self.value(each.end, match)
        if start is None or end is None:
            return []  # a period without its bounds has no steps
        out: list[Values] = []
        step = start
        while step < end:
            index = len(out) + 1
            if index > limits.MAX_STEPS:
                raise SourceError(each.at.where(), f"rule {match.rule.id}: each steps more than {limits.MAX_STEPS:,} "
                                                   f"times from {start} to {end}")
            following = self._moved(match, start, each.step * index, each.unit)
            scope = {"start": step, "end": following, "index": index}
            out.append(tuple([self.value(v, match, scope) for v in derive.fields.values()]))
            step = following
        return out

    def _moved(self, match: Match, start: Any, amount: Any, unit: str) -> Any:
        # Each step is counted from the start (31 Jan + 1 mo, + 2 mo: 28 Feb, 31 Mar), never
        # from the previous step, so a short month does not pull every later step back.
        try:
            return shift(start, "+", Decimal(repr(amount)) if isinstance(amount, float) else amount, unit)
        except OverflowError:
            raise SourceError(match.rule.at.where("then"), f"rule {match.rule.id}: a step from {start} is beyond the "
                                                           "calendar") from None

    def content(self, derive: Derive, values: Values) -> Content:
        """What a derived fact is made of, as the facts checked are remembered by."""
        names = self._names.get(id(derive))
        if names is None:
            names = self._names[id(derive)] = tuple(derive.fields)
        return derive.type, names, values

    def checked(self, rule: Rule, derive: Derive, values: Values) -> Checked:
        """A derived fact checked as a given one is, and its encoding; made once per content."""
        content = self.content(derive, values)
        checked = self._checked.get(content)
        if checked is None:  # many matches derive the same fact (one per shift and unit type)
            checked = self._checked[content] = self.types.check_encoded(
                {"type": derive.type, **{k: v for k, v in zip(content[1], values, strict=True) if v is not None}},
                f"rule {rule.id} (derive {derive.type})")
        return checked

    def remember(self, checked: dict[Content, Checked]) -> None:
        """Derived facts checked elsewhere (a worker process), so that they are not checked again."""
        self._checked.update(checked)

    def _assertable(self, rule: Rule, derive: Derive, values: Values, match: Match) -> dict[str, Any]:
        checked = self.checked(rule, derive, values)
        fact = checked[0]
        derived_id, sources = fact["id"], match.sources
        past = self.historical.issuperset(sources)
        if derived_id not in self.facts:
            self.facts[derived_id] = fact
            if past:
                self.historical.add(derived_id)
        elif derived_id not in self.sources and derived_id not in self.historical:
            self._current_elsewhere.add(derived_id)
        held = self.sources.get(derived_id)
        if held is None:
            self.sources[derived_id] = sources
        elif isinstance(held, tuple):
            if held != sources:
                self.sources[derived_id] = {held, sources}
        else:
            held.add(sources)
        if not past:
            self.historical.discard(derived_id)  # derived now from this run's facts: current
        # A fact derived several ways is shown with the least of them (by rule, then facts),
        # not the first to match, which depends on the order the facts came in.
        least = self._least.get(derived_id)
        if least is None or (rule.id, sources) < least:
            self._least[derived_id] = (rule.id, sources)
        self.produced.setdefault(derived_id, checked[1])
        return checked[1]  # sessions never change an encoding: one serves every session that asserts it

    # -- values ---------------------------------------------------------------------------------
    def value(self, expr: Any, match: Match, each: dict[str, Any] | None = None) -> Any:
        """A literal or an expression, as it holds for a match (None: a field it reads is absent);
        a text with expressions in braces (a derived field's), rendered."""
        if type(expr) is FieldRef and expr.part is None and expr.alias != "each":  # most values: a copy
            return self.facts[match.binding[expr.alias]].get(expr.field)
        if isinstance(expr, Text):
            return self.render(expr, match, each)
        if not is_expression(expr):
            return expr
        if isinstance(expr, (Param, Now, FieldRef)) or (isinstance(expr, CountRef) and expr.agg != "sum"):
            return self._resolve(expr, match, each)  # a value copied is never converted
        try:
            return plain(evaluate(expr, lambda ref: self._resolve(ref, match, each), self.types.next_shift))
        except OverflowError:
            raise SourceError(match.rule.at.where("then"), f"rule {match.rule.id}: {expr} is beyond the "
                                                           "calendar") from None

    def _resolve(self, ref: Any, match: Match, each: dict[str, Any] | None) -> Any:
        if isinstance(ref, Param):
            return self.params[ref.name]
        if isinstance(ref, Now):
            return self.now if ref.name == "now" else self.today
        if isinstance(ref, CountRef):
            n, members = match.counts[ref.alias]
            if ref.agg == "n":
                return n
            values = [v for m in members if (v := self.facts[m].get(ref.field or "")) is not None]
            if ref.agg == "sum":  # of nothing counted: 0; of facts none of which has the field: unknown
                if members and not values:
                    return None
                return sum((Decimal(repr(v)) if isinstance(v, float) else Decimal(v) for v in values), Decimal(0))
            if ref.agg == "list":
                return sorted({str(v) for v in values}, key=_natural)
            return (min if ref.agg == "min" else max)(values) if values else None
        assert isinstance(ref, FieldRef)
        if ref.alias == "each" and each is not None:
            value = each[ref.field]
        else:
            value = self.facts[match.binding[ref.alias]].get(ref.field)
        return self.types.local(value, ref.part) if ref.part and value is not None else value

    def render(self, text: Text, match: Match, each: dict[str, Any] | None = None) -> str:
        out = []
        for part in text.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            out.append(self._shown(self.value(part.expr, match, each), part.spec))
        return "".join(out)

    def _shown(self, value: Any, spec: str = "") -> str:
        if type(value) is not dt.datetime:
            return shown(value, self.types.zone, spec)
        # Equal aware times are one instant, shown alike in the site's zone; `fold` tells apart
        # the two instants one wall time names as clocks go back, which compare equal in a zone.
        key = (value, value.fold)
        text = self._times.get(key)
        if text is None:
            text = self._times[key] = local_text(value, self.types.zone)
        return text

    # -- after the session ----------------------------------------------------------------------
    def session_done(self) -> None:
        """A session has run (here, or replayed from a worker): the derived facts checked for it
        are let go. A session holds whole groups of its part's key, so another derives the same
        content only when the derive leaves the key out, and then checks it again: held until the
        pack's last session, the 6.3.1.3 units of a site's 100k facts were 10 MB."""
        self._checked = {}

    def sessions_done(self) -> None:
        """Every session of the pack has run: the derived facts' encodings are let go (the caller
        has taken them; what was checked for each session went as it ended)."""
        self.produced = {}

    def chosen(self) -> list[Match]:
        """One match per finding: per rule and once_per binding (else per set of facts), the
        earliest. Historical ones included (their obligations are still tracked)."""
        chosen: dict[tuple[str, ...], Match] = {}
        for match in self.matches:
            once = match.rule.once_per
            key = (match.rule.id,) + (tuple(match.binding[a] for a in once) if once else tuple(match.fact_ids))
            if key not in chosen or self._order(match) < self._order(chosen[key]):
                chosen[key] = match
        return list(chosen.values())

    def _historical(self, ids: list[str]) -> bool:
        return all(i in self.historical for i in ids)

    def settle_history(self) -> None:
        """Which derived facts are history, once every session is in: a fact is current when one
        of its derivations reads a current fact. While the sessions ran, a fact first derived from
        history may have been derived again from this run's facts after another was derived from
        it; that other is current too, whatever the order."""
        mine = self.sources
        current = set(self._current_elsewhere)
        waiting = {d for d in mine if d not in current}
        while True:
            found = {d for d in waiting if any(any(s in current or (s not in mine and s not in self.historical)
                                                   for s in derivation) for derivation in _each(mine[d]))}
            if not found:
                break
            current |= found
            waiting -= found
        self.historical -= current
        self.historical |= waiting

    def findings(self) -> tuple[list[Finding], list[Obligation]]:
        """The findings of this run (those of facts judged in an earlier run are not said again;
        an unjudged fact is an observation), and the obligations the findings set. Once only:
        the matches and the sources of derived facts are let go as they are done with (with the
        findings, they were the evaluation's peak)."""
        self.settle_history()
        pack = self.compiled.pack.name
        for derived_id, (rule_id, sources) in self._least.items():  # beside earlier packs' derivations
            shown = self.derivations.get(derived_id)
            if shown is None or (rule_id, sources) < (shown.rule, shown.sources):
                self.derivations[derived_id] = Derived(rule_id, pack, sources)
        self._least, self.sources = {}, {}
        findings: list[Finding] = []
        obligations: list[Obligation] = []
        chosen = self.chosen()
        self.matches = []
        chosen.reverse()
        while chosen:  # in order, each match let go once its finding and obligations are made
            match = chosen.pop()
            finding = self.finding(match) if match.rule.finding else None
            if finding is not None and not self._historical(match.fact_ids):
                findings.append(finding)
            for spec in match.rule.actions:
                if spec.discharged_by is not None:
                    obligation, breach = self.obligation(match, spec, finding)
                    if obligation is not None:
                        obligations.append(obligation)
                    if breach is not None:
                        findings.append(breach)
        findings += [self.unjudged(lacking) for lacking in sorted(self.lacking.values(), key=_lacking_key)
                     if not self._historical(list(lacking.binding.values()))]
        return findings, obligations

    def _order(self, match: Match) -> tuple[tuple[str, str], ...]:
        return tuple((str(self.types.event(self.facts[i])), i) for i in match.binding.values())

    def _time(self, ids: list[str]) -> dt.datetime | dt.date | None:
        times = [t for t in (self.types.event(self.facts[i]) for i in ids) if t is not None]
        return max(times, key=self.types.instant) if times else None

    def finding(self, match: Match) -> Finding:
        rule = match.rule
        fixed = self._fixed.get(rule.id) or self._fix(rule)
        ids = match.fact_ids
        assert rule.finding is not None
        # Built without re-validation: every part is made here, from checked packs and facts.
        return _made(Finding,
            id=_id("F", rule.id, self.compiled.pack.name, *sorted(ids)),
            rule=rule.id,
            subject=self.subject(match),
            message=self.render(rule.finding.message, match),
            time=self._time(list(match.binding.values())),
            facts=ids,
            clauses=self.citations(rule, match),
            actions=[self.action(a, match, roles) for a, roles in zip(rule.actions, fixed.roles, strict=True)],
            severity=rule.finding.severity,
            **fixed.finding,
        )

    def _fix(self, rule: Rule) -> _Fixed:
        """What a rule's findings share, made once per rule: pack, sanctions, roles."""
        pack = self.compiled.pack
        raci = pack.raci

        def names(keys: list[str]) -> list[str]:
            return [raci.roles[k] for k in keys] if raci else []

        roles: list[_Roles] = []
        for spec in rule.actions:
            process = raci.processes.get(spec.raci) if raci and spec.raci else None
            roles.append({"responsible": names(process.R if process else []) + names(spec.responsible),
                          "accountable": names(process.A if process else []) + names(spec.accountable),
                          "consulted": names(process.C if process else []),
                          "informed": names(process.I if process else [])})
        fixed = _Fixed(roles, {
            "title": rule.title,
            "pack": PackRef(name=pack.name, version=pack.version, hash=pack.hash),
            "sanctions": [Sanction(rung=pack.sanctions[s.rung].id, label=pack.sanctions[s.rung].label, note=s.note)
                          for s in rule.sanctions],
            "interpretation": rule.interpretation,
            "parameters": {n: self.compiled.params[n] for n in sorted(parameters_used(rule))},
        })
        self._fixed[rule.id] = fixed
        return fixed

    def citations(self, rule: Rule, match: Match | None) -> list[Citation]:
        """The clauses a finding cites: the rule's own, and those its facts name ($r.criterion).
        A rule that cites only by number cites the same for every match: made once."""
        static = all(isinstance(c, str) for c in rule.cited)
        if static and rule.id in self._citations:
            return self._citations[rule.id]  # one list for the rule's findings (52k copies: 1.9 MB at 100k facts)
        pack = self.compiled.pack
        numbers: list[str] = []
        for cited in rule.cited:
            number = cited if isinstance(cited, str) else (
                self.value(cited, match) if match is not None and cited.alias in match.binding else None)
            if number is not None and str(number) in pack.clauses and str(number) not in numbers:
                numbers.append(str(number))
        cited = [Citation(document=pack.source_of(n).number, revision=pack.source_of(n).revision,
                          number=n, text=pack.clauses[n].text) for n in numbers]
        if static:
            self._citations[rule.id] = cited
        return cited

    def subject(self, match: Match) -> Subject:
        spec = match.rule.subject
        if spec:
            return self._subject(spec.kind, self.render(spec.id, match))
        return self._own_subject(match.rule.facts[0].type, match.binding[match.rule.facts[0].alias])

    def _subject(self, kind: str, id_: str) -> Subject:
        """One Subject per kind and id, shared by its findings and obligations as their clauses
        are (an operator has many findings; a model each was a sixth of a finding's memory)."""
        made = self._subjects.get((kind, id_))
        if made is None:
            made = self._subjects[(kind, id_)] = _made(Subject, kind=kind, id=id_)
        return made

    def _own_subject(self, kind: str, fact_id_: str) -> Subject:
        fact = self.facts[fact_id_]
        name = self.types.declarations[kind].get("subject")
        if name and fact.get(name) is not None:
            return self._subject(name, str(fact[name]))
        return self._subject(kind, fact["id"])

    def due(self, spec: ActionSpec, match: Match) -> dt.datetime | dt.date | None:
        if not spec.due or spec.due.at_time is None:
            return None
        due = self.value(spec.due.at_time, match)
        return due if isinstance(due, dt.date) else None

    def action(self, spec: ActionSpec, match: Match, roles: _Roles) -> Action:
        """A finding's action; one Action per rule's action, text and due time, shared by the
        findings that ask the same (most rules' actions read the same for every match)."""
        what, due = self.render(spec.what, match), self.due(spec, match)
        key = (id(spec), what, repr(due))  # the time as given (offset, zone), not its instant alone
        made = self._actions.get(key)
        if made is None:
            made = self._actions[key] = _made(Action, what=what, raci=spec.raci, due=due,
                                              due_text=spec.due.text if spec.due else None, **roles)
        return made

    # -- obligations ------------------------------------------------------------------------------
    def obligation(self, match: Match, spec: ActionSpec, finding: Finding | None
                   ) -> tuple[Obligation | None, Finding | None]:
        """The obligation an action sets for a match, with its status now, and the finding it is
        when overdue or late (when the action says what that is). An obligation of an earlier
        run is shown while not done, and when this run's facts discharge it."""
        rule = match.rule
        index = rule.actions.index(spec)
        # as the finding's action asks it: its text and due time are already made
        asked = finding.actions[index] if finding is not None else None
        due = asked.due if asked is not None else self.due(spec, match)
        candidates = match.counts.get(f"~{spec.id}", (0, []))[1]
        # Every candidate is dated (plan requires the field), and sorted by when it was made.
        # what a fact says was done after the evaluation time has not been done yet
        dated = sorted(((t, m) for m in candidates if (t := self._done_at(spec, self.facts[m])) is not None
                        and not _after_now(self.types, t, self.now)),
                       key=lambda pair: (self.types.instant(pair[0]), pair[1]))
        on_time = [(t, m) for t, m in dated if t is not None and (due is None or _by(self.types, t, due))]
        chosen = on_time[0] if on_time else dated[0] if dated else None
        status: ObligationStatus
        if chosen is not None:
            status = "done" if on_time else "late"
        elif due is None or not _passed(self.types, self.now, due):
            status = "open"
        else:
            status = "overdue"
        fixed = self._fixed.get(rule.id) or self._fix(rule)
        roles = fixed.roles[index]
        historical = self._historical(match.fact_ids)
        fresh = chosen is not None and chosen[1] not in self.historical  # discharged by this run's facts
        subject = finding.subject if finding else self.subject(match)
        ids = match.fact_ids
        obligation = _made(Obligation,
            id=_id("O", rule.id, spec.id or "", self.compiled.pack.name, *sorted(ids)),
            finding=finding.id if finding else None, rule=rule.id, action=spec.id,
            pack=fixed.finding["pack"], clauses=self.citations(rule, match), subject=subject,
            what=asked.what if asked is not None else self.render(spec.what, match),
            due=due, due_text=spec.due.text if spec.due else None, status=status,
            discharged_by=chosen[1] if chosen else None, discharged_at=chosen[0] if chosen else None,
            facts=ids, responsible=roles["responsible"], accountable=roles["accountable"])
        shown = obligation if (not historical or status != "done" or fresh) else None
        breach = None
        if spec.overdue is not None and status in ("overdue", "late"):
            said_before = (status == "late" and not fresh) or (
                status == "overdue" and historical and due is not None and self.horizon is not None
                and not _after(self.types, due, self.horizon))
            if not said_before:
                breach = self.breach(match, spec, obligation, roles)
        return shown, breach

    def _done_at(self, spec: ActionSpec, fact_: dict[str, Any]) -> dt.date | None:
        """When a discharging fact did what was asked: its `at` field, else its event time."""
        value = fact_.get(spec.discharged_at) if spec.discharged_at else self.types.event(fact_)
        return value if isinstance(value, dt.date) else None

    def breach(self, match: Match, spec: ActionSpec, obligation: Obligation, roles: _Roles) -> Finding:
        """An obligation overdue or done late, as a finding against the role accountable for it."""
        assert spec.overdue is not None
        rule, late = match.rule, obligation.status == "late"
        pack = self.compiled.pack
        accountable = roles["accountable"] or roles["responsible"]
        subject = self._subject("role", accountable[0]) if accountable else obligation.subject
        due = self._shown(obligation.due)
        if spec.overdue.message is not None:
            message = self.render(spec.overdue.message, match)
        elif late:
            done = self.facts[obligation.discharged_by]["type"] if obligation.discharged_by else "it"
            message = f"{obligation.what}: due {due}, done only at {self._shown(obligation.discharged_at)} ({done})"
        else:
            message = f"{obligation.what}: due {due}, not done by {self._shown(self.now)}"
        ids = obligation.facts + ([obligation.discharged_by] if late and obligation.discharged_by else [])
        status = "late" if late else "overdue"
        fixed = self._fixed.get(rule.id) or self._fix(rule)  # what every finding of the rule shares
        shared = self._overdue.get((rule.id, rule.actions.index(spec), late))
        if shared is None:  # made once, as a rule's own findings share theirs (9k breaches: 3 MB at 100k facts)
            shared = self._overdue[(rule.id, rule.actions.index(spec), late)] = (
                f"{rule.id}.{spec.id}-{status}", f"{rule.title}: {'done late' if late else 'overdue'}",
                [Sanction(rung=pack.sanctions[s.rung].id, label=pack.sanctions[s.rung].label, note=s.note)
                 for s in spec.overdue.sanctions])
        name, title, sanctions = shared
        return _made(Finding,
            id=_id("F", name, pack.name, *sorted(ids)), rule=name, title=title,
            pack=fixed.finding["pack"], clauses=obligation.clauses,
            severity=(spec.overdue.late_severity or spec.overdue.severity) if late else spec.overdue.severity,
            message=message, subject=subject,
            time=obligation.discharged_at if late else obligation.due,
            facts=ids, actions=[], sanctions=sanctions, interpretation=rule.interpretation,
            parameters=fixed.finding["parameters"])

    def unjudged(self, lacking: Lacking) -> Finding:
        """A fact a rule could not judge, said as an observation: nothing is silently unjudged."""
        rule = lacking.rule
        pack = self.compiled.pack
        fact_ = self.facts[lacking.binding[lacking.alias]]
        kind = next(c.type for c in rule.when if c.alias == lacking.alias)
        ids = list(lacking.binding.values())
        return _made(Finding,
            id=_id("F", f"{rule.id}.unjudged", pack.name, *sorted(ids)),
            rule=f"{rule.id}.unjudged", title=f"{rule.title}: cannot be judged",
            pack=PackRef(name=pack.name, version=pack.version, hash=pack.hash),
            clauses=self.citations(rule, None), severity="observation",
            message=(f"{rule.id} cannot judge {kind} {fact_['id']}: it lacks "
                     f"{' and '.join(lacking.fields)}"),
            subject=self._own_subject(kind, fact_["id"]),
            time=self._time([fact_["id"]]), facts=ids, actions=[], sanctions=[],
            interpretation=rule.interpretation, parameters={})

    def rejects(self) -> list[FactError]:
        """The records rules rejected (bad input the fact checker could not see), in order."""
        return [self.rejected[k] for k in sorted(self.rejected)]


def _each(sources: Sources | set[Sources]) -> Iterable[Sources]:
    """A derived fact's derivations, as Consequences.sources holds them."""
    return (sources,) if isinstance(sources, tuple) else sources


def _natural(text: str) -> list[Any]:
    """A sort key that puts 1.2.10 after 1.2.9."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]


def _lacking_key(lacking: Lacking) -> tuple[str, str]:
    return lacking.rule.id, lacking.binding[lacking.alias]


def _id(prefix: str, *parts: str) -> str:
    return f"{prefix}-" + hashlib.blake2b("\0".join(parts).encode(), digest_size=8).hexdigest()


def _by(types: FactTypes, done: dt.date, due: dt.date) -> bool:
    """Whether something done at `done` met a due time (a due date: any time on that day)."""
    if isinstance(due, dt.datetime):
        return types.instant(done) <= due
    return (done.astimezone(types.zone).date() if isinstance(done, dt.datetime) else done) <= due


def _passed(types: FactTypes, now: dt.datetime, due: dt.date) -> bool:
    """Whether a due time (or due date, all of it) has passed at `now`."""
    return now > due if isinstance(due, dt.datetime) else now.astimezone(types.zone).date() > due


def _after_now(types: FactTypes, done: dt.date, now: dt.datetime) -> bool:
    """Whether something is dated after the evaluation time (a date: after its day)."""
    return types.instant(done) > now if isinstance(done, dt.datetime) else done > now.astimezone(types.zone).date()


def _after(types: FactTypes, due: dt.date, horizon: dt.datetime) -> bool:
    return _passed(types, horizon, due) is False


def shown(value: Any, zone: dt.tzinfo, spec: str = "") -> str:
    """A value as a text shows it: a time in the site's zone, a number as written or in `spec`."""
    if value is None:
        return "-"  # a field the fact does not have
    if isinstance(value, list):
        return ", ".join(shown(v, zone) for v in value)
    if isinstance(value, dt.date):
        return local_text(value, zone)
    if spec and isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return format(value, spec)
        except ValueError:
            return format(float(value), spec)
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value)


def local_text(value: dt.date | None, zone: dt.tzinfo | str | None) -> str:
    """A time as a person reads it: in the site's zone, which it names ("2026-03-02 14:00 WITA");
    seconds only when there are some. A date as it is."""
    if value is None:
        return ""
    if not isinstance(value, dt.datetime):
        return value.isoformat()
    zone = ZoneInfo(zone) if isinstance(zone, str) else zone
    local = value.astimezone(zone) if zone is not None and value.tzinfo else value
    text = local.strftime("%Y-%m-%d %H:%M" + (":%S" if local.second or local.microsecond else ""))
    return f"{text} {zone_name(local)}" if local.tzinfo else text


def zone_name(local: dt.datetime) -> str:
    """The zone a local time is shown in: its abbreviation (WIB, WITA, WIT), else its offset."""
    name = local.tzname() or ""
    return name if name and not name.startswith(("+", "-", "UTC")) else local.strftime("%z")[:3] + ":" + \
        local.strftime("%z")[3:]


def parameters_used(rule: Rule) -> set[str]:
    """The parameters a rule's conditions, derived facts, texts and due times read."""
    values: list[Any] = []
    for condition in rule.when:
        for test in flat(condition.tests) + condition.compare:
            values += test.value if isinstance(test.value, list) else [test.value]
    for derive in rule.derive:
        values += [slot.expr for v in derive.fields.values() if isinstance(v, Text) for slot in v.slots]
        values += [v for v in derive.fields.values() if not isinstance(v, Text)]
        if derive.each:
            values += [derive.each.start, derive.each.end]
    texts = ([rule.finding.message] if rule.finding else []) + [a.what for a in rule.actions] + (
        [rule.subject.id] if rule.subject else [])
    values += [slot.expr for text in texts for slot in text.slots]
    for action in rule.actions:
        if action.due and action.due.at_time is not None:
            values.append(action.due.at_time)
        if action.discharged_by:
            values += [v for t in flat(action.discharged_by.tests) for v in
                       (t.value if isinstance(t.value, list) else [t.value])]
    return {r.name for value in values for r in refs(value) if isinstance(r, Param)}


@dataclass(frozen=True)
class _Shape:
    """How `_made` builds one kind of model from one set of names given."""

    given: set[str]  # the names given, one set shared by every instance (pydantic made one each:
    # 728 bytes for a finding's, a sixth of a site-month's findings in memory); never changed
    fields: tuple[tuple[str, Callable[[], Any] | None], ...]  # in the model's order: None if given, else its default
    extra: tuple[str, ...] | None  # names given beyond the fields; None: the model takes no extra fields


_SHAPES: dict[tuple[type, tuple[str, ...]], _Shape] = {}
_M = TypeVar("_M", bound=BaseModel)


def _shape(cls: type[BaseModel], names: tuple[str, ...]) -> _Shape:
    fields = cls.__pydantic_fields__
    if cls.__pydantic_post_init__ or cls.__pydantic_root_model__ or any(
            f.alias or f.validation_alias for f in fields.values()):
        raise TypeError(f"{cls.__name__}: _made builds plain models only")  # none of patuh's is otherwise
    extra = tuple(n for n in names if n not in fields) if cls.model_config.get("extra") == "allow" else None
    return _Shape(given=set(names) & set(fields),
                  fields=tuple((name, None if name in names else functools.partial(
                      field.get_default, call_default_factory=True, validated_data={}))
                      for name, field in fields.items()),
                  extra=extra)


def _made(cls: type[_M], extra: dict[str, Any] | None = None, /, **values: Any) -> _M:
    """A model built from checked parts without validation, as model_construct builds it (its
    fields in order, defaults made, extra fields apart) with the work per field done once per
    kind and set of names given: model_construct was a quarter of making findings. `extra`: a
    dict taken over as the model's extra fields (`values` then names its fields only)."""
    shape = _SHAPES.get((cls, tuple(values)))
    if shape is None:
        shape = _SHAPES[(cls, tuple(values))] = _shape(cls, tuple(values))
    made = cls.__new__(cls)
    object.__setattr__(made, "__dict__", {name: values[name] if default is None else default()
                                          for name, default in shape.fields})
    object.__setattr__(made, "__pydantic_fields_set__", shape.given)
    if extra is None:
        extra = None if shape.extra is None else {name: values[name] for name in shape.extra}
    elif shape.extra != ():
        raise TypeError(f"{cls.__name__}: extra fields given both ways, or to a model that takes none")
    object.__setattr__(made, "__pydantic_extra__", extra)
    object.__setattr__(made, "__pydantic_private__", None)
    return made


def _rested_on(findings: Iterable[Finding], obligations: Iterable[Obligation], derivations: dict[str, Derived]
              ) -> set[str]:
    """The ids of the facts findings and obligations rest on, through the chains of derived facts."""
    found: set[str] = set()
    stack = [i for f in findings for i in f.facts]
    stack += [i for o in obligations for i in o.facts + ([o.discharged_by] if o.discharged_by else [])]
    while stack:
        fact_id_ = stack.pop()
        if fact_id_ not in found:
            found.add(fact_id_)
            if fact_id_ in derivations:
                stack += derivations[fact_id_].sources
    return found


@dataclass
class Judgement:
    """An evaluation's findings, obligations and derived facts before they are a Result: made into
    one (`result`), or written out as its JSON (`json_chunks`) with each derived fact and piece of
    evidence made as it is written and let go, never the Result at once (at 100k facts the
    Result's models were its peak, 15 MB over everything before them). Either, once."""

    findings: list[Finding]  # in time order
    obligations: list[Obligation]  # by due time
    derivations: dict[str, Derived]
    known: dict[str, dict[str, Any]]  # the facts derived, and those a finding or obligation rests on
    historical: set[str]
    evidence: list[str]  # in order: every known fact a finding or obligation rests on, through derived facts
    trace: Trace

    def result(self) -> Result:
        derivations = {i: self._derivation(i) for i in self.derivations}  # shared by derived and the evidence
        derived: list[DerivedFact] = []
        shown: dict[str, dict[str, Any]] = {}  # the evidence of derived facts, made before their dicts change
        rested = set(self.evidence)
        for i in self._derived():
            fact = self.known.pop(i)
            if i in rested:
                shown[i] = canonical(fact)
            derived.append(_derived_fact(fact, derivations[i]))
        evidence = {i: shown.pop(i) if i in shown else canonical(self.known.pop(i)) for i in self.evidence}
        # Made without validation too: validating copied every fact of the evidence (a seventh of the
        # evaluation's memory).
        return Result.model_construct(findings=self.findings, obligations=self.obligations, derived=derived,
                                      trace=self.trace, facts=evidence,
                                      derivations={i: derivations[i] for i in self.evidence if i in derivations})

    def json_chunks(self) -> Iterator[bytes]:
        """The bytes `self.result().json_chunks()` gives, without making the Result."""
        def derived(i: str) -> DerivedFact:  # around a copy: `facts`, later, writes the fact as it is
            return _derived_fact(dict(self.known[i]), self._derivation(i))

        # written in the order of the Result's fields: `derived` reads a fact that `facts`, later, lets go
        return result_json({
            "findings": self.findings, "obligations": self.obligations, "trace": self.trace,
            "derived": Streamed(self._derived(), derived, mapping=False),
            "facts": Streamed(self.evidence, lambda i: canonical(self.known.pop(i)), mapping=True),
            "derivations": Streamed([i for i in self.evidence if i in self.derivations], self._derivation,
                                    mapping=True)})

    def _derived(self) -> list[str]:
        """The facts derived now (not from history alone), in order of id."""
        return [i for i in sorted(self.derivations) if i not in self.historical]

    def _derivation(self, fact_id_: str) -> Derivation:
        rule, pack, sources = self.derivations[fact_id_]
        return _made(Derivation, rule=rule, pack=pack, facts=list(sources))


def _derived_fact(fact: dict[str, Any], derivation: Derivation) -> DerivedFact:
    """A derived fact's model around its own dict, which becomes the model's extra fields (its
    type, id and source taken out): built without re-validation, as it was checked when derived."""
    kind, id_ = fact.pop("type"), fact.pop("id")
    fact.pop("source", None)
    return _made(DerivedFact, fact, type=kind, id=id_, derived_from=derivation)


def judgement(findings: dict[str, Finding], obligations: list[Obligation], derivations: dict[str, Derived],
              known: dict[str, dict[str, Any]], historical: set[str], trace: Trace) -> Judgement:
    """The evaluation's judgement: findings in time order, the obligations by due time, the facts
    derived now, and the evidence (every fact a finding or obligation rests on, through the
    chains of derived facts). It takes `known` over: the facts nothing rests on are dropped from
    it at once (nothing else holds them by now; the one dict every pack shared)."""
    def when(value: Any) -> str:
        return value.isoformat() if isinstance(value, dt.date) else ""

    rested = _rested_on(findings.values(), obligations, derivations)
    for fact_id_ in [i for i in known if i not in rested and i not in derivations]:
        del known[fact_id_]
    evidence = sorted(i for i in rested if i in known)
    del rested
    # sorted once the facts are let go: the sort keys take the memory they held (the peak, else)
    ordered = sorted(findings.values(), key=lambda f: (str(f.time), f.subject.kind, f.subject.id, f.rule, f.id))
    tracked = sorted(obligations, key=lambda o: (when(o.due), o.rule, o.id))
    return Judgement(ordered, tracked, derivations, known, historical, evidence, trace)
