"""The organisation's register: one row per answers file, with what a privacy team asks of
its whole estate (which systems are at high or critical, which need a DPIA or prior
consultation, whose acceptances expire, which were never signed or changed since, which were
assessed under older rules, which files no longer load).

Built from assessments, the same as every report; a file that does not load is a row with its
one-line error, so that one broken file never hides the others."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Literal

from pydantic import Field

from threatmodel.engine.assessment import Assessment
from threatmodel.language.model import Model

FORMAT = "threatmodel.portfolio/1"
TONES = ("none", "low", "medium", "high", "critical")
"""Levels by rank from the top of each system's own scale (a pack may name its levels its own
way): what sorts, colours, filters and counts systems assessed on different scales alike."""
SOON, LATER = 30, 90
"""Days: an acceptance expiring within these is flagged (a quarter's planning horizon)."""

Expiry = Literal["expired", "within 30 days", "within 90 days", "later"]
SignoffState = Literal["unsigned", "signed", "changed since signed", "rejected"]


class ThreatCell(Model):
    """A threat of one system, as the register shows it."""

    id: str = Field(description="Threat id.")
    title: str = Field(description="Short title.")
    risk: str = Field(description="Inherent risk.")
    residual_risk: str = Field(description="Risk after the measures implemented.")
    tone: str = Field(description="The residual risk's rank from the top of its scale (TONES).")


class Acceptance(Model):
    """An accepted risk and when its acceptance ends."""

    threat: str = Field(description="Threat id.")
    title: str = Field(description="Threat title.")
    expires: dt.date = Field(description="Last day the acceptance holds.")
    state: Expiry = Field(description="Expired, or how soon it expires, as of the register's date.")


class Signed(Model):
    """A role's latest sign-off."""

    role: str = Field(description="dpo, owner or security.")
    by: str = Field(description="Who signed.")
    decision: str = Field(description="accepted, accepted-with-measures or rejected.")
    holds: bool = Field(description="False when the assessment changed since.")


class PackUsed(Model):
    """A rule pack a system was assessed with."""

    name: str = Field(description="Pack name.")
    version: str = Field(description="Pack version.")
    ref: str | None = Field(None, description="The git tag it was taken at, for a git pack.")
    newest: str | None = Field(
        None,
        description="A newer version tag of its repository, when one exists and was looked up.",
    )


class System(Model):
    """One row of the register: one answers file."""

    path: str = Field(description="The answers file.")
    name: str = Field("", description="The system's name.")
    owner: str = Field("", description="Who is accountable for it.")
    error: str | None = Field(
        None, description="Why the file could not be assessed, if it could not."
    )
    overall_risk: str | None = Field(None, description="Highest inherent risk.")
    residual_risk: str | None = Field(None, description="Highest risk after implemented measures.")
    residual_tone: str | None = Field(
        None, description="The residual risk's rank from the top of its scale (TONES)."
    )
    top_threats: tuple[ThreatCell, ...] = Field((), description="Threats at the two top levels.")
    threats: tuple[ThreatCell, ...] = Field((), description="Every threat that applies.")
    dpia_likely_required: bool | None = Field(None, description="WP248 screening outcome.")
    criteria_met: int | None = Field(None, description="WP248 criteria met.")
    prior_consultation: bool | None = Field(
        None, description="Art. 36 prior consultation indicated."
    )
    acceptances: tuple[Acceptance, ...] = Field((), description="Accepted risks.")
    signoffs: tuple[Signed, ...] = Field((), description="Each role's latest sign-off.")
    signoff_state: SignoffState | None = Field(None, description="The sign-offs, in one word.")
    packs: tuple[PackUsed, ...] = Field((), description="Rule packs used.")
    stale: tuple[str, ...] = Field(
        (),
        description="Why the assessment is behind its rules: answered under older pack "
        "versions, or a pack pinned to a tag older than its repository's newest.",
    )
    failing: bool = Field(False, description="Would fail the register's --fail-on gate.")
    last_changed: str | None = Field(None, description="When the answers last changed (date).")
    last_changed_from: Literal["git", "answers", "file"] | None = Field(
        None,
        description="Where that date comes from: git history, the file's provenance, or "
        "its modification time.",
    )


class Register(Model):
    """The whole register."""

    format: str = Field(FORMAT, description="Format id of this JSON.")
    as_of: dt.date = Field(description="The date acceptances are judged against.")
    fail_on: str | None = Field(None, description="The gate, when one was given.")
    systems: tuple[System, ...] = Field(description="One per answers file, highest risk first.")

    def count(self, test: Callable[[System], bool]) -> int:
        """How many systems pass `test`."""
        return sum(1 for s in self.systems if test(s))

    @property
    def summary(self) -> dict[str, int]:
        """The figures a privacy team reports on."""
        top = TONES[-2:]
        return {
            "systems": len(self.systems),
            "broken": self.count(lambda s: s.error is not None),
            "high_or_critical": self.count(lambda s: s.residual_tone in top),
            "dpia_likely_required": self.count(lambda s: bool(s.dpia_likely_required)),
            "prior_consultation": self.count(lambda s: bool(s.prior_consultation)),
            "acceptances_expired": self.count(
                lambda s: any(a.state == "expired" for a in s.acceptances)
            ),
            "acceptances_expiring_90_days": self.count(
                lambda s: any(a.state.startswith("within") for a in s.acceptances)
            ),
            "unsigned": self.count(lambda s: s.signoff_state == "unsigned"),
            "signoff_changed": self.count(lambda s: s.signoff_state == "changed since signed"),
            "stale": self.count(lambda s: bool(s.stale)),
            "failing": self.count(lambda s: s.failing),
        }


def expiry(expires: dt.date, as_of: dt.date) -> Expiry:
    """How soon an acceptance ends, as of a date."""
    days = (expires - as_of).days
    if days < 0:
        return "expired"
    return "within 30 days" if days <= SOON else "within 90 days" if days <= LATER else "later"


def signoff_state(signed: Iterable[Signed]) -> SignoffState:
    """The sign-offs in one word: a changed one outweighs a rejection, which outweighs a
    signature."""
    latest = list(signed)
    if not latest:
        return "unsigned"
    if not all(s.holds for s in latest):
        return "changed since signed"
    return "rejected" if any(s.decision == "rejected" for s in latest) else "signed"


def system(path: str, assessment: Assessment, as_of: dt.date, tone: Callable[[str], str]) -> System:
    """The register row of an assessed file (without its history, packs' news or gate)."""
    cells = tuple(ThreatCell(id=t.id, title=t.title, risk=t.risk, residual_risk=t.residual_risk,
                             tone=tone(t.residual_risk))
                  for t in assessment.threats)  # fmt: skip
    latest: dict[str, Signed] = {}
    for s in assessment.signoffs:  # in the order signed: the last of each role counts
        latest[s.role] = Signed(role=s.role, by=s.by, decision=s.decision, holds=s.holds)
    screening = assessment.screening
    return System(
        path=path,
        name=assessment.system.get("name", ""),
        owner=assessment.system.get("owner", ""),
        overall_risk=assessment.overall_risk,
        residual_risk=assessment.overall_residual_risk,
        residual_tone=tone(assessment.overall_residual_risk),
        top_threats=tuple(c for c in cells if tone(c.risk) in TONES[-2:]),
        threats=cells,
        dpia_likely_required=screening.dpia_likely_required if screening else None,
        criteria_met=screening.criteria_met if screening else None,
        prior_consultation=assessment.prior_consultation,
        acceptances=tuple(
            Acceptance(
                threat=t.id,
                title=t.title,
                expires=t.accepted.expires,
                state=expiry(t.accepted.expires, as_of),
            )
            for t in assessment.threats
            if t.accepted
        ),
        signoffs=tuple(latest.values()),
        signoff_state=signoff_state(latest.values()),
        packs=tuple(PackUsed(name=p.name, version=p.version, ref=p.ref) for p in assessment.packs),
        stale=tuple(n for n in assessment.notices if n.startswith(("answered under ", "pack "))),
        last_changed=(assessment.provenance.answered_at or "")[:10] or None,
        last_changed_from="answers" if assessment.provenance.answered_at else None,
    )


def broken(path: str, error: str) -> System:
    """The row of a file that could not be assessed."""
    return System(path=path, error=error)
