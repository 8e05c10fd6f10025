"""Where a user wrote something: the lines of TOML and YAML keys, and validation errors as
findings that name them (with a did-you-mean for unknown keys)."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from edition.errors import Finding, Location

Key = tuple[str | int, ...]


MAX_DEPTH = 32  # nesting of YAML front matter (an editor writes 2 or 3 levels)


class FrontMatterLoader(yaml.SafeLoader):
    """Safe YAML without implicit timestamps (dates stay text and pydantic judges them),
    without aliases (`*name`: a few hundred bytes of them unfold into gigabytes) and
    nested at most MAX_DEPTH deep."""

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in front matter", event.start_mark
            )
        depth = getattr(self, "_depth", 0)
        if depth >= MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"nested more than {MAX_DEPTH} levels deep",
                self.peek_event().start_mark,
            )
        self._depth = depth + 1
        try:
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth = depth


FrontMatterLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def toml_error(exc: Exception) -> tuple[str, int | None]:
    """A TOML syntax error as (what is wrong, line): tomllib writes the place into its text."""
    m = re.search(r"line (\d+)", str(exc))
    msg = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
    return msg.lower(), int(m.group(1)) if m else None


_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?\s*(#.*)?$")
_KEYLINE = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\")\s*=")


@dataclass
class TomlLines:
    """Maps key paths of a TOML file to the line they were written on.

    tomllib gives values but no positions; this scan of the text covers the
    shapes an editor writes (tables, arrays of tables, `key = value`).
    """

    lines: list[str]
    keys: dict[Key, int] = field(default_factory=dict)

    @classmethod
    def scan(cls, text: str) -> TomlLines:
        index = cls(text.splitlines())
        prefix: Key = ()
        counts: dict[Key, int] = {}
        for no, line in enumerate(index.lines, start=1):
            if m := _HEADER.match(line):
                names = tuple(p.strip().strip('"') for p in m.group(2).split("."))
                if m.group(1) == "[[":
                    n = counts.get(names, -1) + 1
                    counts[names] = n
                    prefix = (*names, n)
                else:
                    prefix = names
                index.keys.setdefault(prefix, no)
                continue
            if m := _KEYLINE.match(line):
                index.keys.setdefault((*prefix, m.group(1).strip('"')), no)
        return index

    def line(self, key: Iterable[str | int]) -> int | None:
        """Line of the longest known prefix of `key`."""
        parts = tuple(key)
        while parts:
            if parts in self.keys:
                return self.keys[parts]
            parts = parts[:-1]
        return None

    def value_line(self, key: Key, needle: str, occurrence: int = 0) -> int | None:
        """Line where the string `needle` is written under `key` (e.g. a list item).

        `occurrence` counts from 0, for a value written more than once.
        """
        start = self.line(key)
        if start is None:
            return None
        quoted = (f'"{needle}"', f"'{needle}'")
        for no in range(start, min(len(self.lines), start + 200) + 1):
            text = self.lines[no - 1]
            if no > start and (_KEYLINE.match(text) or _HEADER.match(text)):
                break
            occurrence -= sum(text.count(q) for q in quoted)
            if occurrence < 0:
                return no
        return start


def yaml_key_lines(text: str, offset: int) -> dict[Key, int]:
    """Line of each key (and list item) in a YAML mapping, shifted by `offset`."""
    return dict(_key_lines(text, offset))


@functools.lru_cache(maxsize=1024)
def _key_lines(text: str, offset: int) -> dict[Key, int]:
    out: dict[Key, int] = {}

    def walk(node: yaml.Node, path: Key) -> None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = (*path, str(k.value))
                out[key] = k.start_mark.line + 1 + offset
                walk(v, key)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                out[(*path, i)] = item.start_mark.line + 1 + offset
                walk(item, (*path, i))

    try:
        root = yaml.compose(text, Loader=FrontMatterLoader)
    except yaml.YAMLError:
        return out
    if root is not None:
        walk(root, ())
    return out


def pydantic_findings(
    exc: ValidationError,
    path: Path,
    line_of: Callable[[Key], int | None],
    model: type[BaseModel],
    code: str,
) -> list[Finding]:
    findings: list[Finding] = []
    for err in exc.errors():
        # A value that may be of several types (int | float) is tried as each: its place
        # is the field, not the type pydantic tried last; a dict's key is the key itself.
        loc: Key = tuple(p for p in err["loc"] if not _validator_step(p))
        line = line_of(loc)
        name = ".".join(str(p) for p in loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            known = _known_keys(model, loc[:-1])
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(known)}"
            findings.append(
                Finding(f"unknown key '{name}'", Location(path, line), hint, f"{code}.unknown-key")
            )
        elif kind == "missing":
            findings.append(
                Finding(
                    f"missing key '{name}'",
                    Location(path, line_of(loc[:-1]) or 1),
                    f"add '{loc[-1]}'",
                    f"{code}.missing-key",
                )
            )
        elif kind.startswith("date"):
            findings.append(
                Finding(
                    f"'{name}' is not a date: {err.get('input')!r}",
                    Location(path, line),
                    "write it as YYYY-MM-DD",
                    f"{code}.bad-date",
                )
            )
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            findings.append(
                Finding(
                    f"'{name}' cannot be {err.get('input')!r}",
                    Location(path, line),
                    f"use one of {expected}",
                    f"{code}.bad-value",
                )
            )
        elif "hint" in err.get("ctx", {}):  # a validator's own words and advice
            findings.append(
                Finding(
                    f"'{name}': {err['msg']}",
                    Location(path, line),
                    str(err["ctx"]["hint"]),
                    f"{code}.{kind.replace('_', '-')}",
                )
            )
        elif kind == "value_error" and " (" in str(err.get("ctx", {}).get("error", "")):
            # Our validators say what is wrong and, in brackets, what to do.
            what, _, hint = str(err["ctx"]["error"]).rpartition(" (")
            findings.append(
                Finding(f"'{name}': {what}", Location(path, line), hint[:-1], f"{code}.bad-value")
            )
        else:
            findings.append(
                Finding(
                    f"'{name}': {err['msg'].lower()}",
                    Location(path, line),
                    "correct the value",
                    f"{code}.bad-value",
                )
            )
    return list(dict.fromkeys(findings))  # one finding per value, however many types tried


_TYPES = frozenset({"int", "float", "str", "bool", "list", "dict", "tuple", "[key]"})


def _validator_step(part: str | int) -> bool:
    """A part of a pydantic error's place that names a type it tried, not a key written."""
    if not isinstance(part, str):
        return False
    return part in _TYPES or (
        part.endswith("]")
        and part.startswith(("function-", "constrained-", "lax-or-strict[", "json-or-python["))
    )


def closest_line(lines: dict[Key, int], loc: Key) -> int | None:
    parts = tuple(loc)
    while parts:
        if parts in lines:
            return lines[parts]
        parts = parts[:-1]
    return None


def _known_keys(model: type[BaseModel], loc: Key) -> list[str]:
    """Field names of the (sub)model that `loc` points into."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        field_info = fields.get(str(part)) if fields is not None else None
        if field_info is None:
            break
        current = _model_of(field_info.annotation)
    return list(current.model_fields) if hasattr(current, "model_fields") else []


def _model_of(annotation: Any) -> Any:
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_of(arg)
        if found is not None:
            return found
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None
