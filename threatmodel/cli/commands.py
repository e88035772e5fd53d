"""The everyday commands: assess, report, questions, diff (`check` is in `gate`). Each parses
its options, calls the library and prints."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from threatmodel.cli.options import (
    EvidenceOpt,
    FormatOpt,
    LangOpt,
    OfflineOpt,
    OutputOpt,
    ReportFormat,
    RulesOpt,
    StrictOpt,
    TemplateDirOpt,
)
from threatmodel.cli.output import EXIT_INVALID, say, write_stdout
from threatmodel.errors import UsageError
from threatmodel.render.formats import check_ready

if TYPE_CHECKING:
    from threatmodel.engine.assessment import Assessment


class QuestionsFormat(str, Enum):
    """Formats of `questions`."""

    md = "md"
    json = "json"


def assess(
    answers: Annotated[
        Path, typer.Argument(help="The answers file: created, or resumed where it stops.")
    ] = Path("threat-assessment.yaml"),
    review: Annotated[
        bool, typer.Option("--review", help="Walk through every question, prefilled.")
    ] = False,
    fmt: FormatOpt = ReportFormat.md,  # type: ignore[attr-defined]
    output: OutputOpt = None,
    rules: RulesOpt = None,
    offline: OfflineOpt = False,
    template_dir: TemplateDirOpt = None,
    evidence: EvidenceOpt = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Your name, recorded as who answered (document control)."),
    ] = None,
    lang: LangOpt = None,
    source: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="A model file, MLflow folder or model card whose suggested answers are offered "
            "as defaults to confirm or change (see `threatmodel suggest`).",
        ),
    ] = None,
    trust_model_file: Annotated[
        bool, typer.Option("--trust-model-file", help="With --from: load a pickle.")
    ] = False,
) -> int:
    """Interactive questionnaire; saves each answer at once, then writes the report."""
    from threatmodel.interview.prompts import terminal_ready
    from threatmodel.pack import project

    if not terminal_ready():
        raise UsageError(
            "standard input is not a terminal; to assess without questions run "
            f"`threatmodel report {answers}`"
        )
    from threatmodel import locales
    from threatmodel.app import assess_file, language, load_in
    from threatmodel.interview.flow import Interview
    from threatmodel.interview.prompts import Prompter

    target = output or answers.with_suffix(f".{fmt.value}")
    _refuse_inputs(target, answers, evidence)
    spoken = language(answers, lang.value if lang else None)
    locales.use(spoken)  # the interview's own words, until the command returns (`cli.run`)
    pack = load_in(project.rule_folders(answers, rules, offline=offline), spoken)
    template_dir = template_dir or _project_template_dir(answers)
    _check_output_options(fmt.value, template_dir)  # before the interview, not after it
    suggestions = {}
    if source is not None:
        from threatmodel.suggest.sources import suggest as read

        suggestions = {s.question: s for s in read(source, pack, trust_model_file)}
    with Interview.open(pack, answers, Prompter(), say, by) as interview:
        interview.suggestions = dict(suggestions)
        for note in interview.conflicts():
            say(note)
        interview.run(review_all=review)
    assessment = assess_file(answers, pack, evidence_path=evidence)
    _emit(assessment, fmt.value, target, template_dir)
    say(f"\nAnswers saved in {answers}; report written to {target}.")
    _summary(assessment)
    return 0


def report(
    answers: Annotated[
        list[Path], typer.Argument(help="Answers files (YAML); several need --output-dir.")
    ],
    fmt: FormatOpt = ReportFormat.md,  # type: ignore[attr-defined]
    output: OutputOpt = None,
    output_dir: Annotated[
        Path | None,
        typer.Option("--output-dir", help="Write each report here, named after its answers file."),
    ] = None,
    rules: RulesOpt = None,
    offline: OfflineOpt = False,
    strict: StrictOpt = False,
    template_dir: TemplateDirOpt = None,
    evidence: EvidenceOpt = None,
    include_accepted: Annotated[
        bool,
        typer.Option(
            "--include-accepted",
            help="SARIF: upload accepted risks too, as suppressed results (code scanning shows "
            "them as open alerts).",
        ),
    ] = False,
    lang: LangOpt = None,
) -> int:
    """Assess answers files and write their reports (one to standard output by default)."""
    from threatmodel.app import PackStacks, assess_file
    from threatmodel.errors import ThreatmodelError, one_line

    targets = _report_targets(answers, fmt.value, output, output_dir)
    stacks = PackStacks(rules, lang.value if lang else None, offline=offline)
    invalid = 0
    for path, target in zip(answers, targets, strict=True):
        if target is not None:
            _refuse_inputs(target, path, evidence)
        try:
            assessment = assess_file(path, stacks.for_file(path), strict, evidence)
        except ThreatmodelError as exc:
            if len(answers) == 1:
                raise
            # One broken file among many: said, and the others still written (exit 2 at the end).
            invalid += 1
            say("threatmodel: " + one_line(exc.message), err=True)
            continue
        warn_orphans(assessment)
        folder = template_dir or _project_template_dir(path)
        _emit(assessment, fmt.value, target, folder, include_accepted)
        where = "" if target is None else f"; report written to {target}"
        count = len(assessment.threats)
        say(f"{path}: {count} threat(s), overall risk {assessment.overall_risk}{where}", err=True)
    return EXIT_INVALID if invalid else 0


def _report_names(answers: list[Path]) -> list[str]:
    """Each report's name: its answers file's, or, where several share one (every team's
    `threat-assessment.yaml`), its path with `-` between the folders (`teams-fraud-...`)."""
    from collections import Counter

    counts = Counter(path.stem for path in answers)
    names = []
    for path in answers:
        if counts[path.stem] == 1:
            names.append(path.stem)
            continue
        try:
            shown = path.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            shown = path.resolve()
        names.append("-".join(p for p in shown.with_suffix("").parts if p not in ("/", "..")))
    return names


def _report_targets(
    answers: list[Path], fmt: str, output: Path | None, output_dir: Path | None
) -> list[Path | None]:
    if output is not None and output_dir is not None:
        raise UsageError("give --output or --output-dir, not both")
    if output_dir is not None:
        from threatmodel.files import same_file
        from threatmodel.render.formats import FORMATS

        suffix = FORMATS[fmt].suffix or fmt
        targets = [output_dir / f"{name}.{suffix}" for name in _report_names(answers)]
        seen: dict[Path, Path] = {}
        for path, target in zip(answers, targets, strict=True):
            if target in seen and not same_file(seen[target], path):
                raise UsageError(f"{seen[target]} and {path} would both be written to {target}")
            seen[target] = path
        try:
            output_dir.mkdir(parents=True, exist_ok=True)  # as `mkdir -p`: CI starts clean
        except OSError as exc:
            raise UsageError(f"--output-dir {output_dir}: {exc.strerror or exc}") from None
        written: list[Path | None] = list(targets)
        return written
    if len(answers) > 1:
        raise UsageError("several answers files need --output-dir, one report each")
    return [output]


def _summary(assessment: Assessment) -> None:
    if not assessment.threats:
        say("No privacy threat applies to the system as described.")
    for threat in assessment.threats:
        say(f"  {threat.risk:<9} {threat.title} ({threat.id})")
    say(f"Overall risk: {assessment.overall_risk}.")


def warn_orphans(assessment: Assessment) -> None:
    for warning in (*assessment.orphans, *assessment.notices):
        say(f"threatmodel: warning: {warning}", err=True)


def _emit(
    assessment: Assessment,
    fmt: str,
    output: Path | None,
    template_dir: Path | None,
    include_accepted: bool = False,
) -> None:
    from threatmodel.files import write_file
    from threatmodel.render.formats import render_document

    _check_output_options(fmt, template_dir)
    data = render_document(assessment, fmt, template_dir, include_accepted)
    if output is None:
        write_stdout(data)
    else:
        write_file(output, data)


def _check_output_options(fmt: str, template_dir: Path | None) -> None:
    if template_dir is not None and not template_dir.is_dir():
        raise UsageError(f"--template-dir {template_dir}: no such folder")
    check_ready(fmt)


def _project_template_dir(answers: Path) -> Path | None:
    from threatmodel.pack import project

    settings, path = project.load(answers)
    if path is None or settings.template_dir is None:
        return None
    return path.parent / settings.template_dir


def _refuse_inputs(output: Path, answers: Path, evidence: Path | None) -> None:
    from threatmodel.files import refuse_inputs

    refuse_inputs(output, {"answers file": answers, "evidence file": evidence})


def questions(
    fmt: Annotated[
        QuestionsFormat, typer.Option("--format", "-f", help="Output format.")
    ] = QuestionsFormat.md,
    rules: RulesOpt = None,
    offline: OfflineOpt = False,
    lang: LangOpt = None,
) -> int:
    """Print the questionnaire, for workshops and rule authors."""
    from threatmodel import locales
    from threatmodel.app import language, load_in
    from threatmodel.pack import project
    from threatmodel.render.questionnaire import questions_json, questions_markdown

    spoken = language(Path.cwd(), lang.value if lang else None)
    locales.use(spoken)
    pack = load_in(project.rule_folders(Path.cwd(), rules, offline=offline), spoken)
    sys.stdout.write(
        questions_json(pack) if fmt == QuestionsFormat.json else questions_markdown(pack)
    )
    return 0


class DiffFormat(str, Enum):
    """Formats of `diff`."""

    md = "md"
    json = "json"


def diff(
    old: Annotated[Path, typer.Argument(help="The earlier answers file or JSON assessment.")],
    new: Annotated[Path, typer.Argument(help="The later answers file or JSON assessment.")],
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="md or json.")] = DiffFormat.md,
    rules: RulesOpt = None,
    offline: OfflineOpt = False,
) -> int:
    """What changed between two assessments: answers, threats, risk levels, and why."""
    from threatmodel.app import load_side
    from threatmodel.engine.diff import diff as compare
    from threatmodel.pack import project
    from threatmodel.pack.load import load_packs
    from threatmodel.render.diff import to_json, to_markdown

    # Both sides are assessed with the same packs: those of either side's project, and --rules.
    folders = project.rule_folders(old, None, offline=offline).plus(
        project.rule_folders(new, rules, offline=offline)
    )
    pack = load_packs(folders)
    change = compare(load_side(old, pack), load_side(new, pack))
    text = to_json(change) if fmt == DiffFormat.json else to_markdown(change, str(old), str(new))
    write_stdout(text)
    return 0
