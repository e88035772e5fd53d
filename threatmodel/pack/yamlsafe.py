"""Safe YAML loading with line numbers.

PyYAML's safe loader still accepts anchors and aliases (the "billion laughs" bomb), silently
keeps the last of two duplicate keys, and forgets where each value came from. We build the data
ourselves from the parser's event stream instead: every value is a plain str, int, float, bool,
None, date, list or dict; anything else is refused with the file and line; and the line of each
value is kept so that later validation errors can point into the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml import events

from threatmodel.errors import InputError
from threatmodel.files import LIMITS, inside, read_bounded
from threatmodel.language.model import Loc

MAX_BYTES = LIMITS["a YAML file"]
MAX_DEPTH = 64

_CORE = "tag:yaml.org,2002:"
_STR = _CORE + "str"
_ALLOWED_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "seq", "map")}
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Document:
    """A loaded YAML file: its data and the line of every value, keyed by its path in the data."""

    path: Path
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    text: str = ""
    spans: dict[Loc, tuple[int, int, int]] = field(default_factory=dict)
    """For every mapping entry: where its key starts, where its value starts and where the
    value's last character ends (offsets in `text`; comments after it are not part of it), so
    that an answer can be rewritten in place."""
    sources: dict[Loc, str] = field(default_factory=dict)
    """The source text of every plain scalar that YAML read as something other than a string
    (so that `NO` or `0755`, given as a name, can be read back as the text that was typed)."""

    def line_of(self, loc: Loc) -> int | None:
        """The line of `loc`, or of its nearest ancestor whose line is known."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return None

    def error(self, loc: Loc, message: str) -> InputError:
        """An InputError pointing at `loc` in this file."""
        return InputError(self.path, message, self.line_of(loc))


def load_yaml(path: Path, within: Path | None = None) -> Document:
    """Read and safely parse one YAML file, or raise InputError naming it. A file of a folder
    from elsewhere (a shared rule pack) is read only if it resolves `within` that folder."""
    real = path if within is None else inside(within, path)
    return parse_yaml(read_bounded(real, "a YAML file"), path)


