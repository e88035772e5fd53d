"""What a newcomer meets first, in a real pseudo-terminal: a way back at every prompt, labels
instead of ids, an honest counter, one way to say "I don't know", and messages that are true."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pexpect
import pytest
import yaml

from tests.conftest import EXAMPLES
from tests.interview.test_assess import _complete
from tests.interview.test_terminal import PACK, _spawn
from tests.interview_keys import DOWN, ENTER, SPACE
from threatmodel.engine.resolve import resolve
from threatmodel.interview.prompts import _checkbox_problem, _parse_typed
from threatmodel.pack.answers import load_answers

ESC, UP = "\x1b", "\x1b[A"
SYSTEM = ["system.name", "system.purpose", "system.owner", "system.domain"]


def _text(qid: str) -> str:
    return PACK.questions[qid].text


def _finish(child: pexpect.spawn) -> None:
    child.expect(pexpect.EOF)
    child.close()


def test_esc_goes_back_and_the_walk_comes_forward_again(tmp_path: Path) -> None:
    child = _spawn("assess", "a.yaml", cwd=tmp_path)
    child.expect_exact(_text("system.name"))
    child.expect_exact("Esc back")  # the footer names the key
    child.send(ESC)
    child.expect_exact("This is the first question; there is none before it.")
    child.expect_exact(_text("system.name"))
    child.send("Router" + ENTER)
    child.expect_exact(_text("system.purpose"))
    child.send("Routes tickets" + ENTER)
    child.expect_exact(_text("system.owner"))
    child.send(ESC)  # back to the purpose, prefilled
    child.expect_exact(_text("system.purpose"))
    child.send(ESC)  # and back again, to the name
    child.expect_exact(_text("system.name"))
    child.send("\x7f" * len("Router") + "Ticket router" + ENTER)
    child.expect_exact(_text("system.purpose"))  # forward again, through what was answered
    child.send(ENTER)  # kept as it was
    child.expect_exact(_text("system.owner"))
    child.send("Support" + ENTER)
    child.expect_exact(_text("system.domain"))
    child.sendintr()
    _finish(child)
    given = load_answers(tmp_path / "a.yaml", PACK).given
    assert given == {
        "system.name": "Ticket router",
        "system.purpose": "Routes tickets",
        "system.owner": "Support",
    }


def test_people_see_labels_not_ids(tmp_path: Path) -> None:
    child = _spawn("assess", "a.yaml", cwd=tmp_path)
    for qid, keys in zip(SYSTEM[:3], ["Router\r", "Routes tickets\r", "Support\r"], strict=True):
        child.expect_exact(_text(qid))
        child.send(keys)
    child.expect_exact(_text("system.domain"))
    child.expect_exact("Space tick")
    before = child.before
    child.send(SPACE + DOWN * 4 + SPACE + ENTER)  # "None of these areas" and "Employment"
    # Refused (the message, shown in a toolbar a pseudo-terminal without cursor reports does
    # not draw, is checked below): the prompt stays until the ticks are an answer. Nothing is
    # drawn to wait for, so give prompt_toolkit a moment to take the refused Enter.
    time.sleep(0.5)
    child.send(UP * 4 + SPACE + DOWN * 5 + SPACE + ENTER)  # untick "None", tick another
    child.expect_exact(_text("access.exposure"))
    shown = child.before
    assert (
        "Employment: recruitment, promotion, task allocation, monitoring; Access to essential"
        in shown
    )
    assert "selections" not in shown  # not "done (2 selections)"
    assert "none_of_these" not in before + shown  # no "Description: none_of_these" footer
    child.sendintr()
    _finish(child)
    domain = load_answers(tmp_path / "a.yaml", PACK).given["system.domain"]
    assert domain == ["employment", "essential_services"]  # ids stay in the file


def test_the_counter_says_about_while_branches_may_open(tmp_path: Path) -> None:
    child = _spawn("assess", "a.yaml", cwd=tmp_path)
    child.expect_exact(_text("system.name"))
    child.expect(r"\[The system · 1 of about (\d+)\]")
    total = int(child.match.group(1))
    assert total < len(PACK.questions)  # what is known, not every question of the pack
    child.sendintr()
    _finish(child)
    # A finished file that asks again (--review) has nothing left to open: no "about".
    answers = tmp_path / "done.yaml"
    shutil.copy(EXAMPLES / "spam-celebrity.yaml", answers)
    visible = len(resolve(PACK, load_answers(answers, PACK).given).visible)
    child = _spawn("assess", "done.yaml", "--review", cwd=tmp_path)
    child.expect(r"\[The system · 1 of (about )?(\d+)\]")
    assert child.match.group(1) is None
    assert int(child.match.group(2)) == visible
    child.sendintr()
    _finish(child)


def test_nothing_typed_is_i_dont_know_and_says_what_is_assumed(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    data = _complete("headscarf-detector.yaml")
    del data["answers"]["access"]["queries_per_day"]
    del data["answers"]["access"]["exposure"]
    answers.write_text(yaml.safe_dump(data))
    child = _spawn("assess", "a.yaml", cwd=tmp_path)
    child.expect_exact(_text("access.exposure"))
    child.send(DOWN * 6 + ENTER)  # the last choice: I don't know
    child.expect_exact(PACK.questions["access.exposure"].worst_case_means[:40])  # (wrapped)
    child.expect_exact(_text("access.queries_per_day"))
    child.expect_exact("Enter with nothing typed: I don't know")
    child.send("?" + ENTER)  # a newcomer asking for help is told what to type, not "unknown"
    child.expect_exact("type a number such as 10000000, 1e7 or 10M, or nothing if you don't know")
    child.send("\x7f" + ENTER)
    child.expect_exact(PACK.questions["access.queries_per_day"].worst_case_means[:40])
    child.expect_exact("All questions answered. What next?")
    child.sendintr()
    _finish(child)
    given = load_answers(answers, PACK).given
    assert given["access.exposure"] == "unknown"
    assert given["access.queries_per_day"] == "unknown"


def test_ctrl_c_before_any_answer_says_nothing_was_saved(tmp_path: Path) -> None:
    child = _spawn("assess", "a.yaml", cwd=tmp_path)
    child.expect_exact(_text("system.name"))
    child.sendintr()
    child.expect_exact(
        "interrupted before any answer; nothing was saved. Run `threatmodel assess a.yaml` to "
        "start again"
    )
    _finish(child)
    assert child.exitstatus == 130
    assert not (tmp_path / "a.yaml").exists()


def test_a_finished_file_offers_review_and_the_report(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(_complete("spam-celebrity.yaml")))
    child = _spawn("assess", "a.yaml", cwd=tmp_path)
    child.expect_exact("every question is already answered in a.yaml")
    child.expect_exact("Review your answers")
    child.expect_exact("What next?")
    review = child.before
    assert "0 question(s)" not in review
    # The review table reads as the questions and their answers, not ids and `true`.
    assert re.search(r"Is there a limit on how many queries one account\S* [^\r\n]*\s+no\r", review)
    assert "access.rate_limited" not in review
    assert not re.search(r"\b(true|false)\b", review)
    child.send(DOWN * 2 + ENTER)  # Go through every answer again
    child.expect_exact(_text("system.name"))
    child.sendintr()
    child.expect_exact("run `threatmodel assess a.yaml --review` to resume")
    _finish(child)


def test_ctrl_c_during_review_names_the_command_that_resumes_it(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(_complete("spam-celebrity.yaml")))
    child = _spawn("assess", "a.yaml", "--review", cwd=tmp_path)
    child.expect_exact(_text("system.name"))
    child.sendintr()
    child.expect_exact("answer(s) are saved in a.yaml; run `threatmodel assess a.yaml --review`")
    _finish(child)
    assert child.exitstatus == 130


def test_a_refused_combination_is_explained_in_labels() -> None:
    domain = PACK.questions["system.domain"]
    assert _checkbox_problem(domain, ["none_of_these", "employment"]) == (
        "“None of these areas” cannot be combined with other answers"
    )
    assert _checkbox_problem(domain, ["unknown", "employment"]) == (
        "choose either I don't know or some answers, not both"
    )
    assert _checkbox_problem(domain, []) == "tick at least one answer with Space, or I don't know"
    assert _checkbox_problem(domain, ["employment"]) is None


def test_alt_keys_still_edit_and_do_not_go_back(tmp_path: Path) -> None:
    """Alt+Backspace arrives as Esc then Backspace: it deletes a word, and is not Esc."""
    child = _spawn("assess", "a.yaml", cwd=tmp_path)
    child.expect_exact(_text("system.name"))
    child.send("Router" + ENTER)
    child.expect_exact(_text("system.purpose"))
    child.send("Routes tickets" + ESC + "\x7f" + ENTER)  # Alt+Backspace: "tickets" goes
    child.expect_exact(_text("system.owner"))
    child.sendintr()
    _finish(child)
    given = load_answers(tmp_path / "a.yaml", PACK).given
    assert given == {"system.name": "Router", "system.purpose": "Routes"}


def test_a_question_mark_asks_for_help_on_every_typed_question() -> None:
    for qid in ("system.name", "access.queries_per_day"):
        with pytest.raises(ValueError, match="or nothing if you don't know"):
            _parse_typed(PACK.questions[qid], "?")
    assert _parse_typed(PACK.questions["system.name"], "") == "unknown"
