"""The commands as a user runs them: outputs, streams and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLES, ROOT, Result
from threatmodel.pack.load import load_packs

CELEBRITY = EXAMPLES / "spam-celebrity.yaml"
PACK_QUESTIONS = load_packs().questions
CONTRACT_QUESTIONS = [  # CONTRACT.md section 3: these ids must never disappear
    "system.name",
    "system.purpose",
    "system.owner",
    "access.exposure",
    "access.rate_limited",
    "access.queries_per_day",
    "access.cheap_identities",
    "access.probing_monitored",
    "access.model_distributed",
    "inputs.kinds",
    "inputs.caller_controls",
    "inputs.third_party",
    "inputs.space_size",
    "outputs.exposed",
    "outputs.visible_to_submitter",
    "outputs.reveals",
    "outputs.individual_rules",
    "outputs.logged",
    "training.personal_data",
    "training.special_category",
    "training.membership_sensitive",
    "training.records",
    "training.generalisation_gap",
    "training.differential_privacy",
    "population.groups",
    "population.size",
    "population.hostile_jurisdiction",
    "population.jurisdictions",
    "population.can_opt_out",
    "adversary.actors",
    "adversary.motivation",
    "adversary.auxiliary_data",
]


def _write(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_report_markdown_to_stdout_summary_to_stderr(cli: Callable[..., Result]) -> None:
    result = cli("report", CELEBRITY)
    assert result.code == 0
    assert result.out.startswith("# Privacy threat assessment: SMS spam filter")
    count = len(json.loads(cli("report", CELEBRITY, "--format", "json").out)["threats"])
    assert result.err.strip().endswith(f"{count} threat(s), overall risk critical")
    assert result.err.count("\n") == 1


def test_report_output_file(cli: Callable[..., Result], tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    result = cli("report", CELEBRITY, "--format", "json", "--output", target)
    assert result.code == 0
    assert result.out == ""
    assert json.loads(target.read_text())["overall_risk"] == "critical"
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


@pytest.mark.parametrize(("fail_on", "code"), [("critical", 1), ("high", 1), ("low", 1)])
def test_check_fails_at_or_above_level(cli: Callable[..., Result], fail_on: str, code: int) -> None:
    result = cli("check", CELEBRITY, "--fail-on", fail_on)
    assert result.code == code
    assert "FAIL critical  input-enumeration" in result.out


def test_check_passes_below_level(cli: Callable[..., Result], tmp_path: Path) -> None:
    answers = yaml.safe_load(CELEBRITY.read_text())
    answers["answers"]["outputs"]["individual_rules"] = False
    answers["answers"]["inputs"]["kinds"] = ["free_text"]
    path = _write(tmp_path / "a.yaml", answers)
    result = cli("check", path, "--fail-on", "high")
    assert result.code == 0, result.out
    assert "check passed at --fail-on high" in result.out


def test_check_rejects_unknown_level(cli: Callable[..., Result]) -> None:
    result = cli("check", CELEBRITY, "--fail-on", "severe")
    assert result.code == 2
    assert result.err == (
        "threatmodel: --fail-on must be one of low, medium, high, critical, got 'severe'\n"
    )


def test_check_acceptance_live_and_expired(cli: Callable[..., Result], tmp_path: Path) -> None:
    answers = yaml.safe_load(CELEBRITY.read_text())
    accept = {"threat": "input-enumeration", "justification": "reviewed", "approved_by": "DPO"}
    answers["acceptances"] = [{**accept, "expires": "2999-01-01"}]
    assert cli("check", _write(tmp_path / "live.yaml", answers)).code == 0
    answers["acceptances"] = [{**accept, "expires": "2020-01-01"}]
    result = cli("check", _write(tmp_path / "expired.yaml", answers), "--fail-on", "critical")
    assert result.code == 1
    assert "input-enumeration (acceptance expired)" in result.out


def test_implemented_measure_lowers_residual_risk(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    answers = yaml.safe_load(CELEBRITY.read_text())
    answers["measures"] = [
        {"threat": "input-enumeration", "measure": "hide-decision", "status": "implemented"},
        {
            "threat": "input-enumeration",
            "measure": "remove-individual-rules",
            "status": "planned",
            "owner": "Messaging",
            "due": "2027-01-31",
        },
    ]
    data = json.loads(cli("report", _write(tmp_path / "m.yaml", answers), "-f", "json").out)
    threat = next(t for t in data["threats"] if t["id"] == "input-enumeration")
    assert (threat["risk"], threat["residual_likelihood"], threat["residual_risk"]) == (
        "critical",
        "limited",
        "high",
    )
    assert threat["measures"][1] == {
        "measure": "remove-individual-rules",
        "title": "Remove per-person exceptions from the model",
        "status": "planned",
        "owner": "Messaging",
        "due": "2027-01-31",
        "reduces": {"likelihood": 0, "severity": 1},
    }


def test_questions_formats(cli: Callable[..., Result]) -> None:
    data = json.loads(cli("questions", "--format", "json").out)
    ids = [q["id"] for q in data["questions"]]
    assert len(ids) == len(PACK_QUESTIONS)
    assert set(CONTRACT_QUESTIONS) <= set(ids)
    assert ids[:2] == ["system.name", "system.purpose"]
    markdown = cli("questions").out
    assert (
        "`access.queries_per_day` · number · asked only when access.rate_limited is true"
        in markdown
    )


def test_rules_list_show_lint_test(cli: Callable[..., Result]) -> None:
    listed = cli("rules", "list").out
    assert "input-enumeration" in listed
    assert "atlas: AML.T0024.001, AML.T0034, AML.M0004" in listed
    shown = yaml.safe_load(cli("rules", "show", "membership-inference").out)
    assert shown["references"]["owasp_ml"] == ["ML04"]
    assert cli("rules", "show", "access.rate_limited").code == 0
    missing = cli("rules", "show", "input-enumeraton")
    assert missing.code == 2
    assert "did you mean 'input-enumeration'" in missing.err
    lint = cli("rules", "lint")
    assert lint.code == 0, lint.err
    assert lint.out.strip().endswith("0 error(s), 0 warning(s)")
    tested = cli("rules", "test")
    assert tested.code == 0
    assert tested.out.strip().endswith("0 failed")


def test_usage_errors_exit_2(cli: Callable[..., Result]) -> None:
    assert cli("report").code == 2
    assert cli("report", CELEBRITY, "--format", "docx").code == 2
    assert cli("nonsense").code == 2


def test_version(cli: Callable[..., Result]) -> None:
    from threatmodel import __version__

    assert cli("--version").out == f"threatmodel {__version__}\n"


def test_console_script_runs(tmp_path: Path) -> None:
    """The installed entry point, in a real process, from another folder."""
    proc = subprocess.run(
        ["threatmodel", "report", str(CELEBRITY), "--format", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["threats"][0]["id"] == "input-enumeration"


def test_json_report_imports_neither_jinja_nor_questionary() -> None:
    """Heavy imports happen only in the commands that need them."""
    code = (
        "import sys; from threatmodel.cli import run; "
        f"run(['report', {str(CELEBRITY)!r}, '--format', 'json']); "
        "print(sorted(m for m in ('jinja2', 'questionary', 'prompt_toolkit') if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": "0"},
        cwd=ROOT,
    )
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_unexpected_error_is_one_line_without_traceback(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    import threatmodel.app

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("secret answer text")

    monkeypatch.setattr(threatmodel.app, "assess_file", boom)
    result = cli("report", CELEBRITY)
    assert result.code == 3
    assert result.err == (
        "threatmodel: internal error (RuntimeError); rerun with --debug and report it\n"
    )
    with pytest.raises(RuntimeError):
        cli("--debug", "report", CELEBRITY)


def test_check_takes_many_files_in_one_process(cli: Callable[..., Result], tmp_path: Path) -> None:
    quiet = yaml.safe_load(CELEBRITY.read_text())
    quiet["answers"]["outputs"]["individual_rules"] = False
    quiet["answers"]["inputs"]["kinds"] = ["free_text"]
    passing = _write(tmp_path / "passing.yaml", quiet)
    broken = tmp_path / "broken.yaml"
    broken.write_text("threatmodel: 1\nanswers:\n  acess: {}\n")
    result = cli("check", CELEBRITY, passing)
    assert result.code == 1
    assert result.out.splitlines() == [
        f"{CELEBRITY}: overall risk critical; check FAILED at --fail-on high",
        "  FAIL critical  input-enumeration",
        f"{passing}: overall risk medium; check passed at --fail-on high",
        "2 files: 1 passed, 1 failed, 0 invalid",
    ]
    # A broken file is named and the others are still checked; it decides the exit code.
    result = cli("check", passing, broken, CELEBRITY)
    assert result.code == 2
    assert (
        f"{broken}: invalid: {broken}:3: answers.acess: unknown section 'acess' (did you mean "
        "'access'?)"
    ) in result.out
    assert result.out.splitlines()[-1] == "3 files: 1 passed, 1 failed, 1 invalid"


def test_report_writes_many_files_to_a_folder(cli: Callable[..., Result], tmp_path: Path) -> None:
    other = _write(tmp_path / "other.yaml", yaml.safe_load(CELEBRITY.read_text()))
    out = tmp_path / "reports" / "2026"  # made, as `mkdir -p` would: CI starts clean
    result = cli("report", CELEBRITY, other, "--format", "json", "--output-dir", out)
    assert result.code == 0, result.err
    assert sorted(p.name for p in out.iterdir()) == ["other.json", "spam-celebrity.json"]
    assert json.loads((out / "other.json").read_text())["overall_risk"] == "critical"
    refused = cli("report", CELEBRITY, other)
    assert refused.code == 2
    assert "several answers files need --output-dir" in refused.err


def test_answers_files_of_one_name_get_reports_named_by_their_folders(
    cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every team's file is threat-assessment.yaml: CI writes all their reports to one folder.
    monkeypatch.chdir(tmp_path)
    data = yaml.safe_load(CELEBRITY.read_text())
    for team in ("teams/fraud", "teams/spam", "a-b"):
        (tmp_path / team).mkdir(parents=True)
    first = _write(tmp_path / "teams/fraud/threat-assessment.yaml", data)
    second = _write(tmp_path / "teams/spam/threat-assessment.yaml", data)
    solo = _write(tmp_path / "solo.yaml", data)
    out = tmp_path / "reports"
    result = cli("report", first, second, solo, "-f", "sarif", "--output-dir", out)
    assert result.code == 0, result.err
    assert sorted(p.name for p in out.iterdir()) == [
        "solo.sarif",
        "teams-fraud-threat-assessment.sarif",
        "teams-spam-threat-assessment.sarif",
    ]
    # Names that still meet are refused before anything is written over.
    (tmp_path / "a/b").mkdir(parents=True)
    left = _write(tmp_path / "a-b" / "model.yaml", data)
    right = _write(tmp_path / "a" / "b" / "model.yaml", data)
    clash = cli("report", Path("a-b/model.yaml"), Path("a/b/model.yaml"), "--output-dir", "x")
    assert clash.code == 2
    assert clash.err == (
        "threatmodel: a-b/model.yaml and a/b/model.yaml would both be written to "
        f"{Path('x') / 'a-b-model.md'}\n"
    )
    assert not (tmp_path / "x").exists()
    same = cli("report", left, Path("a-b/model.yaml"), right.parent.parent.parent / "solo.yaml",
               "--output-dir", "y")  # fmt: skip
    assert same.code == 0, same.err  # one file given twice is one report


def test_output_dir_that_cannot_be_made_is_a_usage_error(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    made = cli("report", CELEBRITY, "--output-dir", blocked / "sub")
    assert made.code == 2
    assert made.err.startswith(f"threatmodel: --output-dir {blocked / 'sub'}: ")


def _complete(words: str) -> list[str]:
    """What bash completion offers for the last word, as the installed script answers it."""
    env = dict(os.environ, _THREATMODEL_COMPLETE="complete_bash", COMP_WORDS=words)
    env["COMP_CWORD"] = str(len(words.split(" ")) - 1)
    exe = Path(sys.executable).parent / "threatmodel"
    done = subprocess.run([exe], env=env, capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_shell_completion_offers_commands_and_formats() -> None:
    assert _complete("threatmodel rul") == ["rules"]
    assert _complete("threatmodel report a.yaml --format ") == [
        "md", "html", "pdf", "json", "sarif", "csv", "dpv", "codequality"
    ]  # fmt: skip
    # `--show-completion` prints the script for the shell it runs under, found by walking up
    # the process tree: run it from bash, as a person does, not from pytest's own parent
    # (which made this test pass or fail with whatever started the suite).
    exe = Path(sys.executable).parent / "threatmodel"
    script = subprocess.run(
        ["bash", "-c", f"'{exe}' --show-completion; exit $?"],
        capture_output=True, text=True, check=False, env=dict(os.environ, SHELL="/bin/bash"),
    )  # fmt: skip
    assert script.returncode == 0, (script.stdout, script.stderr)
    assert "complete -o default -F _threatmodel_completion threatmodel" in script.stdout
