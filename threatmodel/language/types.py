"""Question types: one class per type, and the one registry every consumer reads.

A type says what answers it takes (from a file and as typed at a prompt), how an answer reads,
which condition operators apply to it and which operands they take, which answers can satisfy
a test (for the linter), its JSON Schema (for editors), and how the interview asks it. Adding a
type is one class here, registered in TYPES; the loader, linter, schema, interview and
documents all follow from it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from threatmodel import locales
from threatmodel.errors import brief, did_you_mean
from threatmodel.language.conditions import OPERATORS
from threatmodel.language.numbers import parse_number
from threatmodel.language.values import UNKNOWN, show
from threatmodel.locales import _

if TYPE_CHECKING:  # questions.py validates against this registry; only the type is needed
    from threatmodel.language.questions import Question

Widget = Literal["select", "checkbox", "text"]
# A numeric string the loader accepts (`10M`, `1e7`, `10,000,000`), for the JSON Schema.
NUMBER_PATTERN = (
    r"^\s*[+-]?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d[\d_ ]*(?:\.[\d_ ]*)?|\.\d[\d_ ]*)"
    r"(?:[eE][+-]?\d+)?\s*(?:[kK]|[mM]|[bB][nN]|[bB]|[gG]|[tT])?\s*$"
)


class QuestionType:
    """The behaviour of one question type. Subclasses set the class attributes and override
    what differs; `coerce` is the one method each must give."""

    name: ClassVar[str]
    has_choices: ClassVar[bool] = False
    has_worst_case: ClassVar[bool] = True
    """False for text, which describes rather than decides: an unknown text answer is reported
    as not stated (not assumed), and no rule needs to read it."""
    operators: ClassVar[frozenset[str]]
    """The condition operators that test an answer of this type."""
    widget: ClassVar[Widget] = "text"
    """How the interview asks: a list to pick one, a list to tick, or a line to type."""
    keeps_typed_text: ClassVar[bool] = False
    """Is an answer kept as it was written in the file (`NO`, `0755`), not as YAML read it?"""
    typing_hint: ClassVar[str] = "an answer"
    """What to type, for the message when nothing was typed."""

    def coerce(self, question: Question, value: Any) -> Any:
        """The answer as stored, from a file value; ValueError naming the value."""
        raise NotImplementedError

    def parse(self, question: Question, text: str) -> Any:
        """The answer as stored, from what a person typed at a text prompt."""
        return self.coerce(question, text)

    def options(self, question: Question) -> list[tuple[Any, str]]:
        """(value, label) pairs a select or checkbox prompt offers, before "I don't know"."""
        return [(c.value, c.label) for c in question.choices]

    def label(self, question: Question, value: Any) -> str:
        """An answer in words for a reader (numbers as the reader's language writes them)."""
        return locales.number(show(value)) if isinstance(value, int | float) else show(value)

    def check_operand(self, question: Question, value: Any) -> str | None:
        """Why `value` cannot be an operand of a test of this question (None when it can)."""
        return None

    def domain(self, question: Question) -> list[Any] | None:
        """Every possible answer, when there are few (None otherwise)."""
        return None

    def possible(self, question: Question, op: str, operand: Any) -> bool:
        """Can any answer satisfy `op operand`? (The linter's check for rules that never fire.)"""
        values = self.domain(question)
        return values is None or any(OPERATORS[op].holds(v, operand) for v in values)

    def json_schema(self, question: Question) -> list[dict[str, Any]]:
        """The JSON Schema alternatives of a valid answer (`unknown` is added by the caller)."""
        raise NotImplementedError

    def unknown_forms(self) -> list[Any]:
        """How `unknown` may be written for this type."""
        return [UNKNOWN]


class TextType(QuestionType):
    """Free text: kept as it was typed."""

    name = "text"
    has_worst_case = False
    operators = frozenset({"is"})
    keeps_typed_text = True

    def coerce(self, question: Question, value: Any) -> str:
        if isinstance(value, dt.date):  # YAML reads 2020-01-01 as a date; it was meant as text
            return value.isoformat()
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError(f"expected text, got {_shown(value)}")
        return str(value)

    def check_operand(self, question: Question, value: Any) -> str | None:
        return None if isinstance(value, str) else f"'{question.id}' is text, got {brief(value)}"

    def json_schema(self, question: Question) -> list[dict[str, Any]]:
        return [{"type": "string"}]


class BoolType(QuestionType):
    """Yes or no."""

    name = "bool"
    operators = frozenset({"is"})
    widget: ClassVar[Widget] = "select"

    def coerce(self, question: Question, value: Any) -> bool:
        if not isinstance(value, bool):
            raise ValueError(f"expected true, false or unknown, got {_shown(value)}")
        return value

    def options(self, question: Question) -> list[tuple[Any, str]]:
        return [(True, _("Yes")), (False, _("No"))]

    def label(self, question: Question, value: Any) -> str:
        return (_("yes") if value else _("no")) if isinstance(value, bool) else show(value)

    def check_operand(self, question: Question, value: Any) -> str | None:
        if isinstance(value, bool):
            return None
        return f"'{question.id}' is true or false, got {value!r}"

    def domain(self, question: Question) -> list[Any] | None:
        return [True, False]

    def json_schema(self, question: Question) -> list[dict[str, Any]]:
        return [{"type": "boolean"}]


class NumberType(QuestionType):
    """A number, written as people write them (`10M`, `1e7`, `10,000,000`)."""

    name = "number"
    operators = frozenset({"gt", "gte", "lt", "lte"})
    typing_hint = "a number such as 10000000, 1e7 or 10M"

    def coerce(self, question: Question, value: Any) -> float | int:
        number = parse_number(value)
        if question.minimum is not None and number < question.minimum:
            raise ValueError(f"{brief(value)} is below the minimum {question.minimum:g}")
        if question.maximum is not None and number > question.maximum:
            raise ValueError(f"{brief(value)} is above the maximum {question.maximum:g}")
        return number

    def possible(self, question: Question, op: str, operand: Any) -> bool:
        low, high = question.minimum, question.maximum
        if op in ("gt", "gte") and high is not None:
            return bool(high > operand if op == "gt" else high >= operand)
        if op in ("lt", "lte") and low is not None:
            return bool(low < operand if op == "lt" else low <= operand)
        return True

    def json_schema(self, question: Question) -> list[dict[str, Any]]:
        bounds = {"minimum": question.minimum, "maximum": question.maximum}
        number = {"type": "number"} | {k: v for k, v in bounds.items() if v is not None}
        # A numeric string cannot be bounded in a schema; the loader checks it.
        text = {
            "type": "string",
            "pattern": NUMBER_PATTERN,
            "examples": ["10M", "1e7", "10,000,000"],
        }
        return [number, text]


class ChoiceType(QuestionType):
    """One value of a list."""

    name = "choice"
    has_choices = True
    operators = frozenset({"is", "any_of", "none_of"})
    widget: ClassVar[Widget] = "select"

    def coerce(self, question: Question, value: Any) -> str:
        allowed = question.choice_values
        if not isinstance(value, str):
            raise ValueError(f"expected one of {', '.join(allowed)}, got {_shown(value)}")
        if value not in allowed:
            hint = did_you_mean(str(value), allowed)
            raise ValueError(f"{brief(value)} is not one of {', '.join(allowed)}{hint}")
        return value

    def label(self, question: Question, value: Any) -> str:
        labels = {c.value: c.label for c in question.choices}
        return labels.get(value, show(value)) if isinstance(value, str) else show(value)

    def check_operand(self, question: Question, value: Any) -> str | None:
        if value in question.choice_values:
            return None
        hint = did_you_mean(str(value), question.choice_values)
        return f"'{value}' is not a choice of '{question.id}'{hint}"

    def domain(self, question: Question) -> list[Any] | None:
        return list(question.choice_values)

    def json_schema(self, question: Question) -> list[dict[str, Any]]:
        return [_enum(question)]


class MultiType(ChoiceType):
    """Several values of a list (a set: kept in the question's order)."""

    name = "multi"
    operators = frozenset({"any_of", "all_of", "none_of"})
    widget: ClassVar[Widget] = "checkbox"

    def coerce(self, question: Question, value: Any) -> Any:
        if value == [UNKNOWN]:
            return UNKNOWN
        if value == []:
            raise ValueError("choose at least one value, or answer unknown")
        if not isinstance(value, list):
            example = question.choice_values[0]
            raise ValueError(f"expected a list such as [{example}], got {_shown(value)}")
        chosen = [super(MultiType, self).coerce(question, item) for item in value]
        if len(set(chosen)) != len(chosen):
            raise ValueError(f"a value is listed twice in {show(value)}")
        exclusive = [c.value for c in question.choices if c.exclusive and c.value in chosen]
        if exclusive and len(chosen) > 1:
            raise ValueError(f"'{exclusive[0]}' cannot be combined with other values")
        # A multi answer is a set: kept in the question's order, so equal answers compare equal.
        return [v for v in question.choice_values if v in chosen]

    def label(self, question: Question, value: Any) -> str:
        if not isinstance(value, list):
            return show(value)
        return "; ".join(super(MultiType, self).label(question, v) for v in value)

    def domain(self, question: Question) -> list[Any] | None:
        return None  # every set of the choices: too many to list

    def possible(self, question: Question, op: str, operand: Any) -> bool:
        exclusive = {c.value for c in question.choices if c.exclusive}
        if op == "all_of":
            return not (len(operand) > 1 and exclusive & set(operand))
        if op == "none_of":
            return bool(set(question.choice_values) - set(operand))
        return bool(operand)  # any_of

    def json_schema(self, question: Question) -> list[dict[str, Any]]:
        schema: dict[str, Any] = {
            "type": "array",
            "items": _enum(question),
            "uniqueItems": True,
            "minItems": 1,
        }
        # An exclusive value (`nothing_sensitive`) stands alone, as coerce requires.
        alone = [
            {"if": {"contains": {"const": c.value}}, "then": {"maxItems": 1}}
            for c in question.choices
            if c.exclusive
        ]
        if alone:
            schema["allOf"] = alone
        return [schema]

    def unknown_forms(self) -> list[Any]:
        return [UNKNOWN, [UNKNOWN]]  # coerce takes `[unknown]` for `unknown` too


TYPES: Mapping[str, QuestionType] = {
    t.name: t for t in (TextType(), BoolType(), NumberType(), ChoiceType(), MultiType())
}
"""The registry: type name -> its behaviour."""


def type_of(question: Question) -> QuestionType:
    """The behaviour of a question's type."""
    return TYPES[question.type]


def coerce(question: Question, value: Any) -> Any:
    """The answer as stored (numbers parsed), or ValueError with a message naming the value.

    `unknown` is valid for every question; the engine later replaces it by the worst case.
    """
    if value == UNKNOWN:
        return UNKNOWN
    return type_of(question).coerce(question, value)


def label(question: Question, value: Any) -> str:
    """An answer in words for a reader: choice labels instead of ids, yes or no for booleans."""
    return type_of(question).label(question, value)


def _enum(question: Question) -> dict[str, Any]:
    return {
        "enum": question.choice_values,
        "markdownEnumDescriptions": [c.label for c in question.choices],
    }


def _shown(value: Any) -> str:
    text = show(value) if isinstance(value, list | bool | int | float) else brief(value)
    return text if len(text) <= 60 else text[:59] + "…"
