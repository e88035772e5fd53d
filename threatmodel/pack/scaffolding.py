"""`rules init DIR`: a new organisation pack that lints and tests clean, with comments that
teach the format."""

from __future__ import annotations

import re
from pathlib import Path

from threatmodel.errors import InputError

_SOURCE = Path(__file__).resolve().parent / "scaffold"


def init_pack(folder: Path) -> list[Path]:
    """Write the scaffold into `folder` (which must be new or empty); return the files written."""
    if folder.exists() and not folder.is_dir():
        raise InputError(folder, "is a file; choose a new folder for the pack")
    if folder.is_dir() and any(folder.iterdir()):
        raise InputError(folder, "is not empty; choose a new folder for the pack")
    name = re.sub(r"[^a-z0-9-]+", "-", folder.resolve().name.lower()).strip("-") or "my-pack"
    if not name[0].isalpha():
        name = "pack-" + name
    written = []
    try:
        for source in sorted([*_SOURCE.rglob("*.yaml"), *_SOURCE.rglob("*.md")]):
            target = folder / source.relative_to(_SOURCE)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(source.read_text(encoding="utf-8").replace("{name}", name), "utf-8")
            written.append(target)
    except OSError as exc:
        raise InputError(folder, f"cannot write: {exc.strerror}") from None
    return written
