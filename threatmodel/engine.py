"""The engine: a pure function of (pack, answers) to an Assessment. No I/O here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from threatmodel import __version__
from threatmodel.answers import Answers
from threatmodel.assessment import (
    AnswerOut,
    Assessment,
    Assumption,
    Ignored,
    PackRef,
)
from threatmodel.conditions import evaluate, leaves
from threatmodel.pack import Pack
from threatmodel.scoring import score_threat
from threatmodel.screening import screen
from threatmodel.values import UNKNOWN, show


@dataclass
class Resolved:
    """Answers as they count: hidden ones dropped, unknown and missing ones at their worst case."""

    values: dict[str, Any] = field(default_factory=dict)
    assumed: dict[str, str] = field(default_factory=dict)
    assumptions: list[Assumption] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def resolve(pack: Pack, given: Mapping[str, Any]) -> Resolved:
    """Walk the questions in order: branches see only the answers before them, as when asked."""
    out = Resolved()
    for qid, question in pack.questions.items():
        if question.when is not None and not evaluate(question.when, out.values):
            if qid in given:
                out.ignored.append(
                    Ignored(
                        question=qid,
                        value=show(given[qid]),
                        reason=_hidden_by(question.when, out.values),
                    )
                )
            continue
        value = given.get(qid)
        if value is not None and value != UNKNOWN:
            out.values[qid] = value
            continue
        source = "unknown" if value == UNKNOWN else "missing"
        if source == "missing":
            out.missing.append(qid)
        if question.type == "text":
            continue
        out.values[qid] = question.worst_case
        out.assumed[qid] = source
        out.assumptions.append(
            Assumption(
                question=qid,
                text=question.text,
                answer=source,
                assumed=show(question.worst_case),
                means=question.worst_case_means,
            )
        )
    return out


def _hidden_by(when: Any, values: Mapping[str, Any]) -> str:
    shown = [
        f"{leaf.q} = {show(values[leaf.q])}" if leaf.q in values else f"{leaf.q} not answered"
        for leaf, _ in leaves(when)
    ]
    return "asked only when its condition holds; here " + ", ".join(dict.fromkeys(shown))


def assess(pack: Pack, answers: Answers, generated_at: dt.datetime) -> Assessment:
    """Which threats apply to these answers, how they score, and every assumption made."""
    resolved = resolve(pack, answers.given)
    scale = pack.scale
    threats = [
        result
        for threat in pack.threats.values()
        if (result := score_threat(threat, resolved, scale, answers.file)) is not None
    ]
    threats.sort(
        key=lambda t: (-scale.risk.index(t.risk), -scale.risk.index(t.residual_risk), t.id)
    )
    return Assessment(
        tool_version=__version__,
        generated_at=generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        packs=tuple(PackRef(name=p.name, version=p.version, sha256=p.sha256) for p in pack.packs),
        answers_file=answers.path.name,
        answers_sha256=answers.sha256,
        system={k: str(answers.given.get(f"system.{k}", "")) for k in ("name", "purpose", "owner")},
        overall_risk=_highest([t.risk for t in threats], scale.risk),
        overall_residual_risk=_highest([t.residual_risk for t in threats], scale.risk),
        risk_levels=scale.risk,
        likelihood_levels=scale.likelihood,
        severity_levels=scale.severity,
        threats=tuple(threats),
        assumptions=tuple(resolved.assumptions),
        ignored=tuple(resolved.ignored),
        answers=_answers_out(pack, answers.given, resolved),
        screening=screen(pack.screening, resolved) if pack.screening else None,
        parameters={"enumeration": scale.enumeration.model_dump()},
    )


def _highest(levels: list[str], scale: tuple[str, ...]) -> str:
    return max(levels, key=scale.index) if levels else "none"


def _answers_out(pack: Pack, given: Mapping[str, Any], resolved: Resolved) -> tuple[AnswerOut, ...]:
    out = []
    for qid, question in pack.questions.items():
        if qid in resolved.values:
            value, source = resolved.values[qid], resolved.assumed.get(qid, "given")
        elif (
            qid in given
            and given[qid] != UNKNOWN
            and qid not in {i.question for i in resolved.ignored}
        ):
            value, source = given[qid], "given"
        else:
            continue
        section = pack.sections[question.section].title
        out.append(
            AnswerOut(
                question=qid, text=question.text, section=section, value=show(value), source=source
            )
        )
    return tuple(out)
