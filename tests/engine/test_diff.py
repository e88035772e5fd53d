"""`threatmodel.diffing`: what changed between two answer files or JSON assessments, and why."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from tests.conftest import EXAMPLES, Result
from threatmodel.app import load_side
from threatmodel.engine import diff as diffing
from threatmodel.engine.diff import AnswerChange, Diff, LevelChange, ThreatEntry
from threatmodel.errors import InputError
from threatmodel.pack.layered import Pack
from threatmodel.pack.load import load_packs
from threatmodel.render.diff import to_json, to_markdown

BY_COUNTRY = EXAMPLES / "spam-by-country.yaml"
CELEBRITY = EXAMPLES / "spam-celebrity.yaml"


@pytest.fixture
def pack() -> Pack:
    # Loaded per test, after conftest has pointed the pack cache at the session's folder.
    return load_packs()


def edited(source: Path, target: Path, **answers: Any) -> Path:
    """A copy of `source` with some answers replaced; keys are `section__key`."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    for name, value in answers.items():
        section, key = name.split("__")
        data["answers"][section][key] = value
    target.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return target


def compare(old: Path, new: Path, pack: Pack) -> Diff:
    return diffing.diff(load_side(old, pack), load_side(new, pack))


def json_report(cli: Callable[..., Result], answers: Path, target: Path) -> Path:
    result = cli("report", answers, "--format", "json")
    assert result.code == 0, result.err
    target.write_text(result.out, encoding="utf-8")
    return target


@pytest.fixture
def unlimited(tmp_path: Path) -> Path:
    """spam-by-country without its rate limit (which also hides `access.queries_per_day`)."""
    return edited(BY_COUNTRY, tmp_path / "unlimited.yaml", access__rate_limited=False)


@pytest.fixture
def scores(tmp_path: Path) -> Path:
    """spam-celebrity returning a probability vector besides the label."""
    exposed = ["label", "probability_vector"]
    return edited(CELEBRITY, tmp_path / "scores.yaml", outputs__exposed=exposed)


# Comparing


def test_identical_files_have_no_changes(pack: Pack) -> None:
    d = compare(CELEBRITY, CELEBRITY, pack)
    assert d.unchanged
    assert not d.risk_rose
    assert d.overall_risk == LevelChange(old="critical", new="critical")
    assert to_markdown(d, "a.yaml", "b.yaml") == (
        "No change in answers or threats: a.yaml → b.yaml\n"
    )


def test_dropping_the_rate_limit(pack: Pack, unlimited: Path) -> None:
    d = compare(BY_COUNTRY, unlimited, pack)
    assert [(a.question, a.old, a.new) for a in d.answers_changed] == [
        ("access.rate_limited", "true", "false")
    ]
    assert [(a.question, a.old, a.new) for a in d.answers_removed] == [
        ("access.queries_per_day", "5,000", None)
    ]
    assert d.answers_added == ()
    assert d.threats_appeared == (
        ThreatEntry(
            id="model-extraction",
            title="Copying the model to attack it offline, without limits or monitoring",
            risk="high",
            residual_risk="high",
            because=("access.rate_limited", "access.queries_per_day"),
        ),
    )
    assert d.threats_disappeared == ()
    [change] = d.threats_changed
    assert (change.id, change.changed) == (
        "input-enumeration",
        ("likelihood", "risk", "residual_risk"),
    )
    assert change.likelihood == LevelChange(old="negligible", new="significant")
    assert change.residual_risk == LevelChange(old="medium", new="critical")
    assert d.risk_rose


def test_exposing_a_probability_vector(pack: Pack, scores: Path) -> None:
    d = compare(CELEBRITY, scores, pack)
    assert d.answers == (
        AnswerChange(
            question="outputs.exposed",
            text="What does the caller get back from the model?",
            old="[label]",
            new="[label, probability_vector]",
        ),
    )
    appeared = {t.id: (t.risk, t.because) for t in d.threats_appeared}
    assert appeared == {
        "model-inversion": ("critical", ("outputs.exposed",)),
        "output-overexposure": ("medium", ("outputs.exposed",)),
        "property-inference": ("medium", ("outputs.exposed",)),
    }
    changed = {c.id: (c.risk.old, c.risk.new, c.because) for c in d.threats_changed}
    assert changed["linkage-reidentification"] == ("low", "critical", ("outputs.exposed",))
    assert changed["model-extraction"] == ("medium", "critical", ("outputs.exposed",))
    assert set(changed) == {"linkage-reidentification", "membership-inference", "model-extraction"}


