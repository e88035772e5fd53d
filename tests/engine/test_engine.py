"""The engine on hand-built answers: pruning, worst cases, the matrix, estimates, measures."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from threatmodel.engine import enumeration
from threatmodel.engine.assess import assess
from threatmodel.engine.assessment import Assessment, ThreatOut
from threatmodel.engine.resolve import resolve
from threatmodel.pack.answers import answers_from_mapping
from threatmodel.pack.answersfile import Answers, AnswersFile
from threatmodel.pack.layered import Pack
from threatmodel.pack.load import load_packs

PACK: Pack = load_packs()
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)

# The headline case: a spam filter that lets one celebrity's number through, open to anyone.
CELEBRITY: dict[str, Any] = {
    "access.exposure": "public",
    "access.rate_limited": False,
    "access.cheap_identities": True,
    "access.probing_monitored": False,
    "access.model_distributed": False,
    "inputs.kinds": ["identifier"],
    "inputs.caller_controls": "full",
    "inputs.space_size": "1e7",
    "outputs.visible_to_submitter": True,
    "outputs.individual_rules": True,
    "outputs.reveals": ["contact_details"],
    "population.groups": ["public_figures"],
    "population.hostile_jurisdiction": False,
    "adversary.actors": ["stalker"],
    "adversary.motivation": "high",
}


def make(flat: dict[str, Any], **decisions: Any) -> Answers:
    """Answers as `load_answers` would give them, without a file."""
    given = answers_from_mapping(PACK, flat)
    raw = {"threatmodel": 1, **decisions}
    file = AnswersFile.model_validate(raw)
    # `raw` (the file as parsed) is a later addition to Answers; pass it when it exists.
    extra = {"raw": raw} if "raw" in {f.name for f in dataclasses.fields(Answers)} else {}
    return Answers(path=Path("x.yaml"), sha256="0" * 64, given=given, file=file, **extra)


def on_baseline(**overrides: Any) -> dict[str, Any]:
    """The pack's baseline answers (no personal data) with some answers changed."""
    return {**PACK.baseline, **overrides}


def run(flat: dict[str, Any], **decisions: Any) -> Assessment:
    return assess(PACK, make(flat, **decisions), NOW)


def threat(assessment: Assessment, threat_id: str) -> ThreatOut:
    found = [t for t in assessment.threats if t.id == threat_id]
    assert found, f"{threat_id} does not apply; applies: {[t.id for t in assessment.threats]}"
    return found[0]


# ----------------------------------------------------------------------------- branches


def test_hidden_answer_is_ignored_and_listed() -> None:
    flat = on_baseline(**{"access.rate_limited": False, "access.queries_per_day": 5000})
    resolved = resolve(PACK, answers_from_mapping(PACK, flat))
    assert "access.queries_per_day" not in resolved.values
    assert "access.queries_per_day" not in resolved.assumed
    assert [i.question for i in resolved.ignored] == ["access.queries_per_day"]
    ignored = resolved.ignored[0]
    assert ignored.value == "5,000"
    assert ignored.reason == (
        "asked only when access.rate_limited is true; here access.rate_limited = false"
    )
    result = run(flat)
    assert [(i.question, i.value) for i in result.ignored] == [("access.queries_per_day", "5,000")]
    assert "access.queries_per_day" not in [a.question for a in result.answers]
    assert "access.queries_per_day" not in [a.question for a in result.assumptions]


def test_ignored_answer_does_not_reach_the_estimate() -> None:
    # A tiny limit given while rate_limited is false must not slow the attacker down.
    flat = {**CELEBRITY, "access.rate_limited": False, "access.queries_per_day": 1}
    estimate = threat(run(flat), "input-enumeration").estimate
    assert estimate is not None
    assert estimate["queries_per_day_per_identity"] == 864_000
    assert estimate["expected_days_to_first_hit"] == 0.0579


def test_visible_answer_counts_and_is_not_ignored() -> None:
    flat = on_baseline(**{"access.rate_limited": True, "access.queries_per_day": 5000})
    resolved = resolve(PACK, answers_from_mapping(PACK, flat))
    assert resolved.values["access.queries_per_day"] == 5000
    assert resolved.ignored == []


