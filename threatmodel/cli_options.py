"""Exit codes and options shared by the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

EXIT_FINDINGS = 1
EXIT_INVALID = 2

RulesOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--rules",
        help="An organisation's rule pack folder, layered on the built-in one (repeatable).",
    ),
]
