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

from threatmodel import __version__, project
from threatmodel.errors import ThreatmodelError, UsageError

if TYPE_CHECKING:
    from threatmodel.assessment import Assessment
    from threatmodel.pack import Pack

app = typer.Typer(
    name="threatmodel",
    help="Privacy threat modelling for machine-learning classifiers.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
rules_app = typer.Typer(help="Rule-pack tooling.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(rules_app, name="rules")
templates_app = typer.Typer(
    help="The report templates, to be edited.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(templates_app, name="templates")

EXIT_FINDINGS = 1
EXIT_INVALID = 2
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


RulesOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--rules",
        help="An organisation's rule pack folder, layered on the built-in one (repeatable).",
    ),
]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Treat a missing answer as an error.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"threatmodel {__version__}")
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
    from threatmodel.prompting import terminal_ready

    if not terminal_ready():
        raise UsageError(
            "standard input is not a terminal; to assess without questions run "
            f"`threatmodel report {answers}`"
        )
    from threatmodel.core import assess_file
    from threatmodel.interview import Interview
    from threatmodel.pack import load_packs
    from threatmodel.prompting import Prompter

    target = output or answers.with_suffix(f".{fmt.value}")
    _refuse_overwrite(answers, target)
    pack = load_packs(project.rule_folders(answers, rules))
    template_dir = template_dir or _project_template_dir(answers)
    _check_output_options(fmt.value, template_dir)  # before the interview, not after it
    Interview.open(pack, answers, Prompter(), typer.echo).run(review_all=review)
    assessment = assess_file(answers, pack, evidence_path=evidence)
    _emit(assessment, fmt.value, target, template_dir)
    typer.echo(f"\nAnswers saved in {answers}; report written to {target}.")
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
    from threatmodel.core import assess_file
    from threatmodel.pack import load_packs

    if output is not None:
        _refuse_overwrite(answers, output)
    pack = load_packs(project.rule_folders(answers, rules))
    assessment = assess_file(answers, pack, strict, evidence)
    _warn_orphans(assessment)
    _emit(assessment, fmt.value, output, template_dir or _project_template_dir(answers))
    where = "" if output is None else f"; report written to {output}"
    count = len(assessment.threats)
    typer.echo(
        f"{answers}: {count} threat(s), overall risk {assessment.overall_risk}{where}", err=True
    )
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
    from threatmodel.core import assess_file, default_gate, gate
    from threatmodel.pack import load_packs

    pack = load_packs(project.rule_folders(answers, rules))
    assessment = assess_file(answers, pack, strict)
    _warn_orphans(assessment)
    fail_on = fail_on or project.load(answers)[0].fail_on or default_gate(assessment.risk_levels)
    result = gate(assessment, fail_on, dt.date.today())
    if baseline is not None:
        from threatmodel import diffing

        worse = set(diffing.regressions(diffing.load_side(baseline, pack), assessment))
        result = result.only(worse)
    for threat in assessment.threats:
        mark = "FAIL" if threat.id in result.failing + result.expired else "ok  "
        note = " (accepted)" if threat.id in result.accepted else ""
        note = " (acceptance expired)" if threat.id in result.expired else note
        typer.echo(f"{mark} {threat.residual_risk:<9} {threat.id}{note}")
    verdict = "passed" if result.passed else "FAILED"
    typer.echo(
        f"{answers}: overall risk {assessment.overall_risk}; check {verdict} at --fail-on {fail_on}"
    )
    return 0 if result.passed else EXIT_FINDINGS


def _summary(assessment: Assessment) -> None:
    if not assessment.threats:
        typer.echo("No privacy threat applies to the system as described.")
    for threat in assessment.threats:
        typer.echo(f"  {threat.risk:<9} {threat.title} ({threat.id})")
    typer.echo(f"Overall risk: {assessment.overall_risk}.")


def _warn_orphans(assessment: Assessment) -> None:
    for warning in (*assessment.orphans, *assessment.notices):
        typer.echo(f"threatmodel: warning: {warning}", err=True)


def _emit(assessment: Assessment, fmt: str, output: Path | None, template_dir: Path | None) -> None:
    from threatmodel.fileio import write_atomic, write_stdout
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
        write_atomic(output, data)


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


def _refuse_overwrite(answers: Path, output: Path) -> None:
    if output.resolve() == answers.resolve():
        raise UsageError(f"--output {output} is the answers file itself; choose another path")


