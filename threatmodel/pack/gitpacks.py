"""Rule packs from git repositories: the `git` command that fetches them, the cache that keeps
them, and the digest that pins their files.

The cache holds one checked-out tree per repository and commit, under
`<cache>/git/<sha256 of the URL>/<commit>/`, without its `.git`. A tree is fetched into a
temporary folder beside it and renamed into place only once complete and verified, so an
interrupted or failed fetch never leaves anything that looks synced.

What comes from a repository is data from elsewhere: URLs, refs and folders are checked when
the project file is read (`pack.project`), before they reach the command line; git's `ext::`
transport, which runs commands, is refused again here; files are written from git's objects as
stored (a symlink as a plain file, no line-ending conversion or filter), and every file is read
through the bounded reader. git never prompts: a private repository
needs credentials the user's git already has.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
import time
from pathlib import Path, PurePosixPath
from typing import Any

from threatmodel.files import read_bounded
from threatmodel.pack import cache

TIMEOUT = 300
"""Seconds any one git command may take (a clone of a huge repository is a mistake)."""


class GitFailure(Exception):
    """A git source that cannot be used, in one line (the caller says which pack)."""


# Set by a git that runs us (a pre-commit hook runs with the user's GIT_INDEX_FILE and
# GIT_DIR): inherited, they would point our git at the user's own repository.
REPOSITORY_VARIABLES = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_IMPLICIT_WORK_TREE",
    "GIT_GRAFT_FILE", "GIT_NO_REPLACE_OBJECTS", "GIT_REPLACE_REF_BASE", "GIT_PREFIX",
    "GIT_SHALLOW_FILE", "GIT_NAMESPACE", "GIT_QUARANTINE_PATH",
)  # fmt: skip


def git_environment() -> dict[str, str]:
    """The environment git runs in here: never prompting, in C locale, and without the
    variables that would point it at another repository than the one named."""
    env = {k: v for k, v in os.environ.items() if k not in REPOSITORY_VARIABLES}
    env |= {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
    return env


def run_git(*args: str, binary: bool = False, stdin: bytes | None = None) -> Any:
    """Run git without prompts or dangerous transports; its error becomes one line. The
    output as text, or as bytes with `binary`."""
    command = ["git", "-c", "protocol.ext.allow=never", *args]
    try:
        done = subprocess.run(  # noqa: S603 - a fixed program and checked arguments, no shell
            command,
            capture_output=True,
            env=git_environment(),
            input=stdin if stdin is not None else b"",
            timeout=TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise GitFailure(
            "the git command is not installed; packs from a repository need it"
        ) from None
    except subprocess.TimeoutExpired:
        raise GitFailure(f"git {args[0]} took longer than {TIMEOUT} s; gave up") from None
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace")
        raise GitFailure(_git_error(stderr) or f"git {args[0]} failed")
    return done.stdout if binary else done.stdout.decode("utf-8", "replace")


def _git_error(stderr: str) -> str:
    """git's own reason: its first `fatal:` or `error:` line, without the prefix."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        for prefix in ("fatal: ", "error: "):
            if line.startswith(prefix):
                return line.removeprefix(prefix)
    return lines[-1] if lines else ""


def remote_refs(url: str) -> dict[str, str]:
    """The repository's tags and branches (`refs/tags/v1.4.0` -> commit; annotated tags
    peeled to the commit they name)."""
    refs: dict[str, str] = {}
    for line in run_git("ls-remote", "--tags", "--heads", "--", url).splitlines():
        commit, _, name = line.partition("\t")
        if name.endswith("^{}"):
            refs[name[:-3]] = commit
        else:
            refs.setdefault(name, commit)
    return refs


def full_ref(ref: str, refs: dict[str, str]) -> str:
    """`v1.4.0` -> `refs/tags/v1.4.0` (a tag first, then a branch), or GitFailure."""
    for candidate in (f"refs/tags/{ref}", f"refs/heads/{ref}"):
        if candidate in refs:
            return candidate
    tags = sorted(name.removeprefix("refs/tags/") for name in refs if name.startswith("refs/tags/"))
    shown = ", ".join(tags[-8:]) if tags else "none"
    raise GitFailure(f"ref '{ref}' is neither a tag nor a branch of the repository (tags: {shown})")


def tree(url: str, commit: str) -> Path:
    """Where the cache keeps the repository's tree at this commit."""
    return cache.folder() / "git" / hashlib.sha256(url.encode()).hexdigest()[:24] / commit


def pack_folder(root: Path, path: str) -> Path:
    """The pack's folder in a checked-out tree."""
    return root if path in ("", ".") else root / path


