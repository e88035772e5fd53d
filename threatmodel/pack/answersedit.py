"""Saving answers as they were typed: the interview edits only the lines of the answers that
changed, in the file's own text, so that comments, spacing and `10M` stay as written and a file
kept in git shows one-line diffs. Positions come from the safe loader (`Document.spans`).

When the file's layout is one this editor does not handle (answers written in flow style, a
document that is not a block mapping), or the edited text would not read back to the same
answers, `edit_answers` returns None and the caller writes the whole file instead."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from threatmodel.errors import InputError
from threatmodel.pack.answers import answers_from_document, dumper
from threatmodel.pack.yamlsafe import Document, parse_yaml

if TYPE_CHECKING:
    from threatmodel.pack.layered import Pack

_MISSING = object()


@dataclass(frozen=True)
class _Edit:
    """Replace text[start:end] with `text`."""

    start: int
    end: int
    text: str


def edit_answers(
    text: str,
    pack: Pack,
    before: dict[str, Any],
    after: dict[str, Any],
    provenance: dict[str, Any],
) -> str | None:
    """`text` (whose answers are `before`) with the answers of `after` and a new provenance,
    changing only the lines that differ; None when that cannot be done safely."""
    try:
        doc = parse_yaml(text, Path("answers"))
        if not _editable(doc):
            return None
        edits = _answer_edits(doc, pack, before, after)
        edits.append(_provenance_edit(doc, provenance))
        edited = _apply(text, edits)
        return edited if _reads_back(edited, doc, pack, after) else None
    except (InputError, ValueError, KeyError, _Unhandled):
        return None


class _Unhandled(Exception):
    """A layout this editor leaves to a full rewrite."""


def _editable(doc: Document) -> bool:
    answers = doc.data.get("answers") if isinstance(doc.data, dict) else None
    if not isinstance(answers, dict) or ("answers",) not in doc.spans:
        return False
    _, start, _ = doc.spans[("answers",)]
    return not doc.text[start:].startswith("{")  # answers in flow style: rewrite it all


def inline(value: Any) -> str:
    """A value as YAML on one line: a scalar, or a flow list (`[label, score]`)."""
    if isinstance(value, dict):
        raise _Unhandled("a mapping answer")
    entry = yaml.dump({"k": value}, Dumper=dumper(), width=10**9, allow_unicode=True)
    if not entry.startswith("k: ") or entry.count("\n") != 1:
        raise _Unhandled("a value that needs more than one line")
    return entry[3:-1]


def _answer_edits(
    doc: Document, pack: Pack, before: dict[str, Any], after: dict[str, Any]
) -> list[_Edit]:
    edits: list[_Edit] = []
    added: dict[str, dict[str, Any]] = {}  # section -> new answers, in questionnaire order
    for qid in pack.questions:
        old, new = before.get(qid, _MISSING), after.get(qid, _MISSING)
        if old == new:
            continue
        section, key = qid.split(".", 1)
        loc = ("answers", section, key)
        if loc in doc.spans and new is _MISSING:
            edits.append(_delete_entry(doc, loc))
        elif loc in doc.spans:
            _, start, end = _span(doc, loc)
            space = " " if doc.text[start - 1 : start] == ":" else ""
            edits.append(_Edit(start, end, space + inline(new)))
        elif new is not _MISSING:
            added.setdefault(section, {})[key] = new
    return edits + _insertions(doc, pack, added)


def _span(doc: Document, loc: tuple[Any, ...]) -> tuple[int, int, int]:
    """An entry's key start, value start and value end; a block scalar's (`|`, `>`) end mark
    lies past its line breaks, on the next line: its end is its last character instead."""
    key, start, end = doc.spans[loc]
    return key, start, max(start, len(doc.text[:end].rstrip()))


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    """Just past the newline of the line holding `index` (or the end of the text)."""
    found = text.find("\n", index)
    return len(text) if found < 0 else found + 1


def _delete_entry(doc: Document, loc: tuple[str, ...]) -> _Edit:
    key_start, _, end = _span(doc, loc)
    start = _line_start(doc.text, key_start)
    if doc.text[start:key_start].strip():
        raise _Unhandled("an entry that shares its line")
    return _Edit(start, _line_end(doc.text, end), "")


def _insertions(doc: Document, pack: Pack, added: dict[str, dict[str, Any]]) -> list[_Edit]:
    """New answers, each on a line of its own after the answer before it in questionnaire
    order; a section not yet in the file as a block after the section before it. Lines that
    land at one place are joined there in questionnaire order."""
    answers = doc.data["answers"]
    sections = list(pack.sections)
    at: dict[int, list[tuple[tuple[int, int], str]]] = {}
    for section, keys in added.items():
        rank = sections.index(section)
        present = answers.get(section)
        if isinstance(present, dict) and present:
            indent = _indent(doc, ("answers", section, next(iter(present))))
            order = _order(pack, section)
            for key, value in keys.items():
                place = _after(doc, ("answers", section), order, key, list(present))
                line = f"{indent}{key}: {inline(value)}\n"
                at.setdefault(place, []).append(((rank, order.index(key)), line))
        elif section in answers:  # `section:` with nothing under it
            raise _Unhandled("an empty section")
        else:
            first = next(iter(answers), None)
            if first is None:
                raise _Unhandled("no section yet")
            outer = _indent(doc, ("answers", first))
            inner = outer + (_step(doc, first) or "  ")
            block = f"{outer}{section}:\n" + "".join(
                f"{inner}{key}: {inline(value)}\n" for key, value in keys.items()
            )
            place = _after(doc, ("answers",), sections, section, list(answers))
            at.setdefault(place, []).append(((rank, -1), block))
    return [_Edit(i, i, "".join(text for _, text in sorted(parts))) for i, parts in at.items()]


def _after(
    doc: Document, parent: tuple[str, ...], order: list[str], item: str, present: list[str]
) -> int:
    """Where a new `item` of `parent` goes: after the present entry that precedes it in
    `order`, or before the first entry when none does."""
    previous = _before(order, item, present)
    if previous is None:
        return _line_start(doc.text, doc.spans[(*parent, present[0])][0])
    return _line_end(doc.text, _span(doc, (*parent, previous))[2])


def _order(pack: Pack, section: str) -> list[str]:
    return [q.split(".", 1)[1] for q, question in pack.questions.items()
            if question.section == section]  # fmt: skip


def _before(order: list[str], item: str, present: list[str]) -> str | None:
    """The last of `present` that comes before `item` in `order`."""
    earlier = order[: order.index(item)] if item in order else order
    found = [p for p in present if p in earlier]
    return max(found, key=earlier.index) if found else None


def _indent(doc: Document, loc: tuple[str, ...]) -> str:
    key_start = doc.spans[loc][0]
    prefix = doc.text[_line_start(doc.text, key_start) : key_start]
    if prefix.strip():
        raise _Unhandled("an entry that shares its line")
    return prefix


def _step(doc: Document, section: str) -> str:
    """How much deeper a section's answers are indented than the section."""
    keys = doc.data["answers"].get(section)
    if not isinstance(keys, dict) or not keys:
        return ""
    outer = _indent(doc, ("answers", section))
    return _indent(doc, ("answers", section, next(iter(keys))))[len(outer) :]


