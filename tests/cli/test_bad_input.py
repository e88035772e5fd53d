"""Broken answers files and rule packs: exit 2, nothing on stdout, one line on stderr.

CONTRACT.md section 1: invalid input exits 2 with "one line on standard error naming the file, the
line where known, and the offending id or value, never a traceback".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, Result
from threatmodel import __version__
from threatmodel.pack.load import builtin_rules
from threatmodel.pack.yamlsafe import MAX_BYTES

Cli = Callable[..., Result]
HEAD = "threatmodel: 1\nanswers:\n"
TAG = "is not allowed (only plain data is loaded)"
EXPOSURES = "public, authenticated, partners, internal, on_device, offline_batch"
OUTPUTS = "label, score, probability_vector, top_k, ranking, explanation, embedding"
LEVELS = "negligible, limited, significant, maximum"


def assert_refused(result: Result, path: Path | str, line: int | None, message: str) -> None:
    """Exit 2, empty stdout, and exactly `threatmodel: PATH[:LINE]: MESSAGE` on stderr."""
    where = f"{path}:{line}" if line else f"{path}"
    assert "Traceback" not in result.err
    assert result.out == "", result.out
    assert result.err == f"threatmodel: {where}: {message}\n"
    assert result.code == 2


def assert_one_error_line(result: Result) -> str:
    """Exit 2, empty stdout, one `threatmodel: ` line on stderr; returns that line."""
    assert "Traceback" not in result.err
    assert result.out == ""
    assert result.err.startswith("threatmodel: ")
    assert result.err.endswith("\n")
    assert result.err.count("\n") == 1, result.err
    assert result.code == 2
    return result.err.rstrip("\n")


# ================================================================ broken answers files


@dataclass(frozen=True)
class Broken:
    """An answers file's text, the line the error must name (None: no line) and the message."""

    text: str
    line: int | None
    message: str


