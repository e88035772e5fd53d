"""The questionnaire as documents: JSON for tools, Markdown for workshops."""

from __future__ import annotations

import json

from threatmodel.language.conditions import All, Condition, Leaf, Named, Not, Ref
from threatmodel.language.types import show
from threatmodel.pack.load import Pack


def questions_json(pack: Pack) -> str:
    """Sections and questions, in the order asked, as JSON."""
    data = {
        "format": "threatmodel.questions/1",
        "packs": [{"name": p.name, "version": p.version} for p in pack.packs],
        "sections": [s.model_dump(mode="json") for s in pack.sections.values()],
        "questions": [
            q.model_dump(mode="json", by_alias=True, exclude_none=True)
            for q in pack.questions.values()
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def questions_markdown(pack: Pack) -> str:
    """The questionnaire as a Markdown handout."""
    lines = ["# The threatmodel questionnaire", ""]
    lines.append("Any question may be answered `unknown`; its worst case is then assumed.")
    for section in pack.sections.values():
        qs = [q for q in pack.questions.values() if q.section == section.id]
        if not qs:
            continue
        lines += ["", f"## {section.title}", "", section.intro.strip()]
        for q in qs:
            branch = (
                "" if q.when is None else f" · asked only when {describe(q.when, pack.conditions)}"
            )
            lines += ["", f"### {q.text}", "", f"`{q.id}` · {q.type}{branch}"]
            lines += ["", " ".join(q.help.split())]
            for c in q.choices:
                lines.append(f"- `{c.value}`: {c.label}")
            if q.type != "text":
                lines += ["", f"If unknown: `{show(q.worst_case)}`. {q.worst_case_means.strip()}"]
    return "\n".join(lines) + "\n"


def describe(cond: Condition, named: Named | None = None) -> str:
    """A condition in words, e.g. `access.rate_limited is true`; a named condition is spelled
    out where that stays readable, else given by its name."""
    return _Describer(named or {}).words(cond)


class _Describer:
    """Words for conditions, each named condition worded once."""

    LONGEST = 300  # a named condition worded longer than this is given by its name

    def __init__(self, named: Named) -> None:
        self.named = named
        self.memo: dict[str, str] = {}

    def words(self, cond: Condition) -> str:
        if isinstance(cond, Leaf):
            op, operand = cond.operator()
            return f"{cond.q} {op.replace('_', ' ')} {show(operand)}"
        if isinstance(cond, Not):
            return f"not ({self.words(cond.not_)})"
        if isinstance(cond, Ref):
            return self._named(cond.ref)
        parts = [self.words(c) for c in (cond.all if isinstance(cond, All) else cond.any)]
        joiner = " and " if isinstance(cond, All) else " or "
        return "(" + joiner.join(parts) + ")" if len(parts) > 1 else parts[0]

    def _named(self, name: str) -> str:
        if name not in self.memo:
            text = self.words(self.named[name]) if name in self.named else ""
            self.memo[name] = text if text and len(text) <= self.LONGEST else name.replace("_", " ")
        return self.memo[name]
