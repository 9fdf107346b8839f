"""YAML documents that remember where each value came from.

Every error a pack author sees names file, line and column, so loading keeps a map from the
path of each value (("rules", 2, "when", 0, "fact"), ...) to its position in the file.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import stat
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import yaml

from . import limits
from .problems import SourceError, Where

# The path of a value in a document: mapping keys, as the data holds them (text, or the date,
# number, true/false or null a plain key reads as), and list indexes, from the root; e.g.
# ("rules", 2, "when", 0, "fact"); ("rules", 2, "id", "__key__") is the key `id` itself.
YamlPath: TypeAlias = tuple[Hashable, ...]
Marks: TypeAlias = dict[YamlPath, tuple[int, int]]  # path -> (line, column), both 1-based


@dataclass
class Document:
    """A parsed YAML document and the position of every value in it."""

    file: str
    data: Any
    marks: Marks = field(default_factory=dict)

    def where(self, path: YamlPath) -> Where:
        """Position of the value at `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.marks:
                line, col = self.marks[path]
                return Where(self.file, line, col)
            path = path[:-1]
        return Where(self.file, *self.marks.get((), (1, 1)))


def _walk(node: yaml.Node, path: YamlPath, marks: Marks, loader: _Loader) -> None:
    marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            # The key as the data holds it, so that a path made from the data finds it: a date
            # (a parameter's values by date) is a date here too, not its text.
            key = loader.construct_object(key_node) if key_node.tag in _TYPED_KEYS else key_node.value
            # The key's own position is the natural place to point at for "unknown field".
            _walk(value_node, path + (key,), marks, loader)
            marks[path + (key, "__key__")] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), marks, loader)


if TYPE_CHECKING:  # CSafeLoader has SafeLoader's methods (the stubs give it no common base)
    _Base = yaml.SafeLoader
else:
    _Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when PyYAML has it
_TAG = "tag:yaml.org,2002:"
# Plain scalars that do not read as text (see _Loader): as keys, _walk constructs them.
_TYPED_KEYS = frozenset(_TAG + t for t in ("int", "float", "bool", "null", "timestamp"))


class _Loader(_Base):
    """Safe loader that reads plain scalars as YAML 1.2 does (its JSON-compatible core), refuses
    duplicate keys, and names the place of a value it cannot construct.

    YAML 1.1, PyYAML's default, bends values: `employee: 0123` is the octal 83, `sleep_hours:
    3:30` the base-60 210, `shift: on` true. Here a plain scalar is a number only when it reads as
    one in JSON (0123 stays the text "0123"), true/false only when spelled so, and null only as
    null, ~ or nothing. Dates and times (2026-03-02, 2026-03-02T06:00:00+08:00) are still read as
    such: packs and facts are full of them, and they cannot be mistaken for anything else."""

    yaml_implicit_resolvers: dict[Any, Any] = {}

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _TAG + "merge":
                continue  # "<<: *anchor" may repeat keys on purpose
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                mark = key_node.start_mark
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first on line {seen[key] + 1})", mark
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> dt.date:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:  # 2026-02-30: the form of a date, but no such day
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a real date or time", node.start_mark) from None


for _first, _resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items():
    for _tag, _regexp in _resolvers:
        if _tag in (_TAG + "timestamp", _TAG + "merge"):
            _Loader.add_implicit_resolver(_tag, _regexp, [_first])
_Loader.add_implicit_resolver(_TAG + "null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
_Loader.add_implicit_resolver(_TAG + "bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver(_TAG + "int", re.compile(r"^-?(?:0|[1-9][0-9]*)$"), list("-0123456789"))
_Loader.add_implicit_resolver(
    _TAG + "float", re.compile(r"^(?:-?(?:0|[1-9][0-9]*)(?:\.[0-9]+(?:[eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+)"
                                 r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"), list("-0123456789."))
_Loader.add_constructor(_TAG + "timestamp", _Loader.construct_yaml_timestamp)


# What the parser (libyaml or PyYAML's own) says when a line is indented wrongly.
_INDENTATION = ("expected <block end>", "did not find expected key", "did not find expected '-' indicator")


def _syntax_error(exc: yaml.MarkedYAMLError, file: str, text: str) -> SourceError:
    mark, problem = exc.problem_mark or exc.context_mark, exc.problem or exc.context or "invalid YAML"
    context = exc.context or ""
    if "maximum nesting depth" in problem:
        problem = f"nested deeper than the YAML parser reads (patuh takes at most {limits.MAX_DEPTH} levels)"
    elif "flow" in context and exc.context_mark is not None:
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
    """Parse one YAML document; a syntax error, or a document beyond patuh's limits (nesting,
    aliases, text it cannot hold), becomes a SourceError at its position."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(file, None, {})
        _check_nodes(node, file)
        data = loader.construct_document(node)
        marks: Marks = {}
        _walk(node, (), marks, loader)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, file, text) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (a NUL, a raw control code)
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise SourceError(Where(file, line, column), f"invalid YAML: unacceptable character #x{exc.character:04x}: "
                                                     f"{exc.reason}") from None
    except yaml.YAMLError as exc:
        raise SourceError(Where(file), f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return Document(file, data, marks)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _check_nodes(root: yaml.Node, file: str) -> None:
    """Refuse what would exhaust memory or recursion once built: aliases that expand the document
    many times over (a "billion laughs"), a node that contains itself, nesting beyond MAX_DEPTH,
    and text the engine cannot hold. Each distinct node is visited once."""
    def at(node: yaml.Node) -> Where:
        return Where(file, node.start_mark.line + 1, node.start_mark.column + 1)

    order, seen, stack = [], set(), [(root, False)]
    while stack:  # distinct nodes, children before parents
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node) if id(child) not in seen)
    size: dict[int, int] = {}
    deep: dict[int, int] = {}
    for node in order:
        children = _children(node)
        if any(id(child) not in size for child in children):
            raise SourceError(at(node), "invalid YAML: an alias here refers to a value that contains it")
        size[id(node)] = 1 + sum(size[id(child)] for child in children)
        deep[id(node)] = 1 + max((deep[id(child)] for child in children), default=0) if children else 0
        if isinstance(node, yaml.ScalarNode):
            problem = limits.text_problem(node.value)
            if problem:
                raise SourceError(at(node), problem)
    total = size[id(root)]
    if total > max(limits.MAX_ALIAS_EXPANSION * len(order), 100_000):
        raise SourceError(at(root), f"invalid YAML: its aliases expand {len(order):,} values to {total:,}; "
                                    f"at most {limits.MAX_ALIAS_EXPANSION} times the document's own")
    if deep[id(root)] > limits.MAX_DEPTH:
        node, level = root, 0
        while level < limits.MAX_DEPTH:  # follow the deepest branch to the first value too deep
            node = max(_children(node), key=lambda child: deep[id(child)])
            level += 1
        raise SourceError(at(node), f"nested {deep[id(root)]} levels deep; at most {limits.MAX_DEPTH}")


def read_text(path: Path | str, limit: int = limits.MAX_YAML_BYTES, what: str = "file") -> str:
    """A file's text (UTF-8, a byte-order mark allowed), read no further than `limit` bytes: a
    device or a runaway export is refused, not read until memory runs out."""
    too_big = SourceError(Where(str(path)), f"{what} larger than {limit:,} bytes; split it")
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
                raise SourceError(Where(str(path)), f"cannot read {what}: a device, not a file")
            if stat.S_ISREG(info.st_mode) and info.st_size > limit:
                raise too_big
            data = handle.read(limit + 1)  # a pipe has no size to ask
    except OSError as exc:
        raise SourceError(Where(str(path)), f"cannot read {what}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise too_big
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SourceError(Where(str(path), line, column), f"cannot read {what}: not valid utf-8 (byte "
                                                          f"0x{data[exc.start]:02x}); save it as UTF-8") from None


def load(path: Path | str) -> Document:
    return parse(read_text(path), str(path))