def test_the_reverse_diff_mirrors_it(pack: Pack, scores: Path) -> None:
    forward, back = compare(CELEBRITY, scores, pack), compare(scores, CELEBRITY, pack)
    assert back.threats_disappeared == forward.threats_appeared
    assert back.threats_appeared == ()
    assert [(c.id, c.risk.new) for c in back.threats_changed] == [
        ("model-extraction", "medium"),
        ("linkage-reidentification", "low"),
        ("membership-inference", "low"),
    ]
    assert not back.risk_rose


def test_a_json_side_gives_the_same_diff_as_its_answers(
    cli: Callable[..., Result], pack: Pack, tmp_path: Path, unlimited: Path
) -> None:
    old_json = json_report(cli, BY_COUNTRY, tmp_path / "old.json")
    new_json = json_report(cli, unlimited, tmp_path / "new.json")
    from_yaml = compare(BY_COUNTRY, unlimited, pack)
    assert compare(old_json, unlimited, pack) == from_yaml
    assert compare(BY_COUNTRY, new_json, pack) == from_yaml
    assert compare(old_json, new_json, pack) == from_yaml
    assert load_side(old_json, pack) == load_side(BY_COUNTRY, pack)


def test_an_answers_file_in_json_syntax_is_assessed(pack: Pack, tmp_path: Path) -> None:
    data = yaml.safe_load(CELEBRITY.read_text(encoding="utf-8"))
    as_json = tmp_path / "answers.json"
    as_json.write_text(json.dumps(data), encoding="utf-8")
    assert compare(CELEBRITY, as_json, pack).unchanged


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"format": "threatmodel.assessment/1",\n "threats": [', "2: not valid JSON: "),
        ('{"format": "threatmodel.diff/1"}', "format 'threatmodel.diff/1' is not a JSON"),
        ("{}", "format None is not a JSON assessment ('threatmodel.assessment/1')"),
        ('{"format": "threatmodel.assessment/1"}', ": tool_version: Field required"),
    ],
    ids=["truncated", "other-format", "no-format", "incomplete"],
)
def test_a_bad_json_side_is_one_line_naming_the_file(
    pack: Pack, tmp_path: Path, content: str, message: str
) -> None:
    side = tmp_path / "broken.json"
    side.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_side(side, pack)
    text = str(caught.value)
    assert text.startswith(f"{side}:")
    assert message in text
    assert "\n" not in text


def test_a_wrong_type_inside_a_json_side_names_where(
    cli: Callable[..., Result], pack: Pack, tmp_path: Path
) -> None:
    side = json_report(cli, CELEBRITY, tmp_path / "old.json")
    data = json.loads(side.read_text(encoding="utf-8"))
    data["threats"][1]["risk"] = ["high"]
    side.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError, match=r"old\.json: threats\[1\]\.risk: Input should be"):
        load_side(side, pack)


