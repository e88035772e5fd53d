"""Every file the tool reads or writes goes through here.

Reading: one bounded reader. A file is opened without blocking (a FIFO cannot hang us), must be
a regular file, and may hold at most the limit of its kind, so that `/dev/zero` given as evidence
or a 3 GB file dropped in a rule pack is a one-line error, not a hung or exhausted machine.

Writing: a crash never leaves half a file (a temporary file beside the target, renamed over
it); a FIFO or a device is written as a stream, as `>` would; a symlink is written through to
its target, which stays a symlink's target. Inside a folder of untrusted files (a shared rule
pack, templates from elsewhere) a path is resolved and must stay inside that folder.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from threatmodel.errors import InputError, UsageError

MB = 1024 * 1024
LIMITS = {
    "a YAML file": 10 * MB,
    "a JSON file": 10 * MB,
    "an answers file or JSON assessment": 10 * MB,
    "an evidence file": 10 * MB,
    "a template": 2 * MB,
    "a rule-pack file": 10 * MB,
    "a CSV sample": 256 * MB,
    "a model file": 1024 * MB,
    "a pack cache entry": 512 * MB,
}
"""The most each kind of file may hold. Answers, rules, evidence and templates are text a
person writes; samples and models are data, bounded so that a hostile file cannot exhaust
memory."""


def read_bounded(path: Path, kind: str) -> bytes:
    """The bytes of a regular file of this kind (a key of LIMITS), or InputError naming it."""
    limit = LIMITS[kind]
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _read_error(path, kind, exc) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(path, f"is a directory, not {kind}")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(path, "is not a regular file")
        if info.st_size > limit:
            raise InputError(path, f"file is {info.st_size:,} bytes; the limit is {limit:,}")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(limit + 1)  # the file may grow between fstat and read
    except OSError as exc:
        raise _read_error(path, kind, exc) from None
    finally:
        os.close(fd)
    if len(raw) > limit:
        raise InputError(path, f"file is over the limit of {limit:,} bytes")
    return raw


def read_text(path: Path, kind: str) -> str:
    """A bounded file's text, which must be UTF-8."""
    raw = read_bounded(path, kind)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 text (byte {exc.start})") from None


def parse_json(raw: bytes, path: Path) -> Any:
    """JSON from a bounded read: UTF-8 (a BOM allowed), errors with their line, and nesting
    too deep for the parser an error too, never a crash."""
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(path, "is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise InputError(path, "not valid JSON: nested too deeply") from None


def check_file(path: Path, kind: str) -> int:
    """The size of a regular file within the limit of its kind (for files a library opens
    itself), or InputError."""
    try:
        info = path.stat()
    except OSError as exc:
        raise _read_error(path, kind, exc) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(path, f"is a directory, not {kind}")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(path, "is not a regular file")
    if info.st_size > LIMITS[kind]:
        raise InputError(path, f"file is {info.st_size:,} bytes; the limit is {LIMITS[kind]:,}")
    return info.st_size


def _read_error(path: Path, kind: str, exc: OSError) -> InputError:
    if exc.errno == errno.ENOENT:
        return InputError(path, "no such file")
    if exc.errno == errno.EISDIR:
        return InputError(path, f"is a directory, not {kind}")
    if exc.errno == errno.ENAMETOOLONG:
        return InputError(path, "file name too long")
    return InputError(path, f"cannot be read: {exc.strerror or exc}")


def inside(folder: Path, path: Path) -> Path:
    """`path` resolved (symlinks followed), which must stay inside `folder` (also resolved): a
    file of a shared pack or template folder cannot point at the rest of the machine."""
    root = folder.resolve()
    try:
        real = path.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise InputError(path, f"cannot be resolved: {exc}") from None
    if real != root and root not in real.parents:
        raise InputError(path, f"leads outside {folder} (a symlink?); refused")
    return real


def all_inside(folder: Path, paths: list[Path]) -> list[Path]:
    """`inside` for many files of one folder (a pack of 10,000 threats): each folder on the way
    is resolved once, and a file that is not a symlink resolves to its resolved folder and its
    name, without following the whole path again."""
    folders: dict[Path, Path] = {}
    out = []
    for path in paths:
        try:
            is_link = stat.S_ISLNK(os.lstat(path).st_mode)
        except OSError:
            is_link = True  # let `inside` name what is wrong
        if is_link:
            out.append(inside(folder, path))
            continue
        if path.parent not in folders:
            folders[path.parent] = inside(folder, path.parent)
        out.append(folders[path.parent] / path.name)  # one name, not a link: still inside
    return out


def same_file(a: Path, b: Path) -> bool:
    """Do two paths name the same file (through symlinks and hard links)?"""
    try:
        return os.path.samefile(a, b)
    except OSError:
        try:
            return a.resolve() == b.resolve()
        except (OSError, RuntimeError):
            return False


def refuse_inputs(output: Path, inputs: dict[str, Path | None], option: str = "--output") -> None:
    """Refuse to write over one of the command's own inputs (`probe --out members.csv`)."""
    for name, path in inputs.items():
        if path is not None and same_file(output, path):
            raise UsageError(f"{option} {output} is the {name} itself; choose another path")


def write_file(path: Path, data: str | bytes) -> None:
    """Write `data` to `path` as a person would expect `> path` to, but never half a file.

    A symlink is followed and its target written; a FIFO, device or other non-regular file is
    written as a stream; a regular file (or a new one) is replaced atomically.
    """
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    target = _through_symlinks(path)
    try:
        info: os.stat_result | None = target.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise InputError(path, f"cannot write: {_reason(exc)}") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise InputError(path, "is a folder; give a file name")
    if info is not None and not stat.S_ISREG(info.st_mode):
        _write_stream(path, target, raw)
    else:
        _write_atomic(path, target, raw)


def _through_symlinks(path: Path) -> Path:
    try:
        return path.resolve() if path.is_symlink() else path
    except (OSError, RuntimeError) as exc:
        raise InputError(path, f"cannot be resolved: {exc}") from None


def _write_stream(shown: Path, target: Path, raw: bytes) -> None:
    try:
        with target.open("wb") as handle:
            handle.write(raw)
    except OSError as exc:
        raise InputError(shown, f"cannot write: {_reason(exc)}") from None


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


TEMP_SUFFIX = ".tmp"


def temp_prefix(path: Path) -> str:
    """The prefix of this tool's temporary files beside `path` (cleaned if a kill leaves one)."""
    return f".{path.name}."


def _write_atomic(shown: Path, path: Path, raw: bytes) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename it over `path`."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=TEMP_SUFFIX, dir=folder)
    except OSError as exc:
        raise InputError(shown, f"cannot write: {_reason(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates the file private (0600); give it the mode the file had, or the mode a
        # new file gets under the user's umask, as any editor would.
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(shown, f"cannot write: {_reason(exc)}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _reason(exc: Exception) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
