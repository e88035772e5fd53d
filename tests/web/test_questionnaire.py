"""The web questionnaire without a browser: form values read as the terminal reads answers,
a submitted section merged answer by answer with changes made elsewhere, the guard's checks,
and the command's message when the extra is missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from threatmodel.interview.flow import Interview
from threatmodel.language.values import UNKNOWN
from threatmodel.pack.answers import load_answers
from threatmodel.pack.load import load_packs
from threatmodel.web.fields import UNANSWERED, field_for, parse
from threatmodel.web.guard import Guard
from threatmodel.web.questionnaire import Questionnaire

PACK = load_packs()
Q = PACK.questions


@pytest.mark.parametrize(
    ("qid", "submitted", "expected"),
    [
        ("inputs.space_size", ["10M"], 10_000_000),
        ("inputs.space_size", ["1e7"], 10_000_000),
        ("inputs.space_size", ["", "unknown"], UNKNOWN),
        ("inputs.space_size", [""], UNANSWERED),
        ("access.rate_limited", ["true"], True),
        ("access.rate_limited", ["false"], False),
        ("access.exposure", ["internal"], "internal"),
        ("outputs.exposed", ["label", "score"], ["label", "score"]),
        ("system.name", ["  Fraud scorer "], "Fraud scorer"),
        ("system.name", [], UNANSWERED),
    ],
)
def test_form_values_read_as_answers(qid: str, submitted: list[str], expected: Any) -> None:
    assert parse(Q[qid], submitted) == expected


@pytest.mark.parametrize(
    ("qid", "submitted", "message"),
    [
        ("inputs.space_size", ["lots"], "expected a number"),
        ("access.rate_limited", ["maybe"], "'maybe' is not one of the choices"),
        ("access.exposure", ["public", "internal"], "choose one answer"),
        ("outputs.exposed", ["label", "unknown"], "not both"),
        ("outputs.reveals", ["nothing_sensitive", "income"], "cannot be combined"),
    ],
)
def test_unreadable_form_values_say_why(qid: str, submitted: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse(Q[qid], submitted)


def test_a_field_shows_the_current_answer() -> None:
    number = field_for(Q["inputs.space_size"], 10_000_000)
    assert (number.control, number.text) == ("text", "10,000,000")
    assert parse(Q["inputs.space_size"], [number.text]) == 10_000_000  # shown as it reads back
    flag = field_for(Q["access.rate_limited"], False)
    assert [(o.value, o.checked) for o in flag.options] == [("true", False), ("false", True)]
    assert field_for(Q["access.exposure"], UNKNOWN).unknown


def _open(tmp_path: Path) -> Interview:
    return Interview.open(PACK, tmp_path / "a.yaml", None, lambda _: None)


def test_a_stale_page_keeps_what_another_tab_changed(tmp_path: Path) -> None:
    with _open(tmp_path) as interview:
        web = Questionnaire(interview)
        stale = web.base("system")
        fresh = web.submit("system", {"system.name": ["Fraud scorer"], "system.owner": [""]}, stale)
        assert fresh.errors == {}
        # The other tab showed no name; it sends the owner, and its empty name is not a change.
        other = web.submit("system", {"system.name": [""], "system.owner": ["Payments"]}, stale)
        assert other.errors == {}
        given = load_answers(tmp_path / "a.yaml", PACK).given
        assert (given["system.name"], given["system.owner"]) == ("Fraud scorer", "Payments")


def test_an_edit_made_to_the_file_meanwhile_is_kept(tmp_path: Path) -> None:
    with _open(tmp_path) as interview:
        web = Questionnaire(interview)
        web.submit("system", {"system.name": ["Fraud scorer"]}, web.base("system"))
        path = tmp_path / "a.yaml"
        path.write_text(path.read_text().replace("Fraud scorer", "Card fraud scorer"))
        web.submit("access", {"access.exposure": ["internal"]}, web.base("access"))
        given = load_answers(path, PACK).given
        assert (given["system.name"], given["access.exposure"]) == ("Card fraud scorer", "internal")


def test_a_section_with_an_unreadable_answer_saves_nothing(tmp_path: Path) -> None:
    with _open(tmp_path) as interview:
        web = Questionnaire(interview)
        outcome = web.submit(
            "access",
            {"access.exposure": ["public"], "access.rate_limited": ["true"],
             "access.queries_per_day": ["a lot"]},
            web.base("access"),
        )  # fmt: skip
        assert set(outcome.errors) == {"access.queries_per_day"}
        assert not (tmp_path / "a.yaml").exists()


def test_a_branch_closed_by_a_page_drops_its_answer(tmp_path: Path) -> None:
    with _open(tmp_path) as interview:
        web = Questionnaire(interview)
        web.submit("access", {"access.rate_limited": ["true"], "access.queries_per_day": ["500"]},
                   web.base("access"))  # fmt: skip
        assert "access.queries_per_day" in interview.given
        outcome = web.submit("access", {"access.rate_limited": ["false"]}, web.base("access"))
        assert "access.queries_per_day" not in interview.given
        asked = interview.pack.questions["access.queries_per_day"].text
        assert any(f"Dropped your answer to “{asked}”" in n for n in outcome.notes)
        assert "access.queries_per_day" in web.visible_with({"access.rate_limited": ["true"]})


def test_the_guard_accepts_only_its_own_address() -> None:
    guard = Guard(port=8765)
    assert guard.host_ok("127.0.0.1:8765")
    assert guard.host_ok("localhost:8765")
    assert not guard.host_ok("attacker.example:8765")
    assert not guard.host_ok("127.0.0.1:8766")
    assert not guard.host_ok(None)
    assert guard.origin_ok("http://127.0.0.1:8765")
    assert guard.origin_ok(None)
    assert not guard.origin_ok("null")
    assert not guard.origin_ok("http://127.0.0.1:9999")
    assert guard.token_ok(guard.token)
    assert not guard.token_ok("x")
    assert not guard.token_ok(None)
    assert Guard(port=1).token != Guard(port=1).token


def test_serve_without_the_web_extra_says_what_to_install(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['starlette'] = None\n"
        "from threatmodel.cli import main\n"
        f"main(['serve', {str(tmp_path / 'a.yaml')!r}, '--no-browser'])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == "threatmodel: serve needs the web extra: pip install 'threatmodel[web]'\n"


def test_unticking_every_box_clears_a_multi_answer(tmp_path: Path) -> None:
    with _open(tmp_path) as interview:
        web = Questionnaire(interview)
        web.submit("outputs", {"outputs.exposed": ["label", "score"]}, web.base("outputs"))
        assert interview.given["outputs.exposed"] == ["label", "score"]
        # The browser sends nothing for unticked boxes; the page says which questions it showed.
        web.submit("outputs", {}, web.base("outputs"), shown_ids=["outputs.exposed"])
        assert "outputs.exposed" not in interview.given


def test_a_refused_save_keeps_nothing_of_the_page(tmp_path: Path) -> None:
    from threatmodel.interview.session import Conflict

    with _open(tmp_path) as interview:
        web = Questionnaire(interview)
        web.submit("system", {"system.name": ["Scorer"]}, web.base("system"))
        stale = web.base("system")
        path = tmp_path / "a.yaml"
        path.write_text(path.read_text().replace("Scorer", "Edited in the file"))
        with pytest.raises(Conflict):
            web.submit("system", {"system.name": ["Mine"]}, stale)
        assert interview.given.get("system.name") != "Mine"  # not shown as saved
        web.submit("access", {"access.exposure": ["internal"]}, web.base("access"))
        given = load_answers(path, PACK).given
        assert (given["system.name"], given["access.exposure"]) == (
            "Edited in the file", "internal"
        )  # fmt: skip


def test_downloads_name_any_file_and_servers_keep_their_own_session() -> None:
    from threatmodel.web.app import _attach

    header = _attach('αξιολόγηση "x".yaml')
    header.encode("latin-1")  # a header the server can send
    assert header.startswith('attachment; filename="')
    assert "filename*=UTF-8''%CE%B1" in header
    assert Guard(port=8765).cookie != Guard(port=8766).cookie
