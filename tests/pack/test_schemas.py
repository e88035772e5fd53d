"""The published JSON Schemas accept what the loader accepts, and point at what it refuses."""

from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from threatmodel.language.numbers import parse_number
from threatmodel.language.types import NUMBER_PATTERN
from threatmodel.pack.layered import Pack
from threatmodel.pack.load import load_packs
from threatmodel.pack.schemas import answers_schema, pack_schema, to_text

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
ANSWER_FILES = [*sorted((ROOT / "examples").glob("*.yaml")), RULES / "baseline.yaml"]
PACK_FILES = [
    *(RULES / name for name in ("pack.yaml", "questions.yaml", "conditions.yaml")),
    *(RULES / name for name in ("scoring.yaml", "screening.yaml")),
    *sorted((RULES / "threats").glob("*.yaml")),
]
Validator = jsonschema.Draft202012Validator

DECISIONS = """
threatmodel: 1
answers:
  access: {exposure: public}
measures:
  - {threat: input-enumeration, measure: rate-limit, status: planned, owner: Risk, due: 2027-01-31}
  - threat: model-extraction
    measure: Watermark the scores
    status: implemented
    reduces: {likelihood: 1}
acceptances:
  - threat: location-disclosure
    justification: Country-level only; reviewed with the DPO
    approved_by: DPO
    expires: 2027-06-30
provenance:
  answered_by: alice
  answered_at: "2026-01-01T00:00:00Z"
  packs: [{name: core, version: 0.1.0}]
"""


# Function scope, so that the pack cache goes where conftest's autouse fixture puts it.
@pytest.fixture
def pack() -> Pack:
    return load_packs()


@pytest.fixture
def answers_validator(pack: Pack) -> jsonschema.protocols.Validator:
    # The format checker makes the ISO dates of measures and acceptances count.
    return Validator(answers_schema(pack), format_checker=Validator.FORMAT_CHECKER)


def _jsonable(data: Any) -> Any:
    """What an editor validates: YAML's dates (`due: 2027-01-31`) as the ISO text they were."""
    if isinstance(data, dict):
        return {k: _jsonable(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_jsonable(v) for v in data]
    if isinstance(data, dt.date):
        return data.isoformat()
    return data


def _load(path: Path) -> Any:
    return _jsonable(yaml.safe_load(path.read_text(encoding="utf-8")))


def _errors(validator: jsonschema.protocols.Validator, doc: Any) -> list[tuple[list[Any], str]]:
    return [(list(e.absolute_path), e.validator) for e in validator.iter_errors(doc)]


@pytest.mark.parametrize("schema_of", [answers_schema, lambda _: pack_schema()])
def test_schemas_are_valid_2020_12(schema_of: Any, pack: Pack) -> None:
    Validator.check_schema(schema_of(pack))


@pytest.mark.parametrize("path", ANSWER_FILES, ids=lambda p: p.name)
def test_answers_schema_accepts_examples_and_baseline(
    path: Path, answers_validator: jsonschema.protocols.Validator
) -> None:
    assert _errors(answers_validator, _load(path)) == []


def test_answers_schema_accepts_decisions_and_provenance(
    answers_validator: jsonschema.protocols.Validator,
) -> None:
    assert _errors(answers_validator, _jsonable(yaml.safe_load(DECISIONS))) == []


def test_every_question_appears_with_its_id(pack: Pack) -> None:
    sections = answers_schema(pack)["properties"]["answers"]["properties"]
    for qid, question in pack.questions.items():
        key = qid.split(".", 1)[1]
        assert sections[question.section]["properties"][key]["title"] == qid


def test_every_question_accepts_unknown(
    pack: Pack, answers_validator: jsonschema.protocols.Validator
) -> None:
    answers: dict[str, dict[str, Any]] = {}
    for qid, question in pack.questions.items():
        answers.setdefault(question.section, {})[qid.split(".", 1)[1]] = "unknown"
    assert _errors(answers_validator, {"threatmodel": 1, "answers": answers}) == []


ACCEPTANCE = {"threat": "model-inversion", "justification": "j", "approved_by": "DPO"}
MISTAKES = [
    pytest.param(
        {"answers": {"outputs": {"exposd": ["label"]}}},
        ["answers", "outputs"],
        "additionalProperties",
        id="unknown-question",
    ),
    pytest.param(
        {"answers": {"outputz": {}}}, ["answers"], "additionalProperties", id="unknown-section"
    ),
    pytest.param(
        {"answers": {"access": {"exposure": "everyone"}}},
        ["answers", "access", "exposure"],
        "anyOf",
        id="outside-choices",
    ),
    pytest.param(
        {"answers": {"outputs": {"exposed": ["label", "bogus"]}}},
        ["answers", "outputs", "exposed"],
        "anyOf",
        id="outside-multi-choices",
    ),
    pytest.param(
        {"answers": {"outputs": {"exposed": []}}},
        ["answers", "outputs", "exposed"],
        "anyOf",
        id="empty-multi",
    ),
    pytest.param(
        {"answers": {"outputs": {"reveals": ["nothing_sensitive", "age"]}}},
        ["answers", "outputs", "reveals"],
        "anyOf",
        id="exclusive-combined",
    ),
    pytest.param(
        {"answers": {"access": {"rate_limited": "no"}}},
        ["answers", "access", "rate_limited"],
        "anyOf",
        id="bool-as-text",
    ),
    pytest.param(
        {"answers": {"training": {"generalisation_gap": 2}}},
        ["answers", "training", "generalisation_gap"],
        "anyOf",
        id="above-maximum",
    ),
    pytest.param({"reviewed": True}, [], "additionalProperties", id="unknown-top-level-key"),
    pytest.param({"threatmodel": 2}, ["threatmodel"], "const", id="format-version"),
    pytest.param(
        {"acceptances": [ACCEPTANCE | {"threat": "input-enumeraton", "expires": "2027-01-01"}]},
        ["acceptances", 0, "threat"],
        "enum",
        id="unknown-threat",
    ),
    pytest.param(
        {"acceptances": [ACCEPTANCE | {"expires": "June"}]},
        ["acceptances", 0, "expires"],
        "format",
        id="acceptance-date",
    ),
    pytest.param(
        {"measures": [{"threat": "model-inversion", "measure": "m", "status": "maybe"}]},
        ["measures", 0, "status"],
        "enum",
        id="measure-status",
    ),
]


@pytest.mark.parametrize(("change", "path", "keyword"), MISTAKES)
def test_answers_schema_points_at_the_mistake(
    change: dict[str, Any],
    path: list[Any],
    keyword: str,
    answers_validator: jsonschema.protocols.Validator,
) -> None:
    doc = _load(ROOT / "examples" / "spam-celebrity.yaml")
    for key, value in change.items():
        if key == "answers":
            for section, keys in value.items():
                doc["answers"].setdefault(section, {}).update(keys)
        else:
            doc[key] = value
    assert _errors(answers_validator, doc) == [(path, keyword)]


NUMBER_FORMS = ["10000000", "1e7", "1.0e7", "1E7", "10,000,000", "10M", "10 M", "2.5k", "3bn"]
NUMBER_FORMS += ["1_000", " 42 ", "-1", ".5", "5.", "1,000.5", "1,000k"]


@pytest.mark.parametrize("text", NUMBER_FORMS)
def test_number_pattern_accepts_what_the_loader_parses(text: str) -> None:
    parse_number(text)
    assert re.search(NUMBER_PATTERN, text)


@pytest.mark.parametrize(
    "text",
    ["", "ten", "1e", "e7", "10MM", "1,00", "1,0000", "nan", "inf", "0x10", "1..2", "10 apples"],
)
def test_number_pattern_refuses_what_the_loader_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="expected a number"):
        parse_number(text)
    assert not re.search(NUMBER_PATTERN, text)


