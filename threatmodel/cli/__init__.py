"""The command line: parse options, call one library function, print, return an exit code.

This is the only module that prints or chooses exit codes; `main` is the one error boundary.
"""

from __future__ import annotations

import datetime as dt
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from threatmodel import __version__
from threatmodel.cli import tools as cli_tools
from threatmodel.cli.options import EXIT_FINDINGS, EXIT_INVALID, RulesOpt, say
from threatmodel.errors import ThreatmodelError, UsageError, one_line
from threatmodel.pack import project

if TYPE_CHECKING:
    from threatmodel.engine.assessment import Assessment
    from threatmodel.pack.load import Pack

app = typer.Typer(
    name="threatmodel",
    help="Privacy threat modelling for machine-learning classifiers.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130
_debug = False


class ReportFormat(str, Enum):
    """Report formats available."""

    md = "md"
    html = "html"
    pdf = "pdf"
    json = "json"
    sarif = "sarif"
    csv = "csv"


class QuestionsFormat(str, Enum):
    """Formats of `questions`."""

    md = "md"
    json = "json"


StrictOpt = Annotated[bool, typer.Option("--strict", help="Treat a missing answer as an error.")]


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


@app.command()
def assess(
    answers: Annotated[
        Path, typer.Argument(help="The answers file: created, or resumed where it stops.")
    ] = Path("threat-assessment.yaml"),
    review: Annotated[
        bool, typer.Option("--review", help="Walk through every question, prefilled.")
    ] = False,
    fmt: FormatOpt = ReportFormat.md,
    output: OutputOpt = None,
    rules: RulesOpt = None,
    template_dir: TemplateDirOpt = None,
    evidence: EvidenceOpt = None,
) -> int:
    """Interactive questionnaire; saves each answer at once, then writes the report."""
    from threatmodel.interview.prompts import terminal_ready

    if not terminal_ready():
        raise UsageError(
            "standard input is not a terminal; to assess without questions run "
            f"`threatmodel report {answers}`"
        )
    from threatmodel.app import assess_file
    from threatmodel.interview.flow import Interview
    from threatmodel.interview.prompts import Prompter
    from threatmodel.pack.load import load_packs

    target = output or answers.with_suffix(f".{fmt.value}")
    _refuse_inputs(target, answers, evidence)
    pack = load_packs(project.rule_folders(answers, rules))
    template_dir = template_dir or _project_template_dir(answers)
    _check_output_options(fmt.value, template_dir)  # before the interview, not after it
    with Interview.open(pack, answers, Prompter(), say) as interview:
        interview.run(review_all=review)
    assessment = assess_file(answers, pack, evidence_path=evidence)
    _emit(assessment, fmt.value, target, template_dir)
    say(f"\nAnswers saved in {answers}; report written to {target}.")
    _summary(assessment)
    return 0


@app.command()
def report(
    answers: Annotated[Path, typer.Argument(help="The answers file (YAML).")],
    fmt: FormatOpt = ReportFormat.md,
    output: OutputOpt = None,
    rules: RulesOpt = None,
    strict: StrictOpt = False,
    template_dir: TemplateDirOpt = None,
    evidence: EvidenceOpt = None,
) -> int:
    """Assess an answers file and write the report (to standard output by default)."""
    from threatmodel.app import assess_file
    from threatmodel.pack.load import load_packs

    if output is not None:
        _refuse_inputs(output, answers, evidence)
    pack = load_packs(project.rule_folders(answers, rules))
    assessment = assess_file(answers, pack, strict, evidence)
    _warn_orphans(assessment)
    _emit(assessment, fmt.value, output, template_dir or _project_template_dir(answers))
    where = "" if output is None else f"; report written to {output}"
    count = len(assessment.threats)
    say(f"{answers}: {count} threat(s), overall risk {assessment.overall_risk}{where}", err=True)
    return 0


@app.command()
def check(
    answers: Annotated[Path, typer.Argument(help="The answers file (YAML).")],
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on", help="Fail at this risk or above (default: high, or the project's)."
        ),
    ] = None,
    rules: RulesOpt = None,
    strict: StrictOpt = False,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="An earlier JSON assessment (or answers file): fail only on threats that are "
            "new or whose residual risk rose since it.",
        ),
    ] = None,
) -> int:
    """CI gate: exit 1 when a threat's residual risk is at or above --fail-on."""
    from threatmodel.app import assess_file, default_gate, gate
    from threatmodel.pack.load import load_packs

    pack = load_packs(project.rule_folders(answers, rules))
    assessment = assess_file(answers, pack, strict)
    _warn_orphans(assessment)
    fail_on = fail_on or project.load(answers)[0].fail_on or default_gate(assessment.risk_levels)
    result = gate(assessment, fail_on, dt.date.today())
    if baseline is not None:
        from threatmodel.engine import diff as diffing

        worse = set(diffing.regressions(diffing.load_side(baseline, pack), assessment))
        result = result.only(worse)
    for threat in assessment.threats:
        mark = "FAIL" if threat.id in result.failing + result.expired else "ok  "
        note = " (accepted)" if threat.id in result.accepted else ""
        note = " (acceptance expired)" if threat.id in result.expired else note
        say(f"{mark} {threat.residual_risk:<9} {threat.id}{note}")
    verdict = "passed" if result.passed else "FAILED"
    say(_rules_used(pack, answers))
    say(
        f"{answers}: overall risk {assessment.overall_risk}; check {verdict} at --fail-on {fail_on}"
    )
    return 0 if result.passed else EXIT_FINDINGS


