"""Rule-pack tooling: lint findings and running every threat's test cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from threatmodel.answers import AnswersFile, answers_from_mapping
from threatmodel.pack import Pack
from threatmodel.packmodels import Case, Threat
from threatmodel.resolve import resolve
from threatmodel.scoring import score_threat


@dataclass(frozen=True)
class Finding:
    """A lint finding with where it is."""

    level: str  # "error" or "warning"
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.level}: {self.message}"


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one test case."""

    threat: str
    case: str
    passed: bool
    detail: str


def lint(pack: Pack) -> list[Finding]:
    """What loading does not refuse but a rule author should fix (loading already checked refs)."""
    findings = []
    for threat in pack.threats.values():
        path, line = pack.origin[threat.id]
        where = f"{path}:{line}"
        if not any(c.applies for c in threat.cases):
            findings.append(Finding("error", where, f"{threat.id}: no case on which it must apply"))
        if not any(not c.applies for c in threat.cases):
            findings.append(
                Finding("error", where, f"{threat.id}: no case on which it must not apply")
            )
        if len(threat.mitigations) < 2:
            findings.append(Finding("warning", where, f"{threat.id}: fewer than two mitigations"))
        if not threat.references:
            findings.append(Finding("warning", where, f"{threat.id}: no cross-references"))
    return findings


def case_answers(pack: Pack, threat: Threat, case: Case) -> dict[str, Any]:
    """The answers a case describes: its pack's baseline (or nothing) with the case's overrides."""
    start = pack.baseline_for(threat.id) if case.base == "baseline" else {}
    merged = {**start, **case.answers}
    return answers_from_mapping(pack, merged)


def run_case(pack: Pack, threat: Threat, case: Case) -> CaseResult:
    """Does the threat behave as the case says?"""
    resolved = resolve(pack, case_answers(pack, threat, case))
    result = score_threat(threat, resolved, pack.scale, AnswersFile(threatmodel=1))
    risks = pack.scale.risk
    if result is None:
        ok = not case.applies
        detail = "does not apply" + ("" if ok else ", but must")
        return CaseResult(threat.id, case.name, ok, detail)
    if not case.applies:
        return CaseResult(
            threat.id, case.name, False, f"applies (risk {result.risk}), but must not"
        )
    problems = []
    if case.min_risk and risks.index(result.risk) < risks.index(case.min_risk):
        problems.append(f"below the required {case.min_risk}")
    if case.max_risk and risks.index(result.risk) > risks.index(case.max_risk):
        problems.append(f"above the allowed {case.max_risk}")
    detail = f"applies, risk {result.risk}" + (": " + ", ".join(problems) if problems else "")
    return CaseResult(threat.id, case.name, not problems, detail)


def run_cases(pack: Pack) -> list[CaseResult]:
    """Every case of every threat."""
    return [run_case(pack, t, c) for t in pack.threats.values() for c in t.cases]
