"""The store: every evaluation recorded, and the history later evaluations read, in SQLite (a
site's file) or PostgreSQL (a company's database) through SQLAlchemy, the schema under alembic
migrations (engine/migrations/).

What an evaluation records, in one transaction: the facts given (content, content hash, source),
the packs (name, version, content hash), the parameters as settled with their sources, the site
config, the evaluation time, the findings, derived facts and obligations (a row each time an
obligation's status changes), and a digest of all of it chained to the previous evaluation's
(a tamper-evident log): `verify` re-checks every row, digest and link and names what was altered.

Writers take the store's write lock before they read the history, and hold it until the commit
(PostgreSQL: an advisory transaction lock; SQLite: BEGIN IMMEDIATE), so two evaluations never
interleave and each sees every evaluation committed before it. A crash or kill -9 in the middle
leaves the store as it was: nothing is visible before the commit.

Tables (see `METADATA`): evaluations, evaluation_packs, parameters, facts (each fact once, by id),
evaluation_facts (which evaluation was given which fact, with its source), findings, derived,
obligations, api_tokens.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .models import Finding, Obligation, ParameterUse, Result, canonical
from .problems import SourceError, Where

T = TypeVar("T")

# -- the schema ------------------------------------------------------------------------------------------------------
# The migrations (engine/migrations/versions/) make this schema; tests/test_store.py checks they agree.
METADATA = sa.MetaData()

evaluations = sa.Table(
    "evaluations", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # 1, 2, ...: the chain's order
    sa.Column("recorded_at", sa.String(40), nullable=False),  # wall clock, UTC, ISO
    sa.Column("as_of", sa.String(40)),  # the evaluation time (Trace.as_of), when the engine says it
    sa.Column("origin", sa.String(40), nullable=False),  # cli, service, python, ...
    sa.Column("patuh_version", sa.String(40), nullable=False),
    sa.Column("config", sa.Text, nullable=False),  # JSON: label, timezone, parameters as given
    sa.Column("trace", sa.Text, nullable=False),  # JSON: Result.trace
    sa.Column("facts_in", sa.Integer, nullable=False),
    sa.Column("facts_history", sa.Integer, nullable=False),
    sa.Column("history", sa.Text, nullable=False),  # JSON: how the history was read (window, key)
    sa.Column("digest", sa.String(64), nullable=False),  # sha256 of everything this evaluation recorded
    sa.Column("previous", sa.String(64), nullable=False),  # the previous evaluation's chain ("" for the first)
    sa.Column("chain", sa.String(64), nullable=False),  # sha256(previous + digest)
)

evaluation_packs = sa.Table(
    "evaluation_packs", METADATA,
    sa.Column("evaluation_id", sa.Integer, sa.ForeignKey("evaluations.id"), primary_key=True),
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("version", sa.String(100), primary_key=True),
    sa.Column("hash", sa.String(128), nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # JSON: name, version, hash, document, revision, effective, path
)

parameters = sa.Table(
    "parameters", METADATA,
    sa.Column("evaluation_id", sa.Integer, sa.ForeignKey("evaluations.id"), primary_key=True),
    sa.Column("pack", sa.String(300), primary_key=True),  # the pack's label: "fatigue 0.2.0"
    sa.Column("period", sa.String(10), primary_key=True),  # the date its values hold from; "" for always
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("body", sa.Text, nullable=False),  # JSON: the ParameterUse (value, unit, clause, source, ...)
)

facts = sa.Table(
    "facts", METADATA,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("type", sa.String(200), nullable=False, index=True),
    sa.Column("content", sa.Text, nullable=False),  # canonical JSON of the fact without its source
    sa.Column("hash", sa.String(64), nullable=False),  # sha256 of content
    sa.Column("day", sa.String(10), index=True),  # the local date it happened on (history windows)
    sa.Column("key_field", sa.String(200)),  # the partition field (history by employee, ...)
    sa.Column("key_value", sa.String(1000)),
    sa.Column("evaluation_id", sa.Integer, sa.ForeignKey("evaluations.id"), nullable=False, index=True),  # first
    sa.Column("source", sa.Text),  # JSON: the source it was first given with
    sa.Index("ix_facts_key", "key_field", "key_value"),
)

evaluation_facts = sa.Table(
    "evaluation_facts", METADATA,
    sa.Column("evaluation_id", sa.Integer, sa.ForeignKey("evaluations.id"), primary_key=True),
    sa.Column("fact_id", sa.String(200), sa.ForeignKey("facts.id"), primary_key=True, index=True),
    sa.Column("hash", sa.String(64), nullable=False),  # the content hash as given then
    sa.Column("source", sa.Text),  # JSON: detector, file, row, frames
)

findings = sa.Table(
    "findings", METADATA,
    sa.Column("evaluation_id", sa.Integer, sa.ForeignKey("evaluations.id"), primary_key=True),
    sa.Column("id", sa.String(100), primary_key=True, index=True),
    sa.Column("rule", sa.String(300), nullable=False, index=True),
    sa.Column("pack", sa.String(200), nullable=False),
    sa.Column("severity", sa.String(20), nullable=False),
    sa.Column("subject_kind", sa.String(200), nullable=False),
    sa.Column("subject_id", sa.String(1000), nullable=False),
    sa.Column("day", sa.String(10), index=True),
    sa.Column("body", sa.Text, nullable=False),  # JSON: the Finding
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index("ix_findings_subject", "subject_kind", "subject_id"),
)

derived = sa.Table(
    "derived", METADATA,
    sa.Column("evaluation_id", sa.Integer, sa.ForeignKey("evaluations.id"), primary_key=True),
    sa.Column("id", sa.String(200), primary_key=True, index=True),
    sa.Column("type", sa.String(200), nullable=False),
    sa.Column("day", sa.String(10), index=True),
    sa.Column("key_field", sa.String(200)),
    sa.Column("key_value", sa.String(1000)),
    sa.Column("body", sa.Text, nullable=False),  # JSON: {"fact": the fact, "derived_from": its derivation}
    sa.Column("hash", sa.String(64), nullable=False),
)

obligations = sa.Table(
    "obligations", METADATA,
    sa.Column("evaluation_id", sa.Integer, sa.ForeignKey("evaluations.id"), primary_key=True),
    sa.Column("id", sa.String(100), primary_key=True, index=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("finding", sa.String(100)),  # None: a rule that sets obligations without a finding
    sa.Column("body", sa.Text, nullable=False),  # JSON: the Obligation
    sa.Column("hash", sa.String(64), nullable=False),
)

api_tokens = sa.Table(
    "api_tokens", METADATA,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),  # sha256 of the token; the token is not kept
    sa.Column("role", sa.String(10), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
)

ROLES = ("read", "write", "admin")  # each includes the ones before it
LOCK_KEY = 0x7061_7475_6800  # "patuh": PostgreSQL's advisory lock for writers
DEFAULT_HISTORY_DAYS = 31  # how far before and after the facts given the history reaches


class StoreError(SourceError):
    """A store that cannot be opened or used, or what it refuses (a fact id given other content)."""


# -- hashing ---------------------------------------------------------------------------------------------------------
def dumps(value: Any) -> str:
    """The one JSON text of a value: sorted keys, no spaces, times as ISO text. What is hashed."""
    return json.dumps(canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fact_content(fact: dict[str, Any]) -> str:
    """A fact's content as stored and hashed: every field but its source."""
    return dumps({k: v for k, v in fact.items() if k != "source"})


