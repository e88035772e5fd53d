"""The DPO's sign-off recorded in the answers file and kept honest: `check --require-signoff`
passes while the assessment is as it was signed, fails and names what changed once an answer
changes, and a rejection is not an approval."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.conftest import EXAMPLES, Result

TURBINE = EXAMPLES / "turbine-fault-detector.yaml"


def _signed(cli: Callable[..., Result], tmp_path: Path, *options: str) -> Path:
    path = tmp_path / "threat-assessment.yaml"
    shutil.copyfile(TURBINE, path)
    result = cli("signoff", path, "--by", "Dana Dupont", "--role", "dpo", *options)
    assert result.code == 0, result.err
    return path


def test_a_sign_off_holds_until_an_answer_changes(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    path = _signed(cli, tmp_path, "--note", "Review after the next retraining")
    original = TURBINE.read_text()
    assert path.read_text().startswith(original.rstrip("\n"))  # everything else as it was
    signed = yaml.safe_load(path.read_text())["signoffs"][0]
    assert (signed["role"], signed["by"], signed["decision"]) == ("dpo", "Dana Dupont", "accepted")
    assert len(signed["sha256"]) == 64
    assert cli("check", path, "--require-signoff", "dpo").code == 0
    missing = cli("check", path, "--require-signoff", "owner")
    assert missing.code == 1
    assert "FAIL sign-off: no sign-off by the owner" in missing.out
    text = path.read_text()
    answers_part, rest = text.split("signoffs:", 1)
    changed = answers_part.replace("exposure: public", "exposure: internal")
    assert changed != answers_part
    path.write_text(changed + "signoffs:" + rest)
    stale = cli("check", path, "--require-signoff", "dpo")
    assert stale.code == 1
    assert "the dpo's sign-off (Dana Dupont, " in stale.out
    assert "no longer holds; changed since: access.exposure: public → internal" in stale.out
    report = cli("report", path).out
    assert "| dpo | Dana Dupont |" in report
    assert "no: changed since access.exposure: public → internal" in report
    data = json.loads(cli("check", path, "--require-signoff", "dpo", "-f", "json").out)
    assert data["files"][0]["signoffs_missing"][0].startswith("the dpo's sign-off")


def test_a_rejection_is_not_an_approval(cli: Callable[..., Result], tmp_path: Path) -> None:
    path = _signed(cli, tmp_path, "--decision", "rejected")
    result = cli("check", path, "--require-signoff", "dpo")
    assert result.code == 1
    assert "FAIL sign-off: the dpo (Dana Dupont) rejected the assessment" in result.out


def test_signing_waits_for_an_open_interview(cli: Callable[..., Result], tmp_path: Path) -> None:
    from threatmodel.interview.session import Lock

    path = tmp_path / "a.yaml"
    shutil.copyfile(TURBINE, path)
    lock = Lock.take(path)
    try:
        result = cli("signoff", path, "--by", "Dana", "--role", "dpo")
    finally:
        lock.release()
    assert result.code == 2
    assert "signoffs" not in path.read_text()
    assert cli("check", path, "--require-signoff", "auditor").code == 2  # not a role
