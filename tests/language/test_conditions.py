"""Unit tests of the condition tree: all / any / not around leaves that test one answer."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from threatmodel.language.conditions import (
    All,
    AnyOf,
    Condition,
    Leaf,
    Not,
    evaluate,
    explain,
    leaves,
)
from threatmodel.language.types import TYPES

_ADAPTER: TypeAdapter[Any] = TypeAdapter(Condition)

# One answer of each question type, as the engine hands them to conditions.
VALUES: dict[str, Any] = {
    "access.rate_limited": True,  # bool
    "access.cheap_identities": False,  # bool
    "access.exposure": "public",  # choice
    "outputs.exposed": ["label", "score"],  # multi
    "inputs.space_size": 10,  # number (int)
    "training.generalisation_gap": 0.05,  # number (float)
    "system.name": "SMS spam filter",  # text
}


def cond(data: dict[str, Any]) -> Any:
    """A condition parsed exactly as a pack file would be."""
    return _ADAPTER.validate_python(data)


# ----------------------------------------------------------------------------- parsing


def test_parsing_picks_the_node_kind() -> None:
    assert isinstance(cond({"q": "access.rate_limited", "is": True}), Leaf)
    assert isinstance(cond({"all": [{"q": "access.rate_limited", "is": True}]}), All)
    assert isinstance(cond({"any": [{"q": "access.rate_limited", "is": True}]}), AnyOf)
    parsed = cond({"not": {"q": "access.rate_limited", "is": True}})
    assert isinstance(parsed, Not)
    assert parsed.not_ == Leaf(q="access.rate_limited", is_=True)


def test_leaf_operator_is_the_one_given() -> None:
    assert cond({"q": "inputs.space_size", "gte": 3}).operator() == ("gte", 3.0)
    assert cond({"q": "outputs.exposed", "none_of": ["score"]}).operator() == ("none_of", ["score"])
    assert cond({"q": "access.rate_limited", "is": False}).operator() == ("is", False)


def test_leaves_lists_every_leaf_with_its_location() -> None:
    tree = cond(
        {
            "all": [
                {"q": "access.rate_limited", "is": True},
                {
                    "any": [
                        {"q": "access.exposure", "is": "public"},
                        {"not": {"q": "inputs.space_size", "gt": 1}},
                    ]
                },
            ]
        }
    )
    found = [(leaf.q, loc) for leaf, loc in leaves(tree)]
    assert found == [
        ("access.rate_limited", ("all", 0)),
        ("access.exposure", ("all", 1, "any", 0)),
        ("inputs.space_size", ("all", 1, "any", 1, "not")),
    ]


@pytest.mark.parametrize(
    ("qtype", "allowed"),
    [
        ("bool", {"is"}),
        ("choice", {"is", "any_of", "none_of"}),
        ("multi", {"any_of", "all_of", "none_of"}),
        ("number", {"gt", "gte", "lt", "lte"}),
        ("text", {"is"}),
    ],
)
def test_allowed_operators_per_type(qtype: str, allowed: set[str]) -> None:
    assert TYPES[qtype].operators == allowed


# ----------------------------------------------------------------------------- leaves


@pytest.mark.parametrize(
    ("leaf", "expected"),
    [
        # is, on bool, choice and text
        ({"q": "access.rate_limited", "is": True}, True),
        ({"q": "access.rate_limited", "is": False}, False),
        ({"q": "access.cheap_identities", "is": False}, True),
        ({"q": "access.cheap_identities", "is": True}, False),
        ({"q": "access.exposure", "is": "public"}, True),
        ({"q": "access.exposure", "is": "internal"}, False),
        ({"q": "system.name", "is": "SMS spam filter"}, True),
        ({"q": "system.name", "is": "sms spam filter"}, False),
        # any_of / none_of on a choice
        ({"q": "access.exposure", "any_of": ["internal", "public"]}, True),
        ({"q": "access.exposure", "any_of": ["internal", "partners"]}, False),
        ({"q": "access.exposure", "none_of": ["internal", "partners"]}, True),
        ({"q": "access.exposure", "none_of": ["partners", "public"]}, False),
        # any_of / all_of / none_of on a multi
        ({"q": "outputs.exposed", "any_of": ["score"]}, True),
        ({"q": "outputs.exposed", "any_of": ["embedding", "label"]}, True),
        ({"q": "outputs.exposed", "any_of": ["embedding", "top_k"]}, False),
        ({"q": "outputs.exposed", "all_of": ["label"]}, True),
        ({"q": "outputs.exposed", "all_of": ["score", "label"]}, True),
        ({"q": "outputs.exposed", "all_of": ["label", "embedding"]}, False),
        ({"q": "outputs.exposed", "none_of": ["embedding", "top_k"]}, True),
        ({"q": "outputs.exposed", "none_of": ["embedding", "score"]}, False),
        # numeric comparisons, at and around the boundary
        ({"q": "inputs.space_size", "gt": 10}, False),
        ({"q": "inputs.space_size", "gt": 9.99}, True),
        ({"q": "inputs.space_size", "gte": 10}, True),
        ({"q": "inputs.space_size", "gte": 10.01}, False),
        ({"q": "inputs.space_size", "lt": 10}, False),
        ({"q": "inputs.space_size", "lt": 10.01}, True),
        ({"q": "inputs.space_size", "lte": 10}, True),
        ({"q": "inputs.space_size", "lte": 9.99}, False),
        ({"q": "training.generalisation_gap", "lt": 0.05}, False),
        ({"q": "training.generalisation_gap", "gte": 0.05}, True),
        ({"q": "training.generalisation_gap", "gt": 0.049}, True),
        ({"q": "training.generalisation_gap", "lte": 0.049}, False),
    ],
)
def test_leaf(leaf: dict[str, Any], expected: bool) -> None:
    assert evaluate(cond(leaf), VALUES) is expected
    assert explain(cond(leaf), VALUES) == (expected, [leaf["q"]])


@pytest.mark.parametrize(
    "leaf",
    [
        {"q": "training.records", "is": True},
        {"q": "training.records", "is": False},
        {"q": "training.records", "is": "x"},
        {"q": "training.records", "any_of": ["a"]},
        {"q": "training.records", "all_of": ["a"]},
        {"q": "training.records", "none_of": ["a"]},
        {"q": "training.records", "gt": 0},
        {"q": "training.records", "gte": 0},
        {"q": "training.records", "lt": 1e300},
        {"q": "training.records", "lte": 1e300},
    ],
)
def test_leaf_on_absent_question_is_false_and_its_negation_true(leaf: dict[str, Any]) -> None:
    # A question hidden by its branch has no answer: every test of it fails, even none_of.
    assert evaluate(cond(leaf), VALUES) is False
    assert evaluate(cond({"not": leaf}), VALUES) is True
    assert explain(cond({"not": leaf}), VALUES) == (True, ["training.records"])


def test_leaf_on_absent_question_inside_trees() -> None:
    absent = {"q": "training.records", "lt": 10_000}
    present = {"q": "access.rate_limited", "is": True}
    assert evaluate(cond({"all": [present, absent]}), VALUES) is False
    assert evaluate(cond({"any": [absent, present]}), VALUES) is True
    assert evaluate(cond({"any": [absent]}), VALUES) is False
    assert evaluate(cond({"all": [present, {"not": absent}]}), VALUES) is True
    assert evaluate(cond({"q": "access.rate_limited", "is": True}), {}) is False


# ----------------------------------------------------------------------------- all / any / not

TRUE_A = {"q": "access.rate_limited", "is": True}
TRUE_B = {"q": "access.exposure", "is": "public"}
FALSE_C = {"q": "outputs.exposed", "any_of": ["embedding"]}
FALSE_D = {"q": "inputs.space_size", "gt": 100}


@pytest.mark.parametrize(
    ("tree", "expected"),
    [
        ({"all": [TRUE_A]}, True),
        ({"all": [TRUE_A, TRUE_B]}, True),
        ({"all": [TRUE_A, FALSE_C]}, False),
        ({"all": [FALSE_C, TRUE_A]}, False),
        ({"all": [FALSE_C, FALSE_D]}, False),
        ({"any": [TRUE_A]}, True),
        ({"any": [FALSE_C, TRUE_A]}, True),
        ({"any": [TRUE_A, TRUE_B]}, True),
        ({"any": [FALSE_C]}, False),
        ({"any": [FALSE_C, FALSE_D]}, False),
        ({"not": TRUE_A}, False),
        ({"not": FALSE_C}, True),
        ({"not": {"not": TRUE_A}}, True),
        ({"not": {"all": [TRUE_A, FALSE_C]}}, True),
        ({"not": {"any": [TRUE_A, FALSE_C]}}, False),
        ({"all": [TRUE_A, {"any": [FALSE_C, TRUE_B]}]}, True),
        ({"all": [TRUE_A, {"any": [FALSE_C, FALSE_D]}]}, False),
        ({"any": [FALSE_C, {"all": [TRUE_A, {"not": FALSE_D}]}]}, True),
        ({"any": [FALSE_C, {"all": [TRUE_A, {"not": TRUE_B}]}]}, False),
    ],
)
def test_tree(tree: dict[str, Any], expected: bool) -> None:
    assert evaluate(cond(tree), VALUES) is expected


@pytest.mark.parametrize(
    ("tree", "expected"),
    [
        # all that holds: every branch decided it
        ({"all": [TRUE_A, TRUE_B]}, (True, ["access.rate_limited", "access.exposure"])),
        # all that fails: only the branches that broke it
        ({"all": [TRUE_A, FALSE_C, TRUE_B]}, (False, ["outputs.exposed"])),
        ({"all": [FALSE_D, TRUE_A, FALSE_C]}, (False, ["inputs.space_size", "outputs.exposed"])),
        # any that holds: only the branches that held
        ({"any": [FALSE_C, TRUE_B, FALSE_D]}, (True, ["access.exposure"])),
        ({"any": [TRUE_A, FALSE_C, TRUE_B]}, (True, ["access.rate_limited", "access.exposure"])),
        # any that fails: every branch failed
        ({"any": [FALSE_C, FALSE_D]}, (False, ["outputs.exposed", "inputs.space_size"])),
        # not: the inner condition's deciding questions
        ({"not": FALSE_C}, (True, ["outputs.exposed"])),
        ({"not": {"all": [TRUE_A, FALSE_C]}}, (True, ["outputs.exposed"])),
        # nested: the deciding leaves all the way down
        (
            {"all": [TRUE_A, {"any": [FALSE_C, TRUE_B]}, {"not": FALSE_D}]},
            (True, ["access.rate_limited", "access.exposure", "inputs.space_size"]),
        ),
        (
            {"all": [TRUE_A, {"any": [FALSE_C, FALSE_D]}]},
            (False, ["outputs.exposed", "inputs.space_size"]),
        ),
    ],
)
def test_explain_returns_the_deciding_questions(
    tree: dict[str, Any], expected: tuple[bool, list[str]]
) -> None:
    assert explain(cond(tree), VALUES) == expected


def test_evaluate_agrees_with_explain() -> None:
    tree = cond({"any": [FALSE_C, {"all": [TRUE_A, {"not": FALSE_D}]}]})
    assert evaluate(tree, VALUES) == explain(tree, VALUES)[0] is True
