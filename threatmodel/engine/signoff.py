"""Sign-offs kept honest: a sign-off records the digest of what it approved (the answers as
counted, the decisions, the packs and the tool version); it holds while the assessment still
has that digest, and when it does not, what changed since is named."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from threatmodel import __version__
from threatmodel.engine.assessment import SignoffOut
from threatmodel.language.values import show
from threatmodel.pack.answersfile import Answers
from threatmodel.pack.layered import Pack


def snapshot(answers: Answers) -> dict[str, Any]:
    """The answers as a sign-off keeps them, to say later what changed."""
    return {q: answers.given[q] for q in sorted(answers.given)}


def digest(answers: Answers, pack: Pack) -> str:
    """The sha256 of what a sign-off approves: answers, measures, acceptances, packs, tool."""
    content = {
        "answers": {q: show(v) for q, v in snapshot(answers).items()},
        "measures": [m.model_dump(mode="json") for m in answers.file.measures],
        "acceptances": [a.model_dump(mode="json") for a in answers.file.acceptances],
        "packs": [[p.name, p.version, p.sha256] for p in pack.packs],
        "tool": __version__,
    }
    text = json.dumps(content, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def standing(answers: Answers, pack: Pack) -> tuple[SignoffOut, ...]:
    """Every sign-off of the file, and whether it still holds."""
    now = digest(answers, pack)
    current = snapshot(answers)
    out = []
    for s in answers.file.signoffs:
        holds = s.sha256 == now
        out.append(
            SignoffOut(
                role=s.role,
                by=s.by,
                at=_iso(s.at),
                decision=s.decision,
                note=s.note,
                holds=holds,
                changed=() if holds else _changed(s.answers, current),
            )
        )
    return tuple(out)


def _iso(value: dt.datetime | dt.date) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def _changed(then: dict[str, Any], now: dict[str, Any]) -> tuple[str, ...]:
    """What differs since a sign-off: answers by id (`q: old → new`), else the rest."""
    answers = [
        f"{q}: {show(then[q]) if q in then else '—'} → {show(now[q]) if q in now else '—'}"
        for q in sorted(then.keys() | now.keys())
        if then.get(q) != now.get(q)
    ]
    return tuple(answers) or ("measures, acceptances, rule packs or tool version",)
