"""Loading a pack folder and checking it against the schema in schemas/pack.yaml.

A pack folder holds pack.yaml and, optionally, clauses.yaml, parameters.yaml, facts.yaml,
raci.yaml, sanctions.yaml, rules/*.yaml and tests/*.yaml. Loading never half-succeeds: it
returns a whole Pack or raises PackInvalid listing every problem with file:line:column.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import cerberus

from .documents import Document, load, parse
from .problems import PackInvalid, Problem, SourceError, Where

OPTIONAL_FILES = ("clauses.yaml", "parameters.yaml", "facts.yaml", "raci.yaml", "sanctions.yaml")
FOLDERS = ("rules", "tests")


@dataclass
class Located:
    """A piece of a pack and the document it came from, so later checks can point at it."""

    data: Any
    doc: Document
    path: tuple  # where `data` sits inside doc

    def where(self, *sub) -> Where:
        return self.doc.where(self.path + sub)

    def problem(self, message: str, *sub) -> Problem:
        return Problem(self.where(*sub), message)


@dataclass
class Pack:
    path: Path
    meta: dict
    clauses: dict[str, Located] = field(default_factory=dict)
    parameters: dict[str, Located] = field(default_factory=dict)
    facts: dict[str, Located] = field(default_factory=dict)
    raci: Located | None = None
    sanctions: dict[str, Located] = field(default_factory=dict)
    rules: list[Located] = field(default_factory=list)
    tests: list[Located] = field(default_factory=list)
    hash: str = ""
    meta_doc: Document | None = None

    @property
    def name(self) -> str:
        return self.meta["name"]

    @property
    def version(self) -> str:
        return self.meta["version"]

    @property
    def document(self) -> dict:
        return self.meta["document"]

    @property
    def effective(self) -> dt.date:
        return self.meta["document"]["effective"]

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


@cache
def schemas() -> dict:
    text = resources.files("patuh.schemas").joinpath("pack.yaml").read_text(encoding="utf-8")
    return parse(text, "schemas/pack.yaml").data["files"]


def _schema_problems(doc: Document, schema: dict) -> list[Problem]:
    if doc.data is None:
        return [Problem(Where(doc.file, 1, 1), f"empty file: expected a mapping with {_keys(schema)}")]
    if not isinstance(doc.data, dict):
        return [Problem(doc.where(()), f"expected a mapping with {_keys(schema)}, found {_kind(doc.data)}")]
    validator = cerberus.Validator(schema)
    if validator.validate(doc.data):
        return []
    return [Problem(_error_where(doc, e), _error_text(e, schema)) for e in _leaf_errors(validator._errors)]


def _keys(schema: dict) -> str:
    required = [k for k, v in schema.items() if v.get("required")]
    return ", ".join(required or schema)


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", int: "a number", float: "a number",
            bool: "true/false"}.get(type(value), type(value).__name__)


def _leaf_errors(errors):
    for error in errors:
        if error.is_group_error and error.child_errors and not error.is_logic_error:
            yield from _leaf_errors(error.child_errors)
        else:
            yield error


def _error_where(doc: Document, error) -> Where:
    path = tuple(error.document_path)
    if error.code == cerberus.errors.UNKNOWN_FIELD.code:
        return doc.where(path + ("__key__",))
    unknown = _unknown_keys(error)
    if unknown:
        return doc.where(path + (unknown[0], "__key__"))
    return doc.where(path)


def _allowed_keys(schema: dict, path: tuple) -> list[str]:
    """The keys the schema accepts for the mapping at `path` (to name them in a message)."""
    rules: dict = {"type": "dict", "schema": schema}
    for step in path:
        if rules.get("type") == "list" or isinstance(step, int):
            rules = rules.get("schema", {})
        elif isinstance(rules.get("schema"), dict) and step in rules["schema"]:
            rules = rules["schema"][step]
        else:
            rules = rules.get("valuesrules", {})
    return sorted(rules["schema"]) if isinstance(rules.get("schema"), dict) else []


def _unknown_keys(error) -> list[str]:
    """For a mapping that fits none of an anyof's forms: its keys that no form knows."""
    if not (error.is_logic_error and isinstance(error.value, dict) and isinstance(error.constraint, list)):
        return []
    return [k for k in error.value if k not in _form_keys(error.constraint)]


