"""Edges found in review: each was a wrong result, a leak or a traceback once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import EXAMPLES, ROOT, Result

CELEBRITY = EXAMPLES / "spam-celebrity.yaml"


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def test_an_older_json_assessment_is_still_a_diff_side(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    data = json.loads(cli("report", CELEBRITY, "-f", "json").out)
    for key in ("risk_matrix", "provenance", "notices", "catalogue"):
        data.pop(key)
    for answer in data["answers"]:
        answer.pop("label")
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data))
    result = cli("diff", old, CELEBRITY)
    assert result.code == 0, result.err
    assert result.out.startswith("No change in answers or threats")


def test_the_pdf_step_loads_nothing_from_outside(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    (folder / "report.html.j2").write_text(
        f'<html><body><p>x</p><link rel="attachment" href="{secret.as_uri()}">'
        f'<img src="{secret.as_uri()}"></body></html>'
    )
    target = tmp_path / "r.pdf"
    result = cli("report", CELEBRITY, "-f", "pdf", "--template-dir", folder, "-o", target)
    assert result.code == 0, result.err
    assert b"TOP-SECRET-CONTENT" not in target.read_bytes()


def test_markdown_filters_do_not_exist_in_html(cli: Callable[..., Result], tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "report.html.j2").write_text("<p>{{ a.system.name | md }}</p>\n")
    result = cli("report", CELEBRITY, "-f", "html", "--template-dir", folder)
    assert result.code == 2
    assert "No filter named 'md'" in result.err


def test_reports_are_utf8_whatever_the_terminal(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "cp1252", "SOURCE_DATE_EPOCH": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", "threatmodel", "report", str(CELEBRITY)],
        capture_output=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "→".encode() in proc.stdout


def test_rules_init_on_a_file(cli: Callable[..., Result], tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_text("")
    result = cli("rules", "init", target)
    assert (result.code, result.err) == (
        2,
        f"threatmodel: {target}: is a file; choose a new folder for the pack\n",
    )


def test_a_pack_named_twice_loads_once(cli: Callable[..., Result], tmp_path: Path) -> None:
    assert cli("rules", "init", tmp_path / "rules").code == 0
    (tmp_path / ".threatmodel.yaml").write_text("rules: [rules]\n")
    answers = _write(tmp_path / "a.yaml", yaml.safe_load(CELEBRITY.read_text()))
    result = cli("check", answers, "--rules", tmp_path / "rules")
    assert result.code == 1, result.err  # loaded once: no "duplicate section" error (exit 2)
    assert "vendor-input-retention" in result.out


def test_lint_and_test_without_a_folder_use_the_project(
    cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("rules", "init", tmp_path / "rules").code == 0
    (tmp_path / ".threatmodel.yaml").write_text("rules: [rules]\n")
    monkeypatch.chdir(tmp_path)
    assert "vendor-input-retention" in cli("rules", "test").out
    assert cli("rules", "lint").out.startswith("15 threats")


def test_an_override_of_input_enumeration_keeps_its_estimate(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "acme"
    (folder / "threats").mkdir(parents=True)
    (folder / "pack.yaml").write_text(
        'name: acme\nversion: 1.0.0\nengine: ">=0.1,<1"\noverrides: [input-enumeration]\n'
    )
    text = (ROOT / "rules" / "threats" / "input-enumeration.yaml").read_text()
    (folder / "threats" / "input-enumeration.yaml").write_text(
        text.replace("estimate: enumeration\n", "").replace("  from_estimate: true\n", "")
    )
    result = cli("rules", "lint", folder)
    assert result.code == 2
    assert "input-enumeration must keep `estimate: enumeration`" in result.err


def test_a_misplaced_threat_folder_is_refused(cli: Callable[..., Result], tmp_path: Path) -> None:
    assert cli("rules", "init", tmp_path / "acme").code == 0
    (tmp_path / "acme" / "threats").rename(tmp_path / "acme" / "threat")
    result = cli("rules", "lint", tmp_path / "acme")
    assert result.code == 2
    assert "not a rule-pack folder; threats go in threats/<id>.yaml" in result.err


def test_comments_at_the_top_survive_the_interview(tmp_path: Path) -> None:
    from threatmodel.pack.answers import dump_answers, leading_comments
    from threatmodel.pack.load import load_packs

    text = "# yaml-language-server: $schema=s.json\n# Our spam filter\nthreatmodel: 1\n"
    header = leading_comments(text)
    assert header == "# yaml-language-server: $schema=s.json\n# Our spam filter\n"
    assert dump_answers(load_packs(), {}, {}, {}, header).startswith(header + "threatmodel: 1\n")


def test_a_pack_new_since_the_answers_is_named(cli: Callable[..., Result], tmp_path: Path) -> None:
    assert cli("rules", "init", tmp_path / "acme").code == 0
    data = yaml.safe_load(CELEBRITY.read_text())
    data["provenance"] = {"packs": [{"name": "core", "version": "0.2.0"}]}
    answers = _write(tmp_path / "a.yaml", data)
    result = cli("report", answers, "--rules", tmp_path / "acme", "-f", "json")
    notices = json.loads(result.out)["notices"]
    assert notices == ["pack acme 0.1.0 is new since the answers were given"]
    assert f"threatmodel: warning: {notices[0]}" in result.err


RENAMED = {
    "low": "acceptable",
    "medium": "tolerable",
    "high": "unacceptable",
    "critical": "intolerable",
}


def _three_level_pack(folder: Path) -> Path:
    """A pack that names the risk levels its own way (the matrix cells are the same)."""
    (folder / "threats").mkdir(parents=True)
    (folder / "pack.yaml").write_text('name: ico\nversion: 1.0.0\nengine: ">=0.1,<1"\n')
    data = yaml.safe_load((ROOT / "rules" / "scoring.yaml").read_text())
    data["risk"] = [RENAMED[r] for r in data["risk"]]
    data["matrix"] = {row: [RENAMED[c] for c in cells] for row, cells in data["matrix"].items()}
    (folder / "scoring.yaml").write_text(yaml.safe_dump(data))
    return folder


def test_a_pack_with_its_own_risk_names(cli: Callable[..., Result], tmp_path: Path) -> None:
    pack = _three_level_pack(tmp_path / "ico")
    check = cli("check", CELEBRITY, "--rules", pack)
    assert check.code == 1, check.err
    assert "check FAILED at --fail-on unacceptable" in check.out
    html = cli("report", CELEBRITY, "--rules", pack, "-f", "html").out
    assert 'class="level risk-critical">intolerable</span>' in html
    sarif = json.loads(cli("report", CELEBRITY, "--rules", pack, "-f", "sarif").out)
    assert sarif["runs"][0]["results"][0]["level"] == "error"
    markdown = cli("report", CELEBRITY, "--rules", pack).out
    assert "- Threats at the two highest risk levels: 1." in markdown


def test_a_partial_screening_keeps_the_rest(cli: Callable[..., Result], tmp_path: Path) -> None:
    folder = tmp_path / "acme"
    (folder / "threats").mkdir(parents=True)
    (folder / "pack.yaml").write_text('name: acme\nversion: 1.0.0\nengine: ">=0.1,<1"\n')
    (folder / "screening.yaml").write_text("review_triggers: [Acme's privacy board asks for it.]\n")
    data = json.loads(cli("report", CELEBRITY, "--rules", folder, "-f", "json").out)
    assert data["screening"]["review_triggers"] == ["Acme's privacy board asks for it."]
    assert len(data["screening"]["criteria"]) == 9
    assert data["screening"]["necessity"]


def test_the_answers_path_does_not_depend_on_the_working_folder(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = set()
    for folder in (ROOT, ROOT / "examples", ROOT / "threatmodel"):
        monkeypatch.chdir(folder)
        paths.add(
            json.loads(cli("report", CELEBRITY, "-f", "json").out)["provenance"]["answers_path"]
        )
    assert paths == {"examples/spam-celebrity.yaml"}


def test_markdown_does_not_link_or_mention(cli: Callable[..., Result], tmp_path: Path) -> None:
    data = yaml.safe_load(CELEBRITY.read_text())
    data["answers"]["system"]["name"] = "@acme/privacy https://evil.example www.evil.example $x$"
    out = cli("report", _write(tmp_path / "a.yaml", data)).out
    title = out.splitlines()[0]
    for active in ("@acme", "https://", "www.evil", "$x$"):
        assert active not in title


def test_diff_shows_decisions(cli: Callable[..., Result], tmp_path: Path) -> None:
    data = yaml.safe_load(CELEBRITY.read_text())
    data["acceptances"] = [
        {
            "threat": "input-enumeration",
            "justification": "j",
            "approved_by": "DPO",
            "expires": "2099-01-01",
        }
    ]
    out = cli("diff", CELEBRITY, _write(tmp_path / "a.yaml", data)).out
    assert "- Added acceptance for `input-enumeration`: by DPO until 2099-01-01" in out
