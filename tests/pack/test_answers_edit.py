"""Answers saved as they were typed: the interview edits only the changed answers' lines, so
comments, spacing and `10M` survive and a file in git shows one-line diffs; anything the editor
cannot do safely falls back to a full rewrite, never to a wrong file."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from tests.conftest import Result
from tests.interview.test_assess import _complete
from tests.interview_keys import DOWN, ENTER, interview_keys
from threatmodel.language.types import type_of
from threatmodel.pack.answers import answers_from_document, load_answers
from threatmodel.pack.answersedit import edit_answers
from threatmodel.pack.load import load_packs
from threatmodel.pack.yamlsafe import parse_yaml

PACK = load_packs()
PROVENANCE = {"answered_by": "Ana", "answered_at": "2026-12-02T10:00:00Z", "packs": []}
TEXT = """\
# Fraud scorer: reviewed with the DPO on 2026-11-30.
threatmodel: 1
answers:
  system:
    name: Card fraud scorer   # the product name
    owner: Payments risk
  access:
    exposure: internal
    rate_limited: false
  inputs:
    # What one transaction carries.
    kinds:          # reviewed
      - identifier
      - behavioural # card history
    space_size: 10M
  outputs:
    exposed: [score]   # the score only
measures:
  - threat: membership-inference   # planned in Q1
    measure: differential-privacy
    status: planned
provenance:
  answered_by: Bo
  answered_at: 2026-11-30T09:00:00Z
