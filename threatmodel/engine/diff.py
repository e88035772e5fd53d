"""What changed between two assessments: answers, threats and their levels, and which answers
made each threat change. Pure: `app.load_side` reads the sides, `render.diff` writes the
document."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from threatmodel.engine.assessment import AnswerOut, Assessment, ThreatOut
from threatmodel.language.model import Model

DIFF_FORMAT: Literal["threatmodel.diff/1"] = "threatmodel.diff/1"
_SAFE_ID = re.compile(r"[A-Za-z0-9_.\-]+")
_ASPECTS = ("likelihood", "severity", "risk", "residual_risk")


class LevelChange(Model):
    """A level on the old side and on the new side (equal when it did not change)."""

    old: str = Field(description="Level in the old assessment.")
    new: str = Field(description="Level in the new assessment.")


class AnswerChange(Model):
    """An answer added, removed or changed, compared as counted (worst cases included)."""

    question: str = Field(description="Question id.")
    text: str = Field(description="The question.")
    old: str | None = Field(description="Old answer as counted; null when it was not asked.")
    new: str | None = Field(description="New answer as counted; null when it is not asked.")


class ThreatEntry(Model):
    """A threat that applies on one side only."""

    id: str = Field(description="Threat id.")
    title: str = Field(description="Short title.")
    risk: str = Field(description="Inherent risk on the side where it applies.")
    residual_risk: str = Field(description="Residual risk on the side where it applies.")
    because: tuple[str, ...] = Field(description="Ids of the changed answers behind it.")


class ThreatChange(Model):
    """A threat that applies on both sides with a different level."""

    id: str = Field(description="Threat id.")
    title: str = Field(description="Short title (new side).")
    changed: tuple[str, ...] = Field(description="Which of the four levels changed.")
    likelihood: LevelChange = Field(description="Inherent likelihood, old and new.")
    severity: LevelChange = Field(description="Inherent severity, old and new.")
    risk: LevelChange = Field(description="Inherent risk, old and new.")
    residual_risk: LevelChange = Field(description="Residual risk, old and new.")
    because: tuple[str, ...] = Field(description="Ids of the changed answers behind it.")


class DecisionChange(Model):
    """A recorded measure or acceptance that was added, removed or changed."""

    threat: str = Field(description="Threat id.")
    kind: Literal["measure", "acceptance"] = Field(description="What was recorded.")
    old: str | None = Field(description="As it was (None: added).")
    new: str | None = Field(description="As it is (None: removed).")


class Diff(Model):
    """What changed from an old assessment to a new one."""

    format: Literal["threatmodel.diff/1"] = Field(DIFF_FORMAT, description="Format id.")
    overall_risk: LevelChange = Field(description="Overall inherent risk, old and new.")
    overall_residual_risk: LevelChange = Field(description="Overall residual risk, old and new.")
    risk_rose: bool = Field(description="A threat appeared, or a risk or residual risk rose.")
    answers_added: tuple[AnswerChange, ...] = Field(description="Answers counted only in new.")
    answers_removed: tuple[AnswerChange, ...] = Field(description="Answers counted only in old.")
    answers_changed: tuple[AnswerChange, ...] = Field(description="Answers whose value changed.")
    threats_appeared: tuple[ThreatEntry, ...] = Field(description="Threats that apply only now.")
    threats_disappeared: tuple[ThreatEntry, ...] = Field(description="Threats no longer applying.")
    threats_changed: tuple[ThreatChange, ...] = Field(description="Threats whose levels changed.")
    decisions_changed: tuple[DecisionChange, ...] = Field(
        (), description="Measures and acceptances added, removed or changed."
    )

    @property
    def unchanged(self) -> bool:
        """True when neither an answer nor a threat changed."""
        threats = self.threats_appeared or self.threats_disappeared or self.threats_changed
        return not (self.answers or threats or self.decisions_changed)

    @property
    def answers(self) -> tuple[AnswerChange, ...]:
        """Every answer change: changed, then added, then removed."""
        return self.answers_changed + self.answers_added + self.answers_removed


# Comparing


def diff(old: Assessment, new: Assessment) -> Diff:
    """Compare two assessments; levels are ordered as in `new`."""
    added, removed, changed = _answer_changes(old, new)
    moved = tuple(a.question for a in changed + added + removed)
    appeared, gone, levelled = _threat_changes(old, new, moved)
    return Diff(
        overall_risk=LevelChange(old=old.overall_risk, new=new.overall_risk),
        overall_residual_risk=LevelChange(
            old=old.overall_residual_risk, new=new.overall_residual_risk
        ),
        risk_rose=_risk_rose(new.risk_levels, appeared, levelled),
        answers_added=added,
        answers_removed=removed,
        answers_changed=changed,
        threats_appeared=appeared,
        threats_disappeared=gone,
        threats_changed=levelled,
        decisions_changed=_decision_changes(old, new),
    )


def _decision_changes(old: Assessment, new: Assessment) -> tuple[DecisionChange, ...]:
    """Measures and acceptances, compared threat by threat (as recorded on the threats)."""
    before, after = _decisions(old), _decisions(new)
    return tuple(
        DecisionChange(threat=key[0], kind=key[1], old=before.get(key), new=after.get(key))
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    )


def _decisions(assessment: Assessment) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for t in assessment.threats:
        if t.measures:
            out[(t.id, "measure")] = "; ".join(
                f"{m.measure} ({m.status}{', due ' + m.due if m.due else ''})" for m in t.measures
            )
        if t.accepted:
            a = t.accepted
            out[(t.id, "acceptance")] = f"by {a.approved_by} until {a.expires.isoformat()}"
    return out


def regressions(baseline: Assessment, current: Assessment) -> list[str]:
    """Threat ids new in `current`, or whose residual risk is higher than in `baseline`."""
    before = {t.id: t.residual_risk for t in baseline.threats}
    levels = current.risk_levels
    return [
        t.id
        for t in current.threats
        if t.id not in before or _rank(levels, t.residual_risk) > _rank(levels, before[t.id])
    ]


def _answer_changes(
    old: Assessment, new: Assessment
) -> tuple[tuple[AnswerChange, ...], tuple[AnswerChange, ...], tuple[AnswerChange, ...]]:
    """(added, removed, changed); an answer is absent when its question was hidden by a branch."""
    before = {a.question: a for a in old.answers}
    after = {a.question: a for a in new.answers}
    added = tuple(_answer(None, a) for q, a in after.items() if q not in before)
    removed = tuple(_answer(a, None) for q, a in before.items() if q not in after)
    changed = tuple(
        _answer(before[q], a)
        for q, a in after.items()
        if q in before and before[q].value != a.value
    )
    return added, removed, changed


def _answer(old: AnswerOut | None, new: AnswerOut | None) -> AnswerChange:
    either = new or old
    assert either is not None
    return AnswerChange(
        question=either.question,
        text=either.text,
        old=old.value if old else None,
        new=new.value if new else None,
    )


def _threat_changes(
    old: Assessment, new: Assessment, moved: tuple[str, ...]
) -> tuple[tuple[ThreatEntry, ...], tuple[ThreatEntry, ...], tuple[ThreatChange, ...]]:
    """(appeared, disappeared, changed level), each in its side's order: highest risk first."""
    before = {t.id: t for t in old.threats}
    after = {t.id for t in new.threats}
    appeared = tuple(_entry(t, moved) for t in new.threats if t.id not in before)
    gone = tuple(_entry(t, moved) for t in old.threats if t.id not in after)
    both = [_threat_change(before[t.id], t, moved) for t in new.threats if t.id in before]
    return appeared, gone, tuple(c for c in both if c.changed)