# -- what an evaluation hands the store -----------------------------------------------------------------------------
@dataclass
class HistorySpec:
    """How an engine's history is read from the store: the facts whose day lies within `days` of
    the facts given, and when every part of the packs groups by one field (`key`), only those with
    a value of it among the facts given, with no value, of another key, or of a type that parts
    grouped otherwise read (`shared`)."""

    days: int = DEFAULT_HISTORY_DAYS
    key: str | None = None
    shared: set[str] = field(default_factory=set)

    def as_json(self) -> dict[str, Any]:
        return {"days": self.days, "key": self.key, "shared": sorted(self.shared)}


@dataclass
class PackRecord:
    name: str
    version: str
    hash: str
    body: dict[str, Any]


@dataclass
class Recording:
    """What the engine tells the store about an evaluation besides its Result."""

    packs: list[PackRecord]
    parameters: dict[tuple[str, str], dict[str, ParameterUse]]  # (pack label, period since or "") -> name -> use
    config: dict[str, Any]
    history: HistorySpec
    given: dict[str, dict[str, Any]]  # fact id -> the fact as checked (with its source)
    days: dict[str, str | None]  # fact id -> its local date (ISO), given and derived
    origin: str = "python"
    cache: dict[str, Any] = field(default_factory=dict)  # the rows that are the same for every evaluation

    def cached(self, key: str, make: Callable[[], T]) -> T:
        """What an engine records the same way every time (packs, parameters, config), made once."""
        if key not in self.cache:
            self.cache[key] = make()
        value: T = self.cache[key]
        return value


@dataclass
class Recorded:
    """An evaluation as the store recorded it."""

    id: int
    result: Result
    chain: str


@dataclass
class Evaluation:
    """A recorded evaluation as read back."""

    id: int
    recorded_at: str
    as_of: str | None
    origin: str
    patuh_version: str
    config: dict[str, Any]
    trace: dict[str, Any]
    facts_in: int
    facts_history: int
    history: dict[str, Any]
    digest: str
    previous: str
    chain: str
    findings: int = 0


