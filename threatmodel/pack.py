"""Loading rule packs: parse every file, then check every cross-reference with its line."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from threatmodel import __version__, derived, packcache
from threatmodel.conditions import Condition, Leaf, allowed_operators, inline, leaves, refs
from threatmodel.errors import InputError, brief, did_you_mean
from threatmodel.model import format_loc, parse_model
from threatmodel.packmodels import (
    ConditionsFile,
    Manifest,
    Question,
    QuestionsFile,
    Scoring,
    ScreeningFile,
    Section,
    Threat,
)
from threatmodel.resources import data_dir
from threatmodel.values import UNKNOWN, coerce
from threatmodel.versions import satisfies
from threatmodel.yamlsafe import Document, Loc, load_yaml


@dataclass(frozen=True)
class PackInfo:
    """Provenance of one loaded pack."""

    name: str
    version: str
    sha256: str
    path: Path


@dataclass
class Pack:
    """One or more packs layered into a single questionnaire, catalogue and scoring."""

    packs: list[PackInfo] = field(default_factory=list)
    sections: dict[str, Section] = field(default_factory=dict)
    questions: dict[str, Question] = field(default_factory=dict)
    threats: dict[str, Threat] = field(default_factory=dict)
    conditions: dict[str, Condition] = field(default_factory=dict)
    scoring: Scoring | None = None
    screening: ScreeningFile | None = None
    baselines: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Pack name -> the answers its threats' test cases start from (`baseline.yaml`)."""
    owner: dict[str, str] = field(default_factory=dict)
    """Threat id -> the name of the pack that defines it."""
    origin: dict[str, tuple[Path, int | None]] = field(default_factory=dict)

    @property
    def baseline(self) -> dict[str, Any]:
        """The built-in pack's baseline."""
        return self.baselines.get(self.packs[0].name, {})

    def baseline_for(self, threat_id: str) -> dict[str, Any]:
        """The baseline of the pack that defines the threat, else the built-in one."""
        return self.baselines.get(self.owner.get(threat_id, ""), self.baseline)

    @property
    def testable(self) -> dict[str, Question]:
        """What threat and screening conditions may test: the questions and the derived facts."""
        return {**self.questions, **derived.questions()}

    @property
    def scale(self) -> Scoring:
        """The scoring in force (the built-in pack always has one)."""
        if self.scoring is None:  # pragma: no cover - load_packs refuses this
            raise InputError(None, "no pack declares scoring.yaml")
        return self.scoring


def builtin_rules() -> Path:
    """The built-in pack shipped with threatmodel."""
    return data_dir("rules")


def load_packs(extra: list[Path] | tuple[Path, ...] = ()) -> Pack:
    """The built-in pack with each extra pack layered on top, fully cross-checked (or, when
    exactly these files were loaded before, taken from the pack cache)."""
    folders = [builtin_rules(), *(Path(f) for f in extra)]
    digests = [(f.resolve(), _digest(f)) for f in folders if f.is_dir()]
    cache_key = packcache.key(digests) if len(digests) == len(folders) else None
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


def _to_cache(pack: Pack) -> dict[str, Any]:
    return {
        "packs": [[p.name, p.version, p.sha256, str(p.path)] for p in pack.packs],
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
        packs=[PackInfo(n, v, sha, Path(p)) for n, v, sha, p in data["packs"]],
        baselines=data["baselines"],
        owner=data["owner"],
        origin={k: (Path(p), line) for k, (p, line) in data["origin"].items()},
        **packcache.restore(data),
    )


def _load(folders: list[Path], digests: dict[Path, str]) -> Pack:
    pack = Pack()
    # Threats are checked once every pack is in, since a threat may use a later pack's questions.
    pending: list[tuple[Document, Threat]] = []
    named: list[tuple[Document, str]] = []
    screenings: list[tuple[Document, ScreeningFile]] = []
    for folder in folders:
        digest = digests.get(folder.resolve(), "")
        pending += _add_pack(pack, folder, digest, named, screenings)
    if pack.scoring is None:
        raise InputError(None, "no pack declares scoring.yaml")
    for doc, name in named:
        _check_condition(doc, ("conditions", name), pack.conditions[name], pack.testable)
    for doc, threat in pending:
        pack.threats[threat.id] = _check_threat(pack, doc, threat)
    if screenings:  # the last pack that declares a screening replaces the ones before it
        pack.screening = _check_screening(pack, *screenings[-1])
    return pack


