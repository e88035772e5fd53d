"""Conditions: a declarative tree of all / any / not around leaves that test one answer, and
references (`{ref: name}`) to the pack's named conditions.

A condition is data. It is checked once, when the pack loads, against the type and choices of the
question each leaf names, so an evaluation can never fail on a typo; a leaf on a question hidden
by its branch (which therefore has no answer) is false, and `not` of it is true. References stay
references: they are evaluated once per set of answers, never copied into the tree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Union

from pydantic import Discriminator, Field, Tag

from threatmodel.language.model import Model

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


MAX_DEPTH = 64
"""How deep a condition may nest, counting through named conditions: real rules nest a few
levels; a chain of references thousands deep only exhausts the stack."""

Named = Mapping[str, Condition]
_NO_NAMES: dict[str, Condition] = {}


def children(cond: Condition) -> list[tuple[Condition, tuple[str | int, ...]]]:
    """The direct sub-conditions of `cond` with their location below it (a reference has none:
    its definition is checked and walked once, where it is defined)."""
    if isinstance(cond, All):
        return [(sub, ("all", i)) for i, sub in enumerate(cond.all)]
    if isinstance(cond, AnyOf):
        return [(sub, ("any", i)) for i, sub in enumerate(cond.any)]
    if isinstance(cond, Not):
        return [(cond.not_, ("not",))]
    return []


def leaves(
    cond: Condition, loc: tuple[str | int, ...] = ()
) -> Iterator[tuple[Leaf, tuple[str | int, ...]]]:
    """Every leaf written in this condition, with its location (not those of named conditions
    it refers to: see `questions_read`)."""
    if isinstance(cond, Leaf):
        yield cond, loc
    for sub, at in children(cond):
        yield from leaves(sub, (*loc, *at))


def refs(
    cond: Condition, loc: tuple[str | int, ...] = ()
) -> Iterator[tuple[Ref, tuple[str | int, ...]]]:
    """Every reference to a named condition written in this condition, with its location."""
    if isinstance(cond, Ref):
        yield cond, loc
    for sub, at in children(cond):
        yield from refs(sub, (*loc, *at))


def questions_read(cond: Condition, named: Named = _NO_NAMES) -> list[str]:
    """The question ids a condition reads, through the named conditions it refers to, in order
    of first use; each named condition is walked once, however often it is referred to."""
    seen: dict[str, None] = {}
    visited: set[str] = set()
    stack = [cond]
    while stack:
        node = stack.pop()
        if isinstance(node, Leaf):
            seen.setdefault(node.q)
        elif isinstance(node, Ref):
            if node.ref not in visited:
                visited.add(node.ref)
                stack.append(named[node.ref])
        else:
            stack.extend(sub for sub, _ in reversed(children(node)))
    return list(seen)


def depth(cond: Condition, named_depths: Mapping[str, int]) -> int:
    """Nesting depth of `cond`, a reference counting as deep as its definition."""
    if isinstance(cond, Leaf):
        return 1
    if isinstance(cond, Ref):
        return named_depths.get(cond.ref, 1)
    return 1 + max(depth(sub, named_depths) for sub, _ in children(cond))


def resolve_ref(cond: Condition, named: Named) -> Condition:
    """The condition a chain of references stands for (the condition itself if not a ref)."""
    while isinstance(cond, Ref):
        cond = named[cond.ref]
    return cond


def allowed_operators(qtype: str) -> set[str]:
    """The leaf operators that make sense for a question of this type."""
    return _ALLOWED[qtype]


class Evaluation:
    """Conditions evaluated against one set of answers. A named condition is evaluated once
    and remembered, so a pack whose conditions refer to each other many times over costs what
    its text costs, never the size of the tree those references would unfold into."""

    def __init__(self, values: Mapping[str, Any], named: Named = _NO_NAMES) -> None:
        self.values = values
        self.named = named
        self._memo: dict[str, tuple[bool, list[str]]] = {}

    def holds(self, cond: Condition) -> bool:
        """Does the condition hold for these answers?"""
        return self.explain(cond)[0]

    def explain(self, cond: Condition) -> tuple[bool, list[str]]:
        """Whether the condition holds, and the question ids whose answers decided it (each
        once, in order of first use)."""
        if isinstance(cond, Leaf):
            return _leaf(cond, self.values), [cond.q]
        if isinstance(cond, Ref):
            if cond.ref not in self._memo:
                self._memo[cond.ref] = self.explain(self.named[cond.ref])
            return self._memo[cond.ref]
        if isinstance(cond, Not):
            held, why = self.explain(cond.not_)
            return not held, why
        results = [self.explain(sub) for sub, _ in children(cond)]
        want_all = isinstance(cond, All)
        held = all(r[0] for r in results) if want_all else any(r[0] for r in results)
        # The answers that decided it: on success, every branch that agreed with the result;
        # on failure, the branches that broke it.
        deciding = (q for ok, why in results if ok == held for q in why)
        return held, list(dict.fromkeys(deciding))


def evaluate(cond: Condition, values: Mapping[str, Any], named: Named = _NO_NAMES) -> bool:
    """Does the condition hold for these answers? `values` holds only visible questions."""
    return Evaluation(values, named).holds(cond)


def explain(
    cond: Condition, values: Mapping[str, Any], named: Named = _NO_NAMES
) -> tuple[bool, list[str]]:
    """Whether the condition holds, and the question ids whose answers decided it."""
    return Evaluation(values, named).explain(cond)


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