def _rules_used(pack: Pack, answers: Path) -> str:
    """Which project file and packs judged the answers: a gate must say what it ran."""
    found = project.find(answers)
    where = f"project file {found}" if found else "no project file"
    packs = ", ".join(f"{p.name} {p.version} ({p.path})" for p in pack.packs)
    return f"{answers}: {where}; packs: {packs}"


def _summary(assessment: Assessment) -> None:
    if not assessment.threats:
        say("No privacy threat applies to the system as described.")
    for threat in assessment.threats:
        say(f"  {threat.risk:<9} {threat.title} ({threat.id})")
    say(f"Overall risk: {assessment.overall_risk}.")


def _warn_orphans(assessment: Assessment) -> None:
    for warning in (*assessment.orphans, *assessment.notices):
        say(f"threatmodel: warning: {warning}", err=True)


def _emit(assessment: Assessment, fmt: str, output: Path | None, template_dir: Path | None) -> None:
    from threatmodel.files import write_file, write_stdout
    from threatmodel.render import render, render_pdf

    _check_output_options(fmt, template_dir)
    data: str | bytes
    data = (
        render_pdf(assessment, template_dir)
        if fmt == "pdf"
        else render(assessment, fmt, template_dir)
    )
    if output is None:
        write_stdout(data)
    else:
        write_file(output, data)


def _check_output_options(fmt: str, template_dir: Path | None) -> None:
    if template_dir is not None and not template_dir.is_dir():
        raise UsageError(f"--template-dir {template_dir}: no such folder")
    if fmt == "pdf":
        from threatmodel.render import require_pdf

        require_pdf()


def _project_template_dir(answers: Path) -> Path | None:
    settings, path = project.load(answers)
    if path is None or settings.template_dir is None:
        return None
    return path.parent / settings.template_dir


def _refuse_inputs(output: Path, answers: Path, evidence: Path | None) -> None:
    from threatmodel.files import refuse_inputs

    refuse_inputs(output, {"answers file": answers, "evidence file": evidence})


@app.command()
def questions(
    fmt: Annotated[
        QuestionsFormat, typer.Option("--format", "-f", help="Output format.")
    ] = QuestionsFormat.md,
    rules: RulesOpt = None,
) -> int:
    """Print the questionnaire, for workshops and rule authors."""
    from threatmodel.pack.load import load_packs
    from threatmodel.render.questionnaire import questions_json, questions_markdown

    pack = load_packs(project.rule_folders(Path.cwd(), rules))
    sys.stdout.write(
        questions_json(pack) if fmt == QuestionsFormat.json else questions_markdown(pack)
    )
    return 0


class DiffFormat(str, Enum):
    """Formats of `diff`."""

    md = "md"
    json = "json"


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The earlier answers file or JSON assessment.")],
    new: Annotated[Path, typer.Argument(help="The later answers file or JSON assessment.")],
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="md or json.")] = DiffFormat.md,
    rules: RulesOpt = None,
) -> int:
    """What changed between two assessments: answers, threats, risk levels, and why."""
    from threatmodel.engine import diff as diffing
    from threatmodel.files import write_stdout
    from threatmodel.pack.load import load_packs

    # Both sides are assessed with the same packs: those of either side's project, and --rules.
    folders = project.rule_folders(old, [*project.rule_folders(new, []), *(rules or [])])
    pack = load_packs(folders)
    change = diffing.diff(diffing.load_side(old, pack), diffing.load_side(new, pack))
    text = (
        diffing.to_json(change)
        if fmt == DiffFormat.json
        else diffing.to_markdown(change, str(old), str(new))
    )
    write_stdout(text)
    return 0


# The rule-pack, template, schema and probe commands live in cli_tools; registered here, after
# the main ones, so that `--help` lists the everyday commands first.
app.add_typer(cli_tools.rules_app, name="rules")
app.add_typer(cli_tools.templates_app, name="templates")
app.command()(cli_tools.schema)
app.command()(cli_tools.probe)


def main(argv: list[str] | None = None) -> None:
    """Console entry point and the one error boundary: every failure becomes an exit code."""
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (for tests and `main`)."""
    try:
        result = app(args=argv, prog_name="threatmodel", standalone_mode=False)
    except ThreatmodelError as exc:
        say("threatmodel: " + one_line(exc.message), err=True)
        return exc.exit_code
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
