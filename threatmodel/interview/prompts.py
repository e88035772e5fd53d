"""The only module that talks to questionary: one prompt per question type, each with
"I don't know". Ctrl-C and end of input propagate as KeyboardInterrupt / EOFError."""

from __future__ import annotations

import sys
from typing import Any

import questionary
from prompt_toolkit.application.current import get_app_session
from prompt_toolkit.input import PipeInput

from threatmodel.errors import without_controls
from threatmodel.language.types import UNKNOWN, coerce
from threatmodel.pack.models import Question

DONT_KNOW = "I don't know"
_YES, _NO = "Yes", "No"


def terminal_ready() -> bool:
    """Is there a person at a terminal (or an input the program supplied itself, as in tests)?

    Piped standard input would otherwise make every prompt silently take its default.
    """
    # Read the session's own input without creating a default one: creating it on a pipe prints
    # prompt_toolkit's "Input is not a terminal" warning before our one-line error.
    supplied = getattr(get_app_session(), "_input", None)
    return sys.stdin.isatty() or isinstance(supplied, PipeInput)


class Prompter:
    """Asks questions with questionary; returns stored values (`unknown` for "I don't know")."""

    def ask(self, question: Question, default: Any, label: str) -> Any:
        """Ask one question, prefilled with `default` (None when unanswered)."""
        message = without_controls(f"{question.text}  [{label}]")
        kind = question.type
        if kind == "bool":
            return self._bool(message, default)
        if kind == "choice":
            return self._choice(question, message, default)
        if kind == "multi":
            return self._multi(question, message, default)
        return self._typed(question, message, default)

    def menu(self, message: str, options: list[tuple[str, str]], default: str | None = None) -> str:
        """Pick one of (value, title) options."""
        choices = [
            questionary.Choice(without_controls(title), value=value) for value, title in options
        ]
        return str(questionary.select(message, choices=choices, default=default).unsafe_ask())

    def _bool(self, message: str, default: Any) -> Any:
        choices = [
            questionary.Choice(_YES, value=True),
            questionary.Choice(_NO, value=False),
            questionary.Choice(DONT_KNOW, value=UNKNOWN),
        ]
        picked = _find(choices, default)
        return questionary.select(message, choices=choices, default=picked).unsafe_ask()

    def _choice(self, question: Question, message: str, default: Any) -> Any:
        choices = [
            questionary.Choice(without_controls(c.label), value=c.value, description=c.value)
            for c in question.choices
        ]
        choices.append(questionary.Choice(DONT_KNOW, value=UNKNOWN))
        picked = _find(choices, default)
        return questionary.select(message, choices=choices, default=picked).unsafe_ask()

    def _multi(self, question: Question, message: str, default: Any) -> Any:
        chosen = set(default) if isinstance(default, list) else set()
        choices = [
            questionary.Choice(
                without_controls(c.label),
                value=c.value,
                checked=c.value in chosen,
                description=c.value,
            )
            for c in question.choices
        ]
        choices.append(questionary.Choice(DONT_KNOW, value=UNKNOWN, checked=default == UNKNOWN))

        def validate(picked: list[Any]) -> bool | str:
            if UNKNOWN in picked and len(picked) > 1:
                return "choose either I don't know or some values, not both"
            try:
                coerce(question, picked)
            except ValueError as exc:
                return str(exc)
            return True

        picked = questionary.checkbox(
            message,
            choices=choices,
            validate=validate,
            instruction="(space to select, enter to confirm)",
        ).unsafe_ask()
        return UNKNOWN if UNKNOWN in picked else picked

    def _typed(self, question: Question, message: str, default: Any) -> Any:
        def validate(text: str) -> bool | str:
            try:
                _parse_typed(question, text)
            except ValueError as exc:
                return str(exc)
            return True

        shown = (
            ""
            if default is None or (default == UNKNOWN and question.type == "text")
            else str(default)
        )
        shown = "?" if shown == UNKNOWN else shown
        hint = "leave empty if you don't know" if question.type == "text" else "? if you don't know"
        text = questionary.text(
            message, default=shown, validate=validate, instruction=f"({hint})"
        ).unsafe_ask()
        return _parse_typed(question, text)


def _parse_typed(question: Question, text: str) -> Any:
    cleaned = text.strip()
    if cleaned.lower() in ("", "?", UNKNOWN):
        if question.type == "number" and cleaned == "":
            raise ValueError("type a number such as 10000000, 1e7 or 10M, or ? if you don't know")
        return UNKNOWN
    return coerce(question, cleaned)


def _find(choices: list[questionary.Choice], default: Any) -> questionary.Choice | None:
    for choice in choices:
        if default is not None and choice.value == default:
            return choice
    return None