def test_a_missing_side_is_an_input_error(pack: Pack, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nothere\.json: no such file$"):
        load_side(tmp_path / "nothere.json", pack)


# Regressions (check --baseline)


def test_regressions_find_new_threats_and_rises(pack: Pack, unlimited: Path) -> None:
    baseline = load_side(BY_COUNTRY, pack)
    current = load_side(unlimited, pack)
    # input-enumeration rose from medium to critical; model-extraction is new.
    assert diffing.regressions(baseline, current) == ["input-enumeration", "model-extraction"]


def test_no_regressions_when_risks_only_fell(pack: Pack, scores: Path) -> None:
    worse, better = load_side(scores, pack), load_side(CELEBRITY, pack)
    # Membership inference does not rise: a well-generalising ensemble on two million records
    # leaves little trace of any one of them, vector or not.
    assert diffing.regressions(better, worse) == [
        "linkage-reidentification",
        "model-extraction",
        "model-inversion",
        "output-overexposure",
        "property-inference",
    ]
    assert diffing.regressions(worse, better) == []
    assert diffing.regressions(better, better) == []


# Rendering


def test_markdown_report(pack: Pack, unlimited: Path) -> None:
    d = compare(BY_COUNTRY, unlimited, pack)
    assert to_markdown(d, "main:spam.yaml", "spam.yaml").splitlines() == [
        "**Overall risk: critical (unchanged)** — main:spam.yaml → spam.yaml",
        "",
        "### Threats",
        "",
        "- New: `model-extraction` Copying the model to attack it offline, without limits or"
        " monitoring, risk **high**, because of `access.rate_limited`, `access.queries_per_day`",
        "- Changed: `input-enumeration` Guessing inputs until the classifier gives the rare"
        " answer: likelihood negligible → significant; risk medium → critical;"
        " residual risk medium → critical, because of `access.rate_limited`,"
        " `access.queries_per_day`",
        "",
        "### Answers",
        "",
        "| question | old | new |",
        "|---|---|---|",
        "| `access.rate_limited` Is there a limit on how many queries one account, key or"
        " sender can make? | true | false |",
        "| `access.queries_per_day` What is the most queries one actor may make in a day?"
        " | 5,000 | — |",
    ]


def test_markdown_escapes_what_the_files_say(pack: Pack, tmp_path: Path) -> None:
    hostile = edited(CELEBRITY, tmp_path / "hostile.yaml", system__name="| x | <script>")
    markdown = to_markdown(compare(CELEBRITY, hostile, pack), "<b>old", "new|")
    assert markdown.splitlines()[0] == (
        "**Overall risk: critical (unchanged)** — \\<b\\>old → new\\|"
    )
    assert markdown.splitlines()[-1] == (
        "| `system.name` What is the system called? "
        "| SMS spam filter with a celebrity allow-list | \\| x \\| \\<script\\> |"
    )
    assert "<script>" not in markdown


def test_markdown_keeps_odd_ids_out_of_code_spans() -> None:
    odd = ThreatEntry(id="x`<img>", title="t", risk="low", residual_risk="low", because=())
    d = _empty_diff().model_copy(update={"threats_appeared": (odd,)})
    assert "- New: x\\`\\<img\\> t, risk **low**" in to_markdown(d, "a", "b")


def test_json_report(pack: Pack, scores: Path) -> None:
    d = compare(CELEBRITY, scores, pack)
    data = json.loads(to_json(d))
    assert data["format"] == "threatmodel.diff/1"
    assert data["risk_rose"] is True
    assert data["answers_changed"][0]["new"] == "[label, probability_vector]"
    assert [t["id"] for t in data["threats_appeared"]] == [
        "model-inversion",
        "output-overexposure",
        "property-inference",
    ]
    assert Diff.model_validate(data) == d


def test_every_field_of_the_diff_is_described() -> None:
    models: list[type[BaseModel]] = [
        Diff,
        diffing.AnswerChange,
        diffing.LevelChange,
        diffing.ThreatEntry,
        diffing.ThreatChange,
    ]
    undescribed = [
        f"{m.__name__}.{name}"
        for m in models
        for name, field in m.model_fields.items()
        if not field.description
    ]
    assert undescribed == []


def _empty_diff() -> Diff:
    level = LevelChange(old="low", new="low")
    return Diff(
        overall_risk=level,
        overall_residual_risk=level,
        risk_rose=False,
        answers_added=(),
        answers_removed=(),
        answers_changed=(),
        threats_appeared=(),
        threats_disappeared=(),
        threats_changed=(),
    )


def test_a_diff_of_assessments_built_elsewhere(pack: Pack) -> None:
    # The library works on Assessment models alone, whatever produced them.
    full = load_side(CELEBRITY, pack)
    fewer = full.model_copy(update={"threats": full.threats[1:]})
    gone = diffing.diff(full, fewer)
    assert [t.id for t in gone.threats_disappeared] == ["input-enumeration"]
    assert gone.threats_disappeared[0].because == ()
    assert not gone.risk_rose
    # A threat appearing is a rise even when no other level moved.
    back = diffing.diff(fewer, full)
    assert (back.threats_changed, back.risk_rose) == ((), True)


def test_a_cause_named_only_in_the_reasons_is_found(pack: Pack, unlimited: Path) -> None:
    """An assessment written before threats recorded what they read: facts and reasons only."""
    old, new = load_side(BY_COUNTRY, pack), load_side(unlimited, pack)
    stripped = tuple(t.model_copy(update={"facts": (), "reads": ()}) for t in new.threats)
    d = diffing.diff(old, new.model_copy(update={"threats": stripped}))
    assert d.threats_appeared[0].because == ("access.rate_limited",)
