"""Questions as form fields, and submitted form values back to answers. The widget, the options
and the parsing all come from the question types of the rule language (the registry the
terminal interview reads too), so a new question type needs nothing here, and `10M` typed in
the browser reads exactly as `10M` typed at the terminal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from threatmodel.language.numbers import format_number
from threatmodel.language.questions import Question
from threatmodel.language.types import type_of
from threatmodel.language.values import UNKNOWN

UNANSWERED = object()
"""The field was left empty: the question stays unanswered (its worst case is assumed)."""
WIDGETS = {"select": "radio", "checkbox": "checkbox", "text": "text"}
"""A question type's widget -> the HTML control that shows it."""


@dataclass(frozen=True)
class Option:
    """One radio button or check box."""

    value: str
    label: str
    checked: bool


@dataclass(frozen=True)
class Field:
    """What the page shows for one question."""

    question: Question
    control: str  # "radio", "checkbox" or "text"
    text: str = ""  # the current answer, for a text input
    options: tuple[Option, ...] = ()
    unknown: bool = False  # "I don't know" is chosen
    visible: bool = True
    error: str = ""

    @property
    def dom_id(self) -> str:
        """The question id as an HTML id (dots are valid in HTML ids, awkward in CSS)."""
        return "q-" + self.question.id.replace(".", "-")

    @property
    def hint(self) -> str:
        """How to write the answer, for typed ones."""
        kind = type_of(self.question)
        return (
            ""
            if self.control != "text" or kind.typing_hint == "an answer"
            else (f"Type {kind.typing_hint}.")
        )


def form_value(value: Any) -> str:
    """An answer as a form control's value: `true`/`false` for a bool, else the value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def field_for(question: Question, value: Any, visible: bool = True, error: str = "") -> Field:
    """The field for a question and its current answer (None: not answered)."""
    kind = type_of(question)
    control = WIDGETS[kind.widget]
    unknown = value == UNKNOWN
    if control == "text":
        text = "" if value is None or unknown else _typed(value)
        return Field(question, control, text=text, unknown=unknown, visible=visible, error=error)
    chosen = value if isinstance(value, list) else [value]
    options = tuple(
        Option(form_value(v), label, any(v == c and type(v) is type(c) for c in chosen))
        for v, label in kind.options(question)
    )
    return Field(question, control, options=options, unknown=unknown, visible=visible,
                 error=error)  # fmt: skip


def _typed(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(value)
    return str(value)


def parse(question: Question, submitted: list[str]) -> Any:
    """The answer a field's submitted values give: UNANSWERED when left empty, `unknown` for
    "I don't know", else the answer as stored; ValueError with a sentence for the person."""
    values = [v.strip() for v in submitted if v.strip()]
    if UNKNOWN in values:
        if len(values) > 1 and WIDGETS[type_of(question).widget] != "text":
            raise ValueError('choose answers or "I don\'t know", not both')
        return UNKNOWN
    if not values:
        return UNANSWERED
    kind = type_of(question)
    control = WIDGETS[kind.widget]
    if control == "text":
        if len(values) > 1:
            raise ValueError("give one answer")
        return kind.parse(question, values[0])
    known = {form_value(v): v for v, _ in kind.options(question)}
    unknown_values = [v for v in values if v not in known]
    if unknown_values:
        raise ValueError(f"'{unknown_values[0]}' is not one of the choices")
    if control == "radio":
        if len(values) > 1:
            raise ValueError("choose one answer")
        return known[values[0]]
    return kind.coerce(question, [known[v] for v in values])
