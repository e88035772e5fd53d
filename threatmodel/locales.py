"""The tool's own words in the reader's language: one gettext catalogue per language
(`threatmodel/locale/<lang>/LC_MESSAGES/threatmodel.po`, compiled to `.mo` by
`dev/catalogues.py`), read with the standard library; and numbers and dates as each language
writes them (`10 000 000` with narrow no-break spaces in French, `10.000.000` in German).
English is the source language: its words are the catalogue's keys."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import gettext
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "fr", "de")
DOMAIN = "threatmodel"
FOLDER = Path(__file__).parent / "locale"
_CURRENT: contextvars.ContextVar[str] = contextvars.ContextVar("lang", default="en")
_GROUPING = {"en": ",", "fr": "\u202f", "de": "."}
_DECIMAL = {"en": ".", "fr": ",", "de": ","}
_MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
           "September", "Oktober", "November", "Dezember"),
}  # fmt: skip


@cache
def catalogue(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of a language (English: the words as written)."""
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, FOLDER, languages=[lang], fallback=True)


def use(lang: str) -> contextvars.Token[str]:
    """Speak `lang` from now on in this context (a render, a command)."""
    return _CURRENT.set(lang)


def reset(token: contextvars.Token[str]) -> None:
    """Speak again what was spoken before `use`."""
    _CURRENT.reset(token)


@contextlib.contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Speak `lang` inside the block (an assessment, a render), then what was spoken before."""
    token = _CURRENT.set(lang)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current() -> str:
    """The language being spoken."""
    return _CURRENT.get()


def _(message: str) -> str:
    """`message` in the current language (itself when the catalogue has no translation)."""
    return catalogue(_CURRENT.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form, in the current language."""
    return catalogue(_CURRENT.get()).ngettext(singular, plural, n)


def number(text: str, lang: str | None = None) -> str:
    """A number written the English way (`10,000,000`, `0.058`) as the language writes it."""
    lang = lang or _CURRENT.get()
    if lang == "en":
        return text
    return "".join(_GROUPING[lang] if c == "," else _DECIMAL[lang] if c == "." else c for c in text)


_ARTICLE = re.compile(r"^Art\. (\d+)((?:\(\d+\))*)(?:\(([a-z])\))?$")


FRAMEWORKS = {
    # key in a threat's `references:` -> how the framework is named before its items (None:
    # the items name it themselves, as "NIST AI 100-2 membership inference" does).
    "gdpr": "GDPR",
    "ai_act": "EU AI Act",
    "nist": None,
    "owasp_ml": "OWASP",
    "atlas": "MITRE ATLAS",
    "linddun": "LINDDUN",
}


def references(refs: dict[str, list[str]] | dict[str, tuple[str, ...]]) -> str:
    """A threat's references as their frameworks are cited: `GDPR Art. 9, Art. 35(3)(c); EU AI
    Act Art. 5(1)(g); NIST AI 100-2 membership inference; OWASP ML04; MITRE ATLAS AML.T0024`.
    The law's name and articles in the language being spoken; a pack's own keys as written."""
    order = list(FRAMEWORKS)
    # The laws' names as the language gives them (RGPD, DSGVO); the others are proper names.
    names = {**FRAMEWORKS, "gdpr": _("GDPR"), "ai_act": _("EU AI Act")}
    parts = []
    for key in sorted(refs, key=lambda k: (order.index(k) if k in order else len(order), k)):
        items = [article(r) for r in refs[key]]
        name = names.get(key, key)
        if key == "owasp_ml":
            parts.append(", ".join(f"{name} {item}" for item in items))
        else:
            parts.append(f"{name} {', '.join(items)}" if name else ", ".join(items))
    return "; ".join(parts)


def article(reference: str, lang: str | None = None) -> str:
    """A legal reference as the language cites it: `Art. 5(1)(f)` is `art. 5, par. 1, point f)`
    in French and `Art. 5 Abs. 1 lit. f` in German; anything else is left as written."""
    lang = lang or _CURRENT.get()
    match = _ARTICLE.match(reference.strip())
    if lang == "en" or match is None:
        return reference
    number, paragraphs, point = match.groups()
    paras = re.findall(r"\d+", paragraphs)
    if lang == "fr":
        parts = [f"art.\u00a0{number}", *(f"par.\u00a0{p}" for p in paras)]
        return ", ".join(parts + ([f"point\u00a0{point})"] if point else []))
    parts = [f"Art.\u00a0{number}", *(f"Abs.\u00a0{p}" for p in paras)]
    return " ".join(parts + ([f"lit.\u00a0{point}"] if point else []))


def when(value: object, lang: str | None = None) -> str:
    """A date or an ISO timestamp as a document in the language shows it; English documents
    keep ISO 8601 (`2026-12-02`), which no English reader misreads."""
    lang = lang or _CURRENT.get()
    text = str(value)
    if lang == "en":
        return text
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    day = date(parsed.date(), lang)
    return day if len(text) <= 10 else f"{day}, {parsed:%H:%M} UTC"


def date(value: dt.date, lang: str | None = None) -> str:
    """A date as the language writes it in a document: `2 December 2026`, `2 décembre 2026`,
    `2. Dezember 2026`."""
    lang = lang or _CURRENT.get()
    if lang == "fr":
        return f"{value.day} {_MONTHS['fr'][value.month - 1]} {value.year}"
    if lang == "de":
        return f"{value.day}. {_MONTHS['de'][value.month - 1]} {value.year}"
    return f"{value.day} {value.strftime('%B')} {value.year}"
