"""The diff document: JSON for tools, and Markdown short enough for a pull-request comment,
with every value from the files escaped."""

from __future__ import annotations

import json
import re

from threatmodel.engine.diff import DecisionChange, Diff, LevelChange, ThreatChange, ThreatEntry
from threatmodel.render.escape import md_escape

_SAFE_ID = re.compile(r"[A-Za-z0-9_.\-]+")


def to_json(d: Diff) -> str:
    """The diff as JSON, format `threatmodel.diff/1`."""
    return json.dumps(d.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def to_markdown(d: Diff, old_name: str, new_name: str) -> str:
    """A concise report for a pull-request comment; every value from the files is escaped."""
    names = f"{md_escape(old_name)} → {md_escape(new_name)}"
    if d.unchanged:
        return f"No change in answers or threats: {names}\n"
    lines = [_headline(d, names), "", "### Threats", "", *_threat_lines(d), "", "### Answers", ""]
    lines += _answer_lines(d)
    if d.decisions_changed:
        lines += ["", "### Measures and acceptances", "", *map(_decision_line, d.decisions_changed)]
    return "\n".join(lines) + "\n"


def _decision_line(c: DecisionChange) -> str:
    what = f"{c.kind} for {_code(c.threat)}"
    if c.old is None:
        return f"- Added {what}: {md_escape(c.new)}"
    if c.new is None:
        return f"- Removed {what}: was {md_escape(c.old)}"
    return f"- Changed {what}: {md_escape(c.old)} → {md_escape(c.new)}"


def _headline(d: Diff, names: str) -> str:
    headline = f"**Overall risk: {_arrow(d.overall_risk)}**"
    if d.overall_residual_risk != d.overall_risk:  # recorded measures lower it on a side
        headline += f", residual {_arrow(d.overall_residual_risk)}"
    return f"{headline} — {names}"


def _threat_lines(d: Diff) -> list[str]:
    lines = [
        f"- New: {_code(t.id)} {md_escape(t.title)}, risk **{md_escape(t.risk)}**{_because(t)}"
        for t in d.threats_appeared
    ]
    lines += [
        f"- Gone: {_code(t.id)} {md_escape(t.title)}, was risk {md_escape(t.risk)}{_because(t)}"
        for t in d.threats_disappeared
    ]
    lines += [_changed_line(c) for c in d.threats_changed]
    return lines or ["No threat appeared, disappeared or changed level."]


def _changed_line(c: ThreatChange) -> str:
    levels = "; ".join(
        f"{aspect.replace('_', ' ')} {_arrow(getattr(c, aspect))}" for aspect in c.changed
    )
    return f"- Changed: {_code(c.id)} {md_escape(c.title)}: {levels}{_because(c)}"


def _answer_lines(d: Diff) -> list[str]:
    if not d.answers:
        return ["No answer changed."]
    rows = [
        f"| {_code(a.question)} {md_escape(a.text)} | {_value(a.old)} | {_value(a.new)} |"
        for a in d.answers
    ]
    return ["| question | old | new |", "|---|---|---|", *rows]


def _because(item: ThreatEntry | ThreatChange) -> str:
    if not item.because:
        return ""
    return ", because of " + ", ".join(_code(q) for q in item.because)


def _arrow(pair: LevelChange) -> str:
    if pair.old == pair.new:
        return f"{md_escape(pair.new)} (unchanged)"
    return f"{md_escape(pair.old)} → {md_escape(pair.new)}"


def _value(value: str | None) -> str:
    return "—" if value is None else md_escape(value)  # None: the question was not asked


def _code(text: str) -> str:
    # A backslash does not escape inside a code span, so only plain ids go in backticks.
    return f"`{text}`" if _SAFE_ID.fullmatch(text) else md_escape(text)
