"""The files of a rule pack, as frozen models. Cross-references are checked in `pack`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, PositiveFloat, model_validator

from threatmodel.language.conditions import Condition
from threatmodel.language.model import Model
from threatmodel.language.questions import (
    SEMVER_PATTERN,
    SLUG_PATTERN,
    Deprecation,
    Question,
    Section,
)


class Manifest(Model):
    """`pack.yaml`: who the pack is and which engine versions it works with."""

    name: str = Field(pattern=SLUG_PATTERN, description="Pack name, e.g. `core` or `acme-privacy`.")
    version: str = Field(pattern=SEMVER_PATTERN, description="Semantic version of the pack.")
    engine: str = Field(description="Engine versions the pack works with, e.g. `>=0.1,<1`.")
    description: str = Field("", description="What the pack covers, in a sentence or two.")
    overrides: tuple[str, ...] = Field(
        (),
        description="Threat ids of earlier packs that this pack replaces with its own file of "
        "the same id (to change a threat's condition or scoring); a duplicate id is otherwise "
        "an error.",
    )
    disables: tuple[str, ...] = Field(
        (), description="Threat ids of earlier packs that do not apply in this organisation."
    )
    languages: dict[str, str] = Field(
        default_factory=dict,
        description="Language code -> the status of its translation in `i18n/<code>.yaml`, "
        "printed in reports (e.g. `reviewed`, `machine-assisted, not reviewed`).",
    )


class QuestionsFile(Model):
    """`questions.yaml`: the sections and questions a pack adds, in the order they are asked."""

    sections: tuple[Section, ...] = Field((), description="Sections, in the order asked.")
    questions: tuple[Question, ...] = Field((), description="Questions, in the order asked.")


class ConditionsFile(Model):
    """`conditions.yaml`: named conditions that threats and branches use as `{ref: name}`."""

    conditions: dict[str, Condition] = Field(
        default_factory=dict, description="Name -> condition; a condition may use earlier names."
    )


class Modifier(Model):
    """Moves a likelihood or severity when its condition holds, with the reason shown."""

    when: Condition = Field(description="The modifier fires when this holds.")
    because: str = Field(description="The reason, in words a DPO understands.")
    raise_: int = Field(0, alias="raise", ge=0, le=3, description="Steps up the scale.")
    lower: int = Field(0, ge=0, le=3, description="Steps down the scale.")
    at_least: str | None = Field(None, description="Raise to at least this level.")
    at_most: str | None = Field(None, description="Lower to at most this level.")

    @model_validator(mode="after")
    def _one_effect(self) -> Modifier:
        effects = [
            bool(self.raise_),
            bool(self.lower),
            self.at_least is not None,
            self.at_most is not None,
        ]
        if sum(effects) != 1:
            raise ValueError("give exactly one of raise, lower, at_least, at_most")
        return self


class Factor(Model):
    """How a likelihood or a severity is computed: a base level, then modifiers in order."""

    base: str = Field(description="Level before modifiers.")
    from_estimate: bool = Field(
        False, description="likelihood only: start from the threat's quantitative estimate."
    )
    modifiers: tuple[Modifier, ...] = Field((), description="Applied in order; each shows why.")


class Reduction(Model):
    """Steps by which a mitigation lowers likelihood and severity once implemented."""

    likelihood: int = Field(0, ge=0, le=3, description="Steps down the likelihood scale.")
    severity: int = Field(0, ge=0, le=3, description="Steps down the severity scale.")


class Mitigation(Model):
    """A concrete measure against a threat."""

    id: str = Field(pattern=SLUG_PATTERN, description="Stable id, referenced from `measures`.")
    title: str = Field(description="The measure, imperative, one line.")
    description: str = Field(description="What to do and what it changes.")
    reduces: Reduction = Field(Reduction(), description="Its effect on residual risk.")
    when: Condition | None = Field(
        None,
        description="Relevant only when this holds (e.g. keeping weights server-side, when they "
        "are distributed); otherwise it is neither listed nor recommended.",
    )
    same_as: str | None = Field(
        None,
        pattern=SLUG_PATTERN,
        description="The id this advice has under other threats (`label-only`), so that the "
        "recommendations list it once.",
    )
    defeats_purpose: bool = Field(
        False,
        description="It removes the risk by removing what the system is for (stop predicting "
        "the attribute): never among the recommended measures, listed apart.",
    )


class Phrase(Model):
    """One sentence of a threat's account of this system: `{section.key}` is replaced by the
    answer in words (`{adversary.actors}` -> `stalkers and criminals`)."""

    when: Condition | None = Field(None, description="Said only when this holds.")
    text: str = Field(description="The sentence, with `{question.id}` for answers.")


class Case(Model):
    """A test case: answers on which the threat must, or must not, apply."""

    name: str = Field(description="What the case shows.")
    base: Literal["baseline", "worst"] = Field(
        "baseline",
        description="Start from the pack's baseline answers, or from nothing (every answer worst).",
    )
    answers: dict[str, Any] = Field(
        default_factory=dict, description="`section.key: value` overrides."
    )
    applies: bool = Field(description="Must the threat apply?")
    min_risk: str | None = Field(None, description="When it applies: the lowest acceptable risk.")
    max_risk: str | None = Field(None, description="When it applies: the highest acceptable risk.")


References = dict[str, tuple[str, ...]]


class Threat(Model):
    """One threat: when it applies, how it is scored, what to do, and its test cases."""

    id: str = Field(pattern=SLUG_PATTERN, description="Stable threat id.")
    title: str = Field(description="Short title.")
    summary: str = Field(description="One sentence: what happens.")
    description: str = Field(description="The attack story, concretely.")
    applies_when: Condition = Field(description="The threat applies when this holds.")
    needs: str = Field(
        "",
        description="In one sentence, what must be true for the threat to apply; a report that "
        "rules it out says so, with the answers that decide it.",
    )
    likelihood: Factor = Field(description="Likelihood: base and modifiers.")
    severity: Factor = Field(description="Severity: base and modifiers.")
    estimate: Literal["enumeration"] | None = Field(
        None, description="A quantitative estimate computed for this threat."
    )
    in_this_system: tuple[Phrase, ...] = Field(
        (),
        description="Sentences composed from the answers: who could do it, how, what they would "
        "learn, about whom, at what scale.",
    )
    mitigations: tuple[Mitigation, ...] = Field(min_length=1, description="What to do about it.")
    references: References = Field(
        default_factory=dict, description="Cross-references: atlas, owasp_ml, linddun, gdpr, …"
    )
    cases: tuple[Case, ...] = Field((), description="Must-apply and must-not-apply cases.")
    deprecated: Deprecation | None = Field(None, description="Set when the threat is retired.")


class Criterion(Model):
    """One WP248 screening criterion."""

    id: str = Field(pattern=SLUG_PATTERN, description="Stable id.")
    title: str = Field(description="The criterion, as WP248 names it.")
    when: Condition = Field(description="The criterion is met when this holds.")
    met: str = Field(description="What meeting it means for this system.")
    not_met: str = Field(description="Why it is not met, when it is not.")


class WP248(Model):
    """The Article 29 Working Party's nine criteria for when a DPIA is likely required."""

    threshold: int = Field(
        2, ge=1, description="Criteria met from which a DPIA is likely required."
    )
    criteria: tuple[Criterion, ...] = Field(description="The criteria, in WP248's order.")


