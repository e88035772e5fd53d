"""Loading rule packs: parse every file, then check every cross-reference with its line."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from threatmodel import __version__
from threatmodel.errors import InputError, brief, did_you_mean
from threatmodel.files import all_inside, read_bounded
from threatmodel.language.conditions import questions_read
from threatmodel.language.model import Loc, format_loc, parse_model
from threatmodel.language.questions import Question
from threatmodel.language.types import coerce
from threatmodel.pack import cache as packcache
from threatmodel.pack import check as packcheck
from threatmodel.pack.layered import Pack, PackInfo, Stack
from threatmodel.pack.models import (
    ConditionsFile,
    Manifest,
    QuestionsFile,
    Scoring,
    ScreeningFile,
    Threat,
)
from threatmodel.pack.versions import satisfies
from threatmodel.pack.yamlsafe import Document, load_yaml
from threatmodel.resources import data_dir


def builtin_rules() -> Path:
    """The built-in pack shipped with threatmodel."""
    return data_dir("rules")


def load_packs(extra: Stack | list[Path] | tuple[Path, ...] = ()) -> Pack:
    """The built-in pack with each extra pack layered on top, fully cross-checked (or, when
    exactly these files were loaded before, taken from the pack cache)."""
    stack = extra if isinstance(extra, Stack) else Stack(tuple(extra))
    pack = _load_stack(list(stack.folders))
    if stack.origins:  # where git packs came from is not part of the cached pack: added here
        pack.packs = [replace(p, origin=stack.origins.get(p.path)) for p in pack.packs]
    return pack


def _load_stack(extra: list[Path]) -> Pack:
    # Resolved, so that paths in errors and in the cache do not depend on the working folder.
    folders = [builtin_rules().resolve(), *(_resolved(Path(f)) for f in extra)]
    digests = [(f, _digest(f)) for f in folders]
    cache_key = packcache.key(digests)
    cached = packcache.read(cache_key) if cache_key else None
    if cached is not None:
        try:
            return _from_cache(cached)
        except (KeyError, TypeError, ValueError):
            pass  # written by another version or damaged: load in full
    pack = _load(folders, dict(digests))
    if cache_key:
        packcache.write(cache_key, _to_cache(pack))
    return pack


def _resolved(folder: Path) -> Path:
    try:
        return folder.resolve()
    except (OSError, RuntimeError) as exc:
        raise InputError(folder, f"cannot be resolved: {exc}") from None


def _to_cache(pack: Pack) -> dict[str, Any]:
    return {
        "packs": [
            [p.name, p.version, p.sha256, str(p.path), list(p.overrides), list(p.disables)]
            for p in pack.packs
        ],
        "sections": packcache.dump_models(pack.sections),
        "questions": packcache.dump_models(pack.questions),
        "threats": packcache.dump_models(pack.threats),
        "conditions": packcache.dump_models(pack.conditions),
        "scoring": pack.scale.model_dump(mode="json", by_alias=True, exclude_none=True),
        "screening": pack.screening.model_dump(mode="json", by_alias=True, exclude_none=True)
        if pack.screening
        else None,
        "baselines": pack.baselines,
        "owner": pack.owner,
        "origin": {k: [str(p), line] for k, (p, line) in pack.origin.items()},
    }


def _from_cache(data: dict[str, Any]) -> Pack:
    return Pack(
        packs=[
            PackInfo(n, v, sha, Path(p), tuple(over), tuple(dis))
            for n, v, sha, p, over, dis in data["packs"]
        ],
        baselines=data["baselines"],
        owner=data["owner"],
        origin={k: (Path(p), line) for k, (p, line) in data["origin"].items()},
        **packcache.restore(data),
    )


@dataclass
class _Pending:
    """What is checked once every pack is in: a threat, a named condition or a screening may
    use a later pack's questions, and the scoring in force is the last pack's."""

    threats: list[tuple[Document, Threat]] = field(default_factory=list)
    named: list[tuple[Document, str]] = field(default_factory=list)
    screenings: list[tuple[Document, ScreeningFile]] = field(default_factory=list)
    scoring: Document | None = None


def _load(folders: list[Path], digests: dict[Path, str]) -> Pack:
    pack = Pack()
    pending = _Pending()
    for folder in folders:
        digest = digests.get(folder.resolve(), "")
        added, replaced = _add_pack(pack, folder, digest, pending)
        pending.threats = [(d, t) for d, t in pending.threats if t.id not in replaced] + added
    if pack.scoring is None or pending.scoring is None:
        raise InputError(None, "no pack declares scoring.yaml")
    packcheck.check_roles(pending.scoring, pack.scoring, pack.questions)
    for doc, name in pending.named:
        cond = pack.conditions[name]
        packcheck.check_condition(doc, ("conditions", name), cond, pack.testable, pack.depths)
    for doc, threat in pending.threats:
        packcheck.check_threat(pack, doc, threat)
    pack.screening = _merged_screening(pack, pending.screenings)
    return pack


def _merged_screening(
    pack: Pack, screenings: list[tuple[Document, ScreeningFile]]
) -> ScreeningFile | None:
    """Each pack's screening.yaml replaces only the parts it declares (wp248, ai_act,
    necessity, to_complete, review_triggers): a pack that adds its own WP248 wording keeps the
    built-in AI Act flags and necessity checks."""
    merged: ScreeningFile | None = None
    for doc, spec in screenings:
        packcheck.check_screening(pack, doc, spec)
        declared = {k: getattr(spec, k) for k in doc.data if k in ScreeningFile.model_fields}
        merged = spec if merged is None else merged.model_copy(update=declared)
    return merged


def _add_pack(
    pack: Pack,
    folder: Path,
    digest: str,
    pending: _Pending,
) -> tuple[list[tuple[Document, Threat]], set[str]]:
    """Add one pack's files; return its threats (to check once all packs are in) and the ids of
    earlier threats it overrides or disables."""
    manifest_doc = load_yaml(folder / "pack.yaml", folder)
    manifest = parse_model(Manifest, manifest_doc, manifest_doc.data)
    try:
        compatible = satisfies(__version__, manifest.engine)
    except ValueError as exc:
        raise manifest_doc.error(("engine",), f"engine: {exc}") from None
    if not compatible:
        raise manifest_doc.error(
            ("engine",),
            f"pack '{manifest.name}' needs engine {manifest.engine}; this is {__version__}",
        )
    info = PackInfo(
        manifest.name, manifest.version, digest, folder, manifest.overrides, manifest.disables
    )
    pack.packs.append(info)
    if (folder / "conditions.yaml").exists():
        pending.named += _add_conditions(pack, load_yaml(folder / "conditions.yaml", folder))
    if (folder / "questions.yaml").exists():
        _add_questions(pack, load_yaml(folder / "questions.yaml", folder), manifest.name)
    if (folder / "scoring.yaml").exists():
        doc = load_yaml(folder / "scoring.yaml", folder)
        pack.scoring = parse_model(Scoring, doc, doc.data)
        pack.owner["scoring"] = manifest.name
        pending.scoring = doc
    if (folder / "screening.yaml").exists():
        doc = load_yaml(folder / "screening.yaml", folder)
        pending.screenings.append((doc, parse_model(ScreeningFile, doc, doc.data)))
    if (folder / "baseline.yaml").exists():
        pack.baselines[manifest.name] = _baseline(load_yaml(folder / "baseline.yaml", folder), pack)
    replaced = _disable_and_release(pack, manifest, manifest_doc)
    added = [_add_threat(pack, load_yaml(path, folder)) for path in _threat_files(folder)]
    own = {threat.id for _, threat in added}
    for i, threat_id in enumerate(manifest.overrides):
        if threat_id not in own:
            message = f"overrides '{threat_id}' but has no threats/{threat_id}.yaml of its own"
            raise manifest_doc.error(("overrides", i), message)
    pack.owner.update({threat.id: manifest.name for _, threat in added})
    return added, replaced


def _disable_and_release(pack: Pack, manifest: Manifest, doc: Document) -> set[str]:
    """Remove the earlier threats this pack disables or overrides; each must exist."""
    for key in ("disables", "overrides"):
        for i, threat_id in enumerate(getattr(manifest, key)):
            if threat_id not in pack.threats:
                hint = did_you_mean(threat_id, pack.threats)
                raise doc.error((key, i), f"{key}: no earlier pack defines '{threat_id}'{hint}")
            del pack.threats[threat_id]
            pack.origin.pop(threat_id, None)
    return {*manifest.disables, *manifest.overrides}


KNOWN_FILES = {
    "pack.yaml",
    "questions.yaml",
    "conditions.yaml",
    "scoring.yaml",
    "screening.yaml",
    "baseline.yaml",
}


def _refuse_stray_files(folder: Path) -> None:
    """A misnamed file would be skipped and its rules silently missing: refuse it instead."""
    for path in sorted(folder.iterdir()):
        if path.suffix in (".yaml", ".yml") and path.name not in KNOWN_FILES:
            raise InputError(
                path,
                f"not a rule-pack file; expected one of {', '.join(sorted(KNOWN_FILES))}"
                " or threats/<id>.yaml",
            )
    for path in sorted((folder / "threats").glob("*.yml")):
        raise InputError(path, "threat files end in .yaml; rename it")
    for path in sorted(folder.iterdir()):
        if path.is_dir() and path.name == "i18n":
            _refuse_stray_translations(path)
        elif path.is_dir() and path.name != "threats" and any(path.rglob("*.y*ml")):
            raise InputError(path, "not a rule-pack folder; threats go in threats/<id>.yaml")
    for path in sorted((folder / "threats").glob("*/**/*.y*ml")):
        raise InputError(path, "threats go directly in threats/, one file each")


def _refuse_stray_translations(folder: Path) -> None:
    from threatmodel.locales import LANGUAGES

    for path in sorted(folder.rglob("*")):
        if path.suffix in (".yaml", ".yml") and (
            path.parent != folder or path.stem not in LANGUAGES[1:] or path.suffix != ".yaml"
        ):
            raise InputError(
                path, f"translations are i18n/<lang>.yaml, for lang in {', '.join(LANGUAGES[1:])}"
            )


def _threat_files(folder: Path) -> list[Path]:
    """threats/*.yaml in name order (names, not paths, are sorted: 10,000 of them add up)."""
    threats = folder / "threats"
    try:
        with os.scandir(threats) as entries:
            names = sorted(e.name for e in entries if e.name.endswith(".yaml"))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [threats / name for name in names]


def _check_folder(folder: Path) -> None:
    """A rule pack is a folder with a manifest and only rule-pack files; checked before any of
    it is read (so `--rules /` is refused at once, and a stray 3 GB file is never hashed)."""
    if not folder.is_dir():
        raise InputError(folder, "rule pack folder not found")
    if not (folder / "pack.yaml").exists() and not (folder / "pack.yaml").is_symlink():
        raise InputError(folder, "not a rule pack folder: it has no pack.yaml")
    _refuse_stray_files(folder)


def _digest(folder: Path) -> str:
    """sha256 over every rule file's relative path and bytes: changes whenever a rule changes.
    Each file is read through the bounded reader and must resolve inside the pack. The files
    are hashed again only when one's size or modification time changed since the last run."""
    _check_folder(folder)
    known = [folder / name for name in sorted(KNOWN_FILES)]
    files = [*(p for p in known if p.exists() or p.is_symlink()), *_threat_files(folder)]
    real = all_inside(folder, files)
    names = [f.name if f.parent == folder else f"threats/{f.name}" for f in files]
    stamp = packcache.stamp(folder, list(zip(names, real, strict=True)))
    remembered = packcache.remembered_digest(stamp)
    if remembered is not None:
        return remembered
    digest = hashlib.sha256()
    for name, resolved in zip(names, real, strict=True):
        digest.update(name.encode() + b"\0")
        digest.update(read_bounded(resolved, "a YAML file") + b"\0")
    packcache.remember_digest(stamp, digest.hexdigest())
    return digest.hexdigest()


def _add_questions(pack: Pack, doc: Document, owner: str) -> None:
    parsed = parse_model(QuestionsFile, doc, doc.data)
    for i, section in enumerate(parsed.sections):
        if section.id in pack.sections:
            raise doc.error(("sections", i, "id"), f"duplicate section id '{section.id}'")
        pack.sections[section.id] = section
    for i, question in enumerate(parsed.questions):
        loc: Loc = ("questions", i)
        if question.id in pack.questions:
            first = pack.origin[question.id]
            raise doc.error(
                (*loc, "id"),
                f"duplicate question id '{question.id}' (first in {first[0]}:{first[1]})",
            )
        if question.section not in pack.sections:
            hint = did_you_mean(question.section, pack.sections)
            raise doc.error((*loc, "id"), f"unknown section '{question.section}'{hint}")
        packcheck.check_worst_case(doc, loc, question)
        _check_branch(pack, doc, loc, question)
        pack.questions[question.id] = question
        pack.owner[question.id] = owner
        pack.origin[question.id] = (doc.path, doc.line_of((*loc, "id")))


def _check_branch(pack: Pack, doc: Document, loc: Loc, question: Question) -> None:
    if question.when is None:
        return
    at = (*loc, "when")
    # A branch may only look back: answers are asked and resolved in order.
    packcheck.check_condition(doc, at, question.when, pack.questions, pack.depths)
    for qid in questions_read(question.when, pack.conditions):
        if qid not in pack.questions:
            raise doc.error(
                at,
                f"{format_loc(at)}: uses {brief(qid, 60)} through a named condition; a branch "
                "may only use questions asked before it",
            )


def _add_conditions(pack: Pack, doc: Document) -> list[tuple[Document, str]]:
    """Named conditions, each usable as `{ref: name}` after its definition (so no cycles)."""
    parsed = parse_model(ConditionsFile, doc, doc.data)
    names = list(parsed.conditions)
    added = []
    for i, (name, cond) in enumerate(parsed.conditions.items()):
        if name in pack.conditions:
            raise doc.error(("conditions", name), f"duplicate condition name '{name}'")
        at: Loc = ("conditions", name)
        later = frozenset(names[i:])  # itself included: a condition cannot refer to itself
        pack.depths[name] = packcheck.check_refs(doc, at, cond, pack.depths, later)
        pack.conditions[name] = cond
        added.append((doc, name))
    return added


def _add_threat(pack: Pack, doc: Document) -> tuple[Document, Threat]:
    threat = parse_model(Threat, doc, doc.data)
    if threat.id in pack.threats:
        first = pack.origin[threat.id]
        raise doc.error(
            ("id",), f"duplicate threat id '{threat.id}' (first in {first[0]}:{first[1]})"
        )
    if doc.path.stem != threat.id:
        raise doc.error(
            ("id",), f"threat id '{threat.id}' must match its file name '{doc.path.name}'"
        )
    pack.threats[threat.id] = threat
    pack.origin[threat.id] = (doc.path, doc.line_of(("id",)))
    return doc, threat


def _baseline(doc: Document, pack: Pack) -> dict[str, Any]:
    """A baseline is an answers file (answers only); every answer is checked like a case's."""
    data = doc.data if isinstance(doc.data, dict) else {}
    unknown = sorted(str(k) for k in data if k not in ("threatmodel", "answers"))
    if unknown:
        raise doc.error(
            (unknown[0],), f"unknown key '{unknown[0]}' (expected threatmodel, answers)"
        )
    answers = data.get("answers")
    if not isinstance(answers, dict) or not all(isinstance(v, dict) for v in answers.values()):
        raise doc.error(("answers",), "baseline.yaml needs `answers:` with a mapping per section")
    flat = {f"{section}.{key}": v for section, keys in answers.items() for key, v in keys.items()}
    for qid, value in flat.items():
        section, key = qid.split(".", 1)
        loc = ("answers", section, key)
        question = packcheck.question_of(doc, loc, qid, pack.questions)
        try:
            coerce(question, value)
        except ValueError as exc:
            raise doc.error(loc, f"{qid}: {exc}") from None
    return flat