def _add_pack(
    pack: Pack,
    folder: Path,
    digest: str,
    named: list[tuple[Document, str]],
    pending_screening: list[tuple[Document, ScreeningFile]],
) -> list[tuple[Document, Threat]]:
    if not folder.is_dir():
        raise InputError(folder, "rule pack folder not found")
    manifest_doc = load_yaml(folder / "pack.yaml")
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
    pack.packs.append(PackInfo(manifest.name, manifest.version, digest, folder))
    if (folder / "conditions.yaml").exists():
        named += _add_conditions(pack, load_yaml(folder / "conditions.yaml"))
    if (folder / "questions.yaml").exists():
        _add_questions(pack, load_yaml(folder / "questions.yaml"))
    if (folder / "scoring.yaml").exists():
        doc = load_yaml(folder / "scoring.yaml")
        pack.scoring = parse_model(Scoring, doc, doc.data)
    if (folder / "screening.yaml").exists():
        doc = load_yaml(folder / "screening.yaml")
        pending_screening.append((doc, parse_model(ScreeningFile, doc, doc.data)))
    if (folder / "baseline.yaml").exists():
        pack.baselines[manifest.name] = _baseline(load_yaml(folder / "baseline.yaml"), pack)
    _refuse_stray_files(folder)
    added = [
        _add_threat(pack, load_yaml(path)) for path in sorted((folder / "threats").glob("*.yaml"))
    ]
    pack.owner.update({threat.id: manifest.name for _, threat in added})
    return added


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


def _digest(folder: Path) -> str:
    """sha256 over every file's relative path and bytes: changes whenever any rule changes."""
    digest = hashlib.sha256()
    for path in sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml")
    ):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _add_questions(pack: Pack, doc: Document) -> None:
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
        _check_worst_case(doc, loc, question)
        pack.questions[question.id] = _inline_branch(pack, doc, loc, question)
        pack.origin[question.id] = (doc.path, doc.line_of((*loc, "id")))


def _inline_branch(pack: Pack, doc: Document, loc: Loc, question: Question) -> Question:
    if question.when is None:
        return question
    when = _inline(doc, (*loc, "when"), question.when, pack.conditions)
    # A branch may only look back: answers are asked and resolved in order.
    _check_condition(doc, (*loc, "when"), when, pack.questions)
    return question.model_copy(update={"when": when})


def _add_conditions(pack: Pack, doc: Document) -> list[tuple[Document, str]]:
    """Named conditions, each usable as `{ref: name}` after its definition (so no cycles)."""
    parsed = parse_model(ConditionsFile, doc, doc.data)
    added = []
    for name, cond in parsed.conditions.items():
        if name in pack.conditions:
            raise doc.error(("conditions", name), f"duplicate condition name '{name}'")
        pack.conditions[name] = _inline(doc, ("conditions", name), cond, pack.conditions)
        added.append((doc, name))
    return added


def _inline(doc: Document, at: Loc, cond: Condition, named: dict[str, Condition]) -> Condition:
    for ref, sub in refs(cond):
        if ref.ref not in named:
            loc = (*at, *sub, "ref")
            hint = did_you_mean(ref.ref, named)
            raise doc.error(
                loc, f"{format_loc(loc)}: unknown condition '{ref.ref}'{hint} (define it first)"
            )
    return inline(cond, named)


def _check_worst_case(doc: Document, loc: Loc, question: Question) -> None:
    if question.type == "text":
        return
    try:
        value = coerce(question, question.worst_case)
    except ValueError as exc:
        raise doc.error((*loc, "worst_case"), f"{question.id}: worst_case: {exc}") from None
    if value == UNKNOWN:
        raise doc.error((*loc, "worst_case"), f"{question.id}: worst_case cannot be unknown")


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
        question = _question(doc, loc, qid, pack.questions)
        try:
            coerce(question, value)
        except ValueError as exc:
            raise doc.error(loc, f"{qid}: {exc}") from None
    return flat