ANSWERS_CASES = {
    # ---- ids and values
    "unknown-question-did-you-mean": Broken(
        HEAD + "  outputs:\n    exposd: [label]\n",
        4,
        "unknown question 'outputs.exposd' (did you mean 'outputs.exposed'?)",
    ),
    "unknown-section-did-you-mean": Broken(
        HEAD + "  system:\n    name: x\n  outptus:\n    exposed: [label]\n",
        5,
        "answers.outptus: unknown section 'outptus' (did you mean 'outputs'?)",
    ),
    "choice-value-did-you-mean": Broken(
        HEAD + "  access:\n    exposure: publik\n",
        4,
        f"access.exposure: 'publik' is not one of {EXPOSURES} (did you mean 'public'?)",
    ),
    "multi-value-did-you-mean": Broken(
        HEAD + "  outputs:\n    exposed:\n      - label\n      - scroe\n",
        4,
        f"outputs.exposed: 'scroe' is not one of {OUTPUTS} (did you mean 'score'?)",
    ),
    "multi-value-listed-twice": Broken(
        HEAD + "  outputs:\n    exposed: [label, label]\n",
        4,
        "outputs.exposed: a value is listed twice in [label, label]",
    ),
    "number-below-minimum": Broken(
        HEAD + "  training:\n    records: -5\n",
        4,
        "training.records: -5 is below the minimum 1",
    ),
    "number-above-maximum": Broken(
        HEAD + "  training:\n    generalisation_gap: 5\n",
        4,
        "training.generalisation_gap: 5 is above the maximum 1",
    ),
    # ---- wrong types
    "string-for-bool": Broken(
        HEAD + "  access:\n    rate_limited: 'yes'\n",
        4,
        "access.rate_limited: expected true, false or unknown, got 'yes'",
    ),
    "number-for-bool": Broken(
        HEAD + "  access:\n    rate_limited: 1\n",
        4,
        "access.rate_limited: expected true, false or unknown, got 1",
    ),
    "text-for-number": Broken(
        HEAD + "  training:\n    records: lots\n",
        4,
        "training.records: expected a number such as 10000000, 1e7, 10,000,000 or 10M, got 'lots'",
    ),
    "list-for-number": Broken(
        HEAD + "  training:\n    records: [1]\n",
        4,
        "training.records: expected a number, got [1]",
    ),
    "bool-for-number": Broken(
        HEAD + "  population:\n    size: true\n",
        4,
        "population.size: expected a number, got True",
    ),
    "string-for-multi": Broken(
        HEAD + "  outputs:\n    exposed: label\n",
        4,
        "outputs.exposed: expected a list such as [label], got 'label'",
    ),
    "list-for-text": Broken(
        HEAD + "  system:\n    name: [a, b]\n",
        4,
        "system.name: expected text, got [a, b]",
    ),
    "mapping-for-section": Broken(
        HEAD + "  system: 5\n",
        3,
        "answers.system: Input should be a valid dictionary, got 5",
    ),
    # ---- the file's own structure
    "unknown-top-level-key": Broken(
        "threatmodel: 1\nanswer:\n  system:\n    name: x\n",
        2,
        "answer: unknown key 'answer' "
        "(expected one of: acceptances, answers, measures, provenance, signoffs, threatmodel)",
    ),
    "wrong-version": Broken(
        "threatmodel: 2\nanswers: {}\n", 1, "format version 2 is not supported; use 1"
    ),
    "version-as-string": Broken(
        "# a comment\nthreatmodel: '1'\n", 2, "format version '1' is not supported; use 1"
    ),
    "missing-version": Broken(
        "answers:\n  system:\n    name: x\n", 1, "missing required key 'threatmodel'"
    ),
    "not-a-mapping": Broken(
        "- threatmodel\n- 1\n", 1, "expected a mapping with `threatmodel: 1` and `answers:`"
    ),
    "empty-file": Broken("", None, "expected a mapping with `threatmodel: 1` and `answers:`"),
    # ---- unsafe or malformed YAML
    "malformed-yaml": Broken(
        HEAD + "  system:\n    name: 'SMS spam filter\n",
        5,
        "invalid YAML: found unexpected end of stream",
    ),
    "python-object-tag": Broken(
        HEAD + "  system:\n    name: !!python/object/apply:os.system ['echo pwned']\n",
        4,
        f"YAML tag '!!python/object/apply:os.system' {TAG}",
    ),
    "python-name-tag": Broken(
        HEAD + "  system:\n    name: !!python/name:os.system ''\n",
        4,
        f"YAML tag '!!python/name:os.system' {TAG}",
    ),
    "custom-tag": Broken(HEAD + "  system:\n    name: !secret x\n", 4, f"YAML tag '!secret' {TAG}"),
    "duplicate-top-level-key": Broken(
        "threatmodel: 1\nanswers: {}\nthreatmodel: 1\n", 3, "duplicate key 'threatmodel'"
    ),
    "duplicate-nested-key": Broken(
        HEAD + "  system:\n    name: a\n    purpose: b\n    name: c\n",
        6,
        "duplicate key 'name'",
    ),
    "anchor": Broken(
        HEAD + "  system: &sys\n    name: a\n",
        3,
        "YAML anchor '&sys' is not allowed; write the value out",
    ),
    "alias": Broken(
        HEAD + "  system:\n    name: a\n  access: *sys\n",
        5,
        "YAML alias '*sys' is not allowed; write the value out",
    ),
    "alias-bomb": Broken(
        "threatmodel: 1\n"
        'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
        "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
        2,
        "YAML anchor '&a' is not allowed; write the value out",
    ),
    "deep-nesting": Broken(
        HEAD + "  system:\n    name: " + "[" * 80 + "]" * 80 + "\n",
        4,
        "nesting deeper than 64 levels",
    ),
    "two-documents": Broken(
        "threatmodel: 1\nanswers: {}\n---\nthreatmodel: 1\n",
        3,
        "more than one YAML document in the file",
    ),
    # ---- decisions
    "measure-unknown-threat": Broken(
        "threatmodel: 1\nanswers: {}\nmeasures:\n"
        "  - threat: input-enumeraton\n    measure: rate-limit\n    status: planned\n",
        4,
        "measures[0].threat: unknown threat 'input-enumeraton' (did you mean 'input-enumeration'?)",
    ),
    "measure-unknown-mitigation": Broken(
        "threatmodel: 1\nmeasures:\n"
        "  - threat: location-disclosure\n    measure: uniform-responses\n    status: planned\n",
        4,
        "measures[0].measure: 'uniform-responses' is not a mitigation of 'location-disclosure' "
        "(did you mean 'uniform-response'?); for a measure of your own, give `reduces:`",
    ),
    "measure-bad-status": Broken(
        "threatmodel: 1\nmeasures:\n"
        "  - threat: location-disclosure\n    measure: uniform-response\n    status: done\n",
        5,
        "measures[0].status: Input should be 'planned' or 'implemented', got 'done'",
    ),
    "measure-unknown-key": Broken(
        "threatmodel: 1\nmeasures:\n  - threat: location-disclosure\n"
        "    measure: uniform-response\n    status: planned\n    owners: Risk\n",
        6,
        "measures[0].owners: unknown key 'owners' "
        "(expected one of: due, measure, owner, reduces, status, threat)",
    ),
    "acceptance-unknown-threat": Broken(
        "threatmodel: 1\nacceptances:\n  - threat: location-disclosur\n    justification: j\n"
        "    approved_by: DPO\n    expires: 2027-06-30\n",
        3,
        "acceptances[0].threat: unknown threat 'location-disclosur' "
        "(did you mean 'location-disclosure'?)",
    ),
    "acceptance-missing-key": Broken(
        "threatmodel: 1\nacceptances:\n  - threat: location-disclosure\n    justification: j\n"
        "    expires: 2027-06-30\n",
        3,
        "acceptances[0]: missing required key 'approved_by'",
    ),
    "acceptance-impossible-date": Broken(
        "threatmodel: 1\nacceptances:\n  - threat: location-disclosure\n    justification: j\n"
        "    approved_by: DPO\n    expires: 2027-02-30\n",
        6,
        "cannot read '2027-02-30' as timestamp: day is out of range for month",
    ),
}


