"""Finding the answers files under the given paths and assessing them all in one process, each
with its own project file's packs (each distinct stack of packs is loaded once)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from threatmodel.app import PackStacks, assess_file, gate
from threatmodel.engine.assessment import Assessment, PackRef
from threatmodel.errors import ThreatmodelError, UsageError
from threatmodel.portfolio import history
from threatmodel.portfolio.register import TONES, Register, System, broken, system
from threatmodel.render.document import tone_of

NAMES = ("threat-assessment.yaml",)
SUFFIX = ".threatmodel.yaml"
"""The names the project file and the pre-commit hook use for answers files."""
SKIP = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache"}


def answers_files(paths: Iterable[Path]) -> list[Path]:
    """Every answers file under the paths (by name), and any file given directly, once each,
    in path order."""
    found: dict[Path, Path] = {}
    for path in paths:
        if path.is_dir():
            for here, folders, files in os.walk(path):
                folders[:] = sorted(f for f in folders if f not in SKIP)
                for name in sorted(files):
                    if name in NAMES or (name.endswith(SUFFIX) and name != SUFFIX):
                        candidate = Path(here) / name
                        found.setdefault(_absolute(candidate), candidate)
        elif path.exists() or path.is_symlink():
            found.setdefault(_absolute(path), path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    return sorted(found.values(), key=str)


def _absolute(path: Path) -> Path:
    """The path made absolute without following links: a symlink loop is a file that fails
    to load (a row of the register), not an error for the whole register."""
    return Path(os.path.abspath(path))


def collect(
    files: list[Path],
    stacks: PackStacks,
    as_of: dt.date,
    *,
    fail_on: str | None = None,
    newest: Callable[[str, str], str | None] | None = None,
) -> Register:
    """Assess every file, each with its own project's packs, into the register."""
    rows: list[System] = []
    scales: list[tuple[str, ...]] = []
    for path in files:
        try:
            pack = stacks.for_file(path)
            assessment = assess_file(path, pack)
        except ThreatmodelError as exc:
            rows.append(broken(str(path), exc.message))
            continue
        scales.append(assessment.risk_levels)
        row = system(str(path), assessment, as_of, _tone(assessment))
        update: dict[str, object] = {}
        if fail_on is not None:
            if fail_on not in assessment.risk_levels:  # its project's pack names its own levels
                scale = ", ".join(assessment.risk_levels)
                rows.append(broken(str(path), f"--fail-on {fail_on} is not a level of its scale "
                                              f"({scale})"))  # fmt: skip
                continue
            verdict = gate(assessment, fail_on, as_of)
            update["failing"] = bool(verdict.failing or verdict.expired)
        if newest is not None:
            update |= _news(row, assessment.packs, newest)
        rows.append(row.model_copy(update=update))
    if fail_on is not None and scales and not any(fail_on in scale for scale in scales):
        raise UsageError(f"--fail-on must be one of {', '.join(scales[0])}, got '{fail_on}'")
    dated = history.last_changed([Path(r.path) for r in rows])
    rows = [_dated(r, dated) for r in rows]
    rows.sort(key=lambda r: (r.error is None, _rank(r.residual_tone), r.name, r.path))
    return Register(as_of=as_of, fail_on=fail_on, systems=tuple(reversed(rows)))


def _tone(assessment: Assessment) -> Callable[[str], str]:
    """A level of this assessment's scale as its rank from the top (`critical`, `high`, ...):
    systems assessed on scales named differently sort, count and colour alike."""
    return lambda level: tone_of(assessment, level, tuple(reversed(TONES[1:])))


def _rank(tone: str | None) -> int:
    return TONES.index(tone) if tone in TONES else -1


def _news(
    row: System, packs: tuple[PackRef, ...], newest: Callable[[str, str], str | None]
) -> dict[str, object]:
    """Each git pack's newest version tag, and a stale reason when it is newer than the one used."""
    used, stale = [], list(row.stale)
    for ref, info in zip(packs, row.packs, strict=True):
        tag = newest(ref.git, ref.ref) if ref.git and ref.ref else None
        used.append(info.model_copy(update={"newest": tag}))
        if tag is not None:
            stale.append(f"pack {ref.name} is pinned to {ref.ref}; {tag} is available")
    return {"packs": tuple(used), "stale": tuple(stale)}


def _dated(row: System, dated: dict[Path, str]) -> System:
    """The row with when its answers last changed: from git where the file is in a repository,
    else as its provenance records it, else the file's modification time."""
    changed = dated.get(Path(row.path))
    if changed is not None:
        return row.model_copy(update={"last_changed": changed, "last_changed_from": "git"})
    if row.last_changed is not None:
        return row
    try:
        mtime = dt.datetime.fromtimestamp(Path(row.path).stat().st_mtime, tz=dt.timezone.utc)
    except OSError:
        return row
    return row.model_copy(
        update={"last_changed": mtime.date().isoformat(), "last_changed_from": "file"}
    )


def newest_tags() -> Callable[[str, str], str | None]:
    """A lookup of the newest version tag of a pack's repository after the tag used (one
    `git ls-remote` per repository; an unreachable one tells nothing)."""
    from threatmodel.pack import gitpacks
    from threatmodel.pack.sync import newer_tags, tag_version

    seen: dict[str, dict[str, str]] = {}

    def newest(url: str, ref: str) -> str | None:
        if url not in seen:
            try:
                seen[url] = gitpacks.remote_refs(url)
            except gitpacks.GitFailure:
                seen[url] = {}
        base = tag_version(ref)
        tags = newer_tags(seen[url], base) if base is not None else []
        return tags[0] if tags else None

    return newest
