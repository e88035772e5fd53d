"""A threat told for this system: the pack's sentences whose conditions hold, with each
`{question.id}` replaced by the answer in words (`{adversary.actors}` -> "stalkers and
criminals"). Organisation packs write their own sentences the same way."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from threatmodel import locales
from threatmodel.engine.resolve import Resolved
from threatmodel.language.numbers import format_number
from threatmodel.language.questions import Question
from threatmodel.locales import _
from threatmodel.pack.models import Threat
from threatmodel.pack.phrases import PLACEHOLDER


def in_words(question: Question, value: Any) -> str:
    """An answer as a phrase inside a sentence: choices by their short phrase, lists as
    `a, b and c`, numbers as people write them."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return locales.number(format_number(value))
    phrases = {c.value: c.phrase or c.label[:1].lower() + c.label[1:] for c in question.choices}
    if isinstance(value, list):
        items = [phrases.get(str(v), str(v)) for v in value]
        last = " " + _("and") + " "
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + last + items[-1]
    return phrases.get(str(value), str(value))


def tell(threat: Threat, resolved: Resolved, questions: Mapping[str, Question]) -> str:
    """The threat in this system: its sentences that hold, answers filled in."""

    def fill(match: re.Match[str]) -> str:
        qid = match.group(1)
        if qid not in resolved.values or qid not in questions:
            return _("(not asked)")
        return in_words(questions[qid], resolved.values[qid])

    said = [
        PLACEHOLDER.sub(fill, " ".join(p.text.split()))
        for p in threat.in_this_system
        if p.when is None or resolved.holds(p.when)
    ]
    return " ".join(said)