@pytest.mark.parametrize("case", ANSWERS_CASES.values(), ids=ANSWERS_CASES.keys())
def test_broken_answers_file(cli: Cli, tmp_path: Path, case: Broken) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(case.text, encoding="utf-8")
    assert_refused(cli("report", path), path, case.line, case.message)


def test_list_for_a_choice(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(HEAD + "  access:\n    exposure: [public]\n", encoding="utf-8")
    line = assert_one_error_line(cli("report", path))
    assert line.startswith(f"threatmodel: {path}:4: access.exposure: ")
    assert line.endswith(f"access.exposure: expected one of {EXPOSURES}, got [public]")


def _binary(path: Path) -> None:
    path.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0")


def _latin1(path: Path) -> None:
    path.write_bytes("threatmodel: 1\nanswers:\n  system:\n    name: Café\n".encode("latin-1"))


def _huge(path: Path) -> None:
    with path.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse, so instant; refused before it is read


def _directory(path: Path) -> None:
    path.mkdir()


def _missing(path: Path) -> None:
    pass


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(_binary, "binary file, not YAML text", id="binary-file"),
        pytest.param(_latin1, "not UTF-8 text (byte 47)", id="not-utf8"),
        pytest.param(
            _huge, f"file is {MAX_BYTES + 1:,} bytes; the limit is {MAX_BYTES:,}", id="huge-file"
        ),
        pytest.param(_directory, "is a directory, not a YAML file", id="directory"),
        pytest.param(_missing, "no such file", id="missing-file"),
    ],
)
def test_unreadable_answers_file(
    cli: Cli, tmp_path: Path, make: Callable[[Path], None], message: str
) -> None:
    path = tmp_path / "answers.yaml"
    make(path)
    assert_refused(cli("report", path), path, None, message)


