"""The questionnaire as documents: JSON for tools, Markdown for workshops."""

from __future__ import annotations

import json

from threatmodel.language.conditions import describe
from threatmodel.language.types import type_of
from threatmodel.language.values import show
from threatmodel.locales import _
from threatmodel.pack.layered import Pack


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
    lines = ["# " + _("The threatmodel questionnaire"), ""]
    lines.append(_("Any question may be answered `unknown`; its worst case is then assumed."))
    for section in pack.sections.values():
        qs = [q for q in pack.questions.values() if q.section == section.id]
        if not qs:
            continue
        lines += ["", f"## {section.title}", "", section.intro.strip()]
        for q in qs:
            branch = (
                ""
                if q.when is None
                else " · "
                + _("asked only when %(when)s") % {"when": describe(q.when, pack.conditions)}
            )
            lines += ["", f"### {q.text}", "", f"`{q.id}` · {q.type}{branch}"]
            lines += ["", " ".join(q.help.split())]
            for c in q.choices:
                lines.append(f"- `{c.value}`: {c.label}")
            if type_of(q).has_worst_case:
                unknown = _("If unknown:")
                lines += ["", f"{unknown} `{show(q.worst_case)}`. {q.worst_case_means.strip()}"]
    return "\n".join(lines) + "\n"
