"""`threatmodel assess` in-process: the real questionary prompts fed through a prompt_toolkit pipe.

The pipe is closed after the keys are sent, so a prompt that wants a key the test did not send
fails with end of input (exit 130) instead of hanging; pytest-timeout is the backstop.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from tests.conftest import EXAMPLES, SCENARIOS, Result
from tests.interview_keys import DOWN, ENTER, interview_keys
from threatmodel.engine.resolve import resolve
from threatmodel.pack.answers import load_answers
from threatmodel.pack.load import load_packs

PACK = load_packs()
BACKSPACE = "\x7f"
CTRL_C = "\x03"


@pytest.fixture
def typed(cli: Callable[..., Result]) -> Callable[..., Result]:
    """Run the CLI with these keys typed at its prompts."""

    def invoke(keys: str, *args: str | Path) -> Result:
        with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
            pipe.send_text(keys)
            pipe.close()
            return cli(*args)

    return invoke


def _complete(example: str) -> dict[str, Any]:
    """An example system with every question answered, as a file the interview resumes from.

    The examples answer the contract's core questions; the pack asks a few more."""
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / example).read_text())
    given = load_answers(EXAMPLES / example, PACK).given
    for qid, question in PACK.questions.items():
        section, key = qid.split(".")
        if qid not in given and qid in EXTRA:
            data["answers"].setdefault(section, {})[key] = EXTRA[qid]
        assert question.id in given or qid in EXTRA or question.when is not None, qid
    return data


EXTRA = {
    "system.domain": ["none_of_these"],
    "inputs.combined_sources": False,
    "outputs.automated_decisions": True,
}


def _keys(path: Path) -> str:
    given = load_answers(path, PACK).given
    return "".join(keys for _, keys in interview_keys(PACK, given))


def _report(cli: Callable[..., Result], path: Path) -> dict[str, Any]:
    """The assessment, less what names the file, who answered and where in it each answer is,
    and with "missing" read as "unknown": the interview records "I don't know" where a file may
    leave a question out."""
    data: dict[str, Any] = json.loads(cli("report", path, "--format", "json").out)
    for key in ("answers_file", "answers_sha256", "provenance"):
        data.pop(key)
    for item in data["assumptions"]:
        item["answer"] = "unknown"
    for item in data["answers"]:
        item["source"] = item["source"].replace("missing", "unknown")
        item.pop("line")
    return data


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_full_interview_gives_the_scenario_assessment(
    typed: Callable[..., Result], cli: Callable[..., Result], scenario: Path, tmp_path: Path
) -> None:
    answers = tmp_path / "answers.yaml"
    result = typed(_keys(scenario) + ENTER, "assess", answers, "--by", "Ana Ruiz")
    assert result.code == 0, result.err
    assert f"report written to {tmp_path / 'answers.md'}" in result.out
    assert (tmp_path / "answers.md").read_text().startswith("# Privacy threat assessment")
    assert _report(cli, answers) == _report(cli, scenario)
    provenance = yaml.safe_load(answers.read_text())["provenance"]
    assert provenance["packs"] == [{"name": "core", "version": PACK.packs[0].version}]
    assert provenance["answered_by"] == "Ana Ruiz"  # the name given, not the OS login


def test_end_of_input_midway_keeps_every_answer_given(
    typed: Callable[..., Result], tmp_path: Path
) -> None:
    answers = tmp_path / "a.yaml"
    plan = interview_keys(PACK, {})[:5]
    first_five = "".join(k for _, k in plan)
    result = typed(first_five, "assess", answers)
    assert result.code == 130
    assert result.err == (
        f"threatmodel: interrupted; 5 answer(s) are saved in {answers}; "
        f"run `threatmodel assess {answers}` to resume\n"
    )
    saved = load_answers(answers, PACK).given
    assert list(saved) == [qid for qid, _ in plan]
    assert list(saved)[:3] == ["system.name", "system.purpose", "system.owner"]


