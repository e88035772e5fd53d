"""Scoring one threat: likelihood and severity from base levels and modifiers, then the risk."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from threatmodel import locales
from threatmodel.engine import enumeration
from threatmodel.engine.assessment import (
    AcceptanceOut,
    MeasureOut,
    MitigationOut,
    ScoreStep,
    ThreatOut,
)
from threatmodel.engine.evidence import Measurement, moved_level, overstates, summary
from threatmodel.engine.resolve import Resolved
from threatmodel.engine.screening import facts_for
from threatmodel.engine.story import tell
from threatmodel.language.conditions import Condition, Named, questions_read
from threatmodel.language.questions import Question
from threatmodel.language.values import show
from threatmodel.locales import _
from threatmodel.pack.answersfile import AnswersFile
from threatmodel.pack.models import (
    Factor,
    Modifier,
    QuestionRoles,
    Reduction,
    Scoring,
    Threat,
)


def score_threat(
    threat: Threat,
    resolved: Resolved,
    scale: Scoring,
    decisions: AnswersFile,
    evidence: tuple[Measurement, ...] = (),
    questions: Mapping[str, Question] | None = None,
) -> ThreatOut | None:
    """The scored threat, or None when it does not apply to these answers (and no measurement
    showed the leak anyway)."""
    applies, deciding = resolved.explain(threat.applies_when)
    mine = tuple(m for m in evidence if m.threat == threat.id)
    on_evidence = not applies and any(m.level in ("high", "elevated") for m in mine)
    if not applies and not on_evidence:
        return None
    estimate = None
    if threat.estimate == "enumeration":
        estimate = enumeration.estimate(resolved.values, scale.enumeration, scale.questions)
    steps: list[ScoreStep] = []
    likelihood = _factor(
        "likelihood",
        threat.likelihood,
        resolved,
        scale.likelihood,
        steps,
        estimate,
        scale.questions,
    )
    likelihood = _with_evidence(
        likelihood, mine, resolved, scale.likelihood, steps, estimate, scale.questions
    )
    severity = _factor(
        "severity", threat.severity, resolved, scale.severity, steps, None, scale.questions
    )
    measures = _measures(threat, decisions)
    mitigations = [
        MitigationOut(
            id=m.id,
            title=m.title,
            description=m.description.strip(),
            reduces=m.reduces.model_dump(),
            relevant=m.when is None or resolved.holds(m.when),
            defeats_purpose=m.defeats_purpose,
        )
        for m in threat.mitigations
    ]
    # Residual risk counts implemented measures only: a plan does not lower today's risk.
    done = [m for m in measures if m.status == "implemented"]
    residual_l = _lower(scale.likelihood, likelihood, sum(m.reduces["likelihood"] for m in done))
    residual_s = _lower(scale.severity, severity, sum(m.reduces["severity"] for m in done))
    facts = facts_for(deciding, resolved)
    because = [f"{f.question} = {f.value}" + (_(" (assumed)") if f.assumed else "") for f in facts]
    because += [
        f"{s.aspect} {s.after}: {s.reason}" + (_(" (rests on an assumption)") if s.assumed else "")
        for s in steps
    ]
    return ThreatOut(
        id=threat.id,
        title=threat.title,
        summary=threat.summary.strip(),
        description=threat.description.strip(),
        in_this_system=tell(threat, resolved, questions or {}),
        likelihood=likelihood,
        severity=severity,
        risk=scale.risk_of(likelihood, severity),
        because=tuple(because),
        facts=tuple(facts),
        steps=tuple(steps),
        reads=threat_reads(threat, resolved.named, scale.questions),
        mitigations=tuple(m.title for m in mitigations if m.relevant),
        mitigation_details=tuple(mitigations),
        references=threat.references,
        estimate=estimate,
        measures=tuple(measures),
        residual_likelihood=residual_l,
        residual_severity=residual_s,
        residual_risk=scale.risk_of(residual_l, residual_s),
        accepted=_acceptance(threat.id, decisions),
        deprecated=threat.deprecated.describe() if threat.deprecated else None,
        evidence=tuple(m.model_dump(mode="json") for m in mine),
        on_evidence=on_evidence,
    )


def _with_evidence(
    level: str,
    measurements: tuple[Measurement, ...],
    resolved: Resolved,
    levels: tuple[str, ...],
    steps: list[ScoreStep],
    estimate: dict[str, Any] | None,
    roles: QuestionRoles,
) -> str:
    has_dp = resolved.values.get(roles.differential_privacy) is True
    exposed = resolved.values.get(roles.outputs_exposed)
    for m in measurements:
        new = moved_level(level, levels, m, has_dp)
        reason = summary(m) + ("" if new != level else _(" The likelihood stands."))
        if estimate and "expected_queries_to_first_hit" in m.metrics:
            days = m.metrics["expected_queries_to_first_hit"] / estimate["queries_per_day"]
            reason += (
                f" At the answers' rate ({show(estimate['queries_per_day'])} queries a day) the"
                f" measured hits take about {show(days)} days to reach."
            )
        if overstates(m, exposed if isinstance(exposed, list) else None):
            reason += (
                f" The model was attacked through its {m.output_format}, finer than the label"
                " it returns: the figure overstates the leak as deployed."
            )
        steps.append(ScoreStep(aspect="likelihood", before=level, after=new, reason=reason))
        level = new
    return level


def threat_reads(threat: Threat, named: Named, roles: QuestionRoles) -> tuple[str, ...]:
    """Every answer the threat's rules read, in a stable order."""
    conditions: list[Condition] = [threat.applies_when]
    conditions += [m.when for f in (threat.likelihood, threat.severity) for m in f.modifiers]
    read = [q for cond in conditions for q in questions_read(cond, named)]
    if threat.estimate == "enumeration":
        read += roles.enumeration_inputs()
    return tuple(dict.fromkeys(read))


