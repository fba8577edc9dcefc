"""Safe YAML reading that remembers the line of every key and list item.

The validator reports ``path:line: field: message``, so each value's line must survive parsing.
We compose the node tree with PyYAML's safe loader (never the full loader), refuse anchors and
aliases (no billion-laughs expansion), and read YAML 1.2 booleans only, so a key such as ``on:``
stays the string ``"on"`` instead of turning into ``True``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 64

Loc = tuple[str | int, ...]


# libyaml's C parser composes the node tree much faster; the resolver and constructor stay the
# safe Python ones either way.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """Safe loader with YAML 1.2 booleans (true/false only)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class _Fallback(Exception):
    """The fast path met something (alias, duplicate key, odd scalar) the careful path reports."""


_MERGE = "tag:yaml.org,2002:merge"


class _FastLoader(_Loader):
    """Plain safe loading, but refusing what the careful path would report as a problem."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects:  # an alias: the careful path names it
            raise _Fallback
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError, yaml.YAMLError) as exc:
            raise _Fallback from exc

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        keys = set()
        for key_node, _ in node.value:
            if key_node.tag == _MERGE or not isinstance(key_node, yaml.ScalarNode):
                raise _Fallback
            if key_node.value in keys:
                raise _Fallback
            keys.add(key_node.value)
        return super().construct_mapping(node, deep)


@dataclass
class ParsedYaml:
    """A parsed document and the 1-based line of each location in it.

    Valid files never need their line map, so it is computed on first use only.
    """

    data: Any
    text: str = ""
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # (line, field, message)
    _lines: dict[Loc, int] | None = None

    @property
    def lines(self) -> dict[Loc, int]:
        if self._lines is None:
            self._lines = _careful(self.text).lines if self.text else {}
        return self._lines

    def line_of(self, loc: Loc) -> int:
        """Line of the deepest part of ``loc`` that exists in the file (1 if none)."""
        lines = self.lines
        for end in range(len(loc), -1, -1):
            line = lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return 1


class _Converter:
    def __init__(self, loader: _Loader, parsed: ParsedYaml) -> None:
        self.loader = loader
        self.parsed = parsed
        self.seen: set[int] = set()

    def convert(self, node: yaml.Node, loc: Loc, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise _Refused(node.start_mark.line + 1, f"nesting deeper than {MAX_DEPTH} levels")
        if isinstance(node, yaml.ScalarNode):
            tag = node.tag
            if tag == "tag:yaml.org,2002:str":  # the common case, already resolved
                return node.value
            if tag == "tag:yaml.org,2002:int" and node.value.isdigit():
                return int(node.value)
            try:
                return self.loader.construct_object(node, deep=True)
            except (ValueError, TypeError, OverflowError):
                # e.g. a date such as 2026-13-45: keep the text, the schema then names the field
                return node.value
        if id(node) in self.seen:
            raise _Refused(node.start_mark.line + 1, "anchors and aliases are not allowed")
        self.seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, child in enumerate(node.value):
                self.parsed.lines[(*loc, index)] = child.start_mark.line + 1
                items.append(self.convert(child, (*loc, index), depth + 1))
            return items
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            first_line: dict[Any, int] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise _Refused(key_node.start_mark.line + 1, "mapping keys must be plain text")
                if key_node.tag == "tag:yaml.org,2002:str":
                    key = key_node.value
                else:
                    key = str(self.convert(key_node, loc, depth + 1))
                line = key_node.start_mark.line + 1
                if key in out:
                    self.parsed.problems.append(
                        (
                            line,
                            _dotted((*loc, key)),
                            f"duplicate key (first at line {first_line[key]})",
                        )
                    )
                    continue
                first_line[key] = line
                self.parsed.lines[(*loc, key)] = line
                out[key] = self.convert(value_node, (*loc, key), depth + 1)
            return out
        raise _Refused(node.start_mark.line + 1, f"unsupported YAML node {node.tag}")


class _Refused(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(root)"


def dotted(loc: Loc) -> str:
    """``('relations', 0, 'target')`` -> ``relations[0].target``."""
    return _dotted(loc)


def parse_yaml(raw: bytes) -> ParsedYaml:
    """Parse one YAML document; syntax and safety problems come back in ``problems``.

    A fast path (libyaml + the safe constructor) handles clean files; anything it will not vouch
    for is parsed again carefully, node by node, to report problems with lines.
    """
    if len(raw) <= MAX_FILE_BYTES:
        try:
            text = raw.decode("utf-8")
            loader = _FastLoader(text)
            try:
                data = loader.get_single_data()
            finally:
                loader.dispose()
            if data is not None and not _deeper_than(data, MAX_DEPTH):
                return ParsedYaml(data=data, text=text)
        except (_Fallback, yaml.YAMLError, UnicodeDecodeError, RecursionError):
            pass
    return _careful_bytes(raw)


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether any value sits more than ``limit`` levels below the root (the careful parser
    refuses such files; the fast path must not accept them)."""
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            stack.extend((child, depth + 1) for pair in value.items() for child in pair)
        elif isinstance(value, list):
            stack.extend((child, depth + 1) for child in value)
    return False


def _careful_bytes(raw: bytes) -> ParsedYaml:
    parsed = ParsedYaml(data=None)
    if len(raw) > MAX_FILE_BYTES:
        parsed.problems.append((1, "(file)", f"file is larger than {MAX_FILE_BYTES} bytes"))
        return parsed
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        parsed.problems.append((1, "(file)", f"not valid UTF-8 ({exc.reason} at byte {exc.start})"))
        return parsed
    return _careful(text)


def _careful(text: str) -> ParsedYaml:
    parsed = ParsedYaml(data=None, text=text)
    parsed._lines = {}
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            parsed.problems.append((1, "(file)", "file is empty"))
            return parsed
        parsed.lines[()] = node.start_mark.line + 1
        parsed.data = _Converter(loader, parsed).convert(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        what = exc.problem or exc.context or "invalid YAML"
        parsed.problems.append((line, "yaml", what))
    except yaml.YAMLError as exc:
        parsed.problems.append((1, "yaml", str(exc).splitlines()[0]))
    except _Refused as exc:
        parsed.problems.append((exc.line, "yaml", exc.message))
    except RecursionError:
        parsed.problems.append((1, "yaml", f"nesting deeper than {MAX_DEPTH} levels"))
    finally:
        loader.dispose()
    return parsed
