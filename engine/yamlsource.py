"""YAML documents that remember where each value came from.

Every error a pack author sees names file, line and column, so loading keeps a map from the
path of each value (("rules", 2, "when", 0, "fact"), ...) to its position in the file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

@dataclass(frozen=True)
class Where:
    file: str
    line: int = 0  # 1-based; 0 when unknown
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


class SourceError(Exception):
    """A problem in an input file, with the place it was found."""

    def __init__(self, where: Where, message: str):
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


@dataclass
class Document:
    """A parsed YAML document and the position of every value in it."""

    file: str
    data: Any
    marks: dict = field(default_factory=dict)

    def where(self, path: tuple) -> Where:
        """Position of the value at `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.marks:
                line, col = self.marks[path]
                return Where(self.file, line, col)
            path = path[:-1]
        return Where(self.file, *self.marks.get((), (1, 1)))


def _walk(node: yaml.Node, path: tuple, marks: dict) -> None:
    marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            # The key's own position is the natural place to point at for "unknown field".
            _walk(value_node, path + (key,), marks)
            marks[path + (key, "__key__")] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), marks)


_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when PyYAML has it


class _UniqueKeyLoader(_Base):
    """Safe loader that refuses duplicate keys, which YAML would otherwise silently overwrite."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # "<<: *anchor" may repeat keys on purpose
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                mark = key_node.start_mark
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first on line {seen[key] + 1})", mark
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


# What the parser (libyaml or PyYAML's own) says when a line is indented wrongly.
_INDENTATION = ("expected <block end>", "did not find expected key", "did not find expected '-' indicator")


def _syntax_error(exc: yaml.MarkedYAMLError, file: str, text: str) -> SourceError:
    mark, problem = exc.problem_mark or exc.context_mark, exc.problem or exc.context or "invalid YAML"
    context = exc.context or ""
    if "flow" in context and exc.context_mark is not None:
        # An unclosed [ or {: the parser notices at the next line; point at the bracket itself.
        mark = exc.context_mark
        problem = f"{problem}: the {'[' if 'sequence' in context else '{'} opened here is never closed"
    elif mark is not None and text[mark.index:mark.index + 1] == "\t":
        problem = f"{problem}: a tab; YAML indents with spaces, not tabs"
    elif any(p in problem for p in _INDENTATION):
        problem = ("bad indentation: this line is not aligned with the keys of the block it belongs to "
                   f"(the parser says: {problem})")
    where = Where(file, mark.line + 1, mark.column + 1) if mark else Where(file)
    return SourceError(where, f"invalid YAML: {problem}")


def parse(text: str, file: str) -> Document:
    """Parse one YAML document; a syntax error becomes a SourceError at its position."""
    loader = _UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(file, None, {})
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, file, text) from None
    except yaml.YAMLError as exc:
        raise SourceError(Where(file), f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    marks: dict = {}
    _walk(node, (), marks)
    return Document(file, data, marks)


def load(path: Path | str) -> Document:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(Where(str(path)), f"cannot read file: {exc}") from None
    return parse(text, str(path))