def test_control_character_is_one_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_bytes(HEAD.encode() + b"  system:\n    name: a\x01b\n")
    line = assert_one_error_line(cli("report", path))
    assert line.startswith(f"threatmodel: {path}:4: ")


@pytest.mark.parametrize("version", ["true", "1.0"])
def test_version_must_be_the_integer_one(cli: Cli, tmp_path: Path, version: str) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(f"threatmodel: {version}\n", encoding="utf-8")
    line = assert_one_error_line(cli("report", path))
    assert line.startswith(f"threatmodel: {path}:1: ")


def test_strict_names_the_missing_question(cli: Cli, tmp_path: Path) -> None:
    text = (EXAMPLES / "spam-by-country.yaml").read_text(encoding="utf-8")
    purpose = "    purpose: Block messages originating from countries with high spam volume\n"
    assert purpose in text
    path = tmp_path / "answers.yaml"
    path.write_text(text.replace(purpose, ""), encoding="utf-8")
    assert cli("report", path).code == 0  # without --strict the worst case is assumed
    line = assert_one_error_line(cli("report", path, "--strict"))
    assert line == f"threatmodel: {path}: missing answer to 'system.purpose' and 3 more (--strict)"
    line = assert_one_error_line(cli("check", path, "--strict"))
    assert line == f"threatmodel: {path}: missing answer to 'system.purpose' and 3 more (--strict)"


