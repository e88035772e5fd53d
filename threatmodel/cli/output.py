"""Everything the CLI writes to the terminal, and every exit code: nothing outside `cli/`
prints or chooses one."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import typer

from threatmodel.errors import Interrupted, ThreatmodelError, without_controls

EXIT_OK = 0
EXIT_FINDINGS = 1
"""`check` found a risk at or above --fail-on (or an expired acceptance); a case failed."""
EXIT_INVALID = 2
"""Usage error or invalid input: one line naming the file, the line and the value."""
EXIT_INTERNAL = 3
"""A bug: rerun with --debug and report it."""
EXIT_INTERRUPTED = 130
"""Ctrl-C or end of input; the answers given so far are already saved."""


def exit_code(error: ThreatmodelError) -> int:
    """The exit code of a domain error (the one place that maps errors to codes)."""
    return EXIT_INTERRUPTED if isinstance(error, Interrupted) else EXIT_INVALID


def say(text: str = "", err: bool = False) -> None:
    """Print to the terminal. Titles, answers and paths come from users and shared packs: their
    control characters are dropped, so that none can move the cursor or rewrite the screen."""
    typer.echo(without_controls(text), err=err)


def print_json(data: object) -> None:
    """A document for scripts on standard output: two-space indent, keys in the order built."""
    import json

    write_stdout(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def write_stdout(data: str | bytes) -> None:
    """Write a report to standard output; a closed or full stream is an error, not a crash."""
    if sys.stdout is None:  # started with standard output closed (`>&-`)
        raise ThreatmodelError("standard output: is closed")
    try:
        # Reports are UTF-8 whatever the terminal's encoding (`report > file` on Windows).
        raw = data if isinstance(data, bytes) else data.encode("utf-8")
        sys.stdout.flush()
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError) as exc:  # ValueError: the stream was closed under us
        reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
        raise ThreatmodelError(f"standard output: cannot write: {reason}") from None


def progress_bar() -> Callable[[float], None] | None:
    """A one-line bar on standard error for a person watching; nothing in CI or a pipe."""
    if not sys.stderr.isatty():
        return None

    def show(done: float) -> None:
        filled = int(done * 30)
        end = "\n" if done >= 1 else ""
        sys.stderr.write(f"\rscanning [{'#' * filled}{'.' * (30 - filled)}] {done:4.0%}{end}")
        sys.stderr.flush()

    return show
