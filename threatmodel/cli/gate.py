"""`threatmodel check`: the CI gate over one or many answers files, for people (a line per
threat or per file) or for scripts (`--format json`), with the same exit codes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from threatmodel.cli.commands import warn_orphans
from threatmodel.cli.options import ListFormat, ListFormatOpt, OfflineOpt, RulesOpt, StrictOpt
from threatmodel.cli.output import EXIT_FINDINGS, EXIT_INVALID, print_json, say
from threatmodel.errors import UsageError

if TYPE_CHECKING:
    from threatmodel.app import PackStacks
    from threatmodel.engine.assessment import SignoffOut
    from threatmodel.pack.layered import Pack


def check(
    answers: Annotated[list[Path], typer.Argument(help="Answers files (YAML), one or more.")],
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on", help="Fail at this risk or above (default: high, or the project's)."
        ),
    ] = None,
    rules: RulesOpt = None,
    offline: OfflineOpt = False,
    strict: StrictOpt = False,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="An earlier JSON assessment (or answers file): fail only on threats that are "
            "new or whose residual risk rose since it.",
        ),
    ] = None,
    fmt: ListFormatOpt = ListFormat.text,
    require_signoff: Annotated[
        list[str] | None,
        typer.Option(
            "--require-signoff",
            help="Fail unless this role (dpo, owner, security) signed the assessment as it "
            "stands (repeatable).",
        ),
    ] = None,
) -> int:
    """CI gate: exit 1 when a threat's residual risk is at or above --fail-on (in any file)."""
    from threatmodel.app import PackStacks

    if baseline is not None and len(answers) > 1:
        raise UsageError("--baseline compares one answers file; give one")
    roles = tuple(require_signoff or ())
    unknown = [r for r in roles if r not in ("dpo", "owner", "security")]
    if unknown:
        raise UsageError(f"--require-signoff {unknown[0]}: use dpo, owner or security")
    stacks = _Stacks(PackStacks(rules, offline=offline), roles)
    if fmt is ListFormat.json:
        return _check_json(answers, stacks, fail_on, strict, baseline)
    if len(answers) == 1:
        return _check_one(answers[0], stacks, fail_on, strict, baseline)
    return _check_many(answers, stacks, fail_on, strict)


@dataclass(frozen=True)
class _Stacks:
    """The packs for each file, and the sign-offs the gate requires."""

    packs: PackStacks
    roles: tuple[str, ...]

    def for_file(self, answers: Path) -> Pack:
        return self.packs.for_file(answers)


def _check_one(
    answers: Path, stacks: _Stacks, fail_on: str | None, strict: bool, baseline: Path | None
) -> int:
    verdict = _verdict(answers, stacks, fail_on, strict, baseline)
    for row in verdict.threats:
        say(row.line())
    for missing in verdict.signoffs:
        say(f"FAIL sign-off: {missing}")
    say(_rules_used(verdict.pack, answers))
    say(verdict.line())
    return 0 if verdict.passed else EXIT_FINDINGS


def _check_many(answers: list[Path], stacks: _Stacks, fail_on: str | None, strict: bool) -> int:
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
        say(verdict.line())
        for row in verdict.threats:
            if row.failing:
                say("  " + row.line())
        for missing in verdict.signoffs:
            say(f"  FAIL sign-off: {missing}")
        failed += not verdict.passed
    passed = len(answers) - failed - invalid
    say(f"{len(answers)} files: {passed} passed, {failed} failed, {invalid} invalid")
    return _check_code(failed, invalid)


def _check_code(failed: int, invalid: int) -> int:
    if invalid:
        return EXIT_INVALID
    return EXIT_FINDINGS if failed else 0


def _check_json(
    answers: list[Path],
    stacks: _Stacks,
    fail_on: str | None,
    strict: bool,
    baseline: Path | None,
) -> int:
    """`check --format json`: one object per file (an invalid file carries its one-line error),
    the same exit codes as the text."""
    from threatmodel.errors import ThreatmodelError, one_line

    files: list[dict[str, object]] = []
    for path in answers:
        try:
            files.append(_verdict(path, stacks, fail_on, strict, baseline).as_json())
        except ThreatmodelError as exc:
            files.append({"path": str(path), "status": "invalid", "error": one_line(exc.message)})
    counts = {s: sum(f["status"] == s for f in files) for s in ("passed", "failed", "invalid")}
    print_json({"format": "threatmodel.check/1", "passed": counts["passed"] == len(files),
                "summary": {"files": len(files), **counts}, "files": files})  # fmt: skip
    return _check_code(counts["failed"], counts["invalid"])