@app.command()
def questions(
    fmt: Annotated[
        QuestionsFormat, typer.Option("--format", "-f", help="Output format.")
    ] = QuestionsFormat.md,
    rules: RulesOpt = None,
) -> int:
    """Print the questionnaire, for workshops and rule authors."""
    from threatmodel.pack import load_packs
    from threatmodel.questionnaire import questions_json, questions_markdown

    pack = load_packs(project.rule_folders(Path.cwd(), rules))
    sys.stdout.write(
        questions_json(pack) if fmt == QuestionsFormat.json else questions_markdown(pack)
    )
    return 0


@rules_app.command("list")
def rules_list(rules: RulesOpt = None) -> int:
    """List the threats of the layered packs with their cross-references."""
    from threatmodel.pack import load_packs

    pack = load_packs(project.rule_folders(Path.cwd(), rules))
    for info in pack.packs:
        typer.echo(f"# pack {info.name} {info.version} ({info.path})")
    for threat in pack.threats.values():
        refs = "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(threat.references.items()))
        typer.echo(f"{threat.id:<30} {threat.title}")
        if refs:
            typer.echo(f"{'':<30} {refs}")
    return 0


@rules_app.command("show")
def rules_show(
    threat_id: Annotated[str, typer.Argument(metavar="ID", help="A threat or question id.")],
    rules: RulesOpt = None,
) -> int:
    """Show one threat or question as YAML."""
    import yaml

    from threatmodel.errors import did_you_mean
    from threatmodel.pack import load_packs

    pack = load_packs(project.rule_folders(Path.cwd(), rules))
    item = pack.threats.get(threat_id) or pack.questions.get(threat_id)
    if item is None:
        hint = did_you_mean(threat_id, [*pack.threats, *pack.questions])
        raise UsageError(f"no threat or question '{threat_id}'{hint}")
    data = item.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))
    return 0


FolderArg = Annotated[
    Path | None, typer.Argument(help="A pack folder, on top of the built-in one (default: none).")
]


def _stack(folder: Path | None, rules: list[Path] | None) -> Pack:
    """The built-in pack, --rules, then DIR; without DIR, the project's packs are the subject."""
    from threatmodel.pack import load_packs

    if folder is None:
        return load_packs(project.rule_folders(Path.cwd(), rules))
    return load_packs([*(rules or []), folder])


@rules_app.command("lint")
def rules_lint(
    folder: FolderArg = None,
    rules: RulesOpt = None,
) -> int:
    """Check a pack: schema, references, test cases, mitigations and cross-references."""
    from threatmodel.ruletools import lint

    pack = _stack(folder, rules)
    findings = lint(pack)
    for finding in findings:
        typer.echo(str(finding), err=True)
    errors = sum(f.level == "error" for f in findings)
    typer.echo(
        f"{len(pack.threats)} threats, {len(pack.questions)} questions: "
        f"{errors} error(s), {len(findings) - errors} warning(s)"
    )
    return EXIT_INVALID if errors else 0


@rules_app.command("test")
def rules_test(
    folder: FolderArg = None,
    rules: RulesOpt = None,
) -> int:
    """Run every threat's must-apply and must-not-apply cases."""
    from threatmodel.ruletools import case_table, run_cases

    pack = _stack(folder, rules)
    results = run_cases(pack)
    typer.echo(f"{'threat':<32} {'must apply':>10} {'must not':>9} {'risk bounds':>11}")
    for threat_id, row in case_table(pack, results).items():
        typer.echo(f"{threat_id:<32} {row[0]:>10} {row[1]:>9} {row[2]:>11}")
    for r in results:
        if not r.passed:
            typer.echo(f"FAIL {r.threat}: {r.case}: {r.detail}")
    failed = sum(not r.passed for r in results)
    typer.echo(f"{len(results) - failed} passed, {failed} failed")
    return EXIT_FINDINGS if failed else 0


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
    from threatmodel import diffing
    from threatmodel.fileio import write_stdout
    from threatmodel.pack import load_packs

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


class SchemaKind(str, Enum):
    """Which JSON Schema."""

    answers = "answers"
    pack = "pack"