class Fetched:
    """A tree fetched into a temporary folder of the cache: installed into place, or removed
    (as a context manager, it is removed unless installed)."""

    def __init__(self, url: str, refname: str) -> None:
        base = cache.folder() / "git"
        try:
            base.mkdir(parents=True, exist_ok=True)
            _remove_abandoned(base)
            self.work = Path(tempfile.mkdtemp(prefix=".fetch-", dir=base))
        except OSError as exc:
            raise GitFailure(f"cannot write the cache folder {base}: {exc.strerror}") from None
        self.url = url
        try:
            self.commit = self._fetch(refname)
        except BaseException:
            self.discard()
            raise

    def _fetch(self, refname: str) -> str:
        repo = self.work / "repo"
        run_git("init", "-q", "--bare", "--", str(repo))
        fetch = ("fetch", "-q", "--depth", "1", "--no-tags", "--", self.url, refname)
        run_git("-C", str(repo), *fetch)
        commit = str(
            run_git("-C", str(repo), "rev-parse", "--verify", "FETCH_HEAD^{commit}")
        ).strip()
        _write_tree(repo, commit, self.work / "tree")
        return commit

    @property
    def root(self) -> Path:
        """The checked-out tree (until installed)."""
        return self.work / "tree"

    def install(self) -> Path:
        """Move the tree into its place in the cache (replacing a damaged copy); return it."""
        final = tree(self.url, self.commit)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.is_dir() and not final.is_symlink():
                os.replace(final, self.work / "old")  # a damaged copy, removed with the rest
            elif final.exists() or final.is_symlink():
                final.unlink()
            os.replace(self.root, final)
        except OSError as exc:  # another sync put it there first, or the disk is full
            raise GitFailure(
                f"cannot move the pack into the cache at {final}: {exc.strerror}"
            ) from None
        finally:
            self.discard()
        return final

    def discard(self) -> None:
        """Remove the temporary folder and whatever is left in it."""
        shutil.rmtree(self.work, ignore_errors=True)

    def __enter__(self) -> Fetched:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()


def _write_tree(repo: Path, commit: str, root: Path) -> None:
    """The commit's files, written from git's objects as they are stored: no checkout, so none
    of the user's settings (line endings, filters such as LFS) changes a byte, and the lock's
    sha256 is the same on every machine. A symlink is written as a file holding its target's
    name; a submodule is left out; a path that would leave the tree is refused."""
    listing = run_git("-C", str(repo), "ls-tree", "-r", "-z", "--full-tree", commit, binary=True)
    entries = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, _, name = record.partition(b"\t")
        _, kind, sha = meta.split(b" ")
        if kind == b"blob":
            entries.append((name.decode("utf-8", "surrogateescape"), sha.decode()))
    blobs = run_git("-C", str(repo), "cat-file", "--batch", binary=True,
                    stdin=b"".join(sha.encode() + b"\n" for _, sha in entries))  # fmt: skip
    root.mkdir()
    at = 0
    for name, _ in entries:
        header_end = blobs.index(b"\n", at)
        size = int(blobs[at:header_end].split(b" ")[2])
        content = blobs[header_end + 1 : header_end + 1 + size]
        at = header_end + 1 + size + 1
        parts = PurePosixPath(name).parts
        if name.startswith("/") or ".." in parts or ".git" in parts:
            raise GitFailure(f"the repository holds a path git would not check out: {name!r}")
        target = root.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


ABANDONED = 3600
"""Seconds after which a temporary fetch folder is taken as left by a killed run."""


def _remove_abandoned(base: Path) -> None:
    now = time.time()
    for work in base.glob(".fetch-*"):
        try:
            if now - work.stat().st_mtime > ABANDONED:
                shutil.rmtree(work, ignore_errors=True)
        except OSError:
            continue


def digest(folder: Path) -> str:
    """sha256 over every file of a pack folder: each relative path and its bytes, in path
    order. Anything but folders and regular files (a symlink, a FIFO) is refused: a checked-out
    pack has none."""
    files: list[tuple[str, Path]] = []
    for here, folders, names in os.walk(folder):
        folders.sort()
        for name in [*names, *(f for f in folders if Path(here, f).is_symlink())]:
            path = Path(here, name)
            if not stat.S_ISREG(path.lstat().st_mode):
                raise GitFailure(f"{path}: is not a regular file")
            files.append((path.relative_to(folder).as_posix(), path))
    total = hashlib.sha256()
    for relative, path in sorted(files):
        raw = relative.encode("utf-8", "surrogateescape")  # a file name need not be UTF-8
        total.update(raw + b"\0" + read_bounded(path, "a rule-pack file") + b"\0")
    return total.hexdigest()