@dataclass(frozen=True)
class _ThreatVerdict:
    """One applying threat as the gate sees it."""

    id: str
    residual_risk: str
    failing: bool
    accepted: bool
    acceptance_expired: bool

    def line(self) -> str:
        mark = "FAIL" if self.failing else "ok  "
        note = " (accepted)" if self.accepted else ""
        note = " (acceptance expired)" if self.acceptance_expired else note
        return f"{mark} {self.residual_risk:<9} {self.id}{note}"


@dataclass(frozen=True)
class _Verdict:
    """What `check` says of one answers file."""

    path: Path
    pack: Pack
    passed: bool
    overall_risk: str
    fail_on: str
    threats: list[_ThreatVerdict]
    signoffs: list[str]
    """Why a required sign-off is missing or no longer holds (empty: all hold)."""

    def line(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        return (
            f"{self.path}: overall risk {self.overall_risk}; check {verdict} "
            f"at --fail-on {self.fail_on}"
        )

    def as_json(self) -> dict[str, object]:
        from dataclasses import asdict

        from threatmodel.pack import project

        packs = [
            {"name": p.name, "version": p.version, "path": str(p.path)}
            | (
                {"git": p.origin.git, "ref": p.origin.ref, "commit": p.origin.commit}
                if p.origin
                else {}
            )
            for p in self.pack.packs
        ]
        found = project.find(self.path)
        return {
            "path": str(self.path),
            "project_file": None if found is None else str(found),
            "status": "passed" if self.passed else "failed",
            "overall_risk": self.overall_risk,
            "fail_on": self.fail_on,
            "threats": [asdict(t) for t in self.threats],
            "signoffs_missing": self.signoffs,
            "packs": packs,
        }


def _verdict(
    answers: Path, stacks: _Stacks, fail_on: str | None, strict: bool, baseline: Path | None
) -> _Verdict:
    from threatmodel.app import assess_file, default_gate, gate
    from threatmodel.pack import project

    pack = stacks.for_file(answers)
    assessment = assess_file(answers, pack, strict)
    warn_orphans(assessment)
    fail_on = fail_on or project.load(answers)[0].fail_on or default_gate(assessment.risk_levels)
    result = gate(assessment, fail_on, dt.date.today())
    if baseline is not None:
        from threatmodel.app import load_side
        from threatmodel.engine.diff import regressions

        worse = set(regressions(load_side(baseline, pack), assessment))
        result = result.only(worse)
    threats = [
        _ThreatVerdict(
            id=threat.id,
            residual_risk=threat.residual_risk,
            failing=threat.id in result.failing + result.expired,
            accepted=threat.id in result.accepted,
            acceptance_expired=threat.id in result.expired,
        )
        for threat in assessment.threats
    ]
    missing = _signoffs_missing(assessment.signoffs, stacks.roles)
    passed = result.passed and not missing
    return _Verdict(answers, pack, passed, assessment.overall_risk, fail_on, threats, missing)


def _signoffs_missing(signoffs: tuple[SignoffOut, ...], roles: tuple[str, ...]) -> list[str]:
    """For each required role: its latest sign-off must hold (the assessment unchanged)."""
    out = []
    for role in roles:
        latest = [s for s in signoffs if s.role == role][-1:]
        if not latest:
            out.append(f"no sign-off by the {role}")
        elif not latest[0].holds:
            s = latest[0]
            out.append(f"the {role}'s sign-off ({s.by}, {s.at}) no longer holds; changed since: "
                       + "; ".join(s.changed))  # fmt: skip
        elif latest[0].decision == "rejected":
            out.append(f"the {role} ({latest[0].by}) rejected the assessment")
    return out


def _rules_used(pack: Pack, answers: Path) -> str:
    """Which project file and packs judged the answers: a gate must say what it ran."""
    from threatmodel.pack import project

    found = project.find(answers)
    where = f"project file {found}" if found else "no project file"
    packs = ", ".join(
        f"{p.name} {p.version} ({p.origin.git}@{p.origin.ref}, commit {p.origin.commit[:12]})"
        if p.origin
        else f"{p.name} {p.version} ({p.path})"
        for p in pack.packs
    )
    return f"{answers}: {where}; packs: {packs}"
