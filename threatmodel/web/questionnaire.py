"""The questionnaire as the browser walks it: sections, the questions each shows, submitting a
section. The answers, branches, hidden-answer hygiene and saving are the terminal interview's
own (`Interview`): the same lock, the same atomic save after every section, the same merge of
changes made to the file meanwhile. Two tabs on one file are reconciled answer by answer: each
form carries the answers it showed, and an answer changed elsewhere since is never overwritten
by a tab that did not change it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from threatmodel.engine.resolve import resolve
from threatmodel.interview.flow import Interview
from threatmodel.language.questions import Question
from threatmodel.language.values import UNKNOWN, show
from threatmodel.web.fields import UNANSWERED, Field, field_for, form_value, parse

MAX_BASE = 200_000
"""The largest `_base` field read: the answers a form showed, as JSON."""


@dataclass(frozen=True)
class Outcome:
    """What submitting a section led to."""

    errors: dict[str, str] = field(default_factory=dict)
    """Question id -> what is wrong with what was submitted."""
    notes: tuple[str, ...] = ()
    """Sentences for the person: answers dropped by a branch, kept from another tab."""
    new_questions: bool = False
    """A branch opened in this section: show it again."""


class Questionnaire:
    """One browser questionnaire over an open interview."""

    def __init__(self, interview: Interview) -> None:
        self.interview = interview
        self.pack = interview.pack

    def sections(self) -> list[tuple[str, str]]:
        """(id, title) of the sections with a question to ask, in order."""
        asked = {q.section for q in self.interview.visible()}
        return [(s.id, s.title) for s in self.pack.sections.values() if s.id in asked]

    def fields(self, section: str, given: dict[str, Any] | None = None,
               errors: dict[str, str] | None = None) -> list[Field]:  # fmt: skip
        """Every question of a section, visible or not (a branch can open while the person
        fills the page in; the page shows it then)."""
        given = self.interview.given if given is None else given
        visible = set(resolve(self.pack, given).visible)
        errors = errors or {}
        return [
            field_for(q, given.get(q.id), q.id in visible, errors.get(q.id, ""))
            for q in self.pack.questions.values()
            if q.section == section
        ]

    def base(self, section: str) -> str:
        """The answers a form of this section shows, for the three-way merge of its submit."""
        shown = {q.id: form_value_of(self.interview.given.get(q.id))
                 for q in self.pack.questions.values() if q.section == section}  # fmt: skip
        return json.dumps(shown, sort_keys=True)

    def resume(self) -> str | None:
        """The first section with a question not answered yet (None: all answered)."""
        for question in self.interview.visible():
            if question.id not in self.interview.given:
                return question.section
        return None

    def after(self, section: str) -> str | None:
        """The section after this one (None: it was the last)."""
        ids = [s for s, _ in self.sections()]
        if section not in ids:
            return ids[0] if ids else None
        index = ids.index(section)
        return ids[index + 1] if index + 1 < len(ids) else None

    def visible_with(self, submitted: dict[str, list[str]]) -> list[str]:
        """The questions asked if the submitted answers were given (what the page's script
        asks while the person fills it in); unreadable ones are left out."""
        return resolve(self.pack, self.trial(submitted)).visible

    def trial(self, submitted: dict[str, list[str]], keep_typed: bool = False) -> dict[str, Any]:
        """The answers as they would be with the submitted ones. An unreadable answer is left
        out, or with `keep_typed` kept as typed (to show a refused page as the person left
        it)."""
        trial = dict(self.interview.given)
        for qid, values in submitted.items():
            question = self.pack.questions.get(qid)
            if question is None:
                continue
            try:
                value = parse(question, values)
            except ValueError:
                typed = keep_typed and question.type in ("number", "text")
                value = " ".join(values) if typed else UNANSWERED
                if not typed and not keep_typed:
                    continue
            if value is UNANSWERED:
                trial.pop(qid, None)
            else:
                trial[qid] = value
        return trial

    def submit(
        self,
        section: str,
        submitted: dict[str, list[str]],
        base_json: str,
        shown_ids: list[str] | None = None,
    ) -> Outcome:
        """Apply a submitted section: read every shown question's answer (`shown_ids`: the
        questions the page showed, so that unticked boxes clear an answer; by default those
        submitted), refuse the section (saving nothing) if any is unreadable, else merge it with
        answers changed elsewhere, drop answers a branch now hides and save the file once. If
        the save is refused (a conflicting change to the file), nothing of the page is kept."""
        listed = set(submitted) if shown_ids is None else set(shown_ids)
        shown = [q for q in self._questions(section) if q.id in listed]
        answers, errors = {}, {}
        for question in shown:
            try:
                answers[question.id] = parse(question, submitted.get(question.id, []))
            except ValueError as exc:
                errors[question.id] = _sentence(str(exc))
        if errors:
            return Outcome(errors=errors)
        snapshot = dict(self.interview.given)
        try:
            return self._apply(section, shown, answers, _base(base_json))
        except Exception:
            self.interview.given = snapshot
            raise

    def _apply(
        self, section: str, shown: list[Question], answers: dict[str, Any], base: dict[str, Any]
    ) -> Outcome:
        notes = []
        before = {q.id for q in self.interview.visible()}
        for question in shown:
            ours = answers[question.id]
            theirs = self.interview.given.get(question.id)
            if form_value_of(None if ours is UNANSWERED else ours) == base.get(question.id):
                continue  # this tab did not change it: keep what is there now
            if question.id in base and base[question.id] != form_value_of(theirs):
                notes.append(
                    f"{question.text} was changed meanwhile (in another tab or in the file) to "
                    f"{show(theirs) if theirs is not None else 'no answer'}; yours replaced it."
                )
            if ours is UNANSWERED:
                self.interview.given.pop(question.id, None)
            else:
                self.interview.given[question.id] = ours
        notes += self.interview.drop_hidden()
        self.interview.save()
        opened = any(
            q.section == section and q.id not in before and q.id not in self.interview.given
            for q in self.interview.visible()
        )  # a branch opened by this page's answers, which the page (without script) did not show
        return Outcome(notes=tuple(notes), new_questions=opened)

    def _questions(self, section: str) -> list[Question]:
        return [q for q in self.pack.questions.values() if q.section == section]

    def review(self) -> list[tuple[str, str, list[tuple[Question, str]]]]:
        """(section id, title, [(question, answer in words)]) for every visible question."""
        visible = self.interview.visible()
        out = []
        for section in self.pack.sections.values():
            rows = [(q, _answer_words(q, self.interview.given.get(q.id))) for q in visible
                    if q.section == section.id]  # fmt: skip
            if rows:
                out.append((section.id, section.title, rows))
        return out

    def progress(self) -> tuple[int, int]:
        """(answered, asked) over the questions asked for the answers as they stand."""
        visible = self.interview.visible()
        return sum(q.id in self.interview.given for q in visible), len(visible)


def form_value_of(value: Any) -> Any:
    """An answer as the merge compares it: what its form would show."""
    if value is None:
        return None
    if isinstance(value, list):
        return sorted(form_value(v) for v in value)
    return form_value(value)


def _base(text: str) -> dict[str, Any]:
    if len(text) > MAX_BASE:
        return {}
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _answer_words(question: Question, value: Any) -> str:
    from threatmodel.language.types import label

    if value is None:
        return "Not answered yet: its worst case is assumed."
    if value == UNKNOWN:
        return "I don't know: its worst case is assumed."
    return label(question, value)


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."
