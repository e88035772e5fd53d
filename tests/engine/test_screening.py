"""WP248 screening and AI Act flags."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tests.conftest import EXAMPLES
from threatmodel.engine.assess import assess
from threatmodel.engine.assessment import Screening
from threatmodel.pack.answers import answers_from_mapping, load_answers
from threatmodel.pack.answersfile import Answers, AnswersFile
from threatmodel.pack.load import load_packs

PACK = load_packs()
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def _screen(flat: dict[str, Any]) -> Screening:
    given = answers_from_mapping(PACK, flat)
    answers = Answers(Path("x.yaml"), "0" * 64, given, AnswersFile(threatmodel=1), {})
    screening = assess(PACK, answers, NOW).screening
    assert screening is not None
    return screening


def _met(screening: Screening) -> list[str]:
    return [c.id for c in screening.criteria if c.met]


def test_no_personal_data_meets_no_criterion_and_raises_no_flag() -> None:
    screening = _screen({**PACK.baseline, "population.size": 10_000_000})
    assert _met(screening) == []
    assert not screening.dpia_likely_required
    assert screening.ai_act == ()
    assert len(screening.criteria) == 9


def test_headscarf_detector_is_prohibited_biometric_categorisation() -> None:
    given = load_answers(EXAMPLES / "headscarf-detector.yaml", PACK).given
    screening = _screen({**given, "system.domain": ["none_of_these"]})
    flags = {f.id: f.assumed for f in screening.ai_act}
    assert flags == {"art-5-1-g": False, "annex-iii-1": False}
    assert screening.dpia_likely_required
    assert {"sensitive-data", "innovative-technology", "large-scale"} <= set(_met(screening))


def test_unknown_domain_raises_flags_marked_as_assumed() -> None:
    screening = _screen({**PACK.baseline, "inputs.kinds": ["personal_attributes"]})
    assert screening.ai_act == ()  # the baseline answers the domain: none
    flat = {k: v for k, v in PACK.baseline.items() if k != "system.domain"}
    flags = {f.id: f.assumed for f in _screen(flat).ai_act}
    assert flags == {f"annex-iii-{n}": True for n in range(1, 9)}


def test_threshold_two_criteria() -> None:
    one = _screen(
        {**PACK.baseline, "inputs.kinds": ["personal_attributes"], "population.size": 5e5}
    )
    assert _met(one) == ["large-scale"]
    assert not one.dpia_likely_required
    two = _screen(
        {
            **PACK.baseline,
            "inputs.kinds": ["personal_attributes"],
            "population.size": 5e5,
            "population.groups": ["children"],
        }
    )
    assert _met(two) == ["large-scale", "vulnerable-subjects"]
    assert two.dpia_likely_required


def test_criterion_met_only_by_assumption_is_marked() -> None:
    flat = {**PACK.baseline, "inputs.kinds": ["personal_attributes"]}
    del flat["outputs.automated_decisions"]
    criteria = {c.id: (c.met, c.assumed) for c in _screen(flat).criteria}
    assert criteria["automated-decision"] == (True, True)
    assert criteria["large-scale"] == (False, False)
