"""Domain exceptions. Each carries the one line a user sees; the CLI maps them to exit codes."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class ThreatmodelError(Exception):
    """Base of every error the CLI reports as one line (exit code 2 unless a subclass says)."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(ThreatmodelError):
    """A user-supplied file (answers, rules, templates) is missing, unsafe or invalid."""

    def __init__(self, path: Path | str | None, message: str, line: int | None = None) -> None:
        where = "" if path is None else f"{path}:{line}: " if line else f"{path}: "
        super().__init__(where + message)
        self.path = path
        self.line = line


class UsageError(ThreatmodelError):
    """The command line itself is wrong (an option value, a missing id)."""


def did_you_mean(value: str, candidates: Iterable[str]) -> str:
    """A ' (did you mean 'x'?)' suffix when a close candidate exists, else ''."""
    close = difflib.get_close_matches(value, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def brief(value: object, limit: int = 60) -> str:
    """A value for an error message: its repr, cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