@pytest.mark.parametrize("path", PACK_FILES, ids=lambda p: p.relative_to(RULES).as_posix())
def test_pack_schema_accepts_every_rule_file(path: Path) -> None:
    assert _errors(Validator(pack_schema()), _load(path)) == []


def test_pack_schema_refuses_a_misspelt_threat_key() -> None:
    threat = _load(RULES / "threats" / "input-enumeration.yaml")
    threat["applies_whenever"] = threat.pop("applies_when")
    [error] = Validator(pack_schema()).iter_errors(threat)
    # Every kind of file refuses it; the threat's own reason is among them.
    reasons = [e.message for e in error.context or []]
    assert any("'applies_whenever' was unexpected" in r for r in reasons)


def test_pack_schema_refuses_a_misspelt_key_deep_in_a_threat() -> None:
    threat = _load(RULES / "threats" / "input-enumeration.yaml")
    modifier = copy.deepcopy(threat["severity"]["modifiers"][0])
    modifier["raises"] = 1
    threat["severity"]["modifiers"].append(modifier)
    # Checked as a threat alone, the error points at the modifier.
    threat_only = Validator(pack_schema() | {"anyOf": [{"$ref": "#/$defs/Threat"}]})
    [error] = threat_only.iter_errors(threat)
    [reason] = error.context or []
    where = ["severity", "modifiers", len(threat["severity"]["modifiers"]) - 1]
    assert (list(reason.absolute_path), reason.validator) == (where, "additionalProperties")


def test_pack_schema_keeps_keys_as_written() -> None:
    defs = pack_schema()["$defs"]
    assert "raise" in defs["Modifier"]["properties"]
    assert "is" in defs["Leaf"]["properties"]
    assert "not" in defs["Not"]["properties"]


def test_output_is_byte_identical_across_calls() -> None:
    first = to_text(answers_schema(load_packs())), to_text(pack_schema())
    second = to_text(answers_schema(load_packs())), to_text(pack_schema())
    assert first == second
    assert first[0].endswith("}\n")