def test_hidden_training_questions_are_neither_assumed_nor_ignored_when_not_given() -> None:
    # The baseline has no personal training data, so the training follow-ups are never asked.
    resolved = resolve(PACK, answers_from_mapping(PACK, PACK.baseline))
    hidden = [
        "training.special_category",
        "training.membership_sensitive",
        "training.records",
        "training.generalisation_gap",
        "training.differential_privacy",
    ]
    for qid in hidden:
        assert qid not in resolved.values
        assert qid not in resolved.assumed
        assert qid not in resolved.missing
    assert resolved.assumptions == []
    assert resolved.ignored == []


def test_hidden_unknown_answer_is_ignored_not_assumed() -> None:
    flat = on_baseline(**{"training.records": "unknown"})
    resolved = resolve(PACK, answers_from_mapping(PACK, flat))
    assert [(i.question, i.value) for i in resolved.ignored] == [("training.records", "unknown")]
    assert "training.records" not in resolved.values
    assert resolved.assumptions == []


# ----------------------------------------------------------------------------- worst cases


def test_unknown_answer_becomes_worst_case() -> None:
    flat = on_baseline(**{"access.cheap_identities": "unknown", "inputs.space_size": "unknown"})
    resolved = resolve(PACK, answers_from_mapping(PACK, flat))
    assert resolved.values["access.cheap_identities"] is True
    assert resolved.values["inputs.space_size"] == 1
    assert resolved.assumed == {
        "access.cheap_identities": "unknown",
        "inputs.space_size": "unknown",
    }
    assert [(a.question, a.answer, a.assumed) for a in resolved.assumptions] == [
        ("access.cheap_identities", "unknown", "true"),
        ("inputs.space_size", "unknown", "1"),
    ]
    first = resolved.assumptions[0]
    assert first.text == PACK.questions["access.cheap_identities"].text
    assert first.means == PACK.questions["access.cheap_identities"].worst_case_means
    assert resolved.missing == []


def test_missing_answer_becomes_worst_case() -> None:
    flat = {
        k: v for k, v in PACK.baseline.items() if k not in ("access.exposure", "outputs.exposed")
    }
    resolved = resolve(PACK, answers_from_mapping(PACK, flat))
    assert resolved.values["access.exposure"] == "public"
    assert resolved.values["outputs.exposed"] == [
        "label",
        "score",
        "probability_vector",
        "top_k",
        "ranking",
        "explanation",
        "embedding",
    ]
    # The worst case of `outputs.exposed` includes explanations, which opens their branch.
    assert resolved.assumed == {
        "access.exposure": "missing",
        "outputs.exposed": "missing",
        "outputs.explanation_source": "missing",
    }
    assert resolved.missing == [
        "access.exposure",
        "outputs.exposed",
        "outputs.explanation_source",
    ]
    assert [(a.question, a.answer, a.assumed) for a in resolved.assumptions] == [
        ("access.exposure", "missing", "public"),
        (
            "outputs.exposed",
            "missing",
            "[label, score, probability_vector, top_k, ranking, explanation, embedding]",
        ),
        ("outputs.explanation_source", "missing", "real_records"),
    ]


def test_missing_text_is_recorded_as_not_stated() -> None:
    flat = {k: v for k, v in PACK.baseline.items() if k != "system.owner"}
    resolved = resolve(PACK, answers_from_mapping(PACK, flat))
    assert resolved.missing == ["system.owner"]
    assert "system.owner" not in resolved.values  # text has no worst case to assume
    assert [(a.question, a.answer, a.assumed) for a in resolved.assumptions] == [
        ("system.owner", "missing", "not stated")
    ]


def test_every_question_missing_assumes_each_worst_case() -> None:
    # rate_limited is assumed false (its worst case), which hides queries_per_day; the training
    # follow-ups are asked because personal_data is assumed true.
    result = run({})
    expected = [(qid, "missing") for qid in PACK.questions if qid != "access.queries_per_day"]
    assert [(a.question, a.answer) for a in result.assumptions] == expected
    resolved = resolve(PACK, {})
    assert "access.queries_per_day" not in resolved.values
    assert resolved.ignored == []
    for qid, question in PACK.questions.items():
        if question.type != "text" and qid != "access.queries_per_day":
            assert resolved.values[qid] == question.worst_case, qid
    assert resolved.missing == [qid for qid in PACK.questions if qid != "access.queries_per_day"]


