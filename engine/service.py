"""`patuh serve`: the HTTP service (FastAPI) on a store, for host apps that are not Python: a
site's dispatch app, a camera vendor's webhook, a contractor portal.

    POST /facts                 facts as JSON (a list, {"facts": [...]}, or one fact) or a JSONL
                                stream (Content-Type application/x-ndjson): evaluated and recorded
                                (write); the evaluation's findings and obligations come back
    GET  /findings, /findings/{id}, /obligations, /evaluations, /evaluations/{id}    (read)
    GET  /events                server-sent events: each new finding as it is recorded (read)
    GET  /report/, /report/finding/{id}.html, ...   the audit report's pages (read)
    GET  /verify                `patuh store verify` (admin); POST/DELETE /tokens (admin)
    GET  /openapi.json, /health

Every request but /health and /openapi.json carries `Authorization: Bearer TOKEN`; a token has a
role, read < write < admin, from a tokens file or the store (`patuh store token add`). Nothing
anonymous is written. A body that is not JSON, too large, or holding a record no pack declares
is a 4xx naming the record, and nothing is stored. Evaluation is `Engine.record`, as for
`patuh eval --store`: nothing is judged differently over HTTP.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from .api import Engine, patuh_version
from .audit import LANGUAGES, TEMPLATES, AuditReport, Period, parse_day, safe_name
from .documents import load
from .facts import parse_records
from .problems import FactError, FactsInvalid, SourceError, Where
from .store import ROLES, Store, StoreError, sha256

MAX_BODY = 16 * 1024 * 1024  # bytes of one POST
JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/json-seq")
TOKEN_CACHE_S = 5.0  # the store's tokens are read again after this long


@dataclass(frozen=True)
class Token:
    name: str
    role: str

    def may(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def load_tokens(path: Path | str) -> dict[str, Token]:
    """A tokens file (YAML): `tokens: [{name, role, token | sha256}]`: by the token's sha256. A
    token may be written as itself or, better, as its sha256 (`sha256sum`), so the file holds no
    secret."""
    doc = load(path)
    items = doc.data.get("tokens") if isinstance(doc.data, dict) else None
    if not isinstance(items, list):
        raise SourceError(doc.where(()), "expected tokens: a list of {name, role, token or sha256}")
    out: dict[str, Token] = {}
    for i, item in enumerate(items):
        where = doc.where(("tokens", i))
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise SourceError(where, "expected {name, role, token or sha256}")
        if item.get("role") not in ROLES:
            raise SourceError(where, f"token {item['name']}: role must be one of {', '.join(ROLES)}")
        secret, digest = item.get("token"), item.get("sha256")
        if isinstance(secret, str) and len(secret) >= 16:
            digest = sha256(secret)
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise SourceError(where, f"token {item['name']}: give `token` (16 characters or more) or `sha256` "
                                     "(64 hex digits)")
        out[digest] = Token(item["name"], item["role"])
    return out


class Service:
    """What the app's routes share: the engine (with its store), the tokens, one evaluation at a
    time in this process (the store's lock orders them across processes)."""

    def __init__(self, engine: Engine, tokens: dict[str, Token], max_body: int = MAX_BODY,
                 evidence: Sequence[Path | str] = (), poll_s: float = 0.25):
        if engine.store is None:
            raise ValueError("the service needs an engine with a store")
        self.engine = engine
        self.store: Store = engine.store
        self.file_tokens = tokens
        self.max_body = max_body
        self.evidence = [Path(p) for p in evidence]
        self.poll_s = poll_s
        self.lock = threading.Lock()
        self._store_tokens: dict[str, Token] = {}
        self._store_tokens_at = 0.0
        self._coverage: dict[str, Any] = {}  # the report's pack test coverage, made once

    def token(self, presented: str) -> Token | None:
        digest = hashlib.sha256(presented.encode("utf-8")).hexdigest()
        if digest in self.file_tokens:
            return self.file_tokens[digest]
        # The store's tokens, read again when they are old or do not know this one (a token just
        # added, or one just removed, counts at once).
        if digest not in self._store_tokens or time.monotonic() - self._store_tokens_at > TOKEN_CACHE_S:
            self._store_tokens = {h: Token(n, r) for h, (n, r) in self.store.tokens().items()}
            self._store_tokens_at = time.monotonic()
        return self._store_tokens.get(digest)

    def evaluate(self, records: list[tuple[Where, Any]], who: str) -> dict[str, Any]:
        for n, (_, record) in enumerate(records, 1):
            if isinstance(record, dict) and record.get("source") is None:
                record["source"] = {"detector": "http", "by": who, "row": n}
        with self.lock:
            recorded = self.engine.record(records, origin=f"service:{who}")
        result = recorded.result
        return {"evaluation": recorded.id, "chain": recorded.chain, "facts": result.trace.facts_in,
                "findings": [f.model_dump(mode="json") for f in result.findings],
                "obligations": [o.model_dump(mode="json") for o in result.obligations]}


_bearer = HTTPBearer(auto_error=False, description="an API token (patuh store token add, or the tokens file)")


def _role(needed: str) -> Callable[..., Coroutine[Any, Any, Token]]:
    async def check(request: Request,
                    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Token:
        service: Service = request.app.state.service
        if credentials is None:
            raise HTTPException(401, "an API token is required: Authorization: Bearer TOKEN",
                                headers={"WWW-Authenticate": "Bearer"})
        token = await run_in_threadpool(service.token, credentials.credentials)
        if token is None:
            raise HTTPException(401, "unknown API token", headers={"WWW-Authenticate": "Bearer"})
        if not token.may(needed):
            raise HTTPException(403, f"token {token.name!r} has the role {token.role}; this needs {needed}")
        return token
    return check


ReadToken = Annotated[Token, Depends(_role("read"))]
WriteToken = Annotated[Token, Depends(_role("write"))]
AdminToken = Annotated[Token, Depends(_role("admin"))]


def create_app(store: Store | str, packs: Sequence[str | Path] | None = None,
               config: str | Path | dict[str, Any] | None = None, tokens: dict[str, Token] | None = None,
               max_body: int = MAX_BODY, evidence: Sequence[Path | str] = (),
               history_days: int | None = None, poll_s: float = 0.25) -> FastAPI:
    """The service's app on `store`, judging with `packs` (default: all installed) and `config`."""
    options: dict[str, Any] = {} if history_days is None else {"history_days": history_days}
    service = Service(Engine(packs, config=config, store=store, **options), tokens or {}, max_body, evidence,
                      poll_s)
    app = FastAPI(title="patuh", version=patuh_version(),
                  description="Rules-as-code compliance engine for Indonesian K3: post facts, get findings and "
                              "obligations, each traced to the clause that demands it. Every evaluation is "
                              "recorded in the store, chained by hash.")
    app.state.service = service
    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> JSONResponse:
        status = 409 if "already holds" in exc.message else 503
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        """No token needed: whether the service runs, and how many evaluations its store holds."""
        return {"ok": True, "evaluations": await run_in_threadpool(service.store.last_evaluation)}

    @app.post("/facts", status_code=201, responses={
        400: {"description": "a body that is not JSON (or JSONL), naming the line"},
        401: {"description": "no token, or an unknown one"}, 403: {"description": "a read-only token"},
        409: {"description": "a fact id the store holds with other content"},
        413: {"description": "a body over the limit"},
        422: {"description": "records no pack declares, or that do not fit their type, each named"}})
    async def post_facts(request: Request, token: WriteToken) -> dict[str, Any]:
        """Evaluate facts and record the evaluation: its id, chain hash, findings and obligations.
        The body is JSON (a list of facts, {"facts": [...]}, or one fact) or JSONL (one fact a line;
        Content-Type application/x-ndjson). Nothing is stored unless every record is good."""
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > service.max_body:
            raise HTTPException(413, f"the body is {int(declared):,} bytes; at most {service.max_body:,} are taken "
                                     "in one request: post fewer facts at a time")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > service.max_body:
                raise HTTPException(413, f"the body is over {service.max_body:,} bytes, the most taken in one "
                                         "request: post fewer facts at a time")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HTTPException(400, f"request: not UTF-8 text (byte {exc.start})") from None
        kind = "jsonl" if request.headers.get("content-type", "").split(";")[0].strip() in JSONL_TYPES else "json"
        try:
            records = parse_records(text, "request", kind, single=True)
        except FactsInvalid as exc:
            raise HTTPException(400, {"message": "the body is not valid " + kind.upper(),
                                      "problems": [str(p) for p in exc.problems]}) from None
        except FactError as exc:
            raise HTTPException(400, {"message": "the body is not valid " + kind.upper(),
                                      "problems": [str(exc)]}) from None
        if not records:
            raise HTTPException(400, "request: no facts in the body")
        try:
            return await run_in_threadpool(service.evaluate, records, token.name)
        except FactsInvalid as exc:
            raise HTTPException(422, {"message": f"{len(exc.problems)} record(s) refused; nothing was stored",
                                      "problems": [str(p) for p in exc.problems]}) from None
        except StoreError:
            raise
        except SourceError as exc:
            raise HTTPException(422, {"message": "refused; nothing was stored", "problems": [str(exc)]}) from None

    @app.get("/findings")
    async def get_findings(token: ReadToken,
                           since: Annotated[str | None, Query(alias="from", description="day YYYY-MM-DD")] = None,
                           until: Annotated[str | None, Query(alias="to", description="day YYYY-MM-DD")] = None,
                           pack: str | None = None, subject: str | None = None, rule: str | None = None,
                           evaluation: int | None = None, after: int | None = None,
                           limit: Annotated[int, Query(ge=1, le=100_000)] = 1000) -> list[dict[str, Any]]:
        """Recorded findings, each once, with the evaluation that first reported it; `after`:
        reported by evaluations after this one."""
        first, last = _days(since, until)
        found = await run_in_threadpool(service.store.findings, since=first, until=last, pack=pack,
                                        subject=subject, rule=rule, evaluation=evaluation, after=after, limit=limit)
        return [{"evaluation": e, "finding": f.model_dump(mode="json")} for e, f in found]

    @app.get("/findings/{finding_id}")
    async def get_finding(finding_id: str, token: ReadToken) -> dict[str, Any]:
        """A finding, the facts it rests on (through derived facts) and its obligations."""
        def read() -> dict[str, Any]:
            found = service.store.findings(finding=finding_id)
            if not found:
                raise HTTPException(404, f"no finding {finding_id} in the store")
            evaluation, finding = found[0]
            facts: dict[str, dict[str, Any]] = {}
            wanted = set(finding.facts)
            while wanted:
                got = service.store.facts(wanted)
                facts.update(got)
                wanted = {i for f in got.values() for i in (f.get("derived_from") or {}).get("facts", [])} - set(facts)
            obligations = [o.model_dump(mode="json") for _, o in service.store.obligations() if o.finding == finding_id]
            return {"evaluation": evaluation, "finding": finding.model_dump(mode="json"), "facts": facts,
                    "obligations": obligations}
        return await run_in_threadpool(read)

    @app.get("/obligations")
    async def get_obligations(token: ReadToken,
                              status: Annotated[list[str] | None, Query(description="open, overdue, done, late")]
                              = None, subject: str | None = None) -> list[dict[str, Any]]:
        """Each obligation as its latest status change left it."""
        found = await run_in_threadpool(service.store.obligations, status=status or [], subject=subject)
        return [{"evaluation": e, "obligation": o.model_dump(mode="json")} for e, o in found]

    @app.get("/evaluations")
    async def get_evaluations(token: ReadToken) -> list[dict[str, Any]]:
        evaluations = await run_in_threadpool(service.store.evaluations)
        return [_evaluation(e) for e in evaluations]

    @app.get("/evaluations/{evaluation_id}")
    async def get_evaluation(evaluation_id: int, token: ReadToken) -> dict[str, Any]:
        def read() -> dict[str, Any]:
            try:
                evaluation = service.store.evaluation(evaluation_id)
            except StoreError as exc:
                raise HTTPException(404, str(exc)) from None
            out = _evaluation(evaluation)
            out["findings"] = [f.model_dump(mode="json") for _, f in service.store.findings(evaluation=evaluation_id)]
            out["packs"] = service.store.packs_of(evaluation_id)
            return out
        return await run_in_threadpool(read)

    @app.get("/events")
    async def events(request: Request, token: ReadToken,
                     after: Annotated[int | None, Query(description="start after this evaluation")] = None,
                     max_events: Annotated[int | None, Query(ge=1, description="close after this many")] = None
                     ) -> StreamingResponse:
        """Server-sent events: `event: finding` with {evaluation, finding} for each finding of each
        evaluation recorded from now on (or after `after`, or the Last-Event-ID)."""
        last_id = request.headers.get("last-event-id")
        start = after if after is not None else int(last_id) if last_id and last_id.isdigit() else \
            await run_in_threadpool(service.store.last_evaluation)

        async def stream() -> AsyncIterator[str]:
            seen, sent, quiet = start, 0, 0.0
            yield ": patuh findings\n\n"
            while True:
                found = await run_in_threadpool(service.store.findings, after=seen)
                found.sort(key=lambda item: item[0])
                for evaluation, finding in found:
                    data = json.dumps({"evaluation": evaluation, "finding": finding.model_dump(mode="json")},
                                      ensure_ascii=False, sort_keys=True)
                    yield f"id: {evaluation}\nevent: finding\ndata: {data}\n\n"
                    sent += 1
                    if max_events is not None and sent >= max_events:
                        return
                if found:
                    seen = max(e for e, _ in found)
                    quiet = 0.0
                if await request.is_disconnected():
                    return
                await asyncio.sleep(service.poll_s)
                quiet += service.poll_s
                if quiet >= 15:
                    yield ": keep-alive\n\n"
                    quiet = 0.0

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    # -- the report's pages --------------------------------------------------------------------------------------
    def report(since: str | None, until: str | None, pack: list[str], subject: str | None, lang: str
               ) -> AuditReport:
        if lang not in LANGUAGES:
            raise HTTPException(422, f"lang: expected one of {', '.join(LANGUAGES)}")
        first, last = _days(since, until)
        return AuditReport(service.store, Period(first, last, pack, subject), lang=lang, evidence=service.evidence,
                           coverage_cache=service._coverage)

    @app.get("/report/", response_class=HTMLResponse)
    @app.get("/report/index.html", response_class=HTMLResponse, include_in_schema=False)
    async def report_index(token: ReadToken, since: Annotated[str | None, Query(alias="from")] = None,
                           until: Annotated[str | None, Query(alias="to")] = None,
                           pack: Annotated[list[str] | None, Query()] = None, subject: str | None = None,
                           lang: str = "id") -> HTMLResponse:
        """The audit report's summary page (as `patuh report audit` writes it, without charts)."""
        made = await run_in_threadpool(report, since, until, pack or [], subject, lang)
        return HTMLResponse(made.index())

    @app.get("/report/finding/{name}", response_class=HTMLResponse)
    async def report_finding(name: str, token: ReadToken, lang: str = "id") -> HTMLResponse:
        def render() -> str:
            made = report(None, None, [], None, lang)
            finding_id = name.removesuffix(".html")
            rows = [r for r in made.rows if r.finding.id == finding_id]
            if not rows:
                raise HTTPException(404, f"no finding {finding_id} in the store")
            evidence = {n: f"evidence/{safe_name(n)}" for n in made.evidence_files()}
            return made.finding_page(rows[0], evidence)
        return HTMLResponse(await run_in_threadpool(render))

    @app.get("/report/style.css", include_in_schema=False)
    async def report_style() -> Response:
        return Response((TEMPLATES / "style.css").read_text(encoding="utf-8"), media_type="text/css")

    @app.get("/report/evidence/{name}", include_in_schema=False)
    async def report_evidence(name: str, token: ReadToken) -> FileResponse:
        for folder in service.evidence:
            for path in sorted(folder.rglob("*")):
                if path.is_file() and safe_name(str(path.relative_to(folder))) == name:
                    return FileResponse(path)
        raise HTTPException(404, f"no evidence file {name}")

    # -- administration ------------------------------------------------------------------------------------------
    @app.get("/verify")
    async def verify(token: AdminToken) -> dict[str, Any]:
        """`patuh store verify`: every row against its hash, each digest, the chain."""
        checked, altered = await run_in_threadpool(service.store.verify)
        return {"evaluations": checked, "intact": not altered, "altered": [str(a) for a in altered]}

    @app.post("/tokens", status_code=201)
    async def add_token(name: str, role: str, token: AdminToken) -> dict[str, str]:
        """A new token kept in the store (as its hash): shown once, in this answer."""
        if role not in ROLES:
            raise HTTPException(422, f"role: expected one of {', '.join(ROLES)}")
        try:
            made = await run_in_threadpool(service.store.add_token, name, role)
        except StoreError as exc:
            raise HTTPException(409, str(exc)) from None
        service._store_tokens_at = 0.0
        return {"name": name, "role": role, "token": made}

    @app.delete("/tokens/{name}", status_code=204)
    async def remove_token(name: str, token: AdminToken) -> Response:
        if not await run_in_threadpool(service.store.remove_token, name):
            raise HTTPException(404, f"no token named {name!r} in the store")
        service._store_tokens_at = 0.0
        return Response(status_code=204)

    return app


def _days(since: str | None, until: str | None) -> tuple[dt.date | None, dt.date | None]:
    try:
        return parse_day(since, "from"), parse_day(until, "to")
    except SourceError as exc:
        raise HTTPException(422, str(exc)) from None


def _evaluation(e: Any) -> dict[str, Any]:
    return {"id": e.id, "recorded_at": e.recorded_at, "as_of": e.as_of, "origin": e.origin,
            "patuh_version": e.patuh_version, "facts_in": e.facts_in, "facts_history": e.facts_history,
            "findings": e.findings, "digest": e.digest, "previous": e.previous, "chain": e.chain,
            "config": e.config}