"""


def _given(text: str) -> dict[str, Any]:
    return answers_from_document(parse_yaml(text, Path("a.yaml")), PACK).given


def _changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def _body(text: str) -> str:
    """The file up to the provenance, which every save rewrites."""
    return text.split("provenance:", 1)[0]


def test_a_changed_answer_is_one_changed_line() -> None:
    before = _given(TEXT)
    after = {**before, "access.exposure": "public"}
    edited = edit_answers(TEXT, PACK, before, after, PROVENANCE)
    assert edited is not None
    assert _changed_lines(_body(TEXT), _body(edited)) == [
        "-    exposure: internal", "+    exposure: public"
    ]  # fmt: skip
    assert "space_size: 10M" in edited  # as typed, not 10000000
    assert "# Fraud scorer: reviewed with the DPO on 2026-11-30." in edited
    assert "    name: Card fraud scorer   # the product name" in edited
    assert "  - threat: membership-inference   # planned in Q1" in edited
    assert edited.endswith(
        "provenance:\n  answered_by: Ana\n  answered_at: '2026-12-02T10:00:00Z'\n  packs: []\n"
    )
    assert _given(edited) == after


def test_a_block_list_becomes_one_line_and_keeps_its_key_comment() -> None:
    before = _given(TEXT)
    after = {**before, "inputs.kinds": ["identifier", "location"]}
    edited = edit_answers(TEXT, PACK, before, after, PROVENANCE)
    assert edited is not None
    assert "    kinds:          # reviewed\n      [identifier, location] # card history\n" in edited
    assert _given(edited) == after


def test_new_answers_go_where_the_questionnaire_puts_them() -> None:
    before = _given(TEXT)
    after = {**before, "access.cheap_identities": True, "system.purpose": "Stop card fraud",
             "population.size": 2_000_000}  # fmt: skip
    edited = edit_answers(TEXT, PACK, before, after, PROVENANCE)
    assert edited is not None
    assert _given(edited) == after
    lines = edited.splitlines()
    assert lines[lines.index("    name: Card fraud scorer   # the product name") + 1] == (
        "    purpose: Stop card fraud"
    )
    assert lines.index("    cheap_identities: true") > lines.index("    rate_limited: false")
    population = lines.index("  population:")
    assert lines[population + 1] == "    size: 2000000"
    assert population > lines.index("    exposed: [score]   # the score only")
    assert population < lines.index("measures:")


def test_a_dropped_answer_takes_its_lines_with_it() -> None:
    before = _given(TEXT)
    after = {k: v for k, v in before.items() if k != "inputs.kinds"}
    edited = edit_answers(TEXT, PACK, before, after, PROVENANCE)
    assert edited is not None
    assert _changed_lines(_body(TEXT), _body(edited)) == [
        "-    kinds:          # reviewed",
        "-      - identifier",
        "-      - behavioural # card history",
    ]
    assert _given(edited) == after


def test_flow_style_answers_are_left_to_a_full_rewrite() -> None:
    text = "threatmodel: 1\nanswers: {access: {exposure: public}}\n"
    before = _given(text)
    assert (
        edit_answers(text, PACK, before, {**before, "access.exposure": "internal"}, PROVENANCE)
        is None
    )


def _value(question: Any) -> st.SearchStrategy[Any]:
    kind = question.type
    if kind == "bool":
        return st.booleans()
    if kind == "number":
        low = question.minimum if question.minimum is not None else 0
        high = question.maximum if question.maximum is not None else 10**9
        if high <= 1:
            return st.sampled_from([low, (low + high) / 2, high])
        return st.integers(int(low), int(high))
    if kind == "choice":
        return st.sampled_from([c.value for c in question.choices])
    if kind == "multi":
        ids = [c.value for c in question.choices if not c.exclusive]
        return st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True)
    return st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
                   max_size=20).filter(lambda s: s.strip() == s)  # fmt: skip


@st.composite
def _changes(draw: st.DrawFn) -> dict[str, Any]:
    questions = draw(st.lists(st.sampled_from(list(PACK.questions)), max_size=6, unique=True))
    out: dict[str, Any] = {}
    for qid in questions:
        out[qid] = draw(st.none() | _value(PACK.questions[qid]))  # None: the answer is dropped
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_changes())
def test_any_edit_reads_back_as_meant_and_leaves_other_lines_alone(
    changes: dict[str, Any],
) -> None:
    before = _given(TEXT)
    after = dict(before)
    for qid, value in changes.items():
        if value is None:
            after.pop(qid, None)
        else:
            after[qid] = type_of(PACK.questions[qid]).coerce(PACK.questions[qid], value)
    edited = edit_answers(TEXT, PACK, before, after, PROVENANCE)
    if edited is None:
        return  # a full rewrite, tested elsewhere; but never a wrong file
    assert _given(edited) == after
    untouched = [q for q in before if q not in changes]
    for qid in untouched:
        key = qid.split(".", 1)[1]
        original = next(line for line in TEXT.splitlines() if line.strip().startswith(f"{key}:"))
        assert original in edited.splitlines()


def test_the_interview_keeps_comments_and_typed_numbers(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    answers = tmp_path / "a.yaml"
    text = "# Reviewed with the DPO.\n" + yaml.safe_dump(_complete("spam-celebrity.yaml"),
                                                        sort_keys=False)  # fmt: skip
    text = re.sub(r"space_size: .*", "space_size: 10M   # one area code", text)
    text = text.replace("  access:\n", "  access:\n    # Reviewed 2026-11-30.\n")
    answers.write_text(text)
    visible = [qid for qid, _ in interview_keys(PACK, load_answers(answers, PACK).given)]
    change = DOWN + ENTER + DOWN * visible.index("access.cheap_identities") + ENTER + DOWN + ENTER
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text(change + ENTER)
        pipe.close()
        result = cli("assess", answers)
    assert result.code == 0, result.err
    saved = answers.read_text()
    assert "    space_size: 10M   # one area code\n" in saved
    assert "    # Reviewed 2026-11-30.\n" in saved
    assert "    cheap_identities: false\n" in saved
    assert saved.startswith("# Reviewed with the DPO.\n")
    assert _changed_lines(_body(text), _body(saved)) == [
        "-    cheap_identities: true", "+    cheap_identities: false"
    ]  # fmt: skip


def test_dropping_a_block_scalar_keeps_the_line_after_it() -> None:
    # A block scalar's end mark lies on the next line: deleting the answer must not take the
    # acceptance that follows it (found in review: a DPO's acceptance silently lost).
    text = (
        "threatmodel: 1\nanswers:\n  system:\n    name: Scorer\n    purpose: |\n"
        "      Scores card payments.\nacceptances: [{threat: location-disclosure, "
        "justification: ok, approved_by: DPO, expires: 2030-01-01}]\n"
    )
    before = {"system.name": "Scorer", "system.purpose": "Scores card payments.\n"}
    edited = edit_answers(text, PACK, before, {"system.name": "Scorer"}, PROVENANCE)
    assert edited is not None
    assert "acceptances: [{threat: location-disclosure," in edited
    changed = edit_answers(text, PACK, before, {**before, "system.purpose": "Other"}, PROVENANCE)
    assert changed is not None
    assert "    purpose: Other\nacceptances:" in changed
