"""The organisation's own templates: exporting the built-in ones to edit."""

from __future__ import annotations

import shutil
from pathlib import Path

from threatmodel.errors import InputError
from threatmodel.resources import data_dir


def export_templates(folder: Path, force: bool = False) -> list[Path]:
    """Copy every built-in template into `folder`; refuse to overwrite unless `force`."""
    sources = sorted(data_dir("templates").glob("*.j2"))
    targets = [folder / source.name for source in sources]
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        raise InputError(existing[0], "already exists; pass --force to overwrite")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for source, target in zip(sources, targets, strict=True):
            shutil.copyfile(source, target)
    except OSError as exc:
        raise InputError(folder, f"cannot write: {exc.strerror}") from None
    return targets