@dataclass
class Alteration:
    """One thing `verify` found changed: the evaluation it belongs to, the record, and how."""

    evaluation: int | None
    record: str
    why: str

    def __str__(self) -> str:
        where = f"evaluation {self.evaluation}: " if self.evaluation is not None else ""
        return f"{where}{self.record}: {self.why}"


# -- the store -------------------------------------------------------------------------------------------------------
def engine_url(url: str) -> str:
    """A URL as SQLAlchemy takes it: postgresql:// goes through psycopg (3)."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


class Store:
    """A store at a URL (sqlite:///path.db, postgresql://user@host/db), its schema migrated to
    the newest on opening."""

    def __init__(self, url: str, migrate: bool = True):
        if not isinstance(url, str) or not url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:",
                                                            "postgres:")):
            raise StoreError(Where(str(url)), "expected a store URL: sqlite:///path.db or postgresql://user@host/db")
        self.url = url
        self.kind = "sqlite" if url.startswith("sqlite:") else "postgresql"
        if self.kind == "sqlite":
            self._check_sqlite_path(url)
        try:
            self.engine: Engine = sa.create_engine(engine_url(url), future=True,
                                                   **({"connect_args": {"timeout": 120}} if self.kind == "sqlite"
                                                      else {"pool_pre_ping": True}))
        except (sa.exc.ArgumentError, ImportError) as exc:
            raise StoreError(Where(url), f"cannot open the store: {exc}") from None
        if self.kind == "sqlite":
            _sqlite_transactions(self.engine)
        if migrate:
            self.migrate()

    @property
    def display(self) -> str:
        """The URL without its password, for messages."""
        return self.url if self.kind == "sqlite" else sa.engine.make_url(self.url).render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"Store({self.display!r})"

    @staticmethod
    def _check_sqlite_path(url: str) -> None:
        path = url.split("///", 1)[1] if "///" in url else ""
        if not path or path == ":memory:":
            raise StoreError(Where(url), "a store is a file: sqlite:///path.db (relative) or sqlite:////abs/path.db")
        folder = os.path.dirname(os.path.abspath(path)) or "."
        if not os.path.isdir(folder):
            raise StoreError(Where(url), f"cannot open the store: folder {folder} does not exist")
        if os.path.isdir(path):
            raise StoreError(Where(url), "cannot open the store: it is a folder")

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """A database that cannot be reached or used is one error line naming the store."""
        try:
            yield
        except sa.exc.OperationalError as exc:
            raise StoreError(Where(self.display),
                             f"cannot use the store: {str(exc.orig).strip().splitlines()[0]}") from None

    def migrate(self) -> None:
        """Bring the schema to the newest migration (alembic), under the write lock."""
        from alembic import command
        from alembic.config import Config as AlembicConfig

        config = AlembicConfig()
        config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        with self._errors(), self.engine.connect() as connection:
            connection = connection.execution_options(patuh_write=True)
            with connection.begin():
                self._lock(connection)
                config.attributes["connection"] = connection
                command.upgrade(config, "head")

    def _lock(self, connection: Connection) -> None:
        if self.kind == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        with self._errors(), self.engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def writing(self) -> Iterator[Writer]:
        """One transaction holding the write lock: read the history, evaluate, record, commit.
        Leaving it by an exception rolls everything back."""
        with self._errors(), self.engine.connect() as connection:
            connection = connection.execution_options(patuh_write=True)
            with connection.begin():
                self._lock(connection)
                yield Writer(connection)

    # -- reading ---------------------------------------------------------------------------------------------------
    def evaluations(self, connection: Connection | None = None) -> list[Evaluation]:
        with self._maybe(connection) as c:
            counts: dict[int, int] = {int(r[0]): int(r[1]) for r in c.execute(
                sa.select(findings.c.evaluation_id, sa.func.count()).group_by(findings.c.evaluation_id))}
            return [_evaluation(row, counts.get(row.id, 0))
                    for row in c.execute(sa.select(evaluations).order_by(evaluations.c.id))]

    def evaluation(self, evaluation_id: int) -> Evaluation:
        with self.reading() as c:
            row = c.execute(sa.select(evaluations).where(evaluations.c.id == evaluation_id)).one_or_none()
            if row is None:
                last = c.execute(sa.select(sa.func.max(evaluations.c.id))).scalar()
                raise StoreError(Where(f"evaluation {evaluation_id}"),
                                 f"no such evaluation in the store (it holds {last or 0})")
            n = c.execute(sa.select(sa.func.count()).where(findings.c.evaluation_id == evaluation_id)).scalar() or 0
            return _evaluation(row, int(n))

    @contextmanager
    def _maybe(self, connection: Connection | None) -> Iterator[Connection]:
        if connection is not None:
            yield connection
        else:
            with self.reading() as c:
                yield c

    def findings(self, *, since: dt.date | None = None, until: dt.date | None = None, pack: str | None = None,
                 subject: str | None = None, rule: str | None = None, evaluation: int | None = None,
                 after: int | None = None, limit: int | None = None, finding: str | None = None
                 ) -> list[tuple[int, Finding]]:
        """Findings as (evaluation id, finding), oldest evaluation first; a finding reported by
        several evaluations (its facts given again) once, as first reported. `since`/`until`:
        the finding's day (inclusive); `after`: evaluations after this id only."""
        query = sa.select(findings.c.evaluation_id, findings.c.id, findings.c.body)
        if since:
            query = query.where(findings.c.day >= since.isoformat())
        if until:
            query = query.where(findings.c.day <= until.isoformat())
        if pack:
            query = query.where(findings.c.pack == pack)
        if subject:
            query = query.where(findings.c.subject_id == subject)
        if rule:
            query = query.where(findings.c.rule == rule)
        if evaluation is not None:
            query = query.where(findings.c.evaluation_id == evaluation)
        if after is not None:
            query = query.where(findings.c.evaluation_id > after)
        if finding is not None:
            query = query.where(findings.c.id == finding)
        query = query.order_by(findings.c.evaluation_id, findings.c.day, findings.c.id)
        out: dict[str, tuple[int, Finding]] = {}
        with self.reading() as c:
            for row in c.execute(query):
                if row.id not in out:
                    out[row.id] = (row.evaluation_id, Finding.model_validate_json(row.body))
                if limit is not None and len(out) >= limit:
                    break
        return list(out.values())

    def obligations(self, *, status: Sequence[str] = (), subject: str | None = None
                    ) -> list[tuple[int, Obligation]]:
        """Each obligation as its latest status change left it, with the evaluation that
        recorded that change."""
        latest = (sa.select(obligations.c.id, sa.func.max(obligations.c.evaluation_id).label("last"))
                  .group_by(obligations.c.id).subquery())
        query = (sa.select(obligations.c.evaluation_id, obligations.c.body)
                 .join(latest, sa.and_(obligations.c.id == latest.c.id, obligations.c.evaluation_id == latest.c.last)))
        if status:
            query = query.where(obligations.c.status.in_(list(status)))
        out = []
        with self.reading() as c:
            for row in c.execute(query.order_by(obligations.c.id)):
                obligation = Obligation.model_validate_json(row.body)
                if subject is None or obligation.subject.id == subject:
                    out.append((int(row.evaluation_id), obligation))
        return out

    def obligation_history(self, obligation_id: str) -> list[tuple[int, Obligation]]:
        with self.reading() as c:
            rows = c.execute(sa.select(obligations.c.evaluation_id, obligations.c.body)
                             .where(obligations.c.id == obligation_id).order_by(obligations.c.evaluation_id))
            return [(int(r.evaluation_id), Obligation.model_validate_json(r.body)) for r in rows]

    def facts(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Facts by id, with the source they were first given with; derived facts with
        `derived_from`."""
        wanted = sorted(set(ids))
        out: dict[str, dict[str, Any]] = {}
        with self.reading() as c:
            for chunk in _chunks(wanted):
                for row in c.execute(sa.select(facts.c.id, facts.c.content, facts.c.source)
                                     .where(facts.c.id.in_(chunk))):
                    fact = json.loads(row.content)
                    if row.source:
                        fact["source"] = json.loads(row.source)
                    out[row.id] = fact
                missing = [i for i in chunk if i not in out]
                if missing:
                    for row in c.execute(sa.select(derived.c.id, derived.c.body).where(derived.c.id.in_(missing))
                                         .order_by(derived.c.evaluation_id)):
                        if row.id not in out:
                            body = json.loads(row.body)
                            out[row.id] = {**body["fact"], "derived_from": body["derived_from"]}
        return out

    def facts_of(self, evaluation_id: int) -> list[dict[str, Any]]:
        """The facts an evaluation was given, each with the source it was given with then."""
        with self.reading() as c:
            rows = c.execute(sa.select(facts.c.content, evaluation_facts.c.source)
                             .join(facts, facts.c.id == evaluation_facts.c.fact_id)
                             .where(evaluation_facts.c.evaluation_id == evaluation_id)
                             .order_by(evaluation_facts.c.fact_id))
            out = []
            for row in rows:
                fact = json.loads(row.content)
                if row.source:
                    fact["source"] = json.loads(row.source)
                out.append(fact)
            return out

    def facts_of_type(self, kind: str, since: dt.date | None = None, until: dt.date | None = None
                      ) -> list[dict[str, Any]]:
        query = sa.select(facts.c.content, facts.c.source).where(facts.c.type == kind)
        if since:
            query = query.where(facts.c.day >= since.isoformat())
        if until:
            query = query.where(facts.c.day <= until.isoformat())
        with self.reading() as c:
            out = []
            for row in c.execute(query.order_by(facts.c.day, facts.c.id)):
                fact = json.loads(row.content)
                if row.source:
                    fact["source"] = json.loads(row.source)
                out.append(fact)
            return out

    def packs_of(self, evaluation_id: int | None = None) -> list[dict[str, Any]]:
        """The packs an evaluation used (every evaluation's, without an id), each once."""
        query = sa.select(evaluation_packs.c.body).order_by(evaluation_packs.c.evaluation_id,
                                                            evaluation_packs.c.name, evaluation_packs.c.version)
        if evaluation_id is not None:
            query = query.where(evaluation_packs.c.evaluation_id == evaluation_id)
        with self.reading() as c:
            out: dict[tuple[str, str, str], dict[str, Any]] = {}
            for row in c.execute(query):
                pack = json.loads(row.body)
                out.setdefault((pack["name"], pack["version"], pack["hash"]), pack)
            return list(out.values())

    def history(self, evaluation_id: int, spec: HistorySpec, given: dict[str, dict[str, Any]],
                days: dict[str, str | None]) -> list[dict[str, Any]]:
        """The history an evaluation with this id reads (used again by replay)."""
        with self.reading() as c:
            return read_history(c, spec, given, days, before=evaluation_id)

    # -- tokens ----------------------------------------------------------------------------------------------------
    def add_token(self, name: str, role: str) -> str:
        """A new API token for `name` with `role`: the token itself, which the store does not keep
        (only its hash)."""
        if role not in ROLES:
            raise StoreError(Where(f"role {role}"), f"expected one of {', '.join(ROLES)}")
        token = "ptk_" + secrets.token_urlsafe(32)
        with self.writing() as w:
            exists = w.connection.execute(sa.select(api_tokens.c.name).where(api_tokens.c.name == name)).first()
            if exists:
                raise StoreError(Where(f"token {name}"), "a token of that name is already in the store; "
                                                         "remove it first")
            w.connection.execute(api_tokens.insert().values(name=name, hash=sha256(token), role=role,
                                                            created_at=_now()))
        return token

    def remove_token(self, name: str) -> bool:
        with self.writing() as w:
            return bool(w.connection.execute(api_tokens.delete().where(api_tokens.c.name == name)).rowcount)

    def tokens(self) -> dict[str, tuple[str, str]]:
        """Token hash -> (name, role)."""
        with self.reading() as c:
            return {r.hash: (r.name, r.role) for r in c.execute(sa.select(api_tokens))}

    def last_evaluation(self) -> int:
        with self.reading() as c:
            return int(c.execute(sa.select(sa.func.coalesce(sa.func.max(evaluations.c.id), 0))).scalar() or 0)

    # -- verifying -------------------------------------------------------------------------------------------------
    def verify(self) -> tuple[int, list[Alteration]]:
        """Re-check every recorded row against its hash, every evaluation's digest against its
        rows, and the chain: how many evaluations were checked, and what was altered."""
        found: list[Alteration] = []
        with self.reading() as c:
            rows = list(c.execute(sa.select(evaluations).order_by(evaluations.c.id)))
            stored_facts = {r.id: r for r in c.execute(sa.select(facts))}
            for fact_id, row in stored_facts.items():
                if sha256(row.content) != row.hash:
                    found.append(Alteration(row.evaluation_id, f"fact {fact_id}",
                                            "its content does not match the hash recorded with it"))
                else:
                    content = json.loads(row.content)
                    if content.get("id") != fact_id or content.get("type") != row.type:
                        found.append(Alteration(row.evaluation_id, f"fact {fact_id}",
                                                "its id or type column differs from its content"))
            previous = ""
            expected_id = 1
            for row in rows:
                if row.id != expected_id:
                    found.append(Alteration(row.id, "evaluations", f"evaluation {expected_id}"
                                            f"{'-' + str(row.id - 1) if row.id - 1 > expected_id else ''} "
                                            "is missing from the chain"))
                expected_id = row.id + 1
                digest, problems = _digest(c, row, stored_facts)
                found += problems
                if digest != row.digest:
                    found.append(Alteration(row.id, "evaluation", "its recorded rows or settings do not match its "
                                                                  "digest (a row added, removed or changed)"))
                if row.previous != previous:
                    found.append(Alteration(row.id, "evaluation", "its link to the previous evaluation is broken "
                                                                  "(an evaluation before it was altered or removed)"))
                if sha256(row.previous + row.digest) != row.chain:
                    found.append(Alteration(row.id, "evaluation", "its chain hash does not match"))
                previous = row.chain
        return len(rows), found


def _evaluation(row: Any, n: int) -> Evaluation:
    return Evaluation(id=row.id, recorded_at=row.recorded_at, as_of=row.as_of, origin=row.origin,
                      patuh_version=row.patuh_version, config=json.loads(row.config), trace=json.loads(row.trace),
                      facts_in=row.facts_in, facts_history=row.facts_history, history=json.loads(row.history),
                      digest=row.digest, previous=row.previous, chain=row.chain, findings=n)


def _sqlite_transactions(engine: Engine) -> None:
    """pysqlite opens transactions lazily and deferred; a writer must take SQLite's write lock
    before it reads the history (BEGIN IMMEDIATE), a reader need not (BEGIN)."""
    @sa.event.listens_for(engine, "connect")
    def connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # patuh says BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers (the service, a report) never wait for a writer
        cursor.execute("PRAGMA synchronous=NORMAL")  # in WAL: a crash loses no committed evaluation's consistency
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=120000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("patuh_write")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _chunks(items: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def read_history(c: Connection, spec: HistorySpec, given: dict[str, dict[str, Any]], days: dict[str, str | None],
                 before: int | None = None) -> list[dict[str, Any]]:
    """Stored facts (with their first source) and derived facts an evaluation of `given` reads
    as history: see HistorySpec. `before`: only what evaluations before this id recorded."""
    dated = sorted(d for i, d in days.items() if i in given and d)
    conditions: list[sa.ColumnElement[bool]] = []
    derived_conditions: list[sa.ColumnElement[bool]] = []
    if dated:
        low = (dt.date.fromisoformat(dated[0]) - dt.timedelta(days=spec.days)).isoformat()
        high = (dt.date.fromisoformat(dated[-1]) + dt.timedelta(days=spec.days)).isoformat()
        conditions.append(sa.or_(facts.c.day.is_(None), facts.c.day.between(low, high)))
        derived_conditions.append(sa.or_(derived.c.day.is_(None), derived.c.day.between(low, high)))
    if spec.key:
        values = sorted({str(f[spec.key]) for f in given.values() if f.get(spec.key) is not None})
        conditions.append(sa.or_(facts.c.key_field.is_(None), facts.c.key_field != spec.key,
                                 facts.c.key_value.in_(values), facts.c.type.in_(sorted(spec.shared))))
        derived_conditions.append(sa.or_(derived.c.key_field.is_(None), derived.c.key_field != spec.key,
                                         derived.c.key_value.in_(values), derived.c.type.in_(sorted(spec.shared))))
    if before is not None:
        conditions.append(facts.c.evaluation_id < before)
        derived_conditions.append(derived.c.evaluation_id < before)
    out: dict[str, dict[str, Any]] = {}
    for row in c.execute(sa.select(facts.c.id, facts.c.content, facts.c.source).where(*conditions)):
        if row.id in given:
            continue
        fact = json.loads(row.content)
        if row.source:
            fact["source"] = json.loads(row.source)
        out[row.id] = fact
    for row in c.execute(sa.select(derived.c.id, derived.c.body).where(*derived_conditions)
                         .order_by(derived.c.evaluation_id)):
        if row.id not in out and row.id not in given:
            out[row.id] = json.loads(row.body)["fact"]
    return [out[i] for i in sorted(out)]


class Writer:
    """The store inside one evaluation's transaction, under the write lock."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.stored: set[str] | None = None  # ids of the given facts already stored (refuse_conflicts)

    def refuse_conflicts(self, given: dict[str, dict[str, Any]]) -> None:
        """A fact already stored under the same id with other content is refused: one id names
        one content for ever."""
        problems = []
        ids = sorted(given)
        self.stored = set()
        for chunk in _chunks(ids):
            for row in self.connection.execute(sa.select(facts.c.id, facts.c.hash, facts.c.evaluation_id)
                                               .where(facts.c.id.in_(chunk))):
                self.stored.add(row.id)
                if sha256(fact_content(given[row.id])) != row.hash:
                    problems.append(row)
        if problems:
            row = problems[0]
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise StoreError(Where(f"fact {row.id}"), f"the store already holds a fact with this id and other content "
                                                      f"(given in evaluation {row.evaluation_id}){more}; an id names "
                                                      "one fact for ever: give the changed fact a new id")

    def history(self, spec: HistorySpec, given: dict[str, dict[str, Any]], days: dict[str, str | None]
                ) -> list[dict[str, Any]]:
        return read_history(self.connection, spec, given, days)

    def record(self, result: Result, recording: Recording, version: str) -> Recorded:
        """Every row of the evaluation, made first; its digest and chain link from them; then the
        evaluation's row and the rest inserted."""
        c = self.connection
        last = c.execute(sa.select(evaluations.c.id, evaluations.c.chain).order_by(evaluations.c.id.desc())
                         .limit(1)).first()
        number = (last.id if last else 0) + 1
        previous = last.chain if last else ""
        meta = {
            "id": number, "recorded_at": _now(), "as_of": _iso(result.trace.as_of), "origin": recording.origin,
            "patuh_version": version, "config": recording.cached("config", lambda: dumps(recording.config)),
            "trace": dumps(result.trace.model_dump(mode="json")), "facts_in": result.trace.facts_in,
            "facts_history": result.trace.facts_history,
            "history": recording.cached("history", lambda: dumps(recording.history.as_json())),
        }
        rows = self._rows(number, result, recording)
        digest = digest_rows(meta, rows)
        chain = sha256(previous + digest)
        c.execute(evaluations.insert().values(**meta, digest=digest, previous=previous, chain=chain))
        for table in (evaluation_packs, parameters, facts, evaluation_facts, findings, derived, obligations):
            if rows[table.name]:
                c.execute(table.insert(), rows[table.name])
        return Recorded(number, result, chain)

    def _rows(self, number: int, result: Result, recording: Recording) -> dict[str, list[dict[str, Any]]]:
        c = self.connection
        key = recording.history.key
        rows: dict[str, list[dict[str, Any]]] = {}
        rows["evaluation_packs"] = [{"evaluation_id": number, **row} for row in recording.cached("packs", lambda: [
            {"name": p.name, "version": p.version, "hash": p.hash, "body": dumps(p.body)}
            for p in {(p.name, p.version): p for p in recording.packs}.values()])]
        rows["parameters"] = [{"evaluation_id": number, **row} for row in recording.cached("parameters", lambda: [
            {"pack": label, "period": period, "name": name, "body": dumps(use.model_dump(mode="json"))}
            for (label, period), uses in sorted(recording.parameters.items()) for name, use in sorted(uses.items())])]
        given = recording.given
        stored = self.stored if self.stored is not None else self._stored_ids(sorted(given))
        rows["facts"], rows["evaluation_facts"] = [], []
        for fact_id in sorted(given):
            fact = given[fact_id]
            content = fact_content(fact)
            source = dumps(fact["source"]) if fact.get("source") is not None else None
            if fact_id not in stored:
                rows["facts"].append({
                    "id": fact_id, "type": fact["type"], "content": content, "hash": sha256(content),
                    "day": recording.days.get(fact_id), "key_field": key if key and key in fact else None,
                    "key_value": str(fact[key]) if key and fact.get(key) is not None else None,
                    "evaluation_id": number, "source": source})
            rows["evaluation_facts"].append({"evaluation_id": number, "fact_id": fact_id, "hash": sha256(content),
                                             "source": source})
        zone = recording.config.get("timezone")
        finding_rows: dict[str, dict[str, Any]] = {}
        for finding in result.findings:
            body = dumps(finding.model_dump(mode="json"))
            finding_rows[finding.id] = {
                "evaluation_id": number, "id": finding.id, "rule": finding.rule, "pack": finding.pack.name,
                "severity": finding.severity, "subject_kind": finding.subject.kind, "subject_id": finding.subject.id,
                "day": _day(finding.time, zone), "body": body, "hash": sha256(body)}
        rows["findings"] = list(finding_rows.values())
        # Derived facts: those derived now, and those the evidence holds (derived earlier, shown again).
        derived_rows: dict[str, dict[str, Any]] = {}
        for derived_fact in result.derived:
            data = derived_fact.model_dump(mode="json")
            origin = data.pop("derived_from")
            derived_rows[derived_fact.id] = {"fact": data, "derived_from": origin}
        for fact_id, derivation in result.derivations.items():
            if fact_id not in derived_rows and fact_id in result.facts:
                derived_rows[fact_id] = {"fact": result.facts[fact_id], "derived_from": derivation.model_dump()}
        rows["derived"] = []
        for fact_id, row in sorted(derived_rows.items()):
            text = dumps(row)
            fact = row["fact"]
            rows["derived"].append({
                "evaluation_id": number, "id": fact_id, "type": fact["type"], "day": recording.days.get(fact_id),
                "key_field": key if key and key in fact else None,
                "key_value": str(fact[key]) if key and fact.get(key) is not None else None,
                "body": text, "hash": sha256(text)})
        rows["obligations"] = self._obligations(c, number, result.obligations)
        return rows

    def _stored_ids(self, ids: Sequence[str]) -> set[str]:
        stored: set[str] = set()
        for chunk in _chunks(ids):
            stored.update(self.connection.execute(sa.select(facts.c.id).where(facts.c.id.in_(chunk))).scalars())
        return stored

    def _obligations(self, c: Connection, number: int, given: list[Obligation]) -> list[dict[str, Any]]:
        """A row per obligation whose status is new or changed since the store last recorded it."""
        if not given:
            return []
        last: dict[str, str] = {}
        ids = sorted({o.id for o in given})
        for chunk in _chunks(ids):
            latest = (sa.select(obligations.c.id, sa.func.max(obligations.c.evaluation_id).label("last"))
                      .where(obligations.c.id.in_(chunk)).group_by(obligations.c.id).subquery())
            for row in c.execute(sa.select(obligations.c.id, obligations.c.status).join(
                    latest, sa.and_(obligations.c.id == latest.c.id, obligations.c.evaluation_id == latest.c.last))):
                last[row.id] = row.status
        rows = []
        for obligation in {o.id: o for o in given}.values():
            if last.get(obligation.id) == obligation.status:
                continue
            body = dumps(obligation.model_dump(mode="json"))
            rows.append({"evaluation_id": number, "id": obligation.id, "status": obligation.status,
                         "finding": obligation.finding, "body": body, "hash": sha256(body)})
        return rows


def _unique(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({r["id"]: r for r in rows}.values())


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _day(time: Any, zone: str | None) -> str | None:
    if isinstance(time, dt.datetime):
        if zone and time.tzinfo is not None:
            from zoneinfo import ZoneInfo

            time = time.astimezone(ZoneInfo(zone))
        return str(time.date().isoformat())
    if isinstance(time, dt.date):
        return time.isoformat()
    return None


def digest_rows(meta: dict[str, Any], rows: dict[str, list[dict[str, Any]]]) -> str:
    """An evaluation's digest: its own columns and, for every row it recorded, the row's key and
    hash (and the columns queries read), in one order whatever the database's collation."""
    record: dict[str, Any] = {"evaluation": meta}
    record["packs"] = sorted([r["name"], r["version"], r["hash"], sha256(r["body"])] for r in rows["evaluation_packs"])
    record["parameters"] = sorted([r["pack"], r["period"], r["name"], sha256(r["body"])] for r in rows["parameters"])
    record["facts"] = sorted([r["fact_id"], r["hash"], r["source"]] for r in rows["evaluation_facts"])
    for table, columns in (("findings", ("rule", "severity", "subject_kind", "subject_id")), ("derived", ("type",)),
                           ("obligations", ("status", "finding"))):
        record[table] = sorted([r["id"], r["hash"]] + [r[k] for k in columns] for r in rows[table])
    return sha256(dumps(record))


def _digest(c: Connection, row: Any, stored_facts: dict[str, Any]) -> tuple[str, list[Alteration]]:
    """An evaluation's digest made again from its rows as stored, and every row whose content no
    longer matches its hash or whose query columns differ from its content."""
    problems: list[Alteration] = []
    meta = {k: getattr(row, k) for k in ("id", "recorded_at", "as_of", "origin", "patuh_version", "config",
                                         "trace", "facts_in", "facts_history", "history")}
    number = meta["id"]
    rows: dict[str, list[dict[str, Any]]] = {}
    for table in (evaluation_packs, parameters, evaluation_facts, findings, derived, obligations):
        rows[table.name] = [dict(r._mapping)
                            for r in c.execute(sa.select(table).where(table.c.evaluation_id == number))]
    for r in rows["evaluation_facts"]:
        fact = stored_facts.get(r["fact_id"])
        if fact is not None and fact.hash != r["hash"]:
            problems.append(Alteration(number, f"fact {r['fact_id']}", "its stored hash is not the one this "
                                                                       "evaluation recorded it with"))
    for kind, name, columns in (("findings", "finding", ("rule", "severity", "subject_kind", "subject_id")),
                                ("derived", "derived fact", ("type",)), ("obligations", "obligation",
                                                                         ("status", "finding"))):
        for r in sorted(rows[kind], key=lambda r: r["id"]):
            if sha256(r["body"]) != r["hash"]:
                problems.append(Alteration(number, f"{name} {r['id']}", "its content does not match the hash "
                                                                        "recorded with it"))
                continue
            body = json.loads(r["body"])
            body = body.get("fact", body)
            values = {"subject_kind": body.get("subject", {}).get("kind"),
                      "subject_id": body.get("subject", {}).get("id")} if kind == "findings" else {}
            for k in columns:
                if values.get(k, body.get(k)) != r[k]:
                    problems.append(Alteration(number, f"{name} {r['id']}", f"its {k} column differs from its content"))
    return digest_rows(meta, rows), problems
