"""What a question is: its id, text, help, type, choices, branch and worst case. The type's
behaviour (what answers it takes, how they read, which tests apply) is in `types`."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from threatmodel.errors import did_you_mean
from threatmodel.language.conditions import Condition
from threatmodel.language.model import Model
from threatmodel.language.types import TYPES

ID_PATTERN = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"
SLUG_PATTERN = r"^[a-z][a-z0-9-]*$"
SEMVER_PATTERN = r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$"


class Deprecation(Model):
    """A question or threat on its way out: it still loads and works, and says so."""

    since: str = Field(pattern=SEMVER_PATTERN, description="The pack version that deprecated it.")
    replaced_by: str | None = Field(None, description="The id that replaces it, if any.")
    note: str = Field("", description="What to do instead.")

    def describe(self) -> str:
        """One sentence for warnings and reports."""
        instead = f"; use {self.replaced_by}" if self.replaced_by else ""
        note = f". {self.note.strip()}" if self.note.strip() else ""
        return f"deprecated since {self.since}{instead}{note}"


class Section(Model):
    """A group of questions, asked together."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="The part before the dot in ids.")
    title: str = Field(description="Heading shown to people answering.")
    intro: str = Field("", description="One or two sentences on why this section matters.")


class Choice(Model):
    """One allowed value of a `choice` or `multi` question."""

    value: str = Field(
        pattern=r"^[a-z][a-z0-9_]*$",
        description="The value stored in answers (`unknown` is reserved for every question).",
    )
    label: str = Field(description="What a person sees when choosing it.")
    exclusive: bool = Field(
        False, description="multi: this value (e.g. `nothing_sensitive`) excludes all others."
    )
    phrase: str = Field(
        "",
        description="A short noun phrase for sentences a report composes (`stalkers`, "
        "`sexual orientation`); the label is used when it is empty.",
    )

    @field_validator("value")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == "unknown":
            raise ValueError("'unknown' is reserved: every question accepts it already")
        return value


class Question(Model):
    """One question of the questionnaire."""

    id: str = Field(pattern=ID_PATTERN, description="`section.key`, stable once published.")
    text: str = Field(description="The question, as asked.")
    help: str = Field(description="Why we ask, with an example answer.")
    type: str = Field(
        description="The question type: " + ", ".join(TYPES) + ".",
        json_schema_extra={"enum": list(TYPES)},
    )
    choices: tuple[Choice, ...] = Field((), description="Allowed values (choice and multi only).")
    when: Condition | None = Field(
        None, description="Asked only when this holds; otherwise its answer is ignored."
    )
    worst_case: Any = Field(
        None, description="Assumed when the answer is `unknown` or missing (not for text)."
    )
    worst_case_means: str = Field(
        "", description="What the worst-case assumption means, as the report states it."
    )
    minimum: float | None = Field(None, description="number: the smallest valid answer.")
    maximum: float | None = Field(None, description="number: the largest valid answer.")
    since: str | None = Field(
        None, pattern=SEMVER_PATTERN, description="The pack version that added the question."
    )
    changed: str | None = Field(
        None, pattern=SEMVER_PATTERN, description="The pack version that last changed its meaning."
    )
    deprecated: Deprecation | None = Field(None, description="Set when the question is retired.")

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in TYPES:
            hint = did_you_mean(value, TYPES)
            raise ValueError(f"unknown question type '{value}'{hint}; use {', '.join(TYPES)}")
        return value

    @model_validator(mode="after")
    def _choices_match_type(self) -> Question:
        kind = TYPES[self.type]
        if kind.has_choices and not self.choices:
            raise ValueError(f"a {self.type} question needs choices")
        if self.choices and not kind.has_choices:
            raise ValueError(f"a {self.type} question takes no choices")
        if kind.has_worst_case and self.worst_case is None:
            raise ValueError("worst_case is required: it is assumed for unknown answers")
        if not kind.has_worst_case and self.worst_case is not None:
            raise ValueError(
                f"a {self.type} question has no worst_case (it is reported as not stated)"
            )
        values = self.choice_values
        if len(set(values)) != len(values):
            raise ValueError(f"a choice value is listed twice in {values}")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError("minimum is greater than maximum")
        return self

    @property
    def section(self) -> str:
        """The section id, the part of the id before the dot."""
        return self.id.split(".", 1)[0]

    @property
    def choice_values(self) -> list[str]:
        """The allowed values, in order."""
        return [c.value for c in self.choices]
