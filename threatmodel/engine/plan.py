"""The action side of an assessment: the recorded plan, what to do next, and whether the
supervisory authority must be consulted first (GDPR Art. 36). Pure functions of the scored
threats and the pack."""

from __future__ import annotations

from dataclasses import dataclass

from threatmodel.engine.assessment import ActionItem, CatalogueEntry, Recommendation, ThreatOut
from threatmodel.pack.layered import Pack
from threatmodel.pack.models import Mitigation, Reduction, Scoring

RECOMMENDATIONS = 3
PRIOR_CONSULTATION_FROM = "high"


def action_plan(threats: list[ThreatOut]) -> tuple[ActionItem, ...]:
    """Every recorded measure, those with a due date first, in date order."""
    items = [
        ActionItem(
            threat=t.id,
            measure=m.measure,
            title=m.title,
            status=m.status,
            owner=m.owner,
            due=m.due,
            effect=_effect(m.reduces),
        )
        for t in threats
        for m in t.measures
    ]
    return tuple(sorted(items, key=lambda i: (i.due is None, i.due or "", i.threat)))


def recommendations(
    pack: Pack, threats: list[ThreatOut], defeating: bool = False
) -> tuple[Recommendation, ...]:
    """The pack mitigations, not yet recorded, that would lower residual risk most.

    The same advice under several threats is one entry, and it counts for every threat it
    lowers: returning the label only, which lowers four threats, comes before a measure that
    lowers one. A measure that would remove the system's purpose is never among them; with
    `defeating`, those are listed instead (to be shown apart)."""
    hits: dict[str, list[_Hit]] = {}
    for threat in threats:
        for hit in _hits(pack, threat):
            if hit.mitigation.defeats_purpose == defeating:
                hits.setdefault(hit.mitigation.same_as or hit.mitigation.id, []).append(hit)
    ranked = sorted(
        hits.values(),
        key=lambda found: (
            -sum(h.gain for h in found),
            -max(h.now for h in found),
            found[0].mitigation.id,
        ),
    )
    return tuple(_recommendation(pack.scale, found) for found in ranked[:RECOMMENDATIONS])


@dataclass(frozen=True)
class _Hit:
    """A mitigation that would lower one threat's residual risk."""

    threat: ThreatOut
    mitigation: Mitigation
    now: int
    gain: int
    after: str


def _hits(pack: Pack, threat: ThreatOut) -> list[_Hit]:
    scale = pack.scale
    recorded = {m.measure for m in threat.measures}
    relevant = {m.id for m in threat.mitigation_details if m.relevant}
    now = scale.risk.index(threat.residual_risk)
    found = []
    for mitigation in pack.threats[threat.id].mitigations:
        if mitigation.id in recorded or mitigation.id not in relevant:
            continue
        after = _risk_after(scale, threat, mitigation.reduces)
        gain = now - scale.risk.index(after)
        if gain > 0:
            found.append(_Hit(threat, mitigation, now, gain, after))
    return found


def _recommendation(scale: Scoring, found: list[_Hit]) -> Recommendation:
    best = max(found, key=lambda h: (h.gain, h.now))
    return Recommendation(
        threat=best.threat.id,
        mitigation=best.mitigation.id,
        title=best.mitigation.title,
        risk_now=best.threat.residual_risk,
        risk_after=best.after,
        threats=tuple(h.threat.id for h in found),
    )


def prior_consultation(scale: Scoring, threats: list[ThreatOut]) -> bool:
    """Art. 36: high residual risk that the measures do not bring down, and not accepted."""
    bar = (
        scale.risk.index(PRIOR_CONSULTATION_FROM)
        if PRIOR_CONSULTATION_FROM in scale.risk
        else len(scale.risk) - 2
    )
    return any(scale.risk.index(t.residual_risk) >= bar for t in threats)


def catalogue(pack: Pack) -> tuple[CatalogueEntry, ...]:
    """Every threat of the packs, applying or not: the glossary, and SARIF's rules."""
    return tuple(
        CatalogueEntry(
            id=t.id, title=t.title, summary=" ".join(t.summary.split()), references=t.references
        )
        for t in pack.threats.values()
    )


def _risk_after(scale: Scoring, threat: ThreatOut, reduces: Reduction) -> str:
    lik = scale.likelihood.index(threat.residual_likelihood) - reduces.likelihood
    sev = scale.severity.index(threat.residual_severity) - reduces.severity
    return scale.risk_of(scale.likelihood[max(lik, 0)], scale.severity[max(sev, 0)])


def _effect(reduces: dict[str, int]) -> str:
    parts = [f"{aspect} -{steps}" for aspect, steps in reduces.items() if steps]
    return ", ".join(parts) if parts else "none declared"
