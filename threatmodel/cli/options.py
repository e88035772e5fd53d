"""Exit codes and options shared by the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

EXIT_FINDINGS = 1
EXIT_INVALID = 2


def say(text: str = "", err: bool = False) -> None:
    """Print to the terminal. Titles, answers and paths come from users and shared packs: their
    control characters are dropped, so that none can move the cursor or rewrite the screen."""
    from threatmodel.errors import without_controls

    typer.echo(without_controls(text), err=err)


RulesOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--rules",
        help="An organisation's rule pack folder, layered on the built-in one (repeatable).",
    ),
]
