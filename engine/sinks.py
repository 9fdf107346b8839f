"""Built-in result sinks, registered through the same hook a plugin's sinks use.

`patuh eval --sink jsonl:findings.jsonl` appends each finding as one JSON line, e.g. for a
store or a dashboard that tails the file.

A sink has a `name` and `write(result, target)`; it may also have `check(target)`, which
`patuh eval` calls before evaluating, so that a target it cannot write to fails at once (raise
a patuh.problems.SourceError: exit 2, one error line) and nothing is written.
"""
from __future__ import annotations

import json

from . import output
from .models import Result
from .plugins import hookimpl


class JsonlSink:
    name = "jsonl"

    def check(self, target: str) -> None:
        output.check_file(target, append=True)

    def write(self, result: Result, target: str) -> None:
        lines = "".join(json.dumps(f.model_dump(mode="json"), sort_keys=True, ensure_ascii=False) + "\n"
                        for f in result.findings)
        output.append(target, lines)  # one write: a finding line is never left half-appended by us


@hookimpl
def patuh_sinks() -> list[JsonlSink]:
    return [JsonlSink()]