def _entry(threat: ThreatOut, moved: tuple[str, ...]) -> ThreatEntry:
    return ThreatEntry(
        id=threat.id,
        title=threat.title,
        risk=threat.risk,
        residual_risk=threat.residual_risk,
        because=_causes(moved, threat),
    )


def _threat_change(old: ThreatOut, new: ThreatOut, moved: tuple[str, ...]) -> ThreatChange:
    pairs = [LevelChange(old=getattr(old, a), new=getattr(new, a)) for a in _ASPECTS]
    likelihood, severity, risk, residual_risk = pairs
    return ThreatChange(
        id=new.id,
        title=new.title,
        changed=tuple(a for a, pair in zip(_ASPECTS, pairs, strict=True) if pair.old != pair.new),
        likelihood=likelihood,
        severity=severity,
        risk=risk,
        residual_risk=residual_risk,
        because=_causes(moved, old, new),
    )


def _causes(moved: tuple[str, ...], *threats: ThreatOut) -> tuple[str, ...]:
    """The changed answers that the threat's rules read, on either side; for an assessment
    written before threats recorded what they read, those among its facts or named in its
    reasons."""
    read = {q for t in threats for q in t.reads}
    named = {fact.question for t in threats for fact in t.facts}
    reasons = "\n".join(line for t in threats for line in t.because)
    return tuple(q for q in moved if q in read or q in named or _mentions(reasons, q))


def _mentions(text: str, question: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(question)}(?!\w)", text) is not None


def _risk_rose(
    levels: tuple[str, ...], appeared: tuple[ThreatEntry, ...], changed: tuple[ThreatChange, ...]
) -> bool:
    # `low` is the lowest risk level, so any threat that appears is a rise.
    if appeared:
        return True
    return any(
        _rank(levels, pair.new) > _rank(levels, pair.old)
        for c in changed
        for pair in (c.risk, c.residual_risk)
    )


def _rank(levels: tuple[str, ...], level: str) -> int:
    # A level the pack does not know (a hand-edited JSON side) sorts below every known one.
    return levels.index(level) if level in levels else -1
