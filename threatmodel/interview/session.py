"""One writer at a time on an answers file, and never a silent overwrite.

An interview holds an exclusive lock for as long as it runs (a lock file beside the answers,
`.NAME.lock`, locked with the operating system so that a killed process releases it); a second
interview on the same file is refused, naming the holder. Before each save the file is compared
with what was last read or written: if something else changed it (an editor, a merge), what it
changed is kept and the interview's own answers are merged in; when both changed the same
answer differently, the save stops with a message and nothing is overwritten.

Writability is checked before the first question, and temporary files that a killed save left
beside the file are removed when the next interview starts.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from threatmodel.errors import InputError, brief
from threatmodel.files import TEMP_SUFFIX, read_text, temp_prefix, write_file

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class Conflict(InputError):
    """The file changed on disk in a way that cannot be merged with the interview's answers."""


def lock_path(path: Path) -> Path:
    """The lock file of an answers file."""
    return path.with_name(f".{path.name}.lock")


def check_writable(path: Path) -> None:
    """Refuse, before any question, a file or folder that a save could not write."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(path, f"cannot be saved: no folder {folder}")
    try:
        info = path.lstat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise InputError(path, f"cannot be read: {exc.strerror}") from None
    if info is not None and stat.S_ISREG(info.st_mode) and not info.st_mode & 0o222:
        raise InputError(
            path, "is read-only; make it writable (chmod u+w) or answer into a copy of it"
        )
    try:  # the one test that tells whether a save can work: write a file there
        fd, probe = tempfile.mkstemp(prefix=temp_prefix(path), suffix=TEMP_SUFFIX, dir=folder)
    except OSError as exc:
        raise InputError(path, f"cannot be saved in {folder}: {exc.strerror}") from None
    os.close(fd)
    os.unlink(probe)


def stale_temporaries(path: Path) -> list[Path]:
    """Temporary files of this tool beside `path` (only a killed save leaves one)."""
    folder = path.parent if str(path.parent) else Path(".")
    pattern = re.compile(re.escape(temp_prefix(path)) + r"[A-Za-z0-9_]{8}" + re.escape(TEMP_SUFFIX))
    try:
        return sorted(p for p in folder.iterdir() if pattern.fullmatch(p.name) and p.is_file())
    except OSError:
        return []


@dataclass
class Lock:
    """An exclusive hold on an answers file for one interview."""

    path: Path
    fd: int

    @classmethod
    def take(cls, answers: Path) -> Lock:
        """Lock `answers` for this process, or raise InputError naming the holder."""
        where = lock_path(answers)
        try:
            fd = os.open(where, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as exc:
            raise InputError(where, f"cannot create the lock file: {exc.strerror}") from None
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = _holder(fd)
                os.close(fd)
                raise InputError(
                    answers,
                    f"is being answered in another session ({holder}); finish or stop that one "
                    "first",
                ) from None
        started = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %z")
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {started}\n".encode())
        return cls(where, fd)

    def release(self) -> None:
        """Remove the lock file and let go (removed first, so no one locks a stale file)."""
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self.fd)


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").split()
    except OSError:
        text = []
    if len(text) >= 2 and text[0].isdigit():
        return f"PID {text[0]}, started {' '.join(text[1:])}"
    return "PID unknown"


@dataclass
class OnDisk:
    """What the interview last read from, or wrote to, the answers file."""

    path: Path
    text: str | None
    given: dict[str, Any] = field(default_factory=dict)

    def changed(self) -> str | None:
        """The file's text now, if it differs from what we last saw (None if unchanged)."""
        try:
            now = read_text(self.path, "a YAML file")
        except InputError:
            if not self.path.exists():
                return None  # removed meanwhile: our save puts it back
            raise
        return None if now == self.text else now

    def write(self, text: str, given: dict[str, Any]) -> None:
        """Save and remember what was saved."""
        write_file(self.path, text)
        self.text, self.given = text, dict(given)


def merge(
    base: dict[str, Any],
    ours: dict[str, Any],
    theirs: dict[str, Any],
    path: Path,
    shown: Callable[[Any], str],
) -> tuple[dict[str, Any], list[str]]:
    """Three-way merge of answers: what changed on disk is kept, what we answered is added; an
    answer both changed differently is a Conflict. Returns the merged answers and the ids taken
    from disk."""
    merged = dict(ours)
    taken = []
    for qid in dict.fromkeys([*base, *ours, *theirs]):
        was, mine, disk = base.get(qid), ours.get(qid), theirs.get(qid)
        if disk in (was, mine):
            continue
        if mine == was:
            taken.append(qid)
            if disk is None:
                merged.pop(qid, None)
            else:
                merged[qid] = disk
            continue
        raise Conflict(
            path,
            f"changed on disk while you answered: {qid} is now {brief(shown(disk), 40)} there "
            f"and you answered {brief(shown(mine), 40)}; nothing was overwritten. Edit the file "
            "or run `threatmodel assess` on it again",
        )
    return merged, taken
