"""When each answers file last changed, from git: one `git log` per repository, read newest
first and stopped once every file asked about has been seen."""

from __future__ import annotations

import subprocess
from pathlib import Path


def last_changed(files: list[Path]) -> dict[Path, str]:
    """File (as given) -> the date of the last commit that changed it, for files in a git
    repository; files outside one, untracked, or without git are left out."""
    by_repo: dict[Path, dict[str, Path]] = {}
    for path in files:
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):  # missing, or a symlink loop: no history to tell
            continue
        root = _repository(real.parent)
        if root is not None:
            by_repo.setdefault(root, {})[real.relative_to(root).as_posix()] = path
    found: dict[Path, str] = {}
    for root, wanted in by_repo.items():
        found |= _dates(root, wanted)
    return found


def _repository(folder: Path) -> Path | None:
    for candidate in [folder, *folder.parents]:
        if (candidate / ".git").exists():
            return candidate
    return None


def _dates(root: Path, wanted: dict[str, Path]) -> dict[Path, str]:
    from threatmodel.pack.gitpacks import git_environment

    # Paths unquoted (an `é` would otherwise come back as `\303\251`) and taken literally.
    command = ["git", "-c", "core.quotePath=false", "-C", str(root), "--literal-pathspecs", "log",
               "--format=@%cs", "--name-only", "--no-renames", "--", *wanted]  # fmt: skip
    try:
        process = subprocess.Popen(  # noqa: S603 - a fixed program, no shell
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            env=git_environment(),
        )
    except OSError:  # no git: no dates from history
        return {}
    found: dict[Path, str] = {}
    date = ""
    assert process.stdout is not None
    with process:
        for raw in process.stdout:
            line = raw.rstrip("\n")
            if line.startswith("@"):
                date = line[1:]
            elif line in wanted and wanted[line] not in found:
                found[wanted[line]] = date
                if len(found) == len(wanted):
                    process.kill()  # the rest of history is older
                    break
    return found
