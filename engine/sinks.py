"""Built-in result sinks, registered through the same hook a plugin's sinks use.

`patuh eval --sink jsonl:findings.jsonl` appends each finding as one JSON line, e.g. for a
store or a dashboard that tails the file.
"""
from __future__ import annotations

import json
from pathlib import Path

from .models import Result
from .plugins import hookimpl


class JsonlSink:
    name = "jsonl"

    def write(self, result: Result, target: str) -> None:
        lines = "".join(json.dumps(f.model_dump(mode="json"), sort_keys=True, ensure_ascii=False) + "\n"
                        for f in result.findings)
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(lines)  # one write: a finding line is never left half-appended by us


@hookimpl
def patuh_sinks():
    return [JsonlSink()]
