"""Cross-reference checks of a rule pack: every condition, level, case and worst case, each
error pointing at its file and line. A reference to a named condition must name one defined
before it (so references cannot form a cycle), and no condition may nest deeper than
MAX_DEPTH, counting through the conditions it refers to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from threatmodel.errors import brief, did_you_mean
from threatmodel.language.conditions import (
    MAX_DEPTH,
    Condition,
    Leaf,
    depth,
    leaves,
    refs,
)
from threatmodel.language.model import Loc, format_loc
from threatmodel.language.questions import Question
from threatmodel.language.types import coerce, type_of
from threatmodel.language.values import UNKNOWN
from threatmodel.pack.models import ROLE_TYPES, Scoring, ScreeningFile, Threat
from threatmodel.pack.phrases import PLACEHOLDER
from threatmodel.pack.yamlsafe import Document

if TYPE_CHECKING:  # pack imports this module; only the type is needed here
    from threatmodel.pack.layered import Pack


def check_refs(
    doc: Document,
    at: Loc,
    cond: Condition,
    depths: dict[str, int],
    later: frozenset[str] = frozenset(),
) -> int:
    """Check that every reference names a condition defined before it; return the depth of
    `cond` (refused over MAX_DEPTH). `depths` holds each defined name's depth; `later` the names
    defined further down the same file (a reference to one would be a cycle or a forward
    reference)."""
    for ref, sub in refs(cond):
        if ref.ref not in depths:
            loc = (*at, *sub, "ref")
            if ref.ref in later:
                raise doc.error(
                    loc,
                    f"{format_loc(loc)}: {brief(ref.ref, 40)} is defined further down (or this "
                    "is a cycle); a condition may refer only to names defined above it",
                )
            hint = did_you_mean(ref.ref, depths)
            raise doc.error(
                loc,
                f"{format_loc(loc)}: unknown condition {brief(ref.ref, 40)}{hint} "
                "(define it first)",
            )
    deep = depth(cond, depths)
    if deep > MAX_DEPTH:
        raise doc.error(
            at,
            f"{format_loc(at)}: conditions nest {deep} levels deep, counting the named "
            f"conditions they use; the limit is {MAX_DEPTH}",
        )
    return deep


def check_roles(doc: Document, scoring: Scoring, questions: dict[str, Question]) -> None:
    """Every question the engine reads by role exists and has the type the role needs."""
    for role, qtype in ROLE_TYPES.items():
        qid = getattr(scoring.questions, role)
        loc: Loc = ("questions", role)
        question = questions.get(qid)
        if question is None:
            hint = did_you_mean(qid, questions)
            raise doc.error(loc, f"questions.{role}: no question {brief(qid, 60)}{hint}")
        if question.type != qtype:
            raise doc.error(
                loc,
                f"questions.{role}: '{qid}' is a {question.type} question; {role} needs {qtype}",
            )


def check_worst_case(doc: Document, loc: Loc, question: Question) -> None:
    if not type_of(question).has_worst_case:
        return
    try:
        value = coerce(question, question.worst_case)
    except ValueError as exc:
        raise doc.error((*loc, "worst_case"), f"{question.id}: worst_case: {exc}") from None
    if value == UNKNOWN:
        raise doc.error((*loc, "worst_case"), f"{question.id}: worst_case cannot be unknown")


def check_threat(pack: Pack, doc: Document, threat: Threat) -> None:
    """Check every reference of a threat: conditions, levels, cases."""
    scale = pack.scale
    check_condition(doc, ("applies_when",), threat.applies_when, pack.testable, pack.depths)
    for name, levels in (("likelihood", scale.likelihood), ("severity", scale.severity)):
        factor = getattr(threat, name)
        check_level(doc, (name, "base"), factor.base, levels)
        for i, mod in enumerate(factor.modifiers):
            loc: Loc = (name, "modifiers", i)
            check_condition(doc, (*loc, "when"), mod.when, pack.testable, pack.depths)
            for key in ("at_least", "at_most"):
                if getattr(mod, key) is not None:
                    check_level(doc, (*loc, key), getattr(mod, key), levels)
    _check_phrases(pack, doc, threat)
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


def _check_phrases(pack: Pack, doc: Document, threat: Threat) -> None:
    """Mitigations' conditions hold up, and a sentence about this system names only questions
    that exist, under a valid condition."""
    for i, mitigation in enumerate(threat.mitigations):
        if mitigation.when is not None:
            at: Loc = ("mitigations", i, "when")
            check_condition(doc, at, mitigation.when, pack.testable, pack.depths)
    for i, phrase in enumerate(threat.in_this_system):
        if phrase.when is not None:
            loc: Loc = ("in_this_system", i, "when")
            check_condition(doc, loc, phrase.when, pack.testable, pack.depths)
        for qid in PLACEHOLDER.findall(phrase.text):
            question_of(doc, ("in_this_system", i, "text"), qid, pack.testable)


def check_screening(pack: Pack, doc: Document, spec: ScreeningFile) -> None:
    """Check every condition of the screening."""
    conditions: list[tuple[Loc, Condition]] = [
        (("wp248", "criteria", i, "when"), c.when) for i, c in enumerate(spec.wp248.criteria)
    ]
    conditions += [(("ai_act", i, "when"), f.when) for i, f in enumerate(spec.ai_act)]
    conditions += [(("necessity", i, "when"), n.when) for i, n in enumerate(spec.necessity)]
    for loc, when in conditions:
        check_condition(doc, loc, when, pack.testable, pack.depths)


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
    doc: Document,
    at: Loc,
    cond: Condition,
    questions: dict[str, Question],
    depths: dict[str, int],
) -> None:
    """Check the references and depth of a condition, and each leaf written in it against
    its question (a named condition's own leaves are checked once, where it is defined)."""
    check_refs(doc, at, cond, depths)
    for leaf, sub in leaves(cond):
        loc = (*at, *sub)
        question = question_of(doc, (*loc, "q"), leaf.q, questions)
        check_leaf(doc, loc, leaf, question)


def check_leaf(doc: Document, loc: Loc, leaf: Leaf, question: Question) -> None:
    """One operator, which the question's type takes, with operands it accepts."""
    ops = leaf.operators()
    where = format_loc(loc)
    if len(ops) != 1:
        raise doc.error(loc, f"{where}: a leaf needs exactly one operator, got {len(ops)}")
    op, operand = ops[0]
    kind = type_of(question)
    if op not in kind.operators:
        raise doc.error(
            loc,
            f"{where}: '{op}' does not apply to {question.type} question '{question.id}'; "
            f"use {', '.join(sorted(kind.operators))}",
        )
    for value in operand if isinstance(operand, list) else [operand]:
        problem = kind.check_operand(question, value)
        if problem is not None:
            # A wrong choice points at the operator's own key; other mistakes at the leaf.
            at, said = ((*loc, op), f"{where}.{op}") if kind.has_choices else (loc, where)
            raise doc.error(at, f"{said}: {problem}")
