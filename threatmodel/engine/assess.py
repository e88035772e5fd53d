"""The engine: a pure function of (pack, answers) to an Assessment. No I/O here."""

from __future__ import annotations

import datetime as dt

from threatmodel import __version__, locales
from threatmodel.engine import lifecycle, plan, signoff
from threatmodel.engine.assessment import (
    AnswerOut,
    Assessment,
    Assumption,
    PackRef,
    Provenance,
    RuledOut,
    ThreatOut,
    Translation,
)
from threatmodel.engine.evidence import Measurement
from threatmodel.engine.resolve import NOT_STATED, Resolved, resolve
from threatmodel.engine.scoring import score_threat
from threatmodel.engine.screening import facts_for, screen
from threatmodel.errors import brief
from threatmodel.language.types import label
from threatmodel.language.values import show
from threatmodel.locales import _
from threatmodel.pack.answersfile import Answers
from threatmodel.pack.layered import Pack
from threatmodel.pack.models import QuestionRoles, Threat


def assess(
    pack: Pack,
    answers: Answers,
    generated_at: dt.datetime,
    evidence: tuple[Measurement, ...] = (),
) -> Assessment:
    """Which threats apply to these answers, how they score, and every assumption made; the
    sentences it composes are in the pack's language."""
    with locales.speaking(pack.lang):
        return _assess(pack, answers, generated_at, evidence)


def _assess(
    pack: Pack,
    answers: Answers,
    generated_at: dt.datetime,
    evidence: tuple[Measurement, ...],
) -> Assessment:
    resolved = resolve(pack, answers.given)
    scale = pack.scale
    threats, ruled_out = [], []
    for threat in pack.threats.values():
        result = score_threat(threat, resolved, scale, answers.file, evidence, pack.questions)
        if result is None:
            ruled_out.append(_ruled_out(threat, resolved))
        else:
            threats.append(result)
    threats.sort(
        key=lambda t: (-scale.risk.index(t.risk), -scale.risk.index(t.residual_risk), t.id)
    )
    return Assessment(
        tool_version=__version__,
        generated_at=generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        packs=tuple(
            PackRef(
                name=p.name,
                version=p.version,
                sha256=p.sha256,
                overrides=p.overrides,
                disables=p.disables,
                git=p.origin.git if p.origin else None,
                ref=p.origin.ref if p.origin else None,
                commit=p.origin.commit if p.origin else None,
            )
            for p in pack.packs
        ),
        answers_file=answers.path.name,
        answers_sha256=answers.sha256,
        system=_system(resolved, scale.questions),
        overall_risk=_highest([t.risk for t in threats], scale.risk),
        overall_residual_risk=_highest([t.residual_risk for t in threats], scale.risk),
        risk_levels=scale.risk,
        likelihood_levels=scale.likelihood,
        severity_levels=scale.severity,
        risk_matrix=scale.matrix,
        threats=tuple(threats),
        ruled_out=tuple(ruled_out),
        assumptions=_with_effects(pack, resolved, threats),
        ignored=tuple(resolved.ignored),
        answers=_answers_out(pack, resolved, answers.lines),
        screening=screen(pack.screening, resolved) if pack.screening else None,
        orphans=_orphans(answers, {t.id for t in threats}),
        notices=lifecycle.notices(pack, answers, threats),
        provenance=_provenance(answers),
        signoffs=signoff.standing(answers, pack),
        lang=pack.lang,
        translation=None
        if pack.lang == "en"
        else Translation(statuses=pack.lang_status, fallbacks=pack.fallbacks),
        recommendations=plan.recommendations(pack, threats),
        removes_purpose=plan.recommendations(pack, threats, defeating=True),
        action_plan=plan.action_plan(threats),
        prior_consultation=plan.prior_consultation(scale, threats),
        catalogue=plan.catalogue(pack),
        parameters={"enumeration": scale.enumeration.model_dump()},
    )


def _ruled_out(threat: Threat, resolved: Resolved) -> RuledOut:
    """A threat that does not apply, with the answers that broke its condition."""
    deciding = resolved.explain(threat.applies_when)[1]
    facts = facts_for(deciding, resolved)
    because = tuple(
        f"{f.question} = {f.value}" + (" (assumed)" if f.assumed else "") for f in facts
    )
    why = " ".join(threat.needs.split()) or _("The answers do not meet its conditions.")
    return RuledOut(id=threat.id, title=threat.title, why=why, because=because, facts=facts)


def _system(resolved: Resolved, roles: QuestionRoles) -> dict[str, str]:
    ids = {"name": roles.system_name, "purpose": roles.system_purpose, "owner": roles.system_owner}
    return {key: str(resolved.values.get(qid, "")) for key, qid in ids.items()}


def _provenance(answers: Answers) -> Provenance:
    recorded = answers.file.provenance
    when = recorded.answered_at if recorded else None
    return Provenance(
        answers_path=answers.shown or answers.path.as_posix(),
        answered_by=recorded.answered_by if recorded else None,
        answered_at=when.isoformat() if when else None,
    )


def _orphans(answers: Answers, applying: set[str]) -> tuple[str, ...]:
    """Decisions recorded for threats that do not apply: stale, or a sign the answers changed."""
    decisions = [("measure", m.threat, m.measure) for m in answers.file.measures]
    decisions += [("acceptance", a.threat, a.justification) for a in answers.file.acceptances]
    return tuple(
        f"{answers.path}: {kind} for '{threat}' ({brief(what, 40)}) names a threat that does "
        "not apply to these answers"
        for kind, threat, what in decisions
        if threat not in applying
    )


def _highest(levels: list[str], scale: tuple[str, ...]) -> str:
    return max(levels, key=scale.index) if levels else "none"


def _answers_out(pack: Pack, resolved: Resolved, lines: dict[str, int]) -> tuple[AnswerOut, ...]:
    out = []
    for qid in resolved.visible:
        question = pack.questions[qid]
        value = resolved.values.get(qid, NOT_STATED)
        out.append(
            AnswerOut(
                question=qid,
                text=question.text,
                section=pack.sections[question.section].title,
                value=show(value),
                label=label(question, value),
                labels=tuple(label(question, [v]) for v in value)
                if isinstance(value, list)
                else (),
                source=resolved.assumed.get(qid, "given"),
                line=lines.get(qid),
            )
        )
    return tuple(out)


def _with_effects(
    pack: Pack, resolved: Resolved, threats: list[ThreatOut]
) -> tuple[Assumption, ...]:
    """Each assumption with the applying threats whose rules read that answer."""
    reads = {t.id: set(t.reads) for t in threats}
    return tuple(
        a.model_copy(update={"affects": tuple(t for t, qs in reads.items() if a.question in qs)})
        for a in resolved.assumptions
    )
