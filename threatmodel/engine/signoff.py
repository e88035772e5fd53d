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
from threatmodel.pack.answersfile import Answers, Signoff
from threatmodel.pack.layered import Pack


def snapshot(answers: Answers) -> dict[str, Any]:
    """The answers as a sign-off keeps them, to say later what changed."""
    return {q: answers.given[q] for q in sorted(answers.given)}


def pack_versions(pack: Pack) -> dict[str, str]:
    """Each pack's version and short sha256, as a sign-off records them."""
    return {p.name: f"{p.version} (sha256 {p.sha256[:12]})" for p in pack.packs}


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
                changed=() if holds else _changed(s, current, pack_versions(pack)),
            )
        )
    return tuple(out)


def _iso(value: dt.datetime | dt.date) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def _changed(signed: Signoff, now: dict[str, Any], packs: dict[str, str]) -> tuple[str, ...]:
    """What differs since a sign-off: answers by id (`q: old → new`), rule packs by name and
    the tool version (when the sign-off recorded them), else the rest."""
    then = signed.answers
    changed = [
        f"{q}: {show(then[q]) if q in then else '—'} → {show(now[q]) if q in now else '—'}"
        for q in sorted(then.keys() | now.keys())
        if then.get(q) != now.get(q)
    ]
    if not signed.packs:  # recorded before sign-offs kept their packs
        return tuple(changed) or ("measures, acceptances, rule packs or tool version",)
    changed += [
        f"rule pack {name}: {signed.packs.get(name, '—')} → {packs.get(name, '—')}"
        for name in sorted(signed.packs.keys() | packs.keys())
        if signed.packs.get(name) != packs.get(name)
    ]
    if signed.tool not in (None, __version__):
        changed.append(f"threatmodel: {signed.tool} → {__version__}")
    return tuple(changed) or ("measures or acceptances",)
