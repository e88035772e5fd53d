"""Packs in other languages. Every sentence of a pack people read (questions, help, choices,
sections, threats, their reasons and mitigations, the screening) has a stable key; a pack's
`i18n/<lang>.yaml` gives each key its text in that language and a short hash of the English it
translates, so that `rules lint --lang` can say which are missing, stale (the English changed
since) or orphaned. Ids and answer values are never translated: the same answers give the same
risks in every language. A key without a translation keeps its English, and is counted so the
document can say so."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from threatmodel.errors import InputError
from threatmodel.locales import LANGUAGES  # a pack may translate into the tool's languages
from threatmodel.pack.layered import Pack

PROSE: dict[str, tuple[str, ...]] = {
    "Question": ("text", "help", "worst_case_means"),
    "Choice": ("label", "phrase"),
    "Section": ("title", "intro"),
    "Threat": ("title", "summary", "description", "needs"),
    "Modifier": ("because",),
    "Mitigation": ("title", "description"),
    "Phrase": ("text",),
    "Criterion": ("title", "met", "not_met"),
    "Flag": ("title", "text"),
    "NecessityCheck": ("topic", "concern", "ok"),
    "ManualItem": ("topic", "text"),
}
"""Model class -> its fields that people read. Everything else (ids, values, conditions,
levels, articles) is the same in every language."""
NESTED = ("choices", "likelihood", "severity", "modifiers", "mitigations", "in_this_system",
          "wp248", "criteria", "ai_act", "necessity", "to_complete")  # fmt: skip
"""Fields that hold models with prose of their own."""


def text_hash(english: str) -> str:
    """The short hash an entry records of the English it translates (whitespace ignored)."""
    return hashlib.sha256(" ".join(english.split()).encode()).hexdigest()[:8]


def _walk(obj: Any, key: str) -> Iterator[tuple[str, str]]:
    """(key, English) for every prose field of a model and the models inside it."""
    if isinstance(obj, BaseModel):
        for name in PROSE.get(type(obj).__name__, ()):
            value = getattr(obj, name, None)
            if isinstance(value, str) and value.strip():
                yield f"{key}.{name}", value
        for name in NESTED:
            if hasattr(obj, name):
                yield from _walk(getattr(obj, name), f"{key}.{name}")
    elif isinstance(obj, tuple | list):
        for index, item in enumerate(obj):
            yield from _walk(item, f"{key}.{_item_key(item, index)}")


def _item_key(item: Any, index: int) -> str:
    for name in ("id", "value"):
        if isinstance(getattr(item, name, None), str):
            return str(getattr(item, name))
    return str(index)


def entries(pack: Pack, name: str | None = None) -> dict[str, str]:
    """Key -> English for the pack's sentences (only those a pack `name` defines, if given)."""

    def owned(item_id: str) -> bool:
        return name is None or pack.owner.get(item_id) == name

    out: dict[str, str] = {}
    for section in pack.sections.values():
        if name is None or name == pack.packs[0].name or _section_owned(pack, section.id, name):
            out.update(_walk(section, f"section.{section.id}"))
    for qid, question in pack.questions.items():
        if owned(qid):
            out.update(_walk(question, f"question.{qid}"))
    for tid, threat in pack.threats.items():
        if owned(tid):
            out.update(_walk(threat, f"threat.{tid}"))
    if pack.screening is not None and (name is None or name == pack.packs[0].name):
        out.update(_walk(pack.screening, "screening"))
        for index, trigger in enumerate(pack.screening.review_triggers):
            out[f"screening.review_triggers.{index}"] = trigger
    return out


def _section_owned(pack: Pack, section: str, name: str) -> bool:
    return any(pack.owner.get(q) == name for q in pack.questions if q.startswith(section + "."))


@dataclass(frozen=True)
class Catalogue:
    """One pack's translations into one language."""

    lang: str
    texts: dict[str, str] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)


def load_catalogue(folder: Path, lang: str) -> Catalogue | None:
    """A pack folder's `i18n/<lang>.yaml`, or None when it has none."""
    from threatmodel.pack.yamlsafe import load_yaml

    path = folder / "i18n" / f"{lang}.yaml"
    if not path.is_file():
        return None
    doc = load_yaml(path, folder)
    data = doc.data if isinstance(doc.data, dict) else {}
    if data.get("lang") != lang:
        raise doc.error(("lang",), f"lang: expected '{lang}' in {path.name}")
    raw = data.get("entries") or {}
    if not isinstance(raw, dict):
        raise doc.error(("entries",), "entries: expected a mapping of key -> {en, text}")
    texts, hashes, lines = {}, {}, {}
    for key, entry in raw.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
            raise doc.error(("entries", key), f"entries.{key}: expected {{en: HASH, text: TEXT}}")
        texts[key], hashes[key] = entry["text"], str(entry.get("en", ""))
        lines[key] = doc.line_of(("entries", key)) or 0
    return Catalogue(lang, texts, hashes, lines)