def test_assumptions_are_in_the_assessment_and_marked_in_because() -> None:
    flat = {**CELEBRITY, "access.cheap_identities": "unknown"}
    flat.pop("outputs.individual_rules")
    result = run(flat)
    assert [
        (a.question, a.answer)
        for a in result.assumptions
        if a.question in ("access.cheap_identities", "outputs.individual_rules")
    ] == [
        ("access.cheap_identities", "unknown"),
        ("outputs.individual_rules", "missing"),
    ]
    because = threat(result, "input-enumeration").because
    assert "outputs.individual_rules = true (assumed)" in because
    assert "outputs.visible_to_submitter = true" in because


# ----------------------------------------------------------------------------- the matrix

MATRIX = {
    "negligible": ["low", "low", "low", "medium"],
    "limited": ["low", "low", "medium", "high"],
    "significant": ["low", "medium", "high", "critical"],
    "maximum": ["low", "medium", "critical", "critical"],
}
SEVERITIES = ["negligible", "limited", "significant", "maximum"]


@pytest.mark.parametrize(
    ("likelihood", "severity", "risk"),
    [(lk, sv, MATRIX[lk][i]) for lk in MATRIX for i, sv in enumerate(SEVERITIES)],
)
def test_risk_matrix(likelihood: str, severity: str, risk: str) -> None:
    assert PACK.scale.risk_of(likelihood, severity) == risk


def test_scales() -> None:
    assert PACK.scale.likelihood == ("negligible", "limited", "significant", "maximum")
    assert PACK.scale.severity == ("negligible", "limited", "significant", "maximum")
    assert PACK.scale.risk == ("low", "medium", "high", "critical")


# ----------------------------------------------------------------------------- no threats


def test_baseline_has_no_threat_and_overall_none() -> None:
    result = run(PACK.baseline)
    assert result.threats == ()
    assert result.overall_risk == "none"
    assert result.overall_residual_risk == "none"
    assert result.assumptions == ()
    assert result.ignored == ()
    assert result.format == "threatmodel.assessment/1"


def test_public_probability_api_on_non_personal_data_is_at_most_low() -> None:
    flat = on_baseline(
        **{
            "access.exposure": "public",
            "access.rate_limited": False,
            "access.cheap_identities": True,
            "access.probing_monitored": False,
            "inputs.kinds": ["non_personal"],
            "inputs.caller_controls": "full",
            "inputs.third_party": False,
            "outputs.exposed": ["label", "probability_vector"],
            "outputs.visible_to_submitter": True,
            "outputs.reveals": ["nothing_sensitive"],
            "training.personal_data": False,
            "population.groups": ["general_public"],
            "population.size": 1_000_000,
            "adversary.actors": ["curious_user", "competitor"],
            "adversary.motivation": "medium",
        }
    )
    result = run(flat)
    assert [t.risk for t in result.threats if t.risk != "low"] == []
    assert result.overall_risk in ("none", "low")
    assert result.assumptions == ()


# ----------------------------------------------------------------------------- scoring


def test_celebrity_case_scores_critical_with_reasons() -> None:
    result = run(CELEBRITY)
    enum = threat(result, "input-enumeration")
    assert (enum.likelihood, enum.severity, enum.risk) == ("maximum", "maximum", "critical")
    assert (enum.residual_likelihood, enum.residual_severity, enum.residual_risk) == (
        "maximum",
        "maximum",
        "critical",
    )
    assert [(s.aspect, s.before, s.after) for s in enum.steps] == [
        ("likelihood", "", "maximum"),
        ("severity", "limited", "significant"),
        ("severity", "significant", "maximum"),
    ]
    assert enum.because[:8] == (
        "inputs.space_size = 10,000,000",
        "inputs.caller_controls = full",
        "outputs.visible_to_submitter = true",
        "access.exposure = public",
        "inputs.kinds = [identifier]",  # personal data: any of these three
        "outputs.reveals = [contact_details]",
        "training.personal_data = true (assumed)",
        "outputs.individual_rules = true",
    )
    assert result.overall_risk == "critical"
    # Threats are ordered by risk, highest first.
    order = [PACK.scale.risk.index(t.risk) for t in result.threats]
    assert order == sorted(order, reverse=True)


