"""Inputs at the edges: each gets one line and exit 2, or the sensible reading, never a crash."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import EXAMPLES, ROOT, Result
from threatmodel.files import write_file

CELEBRITY = EXAMPLES / "spam-celebrity.yaml"
HEAD = "threatmodel: 1\nanswers:\n"


def _one_line(result: Result) -> str:
    assert result.code == 2, (result.code, result.out, result.err)
    assert result.err.count("\n") == 1, result.err
    assert "Traceback" not in result.err
    return result.err.strip()


def _celebrity(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(CELEBRITY.read_text())
    data.update(changes)
    return data


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", str(CELEBRITY), "--format", "docx"], "Invalid value for '--format'"),
        (["report", str(CELEBRITY), "--bogus"], "No such option: --bogus"),
        (["report"], "Missing argument 'answers'"),
    ],
)
def test_usage_errors_are_one_line(
    cli: Callable[..., Result], args: list[str], message: str
) -> None:
    line = _one_line(cli(*args))
    assert line.startswith("threatmodel: ")
    assert message in line


def test_device_file_is_refused(cli: Callable[..., Result]) -> None:
    assert _one_line(cli("report", "/dev/zero")) == "threatmodel: /dev/zero: is not a regular file"


def test_huge_integer_is_refused(cli: Callable[..., Result], tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(HEAD + "  population:\n    size: 1" + "0" * 400 + "\n")
    line = _one_line(cli("report", path))
    assert line.startswith(f"threatmodel: {path}:4: population.size: number too large: 1000")


def test_long_values_are_cut_in_messages(cli: Callable[..., Result], tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(HEAD + "  access:\n    exposure: " + "x" * 100_000 + "\n")
    assert len(_one_line(cli("report", path))) < 400


def test_report_never_overwrites_the_answers_file(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    path = _write(tmp_path / "a.yaml", _celebrity())
    before = path.read_text()
    line = _one_line(cli("report", path, "--output", path))
    assert "is the answers file itself" in line
    assert path.read_text() == before


def test_full_standard_output_is_one_line(tmp_path: Path) -> None:
    exe = shutil.which("threatmodel")
    assert exe is not None
    with Path("/dev/full").open("w") as full:
        proc = subprocess.run(
            [exe, "report", str(CELEBRITY)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert proc.returncode == 2
    assert proc.stderr == "threatmodel: standard output: cannot write: No space left on device\n"


def test_closed_standard_output_is_one_line() -> None:
    exe = shutil.which("threatmodel")
    assert exe is not None
    # The shell closes standard output, as a user's `>&-` does.
    proc = subprocess.run(  # noqa: S602
        f"{exe} report {CELEBRITY} >&-",
        shell=True,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (2, "threatmodel: standard output: is closed\n")


def test_text_answers_keep_what_was_typed(cli: Callable[..., Result], tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    text = (
        CELEBRITY.read_text()
        .replace("jurisdictions: United States, European Union", "jurisdictions: NO")
        .replace("name: SMS spam filter with a celebrity allow-list", "name: 0755")
    )
    path.write_text(text)
    data = json.loads(cli("report", path, "-f", "json").out)
    answers = {a["question"]: a["value"] for a in data["answers"]}
    assert answers["population.jurisdictions"] == "NO"
    assert data["system"]["name"] == "0755"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "[nothing_sensitive, religion]",
            "'nothing_sensitive' cannot be combined with other values",
        ),
        ("[]", "choose at least one value, or answer unknown"),
    ],
)
def test_contradictory_multi_answers_are_refused(
    cli: Callable[..., Result], tmp_path: Path, value: str, message: str
) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(HEAD + f"  outputs:\n    reveals: {value}\n")
    assert _one_line(cli("report", path)) == f"threatmodel: {path}:4: outputs.reveals: {message}"


def test_unknown_in_a_list_means_unknown(cli: Callable[..., Result], tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(HEAD + "  outputs:\n    reveals: [unknown]\n")
    data = json.loads(cli("report", path, "-f", "json").out)
    assumed = {a["question"]: a["answer"] for a in data["assumptions"]}
    assert assumed["outputs.reveals"] == "unknown"


@pytest.mark.parametrize(
    ("decisions", "line", "message"),
    [
        (
            {
                "measures": [
                    {
                        "threat": "input-enumeration",
                        "measure": "rate-limit",
                        "status": "implemented",
                        "reduces": {"likelihood": 3},
                    }
                ]
            },
            "measures[0]: 'rate-limit' is a mitigation of the pack with a declared effect; "
            "remove `reduces:` (or describe a measure of your own in words)",
            "reduces",
        ),
        (
            {
                "measures": [
                    {
                        "threat": "input-enumeration",
                        "measure": "Ask nicely",
                        "status": "implemented",
                    }
                ]
            },
            "measures[0].measure: 'Ask nicely' is not a mitigation of 'input-enumeration'; "
            "for a measure of your own, give `reduces:`",
            "measure",
        ),
    ],
)
def test_measures_state_their_effect_once(
    cli: Callable[..., Result], tmp_path: Path, decisions: dict[str, Any], line: str, message: str
) -> None:
    path = _write(tmp_path / "a.yaml", _celebrity(**decisions))
    assert _one_line(cli("report", path)).endswith(line)


def test_two_acceptances_of_one_threat_are_refused(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    accept = {"threat": "input-enumeration", "justification": "j", "approved_by": "DPO"}
    data = _celebrity(
        acceptances=[{**accept, "expires": "2099-01-01"}, {**accept, "expires": "2020-01-01"}]
    )
    line = _one_line(cli("check", _write(tmp_path / "a.yaml", data)))
    assert "acceptances[1]: 'input-enumeration' is already accepted" in line


def test_orphans_warn_and_fail_under_strict(cli: Callable[..., Result], tmp_path: Path) -> None:
    data = _celebrity(
        answers={
            **_celebrity()["answers"],
            "system": {**_celebrity()["answers"]["system"], "domain": ["none_of_these"]},
            "inputs": {**_celebrity()["answers"]["inputs"], "combined_sources": False},
            "outputs": {**_celebrity()["answers"]["outputs"], "automated_decisions": True},
        },
        acceptances=[
            {
                "threat": "behaviour-disclosure",
                "justification": "old",
                "approved_by": "DPO",
                "expires": "2099-01-01",
            }
        ],
    )
    path = _write(tmp_path / "a.yaml", data)
    result = cli("report", path, "-f", "json")
    assert result.code == 0
    warning = (
        f"threatmodel: warning: {path}: acceptance for 'behaviour-disclosure' ('old') names a "
        "threat that does not apply to these answers"
    )
    assert warning in result.err
    assert json.loads(result.out)["orphans"] == [warning.removeprefix("threatmodel: warning: ")]
    strict = _one_line(cli("check", path, "--strict"))
    assert "names a threat that does not apply to these answers (--strict)" in strict


def test_unknown_text_is_not_stated(cli: Callable[..., Result], tmp_path: Path) -> None:
    data = _celebrity()
    data["answers"]["system"]["name"] = "unknown"
    path = _write(tmp_path / "a.yaml", data)
    assert cli("report", path).out.startswith("# Privacy threat assessment: unnamed system\n")
    report = json.loads(cli("report", path, "-f", "json").out)
    assert {
        "question": "system.name",
        "answer": "unknown",
        "assumed": "not stated",
    }.items() <= next(a for a in report["assumptions"] if a["question"] == "system.name").items()


def test_steps_and_assumptions_say_what_rests_on_unknown_answers(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    data = _celebrity()
    del data["answers"]["population"]["groups"]
    report = json.loads(cli("report", _write(tmp_path / "a.yaml", data), "-f", "json").out)
    enumeration = next(t for t in report["threats"] if t["id"] == "input-enumeration")
    raised = [s for s in enumeration["steps"] if "targeted for who they are" in s["reason"]]
    assert raised
    assert raised[0]["assumed"] is True
    groups = next(a for a in report["assumptions"] if a["question"] == "population.groups")
    assert "input-enumeration" in groups["affects"]


def test_reports_get_the_usual_file_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_file(tmp_path / "r.md", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "r.md").stat().st_mode & 0o777 == 0o644


def _pack(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "pack"
    (folder / "threats").mkdir(parents=True)
    (folder / "pack.yaml").write_text('name: acme\nversion: 1.0.0\nengine: ">=0.1,<1"\n')
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


THREAT = (
    (ROOT / "rules" / "threats" / "location-disclosure.yaml")
    .read_text()
    .replace("id: location-disclosure", "id: acme-threat")
)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"questions.yml": "questions: []\n"}, "questions.yml: not a rule-pack file"),
        ({"threats/acme-threat.yml": THREAT}, "acme-threat.yml: threat files end in .yaml"),
        (
            {"baseline.yaml": HEAD + "  access:\n    exposure: everyone\n"},
            "baseline.yaml:4: access.exposure: 'everyone' is not one of",
        ),
        (
            {"baseline.yaml": "threatmodel: 1\nanswer: {}\n"},
            "baseline.yaml:2: unknown key 'answer'",
        ),
        (
            {
                "threats/acme-threat.yaml": THREAT.replace(
                    "any_of: [location, nationality]", "any_of: []"
                )
            },
            "applies_when.any_of: List should have at least 1 item",
        ),
        (
            {
                "threats/acme-threat.yaml": THREAT.replace(
                    "{q: outputs.reveals, any_of: [location, nationality]}",
                    "{q: system.name, is: true}",
                )
            },
            "applies_when: 'system.name' is text, got True",
        ),
        (
            {
                "threats/acme-threat.yaml": THREAT.replace(
                    "{q: outputs.reveals, any_of: [location, nationality]}",
                    "{q: population.size, gt: true}",
                )
            },
            "applies_when.gt: Input should be a valid number",
        ),
        (
            {
                "scoring.yaml": (ROOT / "rules" / "scoring.yaml")
                .read_text()
                .replace("high: 365}", "high: 0}")
            },
            "enumeration.patience_days.high: Input should be greater than 0",
        ),
    ],
)
def test_broken_packs_are_refused(
    cli: Callable[..., Result], tmp_path: Path, files: dict[str, str], message: str
) -> None:
    folder = _pack(tmp_path, files)
    line = _one_line(cli("rules", "lint", folder))
    assert message in line
