"""The project file, `.threatmodel.yaml`: the rule packs (and defaults) a repository uses, so
that CI and people run with the same packs without flags.

Found by walking up from the answers file (or the working folder), but never past the
repository's root (the folder with `.git`) or the user's home: a project file above them (in
`/tmp`, say, where anyone can write) could otherwise add a pack that disables every threat and
turn a failing `check` into a pass. A project file owned by another user, or writable by
anyone, is refused for the same reason."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path, PurePosixPath
from typing import Annotated, Literal

from pydantic import Discriminator, Field, Tag, field_validator

from threatmodel.errors import InputError
from threatmodel.language.model import Model, parse_model
from threatmodel.pack.layered import Origin, Stack
from threatmodel.pack.yamlsafe import load_yaml

FILENAME = ".threatmodel.yaml"


_SCHEMES = ("https://", "ssh://", "git://", "file://")
_SCP_LIKE = re.compile(r"[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s/-][^\s]*")
_REF = re.compile(r"[A-Za-z0-9._+-]+(/[A-Za-z0-9._+-]+)*")


def _check_url(url: str) -> str:
    """A URL git may fetch from here, or ValueError."""
    if not (url.startswith(_SCHEMES) or _SCP_LIKE.fullmatch(url)) or any(
        c.isspace() or ord(c) < 32 for c in url
    ):
        raise ValueError(
            f"{url!r} is not a repository URL git may use here "
            "(https://, ssh://, git://, file:// or user@host:path)"
        )
    return url


def _check_ref(ref: str) -> str:
    """A tag or branch name (never an option, a range or a path out), or ValueError."""
    if (
        ref.startswith(("-", "/"))
        or not _REF.fullmatch(ref)
        or ".." in ref
        or ref.endswith(".lock")
    ):
        raise ValueError(f"{ref!r} is not a tag or branch name")
    return ref


def _check_path(path: str) -> str:
    """A folder inside the repository, or ValueError."""
    if path.startswith("/") or "\\" in path or ".." in PurePosixPath(path).parts:
        raise ValueError(f"{path!r} must be a folder inside the repository")
    return path


class GitPack(Model):
    """A rule pack taken from a git repository at a tag, pinned by `.threatmodel.lock`."""

    git: str = Field(description="The repository: https://, ssh://, git://, file:// or host:path.")
    ref: str = Field(description="The tag (or branch) to take; the lock pins its commit.")
    path: str = Field(".", description="The pack's folder inside the repository.")

    # Checked when the file is read, so that no value from it reaches git unchecked: git's
    # `ext::` transport runs commands, and a ref or URL starting with `-` is an option.
    _git = field_validator("git")(_check_url)
    _ref = field_validator("ref")(_check_ref)
    _path = field_validator("path")(_check_path)

    @property
    def label(self) -> str:
        """How the pack is named in messages: `URL@ref`, with its folder when not the root."""
        folder = "" if self.path in (".", "") else f" ({self.path})"
        return f"{self.git}@{self.ref}{folder}"


class Project(Model):
    """`.threatmodel.yaml`."""

    rules: tuple[
        Annotated[
            # Tags in angle brackets: not part of the location an error names in the file.
            Annotated[str, Tag("<folder>")] | Annotated[GitPack, Tag("<git>")],
            Discriminator(lambda v: "<git>" if isinstance(v, dict | GitPack) else "<folder>"),
        ],
        ...,
    ] = Field(
        (),
        description="Rule packs layered on the built-in one, in order: folders relative to this "
        "file, or `{git: URL, ref: TAG, path: FOLDER}` entries (see `threatmodel rules sync`).",
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


def rule_folders(start: Path, extra: list[Path] | None, *, offline: bool = False) -> Stack:
    """The project's packs (folders resolved against the project file; git packs at their
    locked commit, from the cache, verified), then those given with --rules. Without
    `offline`, a locked pack missing from the cache is fetched."""
    project, path = load(start)
    if path is None:
        return Stack().plus(extra or [])
    folders: list[Path] = []
    origins: dict[Path, Origin] = {}
    if any(isinstance(entry, GitPack) for entry in project.rules):
        from threatmodel.pack import lock

        locked = lock.locked_folders(project, path, offline=offline)
    for entry in project.rules:
        if isinstance(entry, GitPack):
            folder, origin = locked[entry]
            origins[folder.resolve()] = origin
            folders.append(folder)
        else:
            folders.append(path.parent / entry)
    # A pack named both in the project file and with --rules loads once.
    return Stack(tuple(folders), origins).plus(extra or [])
