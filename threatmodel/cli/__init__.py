"""The command line: the only boundary. Each command parses its options, calls the library,
prints and returns an exit code; `run` is the one error boundary, where every failure becomes
an exit code (`output.exit_code`)."""

from __future__ import annotations

import gc
import os
import sys
from typing import Annotated

import typer

from threatmodel import __version__, locales
from threatmodel.cli import commands, gate, portfolio, rules, serve, signing, suggesting, tools
from threatmodel.cli.output import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    exit_code,
    say,
)
from threatmodel.errors import ThreatmodelError, one_line

app = typer.Typer(
    name="threatmodel",
    help="Privacy threat modelling for machine-learning classifiers.",
    add_completion=True,  # --install-completion, --show-completion (bash, zsh, fish, PowerShell)
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
_debug = False


def _version(value: bool) -> None:
    if value:
        say(f"threatmodel {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of unexpected errors.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    global _debug  # noqa: PLW0603 - one process, one flag, read by the error boundary
    _debug = debug


# The everyday commands first, so that `--help` lists them first; then the tools.
for command in (commands.assess, commands.report, gate.check, commands.questions):
    app.command()(command)
app.command()(commands.diff)
app.command()(serve.serve)
app.command()(suggesting.suggest)
app.command()(signing.signoff)
app.command()(portfolio.portfolio)
app.add_typer(rules.rules_app, name="rules")
app.add_typer(tools.templates_app, name="templates")
app.command()(tools.schema)
app.command()(tools.probe)


def main(argv: list[str] | None = None) -> None:
    """Console entry point and the one error boundary: every failure becomes an exit code."""
    # A short-lived process: pydantic need not look for plugins (a scan of every installed
    # package's metadata), and the collector need not walk the loaded pack's many objects.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    gc.disable()
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (for tests and `main`)."""
    if (sys.argv[1:] if argv is None else argv) == ["--version"]:
        # Answered before typer builds every command's parser (a fifth of the time it takes).
        say(f"threatmodel {__version__}")
        return 0
    try:
        # A command may speak another language (`--lang`): only until it returns.
        with locales.speaking(locales.current()):
            result = app(args=argv, prog_name="threatmodel", standalone_mode=False)
    except ThreatmodelError as exc:
        say("threatmodel: " + one_line(exc.message), err=True)
        return exit_code(exc)
    except OSError as exc:  # the system refused a path the user gave (a name too long, …)
        where = f"{exc.filename}: " if exc.filename else ""
        say(f"threatmodel: {one_line(where + (exc.strerror or str(exc)))}", err=True)
        return EXIT_INVALID
    except (KeyboardInterrupt, typer.Abort):
        say("threatmodel: interrupted", err=True)
        return EXIT_INTERRUPTED
    except Exception as exc:
        return _unexpected(exc)
    return result if isinstance(result, int) else 0


def _unexpected(exc: Exception) -> int:
    # typer's own usage errors (an unknown option, a bad value): one line, like ours. A bare
    # `threatmodel` is the exception: it shows the help, which is what the user asked for.
    message = getattr(exc, "format_message", None)
    if callable(message) and hasattr(exc, "exit_code"):
        if type(exc).__name__ == "NoArgsIsHelpError":
            exc.show()  # type: ignore[attr-defined]
        else:
            say("threatmodel: " + one_line(str(message())), err=True)
        return int(exc.exit_code)
    if _debug:
        raise exc
    say(
        f"threatmodel: internal error ({type(exc).__name__}); rerun with --debug and report it",
        err=True,
    )
    return EXIT_INTERNAL
