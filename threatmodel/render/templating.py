"""Documents from sandboxed Jinja templates: the context a template sees, the filters it may
use, and every failure named with its template and line."""

from __future__ import annotations

import contextvars
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from threatmodel import locales
from threatmodel.engine.assessment import Assessment
from threatmodel.errors import InputError, without_controls
from threatmodel.language.numbers import format_number
from threatmodel.render.document import SERIOUS, answers_in_words, build, tone_of
from threatmodel.render.escape import md_escape
from threatmodel.render.scanning import CodeScanning
from threatmodel.resources import data_dir

TONES = ("critical", "high", "medium", "low")  # colours and SARIF levels, from the top down


def context(assessment: Assessment, include_accepted: bool = False) -> dict[str, Any]:
    """What a template sees: the assessment `a`, the document model `doc` (what the Markdown and
    HTML reports say, decided in Python), `sarif` (what an upload needs), and helpers for
    templates of one's own. `include_accepted`: upload accepted risks to code scanning too."""
    words = answers_in_words(assessment)
    matrix = assessment.risk_matrix
    severities = assessment.severity_levels

    def tone(level: str) -> str:
        return tone_of(assessment, level, TONES)

    return {
        "a": assessment,
        "doc": build(assessment, TONES),
        "answer": lambda qid: words.get(qid, ""),
        "risk_of": lambda likelihood, severity: matrix[likelihood][severities.index(severity)],
        "tone": tone,
        "serious": lambda level: tone(level) in SERIOUS,
        "sarif": CodeScanning(assessment, include_accepted),
    }


_ENVIRONMENTS: dict[tuple[Path | None, Callable[[Any], str] | None], Any] = {}
"""One sandbox per template folder and escaping, kept for the process: compiling a template is
a fifth of an HTML report, and `report FILE...` renders many."""
_SERIOUS: contextvars.ContextVar[Callable[[str], bool]] = contextvars.ContextVar("serious")


def render_template(
    template: str,
    escape: Callable[[Any], str] | None,
    context: dict[str, Any],
    template_dir: Path | None,
) -> str:
    """Render one template (an organisation's own first) with every value escaped by `escape`
    (None: HTML, which Jinja's autoescape escapes)."""
    # Imported here: jinja2 costs start-up time that `check` and `--format json` never need.
    import jinja2

    from threatmodel.render.sandbox import TemplateTooCostly, render_bounded

    env = _environment(template_dir, escape)
    token = _SERIOUS.set(context["serious"])
    try:
        loaded = env.get_template(template)
        return render_bounded(loaded, context)
    except TemplateTooCostly as exc:
        frame, line = _template_frame(exc)
        raise InputError(frame or template, f"template refused: it {exc}", line) from None
    except InputError:
        raise  # a template file refused by the reader (too large, outside its folder)
    except jinja2.TemplateSyntaxError as exc:
        name = exc.filename or template
        raise InputError(name, f"template error: {exc.message}", exc.lineno) from None
    except Exception as exc:
        # A template, built-in or the organisation's own, failed while rendering: name it and
        # its line; never a traceback.
        frame, line = _template_frame(exc)
        raise InputError(frame or template, f"template error: {exc}", line) from None
    finally:
        _SERIOUS.reset(token)


def _environment(template_dir: Path | None, escape: Callable[[Any], str] | None) -> Any:
    key = (template_dir.resolve() if template_dir else None, escape)
    if key not in _ENVIRONMENTS:
        _ENVIRONMENTS[key] = _new_environment(template_dir, escape)
    return _ENVIRONMENTS[key]


def _new_environment(template_dir: Path | None, escape: Callable[[Any], str] | None) -> Any:
    import jinja2
    from markupsafe import Markup

    from threatmodel.render.sandbox import BoundedSandbox, FolderLoader

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
        bytecode_cache=_bytecode_cache(escape),
        extensions=["jinja2.ext.i18n"],
    )
    # The tool's own words, from the catalogue of the language being rendered (`locales.use`);
    # a translation is data like any other text: escaped for the format.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=locales._, ngettext=locales.ngettext, newstyle=False
    )
    _add_filters(env.filters, Markup, escape)
    env.tests["serious"] = _serious
    return env


def _serious(level: str) -> bool:
    """The `serious` test, for the assessment being rendered (a pack may name its own levels)."""
    return _SERIOUS.get()(level)


def _bytecode_cache(escape: Callable[[Any], str] | None) -> Any:
    """Compiled templates, kept beside the pack cache; keyed by Jinja on each template's source,
    so an edited template is compiled again. Compiled code runs as code, so the folder is used
    only when it belongs to this user and nobody else may write to it; one folder per escaping,
    because the escaping is compiled into the code. None when it cannot be used."""
    import jinja2

    from threatmodel.pack.cache import folder

    target = folder() / "templates" / (escape.__name__.strip("_") if escape else "html")
    try:
        target.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _private(target) or not _private(target.parent):
            return None
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(target))


def _private(path: Path) -> bool:
    info = path.stat()
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def _add_filters(
    filters: dict[str, Any], markup: type, escape: Callable[[Any], str] | None
) -> None:
    filters["upper_first"] = lambda v: str(v)[:1].upper() + str(v)[1:]
    filters["day"] = locales.when
    filters["refs"] = locales.references
    filters["num"] = lambda v: locales.number(format_number(float(v)))
    if escape is md_escape:
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
