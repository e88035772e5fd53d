"""Rule packs from git repositories: the `git` command that fetches them, the cache that keeps
them, and the digest that pins their files.

The cache holds one checked-out tree per repository and commit, under
`<cache>/git/<sha256 of the URL>/<commit>/`, without its `.git`. A tree is fetched into a
temporary folder beside it and renamed into place only once complete and verified, so an
interrupted or failed fetch never leaves anything that looks synced.

What comes from a repository is data from elsewhere: URLs, refs and folders are checked when
the project file is read (`pack.project`), before they reach the command line; git's `ext::`
transport, which runs commands, is refused again here; symlinks are checked out as plain files,
and every file is read through the bounded reader. git never prompts: a private repository
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
from pathlib import Path

from threatmodel.files import read_bounded
from threatmodel.pack import cache

TIMEOUT = 300
"""Seconds any one git command may take (a clone of a huge repository is a mistake)."""


class GitFailure(Exception):
    """A git source that cannot be used, in one line (the caller says which pack)."""


def run_git(*args: str) -> str:
    """Run git without prompts or dangerous transports; its error becomes one line."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
    command = ["git", "-c", "protocol.ext.allow=never", "-c", "core.symlinks=false", *args]
    try:
        done = subprocess.run(  # noqa: S603 - a fixed program and checked arguments, no shell
            command,
            capture_output=True,
            text=True,
            env=env,
            stdin=subprocess.DEVNULL,
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
        raise GitFailure(_git_error(done.stderr) or f"git {args[0]} failed")
    return done.stdout


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
        run_git("init", "-q", "--", str(repo))
        run_git(
            "-C", str(repo), "fetch", "-q", "--depth", "1", "--no-tags", "--", self.url, refname
        )
        commit = run_git("-C", str(repo), "rev-parse", "--verify", "FETCH_HEAD^{commit}").strip()
        (self.work / "tree").mkdir()
        git_dir, work_tree = f"--git-dir={repo / '.git'}", f"--work-tree={self.work / 'tree'}"
        run_git(git_dir, work_tree, "checkout", "-q", "FETCH_HEAD", "--", ".")
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
        total.update(relative.encode() + b"\0" + read_bounded(path, "a rule-pack file") + b"\0")
    return total.hexdigest()
