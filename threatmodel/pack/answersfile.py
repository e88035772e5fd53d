"""The answers file as models: answers by section, decisions (measures and acceptances) and
provenance, and the validated Answers the engine reads. Nothing here reads a file: loading and
writing are in `pack.answers`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from threatmodel.language.model import Model
from threatmodel.pack.models import Reduction

FORMAT_VERSION = 1


class Measure(Model):
    """A measure against a threat, planned or implemented; it lowers residual risk."""

    threat: str = Field(description="The threat id it addresses.")
    measure: str = Field(description="A mitigation id of that threat, or free text.")
    status: Literal["planned", "implemented"] = Field(description="planned or implemented.")
    owner: str | None = Field(None, description="Who is responsible.")
    due: dt.date | None = Field(None, description="When it is due (planned measures).")
    reduces: Reduction | None = Field(
        None, description="Effect of a free-text measure; a pack mitigation declares its own."
    )


class Acceptance(Model):
    """A risk knowingly accepted until it expires."""

    threat: str = Field(description="The threat id accepted.")
    justification: str = Field(description="Why the risk is acceptable.")
    approved_by: str = Field(description="Who accepted it.")
    expires: dt.date = Field(description="After this date `check` fails until it is reviewed.")


class Signoff(Model):
    """An approval of the assessment as it stood (`threatmodel signoff`)."""

    role: Literal["dpo", "owner", "security"] = Field(description="Who signs, by role.")
    by: str = Field(description="The name of the person who signed.")
    at: dt.datetime | dt.date = Field(description="When (UTC).")
    decision: Literal["accepted", "accepted-with-measures", "rejected"] = Field(
        description="What they decided."
    )
    note: str = Field("", description="Their advice or conditions, in words.")
    sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="The digest of what was signed: the answers, decisions, packs and tool "
        "version together. A sign-off holds while the assessment still has it.",
    )
    answers: dict[str, Any] = Field(
        default_factory=dict, description="The answers signed, to say what changed since."
    )
    packs: dict[str, str] = Field(
        default_factory=dict,
        description="Pack name -> the version (and sha256) signed, to say which changed since.",
    )
    tool: str | None = Field(None, description="The threatmodel version signed.")


class PackVersion(Model):
    """A pack the answers were given under."""

    name: str = Field(description="Pack name.")
    version: str = Field(description="Pack version.")


class Provenance(Model):
    """Who answered, when, and under which packs."""

    answered_by: str | None = Field(None, description="Who answered.")
    answered_at: dt.datetime | dt.date | None = Field(
        None, description="When the last answer was given."
    )
    packs: tuple[PackVersion, ...] = Field((), description="Packs in force when answering.")
    suggested: dict[str, str] = Field(
        default_factory=dict,
        description="Question id -> where the answer was suggested from (`assess --from`), for "
        "answers confirmed as suggested.",
    )


class AnswersFile(Model):
    """The answers file as written: version, answers by section, decisions, provenance."""

    threatmodel: Literal[1] = Field(description="Format version of this file.")
    answers: dict[str, dict[str, Any] | None] = Field(
        default_factory=dict, description="Answers, nested by section: `section: {key: value}`."
    )
    measures: tuple[Measure, ...] = Field((), description="Measures that lower residual risk.")
    acceptances: tuple[Acceptance, ...] = Field((), description="Risks accepted until a date.")
    provenance: Provenance | None = Field(
        None, description="Who answered, when, under which packs."
    )
    signoffs: tuple[Signoff, ...] = Field((), description="Approvals, latest last.")


@dataclass(frozen=True)
class Answers:
    """A validated answers file: each answer coerced to its question's type."""

    path: Path
    sha256: str
    given: dict[str, Any]
    file: AnswersFile
    raw: dict[str, Any]
    text: str = ""
    """The file's text as read."""
    shown: str = ""
    """How reports name the file: relative to its repository (set by the caller)."""
    lines: dict[str, int] = field(default_factory=dict)
    """Question id -> the line of its answer in the file (SARIF points code review at it)."""