def test_strict_counts_the_other_missing_answers(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(HEAD + "  system:\n    name: x\n", encoding="utf-8")
    line = assert_one_error_line(cli("report", path, "--strict"))
    assert line.startswith(f"threatmodel: {path}: missing answer to 'system.purpose' and ")
    assert line.endswith(" more (--strict)")


@pytest.mark.parametrize(
    "case_id", ["unknown-question-did-you-mean", "alias-bomb", "measure-unknown-threat"]
)
def test_check_refuses_the_same_answers(cli: Cli, tmp_path: Path, case_id: str) -> None:
    case = ANSWERS_CASES[case_id]
    path = tmp_path / "answers.yaml"
    path.write_text(case.text, encoding="utf-8")
    assert_refused(cli("check", path, "--fail-on", "critical"), path, case.line, case.message)


# ================================================================ broken rule packs

MANIFEST = 'name: acme\nversion: 1.0.0\nengine: ">=0.1,<1"\ndescription: Acme additions.\n'
QUESTIONS = """\
sections:
  - id: acme
    title: Acme
questions:
  - id: acme.vendor
    type: choice
    text: Who runs the model?
    help: A vendor that runs the model sees every input.
    choices:
      - {value: inhouse, label: In house}
      - {value: thirdparty, label: A third party}
    worst_case: thirdparty
"""
THREAT = """\
id: vendor-leak
title: The vendor sees every input
summary: A third party receives what callers send about people.
description: Every input, identifiers included, is sent to the vendor that hosts the model.
applies_when:
  all:
    - {q: acme.vendor, is: thirdparty}
    - {q: inputs.kinds, any_of: [identifier]}
likelihood:
  base: limited
severity:
  base: significant
  modifiers:
    - when: {q: outputs.logged, is: true}
      raise: 1
      because: The vendor keeps logs of inputs.
mitigations:
  - id: bring-in-house
    title: Run the model in house
    description: Host the model yourself, so no third party sees the inputs.
  - id: processing-agreement
    title: Sign a processing agreement
    description: Bind the vendor to delete inputs after use.
references:
  gdpr: [Art. 28]
cases:
  - name: a vendor receives identifiers
    answers: {acme.vendor: thirdparty, inputs.kinds: [identifier]}
    applies: true
    min_risk: medium
  - name: run in house
    answers: {acme.vendor: inhouse}
    applies: false
"""
THREAT_FILE = "threats/vendor-leak.yaml"
NUMBER_LEAF = "{q: training.records, any_of: [a]}"
PYTHON_TAG = "!!python/object/apply:os.system"
BUILTIN = builtin_rules()


def _builtin_line(relative: str, text: str) -> int:
    lines = (BUILTIN / relative).read_text(encoding="utf-8").splitlines()
    return lines.index(text) + 1


def write_pack(folder: Path, files: dict[str, str | None]) -> Path:
    """A valid pack, with `files` (relative path -> text, or None to leave out) replacing it."""
    content: dict[str, str | None] = {
        "pack.yaml": MANIFEST,
        "questions.yaml": QUESTIONS,
        THREAT_FILE: THREAT,
        **files,
    }
    for relative, text in content.items():
        if text is not None:
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_text(text, encoding="utf-8")
    return folder


def edit(text: str, old: str, new: str) -> str:
    """`text` with the first `old` replaced (which must be there: a stale edit fails loudly)."""
    assert old in text, old
    return text.replace(old, new, 1)


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text("threatmodel: 1\nanswers:\n  system:\n    name: x\n", encoding="utf-8")
    return path


def test_the_base_pack_is_valid(cli: Cli, tmp_path: Path, answers: Path) -> None:
    """Each broken pack below differs from this one by one edit."""
    pack = write_pack(tmp_path / "acme", {})
    assert cli("report", answers, "--rules", pack).code == 0
    assert cli("rules", "lint", pack).code == 0
    result = cli("rules", "test", pack)
    assert result.code == 0, result.out
    assert "vendor-leak                             1/1       1/1         1/1" in result.out


@dataclass(frozen=True)
class BrokenPack:
    """The files that differ from the valid pack, where the error must point, and its message."""

    files: dict[str, str | None]
    file: str  # the file the error names, relative to the pack folder
    line: int | None
    message: str


PACK_CASES = {
    # ---- conditions
    "condition-unknown-question-did-you-mean": BrokenPack(
        {THREAT_FILE: edit(THREAT, "q: acme.vendor, is", "q: acme.vendr, is")},
        THREAT_FILE,
        7,
        "applies_when.all[0].q: unknown question 'acme.vendr' (did you mean 'acme.vendor'?)",
    ),
    "modifier-unknown-builtin-question": BrokenPack(
        {THREAT_FILE: edit(THREAT, "q: outputs.logged", "q: outputs.loged")},
        THREAT_FILE,
        14,
        "severity.modifiers[0].when.q: unknown question 'outputs.loged' "
        "(did you mean 'outputs.logged'?)",
    ),
    "value-outside-pack-choices": BrokenPack(
        {THREAT_FILE: edit(THREAT, "is: thirdparty}", "is: thirdpart}")},
        THREAT_FILE,
        7,
        "applies_when.all[0].is: 'thirdpart' is not a choice of 'acme.vendor' "
        "(did you mean 'thirdparty'?)",
    ),
    "value-outside-builtin-choices": BrokenPack(
        {THREAT_FILE: edit(THREAT, "any_of: [identifier]", "any_of: [identifer]")},
        THREAT_FILE,
        8,
        "applies_when.all[1].any_of: 'identifer' is not a choice of 'inputs.kinds' "
        "(did you mean 'identifier'?)",
    ),
    "gt-on-a-bool": BrokenPack(
        {THREAT_FILE: edit(THREAT, "{q: outputs.logged, is: true}", "{q: outputs.logged, gt: 1}")},
        THREAT_FILE,
        14,
        "severity.modifiers[0].when: 'gt' does not apply to bool question 'outputs.logged'; use is",
    ),
    "any-of-on-a-number": BrokenPack(
        {THREAT_FILE: edit(THREAT, "{q: outputs.logged, is: true}", NUMBER_LEAF)},
        THREAT_FILE,
        14,
        "severity.modifiers[0].when: 'any_of' does not apply to number question "
        "'training.records'; use gt, gte, lt, lte",
    ),
    "text-for-a-bool": BrokenPack(
        {THREAT_FILE: edit(THREAT, "{q: outputs.logged, is: true}", "{q: outputs.logged, is: x}")},
        THREAT_FILE,
        14,
        "severity.modifiers[0].when: 'outputs.logged' is true or false, got 'x'",
    ),
    "two-operators": BrokenPack(
        {THREAT_FILE: edit(THREAT, "is: true}", "is: true, none_of: [x]}")},
        THREAT_FILE,
        14,
        "severity.modifiers[0].when: a leaf needs exactly one operator, got 2",
    ),
    # ---- levels
    "unknown-level-in-modifier": BrokenPack(
        {THREAT_FILE: edit(THREAT, "raise: 1", "at_least: hgih")},
        THREAT_FILE,
        15,
        f"severity.modifiers[0].at_least: unknown level 'hgih'; use {LEVELS}",
    ),
    "unknown-base-level-did-you-mean": BrokenPack(
        {THREAT_FILE: edit(THREAT, "base: limited", "base: limted")},
        THREAT_FILE,
        10,
        f"likelihood.base: unknown level 'limted' (did you mean 'limited'?); use {LEVELS}",
    ),
    "unknown-risk-in-case": BrokenPack(
        {THREAT_FILE: edit(THREAT, "min_risk: medium", "min_risk: severe")},
        THREAT_FILE,
        30,
        "cases[0].min_risk: unknown level 'severe'; use low, medium, high, critical",
    ),
    "case-unknown-question": BrokenPack(
        {THREAT_FILE: edit(THREAT, "{acme.vendor: inhouse}", "{acme.vendr: inhouse}")},
        THREAT_FILE,
        32,
        "cases[1].answers.acme.vendr: unknown question 'acme.vendr' (did you mean 'acme.vendor'?)",
    ),
    # ---- ids and files
    "duplicate-threat-id-with-builtin": BrokenPack(
        {
            "threats/location-disclosure.yaml": edit(
                THREAT, "id: vendor-leak", "id: location-disclosure"
            )
        },
        "threats/location-disclosure.yaml",
        1,
        "duplicate threat id 'location-disclosure' "
        f"(first in {BUILTIN / 'threats' / 'location-disclosure.yaml'}:1)",
    ),
    "duplicate-question-id-with-builtin": BrokenPack(
        {
            "questions.yaml": QUESTIONS
            + "  - id: outputs.logged\n    type: bool\n    text: Logged?\n    help: h\n"
            "    worst_case: true\n"
        },
        "questions.yaml",
        13,
        "duplicate question id 'outputs.logged' (first in "
        f"{BUILTIN / 'questions.yaml'}:"
        f"{_builtin_line('questions.yaml', '  - id: outputs.logged')})",
    ),
    "question-in-unknown-section": BrokenPack(
        {"questions.yaml": edit(QUESTIONS, "id: acme.vendor", "id: acmee.vendor")},
        "questions.yaml",
        5,
        "unknown section 'acmee' (did you mean 'acme'?)",
    ),
    "threat-id-not-its-file-name": BrokenPack(
        {THREAT_FILE: edit(THREAT, "id: vendor-leak", "id: vendor-leaks")},
        THREAT_FILE,
        1,
        "threat id 'vendor-leaks' must match its file name 'vendor-leak.yaml'",
    ),
    "unknown-key-in-threat": BrokenPack(
        {THREAT_FILE: edit(THREAT, "references:", "refrences:")},
        THREAT_FILE,
        24,
        "refrences: unknown key 'refrences' (expected one of: applies_when, cases, deprecated, "
        "description, estimate, id, in_this_system, likelihood, mitigations, needs, references, "
        "severity, summary, title)",
    ),
    # ---- manifest
    "engine-range-not-satisfied": BrokenPack(
        {"pack.yaml": edit(MANIFEST, '">=0.1,<1"', '">=2"')},
        "pack.yaml",
        3,
        f"pack 'acme' needs engine >=2; this is {__version__}",
    ),
    "engine-range-unreadable": BrokenPack(
        {"pack.yaml": edit(MANIFEST, '">=0.1,<1"', '"^0.1"')},
        "pack.yaml",
        3,
        "engine: cannot read version range '^0.1' (PEP 440, e.g. >=0.1,<1)",
    ),
    "manifest-missing": BrokenPack(
        {"pack.yaml": None}, ".", None, "not a rule pack folder: it has no pack.yaml"
    ),
    # ---- unsafe YAML in a rule file
    "custom-tag-in-threat": BrokenPack(
        {THREAT_FILE: edit(THREAT, "title: The", "title: !foo The")},
        THREAT_FILE,
        2,
        f"YAML tag '!foo' {TAG}",
    ),
    "python-tag-in-manifest": BrokenPack(
        {"pack.yaml": edit(MANIFEST, "description: ", "description: " + PYTHON_TAG + " ")},
        "pack.yaml",
        4,
        f"YAML tag '!!python/object/apply:os.system' {TAG}",
    ),
    "anchor-in-questions": BrokenPack(
        {"questions.yaml": edit(QUESTIONS, "    choices:", "    choices: &c")},
        "questions.yaml",
        9,
        "YAML anchor '&c' is not allowed; write the value out",
    ),
    "duplicate-key-in-threat": BrokenPack(
        {THREAT_FILE: edit(THREAT, "  base: significant\n", "  base: significant\n  base: high\n")},
        THREAT_FILE,
        13,
        "duplicate key 'base'",
    ),
}


@pytest.mark.parametrize("case", PACK_CASES.values(), ids=PACK_CASES.keys())
def test_broken_rule_pack(cli: Cli, tmp_path: Path, answers: Path, case: BrokenPack) -> None:
    pack = write_pack(tmp_path / "acme", case.files)
    path = pack / case.file
    assert_refused(cli("report", answers, "--rules", pack), path, case.line, case.message)


def test_duplicate_threat_message_names_both_files(cli: Cli, tmp_path: Path, answers: Path) -> None:
    case = PACK_CASES["duplicate-threat-id-with-builtin"]
    pack = write_pack(tmp_path / "acme", case.files)
    line = assert_one_error_line(cli("report", answers, "--rules", pack))
    assert str(pack / "threats" / "location-disclosure.yaml") in line
    assert str(BUILTIN / "threats" / "location-disclosure.yaml") in line


def test_missing_pack_folder(cli: Cli, tmp_path: Path, answers: Path) -> None:
    folder = tmp_path / "no-such-pack"
    assert_refused(
        cli("report", answers, "--rules", folder), folder, None, "rule pack folder not found"
    )


@pytest.mark.parametrize(
    "case_id",
    ["condition-unknown-question-did-you-mean", "engine-range-not-satisfied"],
)
@pytest.mark.parametrize(
    "command",
    [
        pytest.param(("check", "{answers}", "--rules", "{pack}"), id="check"),
        pytest.param(("rules", "lint", "{pack}"), id="rules-lint"),
        pytest.param(("rules", "test", "{pack}"), id="rules-test"),
        pytest.param(("rules", "list", "--rules", "{pack}"), id="rules-list"),
        pytest.param(("questions", "--rules", "{pack}"), id="questions"),
    ],
)
def test_every_command_refuses_a_broken_pack(
    cli: Cli, tmp_path: Path, answers: Path, case_id: str, command: tuple[str, ...]
) -> None:
    case = PACK_CASES[case_id]
    pack = write_pack(tmp_path / "acme", case.files)
    args = [a.format(answers=answers, pack=pack) for a in command]
    assert_refused(cli(*args), pack / case.file, case.line, case.message)
