"""`threatmodel portfolio`: the register of examples/org (a stale team, an expiring acceptance,
a broken file), its gate, its history from git, and its HTML page in Chromium."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, Result

CLI = Callable[..., Result]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _git(repo: Path, *args: str, date: str = "2026-10-05T12:00:00Z") -> None:
    env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    subprocess.run(
        ["git", "-c", "user.name=Acme", "-c", "user.email=a@example.org", "-c",
         "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
        cwd=repo, env=env, check=True, capture_output=True,
    )  # fmt: skip


@pytest.fixture
def org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: CLI) -> Path:
    """examples/org as the privacy team's checkout: a git repository of its own, the rules
    repository served where the teams' project files say it is, and the stale team synced."""
    folder = tmp_path / "org"
    shutil.copytree(EXAMPLES / "org", folder)
    made = subprocess.run(["bash", str(folder / "make-pack-repo.sh"), str(tmp_path / "rules.git")],
                          capture_output=True, text=True, check=True)  # fmt: skip
    for line in made.stdout.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    _git(folder, "init", "-q")
    _git(folder, "add", "-A")
    _git(folder, "commit", "-q", "-m", "The estate")
    monkeypatch.chdir(folder / "support-triage")
    assert cli("rules", "sync").code == 0
    monkeypatch.chdir(folder)
    return folder


def _register(cli: CLI, *args: str) -> tuple[Result, dict[str, dict[str, object]]]:
    result = cli("portfolio", *args, "--format", "json")
    data = json.loads(result.out)
    assert data["format"] == "threatmodel.portfolio/1"
    return result, {Path(s["path"]).parent.name: s for s in data["systems"]}


def test_the_example_organisation_in_one_register(org: Path, cli: CLI) -> None:
    result, rows = _register(cli, ".", "--as-of", "2026-12-15")
    assert result.code == 2  # a file does not load: named, and the others are all there
    assert sorted(rows) == ["chat-moderation", "fraud-scorer", "legacy-recommender",
                            "spam-filter", "support-triage"]  # fmt: skip
    legacy = rows["legacy-recommender"]
    assert legacy["error"] == (
        "legacy-recommender/threat-assessment.yaml:25: outputs.exposed: 'labels' is not one of "
        "label, score, probability_vector, top_k, ranking, explanation, embedding "
        "(did you mean 'label'?)"
    )
    fraud = rows["fraud-scorer"]
    assert fraud["residual_risk"] == "critical"
    assert fraud["dpia_likely_required"] is True
    assert fraud["prior_consultation"] is True
    assert fraud["top_threats"]
    [expiring] = rows["chat-moderation"]["acceptances"]
    assert (expiring["threat"], expiring["state"]) == ("inference-log-exposure", "within 30 days")
    triage = rows["support-triage"]
    assert triage["stale"] == ["pack acme-privacy is pinned to v1.0.0; v1.1.0 is available"]
    assert triage["packs"][1]["newest"] == "v1.1.0"
    assert {r["signoff_state"] for r in rows.values() if not r["error"]} == {"unsigned"}
    assert fraud["last_changed"] == "2026-10-05"
    assert fraud["last_changed_from"] == "git"
    summary = json.loads(cli("portfolio", ".", "--as-of", "2026-12-15", "-f", "json").out)
    assert summary["summary"]["broken"] == 1
    assert summary["summary"]["stale"] == 1
    # Highest residual risk first; the broken file last.
    order = [Path(s["path"]).parent.name for s in summary["systems"]]
    assert order[0] == "fraud-scorer"
    assert order[-1] == "legacy-recommender"


def test_offline_looks_nothing_up(org: Path, cli: CLI) -> None:
    _, rows = _register(cli, "support-triage", "--offline")
    assert rows["support-triage"]["stale"] == []
    assert rows["support-triage"]["packs"][1]["newest"] is None


def test_the_gate_over_the_whole_organisation(org: Path, cli: CLI) -> None:
    teams = ["spam-filter", "chat-moderation", "fraud-scorer"]
    assert cli("portfolio", *teams, "--fail-on", "high", "--as-of", "2026-12-15").code == 1
    assert cli("portfolio", *teams[:2], "--fail-on", "high", "--as-of", "2026-12-15").code == 0
    # The accepted risk passes until its acceptance expires, then fails whatever the level.
    late = cli(
        "portfolio", *teams[:2], "--fail-on", "critical", "--as-of", "2027-02-01", "-f", "json"
    )
    assert late.code == 1
    systems = json.loads(late.out)["systems"]
    assert [s["acceptances"][0]["state"] for s in systems if s["acceptances"]] == ["expired"]
    bad = cli("portfolio", "spam-filter", "--fail-on", "severe")
    assert bad.code == 2
    assert "--fail-on must be one of low, medium, high, critical, got 'severe'" in bad.err


