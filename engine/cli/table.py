"""Tables for a terminal: the findings of a result, and plain rows."""
from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from ..models import Obligation, Result
from ..output import write_atomic
from ..result import local_text


def table(rows: Sequence[tuple[str, ...]]) -> str:
    """Rows in aligned columns; the last column runs on unpadded."""
    return "\n".join(table_lines(rows))


def table_lines(rows: Sequence[tuple[str, ...]]) -> list[str]:
    """One line per row (whatever line breaks its cells hold), in aligned columns; the last
    column runs on unpadded."""
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]) - 1)]
    # zip stops at the last padded column: the last cell is added unpadded
    return ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + str(r[-1]) for r in rows]


def findings_table(result: Result, by: str | None = None) -> str:
    """One row per finding, its actions and sanctions below it. `by="subject"`: the rows grouped
    under a heading per subject ("== employee CK-10183: 3 findings"), subjects in order, each
    one's findings in time order; the columns line up across groups."""
    head: tuple[str, ...] = ("TIME", "SUBJECT", "SEVERITY", "RULE", "CLAUSE", "FINDING")
    findings = list(result.findings)
    if by == "subject":
        findings.sort(key=lambda f: (f.subject.kind, f.subject.id, _when(f.time), f.rule, f.id))
        head = head[:1] + head[2:]
    rows = [head]
    details: list[list[str]] = []  # per finding: its action and sanction lines
    for f in findings:
        row = (local_text(f.time, result.trace.timezone), f.subject.id, f.severity, f.rule,
               ",".join(c.number for c in f.clauses), f.message)
        rows.append(row[:1] + row[2:] if by == "subject" else row)
        lines = [f"  action: {a.what} [R: {'/'.join(a.responsible) or '-'}; A: {'/'.join(a.accountable) or '-'}]"
                 for a in f.actions]
        lines += [f"  sanction: {s.label}" for s in f.sanctions]
        details.append(lines)
    # One line per row, not the table's text split at line breaks: a message or subject holding
    # one (a line or paragraph separator in a form's text) would shift every later finding's row
    # onto another finding's actions, and drop the last rows.
    lines_out = table_lines(rows)
    out = [lines_out[0]]
    previous = None
    for f, line, extra in zip(findings, lines_out[1:], details, strict=True):
        if by == "subject" and (f.subject.kind, f.subject.id) != previous:
            previous = (f.subject.kind, f.subject.id)
            n = sum(1 for g in findings if (g.subject.kind, g.subject.id) == previous)
            out += ["", f"== {f.subject.kind} {f.subject.id}: {n} finding{'s' if n != 1 else ''}"]
        out += [line] + extra
    summary = f"{len(result.findings)} findings from {result.trace.facts_in} facts"
    if by == "subject":
        groups = len({(f.subject.kind, f.subject.id) for f in findings})
        summary += f", {groups} subject{'s' if groups != 1 else ''}"
    if result.obligations:
        counts = {s: sum(1 for o in result.obligations if o.status == s) for s in ("overdue", "open", "late", "done")}
        summary += "; obligations: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    return "\n".join(out + obligations_lines(result) + ["", summary]) + "\n"


def obligations_lines(result: Result) -> list[str]:
    """The obligations still to do (overdue, then open), grouped under the role accountable for
    each, by due time: what a site works through."""
    pending = [o for o in result.obligations if o.status in ("overdue", "open")]
    if not pending:
        return []
    by_role: dict[str, list[Obligation]] = {}
    for obligation in pending:
        by_role.setdefault(_accountable(obligation), []).append(obligation)
    out = ["", "Obligations still to do, by the role accountable:"]
    for role in sorted(by_role):
        items = sorted(by_role[role], key=lambda o: (o.status != "overdue", _when(o.due), o.rule, o.id))
        out += ["", f"== {role}: {len(items)} ({sum(o.status == 'overdue' for o in items)} overdue)"]
        rows = [("DUE", "STATUS", "SUBJECT", "RULE", "WHAT")]
        rows += [(local_text(o.due, result.trace.timezone) or (o.due_text or "-"), o.status, o.subject.id,
                  f"{o.rule}.{o.action}" if o.action else o.rule, o.what) for o in items]
        out += table_lines(rows)
    return out


def _accountable(obligation: Obligation) -> str:
    return (obligation.accountable or obligation.responsible or ["(no role named)"])[0]


def _when(time: Any) -> str:
    """A finding's time as a sort key: dates and date-times (any zone) in UTC order, none first."""
    if time is None:
        return ""
    if isinstance(time, dt.datetime):
        return time.astimezone(dt.UTC).isoformat() if time.tzinfo else time.isoformat()
    return str(time.isoformat())


def write(text: str | Iterable[bytes], out: str | None) -> None:
    """Standard output, or --out through patuh.output: all or nothing, a failed run never leaves a
    file that looks complete. Text, or UTF-8 chunks as they are made (the JSON result)."""
    if out:
        write_atomic(out, text)
    elif isinstance(text, str):
        sys.stdout.write(text)
    else:
        buffer = getattr(sys.stdout, "buffer", None)  # None: a text stream (a host app's, a test's)
        if buffer is not None:
            sys.stdout.flush()
        for chunk in text:  # each chunk is whole UTF-8 (a finding, a fact, ...)
            buffer.write(chunk) if buffer is not None else sys.stdout.write(chunk.decode())