def test_overall_risk_is_the_highest_threat() -> None:
    flat = on_baseline(**{"outputs.reveals": ["nationality"], "access.exposure": "internal"})
    result = run(flat)
    assert [(t.id, t.likelihood, t.severity, t.risk) for t in result.threats] == [
        ("location-disclosure", "limited", "limited", "low")
    ]
    assert result.overall_risk == "low"


# ----------------------------------------------------------------------------- enumeration


def estimate_for(**answers: Any) -> dict[str, Any]:
    result = run({**CELEBRITY, **answers})
    found = threat(result, "input-enumeration").estimate
    assert found is not None
    return found


def test_enumeration_rate_limited_with_cheap_identities() -> None:
    # r = 5,000 a day, m = 100 cheap identities, N = 1e7, k = 1.
    est = estimate_for(**{"access.rate_limited": True, "access.queries_per_day": 5000})
    assert est["space_size"] == 1e7
    assert est["matches_sought"] == 1
    assert est["queries_per_day_per_identity"] == 5000
    assert est["identities"] == 100
    assert est["queries_per_day"] == 500_000
    assert est["expected_queries_to_first_hit"] == 5_000_000.5  # (N+1)/(k+1)
    assert est["expected_days_to_first_hit"] == 10.0  # 5,000,000.5 / 500,000
    assert est["days_to_try_all"] == 20.0
    assert est["adversary_patience_days"] == 365
    assert est["basis"] == "5,000 queries a day per actor, from 100 cheap identities"
    assert est["statement"] == (
        "At 500,000 queries a day (5,000 queries a day per actor, from 100 cheap identities), "
        "all 10,000,000 plausible inputs are tried in 20 days; the first hit is expected after "
        "10 days."
    )


def test_enumeration_unlimited_single_identity() -> None:
    # No limit: 10 queries a second = 864,000 a day; no cheap identities, so m = 1.
    est = estimate_for(**{"access.rate_limited": False, "access.cheap_identities": False})
    assert est["queries_per_day_per_identity"] == 864_000
    assert est["identities"] == 1
    assert est["queries_per_day"] == 864_000
    assert est["expected_queries_to_first_hit"] == 5_000_000.5
    assert est["expected_days_to_first_hit"] == 5.79  # 5,000,000.5 / 864,000 = 5.787…
    assert est["days_to_try_all"] == 11.6  # 1e7 / 864,000 = 11.57…
    assert est["basis"] == "no per-actor limit, about 10 queries a second each"


def test_enumeration_unlimited_with_cheap_identities() -> None:
    est = estimate_for(**{"access.rate_limited": False, "access.cheap_identities": True})
    assert est["queries_per_day"] == 86_400_000
    assert est["expected_days_to_first_hit"] == 0.0579  # 5,000,000.5 / 86,400,000
    assert (
        est["basis"]
        == "no per-actor limit, about 10 queries a second each, from 100 cheap identities"
    )


def test_enumeration_distributed_model_ignores_identities() -> None:
    # A local copy answers 1e4 queries a second = 864,000,000 a day, whatever the identities.
    est = estimate_for(
        **{
            "access.model_distributed": True,
            "access.cheap_identities": True,
            "access.rate_limited": True,
            "access.queries_per_day": 10,
        }
    )
    assert est["queries_per_day_per_identity"] == 864_000_000
    assert est["identities"] == 1
    assert est["queries_per_day"] == 864_000_000
    assert est["expected_days_to_first_hit"] == 0.00579  # 5,000,000.5 / 864,000,000
    assert est["days_to_try_all"] == 0.0116
    assert est["basis"] == "a local copy of the distributed model"