def test_sign_offs_and_whether_they_still_hold(org: Path, cli: CLI) -> None:
    answers = org / "spam-filter" / "threat-assessment.yaml"
    assert cli("signoff", answers, "--by", "Dana Okafor", "--role", "dpo").code == 0
    _, rows = _register(cli, "spam-filter")
    assert rows["spam-filter"]["signoff_state"] == "signed"
    assert rows["spam-filter"]["signoffs"] == [
        {"role": "dpo", "by": "Dana Okafor", "decision": "accepted", "holds": True}
    ]
    answers.write_text(answers.read_text().replace("motivation: low", "motivation: high", 1))
    _, rows = _register(cli, "spam-filter")
    assert rows["spam-filter"]["signoff_state"] == "changed since signed"


def test_files_are_found_by_name_and_given_directly(tmp_path: Path, cli: CLI) -> None:
    tree = tmp_path / "estate"
    for place in ("a", "b/deep", ".git", ".venv/lib", "node_modules/x"):
        (tree / place).mkdir(parents=True)
    spam = (EXAMPLES / "spam-celebrity.yaml").read_text()
    for path in ("a/threat-assessment.yaml", "b/deep/sms.threatmodel.yaml",
                 ".git/threat-assessment.yaml", ".venv/lib/threat-assessment.yaml",
                 "node_modules/x/threat-assessment.yaml", "b/other.yaml"):  # fmt: skip
        (tree / path).write_text(spam)
    (tree / ".threatmodel.yaml").write_text("fail_on: critical\n")  # a project file, not answers
    extra = tmp_path / "given-directly.yaml"
    extra.write_text(spam)
    result = cli("portfolio", tree, extra, "-f", "json")
    assert result.code == 0, result.err
    paths = sorted(Path(s["path"]).relative_to(tmp_path).as_posix()
                   for s in json.loads(result.out)["systems"])  # fmt: skip
    assert paths == [
        "estate/a/threat-assessment.yaml",
        "estate/b/deep/sms.threatmodel.yaml",
        "given-directly.yaml",
    ]
    missing = cli("portfolio", tmp_path / "nowhere")
    assert missing.code == 2
    assert "nowhere: no such file or folder" in missing.err


def test_csv_for_grc_tools_is_safe_from_formulas(tmp_path: Path, cli: CLI) -> None:
    answers = tmp_path / "threat-assessment.yaml"
    text = (EXAMPLES / "spam-celebrity.yaml").read_text()
    answers.write_text(text.replace("name: SMS spam filter with a celebrity allow-list",
                                    "name: \"=HYPERLINK(\\\"http://x\\\")\""))  # fmt: skip
    result = cli("portfolio", answers, "-f", "csv")
    assert result.code == 0, result.err
    [row] = list(csv.DictReader(io.StringIO(result.out)))
    assert row["name"] == '\'=HYPERLINK("http://x")'
    assert row["residual_risk"] == "critical"
    markdown = cli("portfolio", answers).out
    assert "| System | Owner | Residual risk |" in markdown
    assert '=HYPERLINK("http:⁠//x")' in markdown  # escaped for Markdown, no autolink


@pytest.fixture(scope="module")
def page() -> Iterator[object]:
    if CHROMIUM is None:
        pytest.fail("Chromium is needed for this test: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser.new_page(viewport={"width": 1400, "height": 1000})
        browser.close()


def test_the_html_register_sorts_and_filters_in_chromium(
    org: Path, cli: CLI, page: object, tmp_path: Path
) -> None:
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    target = tmp_path / "register.html"
    made = cli("portfolio", ".", "--as-of", "2026-12-15", "--fail-on", "high", "-f", "html",
               "-o", target)  # fmt: skip
    assert made.code == 2, made.err
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text))
    page.goto(target.as_uri())
    assert page.locator("#controls").is_visible()  # the script ran: its hash is allowed
    assert violations == []  # and nothing was refused by the Content-Security-Policy
    names = page.locator("#register tbody tr td:first-child strong")
    assert names.first.inner_text() == "Card fraud scorer"
    page.locator("#register thead button", has_text="Residual risk").click()  # highest first
    page.locator("#register thead button", has_text="Residual risk").click()  # lowest first
    assert names.first.inner_text() == "Support-ticket spam filter"
    page.fill("#filter", "support")
    shown = page.locator("#register tbody tr:not([hidden])")
    assert shown.count() == 2
    page.fill("#filter", "")
    page.select_option("#level", label="high")
    assert page.locator("#register tbody tr:not([hidden]) strong").all_inner_texts() == [
        "Card fraud scorer"
    ]
    page.select_option("#level", label="any")
    critical = page.locator("table.matrix td.risk-critical").first
    assert critical.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(247, 180, 180)"
    assert "fails the gate" in page.locator("#register").inner_text()
    shot = page.screenshot(path=str(tmp_path / "register.png"), full_page=True)
    assert len(shot) > 50_000  # a page of tables and colour, not a blank one


