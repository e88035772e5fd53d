"""A cache of loaded packs, so that each run does not parse and cross-check the same YAML again.

Loading the built-in pack (parsing about twenty YAML files with line tracking and checking every
reference) costs more than the engine and the report together. A pack that loaded without
error is stored as plain JSON under the user's cache folder, keyed by the engine version and the
sha256 of every file of every pack in the stack; any change to a rule, a pack added or removed,
or a new engine version misses the cache, and the pack is loaded and checked in full.

The cache is data, not truth. Each entry carries its key and a sha256 of the key and its own
content; an entry whose digest does not match (edited, truncated, copied under another key) is a
miss, never a pack. The data is validated again on reading. Old entries are pruned so that the
folder stays small (a 10,000-threat pack writes tens of megabytes).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from threatmodel import __version__
from threatmodel.language.conditions import Condition
from threatmodel.language.questions import Question, Section
from threatmodel.pack.models import Scoring, ScreeningFile, Threat

FORMAT = 4
KEEP_ENTRIES = 16
KEEP_BYTES = 100 * 1024 * 1024


def key(digests: list[tuple[Path, str]]) -> str:
    """The cache key of a stack of packs: engine version, and each pack's folder and digest."""
    text = json.dumps([FORMAT, __version__, [[str(p), d] for p, d in digests]])
    return hashlib.sha256(text.encode()).hexdigest()


def folder() -> Path:
    """`$XDG_CACHE_HOME/threatmodel`, else `~/.cache/threatmodel`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "threatmodel"


def _digest(cache_key: str, content: bytes) -> str:
    return hashlib.sha256(cache_key.encode() + b"\n" + content).hexdigest()


def read(cache_key: str) -> dict[str, Any] | None:
    """The stored pack data for this key, or None (absent, unreadable, altered or not ours)."""
    from threatmodel.errors import InputError
    from threatmodel.files import read_bounded

    path = folder() / f"pack-{cache_key}.json"
    try:
        header, _, content = read_bounded(path, "a pack cache entry").partition(b"\n")
        meta = json.loads(header)
        if meta != {"format": FORMAT, "key": cache_key, "digest": _digest(cache_key, content)}:
            return None
        data = json.loads(content)
        os.utime(path)  # recently used: pruned last
    except (OSError, ValueError, InputError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def write(cache_key: str, data: dict[str, Any]) -> None:
    """Store pack data; a cache that cannot be written is simply not used."""
    from threatmodel.errors import InputError
    from threatmodel.files import write_file

    try:
        content = json.dumps(data, ensure_ascii=False).encode()
        meta = {"format": FORMAT, "key": cache_key, "digest": _digest(cache_key, content)}
        folder().mkdir(parents=True, exist_ok=True)
        write_file(folder() / f"pack-{cache_key}.json", json.dumps(meta).encode() + b"\n" + content)
        prune()
    except (OSError, TypeError, ValueError, InputError):
        return


def prune(keep: int = KEEP_ENTRIES, keep_bytes: int = KEEP_BYTES) -> None:
    """Remove the least recently used entries beyond `keep` of them or `keep_bytes` in all (and
    old stamps, four for each entry kept)."""
    _prune(folder().glob("pack-*.json"), keep, keep_bytes)
    _prune(folder().glob("stamp-*.txt"), keep * 4, keep_bytes)


def _prune(paths: Any, keep: int, keep_bytes: int) -> None:
    entries = []
    for path in paths:
        try:
            info = path.stat()
        except OSError:
            continue
        entries.append((info.st_mtime, info.st_size, path))
    entries.sort(reverse=True)
    total = 0
    for i, (_, size, path) in enumerate(entries):
        total += size
        if i >= keep or (i > 0 and total > keep_bytes):
            path.unlink(missing_ok=True)


def stamp(folder_path: Path, files: list[tuple[str, Path]]) -> str:
    """What a pack folder's files look like on disk without reading them: each file's name
    (relative to the pack), size and modification time (nanoseconds). Equal stamps mean the
    digest can be reused."""
    parts: list[Any] = [str(folder_path)]
    for relative, real in files:
        try:
            info = os.stat(real)
        except OSError:
            return ""  # cannot tell: hash the files
        parts.append([relative, info.st_size, info.st_mtime_ns])
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def remembered_digest(folder_stamp: str) -> str | None:
    """The digest last computed for files with this stamp, if any."""
    if not folder_stamp:
        return None
    try:
        text = (folder() / f"stamp-{folder_stamp}.txt").read_text(encoding="ascii").strip()
    except (OSError, ValueError):
        return None
    return text if len(text) == 64 and all(c in "0123456789abcdef" for c in text) else None


def remember_digest(folder_stamp: str, digest: str) -> None:
    """Keep a digest for its stamp; a folder that cannot be written is simply not used."""
    if not folder_stamp:
        return
    try:
        folder().mkdir(parents=True, exist_ok=True)
        (folder() / f"stamp-{folder_stamp}.txt").write_text(digest, encoding="ascii")
    except OSError:
        return


def dump_models(models: dict[str, Any]) -> dict[str, Any]:
    """Models as JSON data, by alias (`is`, `not`, `raise`), without unset defaults."""
    return {
        k: m.model_dump(mode="json", by_alias=True, exclude_none=True) for k, m in models.items()
    }


def restore(data: dict[str, Any]) -> dict[str, Any]:
    """The models of a stored pack, validated again."""
    from pydantic import TypeAdapter

    condition: TypeAdapter[Condition] = TypeAdapter(Condition)
    return {
        "sections": {k: Section.model_validate(v) for k, v in data["sections"].items()},
        "questions": {k: Question.model_validate(v) for k, v in data["questions"].items()},
        "threats": {k: Threat.model_validate(v) for k, v in data["threats"].items()},
        "conditions": {k: condition.validate_python(v) for k, v in data["conditions"].items()},
        "scoring": Scoring.model_validate(data["scoring"]),
        "screening": ScreeningFile.model_validate(data["screening"]) if data["screening"] else None,
    }
