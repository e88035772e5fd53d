"""The answers file: loading, validating every answer against its question, with lines."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from threatmodel.errors import did_you_mean
from threatmodel.language.model import parse_model
from threatmodel.language.types import coerce, type_of
from threatmodel.pack.answersfile import FORMAT_VERSION, Answers, AnswersFile, Measure
from threatmodel.pack.layered import Pack
from threatmodel.pack.yamlsafe import Document, load_yaml


def load_answers(path: Path, pack: Pack) -> Answers:
    """Load and validate an answers file against the layered pack."""
    return answers_from_document(load_yaml(path), pack)


def answers_from_document(doc: Document, pack: Pack) -> Answers:
    """Validate a parsed answers file against the layered pack."""
    path = doc.path
    if not isinstance(doc.data, dict):
        raise doc.error((), "expected a mapping with `threatmodel: 1` and `answers:`")
    version = doc.data.get("threatmodel", FORMAT_VERSION)
    if type(version) is not int or version != FORMAT_VERSION:  # true and 1.0 are not 1
        raise doc.error(
            ("threatmodel",), f"format version {doc.data['threatmodel']!r} is not supported; use 1"
        )
    parsed = parse_model(AnswersFile, doc, doc.data)
    given = _given(doc, parsed, pack)
    _check_decisions(doc, parsed, pack)
    sha = hashlib.sha256(doc.text.encode()).hexdigest()
    lines = {
        f"{section}.{key}": doc.lines[("answers", section, key)]
        for section, keys in parsed.answers.items()
        for key in keys or {}
        if ("answers", section, key) in doc.lines
    }
    return Answers(
        path=path, sha256=sha, given=given, file=parsed, raw=doc.data, text=doc.text, lines=lines
    )


def answers_from_mapping(pack: Pack, flat: dict[str, Any]) -> dict[str, Any]:
    """Validate `section.key: value` pairs (cases, baselines); ValueError on the first bad one."""
    result = {}
    for qid, value in flat.items():
        if qid not in pack.questions:
            raise ValueError(f"unknown question '{qid}'{did_you_mean(qid, pack.questions)}")
        result[qid] = coerce(pack.questions[qid], value)
    return result


def _given(doc: Document, parsed: AnswersFile, pack: Pack) -> dict[str, Any]:
    given: dict[str, Any] = {}
    sections = {q.section for q in pack.questions.values()}
    for section, keys in parsed.answers.items():
        if section not in sections:
            hint = did_you_mean(section, sections)
            raise doc.error(
                ("answers", section), f"answers.{section}: unknown section '{section}'{hint}"
            )
        for key, value in (keys or {}).items():
            qid = f"{section}.{key}"
            loc = ("answers", section, key)
            if qid not in pack.questions:
                hint = did_you_mean(qid, pack.questions)
                raise doc.error(loc, f"unknown question '{qid}'{hint}")
            question = pack.questions[qid]
            typed = value
            if type_of(question).keeps_typed_text and loc in doc.sources:
                typed = doc.sources[loc]  # `name: NO` is Norway, not false; `0755` stays 0755
            try:
                given[qid] = coerce(question, typed)
            except ValueError as exc:
                raise doc.error(loc, f"{qid}: {exc}") from None
    return given


def _check_decisions(doc: Document, parsed: AnswersFile, pack: Pack) -> None:
    entries = [("measures", m.threat, i) for i, m in enumerate(parsed.measures)]
    entries += [("acceptances", a.threat, i) for i, a in enumerate(parsed.acceptances)]
    for kind, threat, i in entries:
        if threat not in pack.threats:
            hint = did_you_mean(threat, pack.threats)
            raise doc.error(
                (kind, i, "threat"), f"{kind}[{i}].threat: unknown threat '{threat}'{hint}"
            )
    for i, measure in enumerate(parsed.measures):
        _check_measure(doc, i, measure, pack)
    seen: dict[str, int] = {}
    for i, acceptance in enumerate(parsed.acceptances):
        if acceptance.threat in seen:
            first = doc.line_of(("acceptances", seen[acceptance.threat]))
            raise doc.error(
                ("acceptances", i, "threat"),
                f"acceptances[{i}]: '{acceptance.threat}' is already accepted (line {first}); "
                "keep one acceptance per threat",
            )
        seen[acceptance.threat] = i


def _check_measure(doc: Document, i: int, measure: Measure, pack: Pack) -> None:
    """A pack mitigation has its declared effect; a measure of one's own must state its effect."""
    known = [m.id for m in pack.threats[measure.threat].mitigations]
    loc = ("measures", i, "measure")
    if measure.measure in known:
        if measure.reduces is not None:
            raise doc.error(
                ("measures", i, "reduces"),
                f"measures[{i}]: '{measure.measure}' is a mitigation of the pack with a declared "
                "effect; remove `reduces:` (or describe a measure of your own in words)",
            )
        return
    if measure.reduces is None:
        hint = did_you_mean(measure.measure, known)
        raise doc.error(
            loc,
            f"measures[{i}].measure: '{measure.measure}' is not a mitigation of "
            f"'{measure.threat}'{hint}; for a measure of your own, give `reduces:`",
        )


KEPT = ("measures", "acceptances", "signoffs")
"""The parts of an answers file the interview keeps as they were written."""

HEADER = (
    "# threatmodel answers file. Keep it in git next to the model; `threatmodel report` reads it.\n"
    "# Any answer may be `unknown`: its worst case is then assumed and listed in the report.\n"
)


def leading_comments(text: str) -> str:
    """The comment lines at the top of an answers file (a yaml-language-server modeline, a note
    about the system), kept when the interview rewrites it."""
    lines = []
    for line in text.splitlines(keepends=True):
        if not line.startswith("#"):
            break
        lines.append(line)
    return "".join(lines)


def dump_answers(
    pack: Pack,
    given: dict[str, Any],
    extra: dict[str, Any],
    provenance: dict[str, Any],
    header: str = HEADER,
) -> str:
    """The answers file text: answers nested by section in questionnaire order, then decisions
    (`measures`, `acceptances`, kept as they were written) and provenance."""
    import yaml

    nested: dict[str, dict[str, Any]] = {}
    for qid, question in pack.questions.items():
        if qid in given:
            key = qid.split(".", 1)[1]
            nested.setdefault(question.section, {})[key] = given[qid]
    data: dict[str, Any] = {"threatmodel": FORMAT_VERSION, "answers": nested}
    data.update({k: v for k, v in extra.items() if k in KEPT})
    data["provenance"] = provenance
    body = yaml.dump(data, Dumper=dumper(), sort_keys=False, allow_unicode=True, width=100)
    return (header or HEADER) + body


def dumper() -> type[Any]:
    """A safe dumper that writes block mappings, and lists of plain values on one line
    (`exposed: [label, score]`), as people write answers files by hand."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
        flow = all(not isinstance(item, dict | list) for item in data)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)

    Dumper.add_representer(list, represent_list)
    return Dumper
