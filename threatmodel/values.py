"""What counts as a valid answer to a question of each type."""

from __future__ import annotations

from typing import Any

from threatmodel.errors import did_you_mean
from threatmodel.numbers import parse_number
from threatmodel.packmodels import Question

UNKNOWN = "unknown"


def coerce(question: Question, value: Any) -> Any:
    """The answer as stored (numbers parsed), or ValueError with a message naming the value.

    `unknown` is valid for every question; the engine later replaces it by the worst case.
    """
    if value == UNKNOWN:
        return UNKNOWN
    kind = question.type
    if kind == "text":
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError(f"expected text, got {value!r}")
        return str(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"expected true, false or unknown, got {value!r}")
        return value
    if kind == "number":
        return _number(question, value)
    if kind == "choice":
        return _choice(question, value)
    if not isinstance(value, list):
        raise ValueError(f"expected a list such as [{question.choice_values[0]}], got {value!r}")
    chosen = [_choice(question, item) for item in value]
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"a value is listed twice in {value!r}")
    return chosen


def _number(question: Question, value: Any) -> float | int:
    number = parse_number(value)
    if question.minimum is not None and number < question.minimum:
        raise ValueError(f"{value!r} is below the minimum {question.minimum:g}")
    if question.maximum is not None and number > question.maximum:
        raise ValueError(f"{value!r} is above the maximum {question.maximum:g}")
    return number


def _choice(question: Question, value: Any) -> str:
    allowed = question.choice_values
    if not isinstance(value, str) or value not in allowed:
        hint = did_you_mean(str(value), allowed)
        raise ValueError(f"'{value}' is not one of {', '.join(allowed)}{hint}")
    return value


def show(value: Any) -> str:
    """An answer as the reports write it: `true`, `[label, score]`, `10,000,000`."""
    from threatmodel.numbers import format_number

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, int | float):
        return format_number(value)
    return str(value)
