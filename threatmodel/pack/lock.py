"""`.threatmodel.lock`: for every rule pack the project file takes from a git repository, the
commit its ref named when synced and the sha256 of its files.

Written by `threatmodel rules sync` and committed beside the project file, it makes every run
use the same rules: commands take each git pack from the cache at its locked commit and check
its files against the locked sha256 before use, so neither a tag moved in the repository nor a
copy edited in the cache changes an assessment without anyone noticing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from pydantic import Field

from threatmodel.errors import InputError
from threatmodel.language.model import Model, parse_model
from threatmodel.pack import gitpacks
from threatmodel.pack.gitpacks import GitFailure
from threatmodel.pack.layered import Origin
from threatmodel.pack.project import GitPack, Project
from threatmodel.pack.yamlsafe import load_yaml

FILENAME = ".threatmodel.lock"
SYNC = "run `threatmodel rules sync`"


class LockedPack(Model):
    """One git pack, pinned."""

    git: str = Field(description="The repository, as the project file names it.")
    ref: str = Field(description="The tag (or branch), as the project file names it.")
    path: str = Field(".", description="The pack's folder inside the repository.")
    commit: str = Field(
        pattern=r"^[0-9a-f]{40}([0-9a-f]{24})?$", description="The commit the ref named."
    )
    sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$", description="sha256 over the pack folder's files."
    )
    name: str = Field(description="The pack's name, from its pack.yaml.")
    version: str = Field(description="The pack's version, from its pack.yaml.")

    def pins(self, entry: GitPack) -> bool:
        """Is this the lock of that project-file entry?"""
        return (self.git, self.ref, self.path) == (entry.git, entry.ref, entry.path)


class LockFile(Model):
    """`.threatmodel.lock`."""

    lock_version: Literal[1] = Field(description="Format of this file.")
    packs: tuple[LockedPack, ...] = Field(
        (), description="One entry per git pack of the project file, in its order."
    )


def path_of(project_file: Path) -> Path:
    """The lock file beside a project file."""
    return project_file.parent / FILENAME


def read(project_file: Path) -> LockFile | None:
    """The project's lock file, or None when there is none."""
    path = path_of(project_file)
    if not path.exists() and not path.is_symlink():
        return None
    doc = load_yaml(path)
    return parse_model(LockFile, doc, doc.data if doc.data is not None else {})


def render(lock: LockFile) -> str:
    """The lock file's text."""
    import yaml

    data = lock.model_dump(mode="json")
    return (
        "# Written by `threatmodel rules sync`: the commit and files of each git rule pack of\n"
        "# .threatmodel.yaml. Commit it; do not edit it.\n"
        + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)
    )


def pin_of(lock: LockFile | None, entry: GitPack) -> LockedPack | None:
    """The lock's entry for a project-file entry, if any."""
    return next((p for p in (lock.packs if lock else ()) if p.pins(entry)), None)


def git_entries(project: Project) -> list[tuple[int, GitPack]]:
    """The project file's git packs, with their place in `rules:`."""
    return [(i, e) for i, e in enumerate(project.rules) if isinstance(e, GitPack)]


def locked_folders(
    project: Project, project_file: Path, *, offline: bool
) -> dict[GitPack, tuple[Path, Origin]]:
    """Each git pack's folder in the cache at its locked commit, its files verified, and
    where it came from. Without `offline`, a locked pack missing from the cache is fetched."""
    lock = read(project_file)
    found: dict[GitPack, tuple[Path, Origin]] = {}
    for index, entry in git_entries(project):
        pinned = pin_of(lock, entry)
        if pinned is None:
            where = path_of(project_file) if lock else project_file
            line = None if lock else entry_line(project_file, index)
            state = "has no entry for" if lock else "takes"
            raise InputError(where, f"{state} pack {entry.label}, not locked yet; {SYNC}", line)
        folder = gitpacks.pack_folder(gitpacks.tree(entry.git, pinned.commit), entry.path)
        if not folder.is_dir():
            if offline:
                raise InputError(
                    path_of(project_file),
                    f"pack {entry.label} (commit {pinned.commit[:12]}) is not in the cache and "
                    f"--offline forbids fetching it; {SYNC} while online",
                )
            folder = fetch_pinned(project_file, entry, pinned)
        verify(project_file, entry, pinned, folder)
        found[entry] = (folder, Origin(entry.git, entry.ref, pinned.commit))
    return found


def verify(project_file: Path, entry: GitPack, pinned: LockedPack, folder: Path) -> None:
    """Refuse a cached pack whose files are not those the lock pins."""
    with failures(path_of(project_file), entry):
        actual = gitpacks.digest(folder)
    if actual != pinned.sha256:
        raise InputError(
            folder,
            f"pack {entry.label}: the cached files do not match {FILENAME} (sha256 "
            f"{actual[:12]}…, locked {pinned.sha256[:12]}…): they were changed after sync; "
            f"{SYNC} to fetch them again",
        )


def fetch_pinned(project_file: Path, entry: GitPack, pinned: LockedPack) -> Path:
    """Fetch a locked pack by its ref into the cache, refusing a ref that has moved and files
    that do not match the lock."""
    with failures(path_of(project_file), entry):
        refname = gitpacks.full_ref(entry.ref, gitpacks.remote_refs(entry.git))
        with gitpacks.Fetched(entry.git, refname) as fetched:
            if fetched.commit != pinned.commit:
                raise GitFailure(
                    f"{entry.ref} has moved: {FILENAME} pins commit {pinned.commit[:12]}, the "
                    f"repository now names {fetched.commit[:12]}; ask the pack's maintainers "
                    f"why, then delete its entry from {FILENAME} and sync again to take it"
                )
            actual = gitpacks.digest(folder_in(fetched.root, entry))
            if actual != pinned.sha256:
                raise GitFailure(
                    f"commit {pinned.commit[:12]} has files with sha256 {actual[:12]}…, "
                    f"{FILENAME} says {pinned.sha256[:12]}…: the lock does not match the "
                    "repository"
                )
            return gitpacks.pack_folder(fetched.install(), entry.path)


def folder_in(root: Path, entry: GitPack) -> Path:
    """The pack's folder in a checked-out tree, which must have it."""
    folder = gitpacks.pack_folder(root, entry.path)
    if not folder.is_dir() or folder.is_symlink():
        raise GitFailure(f"the repository has no folder '{entry.path}' at {entry.ref}")
    return folder


@contextmanager
def failures(where: Path, entry: GitPack, line: int | None = None) -> Iterator[None]:
    """A git failure becomes the one-line error of the file that named the pack."""
    try:
        yield
    except GitFailure as exc:
        raise InputError(where, f"pack {entry.label}: {exc}", line) from None


def entry_line(project_file: Path, index: int) -> int | None:
    """The line of the project file's `rules[index]` (for errors; None if unreadable)."""
    try:
        return load_yaml(project_file).line_of(("rules", index))
    except InputError:
        return None