def _factor(
    aspect: str,
    factor: Factor,
    resolved: Resolved,
    levels: tuple[str, ...],
    steps: list[ScoreStep],
    estimate: dict[str, Any] | None,
    roles: QuestionRoles,
) -> str:
    level = factor.base
    if factor.from_estimate and estimate is not None:
        level = _estimate_level(estimate, levels)
        reason = (
            estimate["statement"]
            + " "
            + _("An adversary of this motivation keeps trying for about %(days)s days.")
            % {"days": locales.number(show(estimate["adversary_patience_days"]))}
        )
        inputs = roles.enumeration_inputs()
        assumed = any(q in resolved.assumed for q in inputs)
        steps.append(
            ScoreStep(
                aspect=aspect,
                before="",
                after=level,
                reason=reason,
                assumed=assumed,
                questions=inputs,
            )
        )
    for modifier in factor.modifiers:
        held, deciding = resolved.explain(modifier.when)
        if not held:
            continue
        new = _apply(modifier, level, levels)
        # A cap that holds is said even when the level is already under it: it is often the
        # reason a threat stays low (no path to anyone else's data), which a DPO must see.
        if new != level or modifier.at_most is not None:
            assumed = any(q in resolved.assumed for q in deciding)
            reason = modifier.because.strip()
            steps.append(
                ScoreStep(
                    aspect=aspect,
                    before=level,
                    after=new,
                    reason=reason,
                    assumed=assumed,
                    questions=tuple(dict.fromkeys(deciding)),
                )
            )
            level = new
    return level


def _estimate_level(estimate: dict[str, Any], levels: tuple[str, ...]) -> str:
    cnil = enumeration.level_for(
        estimate["expected_days_to_first_hit"], estimate["adversary_patience_days"]
    )
    # A pack with its own scale maps the four CNIL steps onto its levels proportionally.
    index = ["negligible", "limited", "significant", "maximum"].index(cnil)
    return levels[round(index * (len(levels) - 1) / 3)]


def _apply(modifier: Modifier, level: str, levels: tuple[str, ...]) -> str:
    i = levels.index(level)
    if modifier.raise_:
        return levels[min(i + modifier.raise_, len(levels) - 1)]
    if modifier.lower:
        return levels[max(i - modifier.lower, 0)]
    if modifier.at_least is not None:
        return levels[max(i, levels.index(modifier.at_least))]
    assert modifier.at_most is not None  # the model guarantees exactly one effect
    return levels[min(i, levels.index(modifier.at_most))]


def _lower(levels: tuple[str, ...], level: str, steps: int) -> str:
    return levels[max(levels.index(level) - steps, 0)]


def _measures(threat: Threat, decisions: AnswersFile) -> list[MeasureOut]:
    known = {m.id: m for m in threat.mitigations}
    out = []
    for measure in decisions.measures:
        if measure.threat != threat.id:
            continue
        mitigation = known.get(measure.measure)
        reduces = measure.reduces or (mitigation.reduces if mitigation else Reduction())
        out.append(
            MeasureOut(
                measure=measure.measure,
                title=mitigation.title if mitigation else measure.measure,
                status=measure.status,
                owner=measure.owner,
                due=measure.due.isoformat() if measure.due else None,
                reduces=reduces.model_dump(),
            )
        )
    return out


def _acceptance(threat_id: str, decisions: AnswersFile) -> AcceptanceOut | None:
    for acceptance in decisions.acceptances:
        if acceptance.threat == threat_id:
            return AcceptanceOut(
                justification=acceptance.justification,
                approved_by=acceptance.approved_by,
                expires=acceptance.expires,
            )
    return None
