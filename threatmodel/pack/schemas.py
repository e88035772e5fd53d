"""JSON Schemas for editor completion of answers files and rule-pack files (`threatmodel schema`).

Both are generated from the pydantic models that load the files, so they follow the loader as it
changes; the answers schema also spells out the pack's sections, questions and choices, so an
editor (yaml-language-server) completes keys and values and shows each question's help. The
loader stays the authority: cross-references and rules between fields are checked only there.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from threatmodel.language.questions import Question, Section
from threatmodel.language.types import type_of
from threatmodel.pack.answersfile import AnswersFile
from threatmodel.pack.layered import Pack
from threatmodel.pack.models import (
    ConditionsFile,
    Manifest,
    QuestionsFile,
    Scoring,
    ScreeningFile,
    Threat,
)

DIALECT = "https://json-schema.org/draft/2020-12/schema"
# URNs, not URLs: the schemas are printed by the tool, not published at an address.
ANSWERS_ID = "urn:threatmodel:schema:answers:1"
PACK_ID = "urn:threatmodel:schema:pack:1"

# The numeric strings threatmodel.numbers accepts (`10M`, `1e7`, `1.0e7`, `10,000,000`, `1_000`),
# as one ECMA-262 pattern: JSON Schema patterns take no flags, hence the explicit [kK] classes.

PACK_FILES: tuple[type[BaseModel], ...] = (
    Manifest,
    QuestionsFile,
    ConditionsFile,
    Scoring,
    ScreeningFile,
    Threat,
)
"""The kinds of file in a rule pack: pack.yaml, questions.yaml, conditions.yaml, scoring.yaml,
screening.yaml and threats/*.yaml (baseline.yaml is an answers file)."""


def answers_schema(pack: Pack) -> dict[str, Any]:
    """The schema of an answers file under this (layered) pack: its questions, its threat ids."""
    schema = AnswersFile.model_json_schema(by_alias=True)
    props = schema["properties"]
    props["answers"] = _answers(pack, props["answers"])
    for decision in ("Measure", "Acceptance"):
        schema["$defs"][decision]["properties"]["threat"].update(_threat_ids(pack))
    packs = ", ".join(f"{p.name} {p.version}" for p in pack.packs)
    return _headed(ANSWERS_ID, f"threatmodel answers file ({packs})", schema)


def pack_schema() -> dict[str, Any]:
    """The schema of every kind of rule-pack file: one definition each, any of them at the top."""
    refs, defs = models_json_schema([(m, "validation") for m in PACK_FILES], by_alias=True)
    schema = {
        "description": "A rule-pack file: pack.yaml, questions.yaml, conditions.yaml, "
        "scoring.yaml, screening.yaml or threats/<id>.yaml.",
        # anyOf, not oneOf: an empty questions.yaml and an empty conditions.yaml look alike.
        "anyOf": [refs[(m, "validation")] for m in PACK_FILES],
        **defs,
    }
    return _headed(PACK_ID, "threatmodel rule-pack file", schema)


def to_text(schema: dict[str, Any]) -> str:
    """The schema as printed: key order kept (editors list completions in it), one newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _headed(schema_id: str, title: str, schema: dict[str, Any]) -> dict[str, Any]:
    """Identity first and definitions last, so the printed schema reads from the top."""
    head = {"$schema": DIALECT, "$id": schema_id, "title": title}
    body = {k: v for k, v in schema.items() if k not in head and k != "$defs"}
    return head | body | {"$defs": schema["$defs"]}


def _threat_ids(pack: Pack) -> dict[str, Any]:
    threats = list(pack.threats.values())
    return {
        "enum": [t.id for t in threats],
        "markdownEnumDescriptions": [t.title for t in threats],
    }


def _answers(pack: Pack, generated: dict[str, Any]) -> dict[str, Any]:
    by_section: dict[str, list[Question]] = {sid: [] for sid in pack.sections}
    for question in pack.questions.values():
        by_section[question.section].append(question)
    return {
        "title": generated.get("title", "Answers"),
        "description": generated["description"],
        "type": "object",
        "properties": {
            sid: _section(pack.sections[sid], questions) for sid, questions in by_section.items()
        },
        "additionalProperties": False,
    }


def _section(section: Section, questions: list[Question]) -> dict[str, Any]:
    return {
        "title": section.title,
        "description": section.intro,
        # `training:` with nothing under it yet is null in YAML; the loader takes it as empty.
        "type": ["object", "null"],
        "properties": {q.id.split(".", 1)[1]: _question(q) for q in questions},
        "additionalProperties": False,
    }


def _question(question: Question) -> dict[str, Any]:
    return {
        "title": question.id,
        "description": f"{question.text}\n\n{question.help}",
        "anyOf": [*type_of(question).json_schema(question), *_unknown(question)],
    }


def _unknown(question: Question) -> list[dict[str, Any]]:
    means = question.worst_case_means or "Not known; the report says so."
    return [{"const": form, "description": means} for form in type_of(question).unknown_forms()]
