"""The fatigue pack's six pre-shift rules written directly for durable_rules: the baseline.

Same conditions as rulesets/fatigue/rules/preshift.yaml with its default parameters, as a JSON
ruleset on the C API (`durable_rules_engine`, the fastest way into durable_rules and the one
engine/runtime.py uses; the `durable.lang` host adds a closure and a state write per action).
It follows DESIGN.md ("durable_rules, as measured here") as any careful user would: one ruleset
per process, facts partitioned by employee (every rule joins on it) into sessions of at most
`max_session_facts`, each session's state deleted after use, every assert's code checked.

Absence ("no readiness form for this roster shift") uses durable_rules' own negation, `$not`
(`none()` in the Python DSL). It is order dependent: a roster asserted before its form in the
same batch fires the rule, and the later form does not take it back. So each session asserts its
readiness forms before its rosters; derived `sleep_unfit` facts are asserted from the action, in
the same session, as patuh does (forward chaining).

`prepare()` puts records in durable_rules' form (ids; dates as epoch days, local times as epoch
seconds, as patuh encodes them) and is not part of the timed run: the baseline is durable_rules
itself, on facts already in its form.
"""
from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import defaultdict

import durable_rules_engine as core

NAME = "bench-raw-fatigue"
UTC_OFFSET_S = 7 * 3600  # Asia/Jakarta (WIB), the engine's default zone; no DST
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()

_OBLIGED = {"$or": [{"mobile_equipment": True}, {"high_risk": True}]}  # mobile equipment or high risk


def _join(alias: str, *tests: dict) -> list[dict]:
    """Join tests ended by one that cannot fail (an employee id is never a type name): when a
    join's LAST test fails, durable_rules 2.0.28 reads past the end of its expression list
    (README, "How the engine uses durable_rules"); the engine guards the same way."""
    return list(tests) + [{"$neq": {"employee": {alias: "type"}}}]


_SAME_SHIFT = ({"employee": {"shift": "employee"}}, {"date": {"shift": "date"}}, {"shift": {"shift": "shift"}})
RULESET = {
    # Every fact handled, so a non-zero assert code can only mean a lost fact (and rosters of
    # workers the clause does not oblige, which no rule wants, are not refused). The engine's
    # catch-all, verbatim: without it durable_rules returns code 1 for the whole batch, and
    # delete_state on that session then aborts the process ("double free or corruption").
    "~keep": {"all": [{"kept": {"$ex": {"id": 1}}}, {"never": {"type": "~never"}}]},
    "fatigue.readiness-form-missing": {"all": [
        {"shift": {"$and": [{"type": "roster"}, _OBLIGED]}},
        {"form$not": {"$and": [{"type": "readiness_form"}] + _join("shift", *_SAME_SHIFT)}},
    ]},
    "fatigue.readiness-form-late": {"all": [
        {"shift": {"$and": [{"type": "roster"}, _OBLIGED]}},
        {"form": {"$and": [{"type": "readiness_form"}]
                  + _join("shift", *_SAME_SHIFT, {"$gt": {"filled_at": {"shift": "start"}}})}},
    ]},
    "fatigue.sleep-under-4h": {"all": [
        {"form": {"$and": [{"type": "readiness_form"}, {"$lt": {"sleep_hours": 4}}]}},
    ]},
    "fatigue.sleep-under-4h-repeated": {"all": [
        {"first": {"type": "sleep_unfit"}},
        {"again": {"$and": [{"type": "sleep_unfit"}] + _join(
            "first", {"employee": {"first": "employee"}}, {"date": {"$add": {"$l": {"first": "date"}, "$r": 1}}})}},
    ]},
    "fatigue.sleep-shortfall-survey": {"all": [
        {"form": {"$and": [{"type": "readiness_form"}, {"$gte": {"sleep_hours": 4}}, {"$lt": {"sleep_hours": 7}}]}},
    ]},
    "fatigue.readiness-not-fit": {"all": [
        {"form": {"$and": [{"type": "readiness_form"}, {"fit": False}]}},
    ]},
}
# What RULESET hard-codes from rulesets/fatigue/parameters.yaml; the benchmark checks the engine
# compiled the same values.
PARAMETERS = {"sleep_no_work_below_h": 4, "sleep_minimum_h": 7, "repeat_next_day_d": 1}

