"""`threatmodel assess` in a real pseudo-terminal, through the installed console script."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pexpect

from tests.conftest import EXAMPLES
from tests.interview_keys import ENTER, interview_keys
from threatmodel.engine.resolve import resolve
from threatmodel.interview.session import Lock
from threatmodel.pack.answers import load_answers
from threatmodel.pack.load import load_packs

PACK = load_packs()
EXE = shutil.which("threatmodel") or "threatmodel (not installed: run `pip install -e .[test]`)"


def _spawn(*args: str, cwd: Path) -> pexpect.spawn:
    # pexpect does not answer cursor-position requests; without this prompt_toolkit waits for one.
    env = {**os.environ, "TERM": "xterm", "SOURCE_DATE_EPOCH": "0", "PROMPT_TOOLKIT_NO_CPR": "1"}
    return pexpect.spawn(
        EXE, list(args), cwd=str(cwd), env=env, dimensions=(50, 250), encoding="utf-8", timeout=15
    )


def _answer(child: pexpect.spawn, plan: list[tuple[str, str]]) -> None:
    for qid, keys in plan:
        child.expect_exact(PACK.questions[qid].text)
        child.send(keys)


def test_full_interview_in_a_terminal(tmp_path: Path) -> None:
    scenario = EXAMPLES / "spam-celebrity.yaml"
    plan = interview_keys(PACK, load_answers(scenario, PACK).given)
    child = _spawn("assess", "answers.yaml", cwd=tmp_path)
    child.expect_exact("Every answer is saved to answers.yaml as soon as you give it.")
    _answer(child, plan)
    child.expect_exact("All questions answered. What next?")
    child.send(ENTER)
    child.expect_exact("Overall risk: critical.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    report = subprocess.run(
        [EXE, "report", "answers.yaml", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    threats = {t["id"]: t["risk"] for t in json.loads(report.stdout)["threats"]}
    assert threats["input-enumeration"] == "critical"
    assert threats["membership-inference"] == "low"
    assert (tmp_path / "answers.md").exists()


def test_ctrl_c_then_resume(tmp_path: Path) -> None:
    plan = interview_keys(PACK, load_answers(EXAMPLES / "headscarf-detector.yaml", PACK).given)
    child = _spawn("assess", cwd=tmp_path)  # the default file name
    _answer(child, plan[:7])
    child.expect_exact(PACK.questions[plan[7][0]].text)
    child.sendintr()
    child.expect_exact("run `threatmodel assess threat-assessment.yaml` to resume")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    saved = load_answers(tmp_path / "threat-assessment.yaml", PACK).given
    assert list(saved) == [qid for qid, _ in plan[:7]]

    child = _spawn("assess", cwd=tmp_path)
    left = [q for q in resolve(PACK, saved).visible if q not in saved]
    child.expect_exact(f"{len(left)} question(s) to answer")
    _answer(child, plan[7:])
    child.expect_exact("All questions answered. What next?")
    child.send(ENTER)
    child.expect_exact("Overall risk: critical.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_killed_process_leaves_the_last_complete_file(tmp_path: Path) -> None:
    plan = interview_keys(PACK, load_answers(EXAMPLES / "spam-by-country.yaml", PACK).given)
    child = _spawn("assess", "a.yaml", cwd=tmp_path)
    _answer(child, plan[:6])
    child.expect_exact(PACK.questions[plan[6][0]].text)
    child.kill(signal.SIGKILL)
    child.close()
    assert list(load_answers(tmp_path / "a.yaml", PACK).given) == [q for q, _ in plan[:6]]
    # No temporary file is left; the lock file is, but a killed process holds no lock.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".a.yaml.lock", "a.yaml"]
    Lock.take(tmp_path / "a.yaml").release()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml"]


def test_piped_stdin_is_refused(tmp_path: Path) -> None:
    proc = subprocess.run(
        [EXE, "assess", "a.yaml"],
        input="yes\n",
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        "threatmodel: standard input is not a terminal; to assess without questions run "
        "`threatmodel report a.yaml`\n"
    )
    assert proc.stdout == ""
    assert not (tmp_path / "a.yaml").exists()