def test_enumeration_formula_small_space() -> None:
    # N = 9,999, k = 1: (N+1)/(k+1) = 5,000 queries; at 100 a day from 1 identity, 50 days.
    est = estimate_for(
        **{
            "inputs.space_size": 9999,
            "access.rate_limited": True,
            "access.queries_per_day": 100,
            "access.cheap_identities": False,
        }
    )
    assert est["expected_queries_to_first_hit"] == 5000
    assert est["expected_days_to_first_hit"] == 50.0
    assert est["days_to_try_all"] == 100.0


def test_enumeration_estimate_function_directly() -> None:
    values = {
        "inputs.space_size": 1e7,
        "access.rate_limited": True,
        "access.queries_per_day": 5000,
        "access.cheap_identities": True,
        "access.model_distributed": False,
        "adversary.motivation": "low",
    }
    est = enumeration.estimate(values, PACK.scale.enumeration, PACK.scale.questions)
    assert est["expected_days_to_first_hit"] == 10.0
    assert est["adversary_patience_days"] == 1


@pytest.mark.parametrize(
    ("motivation", "patience", "likelihood"),
    [("low", 1, "limited"), ("medium", 30, "significant"), ("high", 365, "maximum")],
)
def test_enumeration_likelihood_against_patience(
    motivation: str, patience: int, likelihood: str
) -> None:
    # 10 days to a first hit against a patience of 1 day (ratio 10), 30 days (1/3), 365 (0.027).
    flat = {
        **CELEBRITY,
        "access.rate_limited": True,
        "access.queries_per_day": 5000,
        "adversary.motivation": motivation,
    }
    enum = threat(run(flat), "input-enumeration")
    assert enum.estimate is not None
    assert enum.estimate["expected_days_to_first_hit"] == 10.0
    assert enum.estimate["adversary_patience_days"] == patience
    assert (enum.steps[0].aspect, enum.steps[0].after) == ("likelihood", likelihood)
    assert enum.likelihood == likelihood


@pytest.mark.parametrize(
    ("days", "patience", "level"),
    [
        (0.0, 10, "maximum"),
        (1.0, 10, "maximum"),  # ratio 0.1
        (1.0001, 10, "significant"),
        (10.0, 10, "significant"),  # ratio 1
        (10.001, 10, "limited"),
        (100.0, 10, "limited"),  # ratio 10
        (100.01, 10, "negligible"),
        (1e9, 365, "negligible"),
        (36.0, 365, "maximum"),
        (37.0, 365, "significant"),
    ],
)
def test_level_for_thresholds(days: float, patience: float, level: str) -> None:
    assert enumeration.level_for(days, patience) == level


def test_monitoring_and_partial_control_lower_estimated_likelihood() -> None:
    flat = {
        **CELEBRITY,
        "access.probing_monitored": True,
        "inputs.caller_controls": "partial",
    }
    enum = threat(run(flat), "input-enumeration")
    assert [(s.aspect, s.before, s.after) for s in enum.steps if s.aspect == "likelihood"] == [
        ("likelihood", "", "maximum"),
        ("likelihood", "maximum", "significant"),
        ("likelihood", "significant", "limited"),
    ]
    assert (enum.likelihood, enum.severity, enum.risk) == ("limited", "maximum", "high")


# ----------------------------------------------------------------------------- measures


def measure(name: str, status: str, **extra: Any) -> dict[str, Any]:
    return {"threat": "input-enumeration", "measure": name, "status": status, **extra}


def test_implemented_measure_lowers_residual_by_declared_steps() -> None:
    # hide-decision declares likelihood: 2 -> maximum becomes limited.
    result = run(CELEBRITY, measures=[measure("hide-decision", "implemented", owner="Team")])
    enum = threat(result, "input-enumeration")
    assert (enum.likelihood, enum.severity, enum.risk) == ("maximum", "maximum", "critical")
    assert (enum.residual_likelihood, enum.residual_severity, enum.residual_risk) == (
        "limited",
        "maximum",
        "high",
    )
    assert [(m.measure, m.status, m.owner, m.reduces) for m in enum.measures] == [
        ("hide-decision", "implemented", "Team", {"likelihood": 2, "severity": 0})
    ]
    assert enum.measures[0].title == "Do not let the submitter observe the decision"


