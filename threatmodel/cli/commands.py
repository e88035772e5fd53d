"""The everyday commands: assess, report, check, questions, diff. Each parses its options, calls
the library and prints."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from threatmodel.cli.options import (
    EvidenceOpt,
    FormatOpt,
    OutputOpt,
    ReportFormat,
    RulesOpt,
    StrictOpt,
    TemplateDirOpt,
)
from threatmodel.cli.output import EXIT_FINDINGS, EXIT_INVALID, say, write_stdout
from threatmodel.errors import UsageError
from threatmodel.render.formats import check_ready

if TYPE_CHECKING:
    from threatmodel.app import PackStacks
    from threatmodel.engine.assessment import Assessment
    from threatmodel.pack.layered import Pack


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
    template_dir: TemplateDirOpt = None,
    evidence: EvidenceOpt = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Your name, recorded as who answered (document control)."),
    ] = None,
) -> int:
    """Interactive questionnaire; saves each answer at once, then writes the report."""
    from threatmodel.interview.prompts import terminal_ready
    from threatmodel.pack import project

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
    with Interview.open(pack, answers, Prompter(), say, by) as interview:
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
    strict: StrictOpt = False,
    template_dir: TemplateDirOpt = None,
    evidence: EvidenceOpt = None,
) -> int:
    """Assess answers files and write their reports (one to standard output by default)."""
    from threatmodel.app import PackStacks, assess_file

    targets = _report_targets(answers, fmt.value, output, output_dir)
    stacks = PackStacks(rules)
    for path, target in zip(answers, targets, strict=True):
        if target is not None:
            _refuse_inputs(target, path, evidence)
        assessment = assess_file(path, stacks.for_file(path), strict, evidence)
        _warn_orphans(assessment)
        _emit(assessment, fmt.value, target, template_dir or _project_template_dir(path))
        where = "" if target is None else f"; report written to {target}"
        count = len(assessment.threats)
        say(f"{path}: {count} threat(s), overall risk {assessment.overall_risk}{where}", err=True)
    return 0


def _report_targets(
    answers: list[Path], fmt: str, output: Path | None, output_dir: Path | None
) -> list[Path | None]:
    if output is not None and output_dir is not None:
        raise UsageError("give --output or --output-dir, not both")
    if output_dir is not None:
        from threatmodel.files import same_file

        targets = [output_dir / f"{path.stem}.{fmt}" for path in answers]
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


def check(
    answers: Annotated[list[Path], typer.Argument(help="Answers files (YAML), one or more.")],
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
    """CI gate: exit 1 when a threat's residual risk is at or above --fail-on (in any file)."""
    from threatmodel.app import PackStacks

    if baseline is not None and len(answers) > 1:
        raise UsageError("--baseline compares one answers file; give one")
    stacks = PackStacks(rules)
    if len(answers) == 1:
        return _check_one(answers[0], stacks, fail_on, strict, baseline)
    return _check_many(answers, stacks, fail_on, strict)


def _check_one(
    answers: Path, stacks: PackStacks, fail_on: str | None, strict: bool, baseline: Path | None
) -> int:
    verdict = _verdict(answers, stacks, fail_on, strict, baseline)
    for line in verdict.threat_lines:
        say(line)
    say(_rules_used(verdict.pack, answers))
    say(verdict.line)
    return 0 if verdict.passed else EXIT_FINDINGS


def _check_many(answers: list[Path], stacks: PackStacks, fail_on: str | None, strict: bool) -> int:
    """One line per file, the failing threats under it; a broken file is reported and the
    others still checked (exit 2 at the end), so one bad file never hides the rest."""
    from threatmodel.errors import ThreatmodelError, one_line

    failed = invalid = 0
    for path in answers:
        try:
            verdict = _verdict(path, stacks, fail_on, strict, None)
        except ThreatmodelError as exc:
            invalid += 1
            say(f"{path}: invalid: {one_line(exc.message)}")
            continue
        say(verdict.line)
        for line in verdict.threat_lines:
            if line.startswith("FAIL"):
                say("  " + line)
        failed += not verdict.passed
    passed = len(answers) - failed - invalid
    say(f"{len(answers)} files: {passed} passed, {failed} failed, {invalid} invalid")
    if invalid:
        return EXIT_INVALID
    return EXIT_FINDINGS if failed else 0


@dataclass(frozen=True)
class _Verdict:
    """What `check` says of one answers file."""

    pack: Pack
    passed: bool
    line: str
    threat_lines: list[str]


def _verdict(
    answers: Path, stacks: PackStacks, fail_on: str | None, strict: bool, baseline: Path | None
) -> _Verdict:
    from threatmodel.app import assess_file, default_gate, gate
    from threatmodel.pack import project

    pack = stacks.for_file(answers)
    assessment = assess_file(answers, pack, strict)
    _warn_orphans(assessment)
    fail_on = fail_on or project.load(answers)[0].fail_on or default_gate(assessment.risk_levels)
    result = gate(assessment, fail_on, dt.date.today())
    if baseline is not None:
        from threatmodel.app import load_side
        from threatmodel.engine.diff import regressions

        worse = set(regressions(load_side(baseline, pack), assessment))
        result = result.only(worse)
    lines = []
    for threat in assessment.threats:
        mark = "FAIL" if threat.id in result.failing + result.expired else "ok  "
        note = " (accepted)" if threat.id in result.accepted else ""
        note = " (acceptance expired)" if threat.id in result.expired else note
        lines.append(f"{mark} {threat.residual_risk:<9} {threat.id}{note}")
    verdict = "passed" if result.passed else "FAILED"
    line = (
        f"{answers}: overall risk {assessment.overall_risk}; check {verdict} at --fail-on {fail_on}"
    )
    return _Verdict(pack, result.passed, line, lines)


def _rules_used(pack: Pack, answers: Path) -> str:
    """Which project file and packs judged the answers: a gate must say what it ran."""
    from threatmodel.pack import project

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
    from threatmodel.files import write_file
    from threatmodel.render.formats import render_document

    _check_output_options(fmt, template_dir)
    data = render_document(assessment, fmt, template_dir)
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
) -> int:
    """Print the questionnaire, for workshops and rule authors."""
    from threatmodel.pack import project
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


def diff(
    old: Annotated[Path, typer.Argument(help="The earlier answers file or JSON assessment.")],
    new: Annotated[Path, typer.Argument(help="The later answers file or JSON assessment.")],
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="md or json.")] = DiffFormat.md,
    rules: RulesOpt = None,
) -> int:
    """What changed between two assessments: answers, threats, risk levels, and why."""
    from threatmodel.app import load_side
    from threatmodel.engine.diff import diff as compare
    from threatmodel.pack import project
    from threatmodel.pack.load import load_packs
    from threatmodel.render.diff import to_json, to_markdown

    # Both sides are assessed with the same packs: those of either side's project, and --rules.
    folders = project.rule_folders(old, [*project.rule_folders(new, []), *(rules or [])])
    pack = load_packs(folders)
    change = compare(load_side(old, pack), load_side(new, pack))
    text = to_json(change) if fmt == DiffFormat.json else to_markdown(change, str(old), str(new))
    write_stdout(text)
    return 0
