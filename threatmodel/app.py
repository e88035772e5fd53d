"""The library calls behind the commands: files in, models out. The CLI only prints."""

from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from threatmodel.engine.assess import assess
from threatmodel.engine.assessment import FORMAT, Assessment
from threatmodel.engine.evidence import EvidenceFile
from threatmodel.engine.resolve import resolve
from threatmodel.errors import InputError, UsageError, brief
from threatmodel.files import parse_json, read_bounded
from threatmodel.language.model import format_loc
from threatmodel.pack.answers import load_answers
from threatmodel.pack.layered import Pack, Stack

M = TypeVar("M", bound=BaseModel)


def now() -> dt.datetime:
    """The generation time: SOURCE_DATE_EPOCH when set (reproducible builds), else the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            seconds = int(epoch)
        except ValueError:
            raise UsageError(
                f"SOURCE_DATE_EPOCH must be whole seconds, got {brief(epoch)}"
            ) from None
        try:
            return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise UsageError(f"SOURCE_DATE_EPOCH is out of range: {brief(epoch)}") from None
    return dt.datetime.now(tz=dt.timezone.utc)


def assess_file(
    answers_path: Path, pack: Pack, strict: bool = False, evidence_path: Path | None = None
) -> Assessment:
    """Assess an answers file (with probe evidence, if given); under `strict`, a missing
    answer or an orphan is an error."""
    answers = dataclasses.replace(load_answers(answers_path, pack), shown=repo_path(answers_path))
    if strict:
        missing = resolve(pack, answers.given).missing
        if missing:
            more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
            raise InputError(answers_path, f"missing answer to '{missing[0]}'{more} (--strict)")
    evidence = load_evidence(evidence_path).measurements if evidence_path else ()
    unknown = [m.threat for m in evidence if m.threat not in pack.threats]
    if unknown:
        raise InputError(evidence_path, f"measurement for unknown threat '{unknown[0]}'")
    assessment = assess(pack, answers, now(), evidence)
    if strict and assessment.orphans:
        raise InputError(answers_path, f"{assessment.orphans[0]} (--strict)")
    return assessment


def repo_path(path: Path) -> str:
    """The file relative to its git repository's root (code scanning finds a SARIF result's
    file from there), else to the nearest project file, else as given: reports name it the
    same from any working folder."""
    resolved = path.resolve()
    project_folder = None
    for folder in resolved.parents:
        if (folder / ".git").exists():
            return resolved.relative_to(folder).as_posix()
        if project_folder is None and (folder / ".threatmodel.yaml").is_file():
            project_folder = folder
    if project_folder is not None:
        return resolved.relative_to(project_folder).as_posix()
    return path.as_posix()


@dataclass(frozen=True)
class Gate:
    """The outcome of `check`: what fails the gate, and what was let through."""

    failing: list[str]
    expired: list[str]
    accepted: list[str]

    @property
    def passed(self) -> bool:
        """True when nothing fails."""
        return not self.failing and not self.expired

    def only(self, threats: set[str]) -> Gate:
        """The gate restricted to these threats (those that got worse since a baseline); an
        expired acceptance still fails, since it is due for review whatever the baseline."""
        return Gate([t for t in self.failing if t in threats], self.expired, self.accepted)


def default_gate(levels: tuple[str, ...]) -> str:
    """`high`, or for a pack with its own risk names the second-highest level."""
    return "high" if "high" in levels else levels[-2]


def gate(assessment: Assessment, fail_on: str, today: dt.date) -> Gate:
    """Threats that fail `check --fail-on`: residual risk at or above it, unless accepted."""
    levels = assessment.risk_levels
    if fail_on not in levels:
        raise UsageError(f"--fail-on must be one of {', '.join(levels)}, got '{fail_on}'")
    failing, expired, accepted = [], [], []
    for threat in assessment.threats:
        if threat.accepted is not None:
            if threat.accepted.expires < today:
                expired.append(threat.id)
            else:
                accepted.append(threat.id)
            continue
        if levels.index(threat.residual_risk) >= levels.index(fail_on):
            failing.append(threat.id)
    return Gate(failing, expired, accepted)


def load_evidence(path: Path) -> EvidenceFile:
    """Read an evidence file (through the bounded reader), or raise InputError naming it."""
    data = parse_json(read_bounded(path, "an evidence file"), path)
    return _validated(EvidenceFile, data, path, "not a threatmodel evidence file: ")


def load_side(path: Path, pack: Pack) -> Assessment:
    """One side of a diff: a JSON assessment as it is, or an answers file assessed under `pack`."""
    raw = read_bounded(path, "an answers file or JSON assessment")
    if raw.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"{"):
        data = parse_json(raw, path)  # it starts with '{': whatever parses is an object
        # An answers file may be written in JSON syntax (YAML reads it): it has no `format`.
        if "format" in data or "threatmodel" not in data:
            if data.get("format") != FORMAT:
                raise InputError(
                    path,
                    f"format {brief(data.get('format'))} is not a JSON assessment ('{FORMAT}')",
                )
            return _validated(Assessment, data, path)
    return assess_file(path, pack)


def _validated(cls: type[M], data: Any, path: Path, prefix: str = "") -> M:
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = format_loc(tuple(err["loc"])) or "assessment"
        raise InputError(path, f"{prefix}{where}: {' '.join(err['msg'].split())}") from None
    except RecursionError:
        raise InputError(path, f"{prefix}nested too deeply") from None


class PackStacks:
    """The packs for many answers files in one process: each file's own project file decides its
    stack, and each distinct stack is loaded once."""

    def __init__(
        self, extra: list[Path] | None = None, lang: str | None = None, *, offline: bool = False
    ) -> None:
        self.extra = list(extra or [])
        self.lang = lang
        self.offline = offline
        self._loaded: dict[tuple[tuple[Path, ...], str], Pack] = {}

    def for_file(self, answers: Path) -> Pack:
        """The layered packs that judge this answers file, in its language (--lang, else its
        project file's, else English)."""
        from threatmodel.pack import project

        stack = project.rule_folders(answers, self.extra, offline=self.offline)
        lang = language(answers, self.lang)
        key = (tuple(f.resolve() for f in stack.folders), lang)
        if key not in self._loaded:
            self._loaded[key] = load_in(stack, lang)
        return self._loaded[key]


def language(start: Path, given: str | None) -> str:
    """The language asked for, else the project file's, else English."""
    from threatmodel.pack import project

    return given or project.load(start)[0].lang or "en"


def load_in(folders: Stack | list[Path], lang: str) -> Pack:
    """The layered packs with their sentences in `lang` (English where not translated)."""
    from threatmodel.pack.i18n import translate
    from threatmodel.pack.load import load_packs

    pack = load_packs(folders)
    return pack if lang == "en" else translate(pack, lang).pack
