"""The judgement revision, mechanism by mechanism: attack paths gate likelihood, severity follows
the attribute and where it is persecuted, ruled-out threats say why, each threat is told for this
system, and recommendations keep the system's purpose."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import EXAMPLES, Result

HERE = Path(__file__).resolve().parents[1] / "judgement" / "calibration"
DATING = HERE / "dating-age-api.yaml"
OWN_SELFIE = HERE / "age-gate-own-selfie.yaml"
Cli = Callable[..., Result]


def _assessment(cli: Cli, path: Path) -> dict[str, Any]:
    result = cli("report", path, "--format", "json")
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def _threat(data: dict[str, Any], tid: str) -> dict[str, Any]:
    return next(t for t in data["threats"] if t["id"] == tid)


def _edited(tmp_path: Path, source: Path, **answers: Any) -> Path:
    data = yaml.safe_load(source.read_text())
    for qid, value in answers.items():
        section, key = qid.split("__")
        if value is None:
            data["answers"][section].pop(key, None)
        else:
            data["answers"][section][key] = value
    path = tmp_path / source.name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_persecution_raises_severity_only_for_the_attribute_persecuted(
    cli: Cli, tmp_path: Path
) -> None:
    # Sexual orientation is persecuted where some users live; the output reveals age.
    age = _threat(_assessment(cli, DATING), "protected-attribute-exposure")
    assert age["severity"] != "maximum"
    assert not any("criminalised or persecuted" in b for b in age["because"])
    orientation = _edited(
        tmp_path,
        DATING,
        outputs__reveals=["age", "sexual_orientation"],
        population__groups=["general_public"],
    )
    revealed = _threat(_assessment(cli, orientation), "protected-attribute-exposure")
    assert revealed["severity"] == "maximum"
    assert any(
        "criminalised or persecuted where affected people live" in b for b in revealed["because"]
    )


def test_membership_of_a_persecuted_group_is_maximum_severity(cli: Cli, tmp_path: Path) -> None:
    membership = _threat(_assessment(cli, DATING), "membership-inference")
    assert membership["severity"] == "maximum"
    # Answered "no" to the hostile jurisdiction, being in the training set still endangers LGBTQ
    # users: membership does not collapse to low.
    safe = _edited(
        tmp_path, DATING, population__hostile_jurisdiction=False, training__special_category=False
    )
    membership = _threat(_assessment(cli, safe), "membership-inference")
    assert membership["severity"] == "maximum"
    assert membership["risk"] in ("high", "critical")


def test_unknown_persecuted_attributes_assume_every_revealed_one(cli: Cli, tmp_path: Path) -> None:
    path = _edited(tmp_path, DATING, population__persecuted_attributes=None)
    data = _assessment(cli, path)
    assert _threat(data, "protected-attribute-exposure")["severity"] == "maximum"
    assumed = {a["question"] for a in data["assumptions"]}
    assert "population.persecuted_attributes" in assumed


def test_cutting_the_attack_path_lowers_the_risk_and_says_which_path_is_missing(
    cli: Cli,
) -> None:
    own = _assessment(cli, OWN_SELFIE)
    exposure = _threat(own, "protected-attribute-exposure")
    assert exposure["likelihood"] == "negligible"
    assert any("No path to anyone else's attribute" in b for b in exposure["because"])
    membership = _threat(own, "membership-inference")
    assert membership["likelihood"] == "negligible"
    assert any("Missing path" in b for b in membership["because"])
    assert own["prior_consultation"] is True  # a wrong "adult" still lets a child in (high)
    assert [t["id"] for t in own["threats"] if t["risk"] == "high"] == ["false-attribution"]


def test_motivation_does_not_raise_a_threat_without_a_path(cli: Cli) -> None:
    triage = _assessment(cli, HERE / "triage-internal.yaml")
    exposure = _threat(triage, "protected-attribute-exposure")
    assert not any("motivated" in b for b in exposure["because"])
    assert exposure["risk"] in ("low", "medium")


def test_a_published_model_is_not_rated_for_extraction(cli: Cli) -> None:
    data = _assessment(cli, HERE / "published-risk-calculator.yaml")
    ruled_out = {r["id"]: r for r in data["ruled_out"]}
    assert "access.model_public = true" in ruled_out["model-extraction"]["because"]
    assert _threat(data, "model-inversion")["likelihood"] == "negligible"


def test_the_published_flag_is_two_sided(cli: Cli, tmp_path: Path) -> None:
    """Published: no extraction, but white-box attacks on the training data; not published:
    the reverse. Neither answer is worse for every threat."""
    calculator = HERE / "published-risk-calculator.yaml"
    unpublished = _edited(
        tmp_path, calculator, access__model_public=False, access__model_distributed=False
    )
    published, hidden = _assessment(cli, calculator), _assessment(cli, unpublished)
    assert "model-extraction" not in {t["id"] for t in published["threats"]}
    assert "model-extraction" in {t["id"] for t in hidden["threats"]}
    # Published, it is in every adversary's hands: the white-box path makes membership apply.
    assert "access.model_public = true" in _threat(published, "membership-inference")["because"]


def test_counterfactuals_from_real_records_hand_over_other_customers_finances(cli: Cli) -> None:
    real = _threat(_assessment(cli, HERE / "loan-counterfactuals-real.yaml"), "explanation-leakage")
    synthetic = _threat(
        _assessment(cli, HERE / "loan-counterfactuals-synthetic.yaml"), "explanation-leakage"
    )
    assert (real["severity"], synthetic["severity"]) == ("significant", "limited")
    assert "another person's real record" in " ".join(real["because"])


def test_logs_of_hashes_are_not_logs_of_photos(cli: Cli, tmp_path: Path) -> None:
    hashes = _threat(_assessment(cli, DATING), "inference-log-exposure")
    assert not any("raw inputs" in b for b in hashes["because"])
    raw = _edited(tmp_path, DATING, outputs__logged_content=["raw_inputs", "outputs"])
    photos = _threat(_assessment(cli, raw), "inference-log-exposure")
    assert any("The logs keep the raw inputs" in b for b in photos["because"])


def test_a_secret_typed_once_is_drawn_out_of_a_keyboard_model(cli: Cli) -> None:
    keyboard = _threat(
        _assessment(cli, HERE / "keyboard-next-word.yaml"), "training-data-extraction"
    )
    assert keyboard["risk"] in ("high", "critical")
    assert "my password is" in keyboard["in_this_system"]


def test_capacity_moves_membership_and_inversion_together(cli: Cli, tmp_path: Path) -> None:
    neighbours = _edited(
        tmp_path,
        HERE / "published-risk-calculator.yaml",
        training__model_family="nearest_neighbours",
    )
    data = _assessment(cli, neighbours)
    for tid in ("membership-inference", "model-inversion"):
        assert any(
            "store or memorise individual records" in b for b in _threat(data, tid)["because"]
        )


def test_every_ruled_out_threat_says_why_with_the_answers(cli: Cli) -> None:
    data = _assessment(cli, OWN_SELFIE)
    applying = {t["id"] for t in data["threats"]}
    ruled_out = {r["id"]: r for r in data["ruled_out"]}
    assert set(ruled_out) | applying == {c["id"] for c in data["catalogue"]}
    assert not set(ruled_out) & applying
    enumeration = ruled_out["input-enumeration"]
    assert enumeration["why"].startswith("Needs callers who choose a guessable input")
    assert "inputs.caller_controls = none" in enumeration["because"]


def test_every_applying_threat_is_told_for_this_system(cli: Cli) -> None:
    data = _assessment(cli, DATING)
    for threat in data["threats"]:
        assert threat["in_this_system"], threat["id"]
        assert "{" not in threat["in_this_system"]
    exposure = _threat(data, "protected-attribute-exposure")
    assert exposure["in_this_system"].startswith(
        "Here anyone with an account can submit someone else's photos of people and read what "
        "the model says of their age."
    )
    assert "stalkers" in exposure["in_this_system"]
    assert "2,000,000 people" in exposure["in_this_system"]


def test_recommendations_keep_the_purpose(cli: Cli) -> None:
    data = _assessment(cli, DATING)
    recommended = [r["mitigation"] for r in data["recommendations"]]
    apart = [r["mitigation"] for r in data["removes_purpose"]]
    assert "drop-sensitive-output" not in recommended
    assert "drop-sensitive-label" not in recommended
    assert {"drop-sensitive-output", "drop-sensitive-label"} <= set(apart)
    assert "restrict-third-party-queries" in recommended
    assert len(recommended) == len(set(recommended))


def test_advice_given_under_several_threats_is_one_recommendation_that_counts_for_each(
    cli: Cli, tmp_path: Path
) -> None:
    vectors = _edited(
        tmp_path, EXAMPLES / "spam-celebrity.yaml", outputs__exposed=["label", "probability_vector"]
    )
    data = _assessment(cli, vectors)
    label_only = [
        r for r in data["recommendations"] if r["mitigation"] in ("label-only", "return-label-only")
    ]
    assert len(label_only) == 1
    assert len(label_only[0]["threats"]) >= 3
    assert data["recommendations"][0] == label_only[0]


def test_a_phrase_naming_an_unknown_question_is_refused_with_its_line(
    cli: Cli, tmp_path: Path
) -> None:
    pack = tmp_path / "pk"
    assert cli("rules", "init", pack).code == 0
    threat = pack / "threats" / "vendor-input-retention.yaml"
    threat.write_text(
        threat.read_text() + "in_this_system:\n  - text: The {vendor.retains} inputs.\n"
    )
    said = cli("rules", "lint", pack).err.strip()
    assert said.startswith(f"threatmodel: {threat}:")
    assert "in_this_system[0].text: unknown question 'vendor.retains'" in said


@pytest.mark.parametrize("source", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_files_without_the_new_questions_still_load(cli: Cli, tmp_path: Path, source: Path) -> None:
    new = (
        "model_public",
        "recipients_entitled",
        "logged_content",
        "log_retention_days",
        "explanation_source",
        "model_family",
        "unique_secrets",
        "persecuted_attributes",
    )
    data = yaml.safe_load(source.read_text())
    for keys in data["answers"].values():
        for key in new:
            keys.pop(key, None)
    path = tmp_path / source.name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assessment = _assessment(cli, path)
    assumed = {a["question"] for a in assessment["assumptions"]}
    assert {"outputs.recipients_entitled", "training.model_family"} <= assumed
