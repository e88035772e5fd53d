"""SARIF that code scanning can place: valid against the schema and GitHub's rules, each result
on the line of the answer that made its threat apply, paths from the git root, one category per
answers file, accepted risks left out of the upload unless asked for."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import EXAMPLES, ROOT, SCENARIOS, Result
from tests.render.github_sarif import problems

SARIF_SCHEMA = json.loads(
    (Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json").read_text()
)
CELEBRITY = EXAMPLES / "spam-celebrity.yaml"


def _report(cli: Callable[..., Result], path: Path, *options: str) -> dict[str, Any]:
    result = cli("report", path, "--format", "sarif", *options)
    assert result.code == 0, result.err
    sarif: dict[str, Any] = json.loads(result.out)
    jsonschema.validate(sarif, SARIF_SCHEMA)
    return sarif


def _assessment(cli: Callable[..., Result], path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(cli("report", path, "--format", "json").out)
    return data


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_example_passes_the_schema_and_githubs_rules(
    cli: Callable[..., Result], path: Path
) -> None:
    sarif = _report(cli, path)
    assert problems(sarif, ROOT) == []
    assessment = _assessment(cli, path)
    run = sarif["runs"][0]
    ids = [t["id"] for t in assessment["threats"]]
    assert [r["ruleId"] for r in run["results"]] == ids
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ids
    assert run["automationDetails"]["id"] == f"threatmodel/examples/{path.name}/"
    levels = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
    for result, threat in zip(run["results"], assessment["threats"], strict=True):
        assert result["level"] == levels[threat["residual_risk"]]


def test_a_result_sits_on_the_answer_that_made_it_apply(cli: Callable[..., Result]) -> None:
    run = _report(cli, CELEBRITY)["runs"][0]
    assessment = _assessment(cli, CELEBRITY)
    lines = {a["question"]: a["line"] for a in assessment["answers"]}
    for result, threat in zip(run["results"], assessment["threats"], strict=True):
        written = [f["question"] for f in threat["facts"] if lines.get(f["question"])]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] == lines[written[0]]
        related = [r["physicalLocation"]["region"]["startLine"] for r in result["relatedLocations"]]
        assert related == list(dict.fromkeys(lines[q] for q in written))[1:]
    membership = next(r for r in run["results"] if r["ruleId"] == "membership-inference")
    assert membership["locations"][0]["physicalLocation"]["region"] == {
        "startLine": _line_of(CELEBRITY, "personal_data: true")
    }


def test_a_change_that_creates_a_threat_is_shown_on_the_changed_line(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    # GitHub shows a pull request the alerts on the lines it changed: exposing a probability
    # vector must raise an alert on the `exposed:` line, not on line 1.
    repo = _repo(tmp_path)
    path = repo / "threat-assessment.yaml"
    shutil.copyfile(CELEBRITY, path)
    before = {r["ruleId"] for r in _report(cli, path)["runs"][0]["results"]}
    path.write_text(
        path.read_text().replace("exposed: [label]", "exposed: [label, probability_vector]")
    )
    after = _report(cli, path)["runs"][0]["results"]
    new = [r for r in after if r["ruleId"] not in before]
    assert new, "exposing a probability vector adds a threat"
    changed = _line_of(path, "exposed: [label, probability_vector]")
    for result in new:
        places = [result["locations"][0], *result.get("relatedLocations", [])]
        assert changed in [p["physicalLocation"]["region"]["startLine"] for p in places]


def test_paths_are_from_the_git_root_and_each_file_is_its_own_category(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    team = repo / "teams" / "fraud"
    team.mkdir(parents=True)
    (team / ".threatmodel.yaml").write_text("fail_on: critical\n")  # a project file below the root
    first, second = team / "scorer.threatmodel.yaml", team / "threat-assessment.yaml"
    shutil.copyfile(CELEBRITY, first)
    shutil.copyfile(CELEBRITY, second)
    runs = [_report(cli, p)["runs"][0] for p in (first, second)]
    assert problems({"version": "2.1.0", "runs": runs}, repo) == []
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in runs[0]["results"]
    }
    assert uris == {"teams/fraud/scorer.threatmodel.yaml"}
    categories = [run["automationDetails"]["id"] for run in runs]
    assert categories == [
        "threatmodel/teams/fraud/scorer.threatmodel.yaml/",
        "threatmodel/teams/fraud/threat-assessment.yaml/",
    ]


def _accept(path: Path, threat: str, expires: str) -> None:
    data = yaml.safe_load(CELEBRITY.read_text())
    data["acceptances"] = [
        {"threat": threat, "justification": "Reviewed", "approved_by": "DPO", "expires": expires}
    ]
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_accepted_risks_are_left_out_of_the_upload_unless_asked_for(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    path = tmp_path / "accepted.yaml"
    _accept(path, "model-extraction", "2099-01-01")
    default = _report(cli, path)["runs"][0]
    assert "model-extraction" not in [r["ruleId"] for r in default["results"]]
    assert "model-extraction" not in [r["id"] for r in default["tool"]["driver"]["rules"]]
    kept = _report(cli, path, "--include-accepted")["runs"][0]
    (accepted,) = [r for r in kept["results"] if r["ruleId"] == "model-extraction"]
    assert accepted["suppressions"][0]["status"] == "accepted"
    assert accepted["suppressions"][0]["justification"].startswith("Reviewed (approved by DPO")


def test_an_expired_acceptance_is_uploaded_as_an_open_risk(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    path = tmp_path / "expired.yaml"
    _accept(path, "model-extraction", "2001-01-01")  # before SOURCE_DATE_EPOCH's date
    results = _report(cli, path)["runs"][0]["results"]
    (expired,) = [r for r in results if r["ruleId"] == "model-extraction"]
    assert expired["suppressions"][0]["status"] == "rejected"


def test_rules_carry_help_a_reviewer_can_act_on(cli: Callable[..., Result]) -> None:
    rules = _report(cli, CELEBRITY)["runs"][0]["tool"]["driver"]["rules"]
    enumeration = next(r for r in rules if r["id"] == "input-enumeration")
    assert enumeration["helpUri"] == "https://atlas.mitre.org/techniques/AML.T0024.001"
    markdown = enumeration["help"]["markdown"]
    assert "**Mitigations**" in markdown
    assert "- **Limit queries per actor and per identity**:" in markdown
    assert enumeration["properties"]["precision"] == "high"
    assert enumeration["properties"]["security-severity"] == "9.5"


def test_worst_case_assumptions_lower_the_precision_and_fall_back_to_line_one(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("threatmodel: 1\nanswers:\n  system:\n    name: Unknown system\n")
    run = _report(cli, path)["runs"][0]
    assert run["results"], "every worst case assumed: threats apply"
    for result in run["results"]:
        assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert {r["properties"]["precision"] for r in run["tool"]["driver"]["rules"]} == {"medium"}


def test_brackets_from_a_shared_pack_do_not_become_links(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    pack = tmp_path / "pack"
    assert cli("rules", "init", pack).code == 0
    threat = pack / "threats" / "vendor-input-retention.yaml"
    threat.write_text(threat.read_text().replace(
        "title: An outside provider keeps what the model is sent",
        "title: 'Provider keeps inputs [see](1) [x](2)'",
    ))  # fmt: skip
    path = tmp_path / "vendor.yaml"
    data = yaml.safe_load(CELEBRITY.read_text())
    data["answers"]["vendor"] = {"retains_inputs": True}
    path.write_text(yaml.safe_dump(data))
    result = cli("report", path, "-f", "sarif", "--rules", pack)
    assert result.code == 0, result.err
    run = json.loads(result.out)["runs"][0]
    (vendor,) = [r for r in run["results"] if r["ruleId"] == "vendor-input-retention"]
    assert vendor["message"]["text"].startswith(r"Provider keeps inputs \[see\](1) \[x\](2)")
    found = problems({"version": "2.1.0", "runs": [run]}, tmp_path)
    assert not [p for p in found if "message links" in p], found
