"""Rule packs change under answers files: what the report says about it.

Deprecated questions that were answered and deprecated threats that apply are named, and when
the answers were given under an older version of a pack, the questions that pack added or
changed since then are listed, so that a team knows what to answer again."""

from __future__ import annotations

from threatmodel.engine.assessment import ThreatOut
from threatmodel.pack.answersfile import Answers
from threatmodel.pack.layered import Pack
from threatmodel.pack.versions import newer


def notices(pack: Pack, answers: Answers, threats: list[ThreatOut]) -> tuple[str, ...]:
    """Sentences for the report (and warnings for the terminal)."""
    out = [
        f"question {qid} is {pack.questions[qid].deprecated.describe()}"  # type: ignore[union-attr]
        for qid in answers.given
        if pack.questions[qid].deprecated is not None
    ]
    out += [f"threat {t.id} is {t.deprecated}" for t in threats if t.deprecated]
    return tuple(out + _since_answered(pack, answers))


def _since_answered(pack: Pack, answers: Answers) -> list[str]:
    recorded = answers.file.provenance.packs if answers.file.provenance else ()
    answered_under = {p.name: p.version for p in recorded}
    out = []
    for info in pack.packs:
        then = answered_under.get(info.name)
        if then is None and answered_under:
            out.append(f"pack {info.name} {info.version} is new since the answers were given")
            continue
        if then is None or then == info.version:
            continue
        changed = [
            q.id
            for q in pack.questions.values()
            if pack.owner.get(q.id) == info.name
            and any(v is not None and newer(v, then) for v in (q.since, q.changed))
        ]
        listed = f": new or changed questions {', '.join(changed)}" if changed else ""
        out.append(f"answered under {info.name} {then}; now {info.name} {info.version}{listed}")
    return out
