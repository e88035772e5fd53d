"""Rendering an Assessment: JSON directly, documents through sandboxed Jinja templates."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from threatmodel.assessment import Assessment
from threatmodel.errors import InputError
from threatmodel.numbers import format_number
from threatmodel.resources import data_dir

TEMPLATES = {"md": "report.md.j2"}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
# Characters that start a block (heading, list, quote) only at the beginning of a line or cell.
_MD_LEADING = re.compile(r"^(\d+)?((?(1)[.)](?=\s|$)|[#+\-=]))")


def to_json(assessment: Assessment) -> str:
    """The canonical JSON: stable key order, two-space indent, UTF-8 text, trailing newline."""
    return json.dumps(assessment.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def md_escape(value: Any) -> str:
    """Plain text made inert in Markdown: no markup, no HTML, no table breaks, one line."""
    text = _MD_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))
    return _MD_LEADING.sub(lambda m: (m.group(1) or "") + "\\" + m.group(2), text)


def render(assessment: Assessment, fmt: str, template_dir: Path | None = None) -> str:
    """The assessment in `fmt` (json, or a document format rendered from a template)."""
    if fmt == "json":
        return to_json(assessment)
    return _render_template(TEMPLATES[fmt], {"a": assessment}, template_dir)


def _render_template(name: str, context: dict[str, Any], template_dir: Path | None) -> str:
    # Imported here: jinja2 costs start-up time that `check` and `--format json` never need.
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment
    from markupsafe import Markup

    def finalize(value: Any) -> Any:
        # Every {{ expression }} is escaped for Markdown unless a template marks it `|safe`, so
        # forgetting a filter can never let what a user typed become markup.
        return value if isinstance(value, Markup) else md_escape(value)

    search = [str(template_dir)] if template_dir else []
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader([*search, str(data_dir("templates"))]),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # Markup() below wraps text that is already escaped (or built only from ids and numbers).
    env.filters["md"] = lambda v: Markup(md_escape(v))  # noqa: S704
    # Inside a code span only a backtick ends it; a pipe would still end a table cell.
    env.filters["code"] = lambda v: Markup(  # noqa: S704
        "`" + " ".join(str(v).replace("`", "'").replace("|", "\\|").split()) + "`"
    )
    env.filters["num"] = lambda v: Markup(format_number(float(v)))  # noqa: S704
    env.filters["upper_first"] = lambda v: str(v)[:1].upper() + str(v)[1:]
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(
            exc.filename or name, f"template error: {exc.message}", exc.lineno
        ) from None
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
        # A template, built-in or the organisation's own, failed while rendering: name it and
        # its line; never a traceback.
        raise InputError(name, f"template error: {exc}", _template_line(exc)) from None


def _template_line(exc: BaseException) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".j2"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
