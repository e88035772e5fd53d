"""The Assessment: the canonical result, serialised as the contract's JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from threatmodel.language.model import Model

FORMAT = "threatmodel.assessment/1"


class ScoreStep(Model):
    """One change to a likelihood or severity, with its reason."""

    aspect: Literal["likelihood", "severity"] = Field(description="What was changed.")
    before: str = Field(
        description="Level before the step ('' for the starting level; equal to `after` when a "
        "cap holds without changing it)."
    )
    after: str = Field(description="Level after the step.")
    reason: str = Field(description="Why, in words a DPO understands.")
    assumed: bool = Field(False, description="True when it rests on a worst-case assumption.")
    questions: tuple[str, ...] = Field((), description="The answers that decided this step.")


class Fact(Model):
    """An answer that made a threat apply."""

    question: str = Field(description="Question id.")
    value: str = Field(description="The answer as counted.")
    assumed: bool = Field(description="True when it is a worst-case assumption.")


class MitigationOut(Model):
    """A mitigation as reported."""

    id: str = Field(description="Mitigation id, usable in `measures`.")
    title: str = Field(description="The measure, one line.")
    description: str = Field(description="What to do and what it changes.")
    reduces: dict[str, int] = Field(description="Steps it lowers likelihood and severity by.")
    relevant: bool = Field(True, description="False when the answers show it is already in place.")
    defeats_purpose: bool = Field(
        False, description="It removes the risk by removing what the system is for."
    )


class MeasureOut(Model):
    """A measure recorded in the answers file, as applied to a threat."""

    measure: str = Field(description="Mitigation id or free text.")
    title: str = Field(description="Readable title.")
    status: str = Field(description="planned or implemented.")
    owner: str | None = Field(None, description="Who is responsible.")
    due: str | None = Field(None, description="ISO date it is due.")
    reduces: dict[str, int] = Field(description="Steps it lowers likelihood and severity by.")


class AcceptanceOut(Model):
    """A risk knowingly accepted, as recorded in the answers file."""

    justification: str = Field(description="Why the risk is acceptable.")
    approved_by: str = Field(description="Who accepted it.")
    expires: dt.date = Field(description="After this date `check` fails until it is reviewed.")


class ThreatOut(Model):
    """One threat that applies, scored."""

    id: str = Field(description="Threat id.")
    title: str = Field(description="Short title.")
    summary: str = Field(description="One sentence: what happens.")
    description: str = Field(description="The attack story, as the pack tells it.")
    in_this_system: str = Field(
        "",
        description="The attack in this system, composed from its answers: who could do it, "
        "how, what they would learn, about whom, at what scale.",
    )
    likelihood: str = Field(description="Inherent likelihood.")
    severity: str = Field(description="Inherent severity.")
    risk: str = Field(description="Inherent risk: the matrix cell of likelihood and severity.")
    because: tuple[str, ...] = Field(description="The answers that made it apply, then each step.")
    facts: tuple[Fact, ...] = Field(description="The answers that made it apply, structured.")
    steps: tuple[ScoreStep, ...] = Field(description="How likelihood and severity were reached.")
    reads: tuple[str, ...] = Field((), description="Every answer this threat's rules read.")
    mitigations: tuple[str, ...] = Field(description="Titles of the mitigations relevant here.")
    mitigation_details: tuple[MitigationOut, ...] = Field(description="Mitigations in full.")
    references: dict[str, tuple[str, ...]] = Field(description="Cross-references by framework.")
    estimate: dict[str, Any] | None = Field(None, description="Quantitative estimate, if any.")
    measures: tuple[MeasureOut, ...] = Field((), description="Recorded measures against it.")
    residual_likelihood: str = Field(description="Likelihood after recorded measures.")
    residual_severity: str = Field(description="Severity after recorded measures.")
    residual_risk: str = Field(description="Risk after recorded measures.")
    accepted: AcceptanceOut | None = Field(None, description="A recorded acceptance, if any.")
    deprecated: str | None = Field(None, description="Set when the threat is being retired.")
    evidence: tuple[dict[str, Any], ...] = Field(
        (), description="Measurements on the real model that bear on this threat."
    )
    on_evidence: bool = Field(
        False, description="True when it applies only because a measurement showed a leak."
    )


class RuledOut(Model):
    """A threat of the packs that does not apply, and the answers that rule it out."""

    id: str = Field(description="Threat id.")
    title: str = Field(description="Short title.")
    why: str = Field("", description="What the threat needs that this system does not have.")
    because: tuple[str, ...] = Field(description="The answers that rule it out, `q = value`.")
    facts: tuple[Fact, ...] = Field((), description="The same answers, structured.")


class Assumption(Model):
    """An answer that was unknown or missing, replaced by its worst case."""

    question: str = Field(description="Question id.")
    text: str = Field(description="The question.")
    answer: Literal["unknown", "missing"] = Field(description="What the file said.")
    assumed: str = Field(description="The worst case assumed.")
    means: str = Field(description="What the assumption means.")
    affects: tuple[str, ...] = Field(
        (), description="Threats that apply and whose rules read this answer."
    )


class Ignored(Model):
    """An answer to a question hidden by its branch; it did not count."""

    question: str = Field(description="Question id.")
    value: str = Field(description="The answer that was ignored.")
    reason: str = Field(description="Why the question was hidden.")


class AnswerOut(Model):
    """One answer as it counted in the assessment."""

    question: str = Field(description="Question id.")
    text: str = Field(description="The question.")
    section: str = Field(description="Section title.")
    value: str = Field(description="The answer as counted.")
    label: str = Field("", description="The answer in words: choice labels, yes or no.")
    labels: tuple[str, ...] = Field(
        (), description="A multi answer's labels, one per value chosen (empty otherwise)."
    )
    source: Literal["given", "unknown", "missing"] = Field(description="Given, or assumed.")
    line: int | None = Field(None, description="Its line in the answers file, when written there.")


class CriterionOut(Model):
    """A WP248 criterion, met or not, with its reason."""

    id: str = Field(description="Criterion id.")
    title: str = Field(description="The criterion.")
    met: bool = Field(description="Whether it is met.")
    reason: str = Field(description="Why, for this system.")
    facts: tuple[Fact, ...] = Field(description="The answers that decided it.")
    assumed: bool = Field(description="Met only because of a worst-case assumption.")


class FlagOut(Model):
    """An AI Act flag raised for this system."""

    id: str = Field(description="Flag id.")
    title: str = Field(description="Title with the article or annex point.")
    kind: str = Field(description="prohibited or high_risk.")
    text: str = Field(description="What it means and what to do.")
    facts: tuple[Fact, ...] = Field(description="The answers that raised it.")
    assumed: bool = Field(description="True when it rests on a worst-case assumption.")


class NecessityOut(Model):
    """A necessity-and-proportionality point, as the answers settle it (or not)."""

    id: str = Field(description="Check id.")
    topic: str = Field(description="What is weighed.")
    article: str = Field(description="The GDPR provision.")
    status: Literal["ok", "concern", "to_complete"] = Field(
        description="ok, concern (reconsider), or to_complete (the DPO answers by hand)."
    )
    finding: str = Field(description="What the answers show, or what to write.")
    facts: tuple[Fact, ...] = Field((), description="The answers behind the finding.")


class Screening(Model):
    """WP248 screening, AI Act flags, necessity and proportionality, review triggers."""

    criteria: tuple[CriterionOut, ...] = Field(description="The WP248 criteria.")
    criteria_met: int = Field(description="How many criteria are met.")
    threshold: int = Field(description="Criteria met from which a DPIA is likely required.")
    dpia_likely_required: bool = Field(description="criteria_met >= threshold.")
    ai_act: tuple[FlagOut, ...] = Field(description="AI Act flags raised.")
    necessity: tuple[NecessityOut, ...] = Field(
        (), description="Necessity and proportionality (Art. 35(7)(b))."
    )
    review_triggers: tuple[str, ...] = Field(
        (), description="Changes after which the assessment is reviewed (Art. 35(11))."
    )


class Recommendation(Model):
    """A pack mitigation not yet recorded, and how much residual risk it would remove."""

    threat: str = Field(description="The threat it lowers most (its id).")
    mitigation: str = Field(description="Mitigation id, usable in `measures`.")
    title: str = Field(description="The measure.")
    risk_now: str = Field(description="That threat's residual risk now.")
    risk_after: str = Field(description="Its residual risk with this measure implemented.")
    threats: tuple[str, ...] = Field(
        (), description="Every applying threat whose residual risk it lowers."
    )


class ActionItem(Model):
    """A recorded measure in the action plan."""

    threat: str = Field(description="Threat id.")
    measure: str = Field(description="Mitigation id or free text.")
    title: str = Field(description="Readable title.")
    status: str = Field(description="planned or implemented.")
    owner: str | None = Field(None, description="Who is responsible.")
    due: str | None = Field(None, description="ISO date it is due.")
    effect: str = Field(description="What it lowers, e.g. `likelihood -1`.")


class CatalogueEntry(Model):
    """A threat of the packs, for the glossary and for SARIF rules."""

    id: str = Field(description="Threat id.")
    title: str = Field(description="Short title.")
    summary: str = Field(description="One sentence.")
    references: dict[str, tuple[str, ...]] = Field(description="Cross-references.")


class Provenance(Model):
    """Who answered, when, and where the answers are."""

    answers_path: str = Field(description="The answers file as given (relative when possible).")
    answered_by: str | None = Field(None, description="Who answered (from the answers file).")
    answered_at: str | None = Field(None, description="When the last answer was given.")


class PackRef(Model):
    """A rule pack used, for provenance."""

    name: str = Field(description="Pack name.")
    version: str = Field(description="Pack version.")
    sha256: str = Field(description="sha256 over the pack's files.")
    overrides: tuple[str, ...] = Field((), description="Earlier threats this pack replaces.")
    disables: tuple[str, ...] = Field((), description="Earlier threats this pack switches off.")
    git: str | None = Field(None, description="The repository it was taken from, if any.")
    ref: str | None = Field(None, description="The tag (or branch) taken, with `git`.")
    commit: str | None = Field(None, description="The commit that tag named (the lock's).")


class SignoffOut(Model):
    """A sign-off of the assessment, and whether it still holds."""

    role: str = Field(description="dpo, owner or security.")
    by: str = Field(description="Who signed.")
    at: str = Field(description="When.")
    decision: str = Field(description="accepted, accepted-with-measures or rejected.")
    note: str = Field("", description="Their advice or conditions.")
    holds: bool = Field(description="False when the assessment changed since it was signed.")
    changed: tuple[str, ...] = Field((), description="What changed since, when it does not hold.")


class Translation(Model):
    """The language of a document that is not in English, and how far it is translated."""

    statuses: dict[str, str] = Field(
        description="Pack name -> the status of its translation, as its manifest declares it."
    )
    fallbacks: int = Field(description="Sentences of the packs still in English.")


class Assessment(Model):
    """The whole assessment; every report format is rendered from it."""

    format: str = Field(FORMAT, description="Format id of this JSON.")
    tool_version: str = Field(description="threatmodel version.")
    generated_at: str = Field(description="UTC time (fixed by SOURCE_DATE_EPOCH).")
    packs: tuple[PackRef, ...] = Field(description="Rule packs used.")
    answers_file: str = Field(description="Name of the answers file.")
    answers_sha256: str = Field(description="sha256 of the answers file.")
    system: dict[str, str] = Field(description="name, purpose and owner of the system.")
    overall_risk: str = Field(description="Highest inherent risk of any threat, or none.")
    overall_residual_risk: str = Field(description="Highest residual risk, or none.")
    risk_levels: tuple[str, ...] = Field(description="Risk levels, low to high.")
    likelihood_levels: tuple[str, ...] = Field(description="Likelihood levels, low to high.")
    severity_levels: tuple[str, ...] = Field(description="Severity levels, low to high.")
    risk_matrix: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="Likelihood level -> the risk for each severity level, in severity order.",
    )
    threats: tuple[ThreatOut, ...] = Field(description="Threats that apply, highest risk first.")
    ruled_out: tuple[RuledOut, ...] = Field(
        (), description="Threats of the packs that do not apply, with the answers why."
    )
    assumptions: tuple[Assumption, ...] = Field(description="Worst-case assumptions made.")
    ignored: tuple[Ignored, ...] = Field(description="Answers ignored (question hidden).")
    answers: tuple[AnswerOut, ...] = Field(description="Every answer as counted.")
    screening: Screening | None = Field(None, description="WP248 screening and AI Act flags.")
    orphans: tuple[str, ...] = Field(
        (), description="Measures and acceptances naming a threat that does not apply."
    )
    notices: tuple[str, ...] = Field(
        (),
        description="Deprecated questions and threats in use, and questions new or changed "
        "since the answers were given.",
    )
    provenance: Provenance = Field(
        default_factory=lambda: Provenance(answers_path=""),
        description="Who answered, when, and where.",
    )
    recommendations: tuple[Recommendation, ...] = Field(
        (),
        description="The measures that would lower residual risk most, best first (never one "
        "that removes the system's purpose).",
    )
    removes_purpose: tuple[Recommendation, ...] = Field(
        (),
        description="Measures that would remove the risk, and the purpose with it: listed apart.",
    )
    action_plan: tuple[ActionItem, ...] = Field((), description="Recorded measures, by due date.")
    prior_consultation: bool = Field(
        False, description="High or critical residual risk remains: Art. 36 prior consultation."
    )
    catalogue: tuple[CatalogueEntry, ...] = Field((), description="Every threat of the packs.")
    parameters: dict[str, Any] = Field(description="Estimate parameters in force.")
    signoffs: tuple[SignoffOut, ...] = Field((), description="Sign-offs, and whether each holds.")
    lang: str = Field("en", description="The language of the document: en, fr or de.")
    translation: Translation | None = Field(
        None, description="For a language other than English: how far it is translated."
    )
