"""The derived facts, declared like questions so that conditions testing them are checked at
load (`{q: derived.enumeration_feasible, is: true}`); the engine computes their values."""

from __future__ import annotations

import functools
from typing import Any

from threatmodel.language.questions import Question

SECTION = "derived"

_QUESTIONS: tuple[dict[str, Any], ...] = (
    {
        "id": "derived.enumeration_feasible",
        "type": "bool",
        "text": "Can the decisive input be enumerated within the adversary's patience?",
        "help": (
            "True when the enumeration estimate (input-space size over the attacker's query "
            "rate) expects a first hit sooner than an adversary of the stated motivation keeps "
            "trying."
        ),
        "worst_case": True,
    },
    {
        "id": "derived.enumeration_days",
        "type": "number",
        "text": "Expected days to a first hit when enumerating the decisive input.",
        "help": "The enumeration estimate's expected_days_to_first_hit.",
        "worst_case": 0,
    },
)


@functools.cache
def derived_questions() -> dict[str, Question]:
    """The derived facts, described like questions so that conditions are checked against them
    (built on first use: model construction is not free at start-up)."""
    return {q["id"]: Question.model_validate(q) for q in _QUESTIONS}