def _provenance_edit(doc: Document, provenance: dict[str, Any]) -> _Edit:
    """Provenance is the tool's own record: written whole, where it was or at the end."""
    return _block_edit(doc, "provenance", provenance)


def set_block(text: str, key: str, value: Any) -> str | None:
    """`text` with its top-level `key` written whole (where it was, or at the end), every other
    line as it was; None when the file's layout does not allow it."""
    try:
        doc = parse_yaml(text, Path("answers"))
        if not isinstance(doc.data, dict):
            return None
        edited = _apply(text, [_block_edit(doc, key, value)])
        data = parse_yaml(edited, Path("answers")).data
        others = {k: v for k, v in doc.data.items() if k != key}
        return edited if {k: v for k, v in data.items() if k != key} == others else None
    except (InputError, ValueError, _Unhandled):
        return None


def _block_edit(doc: Document, key: str, value: Any) -> _Edit:
    """A top-level entry the tool owns (provenance, sign-offs), written as one block."""
    block = yaml.dump({key: value}, Dumper=dumper(), sort_keys=False, allow_unicode=True,
                      width=100)  # fmt: skip
    if (key,) in doc.spans:
        key_start, _, end = _span(doc, (key,))
        if _line_start(doc.text, key_start) != key_start:
            raise _Unhandled(f"{key} indented")
        return _Edit(key_start, _line_end(doc.text, end), block)
    end = len(doc.text)
    separator = "" if doc.text.endswith("\n") or not doc.text else "\n"
    return _Edit(end, end, separator + block)


def _apply(text: str, edits: list[_Edit]) -> str:
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        text = text[: edit.start] + edit.text + text[edit.end :]
    return text


def _reads_back(text: str, before: Document, pack: Pack, after: dict[str, Any]) -> bool:
    """The edited file loads, as `report` would load it, to exactly the answers meant, and
    everything else in it (measures, acceptances, ...) is as it was: a last check before it is
    written."""
    edited = parse_yaml(text, Path("answers"))
    if answers_from_document(edited, pack).given != after:
        return False
    others = ("answers", "provenance")
    return {k: v for k, v in edited.data.items() if k not in others} == {
        k: v for k, v in before.data.items() if k not in others
    }
