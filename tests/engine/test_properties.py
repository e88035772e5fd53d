"""Properties of the engine on random valid answer sets drawn from the pack's own questions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from threatmodel.engine.assess import assess
from threatmodel.engine.assessment import Assessment
from threatmodel.engine.enumeration import SECONDS_PER_DAY
from threatmodel.language.conditions import leaves
from threatmodel.language.questions import Question
from threatmodel.pack.answers import answers_from_mapping
from threatmodel.pack.answersfile import Answers, AnswersFile, Measure
from threatmodel.pack.layered import Pack
from threatmodel.pack.load import load_packs
from threatmodel.pack.models import Reduction
from threatmodel.render.formats import to_json

PACK: Pack = load_packs()
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
RISK = PACK.scale.risk
SEVERITY = PACK.scale.severity
LIKELIHOOD = PACK.scale.likelihood
NO_MAXIMUM = 1e12
ANSWERS_FIELDS = {f.name for f in dataclasses.fields(Answers)}

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    # conftest's autouse fixture only fixes an environment variable; sharing it is harmless.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _thresholds() -> dict[str, set[float]]:
    """Every number a pack condition compares a question with, and values just either side."""
    found: dict[str, set[float]] = {}
    conditions = [q.when for q in PACK.questions.values() if q.when is not None]
    for t in PACK.threats.values():
        conditions.append(t.applies_when)
        conditions += [m.when for m in (*t.likelihood.modifiers, *t.severity.modifiers)]
    for condition in conditions:
        for leaf, _ in leaves(condition):
            op, operand = leaf.operator()
            if op in ("gt", "gte", "lt", "lte"):
                found.setdefault(leaf.q, set()).update({operand * 0.99, operand, operand * 1.01})
    return found


THRESHOLDS = _thresholds()


def answer(question: Question) -> st.SearchStrategy[Any]:
    """A valid answer to this question."""
    if question.type == "bool":
        return st.booleans()
    if question.type == "choice":
        return st.sampled_from(question.choice_values)
    if question.type == "multi":
        # An exclusive value (`nothing_sensitive`) stands alone; the others combine freely.
        alone = [c.value for c in question.choices if c.exclusive]
        others = [c.value for c in question.choices if not c.exclusive]
        combined = st.lists(st.sampled_from(others), min_size=1, unique=True)
        return st.one_of(combined, *[st.just([v]) for v in alone])
    if question.type == "number":
        low = question.minimum if question.minimum is not None else 0.0
        high = question.maximum if question.maximum is not None else NO_MAXIMUM
        near = sorted(v for v in THRESHOLDS.get(question.id, set()) if low <= v <= high)
        return st.one_of(
            st.floats(low, high, allow_nan=False, allow_infinity=False),
            st.integers(int(low), int(high)),
            *([st.sampled_from(near)] if near else []),
        )
    return st.text(max_size=20)


# Mostly real answers, so that scores vary; now and then `unknown` or no answer at all, which the
# engine turns into the worst case (an answer set of mostly worst cases is critical everywhere).
MODES = ("given",) * 8 + ("unknown", "omitted")


@st.composite
def answer_sets(draw: st.DrawFn) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for qid, question in PACK.questions.items():
        mode = draw(st.sampled_from(MODES), label=qid)
        if mode == "given":
            flat[qid] = draw(answer(question), label=qid)
        elif mode == "unknown":
            flat[qid] = "unknown"
    return flat


ANSWER_SETS = answer_sets()


def measures_for(threat_id: str, status: st.SearchStrategy[str]) -> st.SearchStrategy[Measure]:
    """A measure against this threat: one of its mitigations, or free text with its own effect."""
    mitigation = st.sampled_from([m.id for m in PACK.threats[threat_id].mitigations])
    free_text = st.just("Our own control")
    effect = st.builds(Reduction, likelihood=st.integers(0, 3), severity=st.integers(0, 3))
    return st.one_of(
        st.builds(Measure, threat=st.just(threat_id), measure=mitigation, status=status),
        st.builds(
            Measure, threat=st.just(threat_id), measure=free_text, status=status, reduces=effect
        ),
    )


ANY_MEASURE = st.sampled_from(sorted(PACK.threats)).flatmap(
    lambda tid: measures_for(tid, st.sampled_from(["planned", "implemented"]))
)
IMPLEMENTED = st.sampled_from(sorted(PACK.threats)).flatmap(
    lambda tid: measures_for(tid, st.just("implemented"))
)


def run(flat: dict[str, Any], measures: tuple[Measure, ...] = ()) -> Assessment:
    given_ = answers_from_mapping(PACK, flat)
    file = AnswersFile(threatmodel=1, measures=measures)
    # `raw` (the file as parsed) is a later addition to Answers; pass it when it exists.
    extra = {"raw": {"threatmodel": 1}} if "raw" in ANSWERS_FIELDS else {}
    answers = Answers(path=Path("x.yaml"), sha256="0" * 64, given=given_, file=file, **extra)
    return assess(PACK, answers, NOW)


def by_id(assessment: Assessment) -> dict[str, Any]:
    return {t.id: t for t in assessment.threats}


def rank(level: str) -> int:
    return RISK.index(level)


# ----------------------------------------------------------------------------- the output


@SETTINGS
@given(flat=ANSWER_SETS, measures=st.lists(ANY_MEASURE, max_size=3))
def test_assessment_is_well_formed_and_reproducible(
    flat: dict[str, Any], measures: list[Measure]
) -> None:
    first = to_json(run(flat, tuple(measures)))
    second = to_json(run(flat, tuple(measures)))
    assert first == second
    data = json.loads(first)
    assert data["format"] == "threatmodel.assessment/1"
    matrix = PACK.scale.matrix
    for t in data["threats"]:
        assert t["risk"] == matrix[t["likelihood"]][SEVERITY.index(t["severity"])], t["id"]
        residual = matrix[t["residual_likelihood"]][SEVERITY.index(t["residual_severity"])]
        assert t["residual_risk"] == residual, t["id"]
        assert rank(t["residual_risk"]) <= rank(t["risk"])
        assert t["id"] in PACK.threats
    risks = [t["risk"] for t in data["threats"]]
    expected = max(risks, key=rank) if risks else "none"
    assert data["overall_risk"] == expected
    residuals = [t["residual_risk"] for t in data["threats"]]
    assert data["overall_residual_risk"] == (max(residuals, key=rank) if residuals else "none")
    ids = [t["id"] for t in data["threats"]]
    assert len(ids) == len(set(ids))
    enum = [t for t in data["threats"] if t["id"] == "input-enumeration"]
    for t in enum:
        assert isinstance(t["estimate"]["expected_days_to_first_hit"], float)
        assert t["estimate"]["expected_days_to_first_hit"] >= 0
    # Every assumption names a question whose answer was unknown or missing.
    for a in data["assumptions"]:
        given_value = flat.get(a["question"])
        assert a["answer"] == ("unknown" if given_value == "unknown" else "missing")
        assert given_value in (None, "unknown")


# ----------------------------------------------------------------------------- monotonicity


@SETTINGS
@given(flat=ANSWER_SETS)
def test_hostile_jurisdiction_never_lowers_severity(flat: dict[str, Any]) -> None:
    before = by_id(run({**flat, "population.hostile_jurisdiction": False}))
    after = by_id(run({**flat, "population.hostile_jurisdiction": True}))
    assert set(before) <= set(after)
    for tid, old in before.items():
        new = after[tid]
        assert SEVERITY.index(new.severity) >= SEVERITY.index(old.severity), tid
        assert rank(new.risk) >= rank(old.risk), tid


# A well-generalised model with scores on sensitive membership: label-only lowers it a lot.
SCORES_ON_SENSITIVE_MEMBERSHIP = {
    "access.model_distributed": False,
    "outputs.visible_to_submitter": True,
    "outputs.exposed": ["label", "score"],
    "training.personal_data": True,
    "training.membership_sensitive": True,
    "training.special_category": False,
    "training.records": 1_000_000,
    "training.generalisation_gap": 0.01,
    "training.differential_privacy": False,
    "population.hostile_jurisdiction": False,
}


@SETTINGS
@given(flat=ANSWER_SETS)
@example(flat=SCORES_ON_SENSITIVE_MEMBERSHIP)
def test_label_only_never_raises_membership_inference(flat: dict[str, Any]) -> None:
    before = by_id(run(flat)).get("membership-inference")
    after = by_id(run({**flat, "outputs.exposed": ["label"]})).get("membership-inference")
    assert (before is None) == (after is None)
    if before is not None and after is not None:
        assert rank(after.risk) <= rank(before.risk)
        assert rank(after.residual_risk) <= rank(before.residual_risk)
        assert LIKELIHOOD.index(after.likelihood) <= LIKELIHOOD.index(before.likelihood)
        assert SEVERITY.index(after.severity) <= SEVERITY.index(before.severity)


def enumeration_of(flat: dict[str, Any]) -> Any:
    return by_id(run(flat)).get("input-enumeration")


@SETTINGS
@given(
    flat=ANSWER_SETS,
    limits=st.lists(st.floats(1, NO_MAXIMUM, allow_nan=False), min_size=2, max_size=2),
)
def test_stricter_rate_limit_never_raises_enumeration(
    flat: dict[str, Any], limits: list[float]
) -> None:
    loose, strict = max(limits), min(limits)
    limited = {**flat, "access.rate_limited": True}
    before = enumeration_of({**limited, "access.queries_per_day": loose})
    after = enumeration_of({**limited, "access.queries_per_day": strict})
    assert (before is None) == (after is None)
    if before is not None and after is not None:
        assert rank(after.risk) <= rank(before.risk)
        assert LIKELIHOOD.index(after.likelihood) <= LIKELIHOOD.index(before.likelihood)
        days_before = before.estimate["expected_days_to_first_hit"]
        days_after = after.estimate["expected_days_to_first_hit"]
        assert days_after >= days_before


UNLIMITED_PER_DAY = PACK.scale.enumeration.unlimited_queries_per_second * SECONDS_PER_DAY


@SETTINGS
@given(flat=ANSWER_SETS, limit=st.floats(1, UNLIMITED_PER_DAY, allow_nan=False))
def test_a_limit_below_the_unlimited_rate_never_raises_enumeration(
    flat: dict[str, Any], limit: float
) -> None:
    before = enumeration_of({**flat, "access.rate_limited": False})
    after = enumeration_of({**flat, "access.rate_limited": True, "access.queries_per_day": limit})
    assert (before is None) == (after is None)
    if before is not None and after is not None:
        assert rank(after.risk) <= rank(before.risk)
        assert LIKELIHOOD.index(after.likelihood) <= LIKELIHOOD.index(before.likelihood)
        days_before = before.estimate["expected_days_to_first_hit"]
        days_after = after.estimate["expected_days_to_first_hit"]
        assert days_after >= days_before


@SETTINGS
@given(flat=ANSWER_SETS)
@example(flat={**SCORES_ON_SENSITIVE_MEMBERSHIP, "training.generalisation_gap": 0.2})
def test_differential_privacy_never_raises_membership_inference(flat: dict[str, Any]) -> None:
    before = by_id(run(flat)).get("membership-inference")
    after = by_id(run({**flat, "training.differential_privacy": True})).get("membership-inference")
    assert (before is None) == (after is None)
    if before is not None and after is not None:
        assert rank(after.risk) <= rank(before.risk)
        assert LIKELIHOOD.index(after.likelihood) <= LIKELIHOOD.index(before.likelihood)
        assert after.likelihood in ("negligible", "limited")


@SETTINGS
@given(
    flat=ANSWER_SETS,
    measures=st.lists(ANY_MEASURE, max_size=3),
    added=IMPLEMENTED,
)
def test_an_implemented_measure_never_raises_residual_risk(
    flat: dict[str, Any], measures: list[Measure], added: Measure
) -> None:
    before = by_id(run(flat, tuple(measures)))
    after = by_id(run(flat, (*measures, added)))
    assert set(before) == set(after)
    for tid, old in before.items():
        new = after[tid]
        assert new.risk == old.risk, tid
        assert rank(new.residual_risk) <= rank(old.residual_risk), tid
        assert SEVERITY.index(new.residual_severity) <= SEVERITY.index(old.residual_severity)
        assert LIKELIHOOD.index(new.residual_likelihood) <= LIKELIHOOD.index(
            old.residual_likelihood
        )


BOOLS = [q.id for q in PACK.questions.values() if q.type == "bool"]
FOLLOW_UPS: dict[str, set[str]] = {}
for _q in PACK.questions.values():
    for _leaf, _ in leaves(_q.when) if _q.when is not None else ():
        FOLLOW_UPS.setdefault(_leaf.q, set()).add(_q.id)


# A model in every adversary's hands (published, or shipped to their devices) cannot be stolen by
# querying it, but every adversary can attack it white-box: neither answer is worse for every
# threat (extraction needs "no", white-box attacks "yes"). `access.model_distributed` assumes
# "yes" (every white-box attack), `access.model_public` "no" (copying stays in view, and white-box
# attacks follow from the weights being shipped).
TWO_SIDED = {"access.model_public", "access.model_distributed"}


@SETTINGS
@given(flat=ANSWER_SETS, qid=st.sampled_from([q for q in BOOLS if q not in TWO_SIDED]))
def test_the_worst_case_of_a_yes_no_question_is_never_less_risky(
    flat: dict[str, Any], qid: str
) -> None:
    """`unknown` is assumed at the worst case, so the worst answer must never score lower than
    the other one, for any threat: otherwise "I don't know" would hide a risk."""
    worst = PACK.questions[qid].worst_case
    # The follow-ups of a branch question are left to their own worst case, as they would be if
    # it were answered "I don't know": otherwise the worst answer could open a mitigating one.
    flat = {k: v for k, v in flat.items() if k not in FOLLOW_UPS.get(qid, set())}
    better, worse = by_id(run({**flat, qid: not worst})), by_id(run({**flat, qid: worst}))
    for tid, threat in better.items():
        assert tid in worse, f"{qid}={worst} removes {tid}"
        assert rank(worse[tid].risk) >= rank(threat.risk), (qid, tid, threat.risk, worse[tid].risk)


OTHERS = [q for q in PACK.questions.values() if q.type in ("choice", "number", "multi")]


@SETTINGS
@given(flat=ANSWER_SETS, data=st.data())
def test_the_worst_case_of_any_question_is_never_less_risky(
    flat: dict[str, Any], data: st.DataObject
) -> None:
    """The same for choices, lists and numbers: the declared worst case beats any other answer."""
    question = data.draw(st.sampled_from(OTHERS))
    other = data.draw(answer(question))
    flat = {k: v for k, v in flat.items() if k not in FOLLOW_UPS.get(question.id, set())}
    better = by_id(run({**flat, question.id: other}))
    worse = by_id(run({**flat, question.id: question.worst_case}))
    for tid, threat in better.items():
        assert tid in worse, f"{question.id} at its worst case removes {tid}"
        assert rank(worse[tid].risk) >= rank(threat.risk), (question.id, other, tid)
