"""`threatmodel portfolio`: the organisation's register of every assessment."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from threatmodel.cli.options import OfflineOpt, OutputOpt, RulesOpt
from threatmodel.cli.output import EXIT_FINDINGS, EXIT_INVALID, say, write_stdout
from threatmodel.errors import UsageError


class RegisterFormat(str, Enum):
    """Formats of the register."""

    md = "md"
    html = "html"
    csv = "csv"
    json = "json"


def portfolio(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Folders to search for answers files (threat-assessment.yaml, "
            "*.threatmodel.yaml), or answers files."
        ),
    ],
    fmt: Annotated[
        RegisterFormat, typer.Option("--format", "-f", help="md, html, csv or json.")
    ] = RegisterFormat.md,
    output: OutputOpt = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when a system's residual risk is at or above this level (accepted "
            "risks pass until their acceptance expires), or an acceptance has expired.",
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Judge acceptances as of this date (YYYY-MM-DD; default today)."
        ),
    ] = None,
    rules: RulesOpt = None,
    offline: OfflineOpt = False,
) -> int:
    """Every assessment in one register: risks, DPIA and Art. 36, acceptances and when they
    expire, sign-offs, rules behind, files that do not load."""
    from threatmodel.app import PackStacks
    from threatmodel.files import write_file
    from threatmodel.portfolio import render
    from threatmodel.portfolio.collect import answers_files, collect, newest_tags

    day = _day(as_of)
    files = answers_files(paths)
    if not files:
        where = ", ".join(map(str, paths))
        raise UsageError(f"no answers file (threat-assessment.yaml, *.threatmodel.yaml) in {where}")
    register = collect(files, PackStacks(rules, offline=offline), day, fail_on=fail_on,
                       newest=None if offline else newest_tags())  # fmt: skip
    text = {"md": render.to_markdown, "html": render.to_html, "csv": render.to_csv,
            "json": render.to_json}[fmt.value](register)  # fmt: skip
    if output is None:
        write_stdout(text)
    else:
        write_file(output, text)
    summary = register.summary
    say(f"{summary['systems']} system(s), {summary['high_or_critical']} at high or critical, "
        f"{summary['broken']} that do not load"
        + (f"; register written to {output}" if output else ""), err=True)  # fmt: skip
    if summary["broken"]:
        return EXIT_INVALID
    return EXIT_FINDINGS if fail_on is not None and summary["failing"] else 0


def _day(text: str | None) -> dt.date:
    if text is None:
        return dt.datetime.now(tz=dt.timezone.utc).date()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of must be a date like 2026-12-31, got '{text}'") from None
