"""`--format json` on check and the rules commands: the keys scripts rely on (README, "For
scripts"), the same exit codes as the text, one broken file a row of its own."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import EXAMPLES, Result

CELEBRITY = EXAMPLES / "spam-celebrity.yaml"
TURBINE = EXAMPLES / "turbine-fault-detector.yaml"
PACK_KEYS = {"name", "version", "path", "sha256"}


def _json(result: Result) -> dict[str, object]:
    data = json.loads(result.out)
    assert isinstance(data, dict)
    return data


def test_check_json_has_a_row_per_file_and_the_gate_exit_code(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("threatmodel: 1\nanswers:\n  access:\n    exposure: everywhere\n")
    result = cli("check", CELEBRITY, TURBINE, broken, "--format", "json")
    assert result.code == 2  # an invalid file, as in the text output
    data = _json(result)
    assert data["format"] == "threatmodel.check/1"
    assert data["passed"] is False
    assert data["summary"] == {"files": 3, "passed": 1, "failed": 1, "invalid": 1}
    failed, passed, invalid = data["files"]  # type: ignore[misc]
    assert set(failed) == {
        "path", "project_file", "status", "overall_risk", "fail_on", "threats", "packs",
        "signoffs_missing",
    }  # fmt: skip
    assert (failed["status"], failed["overall_risk"], failed["fail_on"]) == (
        "failed", "critical", "high"
    )  # fmt: skip
    enumeration = failed["threats"][0]
    assert enumeration == {
        "id": "input-enumeration",
        "residual_risk": "critical",
        "failing": True,
        "accepted": False,
        "acceptance_expired": False,
    }
    assert all(not t["failing"] for t in failed["threats"][1:])
    assert set(failed["packs"][0]) == {"name", "version", "path"}
    assert (passed["status"], passed["threats"]) == ("passed", [])
    assert invalid["status"] == "invalid"
    assert invalid["error"].startswith(f"{broken}:")
    assert "everywhere" in invalid["error"]


def test_check_json_exit_codes_follow_the_gate(cli: Callable[..., Result]) -> None:
    assert cli("check", CELEBRITY, "-f", "json").code == 1
    assert cli("check", TURBINE, "-f", "json").code == 0
    relaxed = cli("check", CELEBRITY, "-f", "json", "--fail-on", "critical")
    assert relaxed.code == 1
    assert cli("check", TURBINE, CELEBRITY, "-f", "json", "--fail-on", "low").code == 1


def test_rules_list_json(cli: Callable[..., Result]) -> None:
    data = _json(cli("rules", "list", "--format", "json"))
    assert data["format"] == "threatmodel.rules/1"
    assert set(data["packs"][0]) == PACK_KEYS  # type: ignore[index]
    threats = {t["id"]: t for t in data["threats"]}  # type: ignore[attr-defined]
    assert "input-enumeration" in threats
    assert set(threats["model-inversion"]) == {"id", "title", "summary", "pack", "references"}
    assert threats["model-inversion"]["pack"] == "core"


def test_rules_lint_json_lists_findings_and_fails_on_errors(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    pack = tmp_path / "pack"
    assert cli("rules", "init", pack).code == 0
    clean = cli("rules", "lint", pack, "-f", "json")
    assert clean.code == 0
    assert _json(clean)["errors"] == 0
    threat = pack / "threats" / "vendor-input-retention.yaml"
    text = threat.read_text()
    threat.write_text(text[: text.index("  - name: zero-retention provider")])
    result = cli("rules", "lint", pack, "-f", "json")
    assert result.code == 2
    data = _json(result)
    assert data["format"] == "threatmodel.lint/1"
    assert data["errors"] == 1
    (finding,) = [f for f in data["findings"] if f["level"] == "error"]  # type: ignore[attr-defined]
    assert set(finding) == {"level", "where", "message"}
    assert finding["message"] == "vendor-input-retention: no case on which it must not apply"
    assert "vendor-input-retention.yaml" in finding["where"]


def test_rules_test_json_reports_each_case(cli: Callable[..., Result], tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    assert cli("rules", "init", pack).code == 0
    threat = pack / "threats" / "vendor-input-retention.yaml"
    threat.write_text(threat.read_text().replace("min_risk: medium", "min_risk: critical"))
    result = cli("rules", "test", pack, "-f", "json")
    assert result.code == 1
    data = _json(result)
    assert data["format"] == "threatmodel.rules-test/1"
    assert data["failed"] == 1
    assert data["passed"] == len(data["results"]) - 1  # type: ignore[arg-type]
    (failure,) = [r for r in data["results"] if not r["passed"]]  # type: ignore[attr-defined]
    assert set(failure) == {"threat", "case", "passed", "detail", "kind"}
    assert (failure["threat"], failure["case"], failure["kind"]) == (
        "vendor-input-retention", "provider keeps personal messages", "bounds"
    )  # fmt: skip
