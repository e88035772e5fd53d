"""A cache of loaded packs, so that each run does not parse and cross-check the same YAML again.

Loading the built-in pack (parsing about twenty YAML files with line tracking and checking every
reference) costs more than the engine and the report together. A pack that loaded without
error is stored as plain JSON under the user's cache folder, keyed by the engine version and the
sha256 of every file of every pack in the stack; any change to a rule, a pack added or removed,
or a new engine version misses the cache, and the pack is loaded and checked in full. The cache
holds data only (JSON, validated again on reading): a corrupt or foreign file is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from threatmodel import __version__
from threatmodel.conditions import Condition
from threatmodel.packmodels import Question, Scoring, ScreeningFile, Section, Threat

FORMAT = 3


def key(digests: list[tuple[Path, str]]) -> str:
    """The cache key of a stack of packs: engine version, and each pack's folder and digest."""
    text = json.dumps([FORMAT, __version__, [[str(p), d] for p, d in digests]])
    return hashlib.sha256(text.encode()).hexdigest()


def folder() -> Path:
    """`$XDG_CACHE_HOME/threatmodel`, else `~/.cache/threatmodel`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "threatmodel"


def read(cache_key: str) -> dict[str, Any] | None:
    """The stored pack data for this key, or None (absent, unreadable or not ours)."""
    try:
        data = json.loads((folder() / f"pack-{cache_key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def write(cache_key: str, data: dict[str, Any]) -> None:
    """Store pack data; a cache that cannot be written is simply not used."""
    from threatmodel.errors import InputError
    from threatmodel.fileio import write_file

    try:
        text = json.dumps({"format": FORMAT, **data}, ensure_ascii=False)
        folder().mkdir(parents=True, exist_ok=True)
        write_file(folder() / f"pack-{cache_key}.json", text)
    except (OSError, TypeError, ValueError, InputError):
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
