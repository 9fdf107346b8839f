"""`patuh store verify|replay|list|token`: the store of evaluations (`patuh eval --store URL`)."""
from __future__ import annotations

import argparse
import os
import sys

from ..problems import SourceError, Where
from ..replay import replay
from ..store import ROLES, Store
from .table import table

BAD_INPUT = 2


def add(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("store", help="check, replay and list the evaluations of a store",
                                 description="The store of evaluations that `patuh eval --store URL` and `patuh serve` "
                                             "record (sqlite:///path.db or postgresql://user@host/db). The URL is "
                                             "--store, else $PATUH_STORE.")
    found = parser.add_subparsers(title="store commands", metavar="COMMAND")

    verify = found.add_parser("verify", help="re-check every recorded row and the hash chain; exit 1 when altered",
                              description="Re-check every row of every evaluation against its hash, each "
                                          "evaluation's digest and the chain linking them; name each altered "
                                          "record. Exit 0 when intact, 1 when something was altered.")
    verify.add_argument("url", nargs="?", metavar="URL", help="the store (or --store, or $PATUH_STORE)")
    _store_option(verify)
    verify.set_defaults(run=run_verify)

    again = found.add_parser("replay", help="judge a recorded evaluation again with today's packs",
                             description="Re-run a recorded evaluation (its facts, the history it read, its site "
                                         "config) with the packs installed today and say whether they judge it the "
                                         "same, finding by finding. Nothing is recorded. Exit 0 when the same, 1 "
                                         "when not.")
    again.add_argument("evaluation", type=int, metavar="ID", help="the evaluation's number (patuh store list)")
    again.add_argument("--pack", action="append", metavar="NAME|PATH",
                       help="judge with these packs (repeatable; default: the installed packs of the names it used)")
    _store_option(again)
    again.set_defaults(run=run_replay)

    listing = found.add_parser("list", help="the recorded evaluations",
                               description="The recorded evaluations: number, time, origin, facts, findings.")
    _store_option(listing)
    listing.set_defaults(run=run_list)

    token = found.add_parser("token", help="API tokens for `patuh serve` kept in the store",
                             description="API tokens for `patuh serve`, kept in the store as hashes.")
    tokens = token.add_subparsers(title="token commands", metavar="COMMAND")
    add_token = tokens.add_parser("add", help="make a token with a role; prints it once",
                                  description="Make an API token (read, write or admin) and print it: the store "
                                              "keeps only its hash.")
    add_token.add_argument("name", help="who or what the token is for (e.g. dispatch-app)")
    add_token.add_argument("--role", choices=ROLES, required=True)
    _store_option(add_token)
    add_token.set_defaults(run=run_token_add)
    remove = tokens.add_parser("remove", help="remove a token", description="Remove a token by its name.")
    remove.add_argument("name")
    _store_option(remove)
    remove.set_defaults(run=run_token_remove)


def _store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="URL", default=os.environ.get("PATUH_STORE"),
                        help="the store (default: $PATUH_STORE)")


def _open(args: argparse.Namespace) -> Store:
    url = getattr(args, "url", None) or args.store
    if not url:
        raise SourceError(Where("--store"), "name the store: --store URL (sqlite:///path.db or "
                                            "postgresql://user@host/db), or set PATUH_STORE")
    return Store(url)


def run_verify(args: argparse.Namespace) -> int:
    store = _open(args)
    checked, altered = store.verify()
    if not altered:
        print(f"ok {store.display}: {checked} evaluations, every record matches its hash and the chain is intact")
        return 0
    for alteration in altered:
        print(f"altered: {alteration}")
    print(f"{store.display}: {len(altered)} problem{'s' if len(altered) != 1 else ''} in {checked} evaluations",
          file=sys.stderr)
    return 1


def run_replay(args: argparse.Namespace) -> int:
    outcome = replay(_open(args), args.evaluation, args.pack)
    sys.stdout.write(outcome.report())
    return 0 if outcome.judged_the_same else 1


def run_list(args: argparse.Namespace) -> int:
    store = _open(args)
    rows = [("ID", "RECORDED", "AS OF", "ORIGIN", "FACTS", "HISTORY", "FINDINGS", "CHAIN")]
    for ev in store.evaluations():
        rows.append((str(ev.id), ev.recorded_at[:19], (ev.as_of or "-")[:19], ev.origin, str(ev.facts_in),
                     str(ev.facts_history), str(ev.findings), ev.chain[:16]))
    print(table(rows))
    return 0


def run_token_add(args: argparse.Namespace) -> int:
    token = _open(args).add_token(args.name, args.role)
    print(token)
    print(f"token {args.name!r} ({args.role}) added; it is shown only now: the store keeps its hash",
          file=sys.stderr)
    return 0


def run_token_remove(args: argparse.Namespace) -> int:
    if not _open(args).remove_token(args.name):
        print(f"error: no token named {args.name!r} in the store", file=sys.stderr)
        return BAD_INPUT
    return 0
