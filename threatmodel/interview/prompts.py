"""The only module that talks to questionary: one prompt per question type, each with
"I don't know". Ctrl-C and end of input propagate as KeyboardInterrupt / EOFError."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import questionary
from prompt_toolkit.application.current import get_app_session
from prompt_toolkit.input import PipeInput

from threatmodel.errors import without_controls
from threatmodel.language.questions import Question
from threatmodel.language.types import coerce, type_of
from threatmodel.language.values import UNKNOWN
from threatmodel.locales import _

DONT_KNOW = "I don't know"
"""Translated where shown (`_(DONT_KNOW)`); the constant is the catalogue's key."""


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
        """Ask one question, prefilled with `default` (None when unanswered), with the prompt
        its type asks for."""
        message = without_controls(f"{question.text}  [{label}]")
        widget = type_of(question).widget
        if widget == "select":
            return self._select(question, message, default)
        if widget == "checkbox":
            return self._checkbox(question, message, default)
        return self._typed(question, message, default)

    def menu(self, message: str, options: list[tuple[str, str]], default: str | None = None) -> str:
        """Pick one of (value, title) options."""
        choices = [
            questionary.Choice(without_controls(title), value=value) for value, title in options
        ]
        return str(questionary.select(message, choices=choices, default=default).unsafe_ask())

    def _select(self, question: Question, message: str, default: Any) -> Any:
        choices = _choices(question, lambda _: False)
        choices.append(questionary.Choice(_(DONT_KNOW), value=UNKNOWN))
        picked = _find(choices, default)
        return questionary.select(message, choices=choices, default=picked).unsafe_ask()

    def _checkbox(self, question: Question, message: str, default: Any) -> Any:
        chosen = set(default) if isinstance(default, list) else set()
        choices = _choices(question, lambda value: value in chosen)
        choices.append(questionary.Choice(_(DONT_KNOW), value=UNKNOWN, checked=default == UNKNOWN))

        def validate(picked: list[Any]) -> bool | str:
            if UNKNOWN in picked and len(picked) > 1:
                return _("choose either I don't know or some values, not both")
            try:
                coerce(question, picked)
            except ValueError as exc:
                return str(exc)
            return True

        picked = questionary.checkbox(
            message,
            choices=choices,
            validate=validate,
            instruction=_("(space to select, enter to confirm)"),
        ).unsafe_ask()
        return UNKNOWN if UNKNOWN in picked else picked

    def _typed(self, question: Question, message: str, default: Any) -> Any:
        kind = type_of(question)

        def validate(text: str) -> bool | str:
            try:
                _parse_typed(question, text)
            except ValueError as exc:
                return str(exc)
            return True

        shown = (
            ""
            if default is None or (default == UNKNOWN and kind.empty_is_unknown)
            else str(default)
        )
        shown = "?" if shown == UNKNOWN else shown
        hint = (
            _("leave empty if you don't know")
            if kind.empty_is_unknown
            else _("? if you don't know")
        )
        text = questionary.text(
            message, default=shown, validate=validate, instruction=f"({hint})"
        ).unsafe_ask()
        return _parse_typed(question, text)


def _choices(question: Question, checked: Callable[[Any], bool]) -> list[questionary.Choice]:
    # A pick list's choices show their stored value beneath the label; yes and no do not.
    kind = type_of(question)
    return [
        questionary.Choice(
            without_controls(title),
            value=value,
            checked=checked(value),
            description=value if kind.has_choices else None,
        )
        for value, title in kind.options(question)
    ]


def _parse_typed(question: Question, text: str) -> Any:
    cleaned = text.strip()
    kind = type_of(question)
    if cleaned.lower() in ("", "?", UNKNOWN):
        if cleaned == "" and not kind.empty_is_unknown:
            raise ValueError(
                _("type %(hint)s, or ? if you don't know") % {"hint": kind.typing_hint}
            )
        return UNKNOWN
    return kind.parse(question, cleaned) if cleaned != UNKNOWN else UNKNOWN


def _find(choices: list[questionary.Choice], default: Any) -> questionary.Choice | None:
    for choice in choices:
        if default is not None and choice.value == default:
            return choice
    return None