class Flag(Model):
    """An EU AI Act flag: a prohibition or high-risk area that may apply."""

    id: str = Field(pattern=SLUG_PATTERN, description="Stable id.")
    title: str = Field(description="Short title with the article or annex point.")
    kind: Literal["prohibited", "high_risk"] = Field(description="What the flag means.")
    when: Condition = Field(description="The flag is raised when this holds.")
    text: str = Field(description="What it means and what to do, for a DPO.")


class NecessityCheck(Model):
    """A necessity-and-proportionality point (GDPR Art. 35(7)(b)) drawn from the answers."""

    id: str = Field(pattern=SLUG_PATTERN, description="Stable id.")
    topic: str = Field(description="What is weighed, e.g. output minimisation.")
    article: str = Field(description="The GDPR provision it answers to.")
    when: Condition = Field(description="A concern when this holds.")
    concern: str = Field(description="What to reconsider, when the condition holds.")
    ok: str = Field(description="What the answers show, when it does not.")


class ManualItem(Model):
    """A DPIA point the answers cannot settle: the DPO completes it by hand."""

    id: str = Field(pattern=SLUG_PATTERN, description="Stable id.")
    topic: str = Field(description="What must be stated.")
    article: str = Field(description="The GDPR provision it answers to.")
    text: str = Field(description="What to write, and where it comes from.")


class ScreeningFile(Model):
    """`screening.yaml`: what a DPIA needs beyond the threats: the WP248 screening, the AI Act
    flags, necessity and proportionality, and the triggers for review."""

    wp248: WP248 = Field(
        default_factory=lambda: WP248(criteria=()), description="The WP248 screening."
    )
    ai_act: tuple[Flag, ...] = Field((), description="AI Act flags.")
    necessity: tuple[NecessityCheck, ...] = Field(
        (), description="Necessity and proportionality points drawn from the answers."
    )
    to_complete: tuple[ManualItem, ...] = Field(
        (), description="Points the DPO must complete by hand."
    )
    review_triggers: tuple[str, ...] = Field(
        (), description="Changes after which the assessment must be reviewed (Art. 35(11))."
    )


