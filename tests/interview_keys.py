"""Keystrokes that answer the questionnaire through the real prompts, as a person would type."""

from __future__ import annotations

from typing import Any

from threatmodel.engine.resolve import resolve
from threatmodel.language.questions import Question
from threatmodel.language.values import UNKNOWN
from threatmodel.pack.layered import Pack

DOWN, ENTER, SPACE = "\x1b[B", "\r", " "


def keys_for(question: Question, value: Any) -> str:
    """The keys that give `value` at a fresh (not prefilled) prompt for `question`."""
    if question.type in ("text", "number"):
        return ("" if value == UNKNOWN else str(value)) + ENTER  # nothing typed: I don't know
    if question.type == "bool":
        options: list[Any] = [True, False, UNKNOWN]
        return DOWN * options.index(value) + ENTER
    options = [*question.choice_values, UNKNOWN]
    if question.type == "choice":
        return DOWN * options.index(value) + ENTER
    wanted = sorted(options.index(v) for v in (value if isinstance(value, list) else [value]))
    keys, at = "", 0
    for index in wanted:
        keys += DOWN * (index - at) + SPACE
        at = index
    return keys + ENTER


def interview_keys(pack: Pack, given: dict[str, Any]) -> list[tuple[str, str]]:
    """(question id, keys) for every question the interview will ask, in order, for answers that
    cover every visible question; missing ones are answered "I don't know"."""
    values = resolve(pack, given).values
    from threatmodel.language.conditions import evaluate

    out = []
    for qid, question in pack.questions.items():
        if question.when is not None and not evaluate(question.when, values, pack.conditions):
            continue
        out.append((qid, keys_for(question, given.get(qid, UNKNOWN))))
    return out
