"""Organisation packs: layering, overrides, the project file, scaffolding, lint, lifecycle,
baselines, diffs, schemas, and the example organisation's CI gate."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import EXAMPLES, ROOT, Result

BUILTIN = ROOT / "rules"
CELEBRITY = EXAMPLES / "spam-celebrity.yaml"


def _pack(folder: Path, manifest: str = "", threats: dict[str, str] | None = None) -> Path:
    (folder / "threats").mkdir(parents=True)
    (folder / "pack.yaml").write_text(f'name: acme\nversion: 1.0.0\nengine: ">=0.1,<1"\n{manifest}')
    for name, text in (threats or {}).items():
        (folder / "threats" / f"{name}.yaml").write_text(text)
    return folder


def _threats(cli: Callable[..., Result], *args: Any) -> dict[str, dict[str, Any]]:
    result = cli("report", *args, "--format", "json")
    assert result.code == 0, result.err
    return {t["id"]: t for t in json.loads(result.out)["threats"]}


def test_a_pack_overrides_and_disables_built_in_threats(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    stricter = (
        (BUILTIN / "threats" / "membership-inference.yaml")
        .read_text()
        .replace(
            "title: Telling whether a person was in the training data",
            "title: Acme membership inference",
        )
        .replace("  base: limited\n", "  base: maximum\n", 1)
    )
    org = _pack(
        tmp_path / "org",
        "overrides: [membership-inference]\ndisables: [model-extraction]\n",
        {"membership-inference": stricter},
    )
    before = _threats(cli, CELEBRITY)
    after = _threats(cli, CELEBRITY, "--rules", org)
    assert "model-extraction" in before
    assert "model-extraction" not in after
    assert after["membership-inference"]["title"] == "Acme membership inference"
    assert (
        after["membership-inference"]["likelihood"] != before["membership-inference"]["likelihood"]
    )
    packs = json.loads(cli("report", CELEBRITY, "--rules", org, "-f", "json").out)["packs"]
    assert packs[1]["overrides"] == ["membership-inference"]
    assert packs[1]["disables"] == ["model-extraction"]


def test_overrides_and_disables_must_name_real_threats(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    org = _pack(tmp_path / "a", "disables: [model-extration]\n")
    result = cli("rules", "lint", org)
    assert result.code == 2
    assert result.err == (
        f"threatmodel: {org / 'pack.yaml'}:4: disables: no earlier pack defines "
        "'model-extration' (did you mean 'model-extraction'?)\n"
    )
    org = _pack(tmp_path / "b", "overrides: [model-extraction]\n")
    result = cli("rules", "lint", org)
    assert result.err == (
        f"threatmodel: {org / 'pack.yaml'}:4: overrides 'model-extraction' but has no "
        "threats/model-extraction.yaml of its own\n"
    )


def test_the_project_file_names_packs_and_defaults(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    team = tmp_path / "team"
    team.mkdir()
    assert cli("rules", "init", tmp_path / "rules").code == 0
    (tmp_path / ".threatmodel.yaml").write_text("rules: [rules]\nfail_on: critical\n")
    data = yaml.safe_load(CELEBRITY.read_text())
    data["answers"]["vendor"] = {"retains_inputs": True}
    answers = team / "threat-assessment.yaml"
    answers.write_text(yaml.safe_dump(data))
    assert "vendor-input-retention" in _threats(cli, answers)
    result = cli("check", answers)
    assert "check FAILED at --fail-on critical" in result.out


def test_rules_init_scaffolds_a_clean_pack(cli: Callable[..., Result], tmp_path: Path) -> None:
    folder = tmp_path / "acme-privacy"
    result = cli("rules", "init", folder)
    assert result.code == 0
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.yaml")) == [
        "pack.yaml",
        "questions.yaml",
        "threats/vendor-input-retention.yaml",
    ]
    assert "name: acme-privacy" in (folder / "pack.yaml").read_text()
    assert (folder / "i18n" / "README.md").is_file()  # where its translations will go
    lint = cli("rules", "lint", folder)
    assert (lint.code, lint.err) == (0, "")
    tested = cli("rules", "test", folder)
    assert tested.code == 0
    assert "vendor-input-retention                  1/1       2/2         1/1" in tested.out
    again = cli("rules", "init", folder)
    assert again.code == 2
    assert "is not empty" in again.err


def test_lint_catches_what_loading_allows(cli: Callable[..., Result], tmp_path: Path) -> None:
    folder = tmp_path / "acme"
    assert cli("rules", "init", folder).code == 0
    path = folder / "threats" / "vendor-input-retention.yaml"
    path.write_text(
        path.read_text().replace(
            "    - {q: vendor.retains_inputs, is: true}",
            "    - {q: vendor.retains_inputs, is: true}\n"
            "    - {q: vendor.retains_inputs, is: false}",
        )
    )
    questions = folder / "questions.yaml"
    questions.write_text(
        questions.read_text()
        + (
            "  - id: vendor.region\n    type: choice\n    text: Where?\n    help: h\n"
            "    choices: [{value: eu, label: EU}, {value: us, label: US}]\n    worst_case: us\n"
        )
    )
    result = cli("rules", "lint", folder)
    assert result.code == 2
    assert (
        f"{path}:3: error: vendor-input-retention: applies_when: can never hold: no answer to "
        "vendor.retains_inputs satisfies all its tests"
    ) in result.err
    assert f"{questions}:18: warning: vendor.region: no rule reads it" in result.err


def test_deprecation_and_new_questions_are_reported(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "acme"
    assert cli("rules", "init", folder).code == 0
    (folder / "pack.yaml").write_text(
        (folder / "pack.yaml").read_text().replace("version: 0.1.0", "version: 0.3.0")
    )
    questions = folder / "questions.yaml"
    questions.write_text(
        questions.read_text().replace(
            "    worst_case: true\n",
            "    worst_case: true\n    since: 0.2.0\n"
            "    deprecated: {since: 0.3.0, replaced_by: vendor.contract, note: Ask legal.}\n",
        )
    )
    data = yaml.safe_load(CELEBRITY.read_text())
    data["answers"]["vendor"] = {"retains_inputs": True}
    data["provenance"] = {
        "packs": [{"name": "core", "version": "0.2.0"}, {"name": "acme", "version": "0.1.0"}]
    }
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump(data))
    result = cli("report", answers, "--rules", folder, "-f", "json")
    notices = json.loads(result.out)["notices"]
    assert notices == [
        "question vendor.retains_inputs is deprecated since 0.3.0; use vendor.contract. Ask legal.",
        "answered under acme 0.1.0; now acme 0.3.0: new or changed questions vendor.retains_inputs",
    ]
    assert f"threatmodel: warning: {notices[0]}" in result.err
    lint = cli("rules", "lint", folder)
    assert "uses vendor.retains_inputs, deprecated since 0.3.0" in lint.err


def test_check_against_a_baseline_fails_only_on_what_got_worse(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    baseline = tmp_path / "main.json"
    baseline.write_text(cli("report", CELEBRITY, "-f", "json").out)
    unchanged = cli("check", CELEBRITY, "--baseline", baseline)
    assert unchanged.code == 0, unchanged.out  # critical, but not worse than on main
    data = yaml.safe_load(CELEBRITY.read_text())
    data["answers"]["outputs"]["exposed"] = ["label", "probability_vector"]
    worse = tmp_path / "worse.yaml"
    worse.write_text(yaml.safe_dump(data))
    result = cli("check", worse, "--baseline", baseline)
    assert result.code == 1
    assert "FAIL critical  model-inversion" in result.out


def test_diff_for_a_pull_request(cli: Callable[..., Result], tmp_path: Path) -> None:
    data = yaml.safe_load(CELEBRITY.read_text())
    data["answers"]["outputs"]["exposed"] = ["label", "probability_vector"]
    new = tmp_path / "new.yaml"
    new.write_text(yaml.safe_dump(data))
    markdown = cli("diff", CELEBRITY, new)
    assert markdown.code == 0
    assert "- New: `model-inversion`" in markdown.out
    new_line = next(line for line in markdown.out.splitlines() if "New: `model-inversion`" in line)
    assert "`outputs.exposed`" in new_line.split("because of", 1)[1]
    as_json = json.loads(cli("diff", CELEBRITY, new, "--format", "json").out)
    assert as_json["format"] == "threatmodel.diff/1"
    assert [a["question"] for a in as_json["answers_changed"]] == ["outputs.exposed"]


def test_schemas_are_printed(cli: Callable[..., Result]) -> None:
    answers = json.loads(cli("schema", "answers").out)
    assert "outputs" in answers["properties"]["answers"]["properties"]
    pack = json.loads(cli("schema", "pack").out)
    assert pack["$id"] == "urn:threatmodel:schema:pack:1"


def test_the_example_organisation_gate(tmp_path: Path) -> None:
    """examples/org/ci.sh as a team's CI runs it: the pack lints and tests, one team passes and
    one fails, and each team's SARIF is written for code scanning (uploaded only in GitHub)."""
    org = tmp_path / "org"
    shutil.copytree(EXAMPLES / "org", org)
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GITHUB_REPOSITORY")}
    proc = subprocess.run(["bash", str(org / "ci.sh")], capture_output=True, text=True,
                          check=False, env=env)  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "spam-filter/threat-assessment.yaml: overall risk low; check passed" in proc.stdout
    assert "fraud-scorer/threat-assessment.yaml: overall risk critical; check FAILED" in proc.stdout
    assert "0 failed" in proc.stdout
    written = sorted(p.name for p in (org / "sarif").iterdir())
    assert written == [
        "fraud-scorer-threat-assessment.sarif", "spam-filter-threat-assessment.sarif"
    ]  # fmt: skip
    run = json.loads((org / "sarif" / written[0]).read_text())["runs"][0]
    assert run["automationDetails"]["id"].endswith("fraud-scorer/threat-assessment.yaml/")
    assert "SARIF for code scanning: sarif/fraud-scorer-threat-assessment.sarif" in proc.stdout