class EnumerationParameters(Model):
    """Assumptions of the enumeration estimate; printed in every report that uses them."""

    matches_sought: float = Field(1, gt=0, description="k: inputs the attacker is looking for.")
    unlimited_queries_per_second: float = Field(
        10, gt=0, description="One actor's rate when there is no per-actor limit."
    )
    cheap_identity_multiplier: float = Field(
        100, ge=1, description="Identities one actor can cheaply hold."
    )
    local_queries_per_second: float = Field(
        10_000, gt=0, description="Rate against a copy of the model (distributed weights)."
    )
    patience_days: dict[str, PositiveFloat] = Field(
        default_factory=lambda: {"low": 1.0, "medium": 30.0, "high": 365.0},
        min_length=1,
        description="How long an adversary of each motivation keeps trying.",
    )


class EvidenceThresholds(Model):
    """When a measured membership leak counts as high or elevated (tune per organisation)."""

    high_tpr_at_1pct_fpr: float = Field(0.10, ge=0, le=1, description="TPR at 1% FPR for high.")
    high_auc: float = Field(0.75, ge=0.5, le=1, description="AUC for high.")
    elevated_tpr_at_1pct_fpr: float = Field(0.03, ge=0, le=1, description="TPR for elevated.")
    elevated_auc: float = Field(0.60, ge=0.5, le=1, description="AUC for elevated.")
    adequate_nonmembers: int = Field(
        1000, ge=1, description="Non-members needed before a clean result may lower likelihood."
    )


class QuestionRoles(Model):
    """The questions the engine itself reads, by role: the enumeration estimate, the evidence
    rules and the document header. The built-in pack's ids are the defaults; a pack that asks
    these things under its own ids points the roles at them."""

    space_size: str = Field("inputs.space_size", description="number: plausible inputs.")
    rate_limited: str = Field("access.rate_limited", description="bool: a per-actor limit.")
    queries_per_day: str = Field(
        "access.queries_per_day", description="number: one actor's daily limit."
    )
    cheap_identities: str = Field(
        "access.cheap_identities", description="bool: many identities come cheap."
    )
    model_distributed: str = Field(
        "access.model_distributed", description="bool: the weights are in other hands."
    )
    motivation: str = Field(
        "adversary.motivation",
        description="choice: whose values are the keys of `enumeration.patience_days`.",
    )
    differential_privacy: str = Field(
        "training.differential_privacy", description="bool: trained with a DP guarantee."
    )
    outputs_exposed: str = Field("outputs.exposed", description="multi: what is returned.")
    system_name: str = Field("system.name", description="text: the system's name.")
    system_purpose: str = Field("system.purpose", description="text: its purpose.")
    system_owner: str = Field("system.owner", description="text: who owns it.")

    def enumeration_inputs(self) -> tuple[str, ...]:
        """The answers the enumeration estimate reads."""
        return (
            self.space_size,
            self.rate_limited,
            self.queries_per_day,
            self.cheap_identities,
            self.model_distributed,
            self.motivation,
        )


ROLE_TYPES = {
    "space_size": "number",
    "rate_limited": "bool",
    "queries_per_day": "number",
    "cheap_identities": "bool",
    "model_distributed": "bool",
    "motivation": "choice",
    "differential_privacy": "bool",
    "outputs_exposed": "multi",
    "system_name": "text",
    "system_purpose": "text",
    "system_owner": "text",
}
"""The type each role's question must have."""


class Scoring(Model):
    """`scoring.yaml`: scales, the risk matrix and estimate parameters."""

    likelihood: tuple[str, ...] = Field(min_length=2, description="Likelihood levels, low to high.")
    severity: tuple[str, ...] = Field(min_length=2, description="Severity levels, low to high.")
    risk: tuple[str, ...] = Field(min_length=2, description="Risk levels, low to high.")
    matrix: dict[str, tuple[str, ...]] = Field(
        description="Likelihood level -> risk for each severity level, in severity order."
    )
    enumeration: EnumerationParameters = Field(
        EnumerationParameters(), description="Parameters of the enumeration estimate."
    )
    evidence: EvidenceThresholds = Field(
        EvidenceThresholds(), description="How probe measurements are graded."
    )
    questions: QuestionRoles = Field(
        QuestionRoles(), description="The questions the engine reads, by role."
    )

    @model_validator(mode="after")
    def _matrix_complete(self) -> Scoring:
        for name in ("likelihood", "severity", "risk"):
            levels = getattr(self, name)
            if len(set(levels)) != len(levels):
                raise ValueError(f"a {name} level is listed twice in {list(levels)}")
        if set(self.matrix) != set(self.likelihood):
            raise ValueError("matrix needs one row per likelihood level")
        for row, cells in self.matrix.items():
            if len(cells) != len(self.severity):
                raise ValueError(f"matrix row '{row}' needs one cell per severity level")
            unknown = [c for c in cells if c not in self.risk]
            if unknown:
                raise ValueError(f"matrix row '{row}': unknown risk level '{unknown[0]}'")
        return self

    def risk_of(self, likelihood: str, severity: str) -> str:
        """Look up the risk of a likelihood and severity."""
        return self.matrix[likelihood][self.severity.index(severity)]