def _check_threat(pack: Pack, doc: Document, threat: Threat) -> Threat:
    """Check every reference of a threat; return it with named conditions inlined."""
    scale = pack.scale
    applies = _inline(doc, ("applies_when",), threat.applies_when, pack.conditions)
    _check_condition(doc, ("applies_when",), applies, pack.testable)
    factors = {}
    for name, levels in (("likelihood", scale.likelihood), ("severity", scale.severity)):
        factor = getattr(threat, name)
        _check_level(doc, (name, "base"), factor.base, levels)
        modifiers = []
        for i, mod in enumerate(factor.modifiers):
            loc: Loc = (name, "modifiers", i)
            when = _inline(doc, (*loc, "when"), mod.when, pack.conditions)
            _check_condition(doc, (*loc, "when"), when, pack.testable)
            modifiers.append(mod.model_copy(update={"when": when}))
            for key in ("at_least", "at_most"):
                if getattr(mod, key) is not None:
                    _check_level(doc, (*loc, key), getattr(mod, key), levels)
        factors[name] = factor.model_copy(update={"modifiers": tuple(modifiers)})
    if threat.severity.from_estimate:
        raise doc.error(("severity", "from_estimate"), "from_estimate applies to likelihood only")
    if threat.likelihood.from_estimate and threat.estimate is None:
        raise doc.error(("likelihood", "from_estimate"), "from_estimate needs `estimate:` set")
    for i, case in enumerate(threat.cases):
        _check_case(pack, doc, ("cases", i), case.answers, (case.min_risk, case.max_risk))
    return threat.model_copy(update={"applies_when": applies, **factors})


def _check_screening(pack: Pack, doc: Document, spec: ScreeningFile) -> ScreeningFile:
    """Check and inline every condition of the screening."""
    criteria = []
    for i, criterion in enumerate(spec.wp248.criteria):
        when = _inline(doc, ("wp248", "criteria", i, "when"), criterion.when, pack.conditions)
        _check_condition(doc, ("wp248", "criteria", i, "when"), when, pack.testable)
        criteria.append(criterion.model_copy(update={"when": when}))
    flags = []
    for i, flag in enumerate(spec.ai_act):
        when = _inline(doc, ("ai_act", i, "when"), flag.when, pack.conditions)
        _check_condition(doc, ("ai_act", i, "when"), when, pack.testable)
        flags.append(flag.model_copy(update={"when": when}))
    wp248 = spec.wp248.model_copy(update={"criteria": tuple(criteria)})
    return spec.model_copy(update={"wp248": wp248, "ai_act": tuple(flags)})


def _check_case(
    pack: Pack, doc: Document, loc: Loc, answers: dict[str, Any], risks: tuple[str | None, ...]
) -> None:
    for qid, value in answers.items():
        question = _question(doc, (*loc, "answers", qid), qid, pack.questions)
        try:
            coerce(question, value)
        except ValueError as exc:
            raise doc.error((*loc, "answers", qid), f"{qid}: {exc}") from None
    for key, risk in zip(("min_risk", "max_risk"), risks, strict=True):
        if risk is not None:
            _check_level(doc, (*loc, key), risk, pack.scale.risk)


def _check_level(doc: Document, loc: Loc, level: str, levels: tuple[str, ...]) -> None:
    if level not in levels:
        hint = did_you_mean(level, levels)
        raise doc.error(
            loc, f"{format_loc(loc)}: unknown level '{level}'{hint}; use {', '.join(levels)}"
        )


def _question(doc: Document, loc: Loc, qid: str, questions: dict[str, Question]) -> Question:
    if qid not in questions:
        hint = did_you_mean(qid, questions)
        raise doc.error(loc, f"{format_loc(loc)}: unknown question '{qid}'{hint}")
    return questions[qid]


def _check_condition(
    doc: Document, at: Loc, cond: Condition, questions: dict[str, Question]
) -> None:
    for leaf, sub in leaves(cond):
        loc = (*at, *sub)
        question = _question(doc, (*loc, "q"), leaf.q, questions)
        _check_leaf(doc, loc, leaf, question)


def _check_leaf(doc: Document, loc: Loc, leaf: Leaf, question: Question) -> None:
    ops = leaf.operators()
    where = format_loc(loc)
    if len(ops) != 1:
        raise doc.error(loc, f"{where}: a leaf needs exactly one operator, got {len(ops)}")
    op, operand = ops[0]
    allowed = allowed_operators(question.type)
    if op not in allowed:
        raise doc.error(
            loc,
            f"{where}: '{op}' does not apply to {question.type} question '{question.id}'; "
            f"use {', '.join(sorted(allowed))}",
        )
    values = operand if isinstance(operand, list) else [operand]
    for value in values:
        if question.type == "text" and not isinstance(value, str):
            raise doc.error(loc, f"{where}: '{question.id}' is text, got {brief(value)}")
        if question.type == "bool" and not isinstance(value, bool):
            raise doc.error(loc, f"{where}: '{question.id}' is true or false, got {value!r}")
        if question.type in ("choice", "multi") and value not in question.choice_values:
            hint = did_you_mean(str(value), question.choice_values)
            raise doc.error(
                (*loc, op), f"{where}.{op}: '{value}' is not a choice of '{question.id}'{hint}"
            )
