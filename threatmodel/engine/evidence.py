"""Evidence from the probe, and how it moves a threat's likelihood.

The update is asymmetric. A demonstrated leak raises likelihood (elevated or high: at least
significant; high and within the attacker's budget: maximum). A clean result lowers it by one
step at most, only when the probe had enough data and ran the strongest attack it could, and
never below limited without a differential-privacy guarantee. Severity stays with the answers:
a measurement says how likely a leak is, not how much it harms."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from threatmodel.language.model import Model

FORMAT = "threatmodel.evidence/1"
Level = Literal["high", "elevated", "low", "inconclusive"]


class Measurement(Model):
    """One measurement on the real model."""

    id: str = Field(description="What was measured, e.g. `membership-threshold`.")
    threat: str = Field(description="The threat id the measurement bears on.")
    question: str = Field("", description="The question it answers, in plain words.")
    metrics: dict[str, Any] = Field(description="The figures, with confidence intervals.")
    n_members: int | None = Field(None, description="Member records used.")
    n_nonmembers: int | None = Field(None, description="Non-member records used.")
    level: Level = Field(description="high, elevated, low or inconclusive.")
    adequately_powered: bool = Field(
        False, description="Enough data, and the strongest applicable attack ran."
    )
    within_budget: bool | None = Field(
        None, description="A leak found within the attacker's time budget (enumeration)."
    )
    output_format: str | None = Field(
        None, description="The output format attacked: scores, label, rounded:N or topk:K."
    )
    notes: str = Field("", description="What the figures mean and what they assume.")
    seconds: float | None = Field(None, description="How long the measurement took.")


class EvidenceFile(Model):
    """`evidence.json`, as written by `threatmodel probe`."""

    format: Literal["threatmodel.evidence/1"] = Field(description="Format id.")
    tool_version: str = Field("", description="threatmodel version that measured.")
    model: str = Field("", description="The model probed (file or module:attribute).")
    measurements: tuple[Measurement, ...] = Field(description="The measurements.")
    budget_seconds: float | None = Field(None, description="The time budget (`--seconds`).")
    seconds_taken: float | None = Field(None, description="How long the measurements took.")
    not_measured: tuple[str, ...] = Field(
        (), description="What the budget left out, and why (a longer budget measures it)."
    )


def moved_level(
    current: str, levels: tuple[str, ...], measurement: Measurement, has_dp: bool
) -> str:
    """The likelihood after a measurement, by the rule in this module's docstring."""
    i = levels.index(current)
    if measurement.level == "high" and measurement.within_budget:
        return levels[-1]
    if measurement.level in ("high", "elevated"):
        return levels[max(i, min(2, len(levels) - 1))]  # at least "significant"
    if measurement.level == "low" and measurement.adequately_powered:
        floor = 0 if has_dp else min(1, len(levels) - 1)  # never below "limited" without DP
        return levels[max(i - 1, floor)] if i > floor else current
    return current


FINER_THAN_LABEL = ("scores", "rounded", "topk")


def overstates(measurement: Measurement, exposed: list[str] | None) -> bool:
    """Was a finer output attacked than the answers say is returned (label only)?"""
    fmt = (measurement.output_format or "").split(":")[0]
    label_only = exposed is not None and set(exposed) <= {"label"}
    return label_only and fmt in FINER_THAN_LABEL


def summary(measurement: Measurement) -> str:
    """One sentence on what was measured, for the step that moves the likelihood."""
    sizes = ""
    if measurement.n_members is not None and measurement.n_nonmembers is not None:
        sizes = (
            f" on {measurement.n_members:,} members and {measurement.n_nonmembers:,} non-members"
        )
    shown = ", ".join(f"{k} {v}" for k, v in measurement.metrics.items() if _headline(k, v))
    return f"Measured ({measurement.id}{sizes}): {shown}; level {measurement.level}."


def _headline(key: str, value: Any) -> bool:
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and not key.endswith("ci95")
    )
