"""The questions the engine reads are declared by role in scoring.yaml: an organisation's pack
can point a role at its own question, and a role pointed at a missing or mistyped question is
an error with its line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import EXAMPLES, ROOT, Result

CELEBRITY = EXAMPLES / "spam-celebrity.yaml"
QUESTIONS = """\
sections:
  - {id: acme, title: Acme}
questions:
  - id: acme.attacker_drive
    text: How driven is the attacker?
    help: For example, high.
    type: choice
    choices:
      - {value: low, label: Low}
      - {value: medium, label: Medium}
      - {value: high, label: High}
    worst_case: high
"""


def _pack(tmp_path: Path, cli: Callable[..., Result], role: str) -> Path:
    pack = tmp_path / "acme"
    assert cli("rules", "init", pack).code == 0
    (pack / "questions.yaml").write_text(QUESTIONS)
    for stray in (pack / "threats").glob("*.yaml"):
        stray.unlink()
    scoring = (ROOT / "rules" / "scoring.yaml").read_text()
    (pack / "scoring.yaml").write_text(scoring + f"questions:\n  motivation: {role}\n")
    return pack


def test_a_pack_points_a_role_at_its_own_question(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    pack = _pack(tmp_path, cli, "acme.attacker_drive")
    answers = tmp_path / "a.yaml"
    text = CELEBRITY.read_text().replace("motivation: high", "motivation: low")
    answers.write_text(text + "  acme:\n    attacker_drive: high\n")
    result = cli("report", answers, "--rules", pack, "--format", "json")
    assert result.code == 0, result.err
    # The estimate reads the pack's question (high: a year's patience), not adversary.motivation.
    assert '"adversary_patience_days": 365.0' in result.out


def test_a_role_on_a_question_of_the_wrong_type_is_refused(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    pack = _pack(tmp_path, cli, "access.rate_limited")
    said = cli("report", CELEBRITY, "--rules", pack).err.strip()
    assert said.endswith(
        "questions.motivation: 'access.rate_limited' is a bool question; motivation needs choice"
    )
    assert f"{pack / 'scoring.yaml'}:" in said


def test_a_role_on_a_missing_question_is_refused(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    pack = _pack(tmp_path, cli, "acme.atacker_drive")
    said = cli("report", CELEBRITY, "--rules", pack).err.strip()
    assert said.endswith(
        "questions.motivation: no question 'acme.atacker_drive' (did you mean "
        "'acme.attacker_drive'?)"
    )
