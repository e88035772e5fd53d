"""Options shared by the commands."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from threatmodel.render.formats import FORMATS

# The report formats, from the registry: a new format needs no change here.
ReportFormat = Enum("ReportFormat", {name: name for name in FORMATS}, type=str)  # type: ignore[misc]

RulesOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--rules",
        help="An organisation's rule pack folder, layered on the built-in one (repeatable).",
    ),
]
OfflineOpt = Annotated[
    bool,
    typer.Option(
        "--offline",
        help="Never fetch: take the project's git rule packs from the cache only "
        "(`threatmodel rules sync` fills it).",
    ),
]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Treat a missing answer as an error.")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write the report here.")]
FormatOpt = Annotated[ReportFormat, typer.Option("--format", "-f", help="Report format.")]
EvidenceOpt = Annotated[
    Path | None,
    typer.Option("--evidence", help="Measurements from `threatmodel probe` (evidence.json)."),
]
TemplateDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--template-dir", help="Templates here override the built-in ones of the same name."
    ),
]


class Lang(str, Enum):
    """The languages of questions and reports."""

    en = "en"
    fr = "fr"
    de = "de"


LangOpt = Annotated[
    Lang | None,
    typer.Option(
        "--lang",
        help="Language of questions and reports: en, fr, de (default: the project's, else en).",
    ),
]


class ListFormat(str, Enum):
    """How a command other than `report` prints: for people, or JSON for scripts (stable keys,
    documented in the README under "For scripts")."""

    text = "text"
    json = "json"


ListFormatOpt = Annotated[
    ListFormat, typer.Option("--format", "-f", help="text for people, json for scripts.")
]
