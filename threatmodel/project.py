"""The project file, `.threatmodel.yaml`: the rule packs (and defaults) a repository uses, so
that CI and people run with the same packs without flags. Found by walking up from the answers
file (or the working folder)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from threatmodel.model import Model, parse_model
from threatmodel.yamlsafe import load_yaml

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


def find(start: Path) -> Path | None:
    """The nearest project file in `start` (a file's folder, or a folder) or above it."""
    folder = start if start.is_dir() else start.parent
    for candidate in [folder.resolve(), *folder.resolve().parents]:
        path = candidate / FILENAME
        if path.is_file():
            return path
    return None


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