def parse_yaml(raw: bytes | str, path: Path) -> Document:
    """Parse YAML text (bytes are checked for binary content and UTF-8 first)."""
    text = _decode(raw, path) if isinstance(raw, bytes) else raw
    if len(text) > MAX_BYTES:
        raise InputError(path, f"text is {len(text):,} characters; the limit is {MAX_BYTES:,}")
    builder = _Builder(path)
    try:
        data = builder.build(yaml.parse(text, Loader=_Loader))
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise InputError(
            path, f"character #x{exc.character:04x} is not allowed in YAML", line
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(
            path, f"invalid YAML: {problem}", mark.line + 1 if mark else None
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(path, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise InputError(path, f"nesting deeper than {MAX_DEPTH} levels") from None
    return Document(
        path=path,
        data=data,
        lines=builder.lines,
        text=text,
        spans=builder.spans,
        sources=builder.sources,
    )


def _index(mark: Any, default: int) -> int:
    """A mark's offset in the text (PyYAML's events always carry marks; the stubs allow None)."""
    return default if mark is None else int(mark.index)


def _decode(raw: bytes, path: Path) -> str:
    if b"\0" in raw[:8192]:
        raise InputError(path, "binary file, not YAML text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 text (byte {exc.start})") from None


def _tag_refused(tag: str) -> str:
    short = "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag
    return f"YAML tag '{short}' is not allowed (only plain data is loaded)"


class _Builder:
    """Turns a YAML event stream into plain data, refusing what is not plain data."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: dict[Loc, int] = {}
        self.spans: dict[Loc, tuple[int, int, int]] = {}
        self.sources: dict[Loc, str] = {}
        self._end = 0  # where the last scalar or flow collection read ends
        self._resolver = yaml.resolver.Resolver()
        self._constructor = yaml.constructor.SafeConstructor()

    def build(self, stream: Iterator[events.Event]) -> Any:
        data: Any = None
        documents = 0
        for event in stream:
            if isinstance(event, events.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise self._fail(event, "more than one YAML document in the file")
                data = self._node(stream, next(stream), (), 0)
        return data

    def _fail(self, event: events.Event, message: str) -> InputError:
        mark = event.start_mark
        return InputError(self.path, message, mark.line + 1 if mark else None)

    def _node(
        self, stream: Iterator[events.Event], event: events.Event, loc: Loc | None, depth: int
    ) -> Any:
        if isinstance(event, events.AliasEvent):
            raise self._fail(
                event, f"YAML alias '*{event.anchor}' is not allowed; write the value out"
            )
        if isinstance(event, events.DocumentEndEvent):
            return None
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise self._fail(event, f"YAML anchor '&{anchor}' is not allowed; write the value out")
        tag = getattr(event, "tag", None)
        if tag not in (None, "!") and tag not in _ALLOWED_TAGS:
            raise self._fail(event, _tag_refused(tag))
        if depth > MAX_DEPTH:
            raise self._fail(event, f"nesting deeper than {MAX_DEPTH} levels")
        if loc is not None and event.start_mark is not None:
            self.lines.setdefault(loc, event.start_mark.line + 1)
        if isinstance(event, events.ScalarEvent):
            self._end = _index(event.end_mark, self._end)
            value = self._scalar(event)
            if loc is not None and not isinstance(value, str):
                self.sources[loc] = event.value
            return value
        if isinstance(event, events.SequenceStartEvent):
            return self._sequence(stream, loc, depth, bool(event.flow_style))
        if isinstance(event, events.MappingStartEvent):
            return self._mapping(stream, loc, depth, bool(event.flow_style))
        raise self._fail(event, f"unexpected YAML event {type(event).__name__}")  # pragma: no cover

    def _scalar(self, event: events.ScalarEvent) -> Any:
        tag = event.tag
        if tag in (None, "!"):
            tag = self._resolver.resolve(  # type: ignore[no-untyped-call]
                yaml.ScalarNode, event.value, event.implicit
            )
        if tag == _STR:
            return event.value  # most scalars in rules and answers are text: skip the constructor
        if tag not in self._constructor.yaml_constructors or tag.endswith(":binary"):
            raise self._fail(event, _tag_refused(tag))
        node = yaml.ScalarNode(tag, event.value, style=event.style)
        try:
            return self._constructor.yaml_constructors[tag](self._constructor, node)
        except (ValueError, yaml.YAMLError) as exc:
            raise self._fail(
                event, f"cannot read {event.value!r} as {tag.rsplit(':', 1)[-1]}: {exc}"
            ) from None

    def _sequence(
        self, stream: Iterator[events.Event], loc: Loc | None, depth: int, flow: bool
    ) -> list[Any]:
        items: list[Any] = []
        for event in stream:
            if isinstance(event, events.SequenceEndEvent):
                # A block sequence "ends" at the next token, past any comments: not its end.
                self._end = _index(event.end_mark, self._end) if flow else self._end
                return items
            item_loc = None if loc is None else (*loc, len(items))
            items.append(self._node(stream, event, item_loc, depth + 1))
        return items  # pragma: no cover - the parser always closes a sequence

    def _mapping(
        self, stream: Iterator[events.Event], loc: Loc | None, depth: int, flow: bool
    ) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for event in stream:
            if isinstance(event, events.MappingEndEvent):
                self._end = _index(event.end_mark, self._end) if flow else self._end
                return result
            if not isinstance(event, events.ScalarEvent):
                raise self._fail(event, "mapping keys must be plain scalars")
            key = self._node(stream, event, None, depth + 1)
            if key in result:
                raise self._fail(event, f"duplicate key '{key}'")
            value_loc = None if loc is None else (*loc, key)
            if value_loc is not None and event.start_mark is not None:
                # The key's line, not the value's: a block value starts on the line below.
                self.lines[value_loc] = event.start_mark.line + 1
            value = next(stream)
            result[key] = self._node(stream, value, value_loc, depth + 1)
            if value_loc is not None:
                self.spans[value_loc] = (
                    _index(event.start_mark, 0),
                    _index(value.start_mark, 0),
                    self._end,
                )
        return result  # pragma: no cover - the parser always closes a mapping
