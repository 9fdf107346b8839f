"""Tables for a terminal: the findings of a result, and plain rows."""
from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from ..models import Result
from ..output import write_atomic


def table(rows: list[tuple]) -> str:
    """Rows in aligned columns; the last column runs on unpadded."""
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths)) + "  " + str(r[-1]) for r in rows)


def findings_table(result: Result, by: str | None = None) -> str:
    """One row per finding, its actions and sanctions below it. `by="subject"`: the rows grouped
    under a heading per subject ("== employee CK-10183: 3 findings"), subjects in order, each
    one's findings in time order; the columns line up across groups."""
    head = ("TIME", "SUBJECT", "SEVERITY", "RULE", "CLAUSE", "FINDING")
    findings = list(result.findings)
    if by == "subject":
        findings.sort(key=lambda f: (f.subject.kind, f.subject.id, _when(f.time), f.rule, f.id))
        head = head[:1] + head[2:]
    rows, details = [head], []
    for f in findings:
        row = (str(f.time or ""), f.subject.id, f.severity, f.rule, ",".join(c.number for c in f.clauses), f.message)
        rows.append(row[:1] + row[2:] if by == "subject" else row)
        lines = [f"  action: {a.what} [R: {'/'.join(a.responsible) or '-'}; A: {'/'.join(a.accountable) or '-'}]"
                 for a in f.actions]
        lines += [f"  sanction: {s.label}" for s in f.sanctions]
        details.append(lines)
    lines_out = table(rows).splitlines()
    out = [lines_out[0]]
    previous = None
    for f, line, extra in zip(findings, lines_out[1:], details):
        if by == "subject" and (f.subject.kind, f.subject.id) != previous:
            previous = (f.subject.kind, f.subject.id)
            n = sum(1 for g in findings if (g.subject.kind, g.subject.id) == previous)
            out += ["", f"== {f.subject.kind} {f.subject.id}: {n} finding{'s' if n != 1 else ''}"]
        out += [line] + extra
    summary = f"{len(result.findings)} findings from {result.trace.facts_in} facts"
    if by == "subject":
        groups = len({(f.subject.kind, f.subject.id) for f in findings})
        summary += f", {groups} subject{'s' if groups != 1 else ''}"
    return "\n".join(out + ["", summary]) + "\n"


def _when(time: Any) -> str:
    """A finding's time as a sort key: dates and date-times (any zone) in UTC order, none first."""
    if time is None:
        return ""
    if isinstance(time, dt.datetime):
        return time.astimezone(dt.UTC).isoformat() if time.tzinfo else time.isoformat()
    return str(time.isoformat())


def write(text: str, out: str | None) -> None:
    """Standard output, or --out through patuh.output: all or nothing, a failed run never leaves a
    file that looks complete."""
    if out:
        write_atomic(out, text)
    else:
        sys.stdout.write(text)
