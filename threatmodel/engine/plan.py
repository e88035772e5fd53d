"""The action side of an assessment: the recorded plan, what to do next, and whether the
supervisory authority must be consulted first (GDPR Art. 36). Pure functions of the scored
threats and the pack."""

from __future__ import annotations

from threatmodel.engine.assessment import ActionItem, CatalogueEntry, Recommendation, ThreatOut
from threatmodel.pack.layered import Pack
from threatmodel.pack.models import Reduction, Scoring

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


def recommendations(pack: Pack, threats: list[ThreatOut]) -> tuple[Recommendation, ...]:
    """The pack mitigations, not yet recorded, that would lower a residual risk most."""
    scale = pack.scale
    candidates = []
    for threat in threats:
        recorded = {m.measure for m in threat.measures}
        now = scale.risk.index(threat.residual_risk)
        relevant = {m.id for m in threat.mitigation_details if m.relevant}
        for mitigation in pack.threats[threat.id].mitigations:
            if mitigation.id in recorded or mitigation.id not in relevant:
                continue
            after = _risk_after(scale, threat, mitigation.reduces)
            gain = now - scale.risk.index(after)
            if gain > 0:
                candidates.append((gain, now, threat, mitigation, after))
    candidates.sort(key=lambda c: (-c[0], -c[1], c[2].id, c[3].id))
    return tuple(
        Recommendation(
            threat=threat.id,
            mitigation=mitigation.id,
            title=mitigation.title,
            risk_now=threat.residual_risk,
            risk_after=after,
        )
        for _, _, threat, mitigation, after in candidates[:RECOMMENDATIONS]
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
