"""Resolving answers: which questions are visible, and what each answer counts as.

Questions are walked in order, so a branch sees only the answers before it, as when asked.
Answers to hidden questions are set aside (and recorded); unknown and missing answers take the
question's worst case (and are recorded as assumptions); derived facts are added last.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from threatmodel.engine.assessment import Assumption, Ignored
from threatmodel.engine.derived import derive
from threatmodel.language.conditions import Condition, Evaluation, Named, describe, questions_read
from threatmodel.language.questions import Question
from threatmodel.language.types import type_of
from threatmodel.language.values import UNKNOWN, show
from threatmodel.pack.layered import Pack

NOT_STATED = "not stated"


@dataclass
class Resolved:
    """Answers as they count."""

    values: dict[str, Any] = field(default_factory=dict)
    """Visible questions' answers (worst cases included) and derived facts."""
    visible: list[str] = field(default_factory=list)
    """Visible question ids, in order."""
    assumed: dict[str, str] = field(default_factory=dict)
    """Question id -> "unknown" or "missing", for every worst case (or unstated text) assumed."""
    assumptions: list[Assumption] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    named: Named = field(default_factory=dict)
    """The pack's named conditions, which conditions may refer to."""
    _evaluation: Evaluation | None = field(default=None, repr=False)

    def explain(self, cond: Condition) -> tuple[bool, list[str]]:
        """Whether `cond` holds for these answers, and the answers that decided it (named
        conditions are evaluated once for the whole assessment)."""
        if self._evaluation is None:
            self._evaluation = Evaluation(self.values, self.named)
        return self._evaluation.explain(cond)

    def holds(self, cond: Condition) -> bool:
        """Whether `cond` holds for these answers."""
        return self.explain(cond)[0]


def resolve(pack: Pack, given: Mapping[str, Any]) -> Resolved:
    """The answers as they count for this pack."""
    out = Resolved(named=pack.conditions)
    for qid, question in pack.questions.items():
        # Each branch sees the answers before it, so each gets an evaluation of its own.
        if question.when is not None and not Evaluation(out.values, out.named).holds(question.when):
            if qid in given:
                reason = _hidden_by(question.when, out)
                out.ignored.append(Ignored(question=qid, value=show(given[qid]), reason=reason))
            continue
        out.visible.append(qid)
        value = given.get(qid)
        if value is not None and value != UNKNOWN:
            out.values[qid] = value
        else:
            _assume(out, question, "unknown" if value == UNKNOWN else "missing")
    if pack.scoring is not None:
        out.values.update(derive(out.values, pack.scoring))
    return out


def _assume(out: Resolved, question: Question, source: str) -> None:
    if source == "missing":
        out.missing.append(question.id)
    out.assumed[question.id] = source
    if not type_of(question).has_worst_case:  # the report says it was not stated
        assumed, means = NOT_STATED, "Not stated; the report leaves it blank."
    else:
        out.values[question.id] = question.worst_case
        assumed, means = show(question.worst_case), question.worst_case_means.strip()
    out.assumptions.append(
        Assumption(
            question=question.id, text=question.text, answer=source, assumed=assumed, means=means
        )
    )


def _hidden_by(when: Condition, out: Resolved) -> str:
    seen = []
    for qid in questions_read(when, out.named):
        if qid in out.values:
            note = " (assumed)" if qid in out.assumed else ""
            seen.append(f"{qid} = {show(out.values[qid])}{note}")
        else:
            seen.append(f"{qid} is not asked")
    return f"asked only when {describe(when, out.named)}; here " + ", ".join(dict.fromkeys(seen))
