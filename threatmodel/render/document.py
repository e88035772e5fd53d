"""The DPIA document as data: what the Markdown and the HTML report say, decided once in Python.
The two templates only lay it out (a table row here, a list item there), so they cannot drift
apart on what a summary counts or how the systematic description reads."""

from __future__ import annotations

from dataclasses import dataclass

from threatmodel.engine.assessment import Assessment, FlagOut, MitigationOut, ThreatOut
from threatmodel.locales import _

SERIOUS = ("critical", "high")  # the tones of "the threats at the two highest risk levels"


@dataclass(frozen=True)
class Row:
    """One line of the systematic description: a heading, the values of a multi answer as a
    list (never run together into a sentence), and the other answers, in words."""

    label: str
    items: tuple[str, ...]
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
    """Question id -> its answer as counted, in words, marked when it was assumed. The words
    the tool adds are in the language being spoken (`locales.use`), looked up at each call."""
    return {
        a.question: a.label
        if a.source == "given"
        else _("%(answer)s (assumed: not answered)") % {"answer": a.label}
        for a in assessment.answers
    }


def _description(assessment: Assessment) -> tuple[Row, ...]:
    """The rows in the language being spoken: every word is looked up here, at run time."""
    words = answers_in_words(assessment)
    listed = {a.question: a.labels for a in assessment.answers if a.labels and a.source == "given"}

    def answer(qid: str) -> str:
        return words.get(qid, "")

    def items(qid: str) -> tuple[str, ...]:
        """A multi answer's values, each in words (an assumed one as one marked item)."""
        return listed.get(qid) or ((answer(qid),) if answer(qid) else ())

    per_day = answer("access.queries_per_day")
    limit = " " + _("(%(queries)s a day)") % {"queries": per_day} if per_day else ""
    records = answer("training.records")
    records = "; " + _("%(records)s records") % {"records": records} if records else ""
    special = answer("training.special_category")
    special = "; " + _("special-category data: %(answer)s") % {"answer": special} if special else ""
    persecuted = answer("population.persecuted_attributes")
    hostile = ""
    values = {a.question: a.value for a in assessment.answers}
    if values.get("population.hostile_jurisdiction") == "true":  # the value, in any language
        hostile = " " + (
            _("(including places where these are criminalised or persecuted: %(attributes)s)")
            % {"attributes": persecuted}
            if persecuted
            else _("(including places where what the model reveals is criminalised or persecuted)")
        )
    return (
        Row(_("Purpose"), (), assessment.system.get("purpose") or _("not stated")),
        Row(
            _("Inputs"),
            items("inputs.kinds"),
            _("The caller controls them: %(controls)s; about other people: %(third_party)s.")
            % {
                "controls": answer("inputs.caller_controls"),
                "third_party": answer("inputs.third_party"),
            },
        ),
        Row(
            _("Outputs returned"),
            items("outputs.exposed"),
            _("Visible to the submitter: %(visible)s.")
            % {"visible": answer("outputs.visible_to_submitter")},
        ),
        Row(_("What outputs reveal"), items("outputs.reveals"), ""),
        Row(
            _("Who can query"),
            (),
            # TRANSLATORS: %(limit)s is empty, or " (N a day)" from its own message.
            _(
                "%(exposure)s; per-actor limit: %(limited)s%(limit)s; "
                "cheap identities: %(cheap)s; weights distributed: %(distributed)s"
            )
            % {
                "exposure": answer("access.exposure"),
                "limited": answer("access.rate_limited"),
                "limit": limit,
                "cheap": answer("access.cheap_identities"),
                "distributed": answer("access.model_distributed"),
            },
        ),
        Row(
            _("Training data"),
            (),
            _("personal data: %(answer)s") % {"answer": answer("training.personal_data")}
            + records
            + special,
        ),
        Row(
            _("People affected"),
            items("population.groups"),
            _("About %(size)s people.") % {"size": answer("population.size")},
        ),
        Row(
            _("Where they live"),
            (),
            (answer("population.jurisdictions") or _("not stated")) + hostile,
        ),
        Row(
            _("Likely adversaries"),
            items("adversary.actors"),
            _("Motivation: %(motivation)s.") % {"motivation": answer("adversary.motivation")},
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
