"""The integrations as their hosts run them, offline: the published pre-commit hooks through
`pre-commit try-repo` on a scratch repository (this checkout is the hook repository; pip
installs it from the package index as pre-commit does), the GitHub Action's script and the
GitLab template's script lines in a scratch repository with a base branch, and the
organisation example's CI script end to end."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLES, ROOT

BIN = Path(sys.executable).parent
GIT_USER = ["-c", "user.email=ci@example.org", "-c", "user.name=CI"]


def _env(**extra: str) -> dict[str, str]:
    """The suite's own threatmodel first on PATH, as an installed tool would be."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", SOURCE_DATE_EPOCH="0")
    env.update(extra)
    return env


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *GIT_USER, *args], cwd=repo, check=True, capture_output=True,
                          text=True)  # fmt: skip
    return done.stdout


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    return repo


def _pack_repo(tmp_path: Path) -> Path:
    """An organisation's pack repository, with an assessment of its own as an example."""
    repo = _repo(tmp_path)
    subprocess.run([BIN / "threatmodel", "rules", "init", repo / "packs" / "privacy"],
                   check=True, capture_output=True)  # fmt: skip
    (repo / ".threatmodel.yaml").write_text("rules: [packs/privacy]\n")
    shutil.copyfile(EXAMPLES / "spam-celebrity.yaml", repo / "threat-assessment.yaml")
    shutil.copyfile(EXAMPLES / "turbine-fault-detector.yaml", repo / "turbine.threatmodel.yaml")
    shutil.copyfile(EXAMPLES / "turbine-fault-detector.yaml", repo / "notes.yaml")  # not matched
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "pack")
    return repo


def test_pre_commit_hooks_run_from_this_repository(tmp_path: Path) -> None:
    repo = _pack_repo(tmp_path)
    done = subprocess.run(
        [BIN / "pre-commit", "try-repo", ROOT, "--all-files", "--color", "never"],
        check=False, cwd=repo, capture_output=True, text=True, timeout=600,
        env=_env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home")),
    )  # fmt: skip
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    check = out[out.index("threatmodel check") : out.index("threatmodel rules lint and test")]
    assert "Failed" in check
    assert "FAIL critical  input-enumeration" in check
    # Both matched files in one call; the project file and other YAML are not answers files.
    assert "2 files: 1 passed, 1 failed, 0 invalid" in check
    assert "notes.yaml" not in check
    assert not [line for line in check.splitlines() if line.startswith(".threatmodel.yaml")]
    rules = out[out.index("threatmodel rules lint and test") :]
    assert rules.splitlines()[0].endswith("Passed"), rules  # found packs/privacy by itself


def _action(repo: Path, tmp_path: Path, **env: str) -> tuple[int, str]:
    summary = tmp_path / "summary.md"
    done = subprocess.run(
        [ROOT / "ci" / "github.sh"], check=False, cwd=repo, capture_output=True, text=True,
        env=_env(TM_SUMMARY=str(summary), TM_OUT=str(tmp_path / "sarif"), **env),
    )  # fmt: skip
    return done.returncode, summary.read_text()


def test_the_github_action_script_diffs_against_the_base_and_writes_sarif(
    tmp_path: Path,
) -> None:
    repo = _repo(tmp_path)
    for team in ("fraud", "spam"):
        (repo / team).mkdir()
        shutil.copyfile(
            EXAMPLES / "turbine-fault-detector.yaml", repo / team / "threat-assessment.yaml"
        )
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    base = _git(repo, "rev-parse", "HEAD").strip()
    _git(repo, "checkout", "-qb", "change")
    shutil.copyfile(EXAMPLES / "spam-celebrity.yaml", repo / "spam" / "threat-assessment.yaml")
    _git(repo, "commit", "-qam", "spam filter with a celebrity allow-list")
    code, summary = _action(repo, tmp_path, TM_BASE=base)
    assert code == 1  # the changed file fails the gate
    assert "### spam/threat-assessment.yaml" in summary
    assert "### fraud/threat-assessment.yaml" not in summary  # unchanged since the base
    assert "input-enumeration" in summary
    assert "2 files: 1 passed, 1 failed, 0 invalid" in summary
    sarif = sorted((tmp_path / "sarif").iterdir())
    assert [p.name for p in sarif] == [
        "fraud-threat-assessment.sarif", "spam-threat-assessment.sarif"
    ]  # fmt: skip
    run = json.loads(sarif[1].read_text())["runs"][0]
    assert run["automationDetails"]["id"] == "threatmodel/spam/threat-assessment.yaml/"
    assert {r["ruleId"] for r in run["results"]} >= {"input-enumeration"}
    passing, _ = _action(repo, tmp_path, TM_FILES="fraud/threat-assessment.yaml")
    assert passing == 0


def _gitlab_script() -> str:
    job = yaml.safe_load((ROOT / "ci" / "gitlab.yml").read_text())["threatmodel"]
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    return "\n".join(["set -e", *job["script"]])


def test_the_gitlab_template_writes_a_code_quality_report(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "models").mkdir()
    shutil.copyfile(EXAMPLES / "spam-celebrity.yaml", repo / "models" / "sms.threatmodel.yaml")
    shutil.copyfile(EXAMPLES / "turbine-fault-detector.yaml", repo / "threat-assessment.yaml")
    _git(repo, "add", "-A")
    done = subprocess.run(["bash", "-c", _gitlab_script()], check=False, cwd=repo,
                          capture_output=True, text=True, env=_env())  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr  # the gate, last, fails the job
    issues = json.loads((repo / "gl-code-quality-report.json").read_text())
    assert {i["location"]["path"] for i in issues} == {"models/sms.threatmodel.yaml"}
    enumeration = next(i for i in issues if i["check_name"] == "input-enumeration")
    assert enumeration["severity"] == "critical"
    assert enumeration["location"]["lines"]["begin"] > 1
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    assert (repo / "threatmodel-reports" / "sms.threatmodel.md").is_file()


@pytest.mark.parametrize("script", ["ci/github.sh"])
def test_ci_scripts_are_executable(script: str) -> None:
    assert os.access(ROOT / script, os.X_OK)


def test_the_action_checks_every_file_whatever_its_name(tmp_path: Path) -> None:
    # Review findings: git quoted accented paths (so they were skipped), a multi-line input
    # kept only its first line, and one invalid file stopped every report.
    repo = _repo(tmp_path)
    for folder in ("équipe fraude", "spam"):
        (repo / folder).mkdir()
    shutil.copyfile(
        EXAMPLES / "spam-celebrity.yaml", repo / "équipe fraude" / "threat-assessment.yaml"
    )
    shutil.copyfile(
        EXAMPLES / "turbine-fault-detector.yaml", repo / "spam" / "threat-assessment.yaml"
    )
    (repo / "broken.threatmodel.yaml").write_text(
        "threatmodel: 1\nanswers: {access: {exposure: x}}\n"
    )
    _git(repo, "add", "-A")
    code, summary = _action(repo, tmp_path)
    assert code == 2  # the invalid file, after every file was checked
    assert "3 files: 1 passed, 1 failed, 1 invalid" in summary
    written = sorted(p.name for p in (tmp_path / "sarif").iterdir())
    assert written == ["spam-threat-assessment.sarif", "équipe fraude-threat-assessment.sarif"]
    code, summary = _action(
        repo, tmp_path, TM_FILES="équipe fraude/threat-assessment.yaml\nspam/threat-assessment.yaml"
    )
    assert "2 files: 1 passed, 1 failed, 0 invalid" in summary
