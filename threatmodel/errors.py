"""Domain exceptions. Each carries the one line a user sees; the CLI maps them to exit codes."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path


class ThreatmodelError(Exception):
    """Base of every error the CLI reports as one line (it chooses the exit code)."""

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


class Interrupted(ThreatmodelError):
    """Ctrl-C or end of input at a prompt; the answers given so far are already saved."""


def did_you_mean(value: str, candidates: Iterable[str]) -> str:
    """A ' (did you mean 'x'?)' suffix when a close candidate exists, else ''."""
    close = difflib.get_close_matches(value, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A quoted value: an opening quote not preceded by a letter (so not the closing quote of an
# earlier value), long, and a closing quote not followed by one.
_QUOTED = re.compile(r"(?<!\w)'[^'\s][^']{79,}'(?!\w)")
_LONG_WORD = re.compile(r"\S{121,}")  # a path or value with no space to break it
LONGEST_MESSAGE = 500


def without_controls(text: str) -> str:
    """Text with terminal control characters (ESC, BEL, NUL, …) removed; tabs and newlines stay.
    What a user or a pack wrote must not move the cursor or ring the bell of whoever reads it."""
    return _CONTROLS.sub("", text)


def one_line(message: str) -> str:
    """A message as the CLI prints it: one line, controls shown as escapes, every quoted value
    cut to a readable length and the whole at most LONGEST_MESSAGE characters."""
    text = " ".join(message.split())
    text = _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    text = _QUOTED.sub(lambda m: m.group()[:60] + "…'", text)
    text = _LONG_WORD.sub(lambda m: m.group()[:60] + "…" + m.group()[-20:], text)
    return text if len(text) <= LONGEST_MESSAGE else text[: LONGEST_MESSAGE - 1] + "…"


def brief(value: object, limit: int = 60) -> str:
    """A value for an error message: its repr, cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
