"""The only module that talks to questionary: one prompt per question type, each with
"I don't know" and a way back, both named in the footer under the prompt. Ctrl-C and end of input
propagate as KeyboardInterrupt / EOFError; Esc returns BACK."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import questionary
from prompt_toolkit.application.current import get_app_session
from prompt_toolkit.filters import is_done
from prompt_toolkit.input import PipeInput
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent, merge_key_bindings
from prompt_toolkit.keys import Keys
from prompt_toolkit.layout import (
    ConditionalContainer,
    Dimension,
    FormattedTextControl,
    HSplit,
    Window,
)

from threatmodel.errors import without_controls
from threatmodel.interview.words import BACK, DONT_KNOW, label_of
from threatmodel.language.questions import Question
from threatmodel.language.types import coerce, type_of
from threatmodel.language.values import UNKNOWN
from threatmodel.locales import _


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
        prompt = questionary.select(message, choices=choices, default=picked, instruction=" ")
        footer = _("↑↓ move · Enter choose · Esc back · Ctrl-C stop (answers so far are saved)")
        return _with_footer(prompt, footer).unsafe_ask()

    def _checkbox(self, question: Question, message: str, default: Any) -> Any:
        chosen = set(default) if isinstance(default, list) else set()
        choices = _choices(question, lambda value: value in chosen)
        choices.append(questionary.Choice(_(DONT_KNOW), value=UNKNOWN, checked=default == UNKNOWN))

        def validate(picked: list[Any]) -> bool | str:
            return _checkbox_problem(question, picked) or True

        prompt = questionary.checkbox(message, choices=choices, validate=validate, instruction=" ")
        footer = _("↑↓ move · Space tick · Enter confirm · Esc back · Ctrl-C stop (answers so "
                   "far are saved)")  # fmt: skip
        _echo_labels(prompt, question)
        picked = _with_footer(prompt, footer).unsafe_ask()
        if picked is BACK:
            return BACK
        return UNKNOWN if UNKNOWN in picked else picked

    def _typed(self, question: Question, message: str, default: Any) -> Any:
        def validate(text: str) -> bool | str:
            try:
                _parse_typed(question, text)
            except ValueError as exc:
                return str(exc)
            return True

        shown = "" if default is None or default == UNKNOWN else str(default)
        prompt = questionary.text(
            message, default=shown, validate=validate, instruction=" ", reserve_space_for_menu=0
        )
        footer = _("Enter with nothing typed: I don't know · Esc back · Ctrl-C stop (answers so "
                   "far are saved)")  # fmt: skip
        text = _with_footer(prompt, footer).unsafe_ask()
        return BACK if text is BACK else _parse_typed(question, text)


def _with_footer(prompt: questionary.Question, footer: str) -> questionary.Question:
    """The prompt with Esc bound to BACK and a line under it naming the keys (while asked)."""
    keys = KeyBindings()

    # Not eager: Alt+key arrives as Esc then the key, and must stay Alt+Backspace, Alt+B...
    @keys.add(Keys.Escape)
    def _back(event: KeyPressEvent) -> None:
        event.app.exit(result=BACK)

    app = prompt.application
    app.key_bindings = merge_key_bindings([app.key_bindings or KeyBindings(), keys])
    line = ConditionalContainer(
        Window(
            FormattedTextControl([("class:instruction", footer)]),
            dont_extend_height=True,
            wrap_lines=True,
        ),
        filter=~is_done,
    )
    # Below the footer, a filler that takes the rest of the terminal: prompt_toolkit gives a
    # prompt every row below the cursor, which would otherwise push the footer to the bottom.
    filler = Window(height=Dimension(weight=10_000))
    app.layout.container = HSplit([app.layout.container, line, filler])
    return prompt


def _echo_labels(prompt: questionary.Question, question: Question) -> None:
    """Once answered, questionary shows "done (2 selections)": show the labels ticked instead.
    (Its prompt line is the message of a PromptSession inside the layout: wrapped here.)"""
    from prompt_toolkit.shortcuts import PromptSession

    windows = list(prompt.application.layout.find_all_windows())
    options: Any = next(w.content for w in windows if hasattr(w.content, "selected_options"))
    sessions = [getattr(getattr(w.content, "text", None), "__self__", None) for w in windows]
    session = next((s for s in sessions if isinstance(s, PromptSession)), None)
    if session is None or not callable(session.message):
        return
    tokens = session.message

    def answered() -> Any:
        shown: Any = tokens()
        if getattr(options, "is_answered", False) and len(options.selected_options) > 1:
            values = [c.value for c in options.choices if c.value in options.selected_options]
            return [*shown[:-1], ("class:answer", without_controls(label_of(question, values)))]
        return shown

    session.message = answered


def _checkbox_problem(question: Question, picked: list[Any]) -> str | None:
    """Why these ticks are not an answer, in the words of the labels (None when they are)."""
    labels = dict(type_of(question).options(question))
    if UNKNOWN in picked and len(picked) > 1:
        return _("choose either I don't know or some answers, not both")
    exclusive = [c.value for c in question.choices if c.exclusive and c.value in picked]
    if exclusive and len(picked) > 1:
        return _("“%(label)s” cannot be combined with other answers") % {
            "label": labels[exclusive[0]]
        }
    if not picked:
        return _("tick at least one answer with Space, or I don't know")
    try:
        coerce(question, picked)
    except ValueError as exc:
        return str(exc)
    return None


def _choices(question: Question, checked: Callable[[Any], bool]) -> list[questionary.Choice]:
    # Labels only: the ids stay in the answers file.
    return [
        questionary.Choice(without_controls(title), value=value, checked=checked(value))
        for value, title in type_of(question).options(question)
    ]


def _parse_typed(question: Question, text: str) -> Any:
    """Nothing typed is "I don't know", for every typed question (a `?` is not: it is what a
    newcomer types to ask for help, and gets the help of what to type)."""
    cleaned = text.strip()
    kind = type_of(question)
    if cleaned == "" or cleaned.lower() == UNKNOWN:
        return UNKNOWN
    if cleaned == "?":
        raise ValueError(
            _("type %(hint)s, or nothing if you don't know") % {"hint": kind.typing_hint}
        )
    return kind.parse(question, cleaned)


def _find(choices: list[questionary.Choice], default: Any) -> questionary.Choice | None:
    for choice in choices:
        if default is not None and choice.value == default:
            return choice
    return None
