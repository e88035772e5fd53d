"""Conditions that can never hold, found without running them: the rule linter's defence
against a threat that silently never fires because of how it was written (each value exists,
but together they exclude every answer)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from threatmodel.language.conditions import (
    All,
    AnyOf,
    Condition,
    Leaf,
    Named,
    Not,
    Ref,
    resolve_ref,
)
from threatmodel.pack.models import Question


def impossible(
    cond: Condition, questions: Mapping[str, Question], named: Named | None = None
) -> list[str]:
    """Why `cond` can never hold (empty when it can, as far as a structural check tells)."""
    check = _Check(questions, named or {})
    if check.never(cond):
        return ["can never hold: " + check.why(cond)]
    return []


@dataclass
class _Check:
    questions: Mapping[str, Question]
    named: Named
    memo: dict[str, bool] = field(default_factory=dict)

    def never(self, cond: Condition) -> bool:
        if isinstance(cond, Ref):
            if cond.ref not in self.memo:
                self.memo[cond.ref] = self.never(self.named[cond.ref])
            return self.memo[cond.ref]
        if isinstance(cond, Leaf):
            return not _possible_values(cond, self.questions[cond.q])
        if isinstance(cond, Not):
            return False  # negations are left alone: a hidden question makes them true
        if isinstance(cond, AnyOf):
            return all(self.never(c) for c in cond.any)
        assert isinstance(cond, All)
        return any(self.never(c) for c in cond.all) or bool(self.clash(cond))

    def why(self, cond: Condition) -> str:
        cond = resolve_ref(cond, self.named)
        if isinstance(cond, All):
            clash = self.clash(cond)
            if clash:
                return f"no answer to {clash} satisfies all its tests"
            for sub in cond.all:
                if self.never(sub):
                    return self.why(sub)
        if isinstance(cond, Leaf):
            return f"no answer to {cond.q} satisfies {cond.operator()[0]} {cond.operator()[1]}"
        return "none of its branches can hold"

    def clash(self, cond: All) -> str | None:
        """A choice or yes/no question tested twice in one `all` with no answer passing both."""
        allowed: dict[str, set[Any]] = {}
        for written in cond.all:
            sub = resolve_ref(written, self.named)
            if isinstance(sub, Leaf) and self.questions[sub.q].type in ("choice", "bool"):
                values = _possible_values(sub, self.questions[sub.q])
                allowed[sub.q] = allowed.get(sub.q, values) & values
                if not allowed[sub.q]:
                    return sub.q
        return None


def _possible_values(leaf: Leaf, question: Question) -> set[Any]:
    """The answers that satisfy a leaf, for questions with finitely many answers; for the rest a
    stand-in that is empty exactly when no answer can satisfy it."""
    op, operand = leaf.operator()
    if question.type == "bool":
        return {v for v in (True, False) if _holds(op, operand, v)}
    if question.type == "choice":
        return {v for v in question.choice_values if _holds(op, operand, v)}
    if question.type == "multi":
        return _multi(op, operand, question)
    if question.type == "number":
        return _number(op, operand, question)
    return {"text"}


def _holds(op: str, operand: Any, value: Any) -> bool:
    if op == "is":
        return bool(value == operand)
    if op == "any_of":
        return value in operand
    return value not in operand  # none_of


def _multi(op: str, operand: list[str], question: Question) -> set[Any]:
    exclusive = {c.value for c in question.choices if c.exclusive}
    if op == "all_of":
        together = len(operand) > 1 and bool(exclusive & set(operand))
        return set() if together else {"ok"}
    if op == "none_of":
        return set(question.choice_values) - set(operand)
    return set(operand)  # any_of


def _number(op: str, operand: float, question: Question) -> set[Any]:
    low, high = question.minimum, question.maximum
    if op in ("gt", "gte") and high is not None:
        ok = high > operand if op == "gt" else high >= operand
        return {"ok"} if ok else set()
    if op in ("lt", "lte") and low is not None:
        ok = low < operand if op == "lt" else low <= operand
        return {"ok"} if ok else set()
    return {"ok"}
