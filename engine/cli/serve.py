"""`patuh serve --store URL [--host --port]`: the HTTP service (patuh.service) on uvicorn."""
from __future__ import annotations

import argparse
import sys

from ..problems import SourceError, Where
from ..store import DEFAULT_HISTORY_DAYS
from .eval import add_store


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("serve", help="the HTTP service: post facts, get findings, obligations, events, "
                                               "report pages",
                                 description="The HTTP service on a store (FastAPI on uvicorn): POST /facts (JSON or "
                                             "JSONL) evaluates and records them, GET /findings, /obligations, "
                                             "/evaluations, /events (server-sent events of new findings), /report/; "
                                             "the OpenAPI description at /openapi.json. Every request carries an "
                                             "API token (Authorization: Bearer) with the role it needs: read, write "
                                             "or admin, from --tokens or the store (patuh store token add).")
    add_store(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    parser.add_argument("--pack", action="append", metavar="NAME|PATH", help="pack to use (repeatable; default: all)")
    parser.add_argument("--config", metavar="FILE", help="site config: timezone and parameter overrides")
    parser.add_argument("--tokens", metavar="FILE",
                        help="API tokens (YAML: tokens: [{name, role, sha256 or token}]), beside the store's")
    parser.add_argument("--evidence", action="append", default=[], metavar="DIR",
                        help="folders holding the evidence files facts name, served with the report pages")
    parser.add_argument("--max-body-mb", type=float, default=16, metavar="MB",
                        help="the largest POST body taken (default 16 MB)")
    parser.add_argument("--history-days", type=int, default=DEFAULT_HISTORY_DAYS, metavar="DAYS",
                        help=f"the stored facts within DAYS of the facts posted are the history (default "
                             f"{DEFAULT_HISTORY_DAYS})")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..service import create_app, load_tokens
    except ImportError as exc:  # pragma: no cover - the serve extra is missing
        raise SourceError(Where("serve"), f"the service needs FastAPI and uvicorn: pip install 'patuh[serve]' "
                                          f"({exc})") from None
    if not 0 < args.port < 65536:
        raise SourceError(Where("--port"), f"expected a port 1-65535, found {args.port}")
    tokens = load_tokens(args.tokens) if args.tokens else {}
    app = create_app(args.store, args.pack, args.config, tokens, max_body=int(args.max_body_mb * 1024 * 1024),
                     evidence=args.evidence, history_days=args.history_days)
    store = app.state.service.store
    if not tokens and not store.tokens():
        print("warning: no API tokens (--tokens FILE, or patuh store token add NAME --role ROLE --store URL): "
              "every request will be refused", file=sys.stderr)
    print(f"patuh serving {store.display} on http://{args.host}:{args.port} (OpenAPI: /openapi.json)",
          file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