@app.command()
def schema(
    kind: Annotated[SchemaKind, typer.Argument(help="answers or pack.")],
    rules: RulesOpt = None,
) -> int:
    """Print a JSON Schema for editor completion of answer files or pack files."""
    from threatmodel.pack import load_packs
    from threatmodel.schemas import answers_schema, pack_schema, to_text

    if kind == SchemaKind.answers:
        text = to_text(answers_schema(load_packs(project.rule_folders(Path.cwd(), rules))))
    else:
        text = to_text(pack_schema())
    sys.stdout.write(text)
    return 0


@app.command()
def probe(
    model: Annotated[str, typer.Argument(help="A .skops file, module:attribute, or a pickle.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the evidence (JSON).")],
    members: Annotated[
        Path | None, typer.Option("--members", help="CSV sample of the training data.")
    ] = None,
    nonmembers: Annotated[
        Path | None, typer.Option("--nonmembers", help="CSV held-out sample, same population.")
    ] = None,
    label: Annotated[
        str | None, typer.Option("--label", help="The label column of the samples.")
    ] = None,
    enumerate_spec: Annotated[
        Path | None, typer.Option("--enumerate", help="An input space to scan (SPEC YAML).")
    ] = None,
    sensitive: Annotated[
        list[str] | None,
        typer.Option("--sensitive", help="An input column to try to infer (repeatable)."),
    ] = None,
    hidden: Annotated[
        list[str] | None,
        typer.Option(
            "--hidden", help="A column the model is not given: does it leak? (repeatable)"
        ),
    ] = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--output-format", help="The output as deployed: scores, label, rounded:N, topk:K."
        ),
    ] = "scores",
    seconds: Annotated[
        float, typer.Option("--seconds", help="Time budget of a scan, and of the shadow models.")
    ] = 20.0,
    trust_model_file: Annotated[
        bool, typer.Option("--trust-model-file", help="Load a pickle or unknown skops types.")
    ] = False,
    rules: RulesOpt = None,
) -> int:
    """Measure the leaks on the real model; `report --evidence` feeds them into likelihood."""
    try:
        from threatmodel.probe.run import ProbeRequest
        from threatmodel.probe.run import probe as run_probe
    except ImportError:
        raise UsageError("threatmodel probe needs: pip install 'threatmodel[probe]'") from None
    from threatmodel.fileio import write_atomic
    from threatmodel.pack import load_packs

    thresholds = load_packs(project.rule_folders(Path.cwd(), rules)).scale.evidence
    request = ProbeRequest(
        model,
        members,
        nonmembers,
        label,
        enumerate_spec,
        seconds,
        trust_model_file,
        tuple(sensitive or ()),
        tuple(hidden or ()),
        output_format,
    )
    result = run_probe(request, thresholds)
    write_atomic(out, result.model_dump_json(indent=2) + "\n")
    for m in result.measurements:
        typer.echo(f"{m.id}: {m.level} ({m.threat})")
    typer.echo(f"Evidence written to {out}; use: threatmodel report ANSWERS --evidence {out}")
    return 0


@rules_app.command("init")
def rules_init(
    folder: Annotated[Path, typer.Argument(help="A new folder for the organisation's pack.")],
) -> int:
    """Scaffold a pack (manifest, a question, a threat, its cases) that lints and tests clean."""
    from threatmodel.scaffolding import init_pack

    for path in init_pack(folder):
        typer.echo(str(path))
    typer.echo(f"Next: threatmodel rules lint {folder} && threatmodel rules test {folder}")
    return 0


@templates_app.command("export")
def templates_export(
    folder: Annotated[Path, typer.Argument(help="Where to copy the built-in templates.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite files already there.")] = False,
) -> int:
    """Copy the built-in templates to FOLDER; edit them and pass --template-dir FOLDER."""
    from threatmodel.templating import export_templates

    for path in export_templates(folder, force):
        typer.echo(str(path))
    return 0


def main(argv: list[str] | None = None) -> None:
    """Console entry point and the one error boundary: every failure becomes an exit code."""
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (for tests and `main`)."""
    try:
        result = app(args=argv, prog_name="threatmodel", standalone_mode=False)
    except ThreatmodelError as exc:
        typer.echo("threatmodel: " + " ".join(exc.message.split()), err=True)  # always one line
        return exc.exit_code
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("threatmodel: interrupted", err=True)
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
            typer.echo("threatmodel: " + " ".join(str(message()).split()), err=True)
        return int(exc.exit_code)
    if _debug:
        raise exc
    typer.echo(
        f"threatmodel: internal error ({type(exc).__name__}); rerun with --debug and report it",
        err=True,
    )
    return EXIT_INTERNAL
