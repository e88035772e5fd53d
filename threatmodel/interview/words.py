"""How the interview says things: answers in the words of their labels, what "I don't know"
assumes, and text fitted to the terminal. Shared by the flow and the prompts."""

from __future__ import annotations

import shutil
import textwrap
from typing import Any

from threatmodel.language.questions import Question
from threatmodel.language.types import label, type_of
from threatmodel.language.values import UNKNOWN
from threatmodel.locales import _


class _Back:
    """What a prompt returns when the person asks to go back (Esc)."""

    def __repr__(self) -> str:
        return "BACK"


BACK: Any = _Back()


DONT_KNOW = "I don't know"
"""Translated where shown (`_(DONT_KNOW)`); the constant is the catalogue's key."""


def label_of(question: Question, value: Any) -> str:
    """An answer in the words of its labels ("I don't know" for unknown; a list joined)."""
    if value == UNKNOWN:
        return _(DONT_KNOW)
    if isinstance(value, list):
        return "; ".join(label(question, [v]) for v in value)
    return label(question, value)


def assumed(question: Question) -> str:
    """What "I don't know" means for this question, as the report will say it."""
    if not type_of(question).has_worst_case:
        return _("Noted as not stated.")
    return question.worst_case_means or _("Noted as unknown: its worst case will be assumed.")


def short(text: str, width: int) -> str:
    """One line of at most `width` characters, cut with an ellipsis (the review's questions)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def wrap(text: str, indent: str = "") -> str:
    """Text filled to the terminal (at most 100 columns), indented."""
    width = min(shutil.get_terminal_size((100, 24)).columns, 100) - 1
    return textwrap.fill(
        " ".join(text.split()), width, initial_indent=indent, subsequent_indent=indent
    )
