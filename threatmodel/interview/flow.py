"""The guided interview behind `threatmodel assess`: ask in order, honour branches, save after
every answer. The prompts come from a Prompter (threatmodel.prompting); nothing here imports
questionary, so the flow can be read and tested on its own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from threatmodel.engine.resolve import resolve
from threatmodel.errors import Interrupted
from threatmodel.interview.session import Lock, OnDisk, check_writable, merge, stale_temporaries
from threatmodel.interview.words import BACK, DONT_KNOW, assumed, label_of, short, wrap
from threatmodel.language.conditions import questions_read
from threatmodel.language.questions import Question
from threatmodel.language.values import UNKNOWN, show
from threatmodel.locales import _
from threatmodel.pack.answers import KEPT, dump_answers, leading_comments, load_answers
from threatmodel.pack.answersedit import edit_answers
from threatmodel.pack.answersfile import Answers
from threatmodel.pack.layered import Pack

MINUTES_PER_QUESTION = 0.4
WRITE, CHANGE, AGAIN = "write", "change", "again"


class Suggested(Protocol):
    """A suggested answer (`threatmodel.suggest`), as the interview offers it."""

    @property
    def value(self) -> Any: ...

    @property
    def source(self) -> str: ...

    @property
    def why(self) -> str: ...

    @property
    def offered(self) -> bool: ...


class Asker(Protocol):
    """What the interview needs from a prompter."""

    def ask(self, question: Question, default: Any, label: str) -> Any: ...

    def menu(
        self, message: str, options: list[tuple[str, str]], default: str | None = None
    ) -> str: ...


@dataclass
class Interview:
    """One interview: the pack, the answers file, and the answers as they stand."""

    pack: Pack
    path: Path
    asker: Asker | None  # None: answers come from elsewhere (the web form)
    echo: Callable[[str], None]
    given: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    header: str = ""
    lock: Lock | None = None
    disk: OnDisk | None = None
    answered_by: str | None = None
    """The name recorded as having answered: given with `assess --by`, else the one recorded."""
    suggestions: dict[str, Suggested] = field(default_factory=dict)
    """Question id -> an answer suggested by the model (`assess --from`): offered, never applied."""
    suggested: dict[str, str] = field(default_factory=dict)
    """Question id -> the source of an answer confirmed as suggested (saved in provenance)."""

    @classmethod
    def open(
        cls,
        pack: Pack,
        path: Path,
        asker: Asker | None,
        echo: Callable[[str], None],
        answered_by: str | None = None,
    ) -> Interview:
        """Lock the answers file and start from it if it exists (it must be valid: it is never
        overwritten otherwise), or from nothing. Use it as a context manager, which releases
        the lock."""
        check_writable(path)
        interview = cls(pack, path, asker, echo, lock=Lock.take(path), answered_by=answered_by)
        try:
            for stale in stale_temporaries(path):
                stale.unlink(missing_ok=True)
                echo(f"Removed {stale.name}, left beside {path.name} by an interrupted save.")
            interview.disk = OnDisk(path, None)
            if path.exists():
                interview._take(load_answers(path, pack))
        except BaseException:
            interview.close()
            raise
        return interview

    def _take(self, loaded: Answers) -> None:
        """Adopt the file as loaded: its answers, decisions and leading comments."""
        assert self.disk is not None
        recorded = loaded.file.provenance.answered_by if loaded.file.provenance else None
        self.answered_by = self.answered_by or recorded
        self.header = leading_comments(loaded.text)
        self.given = dict(loaded.given)
        recorded_suggestions = loaded.file.provenance.suggested if loaded.file.provenance else {}
        self.suggested = {q: s for q, s in recorded_suggestions.items() if q in self.given}
        # Decisions are kept exactly as written; the interview only rewrites answers.
        self.extra = {k: v for k, v in loaded.raw.items() if k in KEPT}
        self.disk.text, self.disk.given = loaded.text, dict(loaded.given)

    def close(self) -> None:
        """Release the answers file for other sessions."""
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def __enter__(self) -> Interview:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, review_all: bool) -> None:
        """Intro, questions, review; Ctrl-C or end of input anywhere raises Interrupted."""
        try:
            self._intro(review_all)
            self._walk(review_all)
            while (choice := self._review()) != WRITE:
                review_all = choice == AGAIN
                self._walk(review_all=review_all)
        except (KeyboardInterrupt, EOFError):
            raise Interrupted(self._stopped(review_all)) from None

    def _stopped(self, review_all: bool) -> str:
        """What Ctrl-C leaves behind, truthfully: what is saved, and the command that carries on
        where the person was."""
        command = f"`threatmodel assess {self.path}{' --review' if review_all else ''}`"
        if not self.path.exists():
            return _("interrupted before any answer; nothing was saved. Run %(command)s to "
                     "start again") % {"command": command}  # fmt: skip
        return _("interrupted; %(count)s answer(s) are saved in %(path)s; run %(command)s to "
                 "resume") % {"count": len(self.given), "path": self.path,
                                "command": command}  # fmt: skip

    def _asker(self) -> Asker:
        assert self.asker is not None, "an interview run at the terminal has a prompter"
        return self.asker

    def visible(self) -> list[Question]:
        """The questions asked for the answers as they stand (branches recomputed)."""
        return [self.pack.questions[q] for q in resolve(self.pack, self.given).visible]

    def _pending(self, review_all: bool) -> list[Question]:
        return [q for q in self.visible() if review_all or q.id not in self.given]

    def _intro(self, review_all: bool) -> None:
        todo = len(self._pending(review_all))
        if todo == 0:
            self.echo(
                _("threatmodel: every question is already answered in %(path)s. Review the "
                  "answers below, change one, go through them all again, or write the report.")
                % {"path": self.path}
            )  # fmt: skip
            return
        minutes = max(1, round(todo * MINUTES_PER_QUESTION))
        self.echo(
            _(
                "threatmodel: privacy threats of a machine-learning classifier\n\n"
                "%(todo)s question(s) to answer (about %(minutes)s minute(s)), on the system, who "
                "can\nquery it, its inputs and outputs, its training data, the people affected and "
                "likely\nadversaries. Each question explains why it matters. Choose \"I don't "
                'know" whenever\nyou are unsure: the worst case is then assumed, and the report '
                "says so.\n\nEvery answer is saved to %(path)s as soon as you give it. Stop at any "
                "time with\nCtrl-C and run `threatmodel assess %(path)s` to carry on where you "
                "left off.\n"
            )
            % {"todo": todo, "minutes": minutes, "path": self.path}
        )

    def _walk(self, review_all: bool) -> None:
        """Ask every visible question that needs asking, in order; visibility is recomputed after
        each answer, since an answer can open or close a branch further on. Esc goes back to
        the previous question, answered or not; after it, the questions up to where the person
        was are asked again, prefilled, in order."""
        done: set[str] = set()
        section = None
        revisit: str | None = None  # a question asked again after going back
        furthest: str | None = None  # the question the person went back from
        while True:
            self._drop_hidden()
            order = [q.id for q in self.visible()]
            if revisit not in order:
                revisit = None
            if revisit is None:
                pending = [q for q in self._pending(review_all) if q.id not in done]
                if not pending:
                    return
                question = pending[0]
            else:
                question = self.pack.questions[revisit]
            if question.section != section:
                section = question.section
                self._section_header(section)
            if not self._ask(question):  # back
                at = order.index(question.id)
                if at == 0:
                    self.echo("  " + _("This is the first question; there is none before it."))
                    revisit = question.id
                    continue
                if furthest is None or self._after(question.id, furthest):
                    furthest = question.id
                revisit = order[at - 1]
                continue
            done.add(question.id)
            revisit = self._next_revisit(question.id, furthest) if revisit else None
            furthest = furthest if revisit else None

    def _after(self, a: str, b: str) -> bool:
        ids = list(self.pack.questions)
        return ids.index(a) > ids.index(b)

    def _next_revisit(self, current: str, furthest: str | None) -> str | None:
        """After a question asked again, the next one to ask again: the next visible question,
        until the one the person went back from (from there on, the walk goes on as before)."""
        order = [q.id for q in self.visible()]
        nxt = order[order.index(current) + 1] if order.index(current) + 1 < len(order) else None
        if nxt is None or furthest is None or nxt == furthest or self._after(nxt, furthest):
            return None
        return nxt

    def _ask(self, question: Question) -> bool:
        """Ask one question and save the answer; False when the person went back instead."""
        visible = self.visible()
        position = [q.id for q in visible].index(question.id) + 1
        counter = (
            _("%(position)s of about %(count)s")
            if self._may_grow()
            else _("%(position)s of %(count)s")
        ) % {"position": position, "count": len(visible)}
        label = f"{self.pack.sections[question.section].title} · {counter}"
        self.echo("\n" + wrap(question.help, indent="  "))
        default = self.given.get(question.id)
        suggestion = self.suggestions.get(question.id)
        if suggestion is not None:
            self.echo(wrap(self._suggestion_note(question, suggestion, default), indent="  "))
            if default is None and suggestion.offered:
                default = suggestion.value
        value = self._asker().ask(question, default, label)
        if value is BACK:
            return False
        self.given[question.id] = value
        if suggestion is not None and suggestion.offered and value == suggestion.value:
            self.suggested[question.id] = suggestion.source
        else:
            self.suggested.pop(question.id, None)
        self.save()
        if value == UNKNOWN:
            self.echo(wrap(assumed(question), indent="  "))
        return True

    def _may_grow(self) -> bool:
        """Can an answer still to come open a question not counted yet? (The count is then
        "about": it grows when a branch opens.)"""
        shown = {q.id for q in self.visible()}
        for question in self.pack.questions.values():
            if question.id in shown or question.when is None:
                continue
            deciding = questions_read(question.when, self.pack.conditions)
            if any(q not in self.given for q in deciding):
                return True
        return False

    def conflicts(self) -> list[str]:
        """A sentence for each suggestion that contradicts an answer already given: shown, never
        applied."""
        out = []
        for qid, suggestion in self.suggestions.items():
            given = self.given.get(qid)
            if suggestion.offered and given is not None and given != suggestion.value:
                question = self.pack.questions[qid]
                out.append(
                    _("Conflict: %(source)s suggests %(value)s for %(question)s; your answer "
                      "%(given)s is kept.")
                    % {"source": suggestion.source,
                       "value": label_of(question, suggestion.value),
                       "question": f"“{question.text}”", "given": label_of(question, given)}
                )  # fmt: skip
        return out

    def _suggestion_note(self, question: Question, suggestion: Suggested, given: Any) -> str:
        words = label_of(question, suggestion.value)
        if not suggestion.offered:
            return _("Hint from %(source)s: %(why)s.") % {"source": suggestion.source,
                                                           "why": suggestion.why}  # fmt: skip
        if given is not None and given != suggestion.value:
            return _("%(source)s suggests %(value)s (%(why)s); your answer is kept unless you "
                     "change it.") % {"source": suggestion.source, "value": words,
                                       "why": suggestion.why}  # fmt: skip
        return _("Suggested by %(source)s: %(value)s (%(why)s). Confirm it or change it.") % {
            "source": suggestion.source, "value": words, "why": suggestion.why}  # fmt: skip

    def _section_header(self, section: str) -> None:
        info = self.pack.sections[section]
        self.echo(f"\n== {info.title} ==\n" + wrap(info.intro))

    def _drop_hidden(self) -> None:
        for note in self.drop_hidden(save_each=True):
            self.echo("  " + note)

    def drop_hidden(self, save_each: bool = False) -> list[str]:
        """Forget the answers to questions a branch now hides (they would be ignored, and would
        mislead a reader of the file); one sentence for each."""
        visible = {q.id for q in self.visible()}
        notes = []
        for qid in [q for q in self.given if q not in visible]:
            question = self.pack.questions[qid]
            value = self.given.pop(qid)
            if save_each:
                self.save()
            notes.append(
                _("Dropped your answer to “%(question)s” (%(value)s): after your other answers, "
                  "it no longer applies.")
                % {"question": question.text, "value": label_of(question, value)}
            )  # fmt: skip
        return notes

    def _review(self) -> str:
        self.echo("\n== " + _("Review your answers") + " ==")
        visible = self.visible()
        for section in self.pack.sections.values():
            rows = [q for q in visible if q.section == section.id]
            if rows:
                self.echo(f"\n{section.title}")
            for q in rows:
                self.echo(f"  {short(q.text, 56):<57} {self._shown(q)}")
        choice = self._asker().menu(
            _("All questions answered. What next?"),
            [(WRITE, _("Write the report")), (CHANGE, _("Change an answer")),
             (AGAIN, _("Go through every answer again"))],
            default=WRITE,
        )  # fmt: skip
        if choice == CHANGE:
            qid = self._asker().menu(
                _("Which answer?"),
                [(q.id, f"{short(q.text, 70)}: {self._shown(q)}") for q in visible],
            )
            self._ask(self.pack.questions[qid])
        return WRITE if choice == WRITE else CHANGE if choice == CHANGE else AGAIN

    def _shown(self, question: Question) -> str:
        """An answer as the review shows it: in labels."""
        if question.id not in self.given:
            return _("not answered")
        value = self.given[question.id]
        return _(DONT_KNOW) if value == UNKNOWN else label_of(question, value)

    def save(self) -> None:
        """Write the answers file atomically, with provenance, merging in what changed on disk
        since it was last read or written (a Conflict stops the save instead)."""
        assert self.disk is not None, "Interview.open sets it"
        if self.disk.changed() is not None:
            self._merge_from_disk()
        provenance: dict[str, Any] = {
            "answered_by": self.answered_by,
            "answered_at": dt.datetime.now(tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "packs": [{"name": p.name, "version": p.version} for p in self.pack.packs],
        }
        kept = {q: s for q, s in self.suggested.items() if q in self.given}
        if kept:
            provenance["suggested"] = dict(sorted(kept.items()))
        text = None
        if self.disk.text:  # edit the file as written: comments and `10M` stay, diffs stay small
            text = edit_answers(self.disk.text, self.pack, self.disk.given, self.given, provenance)
        if text is None:
            text = dump_answers(self.pack, self.given, self.extra, provenance, self.header)
        self.disk.write(text, self.given)

    def _merge_from_disk(self) -> None:
        assert self.disk is not None
        base, ours = self.disk.given, self.given
        theirs = load_answers(self.path, self.pack)
        merged, taken = merge(base, ours, theirs.given, self.path, show)
        confirmed = dict(self.suggested)
        self._take(theirs)
        self.given = merged
        # Suggestions confirmed here and not yet saved stay recorded, for answers kept as ours.
        self.suggested |= {q: s for q, s in confirmed.items() if merged.get(q) == ours.get(q)}
        if taken:
            self.echo(
                "  "
                + _("%(path)s was changed meanwhile; kept its new answer(s) to %(questions)s.")
                % {"path": self.path, "questions": ", ".join(taken)}
            )
