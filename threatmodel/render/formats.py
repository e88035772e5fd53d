"""Every output format of an assessment, in one registry: JSON, W3C DPV JSON-LD and GitLab
Code Quality directly; Markdown, HTML, SARIF and CSV through sandboxed templates, each escaped
for its own format by construction; PDF printed from the HTML. A new format is one entry in
FORMATS."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from threatmodel.errors import InputError
from threatmodel.render.escape import csv_cell, json_value, md_escape

if TYPE_CHECKING:  # the models cost start-up time that --version and --help never need
    from threatmodel.engine.assessment import Assessment


@dataclass(frozen=True)
class Format:
    """A document format: its template and how a value is escaped for it, or a function that
    renders it without a template."""

    template: str | None = None
    escape: Callable[[Any], str] | None = None  # None: HTML, escaped by Jinja's autoescape
    check: Callable[[str], str] | None = None
    """Validates (and normalises) the rendered text: SARIF is parsed and re-indented; CSV gets
    a byte-order mark, without which spreadsheets read accents as mojibake."""
    direct: Callable[[Assessment, Path | None, bool], str | bytes] | None = None
    """Renders without a template of its own (JSON; PDF, from the HTML), from the assessment,
    the template folder and whether accepted risks go into code-scanning uploads."""
    binary: bool = False
    suffix: str = ""
    """The file name's ending under `report --output-dir`, when not the format's name."""


def to_json(assessment: Assessment) -> str:
    """The canonical JSON: stable key order, two-space indent, UTF-8 text, trailing newline.
    Serialised by pydantic's own encoder: ten times faster than `json.dumps` with an indent."""
    return assessment.model_dump_json(indent=2) + "\n"


def _json_document(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
    except ValueError as exc:
        raise ValueError(f"the template produced invalid JSON ({exc})") from None


def _dpv(assessment: Assessment) -> str:
    from threatmodel.render.dpv import to_dpv

    return to_dpv(assessment)


def _code_quality(assessment: Assessment, include_accepted: bool) -> str:
    from threatmodel.render.scanning import CodeScanning, code_quality

    return code_quality(CodeScanning(assessment, include_accepted))


def _pdf(assessment: Assessment, template_dir: Path | None) -> bytes:
    from threatmodel.render.pdf import render_pdf

    return render_pdf(assessment, template_dir)


FORMATS: dict[str, Format] = {
    "md": Format("report.md.j2", md_escape),
    "html": Format("report.html.j2", None),
    "pdf": Format(direct=lambda assessment, folder, _: _pdf(assessment, folder), binary=True),
    "json": Format(direct=lambda assessment, *_: to_json(assessment)),
    "sarif": Format("report.sarif.j2", json_value, _json_document),
    "csv": Format("report.csv.j2", csv_cell, lambda text: "\ufeff" + text),
    "dpv": Format(direct=lambda assessment, *_: _dpv(assessment), suffix="jsonld"),
    "codequality": Format(
        direct=lambda a, _, accepted: _code_quality(a, accepted), suffix="cq.json"
    ),
}
"""The registry: format name -> how to render it. `report --format` offers these, in order."""


def render(assessment: Assessment, fmt: str, template_dir: Path | None = None) -> str:
    """The assessment in a text format."""
    document = render_document(assessment, fmt, template_dir)
    assert isinstance(document, str), f"{fmt} is a binary format"
    return document


def render_document(
    assessment: Assessment,
    fmt: str,
    template_dir: Path | None = None,
    include_accepted: bool = False,
) -> str | bytes:
    """The assessment in any format of the registry (bytes for binary ones). `include_accepted`:
    SARIF uploads accepted risks too (left out by default: code scanning would show them open)."""
    from threatmodel import locales

    with locales.speaking(assessment.lang):
        return _render(assessment, fmt, template_dir, include_accepted)


def _render(
    assessment: Assessment, fmt: str, template_dir: Path | None, include_accepted: bool
) -> str | bytes:
    spec = FORMATS[fmt]
    if spec.direct is not None:
        return spec.direct(assessment, template_dir, include_accepted)
    from threatmodel.render.templating import context, render_template

    assert spec.template is not None
    text = render_template(
        spec.template, spec.escape, context(assessment, include_accepted), template_dir
    )
    if spec.check is not None:
        try:
            text = spec.check(text)
        except ValueError as exc:
            raise InputError(spec.template, str(exc)) from None
    return text


def check_ready(fmt: str) -> None:
    """Fail before any work when a format's optional dependency is missing (PDF)."""
    if fmt == "pdf":
        from threatmodel.render.pdf import require_pdf

        require_pdf()
