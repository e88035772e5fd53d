"""Rendering an Assessment: JSON directly; Markdown, HTML, SARIF and CSV through sandboxed Jinja
templates, each escaped for its own format by construction; PDF from the HTML."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threatmodel.engine.assessment import Assessment
from threatmodel.errors import InputError, without_controls
from threatmodel.language.numbers import format_number
from threatmodel.resources import data_dir

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
# Characters that start a block (heading, list, quote) only at the beginning of a line or cell.
_MD_LEADING = re.compile(r"^(\d+)?((?(1)[.)](?=\s|$)|[#+\-=]))")
# What GitHub turns into a link, a notification or maths, even in escaped text.
_MD_ACTIVE = re.compile(r"@(?=\w)|:(?=//)|w(?=ww\.)|\$")
_JOINER = "\u2060"
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def md_escape(value: Any) -> str:
    """Plain text made inert in Markdown: no markup, no HTML, no table breaks, one line, and
    no autolinks, @mentions or math (a word joiner breaks what GitHub would act on)."""
    text = _MD_SPECIAL.sub(r"\\\1", " ".join(without_controls(str(value)).split()))
    text = _MD_LEADING.sub(lambda m: (m.group(1) or "") + "\\" + m.group(2), text)
    return _MD_ACTIVE.sub(lambda m: m.group(0)[0] + _JOINER + m.group(0)[1:], text)


def json_value(value: Any) -> str:
    """A value as a JSON literal: strings quoted and escaped, numbers and lists as they are."""
    return json.dumps(value, ensure_ascii=False)


def csv_cell(value: Any) -> str:
    """One quoted CSV cell, on one line, that a spreadsheet will not run as a formula."""
    text = " ".join(without_controls(str(value)).split()) if value is not None else ""
    if text.startswith(_FORMULA_START):
        text = "'" + text
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="").writerow([text])
    return buffer.getvalue()


@dataclass(frozen=True)
class Format:
    """A document format: its template and how a value is escaped for it."""

    template: str
    escape: Callable[[Any], str] | None  # None: HTML, escaped by Jinja's autoescape
    check: Callable[[str], str] | None = None  # validates (and normalises) the rendered text


def _json_document(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
    except ValueError as exc:
        raise ValueError(f"the template produced invalid JSON ({exc})") from None


FORMATS = {
    "md": Format("report.md.j2", md_escape),
    "html": Format("report.html.j2", None),
    "sarif": Format("report.sarif.j2", json_value, _json_document),
    "csv": Format("report.csv.j2", csv_cell),
}


def to_json(assessment: Assessment) -> str:
    """The canonical JSON: stable key order, two-space indent, UTF-8 text, trailing newline."""
    return json.dumps(assessment.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def render(assessment: Assessment, fmt: str, template_dir: Path | None = None) -> str:
    """The assessment in a text format: json, or a document rendered from a template."""
    if fmt == "json":
        return to_json(assessment)
    spec = FORMATS[fmt]
    text = _render_template(spec, _context(assessment), template_dir)
    if spec.check is not None:
        try:
            text = spec.check(text)
        except ValueError as exc:
            raise InputError(spec.template, str(exc)) from None
    return text


def require_pdf() -> Any:
    """The WeasyPrint module, or an error saying exactly what to install."""
    try:
        import weasyprint  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except (ImportError, OSError) as exc:  # OSError: the package is there, its libraries are not
        raise InputError(
            None,
            "--format pdf needs WeasyPrint: pip install 'threatmodel[pdf]' (and on Debian or "
            f"Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0); {type(exc).__name__}",
        ) from None
    return weasyprint


def render_pdf(assessment: Assessment, template_dir: Path | None = None) -> bytes:
    """The HTML document printed to PDF with WeasyPrint (the optional `pdf` extra)."""
    weasyprint = require_pdf()
    html = render(assessment, "html", template_dir)
    document = weasyprint.HTML(string=html, url_fetcher=_data_urls_only(weasyprint))
    pdf: bytes = document.write_pdf()
    return pdf


def _data_urls_only(weasyprint: Any) -> Any:
    """A URL fetcher for inline data: URLs only. The report is self-contained, and a template
    (perhaps an organisation's own) must not make the PDF step read local files or the
    network."""
    if hasattr(weasyprint, "URLFetcher"):  # WeasyPrint 68 and later
        return weasyprint.URLFetcher(allowed_protocols=("data",))

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:  # earlier versions
        if not url.startswith("data:"):
            raise ValueError(f"the report may not load {url[:60]!r}")
        return weasyprint.default_url_fetcher(url, *args, **kwargs)

    return fetch


TONES = ("critical", "high", "medium", "low")  # colours and SARIF levels, from the top down


def _context(assessment: Assessment) -> dict[str, Any]:
    answers = {
        a.question: a.label + ("" if a.source == "given" else " (assumed: not answered)")
        for a in assessment.answers
    }
    matrix = assessment.risk_matrix
    severities = assessment.severity_levels
    levels = assessment.risk_levels

    def tone(level: str) -> str:
        # A pack may name its own risk levels; colours and SARIF levels go by rank from the top.
        if level not in levels:
            return "none"
        return TONES[min(len(levels) - 1 - levels.index(level), len(TONES) - 1)]

    return {
        "a": assessment,
        "answer": lambda qid: answers.get(qid, ""),
        "risk_of": lambda likelihood, severity: matrix[likelihood][severities.index(severity)],
        "tone": tone,
        "serious": lambda level: tone(level) in ("critical", "high"),
    }


def _render_template(spec: Format, context: dict[str, Any], template_dir: Path | None) -> str:
    # Imported here: jinja2 costs start-up time that `check` and `--format json` never need.
    import jinja2
    from markupsafe import Markup

    from threatmodel.render.sandbox import (
        BoundedSandbox,
        FolderLoader,
        TemplateTooCostly,
        render_bounded,
    )

    escape = spec.escape

    def finalize(value: Any) -> Any:
        # Every {{ expression }} is escaped for the format unless a template marks it `|safe`,
        # so forgetting a filter can never let what a user typed become markup or code.
        if isinstance(value, Markup):
            return value
        if escape is None:  # HTML: autoescape follows; control characters are not HTML at all
            return without_controls(value) if isinstance(value, str) else value
        return escape(value)

    search = [template_dir] if template_dir else []
    env = BoundedSandbox(
        loader=FolderLoader([*search, data_dir("templates")]),
        undefined=jinja2.StrictUndefined,
        autoescape=escape is None,
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    _add_filters(env.filters, Markup, spec)
    env.tests["serious"] = context["serious"]
    try:
        template = env.get_template(spec.template)
        return render_bounded(template, context)
    except TemplateTooCostly as exc:
        frame, line = _template_frame(exc)
        raise InputError(frame or spec.template, f"template refused: it {exc}", line) from None
    except InputError:
        raise  # a template file refused by the reader (too large, outside its folder)
    except jinja2.TemplateSyntaxError as exc:
        name = exc.filename or spec.template
        raise InputError(name, f"template error: {exc.message}", exc.lineno) from None
    except Exception as exc:
        # A template, built-in or the organisation's own, failed while rendering: name it and
        # its line; never a traceback.
        frame, line = _template_frame(exc)
        raise InputError(frame or spec.template, f"template error: {exc}", line) from None


def _add_filters(filters: dict[str, Any], markup: type, spec: Format) -> None:
    filters["upper_first"] = lambda v: str(v)[:1].upper() + str(v)[1:]
    filters["refs"] = lambda refs: "; ".join(f"{k} {', '.join(v)}" for k, v in sorted(refs.items()))
    filters["num"] = lambda v: format_number(float(v))
    if spec.escape is md_escape:
        # markup() wraps text that md_escape has made inert, or ids in a code span (where only
        # a backtick ends the span, and a pipe would still end a table cell).
        filters["md"] = lambda v: markup(md_escape(v))
        filters["code"] = lambda v: markup(
            "`" + " ".join(str(v).replace("`", "'").replace("|", "\\|").split()) + "`"
        )


def _template_frame(exc: BaseException) -> tuple[str | None, int | None]:
    tb = exc.__traceback__
    where: str | None = None
    line: int | None = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            where, line = filename, tb.tb_lineno
        tb = tb.tb_next
    return where, line
