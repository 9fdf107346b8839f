"""Load: the YAML files of a set of pack folders, each parsed once, with positions.

A pack folder holds pack.yaml and, optionally, clauses.yaml, parameters.yaml, facts.yaml,
raci.yaml, sanctions.yaml, rules/*.yaml and tests/*.yaml. Loading only reads and parses: what
the files must hold is `check`'s business. A file that cannot be read or parsed is a problem
at its position; loading never half-succeeds.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .documents import Document, load
from .problems import PackInvalid, Problem, SourceError, Where

FILES = ("pack.yaml", "clauses.yaml", "parameters.yaml", "facts.yaml", "tables.yaml", "raci.yaml", "sanctions.yaml")
FOLDERS = ("rules", "tests")


@dataclass
class PackFiles:
    """One pack folder's documents: by file name, and the rules' and tests' files in order."""

    folder: Path
    files: dict[str, Document] = field(default_factory=dict)
    rules: list[Document] = field(default_factory=list)
    tests: list[Document] = field(default_factory=list)
    hash: str = ""  # of every file's bytes, tests included: a pack's identity in findings

    def name(self) -> str | None:
        data = self.files["pack.yaml"].data
        return data.get("name") if isinstance(data, dict) and isinstance(data.get("name"), str) else None


def pack_files(folder: Path | str) -> list[Path]:
    root = Path(folder)
    found = [root / n for n in FILES if (root / n).is_file()]
    for sub in FOLDERS:
        if (root / sub).is_dir():
            found += sorted(p for p in (root / sub).iterdir() if p.suffix in (".yaml", ".yml"))
    return found


def load_folder(folder: Path | str, tests: bool = True) -> PackFiles:
    """A pack folder's documents (its tests only with `tests`); PackInvalid with every file that
    cannot be read or parsed."""
    root = Path(folder)
    if not (root / "pack.yaml").is_file():
        raise PackInvalid([Problem(Where(str(root)), "not a pack: expected a folder with pack.yaml")])
    paths = pack_files(root)
    loaded = PackFiles(root, hash=_content_hash(paths, root))
    problems: list[Problem] = []
    for path in paths:
        if path.parent.name == "tests" and path.parent != root and not tests:
            continue
        try:
            doc = load(path)
        except SourceError as exc:
            problems.append(Problem(exc.where, exc.message))
            continue
        if path.parent == root:
            loaded.files[path.name] = doc
        else:
            getattr(loaded, path.parent.name).append(doc)
    if problems:
        raise PackInvalid(problems)
    return loaded


def load_folders(folders: list[Path], tests: bool = True) -> tuple[list[PackFiles], list[Problem]]:
    """Every folder that loads, and the problems of those that do not."""
    out, problems = [], []
    for folder in folders:
        try:
            out.append(load_folder(folder, tests))
        except PackInvalid as exc:
            problems += exc.problems
    return out, problems


def _content_hash(files: list[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.relative_to(root).as_posix()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]
