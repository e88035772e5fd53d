"""Cross-reference checks of a rule pack: every condition, level, case and worst case, each
error pointing at its file and line. Named conditions are inlined here, so the engine never sees
a reference."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from threatmodel.conditions import Condition, Leaf, allowed_operators, inline, leaves, refs
from threatmodel.errors import brief, did_you_mean
from threatmodel.model import format_loc
from threatmodel.packmodels import Question, ScreeningFile, Threat
from threatmodel.values import UNKNOWN, coerce
from threatmodel.yamlsafe import Document, Loc

if TYPE_CHECKING:  # pack imports this module; only the type is needed here
    from threatmodel.pack import Pack


def inline_refs(doc: Document, at: Loc, cond: Condition, named: dict[str, Condition]) -> Condition:
    for ref, sub in refs(cond):
        if ref.ref not in named:
            loc = (*at, *sub, "ref")
            hint = did_you_mean(ref.ref, named)
            raise doc.error(
                loc, f"{format_loc(loc)}: unknown condition '{ref.ref}'{hint} (define it first)"
            )
    return inline(cond, named)


def check_worst_case(doc: Document, loc: Loc, question: Question) -> None:
    if question.type == "text":
        return
    try:
        value = coerce(question, question.worst_case)
    except ValueError as exc:
        raise doc.error((*loc, "worst_case"), f"{question.id}: worst_case: {exc}") from None
    if value == UNKNOWN:
        raise doc.error((*loc, "worst_case"), f"{question.id}: worst_case cannot be unknown")


def check_threat(pack: Pack, doc: Document, threat: Threat) -> Threat:
    """Check every reference of a threat; return it with named conditions inlined."""
    scale = pack.scale
    applies = inline_refs(doc, ("applies_when",), threat.applies_when, pack.conditions)
    check_condition(doc, ("applies_when",), applies, pack.testable)
    factors = {}
    for name, levels in (("likelihood", scale.likelihood), ("severity", scale.severity)):
        factor = getattr(threat, name)
        check_level(doc, (name, "base"), factor.base, levels)
        modifiers = []
        for i, mod in enumerate(factor.modifiers):
            loc: Loc = (name, "modifiers", i)
            when = inline_refs(doc, (*loc, "when"), mod.when, pack.conditions)
            check_condition(doc, (*loc, "when"), when, pack.testable)
            modifiers.append(mod.model_copy(update={"when": when}))
            for key in ("at_least", "at_most"):
                if getattr(mod, key) is not None:
                    check_level(doc, (*loc, key), getattr(mod, key), levels)
        factors[name] = factor.model_copy(update={"modifiers": tuple(modifiers)})
    mitigations = []
    for i, mitigation in enumerate(threat.mitigations):
        relevant = mitigation.when
        if relevant is not None:
            loc = ("mitigations", i, "when")
            relevant = inline_refs(doc, loc, relevant, pack.conditions)
            check_condition(doc, loc, relevant, pack.testable)
        mitigations.append(mitigation.model_copy(update={"when": relevant}))
    if threat.id == "input-enumeration" and threat.estimate != "enumeration":
        # The contract promises expected_days_to_first_hit on this threat, whoever defines it.
        raise doc.error(("id",), "input-enumeration must keep `estimate: enumeration`")
    if threat.severity.from_estimate:
        raise doc.error(("severity", "from_estimate"), "from_estimate applies to likelihood only")
    if threat.likelihood.from_estimate and threat.estimate is None:
        raise doc.error(("likelihood", "from_estimate"), "from_estimate needs `estimate:` set")
    for i, case in enumerate(threat.cases):
        # Risk bounds are written in the scale of the pack that wrote the case; when a later
        # pack renames the risk levels, they cannot be compared (rules test says so).
        order = [p.name for p in pack.packs]
        written_in = order.index(pack.owner.get(threat.id, order[0]))
        same_scale = written_in >= order.index(pack.owner.get("scoring", order[0]))
        bounds = (case.min_risk, case.max_risk) if same_scale else (None, None)
        check_case(pack, doc, ("cases", i), case.answers, bounds)
    update = {"applies_when": applies, "mitigations": tuple(mitigations), **factors}
    return threat.model_copy(update=update)


def check_screening(pack: Pack, doc: Document, spec: ScreeningFile) -> ScreeningFile:
    """Check and inline every condition of the screening."""
    criteria = []
    for i, criterion in enumerate(spec.wp248.criteria):
        when = inline_refs(doc, ("wp248", "criteria", i, "when"), criterion.when, pack.conditions)
        check_condition(doc, ("wp248", "criteria", i, "when"), when, pack.testable)
        criteria.append(criterion.model_copy(update={"when": when}))
    flags = []
    for i, flag in enumerate(spec.ai_act):
        when = inline_refs(doc, ("ai_act", i, "when"), flag.when, pack.conditions)
        check_condition(doc, ("ai_act", i, "when"), when, pack.testable)
        flags.append(flag.model_copy(update={"when": when}))
    checks = []
    for i, check in enumerate(spec.necessity):
        when = inline_refs(doc, ("necessity", i, "when"), check.when, pack.conditions)
        check_condition(doc, ("necessity", i, "when"), when, pack.testable)
        checks.append(check.model_copy(update={"when": when}))
    wp248 = spec.wp248.model_copy(update={"criteria": tuple(criteria)})
    update = {"wp248": wp248, "ai_act": tuple(flags), "necessity": tuple(checks)}
    return spec.model_copy(update=update)


def check_case(
    pack: Pack, doc: Document, loc: Loc, answers: dict[str, Any], risks: tuple[str | None, ...]
) -> None:
    for qid, value in answers.items():
        question = question_of(doc, (*loc, "answers", qid), qid, pack.questions)
        try:
            coerce(question, value)
        except ValueError as exc:
            raise doc.error((*loc, "answers", qid), f"{qid}: {exc}") from None
    for key, risk in zip(("min_risk", "max_risk"), risks, strict=True):
        if risk is not None:
            check_level(doc, (*loc, key), risk, pack.scale.risk)


def check_level(doc: Document, loc: Loc, level: str, levels: tuple[str, ...]) -> None:
    if level not in levels:
        hint = did_you_mean(level, levels)
        raise doc.error(
            loc, f"{format_loc(loc)}: unknown level '{level}'{hint}; use {', '.join(levels)}"
        )


def question_of(doc: Document, loc: Loc, qid: str, questions: dict[str, Question]) -> Question:
    if qid not in questions:
        hint = did_you_mean(qid, questions)
        raise doc.error(loc, f"{format_loc(loc)}: unknown question '{qid}'{hint}")
    return questions[qid]


def check_condition(
    doc: Document, at: Loc, cond: Condition, questions: dict[str, Question]
) -> None:
    for leaf, sub in leaves(cond):
        loc = (*at, *sub)
        question = question_of(doc, (*loc, "q"), leaf.q, questions)
        check_leaf(doc, loc, leaf, question)


def check_leaf(doc: Document, loc: Loc, leaf: Leaf, question: Question) -> None:
    ops = leaf.operators()
    where = format_loc(loc)
    if len(ops) != 1:
        raise doc.error(loc, f"{where}: a leaf needs exactly one operator, got {len(ops)}")
    op, operand = ops[0]
    allowed = allowed_operators(question.type)
    if op not in allowed:
        raise doc.error(
            loc,
            f"{where}: '{op}' does not apply to {question.type} question '{question.id}'; "
            f"use {', '.join(sorted(allowed))}",
        )
    values = operand if isinstance(operand, list) else [operand]
    for value in values:
        if question.type == "text" and not isinstance(value, str):
            raise doc.error(loc, f"{where}: '{question.id}' is text, got {brief(value)}")
        if question.type == "bool" and not isinstance(value, bool):
            raise doc.error(loc, f"{where}: '{question.id}' is true or false, got {value!r}")
        if question.type in ("choice", "multi") and value not in question.choice_values:
            hint = did_you_mean(str(value), question.choice_values)
            raise doc.error(
                (*loc, op), f"{where}.{op}: '{value}' is not a choice of '{question.id}'{hint}"
            )
