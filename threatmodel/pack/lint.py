"""Rule-pack tooling: lint findings and running every threat's test cases."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threatmodel.engine.resolve import resolve
from threatmodel.engine.scoring import score_threat
from threatmodel.language.conditions import Condition, questions_read
from threatmodel.language.satisfiable import impossible
from threatmodel.language.types import type_of
from threatmodel.pack.answers import answers_from_mapping
from threatmodel.pack.answersfile import AnswersFile
from threatmodel.pack.layered import Pack
from threatmodel.pack.models import Case, Threat


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
    kind: str = "apply"  # "apply", "not-apply" or "bounds" (applies, but outside its risk range)


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
        findings += _condition_findings(pack, threat, where)
    return findings + _unused_questions(pack)


def _threat_conditions(threat: Threat) -> list[tuple[str, Condition]]:
    out: list[tuple[str, Condition]] = [("applies_when", threat.applies_when)]
    for aspect in ("likelihood", "severity"):
        factor = getattr(threat, aspect)
        out += [(f"{aspect}.modifiers[{i}]", m.when) for i, m in enumerate(factor.modifiers)]
    out += [(f"mitigations[{i}].when", m.when) for i, m in enumerate(threat.mitigations) if m.when]
    return out


def _condition_findings(pack: Pack, threat: Threat, where: str) -> list[Finding]:
    findings = []
    for place, cond in _threat_conditions(threat):
        for problem in impossible(cond, pack.testable, pack.conditions):
            level = "error" if place == "applies_when" else "warning"
            findings.append(Finding(level, where, f"{threat.id}: {place}: {problem}"))
        for qid in questions_read(cond, pack.conditions):
            question = pack.testable[qid]
            if question.deprecated is not None:
                message = f"{threat.id}: {place} uses {qid}, {question.deprecated.describe()}"
                findings.append(Finding("warning", where, message))
    return findings


def _unused_questions(pack: Pack) -> list[Finding]:
    """A question no rule reads costs every team an answer for nothing."""
    used = set(pack.scale.questions.enumeration_inputs())
    conditions = [c for t in pack.threats.values() for _, c in _threat_conditions(t)]
    conditions += [q.when for q in pack.questions.values() if q.when is not None]
    if pack.screening is not None:
        conditions += [c.when for c in pack.screening.wp248.criteria]
        conditions += [f.when for f in pack.screening.ai_act]
        conditions += [n.when for n in pack.screening.necessity]
    used |= {q for cond in conditions for q in questions_read(cond, pack.conditions)}
    findings = []
    for qid, question in pack.questions.items():
        if type_of(question).has_worst_case and qid not in used and not question.deprecated:
            path, line = pack.origin[qid]
            findings.append(Finding("warning", f"{path}:{line}", f"{qid}: no rule reads it"))
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
        return CaseResult(threat.id, case.name, ok, detail, "not-apply" if ok else "apply")
    if not case.applies:
        detail = f"applies (risk {result.risk}), but must not"
        return CaseResult(threat.id, case.name, False, detail, "not-apply")
    if any(r and r not in risks for r in (case.min_risk, case.max_risk)):
        detail = f"applies, risk {result.risk} (bounds in another pack's risk scale: not checked)"
        return CaseResult(threat.id, case.name, True, detail)
    problems = []
    if case.min_risk and risks.index(result.risk) < risks.index(case.min_risk):
        problems.append(f"below the required {case.min_risk}")
    if case.max_risk and risks.index(result.risk) > risks.index(case.max_risk):
        problems.append(f"above the allowed {case.max_risk}")
    detail = f"applies, risk {result.risk}" + (": " + ", ".join(problems) if problems else "")
    return CaseResult(threat.id, case.name, not problems, detail, "bounds" if problems else "apply")


def case_table(pack: Pack, results: list[CaseResult]) -> dict[str, tuple[str, str, str]]:
    """Per threat: must-apply, must-not-apply and risk-bound cases as `passed/total`."""
    table = {}
    for threat in pack.threats.values():
        mine = [r for r in results if r.threat == threat.id]
        apply = [c for c in threat.cases if c.applies]
        bounded = [c for c in apply if c.min_risk or c.max_risk]
        table[threat.id] = (
            _ratio(len(apply) - sum(r.kind == "apply" and not r.passed for r in mine), len(apply)),
            _ratio(
                sum(r.kind == "not-apply" and r.passed for r in mine),
                len(threat.cases) - len(apply),
            ),
            _ratio(len(bounded) - sum(r.kind == "bounds" for r in mine), len(bounded)),
        )
    return table


def _ratio(passed: int, total: int) -> str:
    return f"{passed}/{total}" if total else "-"


def run_cases(pack: Pack) -> list[CaseResult]:
    """Every case of every threat."""
    return [run_case(pack, t, c) for t in pack.threats.values() for c in t.cases]


def lint_translations(pack: Pack, lang: str, only: Path | None = None) -> list[Finding]:
    """Warnings for translations into `lang` that are missing (the English is shown), stale
    (the English changed since they were written) or orphaned (nothing to translate): of every
    pack in the stack, or only of the pack in `only`."""
    from threatmodel.pack.i18n import check

    wanted = None if only is None else only.resolve()
    return [
        Finding("warning", problem.where, f"{lang}: {problem.kind} translation of {problem.key}")
        for problem in check(pack, lang)
        if wanted is None or Path(problem.where.split(":")[0]).resolve().is_relative_to(wanted)
    ]