def test_ctrl_c_exits_130_and_resume_asks_only_what_is_left(
    typed: Callable[..., Result], tmp_path: Path
) -> None:
    answers = tmp_path / "a.yaml"
    plan = interview_keys(PACK, load_answers(EXAMPLES / "spam-celebrity.yaml", PACK).given)
    first = "".join(k for _, k in plan[:10])
    assert typed(first + CTRL_C, "assess", answers).code == 130
    saved = load_answers(answers, PACK).given
    assert len(saved) == 10
    # What is left, as the interview counts it: the questions visible now that these ten are
    # given (branches on questions not yet answered are counted open, at their worst case).
    left = [q for q in resolve(PACK, saved).visible if q not in saved]
    rest = "".join(k for _, k in plan[10:])
    result = typed(rest + ENTER, "assess", answers)
    assert result.code == 0, result.err
    assert f"{len(left)} question(s) to answer" in result.out
    assert "== The system ==" not in result.out  # nothing of the answered sections is asked again


def test_invalid_number_is_explained_and_asked_again(
    typed: Callable[..., Result], tmp_path: Path
) -> None:
    answers = tmp_path / "a.yaml"
    data = _complete("spam-celebrity.yaml")
    del data["answers"]["inputs"]["space_size"]
    answers.write_text(yaml.safe_dump(data))
    keys = "ten million" + ENTER + BACKSPACE * len("ten million") + "10,000,000" + ENTER + ENTER
    result = typed(keys, "assess", answers)
    assert result.code == 0, result.err
    assert load_answers(answers, PACK).given["inputs.space_size"] == 10_000_000


def test_changing_an_answer_drops_answers_it_hides(
    typed: Callable[..., Result], tmp_path: Path
) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump(_complete("spam-by-country.yaml")))
    visible = [qid for qid, _ in interview_keys(PACK, load_answers(answers, PACK).given)]
    change = DOWN + ENTER  # review: "Change an answer"
    pick = DOWN * visible.index("access.rate_limited") + ENTER
    no = DOWN + ENTER
    result = typed(change + pick + no + ENTER, "assess", answers)
    assert result.code == 0, result.err
    text = PACK.questions["access.queries_per_day"].text
    assert (
        f"Dropped your answer to “{text}” (5,000): after your other answers, it no longer "
        "applies." in result.out
    )
    given = load_answers(answers, PACK).given
    assert given["access.rate_limited"] is False
    assert "access.queries_per_day" not in given


def test_review_walks_through_every_question_prefilled(
    typed: Callable[..., Result], tmp_path: Path
) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump(_complete("headscarf-detector.yaml")))
    before = load_answers(answers, PACK).given
    asked = len(interview_keys(PACK, before))
    # Every prompt is prefilled: Enter keeps each answer (texts and numbers too).
    result = typed(ENTER * asked + ENTER, "assess", answers, "--review")
    assert result.code == 0, result.err
    assert f"{asked} question(s) to answer" in result.out
    assert load_answers(answers, PACK).given == before


def test_unknown_is_stored_and_explained(typed: Callable[..., Result], tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    data = _complete("spam-celebrity.yaml")
    del data["answers"]["adversary"]["motivation"]
    answers.write_text(yaml.safe_dump(data))
    result = typed(DOWN * 3 + ENTER + ENTER, "assess", answers)  # low, medium, high, I don't know
    assert result.code == 0, result.err
    # What is assumed, in the words the report uses (not "its worst case").
    assert PACK.questions["adversary.motivation"].worst_case_means in result.out
    assert load_answers(answers, PACK).given["adversary.motivation"] == "unknown"


def test_invalid_answers_file_is_refused_and_untouched(
    typed: Callable[..., Result], tmp_path: Path
) -> None:
    answers = tmp_path / "a.yaml"
    text = "threatmodel: 1\nanswers:\n  outputs:\n    exposd: [label]\n"
    answers.write_text(text)
    result = typed(ENTER, "assess", answers)
    assert result.code == 2
    assert result.err == (
        f"threatmodel: {answers}:4: unknown question 'outputs.exposd' "
        "(did you mean 'outputs.exposed'?)\n"
    )
    assert answers.read_text() == text


def test_piped_stdin_is_refused_before_any_prompt(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    result = cli("assess", tmp_path / "a.yaml")  # pytest's stdin is not a terminal
    assert result.code == 2
    assert result.err == (
        "threatmodel: standard input is not a terminal; to assess without questions run "
        f"`threatmodel report {tmp_path / 'a.yaml'}`\n"
    )
    assert not (tmp_path / "a.yaml").exists()
