"""The JSON Schema exports in schemas/ must match the models (run `make schemas` after a change)."""
import json
from pathlib import Path

from patuh.models import json_schemas

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


def test_exports_are_current():
    for name, schema in json_schemas().items():
        on_disk = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
        assert on_disk == schema, f"schemas/{name} is stale: run make schemas"


def test_result_schema_names_what_an_auditor_needs():
    finding = json_schemas()["result.schema.json"]["$defs"]["Finding"]["properties"]
    for field in ("rule", "pack", "clauses", "severity", "subject", "facts", "actions", "sanctions"):
        assert field in finding
