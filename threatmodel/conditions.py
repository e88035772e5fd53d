"""Conditions: a declarative tree of all / any / not around leaves that test one answer.

A condition is data. It is checked once, when the pack loads, against the type and choices of the
question each leaf names, so an evaluation can never fail on a typo; a leaf on a question hidden
by its branch (which therefore has no answer) is false, and `not` of it is true.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Union

from pydantic import Discriminator, Field, Tag

from threatmodel.model import Model

Scalar = Union[bool, int, float, str]  # noqa: UP007 - pydantic needs the runtime Union here
_OPERATORS = ("is", "any_of", "all_of", "none_of", "gt", "gte", "lt", "lte")
_NUMERIC = ("gt", "gte", "lt", "lte")
_ALLOWED = {
    "bool": {"is"},
    "choice": {"is", "any_of", "none_of"},
    "multi": {"any_of", "all_of", "none_of"},
    "number": set(_NUMERIC),
    "text": {"is"},
}


class Leaf(Model):
    """One test of one answer, e.g. `{q: outputs.exposed, any_of: [score, top_k]}`."""

    q: str = Field(description="The question id this leaf tests, `section.key`.")
    is_: Scalar | None = Field(None, alias="is", description="The answer equals this value.")
    any_of: list[str] | None = Field(
        None,
        min_length=1,
        description="choice: the answer is one of these; multi: it includes at least one.",
    )
    all_of: list[str] | None = Field(
        None, min_length=1, description="multi: the answer includes all of these."
    )
    none_of: list[str] | None = Field(
        None,
        min_length=1,
        description="choice: the answer is none of these; multi: it includes none of these.",
    )
    gt: float | None = Field(
        None, strict=True, description="number: the answer is greater than this."
    )
    gte: float | None = Field(None, strict=True, description="number: the answer is at least this.")
    lt: float | None = Field(None, strict=True, description="number: the answer is less than this.")
    lte: float | None = Field(None, strict=True, description="number: the answer is at most this.")

    def operator(self) -> tuple[str, Any]:
        """The one operator this leaf uses and its operand (the loader ensures there is one)."""
        ops = self.operators()
        return ops[0]

    def operators(self) -> list[tuple[str, Any]]:
        """Every operator given (a valid leaf has exactly one)."""
        values = {"is": self.is_, **{k: getattr(self, k) for k in _OPERATORS[1:]}}
        return [(k, v) for k, v in values.items() if v is not None]


class All(Model):
    """True when every condition in the list holds."""

    all: list[Condition] = Field(min_length=1, description="Conditions that must all hold.")


class AnyOf(Model):
    """True when at least one condition in the list holds."""

    any: list[Condition] = Field(min_length=1, description="Conditions of which one must hold.")


class Not(Model):
    """True when the inner condition does not hold."""

    not_: Condition = Field(alias="not", description="The condition that must not hold.")


class Ref(Model):
    """A named condition of the pack (`conditions.yaml`), e.g. `{ref: personal_data}`."""

    ref: str = Field(description="The name of a condition defined in a pack's conditions.yaml.")


_KINDS: dict[type, str] = {All: "<all>", AnyOf: "<any>", Not: "<not>", Leaf: "<leaf>", Ref: "<ref>"}


def _kind(data: Any) -> str | None:
    if isinstance(data, dict):
        for key in ("all", "any", "not", "ref"):
            if key in data:
                return f"<{key}>"
        return "<leaf>"
    return _KINDS.get(type(data))


Condition = Annotated[
    Annotated[All, Tag("<all>")]
    | Annotated[AnyOf, Tag("<any>")]
    | Annotated[Not, Tag("<not>")]
    | Annotated[Leaf, Tag("<leaf>")]
    | Annotated[Ref, Tag("<ref>")],
    Discriminator(_kind),
]


def leaves(
    cond: Condition, loc: tuple[str | int, ...] = ()
) -> Iterator[tuple[Leaf, tuple[str | int, ...]]]:
    """Every leaf of the tree with its location below the condition."""
    if isinstance(cond, Leaf):
        yield cond, loc
    elif isinstance(cond, Ref):  # pragma: no cover - the loader inlines every reference
        raise TypeError(f"condition reference '{cond.ref}' was not inlined")
    elif isinstance(cond, All):
        for i, sub in enumerate(cond.all):
            yield from leaves(sub, (*loc, "all", i))
    elif isinstance(cond, AnyOf):
        for i, sub in enumerate(cond.any):
            yield from leaves(sub, (*loc, "any", i))
    else:
        yield from leaves(cond.not_, (*loc, "not"))


def refs(
    cond: Condition, loc: tuple[str | int, ...] = ()
) -> Iterator[tuple[Ref, tuple[str | int, ...]]]:
    """Every reference to a named condition, with its location."""
    if isinstance(cond, Ref):
        yield cond, loc
    elif isinstance(cond, All | AnyOf):
        key = "all" if isinstance(cond, All) else "any"
        for i, sub in enumerate(cond.all if isinstance(cond, All) else cond.any):
            yield from refs(sub, (*loc, key, i))
    elif isinstance(cond, Not):
        yield from refs(cond.not_, (*loc, "not"))


def inline(cond: Condition, named: Mapping[str, Condition]) -> Condition:
    """The condition with every reference replaced by its (already inlined) definition."""
    if isinstance(cond, Ref):
        return named[cond.ref]
    if isinstance(cond, All):
        return All(all=[inline(c, named) for c in cond.all])
    if isinstance(cond, AnyOf):
        return AnyOf(any=[inline(c, named) for c in cond.any])
    if isinstance(cond, Not):
        return Not(not_=inline(cond.not_, named))
    return cond


def allowed_operators(qtype: str) -> set[str]:
    """The leaf operators that make sense for a question of this type."""
    return _ALLOWED[qtype]


def evaluate(cond: Condition, values: Mapping[str, Any]) -> bool:
    """Does the condition hold for these answers? `values` holds only visible questions."""
    return explain(cond, values)[0]


def explain(cond: Condition, values: Mapping[str, Any]) -> tuple[bool, list[str]]:
    """Whether the condition holds, and the question ids whose answers decided it."""
    if isinstance(cond, Leaf):
        return _leaf(cond, values), [cond.q]
    if isinstance(cond, Not):
        held, why = explain(cond.not_, values)
        return not held, why
    if isinstance(cond, Ref):  # pragma: no cover - the loader inlines every reference
        raise TypeError(f"condition reference '{cond.ref}' was not inlined")
    results = [explain(sub, values) for sub in (cond.all if isinstance(cond, All) else cond.any)]
    want_all = isinstance(cond, All)
    held = all(r[0] for r in results) if want_all else any(r[0] for r in results)
    # The answers that decided it: on success, every branch that agreed with the result;
    # on failure, the branches that broke it.
    deciding = [why for ok, why in results if ok == held]
    return held, [q for why in deciding for q in why]


def _leaf(leaf: Leaf, values: Mapping[str, Any]) -> bool:
    if leaf.q not in values:
        return False
    value = values[leaf.q]
    op, operand = leaf.operator()
    if op == "is":
        return bool(value == operand)
    if op in _NUMERIC:
        return _compare(op, float(value), float(operand))
    chosen = set(value) if isinstance(value, list) else {value}
    wanted = set(operand)
    if op == "any_of":
        return bool(chosen & wanted)
    if op == "all_of":
        return wanted <= chosen
    return not chosen & wanted  # none_of


def _compare(op: str, value: float, operand: float) -> bool:
    return {
        "gt": value > operand,
        "gte": value >= operand,
        "lt": value < operand,
        "lte": value <= operand,
    }[op]
