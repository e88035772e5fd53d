"""Escaping what users typed for each document format, by construction: Markdown that renders
as the text it is, CSV cells a spreadsheet will not run, JSON literals."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from threatmodel.errors import without_controls

# Only what Markdown would read as markup, so that the text also reads well as plain text in a
# pull request: `&` only where it starts an entity (`&amp;`), `_` only at a word's edge
# (GitHub never emphasises inside a word: `queries_per_day` stays as typed).
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|~]|&(?=#?\w+;)|_(?![^\W_])|(?<![^\W_])_)")
# Characters that start a block (heading, list, quote) only at the beginning of a line or cell.
_MD_LEADING = re.compile(r"^(\d+)?((?(1)[.)](?=\s|$)|[#+\-=]))")
# What GitHub turns into a link, a notification or maths, even in escaped text.
_MD_ACTIVE = re.compile(r"@(?=\w)|:(?=//)|w(?=ww\.)|\$")
_JOINER = "\u2060"
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


_ASCII_SPACE = re.compile(r"[ \t\n\r\f\v]+")


def _one_line(text: str) -> str:
    """Runs of ASCII white space as one space: the no-break spaces of French and German
    typography (`10\u202f000`, `Art.\u00a05`) are kept."""
    return _ASCII_SPACE.sub(" ", text).strip()


def md_escape(value: Any) -> str:
    """Plain text made inert in Markdown: no markup, no HTML, no table breaks, one line, and
    no autolinks, @mentions or math (a word joiner breaks what GitHub would act on)."""
    text = _MD_SPECIAL.sub(r"\\\1", _one_line(without_controls(str(value))))
    text = _MD_LEADING.sub(lambda m: (m.group(1) or "") + "\\" + m.group(2), text)
    return _MD_ACTIVE.sub(lambda m: m.group(0)[0] + _JOINER + m.group(0)[1:], text)


def json_value(value: Any) -> str:
    """A value as a JSON literal: strings quoted and escaped, numbers and lists as they are."""
    return json.dumps(value, ensure_ascii=False)


def csv_cell(value: Any) -> str:
    """One quoted CSV cell, on one line, that a spreadsheet will not run as a formula."""
    text = _one_line(without_controls(str(value))) if value is not None else ""
    if text.startswith(_FORMULA_START):
        text = "'" + text
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="").writerow([text])
    return buffer.getvalue()