def test_the_html_register_without_javascript(
    org: Path, cli: CLI, page: object, tmp_path: Path
) -> None:
    """Without the script the register is complete, sorted by risk, and shows no controls
    that would do nothing."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    target = tmp_path / "register.html"
    made = cli("portfolio", ".", "--as-of", "2026-12-15", "-f", "html", "-o", target)
    assert made.code == 2  # legacy-recommender does not load: a row, and exit 2
    context = page.context.browser.new_context(java_script_enabled=False)  # type: ignore[union-attr]
    still = context.new_page()
    still.goto(target.as_uri())
    assert not still.locator("#controls").is_visible()
    rows = still.locator("#register tbody tr")
    assert rows.count() == 5
    ranks = [int(r) for r in rows.evaluate_all("rs => rs.map(r => r.dataset.rank)")]
    assert ranks[:-1] == sorted(ranks[:-1], reverse=True)  # highest risk first
    assert "Does not load" in rows.last.inner_text()  # the broken file last, not missing
    context.close()


def test_a_symlink_loop_is_one_broken_row(tmp_path: Path, cli: CLI) -> None:
    team = tmp_path / "estate" / "team"
    team.mkdir(parents=True)
    (team / "threat-assessment.yaml").write_text((EXAMPLES / "spam-celebrity.yaml").read_text())
    (team / "loop.threatmodel.yaml").symlink_to("loop.threatmodel.yaml")
    result = cli("portfolio", tmp_path / "estate", "-f", "json")
    assert result.code == 2, result.err
    rows = {Path(s["path"]).name: s for s in json.loads(result.out)["systems"]}
    assert rows["threat-assessment.yaml"]["residual_risk"] == "critical"
    assert "symbolic links" in rows["loop.threatmodel.yaml"]["error"]


def test_systems_on_scales_named_their_own_way(tmp_path: Path, cli: CLI) -> None:
    """A team whose pack names its levels acceptable … intolerable sorts, counts and colours
    with the others; a gate at a level its scale lacks is an error on its row only."""
    from tests.engine.test_edges import _three_level_pack

    ico = tmp_path / "ico-team"
    _three_level_pack(ico / "ico")
    (ico / ".git").mkdir()
    (ico / ".threatmodel.yaml").write_text("rules: [ico]\n")
    (ico / "threat-assessment.yaml").write_text((EXAMPLES / "spam-celebrity.yaml").read_text())
    plain = tmp_path / "plain-team"
    plain.mkdir()
    turbine = (EXAMPLES / "turbine-fault-detector.yaml").read_text()
    (plain / "threat-assessment.yaml").write_text(turbine)
    result = cli("portfolio", ico, plain, "-f", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    first = data["systems"][0]
    assert (first["residual_risk"], first["residual_tone"]) == ("intolerable", "critical")
    assert data["summary"]["high_or_critical"] == 1
    html = cli("portfolio", ico, plain, "-f", "html")
    assert html.code == 0, html.err
    assert '<span class="level risk-critical">intolerable</span>' in html.out
    gated = cli("portfolio", ico, plain, "--fail-on", "high", "-f", "json")
    assert gated.code == 2
    rows = {Path(s["path"]).parent.name: s for s in json.loads(gated.out)["systems"]}
    assert rows["ico-team"]["error"] == (
        "--fail-on high is not a level of its scale (acceptable, tolerable, unacceptable, "
        "intolerable)"
    )
    assert rows["plain-team"]["error"] is None


def test_history_dates_paths_git_would_quote(tmp_path: Path, cli: CLI) -> None:
    estate = tmp_path / "estate"
    for team in ("équipe", "team"):
        (estate / team).mkdir(parents=True)
        (estate / team / "threat-assessment.yaml").write_text(
            (EXAMPLES / "spam-celebrity.yaml").read_text()
        )
    _git(estate, "init", "-q")
    _git(estate, "add", "-A")
    _git(estate, "commit", "-q", "-m", "estate", date="2026-09-09T09:00:00Z")
    systems = json.loads(cli("portfolio", estate, "-f", "json").out)["systems"]
    assert {(s["last_changed"], s["last_changed_from"]) for s in systems} == {("2026-09-09", "git")}
