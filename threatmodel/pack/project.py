"""The project file, `.threatmodel.yaml`: the rule packs (and defaults) a repository uses, so
that CI and people run with the same packs without flags.

Found by walking up from the answers file (or the working folder), but never past the
repository's root (the folder with `.git`) or the user's home: a project file above them (in
`/tmp`, say, where anyone can write) could otherwise add a pack that disables every threat and
turn a failing `check` into a pass. A project file owned by another user, or writable by
anyone, is refused for the same reason."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Literal

from pydantic import Field

from threatmodel.errors import InputError
from threatmodel.language.model import Model, parse_model
from threatmodel.pack.yamlsafe import load_yaml

FILENAME = ".threatmodel.yaml"


class Project(Model):
    """`.threatmodel.yaml`."""

    rules: tuple[str, ...] = Field(
        (), description="Rule-pack folders, relative to this file, layered on the built-in pack."
    )
    fail_on: str | None = Field(None, description="Default of `check --fail-on`.")
    template_dir: str | None = Field(
        None, description="Default of `--template-dir`, relative to this file."
    )
    lang: Literal["en", "fr", "de"] | None = Field(
        None, description="Default of `--lang`: the language of questions and reports."
    )


def find(start: Path) -> Path | None:
    """The nearest project file in `start` (a file's folder, or a folder) or above it, up to
    the repository root or the user's home."""
    folder = (start if start.is_dir() else start.parent).resolve()
    home = _home()
    for candidate in [folder, *folder.parents]:
        path = candidate / FILENAME
        if path.is_file():
            _check_owner(path)
            return path
        if (candidate / ".git").exists() or candidate == home:
            return None
    return None


def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (RuntimeError, KeyError, OSError):  # no home in some containers
        return None


def _check_owner(path: Path) -> None:
    """Refuse a project file someone else could have written (as git refuses a repository
    owned by another user)."""
    info = path.stat()
    if info.st_mode & stat.S_IWOTH:
        raise InputError(path, "is writable by anyone; refusing to take rule packs from it")
    getuid = getattr(os, "getuid", None)
    if getuid is not None and info.st_uid not in (getuid(), 0):
        raise InputError(
            path,
            f"belongs to another user (uid {info.st_uid}); refusing to take rule packs from it",
        )


def load(start: Path) -> tuple[Project, Path | None]:
    """The project settings that apply at `start` (empty when there is no project file)."""
    path = find(start)
    if path is None:
        return Project(), None
    doc = load_yaml(path)
    return parse_model(Project, doc, doc.data if doc.data is not None else {}), path


def rule_folders(start: Path, extra: list[Path] | None) -> list[Path]:
    """The project's packs (resolved against the project file), then those given with --rules."""
    project, path = load(start)
    base = path.parent if path else Path()
    folders = [*(base / folder for folder in project.rules), *(extra or [])]
    unique: dict[Path, Path] = {}
    for folder in folders:  # a pack named both in the project file and with --rules loads once
        unique.setdefault(folder.resolve(), folder)
    return list(unique.values())
