"""Screening: the WP248 criteria for a DPIA and the EU AI Act flags, from the pack's
screening.yaml. Like the engine, a pure function of the pack and the resolved answers."""

from __future__ import annotations

from threatmodel.engine.assessment import CriterionOut, Fact, FlagOut, NecessityOut, Screening
from threatmodel.engine.resolve import Resolved
from threatmodel.language.conditions import Condition, evaluate
from threatmodel.language.values import show
from threatmodel.pack.models import ScreeningFile


def screen(spec: ScreeningFile, resolved: Resolved) -> Screening:
    """Which WP248 criteria are met and which AI Act flags are raised, with the answers why."""
    # A decision rests on an assumption when the given answers alone would not reach it.
    known = {q: v for q, v in resolved.values.items() if q not in resolved.assumed}
    criteria = []
    for criterion in spec.wp248.criteria:
        met, facts = _decide(criterion.when, resolved)
        reason = criterion.met if met else criterion.not_met
        criteria.append(
            CriterionOut(
                id=criterion.id,
                title=criterion.title,
                met=met,
                reason=reason.strip(),
                facts=facts,
                assumed=met and not evaluate(criterion.when, known, resolved.named),
            )
        )
    flags = []
    for flag in spec.ai_act:
        raised, facts = _decide(flag.when, resolved)
        if raised:
            flags.append(
                FlagOut(
                    id=flag.id,
                    title=flag.title,
                    kind=flag.kind,
                    text=flag.text.strip(),
                    facts=facts,
                    assumed=not evaluate(flag.when, known, resolved.named),
                )
            )
    met_count = sum(c.met for c in criteria)
    return Screening(
        necessity=_necessity(spec, resolved),
        review_triggers=spec.review_triggers,
        criteria=tuple(criteria),
        criteria_met=met_count,
        threshold=spec.wp248.threshold,
        dpia_likely_required=met_count >= spec.wp248.threshold,
        ai_act=tuple(flags),
    )


def _necessity(spec: ScreeningFile, resolved: Resolved) -> tuple[NecessityOut, ...]:
    out = []
    for check in spec.necessity:
        concern, facts = _decide(check.when, resolved)
        status = "concern" if concern else "ok"
        finding = (check.concern if concern else check.ok).strip()
        out.append(
            NecessityOut(
                id=check.id,
                topic=check.topic,
                article=check.article,
                status=status,
                finding=finding,
                facts=facts,
            )
        )
    out += [
        NecessityOut(
            id=item.id,
            topic=item.topic,
            article=item.article,
            status="to_complete",
            finding=item.text.strip(),
        )
        for item in spec.to_complete
    ]
    return tuple(out)


def _decide(cond: Condition, resolved: Resolved) -> tuple[bool, tuple[Fact, ...]]:
    held, deciding = resolved.explain(cond)
    return held, facts_for(deciding, resolved)


def facts_for(questions: list[str], resolved: Resolved) -> tuple[Fact, ...]:
    """The answers behind a decision, once each, marking worst-case assumptions."""
    return tuple(
        Fact(question=q, value=show(resolved.values[q]), assumed=q in resolved.assumed)
        for q in dict.fromkeys(questions)
        if q in resolved.values
    )
