"""Conditions that can never hold, found without running them: the rule linter's defence
against a threat that silently never fires because of how it was written (each value exists,
but together they exclude every answer)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from threatmodel.language.conditions import (
    OPERATORS,
    All,
    AnyOf,
    Condition,
    Leaf,
    Named,
    Not,
    Ref,
    resolve_ref,
)
from threatmodel.language.questions import Question
from threatmodel.language.types import type_of


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
            question = self.questions[cond.q]
            return not type_of(question).possible(question, *cond.operator())
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
            if not isinstance(sub, Leaf):
                continue
            domain = type_of(self.questions[sub.q]).domain(self.questions[sub.q])
            if domain is None:
                continue
            op, operand = sub.operator()
            values = {v for v in domain if OPERATORS[op].holds(v, operand)}
            allowed[sub.q] = allowed.get(sub.q, values) & values
            if not allowed[sub.q]:
                return sub.q
        return None
