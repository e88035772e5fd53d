"""What counts as a valid answer to a question of each type."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from threatmodel.errors import brief, did_you_mean
from threatmodel.language.numbers import format_number, parse_number
from threatmodel.pack.models import Question

UNKNOWN = "unknown"


def coerce(question: Question, value: Any) -> Any:
    """The answer as stored (numbers parsed), or ValueError with a message naming the value.

    `unknown` is valid for every question; the engine later replaces it by the worst case.
    """
    if value == UNKNOWN:
        return UNKNOWN
    return _COERCE[question.type](question, value)


def _text(_: Question, value: Any) -> str:
    if isinstance(value, dt.date):  # YAML reads 2020-01-01 as a date; it was meant as text
        return value.isoformat()
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected text, got {_shown(value)}")
    return str(value)


def _bool(_: Question, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true, false or unknown, got {_shown(value)}")
    return value


def _multi(question: Question, value: Any) -> Any:
    if value == [UNKNOWN]:
        return UNKNOWN
    if value == []:
        raise ValueError("choose at least one value, or answer unknown")
    if not isinstance(value, list):
        example = question.choice_values[0]
        raise ValueError(f"expected a list such as [{example}], got {_shown(value)}")
    chosen = [_choice(question, item) for item in value]
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"a value is listed twice in {show(value)}")
    exclusive = [c.value for c in question.choices if c.exclusive and c.value in chosen]
    if exclusive and len(chosen) > 1:
        raise ValueError(f"'{exclusive[0]}' cannot be combined with other values")
    # A multi answer is a set: kept in the question's order, so equal answers compare equal.
    return [v for v in question.choice_values if v in chosen]


def _number(question: Question, value: Any) -> float | int:
    number = parse_number(value)
    if question.minimum is not None and number < question.minimum:
        raise ValueError(f"{brief(value)} is below the minimum {question.minimum:g}")
    if question.maximum is not None and number > question.maximum:
        raise ValueError(f"{brief(value)} is above the maximum {question.maximum:g}")
    return number


def _choice(question: Question, value: Any) -> str:
    allowed = question.choice_values
    if not isinstance(value, str):
        raise ValueError(f"expected one of {', '.join(allowed)}, got {_shown(value)}")
    if value not in allowed:
        hint = did_you_mean(str(value), allowed)
        raise ValueError(f"{brief(value)} is not one of {', '.join(allowed)}{hint}")
    return value


_COERCE: dict[str, Callable[[Question, Any], Any]] = {
    "text": _text,
    "bool": _bool,
    "number": _number,
    "choice": _choice,
    "multi": _multi,
}


def _shown(value: Any) -> str:
    text = show(value) if isinstance(value, list | bool | int | float) else brief(value)
    return text if len(text) <= 60 else text[:59] + "…"


def show(value: Any) -> str:
    """An answer as the reports write it: `true`, `[label, score]`, `10,000,000`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, int | float):
        return format_number(value)
    return str(value)


def label(question: Question, value: Any) -> str:
    """An answer in words for a reader: choice labels instead of ids, yes or no for booleans."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    labels = {c.value: c.label for c in question.choices}
    if isinstance(value, list):
        return "; ".join(labels.get(str(v), str(v)) for v in value)
    if isinstance(value, str) and value in labels:
        return labels[value]
    return show(value)