def _form_keys(forms: list[dict]) -> list[str]:
    """The keys the mapping forms of an anyof accept (a list form's item schema is not one)."""
    return sorted({k for form in forms if form.get("type") == "dict" and isinstance(form.get("schema"), dict)
                   for k in form["schema"]})


def _error_text(error, schema: dict) -> str:
    path = ".".join(str(p) for p in error.document_path) or "document"
    name = error.document_path[-1] if error.document_path else "document"
    code = error.code
    if code == cerberus.errors.UNKNOWN_FIELD.code:
        allowed = _allowed_keys(schema, tuple(error.document_path[:-1]))
        return f"unknown field {name!r} at {path}" + (f"; expected one of {', '.join(allowed)}" if allowed else "")
    if code == cerberus.errors.REQUIRED_FIELD.code:
        return f"missing required field {name!r} at {path}"
    if code == cerberus.errors.BAD_TYPE.code:
        hint = ""
        if "string" in str(error.constraint) and isinstance(error.value, (int, float)):
            hint = "; write it in quotes" + (' as MAJOR.MINOR.PATCH (semver), e.g. "1.0.0"' if name == "version" else "")
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


def _types(constraint) -> str:
    names = constraint if isinstance(constraint, list) else [constraint]
    return " or ".join({"dict": "a mapping", "list": "a list", "string": "text"}.get(n, f"a {n}") for n in names)


def _content_hash(files: list[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.relative_to(root).as_posix()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def load_pack(path: Path | str, known_fact_types: dict | None = None,
              known_parameters: dict[str, set[str]] | None = None) -> Pack:
    """Load and check one pack folder. Raises PackInvalid with every problem found."""
    from .lint import check_pack  # lint needs Pack; import here keeps the module order one-way

    root = Path(path)
    if not (root / "pack.yaml").is_file():
        raise PackInvalid([Problem(Where(str(root)), "not a pack: expected a folder with pack.yaml")])
    files = [root / "pack.yaml"] + [root / n for n in OPTIONAL_FILES if (root / n).is_file()]
    for folder in FOLDERS:
        if (root / folder).is_dir():
            files += sorted(p for p in (root / folder).iterdir() if p.suffix in (".yaml", ".yml"))

    problems: list[Problem] = []
    docs: dict[Path, Document] = {}
    for file in files:
        try:
            doc = load(file)
        except SourceError as exc:
            problems.append(Problem(exc.where, exc.message))
            continue
        kind = file.parent.name if file.parent.name in FOLDERS and file.parent != root else file.name
        found = _schema_problems(doc, schemas()[kind])
        problems += found
        if not found:
            docs[file] = doc
    if problems:
        raise PackInvalid(problems)

    meta_doc = docs[root / "pack.yaml"]
    pack = Pack(path=root, meta=meta_doc.data, meta_doc=meta_doc, hash=_content_hash(files, root))
    for file, doc in docs.items():
        name = file.name if file.parent == root else file.parent.name
        if name == "clauses.yaml":
            for i, item in enumerate(doc.data["clauses"]):
                loc = Located(item, doc, ("clauses", i))
                if item["number"] in pack.clauses:
                    problems.append(loc.problem(f"clause {item['number']} is listed twice", "number"))
                pack.clauses[item["number"]] = loc
        elif name == "parameters.yaml":
            pack.parameters = {k: Located(v, doc, ("parameters", k)) for k, v in doc.data["parameters"].items()}
        elif name == "facts.yaml":
            pack.facts = {k: Located(v, doc, ("facts", k)) for k, v in doc.data["facts"].items()}
        elif name == "raci.yaml":
            pack.raci = Located(doc.data, doc, ())
        elif name == "sanctions.yaml":
            for i, item in enumerate(doc.data["sanctions"]):
                loc = Located(item, doc, ("sanctions", i))
                if item["id"] in pack.sanctions:
                    problems.append(loc.problem(f"sanction {item['id']} is listed twice "
                                                f"(first at {pack.sanctions[item['id']].where('id')})", "id"))
                pack.sanctions.setdefault(item["id"], loc)
        elif name == "rules":
            pack.rules += [Located(r, doc, ("rules", i)) for i, r in enumerate(doc.data["rules"])]
        elif name == "tests":
            pack.tests += [Located(t, doc, ("tests", i)) for i, t in enumerate(doc.data["tests"])]
    problems += check_pack(pack, known_fact_types or {}, known_parameters)
    if problems:
        raise PackInvalid(problems)
    return pack
