"""The register as HTML (a page to sort and filter, with a matrix of systems by threats), Markdown
(for a pull request or a wiki), CSV and JSON (for GRC tools). What people typed is escaped for
each format, as in the reports."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from threatmodel.portfolio.register import TONES, Register, System
from threatmodel.render.escape import csv_cell, md_escape
from threatmodel.resources import data_dir

COLUMNS = (
    "name", "owner", "path", "residual_risk", "overall_risk", "top_threats",
    "dpia_likely_required", "prior_consultation", "acceptances", "signoff_state", "stale",
    "last_changed", "error",
)  # fmt: skip


def cells(system: System) -> dict[str, str]:
    """A row in words: each column of the register as text (CSV and Markdown)."""

    def yes(value: bool | None) -> str:
        return "" if value is None else "yes" if value else "no"

    return {
        "name": system.name,
        "owner": system.owner,
        "path": system.path,
        "residual_risk": system.residual_risk or "",
        "overall_risk": system.overall_risk or "",
        "top_threats": "; ".join(f"{t.title} ({t.residual_risk})" for t in system.top_threats),
        "dpia_likely_required": yes(system.dpia_likely_required),
        "prior_consultation": yes(system.prior_consultation),
        "acceptances": "; ".join(
            f"{a.threat} until {a.expires.isoformat()} ({a.state})" for a in system.acceptances
        ),
        "signoff_state": system.signoff_state or "",
        "stale": "; ".join(system.stale),
        "last_changed": system.last_changed or "",
        "error": system.error or "",
    }


def to_json(register: Register) -> str:
    """The register as JSON, with its summary figures."""
    import json

    data = register.model_dump(mode="json")
    data["summary"] = register.summary
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def to_csv(register: Register) -> str:
    """One row per system, every cell quoted and safe from spreadsheet formulas."""
    lines = [",".join(csv_cell(c) for c in COLUMNS)]
    lines += [",".join(csv_cell(cells(s)[c]) for c in COLUMNS) for s in register.systems]
    return "\n".join(lines) + "\n"


HEADINGS = {
    "name": "System", "owner": "Owner", "residual_risk": "Residual risk",
    "top_threats": "Threats at the top levels", "dpia_likely_required": "DPIA",
    "prior_consultation": "Art. 36", "acceptances": "Accepted risks",
    "signoff_state": "Sign-off", "stale": "Behind its rules", "last_changed": "Changed",
}  # fmt: skip


def to_markdown(register: Register) -> str:
    """A summary and one table row per system (a broken file shows its error)."""
    summary = register.summary
    out = [
        f"# Privacy threat register ({register.as_of.isoformat()})",
        "",
        f"{summary['systems']} systems: {summary['high_or_critical']} at high or critical, "
        f"{summary['dpia_likely_required']} likely to need a DPIA, "
        f"{summary['prior_consultation']} needing prior consultation (Art. 36), "
        f"{summary['acceptances_expired']} with an expired acceptance, "
        f"{summary['acceptances_expiring_90_days']} with one expiring within 90 days, "
        f"{summary['unsigned']} unsigned, {summary['signoff_changed']} changed since signed, "
        f"{summary['stale']} behind their rules, {summary['broken']} that do not load.",
        "",
        "| " + " | ".join(HEADINGS.values()) + " |",
        "|" + "---|" * len(HEADINGS),
    ]
    for system in register.systems:
        row = cells(system)
        if system.error is not None:
            row["name"] = f"{system.path}: does not load"
            row["top_threats"] = system.error
        row["name"] = row["name"] or system.path
        out.append("| " + " | ".join(md_escape(row[k]) or "—" for k in HEADINGS) + " |")
    return "\n".join(out) + "\n"


def to_html(register: Register) -> str:
    """A self-contained page: the summary, the register (sortable and filterable by a small
    script the page's Content-Security-Policy allows by its hash, and nothing else), and a
    matrix of systems by threats coloured by residual risk."""
    from markupsafe import Markup

    from threatmodel.render.templating import render_template

    style = (data_dir("templates") / "portfolio.css").read_text(encoding="utf-8")
    script = (data_dir("templates") / "portfolio.js").read_text(encoding="utf-8")
    context: dict[str, Any] = {
        "r": register,
        "summary": register.summary,
        "threats": (columns := _threat_columns(register)),
        "matrix": [
            (
                s.name or s.path,
                [{t.id: t for t in s.threats}.get(i) for i, _ in columns],
            )
            for s in register.systems
            if s.error is None
        ],
        "rank": {tone: i for i, tone in enumerate(TONES)},
        "tones": TONES[1:],
        "style": Markup(style),  # noqa: S704 - the package's own file, not user input
        "script": Markup(script),  # noqa: S704 - the package's own file, not user input
        "csp": f"default-src 'none'; style-src {_hash(style)}; script-src {_hash(script)}; "
        "img-src data:; base-uri 'none'; form-action 'none'",
        "serious": lambda tone: tone in TONES[-2:],
    }
    return render_template("portfolio.html.j2", None, context, None)


def _hash(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
    return f"'sha256-{digest}'"


def _threat_columns(register: Register) -> list[tuple[str, str]]:
    """The matrix's columns: every threat of any system, the most serious first, with a title."""
    best: dict[str, tuple[int, str]] = {}
    for system in register.systems:
        for t in system.threats:
            rank = TONES.index(t.tone)
            best[t.id] = max(best.get(t.id, (-1, t.title)), (rank, t.title))
    return [(i, title) for i, (_, title) in sorted(best.items(), key=lambda x: (-x[1][0], x[0]))]
