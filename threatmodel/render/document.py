"""The DPIA document as data: what the Markdown and the HTML report say, decided once in Python.
The two templates only lay it out (a table row here, a list item there), so they cannot drift
apart on what a summary counts or how the systematic description reads."""

from __future__ import annotations

from dataclasses import dataclass

from threatmodel.engine.assessment import Assessment, FlagOut, MitigationOut, ThreatOut

SERIOUS = ("critical", "high")  # the tones of "the threats at the two highest risk levels"


@dataclass(frozen=True)
class Row:
    """One line of the systematic description: a heading and the answers, in words."""

    label: str
    text: str


@dataclass(frozen=True)
class Cell:
    """One cell of the risk map: its risk and the threats in it."""

    severity: str
    risk: str
    threats: tuple[str, ...]


@dataclass(frozen=True)
class MapRow:
    """One likelihood level of the risk map, highest first."""

    likelihood: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Document:
    """Everything the documents derive from the assessment."""

    serious: tuple[ThreatOut, ...]
    """Threats whose inherent risk is at the two highest levels."""
    description: tuple[Row, ...]
    """The systematic description of the processing (Art. 35(7)(a))."""
    risk_map: tuple[MapRow, ...]
    open_mitigations: dict[str, tuple[MitigationOut, ...]]
    """Threat id -> the mitigations relevant to this system."""
    accepted: tuple[ThreatOut, ...]
    affecting: int
    """Worst-case assumptions that bear on a threat that applies."""
    criteria_assumed: int
    """WP248 criteria met only because answers are unknown."""
    flags_confirmed: tuple[FlagOut, ...]
    flags_possible: tuple[FlagOut, ...]
    """AI Act flags raised only because answers are unknown."""


def tone_of(assessment: Assessment, level: str, tones: tuple[str, ...]) -> str:
    """A pack may name its own risk levels: colours and SARIF levels go by rank from the top."""
    levels = assessment.risk_levels
    if level not in levels:
        return "none"
    return tones[min(len(levels) - 1 - levels.index(level), len(tones) - 1)]


def build(assessment: Assessment, tones: tuple[str, ...]) -> Document:
    """The document model of an assessment."""
    screening = assessment.screening
    flags = screening.ai_act if screening else ()
    return Document(
        serious=tuple(
            t for t in assessment.threats if tone_of(assessment, t.risk, tones) in SERIOUS
        ),
        description=_description(assessment),
        risk_map=_risk_map(assessment),
        open_mitigations={
            t.id: tuple(m for m in t.mitigation_details if m.relevant) for t in assessment.threats
        },
        accepted=tuple(t for t in assessment.threats if t.accepted),
        affecting=sum(1 for a in assessment.assumptions if a.affects),
        criteria_assumed=sum(1 for c in screening.criteria if c.assumed) if screening else 0,
        flags_confirmed=tuple(f for f in flags if not f.assumed),
        flags_possible=tuple(f for f in flags if f.assumed),
    )


def answers_in_words(assessment: Assessment) -> dict[str, str]:
    """Question id -> its answer as counted, in words, marked when it was assumed."""
    return {
        a.question: a.label + ("" if a.source == "given" else " (assumed: not answered)")
        for a in assessment.answers
    }


def _description(assessment: Assessment) -> tuple[Row, ...]:
    words = answers_in_words(assessment)

    def answer(qid: str) -> str:
        return words.get(qid, "")

    limit = (
        f" ({answer('access.queries_per_day')} a day)" if answer("access.queries_per_day") else ""
    )
    records = f"; {answer('training.records')} records" if answer("training.records") else ""
    special = answer("training.special_category")
    special = f"; special-category data: {special}" if special else ""
    persecuted = answer("population.persecuted_attributes")
    hostile = (
        f" (including places where these are criminalised or persecuted: {persecuted})"
        if answer("population.hostile_jurisdiction") == "yes" and persecuted
        else " (including places where what the model reveals is criminalised or persecuted)"
        if answer("population.hostile_jurisdiction") == "yes"
        else ""
    )
    return (
        Row("Purpose", assessment.system.get("purpose") or "not stated"),
        Row(
            "Inputs",
            f"{answer('inputs.kinds')}; the caller controls them: "
            f"{answer('inputs.caller_controls')}; about other people: "
            f"{answer('inputs.third_party')}",
        ),
        Row(
            "Outputs returned",
            f"{answer('outputs.exposed')}; visible to the submitter: "
            f"{answer('outputs.visible_to_submitter')}",
        ),
        Row("What outputs reveal", answer("outputs.reveals")),
        Row(
            "Who can query",
            f"{answer('access.exposure')}; per-actor limit: {answer('access.rate_limited')}"
            f"{limit}; cheap identities: {answer('access.cheap_identities')}; weights "
            f"distributed: {answer('access.model_distributed')}",
        ),
        Row(
            "Training data", f"personal data: {answer('training.personal_data')}{records}{special}"
        ),
        Row(
            "People affected",
            f"{answer('population.groups')}; about {answer('population.size')} people",
        ),
        Row("Where they live", (answer("population.jurisdictions") or "not stated") + hostile),
        Row(
            "Likely adversaries",
            f"{answer('adversary.actors')}, motivation {answer('adversary.motivation')}",
        ),
    )


def _risk_map(assessment: Assessment) -> tuple[MapRow, ...]:
    severities = assessment.severity_levels
    return tuple(
        MapRow(
            likelihood,
            tuple(
                Cell(
                    severity,
                    assessment.risk_matrix[likelihood][severities.index(severity)],
                    tuple(
                        t.id
                        for t in assessment.threats
                        if (t.likelihood, t.severity) == (likelihood, severity)
                    ),
                )
                for severity in severities
            ),
        )
        for likelihood in reversed(assessment.likelihood_levels)
    )
