"""Check, first step: each file of a pack against the pack format, schemas/pack.yaml (cerberus),
its single definition. Messages name the file, line and column and, for an unknown key, the keys
that are allowed there.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources
from typing import Any

import cerberus
from cerberus.errors import ValidationError  # cerberus has no types: Any to mypy

from .documents import Document, YamlPath, parse
from .problems import Problem, Where


def check_document(doc: Document, kind: str) -> list[Problem]:
    """Problems of one document of a pack ("pack.yaml", ..., "rules", "tests") against its schema."""
    return _schema_problems(doc, schemas()[kind])


@cache
def schemas() -> dict[str, dict[str, Any]]:
    """Each kind of pack file -> its cerberus schema, as schemas/pack.yaml writes it."""
    text = resources.files("patuh.schemas").joinpath("pack.yaml").read_text(encoding="utf-8")
    files: dict[str, dict[str, Any]] = parse(text, "schemas/pack.yaml").data["files"]
    return files


def _schema_problems(doc: Document, schema: dict[str, Any]) -> list[Problem]:
    if doc.data is None:
        return [Problem(Where(doc.file, 1, 1), f"empty file: expected a mapping with {_keys(schema)}")]
    if not isinstance(doc.data, dict):
        return [Problem(doc.where(()), f"expected a mapping with {_keys(schema)}, found {_kind(doc.data)}")]
    validator = cerberus.Validator(schema)
    if validator.validate(doc.data):
        return []
    return [Problem(_error_where(doc, e), _error_text(e, schema)) for e in _leaf_errors(validator._errors)]


def _keys(schema: dict[str, Any]) -> str:
    required = [k for k, v in schema.items() if v.get("required")]
    return ", ".join(required or schema)


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", int: "a number", float: "a number",
            bool: "true/false"}.get(type(value), type(value).__name__)


def _leaf_errors(errors: Iterable[ValidationError]) -> Iterator[ValidationError]:
    for error in errors:
        if error.is_group_error and error.child_errors and not error.is_logic_error:
            yield from _leaf_errors(error.child_errors)
        else:
            yield error


def _error_where(doc: Document, error: ValidationError) -> Where:
    path = tuple(error.document_path)
    if error.code == cerberus.errors.UNKNOWN_FIELD.code:
        return doc.where(path + ("__key__",))
    unknown = _unknown_keys(error)
    if unknown:
        return doc.where(path + (unknown[0], "__key__"))
    return doc.where(path)


def _allowed_keys(schema: dict[str, Any], path: YamlPath) -> list[str]:
    """The keys the schema accepts for the mapping at `path` (to name them in a message)."""
    rules: dict[str, Any] = {"type": "dict", "schema": schema}
    for step in path:
        if rules.get("type") == "list" or isinstance(step, int):
            rules = rules.get("schema", {})
        elif isinstance(rules.get("schema"), dict) and step in rules["schema"]:
            rules = rules["schema"][step]
        else:
            rules = rules.get("valuesrules", {})
    return sorted(rules["schema"]) if isinstance(rules.get("schema"), dict) else []


def _unknown_keys(error: ValidationError) -> list[str]:
    """For a mapping that fits none of an anyof's forms: its keys that no form knows."""
    if not (error.is_logic_error and isinstance(error.value, dict) and isinstance(error.constraint, list)):
        return []
    return [k for k in error.value if k not in _form_keys(error.constraint)]


def _form_keys(forms: list[dict[str, Any]]) -> list[str]:
    """The keys the mapping forms of an anyof accept (a list form's item schema is not one)."""
    return sorted({k for form in forms if form.get("type") == "dict" and isinstance(form.get("schema"), dict)
                   for k in form["schema"]})


# The reference forms packs were written in before there was one way (pack.py): what to write now.
_OLD_FORMS = {
    "same": "; a join is a where-test now: where: {employee: $alias.employee}",
    "from": "; a due time is at: $alias.time + N h now", "hours": "; a due time is at: $alias.time + N h now",
    "minutes": "; a due time is at: $alias.time + N min now", "days": "; a due time is at: $alias.date + N d now",
}


def _error_text(error: ValidationError, schema: dict[str, Any]) -> str:
    path = ".".join(str(p) for p in error.document_path) or "document"
    name = error.document_path[-1] if error.document_path else "document"
    code = error.code
    if isinstance(error.value, dict) and ("field" in error.value or "count" in error.value):
        return (f"{path}: {error.value!r}: a reference is written $alias.field (or $alias.n for a count), "
                "shifted as $alias.time + 2 h or scaled as $alias.n * $share")
    if code == cerberus.errors.UNKNOWN_FIELD.code:
        allowed = _allowed_keys(schema, tuple(error.document_path[:-1]))
        return (f"unknown field {name!r} at {path}" + (f"; expected one of {', '.join(allowed)}" if allowed else "")
                + _OLD_FORMS.get(str(name), ""))
    if code == cerberus.errors.REQUIRED_FIELD.code:
        return f"missing required field {name!r} at {path}"
    if code == cerberus.errors.BAD_TYPE.code:
        hint = ""
        if "string" in str(error.constraint) and isinstance(error.value, (int, float)):
            hint = "; write it in quotes" + (' as MAJOR.MINOR.PATCH (semver), e.g. "1.0.0"' if name == "version"
                                             else "")
        return f"{path}: expected {_types(error.constraint)}, found {_kind(error.value)} {error.value!r}{hint}"
    if code == cerberus.errors.UNALLOWED_VALUE.code:
        return f"{path}: {error.value!r} is not allowed; expected one of {', '.join(map(str, error.constraint))}"
    if code == cerberus.errors.REGEX_MISMATCH.code:
        return f"{path}: {error.value!r} does not have the expected form ({error.constraint})"
    if code == cerberus.errors.EXCLUDES_FIELD.code:
        return f"{path}: cannot be given together with {error.constraint}"
    unknown = _unknown_keys(error)
    if unknown:
        return f"{path}: unknown {unknown[0]!r}; expected one of {', '.join(_form_keys(error.constraint))}"
    if error.is_logic_error:
        return f"{path}: {error.value!r} matches none of the accepted forms"
    if code == cerberus.errors.MIN_LENGTH.code:
        return f"{path}: needs at least {error.constraint} item(s)"
    if code == cerberus.errors.MAX_LENGTH.code:
        return f"{path}: takes at most {error.constraint} item(s)"
    if code == cerberus.errors.EMPTY_NOT_ALLOWED.code:
        return f"{path}: must not be empty"
    return f"{path}: {error.rule} {error.constraint!r} not met by {error.value!r}"


def _types(constraint: str | list[str]) -> str:
    names = constraint if isinstance(constraint, list) else [constraint]
    return " or ".join({"dict": "a mapping", "list": "a list", "string": "text"}.get(n, f"a {n}") for n in names)