def test_implemented_measures_add_up() -> None:
    result = run(
        CELEBRITY,
        measures=[
            measure("hide-decision", "implemented"),
            measure("remove-individual-rules", "implemented"),
        ],
    )
    enum = threat(result, "input-enumeration")
    assert (enum.residual_likelihood, enum.residual_severity, enum.residual_risk) == (
        "limited",
        "significant",
        "medium",
    )


def test_residual_levels_stop_at_the_bottom_of_the_scale() -> None:
    result = run(
        CELEBRITY,
        measures=[
            measure("hide-decision", "implemented"),
            measure("rate-limit", "implemented"),
            measure("monitor-probing", "implemented"),
        ],
    )
    enum = threat(result, "input-enumeration")
    assert (enum.residual_likelihood, enum.residual_risk) == ("negligible", "medium")


def test_planned_measure_does_not_lower_residual() -> None:
    result = run(
        CELEBRITY,
        measures=[measure("hide-decision", "planned", owner="Team", due="2027-01-31")],
    )
    enum = threat(result, "input-enumeration")
    assert (enum.residual_likelihood, enum.residual_severity, enum.residual_risk) == (
        "maximum",
        "maximum",
        "critical",
    )
    assert [(m.measure, m.status, m.due) for m in enum.measures] == [
        ("hide-decision", "planned", "2027-01-31")
    ]


def test_free_text_measure_uses_its_own_reduction() -> None:
    result = run(
        CELEBRITY,
        measures=[
            measure("Verified sender numbers only", "implemented", reduces={"likelihood": 3})
        ],
    )
    enum = threat(result, "input-enumeration")
    assert (enum.residual_likelihood, enum.residual_severity, enum.residual_risk) == (
        "negligible",
        "maximum",
        "medium",
    )
    assert enum.measures[0].title == "Verified sender numbers only"


def test_measure_on_another_threat_does_not_change_this_one() -> None:
    flat = {**CELEBRITY, "training.personal_data": True}
    result = run(
        flat,
        measures=[
            {
                "threat": "membership-inference",
                "measure": "differential-privacy",
                "status": "implemented",
            }
        ],
    )
    enum = threat(result, "input-enumeration")
    assert enum.measures == ()
    assert enum.residual_risk == enum.risk == "critical"
    mi = threat(result, "membership-inference")
    assert [m.measure for m in mi.measures] == ["differential-privacy"]


def test_acceptance_appears_on_the_threat() -> None:
    result = run(
        CELEBRITY,
        acceptances=[
            {
                "threat": "input-enumeration",
                "justification": "Allow-list removed next quarter",
                "approved_by": "DPO",
                "expires": "2027-06-30",
            }
        ],
    )
    accepted = threat(result, "input-enumeration").accepted
    assert accepted is not None
    assert accepted.model_dump(mode="json") == {
        "justification": "Allow-list removed next quarter",
        "approved_by": "DPO",
        "expires": "2027-06-30",
    }
    others = [t.accepted for t in result.threats if t.id != "input-enumeration"]
    assert others
    assert all(a is None for a in others)
    # Accepting a risk does not change it.
    assert threat(result, "input-enumeration").risk == "critical"


def test_unknown_limit_is_no_worse_than_no_limit() -> None:
    flat = {
        **CELEBRITY,
        "access.cheap_identities": False,
        "inputs.space_size": 1e9,
        "adversary.motivation": "low",
    }
    unlimited = threat(run({**flat, "access.rate_limited": False}), "input-enumeration")
    unknown = threat(
        run({**flat, "access.rate_limited": True, "access.queries_per_day": "unknown"}),
        "input-enumeration",
    )
    assert unlimited.estimate is not None
    assert unknown.estimate is not None
    assert unlimited.estimate["expected_days_to_first_hit"] == 579.0
    assert unknown.estimate["expected_days_to_first_hit"] >= 579.0
    assert PACK.scale.risk.index(unknown.risk) <= PACK.scale.risk.index(unlimited.risk)
