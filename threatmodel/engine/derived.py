"""Derived facts: values the engine computes from the answers, which conditions can test like
answers (`{q: derived.enumeration_feasible, is: true}`) but nobody answers. They are declared,
like questions, in `pack.derived`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from threatmodel.engine import enumeration
from threatmodel.pack.models import Scoring


def derive(values: Mapping[str, Any], scoring: Scoring) -> dict[str, Any]:
    """The derived facts for these resolved answers."""
    if scoring.questions.space_size not in values:  # a branch hid it: nothing to estimate
        return {}
    estimate = enumeration.estimate(values, scoring.enumeration, scoring.questions)
    days = estimate["expected_days_to_first_hit"]
    return {
        "derived.enumeration_days": days,
        "derived.enumeration_feasible": days <= estimate["adversary_patience_days"],
    }
