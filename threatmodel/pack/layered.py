"""The packs in force, layered into one questionnaire, catalogue and scoring: what the engine
reads. Built by `pack.load` from files (or from the pack cache); nothing here reads a file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from threatmodel.errors import InputError
from threatmodel.language.conditions import Condition
from threatmodel.language.questions import Question, Section
from threatmodel.pack.derived import derived_questions
from threatmodel.pack.models import Scoring, ScreeningFile, Threat


@dataclass(frozen=True)
class Origin:
    """Where a pack taken from a git repository came from (`.threatmodel.lock`)."""

    git: str
    ref: str
    commit: str


@dataclass(frozen=True)
class Stack:
    """The pack folders to layer on the built-in one, in order, and the origin of those that
    were taken from a git repository (keyed by their resolved folder)."""

    folders: tuple[Path, ...] = ()
    origins: dict[Path, Origin] = field(default_factory=dict)

    def plus(self, other: Stack | list[Path]) -> Stack:
        """This stack, then the other's folders not already in it (a folder loads once)."""
        more = other if isinstance(other, Stack) else Stack(tuple(other))
        unique: dict[Path, Path] = {}
        for folder in (*self.folders, *more.folders):
            unique.setdefault(folder.resolve(), folder)
        return Stack(tuple(unique.values()), {**more.origins, **self.origins})


@dataclass(frozen=True)
class PackInfo:
    """Provenance of one loaded pack."""

    name: str
    version: str
    sha256: str
    path: Path
    overrides: tuple[str, ...] = ()
    disables: tuple[str, ...] = ()
    origin: Origin | None = None


@dataclass
class Pack:
    """One or more packs layered into a single questionnaire, catalogue and scoring."""

    packs: list[PackInfo] = field(default_factory=list)
    sections: dict[str, Section] = field(default_factory=dict)
    questions: dict[str, Question] = field(default_factory=dict)
    threats: dict[str, Threat] = field(default_factory=dict)
    conditions: dict[str, Condition] = field(default_factory=dict)
    scoring: Scoring | None = None
    screening: ScreeningFile | None = None
    baselines: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Pack name -> the answers its threats' test cases start from (`baseline.yaml`)."""
    owner: dict[str, str] = field(default_factory=dict)
    """Threat or question id -> the name of the pack that defines it."""
    origin: dict[str, tuple[Path, int | None]] = field(default_factory=dict)
    depths: dict[str, int] = field(default_factory=dict)
    """Named condition -> its nesting depth through the conditions it refers to (load time)."""
    lang: str = "en"
    """The language of its sentences (`pack.i18n.translate`)."""
    lang_status: dict[str, str] = field(default_factory=dict)
    """Pack name -> the status its manifest declares for `lang` (`reviewed`, ...)."""
    fallbacks: int = 0
    """Sentences still in English, for want of a current translation."""

    @property
    def baseline(self) -> dict[str, Any]:
        """The built-in pack's baseline."""
        return self.baselines.get(self.packs[0].name, {})

    def baseline_for(self, threat_id: str) -> dict[str, Any]:
        """The baseline of the pack that defines the threat, else the built-in one."""
        return self.baselines.get(self.owner.get(threat_id, ""), self.baseline)

    @property
    def testable(self) -> dict[str, Question]:
        """What threat and screening conditions may test: the questions and the derived facts."""
        return {**self.questions, **derived_questions()}

    @property
    def scale(self) -> Scoring:
        """The scoring in force (the built-in pack always has one)."""
        if self.scoring is None:  # pragma: no cover - load_packs refuses this
            raise InputError(None, "no pack declares scoring.yaml")
        return self.scoring
