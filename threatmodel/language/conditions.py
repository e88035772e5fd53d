"""Conditions: a declarative tree of all / any / not around leaves that test one answer, and
references (`{ref: name}`) to the pack's named conditions.

A condition is data. It is checked once, when the pack loads, against the type and choices of the
question each leaf names, so an evaluation can never fail on a typo; a leaf on a question hidden
by its branch (which therefore has no answer) is false, and `not` of it is true. References stay
references: they are evaluated once per set of answers, never copied into the tree.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Discriminator, Field, Tag, create_model

from threatmodel.language.model import Model
from threatmodel.language.values import show

Scalar = Union[bool, int, float, str]  # noqa: UP007 - pydantic needs the runtime Union here


@dataclass(frozen=True)
class Operator:
    """One test a leaf can make of an answer. Adding an operator is one entry in OPERATORS, and
    naming it in the `operators` of the question types it applies to."""

    name: str
    """As written in a rule: `{q: outputs.exposed, any_of: [score]}`."""
    operand: Any
    """The operand's type, for validation and the pack's JSON Schema."""
    description: str
    holds: Callable[[Any, Any], bool]
    """(answer, operand) -> does the test pass? A multi answer is a list."""
    words: str
    """How `describe` says it: `outputs.exposed any of [score]`."""
    options: dict[str, Any] = field(default_factory=dict)
    """More pydantic Field options for the operand (`min_length`, `strict`)."""

    @property
    def attribute(self) -> str:
        """The Leaf attribute that holds it (`is` is a Python keyword)."""
        return self.name + "_" if keyword.iskeyword(self.name) else self.name


def _chosen(answer: Any) -> set[Any]:
    return set(answer) if isinstance(answer, list) else {answer}


OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("is", Scalar, "The answer equals this value.", lambda a, o: bool(a == o), "is"),
        Operator(
            "any_of",
            list[str],
            "choice: the answer is one of these; multi: it includes at least one.",
            lambda a, o: bool(_chosen(a) & set(o)),
            "any of",
            {"min_length": 1},
        ),
        Operator(
            "all_of",
            list[str],
            "multi: the answer includes all of these.",
            lambda a, o: set(o) <= _chosen(a),
            "all of",
            {"min_length": 1},
        ),
        Operator(
            "none_of",
            list[str],
            "choice: the answer is none of these; multi: it includes none of these.",
            lambda a, o: not _chosen(a) & set(o),
            "none of",
            {"min_length": 1},
        ),
        Operator(
            "gt",
            float,
            "number: the answer is greater than this.",
            lambda a, o: float(a) > o,
            "gt",
            {"strict": True},
        ),
        Operator(
            "gte",
            float,
            "number: the answer is at least this.",
            lambda a, o: float(a) >= o,
            "gte",
            {"strict": True},
        ),
        Operator(
            "lt",
            float,
            "number: the answer is less than this.",
            lambda a, o: float(a) < o,
            "lt",
            {"strict": True},
        ),
        Operator(
            "lte",
            float,
            "number: the answer is at most this.",
            lambda a, o: float(a) <= o,
            "lte",
            {"strict": True},
        ),
    )
}
"""The registry of leaf operators."""


class LeafBase(Model):
    """One test of one answer, e.g. `{q: outputs.exposed, any_of: [score, top_k]}`; its
    operator fields come from OPERATORS."""

    q: str = Field(description="The question id this leaf tests, `section.key`.")

    def operator(self) -> tuple[str, Any]:
        """The one operator this leaf uses and its operand (the loader ensures there is one)."""
        return self._operator

    @cached_property
    def _operator(self) -> tuple[str, Any]:
        # Found once per leaf: an assessment tests each leaf many times, 300 files per `check`.
        return self.operators()[0]

    def operators(self) -> list[tuple[str, Any]]:
        """Every operator given (a valid leaf has exactly one)."""
        given = ((op.name, getattr(self, op.attribute)) for op in OPERATORS.values())
        return [(name, value) for name, value in given if value is not None]

    def holds(self, values: Mapping[str, Any]) -> bool:
        """Does the answer pass the test? A question with no answer (hidden) fails it."""
        if self.q not in values:
            return False
        name, operand = self.operator()
        return OPERATORS[name].holds(values[self.q], operand)


if TYPE_CHECKING:
    Leaf = LeafBase
else:
    Leaf = create_model(
        "Leaf",
        __base__=LeafBase,
        __doc__=LeafBase.__doc__,
        **{
            op.attribute: (
                op.operand | None,
                Field(None, alias=op.name, description=op.description, **op.options),
            )
            for op in OPERATORS.values()
        },
    )


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
            return cond.holds(self.values), [cond.q]
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


def describe(cond: Condition, named: Named | None = None) -> str:
    """A condition in words, e.g. `access.rate_limited is true`; a named condition is spelled
    out where that stays readable, else given by its name."""
    return _Describer(named or {}).words(cond)


class _Describer:
    """Words for conditions, each named condition worded once."""

    LONGEST = 300  # a named condition worded longer than this is given by its name

    def __init__(self, named: Named) -> None:
        self.named = named
        self.memo: dict[str, str] = {}

    def words(self, cond: Condition) -> str:
        if isinstance(cond, Leaf):
            op, operand = cond.operator()
            return f"{cond.q} {OPERATORS[op].words} {show(operand)}"
        if isinstance(cond, Not):
            return f"not ({self.words(cond.not_)})"
        if isinstance(cond, Ref):
            return self._named(cond.ref)
        parts = [self.words(c) for c, _ in children(cond)]
        joiner = " and " if isinstance(cond, All) else " or "
        return "(" + joiner.join(parts) + ")" if len(parts) > 1 else parts[0]

    def _named(self, name: str) -> str:
        if name not in self.memo:
            text = self.words(self.named[name]) if name in self.named else ""
            self.memo[name] = text if text and len(text) <= self.LONGEST else name.replace("_", " ")
        return self.memo[name]
