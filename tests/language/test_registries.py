"""One registry of question types and one of condition operators: a new type is one class, a new
operator one entry, and the loader, linter, schema and documents follow from them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.conftest import Result
from threatmodel.language.conditions import OPERATORS, Leaf, describe
from threatmodel.language.questions import Question
from threatmodel.language.types import TYPES, NumberType
from threatmodel.pack.schemas import pack_schema


class PercentType(NumberType):
    """A share written as people write it: `45%`."""

    name = "percent"
    typing_hint = "a share such as 45%"
    operators: ClassVar[frozenset[str]] = frozenset({"gt", "lt"})

    def coerce(self, question: Question, value: Any) -> float:
        text = str(value).strip()
        number = float(text[:-1] if text.endswith("%") else text)
        if not 0 <= number <= 100:
            raise ValueError(f"{text} is not a share between 0% and 100%")
        return number

    def json_schema(self, question: Question) -> list[dict[str, Any]]:
        return [{"type": "string", "pattern": r"^\d+(\.\d+)?%$"}]


QUESTIONS = """\
sections:
  - {id: acme, title: Acme}
questions:
  - id: acme.share
    text: What share of the users are minors?
    help: For example 12%.
    type: percent
    worst_case: 100
"""
THREAT = """\
id: minor-share
title: Many minors
summary: Many users are minors.
description: A large share of minors raises every harm.
applies_when: {q: acme.share, gt: 40}
likelihood: {base: limited}
severity: {base: significant}
mitigations:
  - {id: age-check, title: Check ages, description: Check the age of users.}
"""


@pytest.fixture
def percent_pack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Result]
) -> Path:
    monkeypatch.setitem(TYPES, "percent", PercentType())  # type: ignore[index]
    pack = tmp_path / "acme"
    assert cli("rules", "init", pack).code == 0
    for stray in (pack / "threats").glob("*.yaml"):
        stray.unlink()
    (pack / "questions.yaml").write_text(QUESTIONS)
    (pack / "threats" / "minor-share.yaml").write_text(THREAT)
    return pack


def test_a_new_question_type_is_one_class(
    percent_pack: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("threatmodel: 1\nanswers:\n  acme:\n    share: 45%\n")
    result = cli("report", answers, "--rules", percent_pack, "--format", "json")
    assert result.code == 0, result.err
    assert '"id": "minor-share"' in result.out
    answers.write_text("threatmodel: 1\nanswers:\n  acme:\n    share: 120%\n")
    refused = cli("report", answers, "--rules", percent_pack)
    assert refused.err.strip().endswith("acme.share: 120% is not a share between 0% and 100%")
    schema = cli("schema", "answers", "--rules", percent_pack).out
    assert r'"pattern": "^\\d+(\\.\\d+)?%$"' in schema


def test_a_new_type_refuses_the_operators_it_does_not_take(
    percent_pack: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    threat = percent_pack / "threats" / "minor-share.yaml"
    threat.write_text(THREAT.replace("gt: 40", "gte: 40"))
    answers = tmp_path / "a.yaml"
    answers.write_text("threatmodel: 1\nanswers: {}\n")
    said = cli("report", answers, "--rules", percent_pack).err
    assert "'gte' does not apply to percent question 'acme.share'; use gt, lt" in said


def test_every_operator_is_a_leaf_key_in_the_schema_and_in_words() -> None:
    leaf_schema = pack_schema()["$defs"]["Leaf"]["properties"]
    for name, operator in OPERATORS.items():
        assert name in leaf_schema
        leaf = Leaf.model_validate({"q": "outputs.exposed", name: operator_example(name)})
        assert leaf.operator() == (name, operator_example(name))
        assert describe(leaf).startswith(f"outputs.exposed {operator.words} ")


def test_every_type_names_operators_that_exist() -> None:
    for kind in TYPES.values():
        assert kind.operators <= set(OPERATORS), kind.name


def operator_example(name: str) -> Any:
    return {"is": True, "gt": 1.0, "gte": 1.0, "lt": 1.0, "lte": 1.0}.get(name, ["label"])
