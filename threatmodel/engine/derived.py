"""Derived facts: values the engine computes from the answers, which conditions can test like
answers (`{q: derived.enumeration_feasible, is: true}`) but nobody answers."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from threatmodel.engine import enumeration
from threatmodel.language.questions import Question
from threatmodel.pack.models import Scoring

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
def questions() -> dict[str, Question]:
    """The derived facts, described like questions so that conditions are checked against them
    (built on first use: model construction is not free at start-up)."""
    return {q["id"]: Question.model_validate(q) for q in _QUESTIONS}


def derive(values: Mapping[str, Any], scoring: Scoring) -> dict[str, Any]:
    """The derived facts for these resolved answers."""
    if "inputs.space_size" not in values:  # pragma: no cover - always resolved (worst case)
        return {}
    estimate = enumeration.estimate(values, scoring.enumeration)
    days = estimate["expected_days_to_first_hit"]
    return {
        "derived.enumeration_days": days,
        "derived.enumeration_feasible": days <= estimate["adversary_patience_days"],
    }