@dataclass(frozen=True)
class Problem:
    """A translation `rules lint --lang` reports."""

    kind: str  # "missing", "stale" or "orphaned"
    key: str
    where: str


def check(pack: Pack, lang: str) -> list[Problem]:
    """Missing, stale and orphaned translations of every pack in the stack."""
    problems = []
    for info in pack.packs:
        catalogue = load_catalogue(info.path, lang) if lang != "en" else None
        english = entries(pack, info.name)
        where = str(info.path / "i18n" / f"{lang}.yaml")
        texts = catalogue.texts if catalogue else {}
        hashes = catalogue.hashes if catalogue else {}
        lines = catalogue.lines if catalogue else {}
        for key, text in english.items():
            if key not in texts:
                problems.append(Problem("missing", f"{key} (en: {text_hash(text)})", where))
            elif hashes.get(key) != text_hash(text):
                problems.append(Problem("stale", key, f"{where}:{lines.get(key, 0)}"))
        for key in texts.keys() - english.keys():
            problems.append(Problem("orphaned", key, f"{where}:{lines.get(key, 0)}"))
    return problems


@dataclass(frozen=True)
class Translated:
    """A pack stack in one language, and what in it is still English."""

    pack: Pack
    lang: str
    fallbacks: int
    statuses: dict[str, str]
    """Pack name -> the status its manifest declares for the language."""


def translate(pack: Pack, lang: str) -> Translated:
    """The pack with every sentence in `lang` where its packs translate it (English where they
    do not, counted), and the status each pack's manifest declares for the language."""
    if lang == "en":
        return Translated(pack, lang, 0, {})
    if lang not in LANGUAGES:
        raise InputError(None, f"--lang {lang}: use one of {', '.join(LANGUAGES)}")
    table: dict[str, str] = {}
    english: dict[str, str] = {}
    for info in pack.packs:
        catalogue = load_catalogue(info.path, lang)
        own = entries(pack, info.name)
        english.update(own)
        if catalogue is not None:
            current = {k: v for k, v in catalogue.texts.items() if k in own}
            table.update(
                {k: v for k, v in current.items() if catalogue.hashes.get(k) == text_hash(own[k])}
            )
    fallbacks = sum(key not in table for key in english)
    translated = Pack(
        packs=pack.packs,
        sections={k: _apply(v, f"section.{k}", table) for k, v in pack.sections.items()},
        questions={k: _apply(v, f"question.{k}", table) for k, v in pack.questions.items()},
        threats={k: _apply(v, f"threat.{k}", table) for k, v in pack.threats.items()},
        conditions=pack.conditions,
        scoring=pack.scoring,
        screening=_screening(pack, table),
        baselines=pack.baselines,
        owner=pack.owner,
        origin=pack.origin,
        depths=pack.depths,
        lang=lang,
        lang_status=_statuses(pack, lang),
        fallbacks=fallbacks,
    )
    return Translated(translated, lang, fallbacks, translated.lang_status)


def _statuses(pack: Pack, lang: str) -> dict[str, str]:
    from threatmodel.language.model import parse_model
    from threatmodel.pack.models import Manifest
    from threatmodel.pack.yamlsafe import load_yaml

    out = {}
    for info in pack.packs:
        doc = load_yaml(info.path / "pack.yaml", info.path)
        manifest = parse_model(Manifest, doc, doc.data)
        out[info.name] = manifest.languages.get(lang, "not translated")
    return out


def _screening(pack: Pack, table: dict[str, str]) -> Any:
    if pack.screening is None:
        return None
    screening = _apply(pack.screening, "screening", table)
    triggers = tuple(table.get(f"screening.review_triggers.{i}", t)
                     for i, t in enumerate(pack.screening.review_triggers))  # fmt: skip
    return screening.model_copy(update={"review_triggers": triggers})


def _apply(obj: Any, key: str, table: dict[str, str]) -> Any:
    """A copy of a model with its prose from `table` (models are frozen: copied, not edited)."""
    if isinstance(obj, tuple | list):
        items = [_apply(item, f"{key}.{_item_key(item, i)}", table) for i, item in enumerate(obj)]
        return tuple(items) if isinstance(obj, tuple) else items
    if not isinstance(obj, BaseModel):
        return obj
    update: dict[str, Any] = {}
    for name in PROSE.get(type(obj).__name__, ()):
        if f"{key}.{name}" in table:
            update[name] = table[f"{key}.{name}"]
    for name in NESTED:
        if hasattr(obj, name):
            value = getattr(obj, name)
            if isinstance(value, BaseModel | tuple | list):
                update[name] = _apply(value, f"{key}.{name}", table)
    return obj.model_copy(update=update) if update else obj