_handle: int | None = None
_sids = itertools.count(1)


class RawError(Exception):
    pass


def handle() -> int:
    global _handle
    if _handle is None:
        _handle = core.create_ruleset(NAME, json.dumps(RULESET))
    return _handle


def _day(iso: str, cache: dict = {}) -> int:  # noqa: B006 - a deliberate memo
    day = cache.get(iso)
    if day is None:
        day = cache[iso] = dt.date.fromisoformat(iso).toordinal() - EPOCH_ORDINAL
    return day


def _seconds(iso: str) -> int:
    """'YYYY-MM-DDTHH:MM:SS' local (WIB) as epoch seconds."""
    return _day(iso[:10]) * 86400 + int(iso[11:13]) * 3600 + int(iso[14:16]) * 60 + int(iso[17:19]) - UTC_OFFSET_S


def prepare(records: list[dict]) -> list[dict]:
    out = []
    for i, r in enumerate(records):
        fact = dict(r, id=f"f{i}", date=_day(r["date"]))
        for name in ("start", "end", "filled_at"):
            if name in fact:
                fact[name] = _seconds(fact[name])
        out.append(fact)
    return out


def sessions(facts: list[dict], limit: int) -> list[list[dict]]:
    """Whole employees per session, at most `limit` facts (unless one employee has more);
    forms before rosters inside each session (see the module's note on `$not`)."""
    by_employee: dict[str, list[dict]] = defaultdict(list)
    for fact in facts:
        by_employee[fact["employee"]].append(fact)
    chunks, chunk = [], []
    for employee in sorted(by_employee):
        group = by_employee[employee]
        if chunk and len(chunk) + len(group) > limit:
            chunks.append(chunk)
            chunk = []
        chunk += group
    if chunk:
        chunks.append(chunk)
    return [sorted(c, key=lambda f: f["type"] != "readiness_form") for c in chunks]


class Run:
    """One evaluation: matches per rule, as sets of the facts each match binds."""

    def __init__(self) -> None:
        self.matches: dict[str, set] = {rule: set() for rule in RULESET if not rule.startswith("~")}
        self.sessions = 0

    def session(self, facts: list[dict]) -> None:
        h = handle()
        sid = f"raw{next(_sids)}"
        self.sessions += 1
        try:
            self._assert(h, sid, facts)
        finally:
            core.delete_state(h, sid)

    def _assert(self, h: int, sid: str, facts: list[dict], drain: bool = True) -> None:
        for fact in facts:
            fact["sid"] = sid
        code, state = core.assert_facts(h, json.dumps(facts))
        if code != 0:
            raise RawError(f"durable_rules refused a fact in session {sid} (code {code})")
        if not drain:
            return
        result = core.start_action_for_state(h, state)
        while result:
            for rule, frame in json.loads(result[1]).items():
                self._act(h, sid, rule, frame)
            following = core.complete_and_start_action(h, state)
            result = (None, following) if following else None

    def _act(self, h: int, sid: str, rule: str, frame: dict) -> None:
        if rule == "fatigue.readiness-form-missing":
            self.matches[rule].add(frame["shift"]["id"])
        elif rule == "fatigue.readiness-form-late":
            self.matches[rule].add((frame["shift"]["id"], frame["form"]["id"]))
        elif rule == "fatigue.sleep-under-4h-repeated":
            self.matches[rule].add(frame["again"]["id"])  # once per `again`, as the pack says
        else:
            form = frame["form"]
            self.matches[rule].add(form["id"])
            if rule == "fatigue.sleep-under-4h":
                derived = {"type": "sleep_unfit", "id": f"u{form['id']}", "employee": form["employee"],
                           "date": form["date"], "shift": form["shift"], "sleep_hours": form["sleep_hours"]}
                self._assert(h, sid, [derived], drain=False)  # the running drain picks it up

    def counts(self) -> dict[str, int]:
        return {rule: len(matched) for rule, matched in self.matches.items()}


def evaluate(facts: list[dict], max_session_facts: int) -> Run:
    run = Run()
    for chunk in sessions(facts, max_session_facts):
        run.session(chunk)
    return run
