"""Rule packs by git URL and tag: `rules sync`, `.threatmodel.lock`, the verified cache and
`--offline`, with real `git` on local repositories over file:// (no network)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLES, Result

PACK = EXAMPLES / "org" / "privacy-rules"
PATCH = EXAMPLES / "org" / "privacy-rules-v1.1.0.patch"
ANSWERS = EXAMPLES / "org" / "support-triage" / "threat-assessment.yaml"

CLI = Callable[..., Result]


def git(repo: Path, *args: str) -> str:
    """git as the pack's maintainers run it (identity given, no signing)."""
    done = subprocess.run(
        ["git", "-c", "user.name=Platform", "-c", "user.email=p@example.org",
         "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", "-c", "init.defaultBranch=main",
         *args],
        cwd=repo, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def commit_and_tag(repo: Path, tag: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"pack {tag}")
    git(repo, "tag", "-a", tag, "-m", tag)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Acme's rules repository: v1.0.0, v1.1.0 (a new threat, a changed one) and v2.0.0,
    whose pack needs an engine this is not."""
    root = tmp_path / "privacy-rules"
    (root / "packs").mkdir(parents=True)
    git(root, "init", "-q")
    shutil.copytree(PACK, root / "packs" / "privacy")
    commit_and_tag(root, "v1.0.0")
    git(root, "apply", str(PATCH))
    commit_and_tag(root, "v1.1.0")
    manifest = root / "packs" / "privacy" / "pack.yaml"
    text = manifest.read_text().replace("version: 1.1.0", "version: 2.0.0")
    manifest.write_text(text.replace('engine: ">=0.1,<1"', 'engine: ">=1,<2"'))
    commit_and_tag(root, "v2.0.0")
    return root


PROJECT = """\
# The team's packs: Acme's, by tag.
rules:
  - git: {url}
    ref: {ref}   # the release we assessed under
    path: packs/privacy
fail_on: high
"""


@pytest.fixture
def team(tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A team's folder pinned to v1.0.0, its own cache, and the working folder."""
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / ".threatmodel.yaml").write_text(PROJECT.format(url=f"file://{repo}", ref="v1.0.0"))
    shutil.copy(ANSWERS, folder / "threat-assessment.yaml")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(folder)
    return folder


def lock_of(team: Path) -> dict[str, object]:
    data = yaml.safe_load((team / ".threatmodel.lock").read_text())
    assert isinstance(data, dict)
    return data


def git_cache(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "threatmodel" / "git"


def cached_entries(tmp_path: Path) -> list[str]:
    """Everything in the git cache, as paths relative to it (trees and leftovers)."""
    root = git_cache(tmp_path)
    return sorted(str(p.relative_to(root)) for p in root.glob("*/*")) + sorted(
        p.name for p in root.glob(".*")
    )


def test_sync_locks_the_tag_and_reports_record_it(
    cli: CLI, team: Path, repo: Path, tmp_path: Path
) -> None:
    result = cli("rules", "sync")
    assert result.code == 0, result.err
    commit = git(repo, "rev-parse", "v1.0.0^{commit}")
    assert (
        f"acme-privacy 1.0.0: file://{repo}@v1.0.0 (packs/privacy), commit {commit[:12]} (fetched)"
        in result.out
    )
    lock = lock_of(team)
    assert lock["lock_version"] == 1
    [entry] = lock["packs"]  # type: ignore[misc]
    assert entry["git"] == f"file://{repo}"
    assert entry["ref"] == "v1.0.0"
    assert entry["commit"] == commit
    assert len(entry["sha256"]) == 64
    assert (entry["name"], entry["version"]) == ("acme-privacy", "1.0.0")
    report = json.loads(cli("report", "threat-assessment.yaml", "-f", "json").out)
    acme = report["packs"][1]
    assert (acme["git"], acme["ref"], acme["commit"]) == (f"file://{repo}", "v1.0.0", commit)
    assert acme["sha256"] == entry["sha256"]  # the pack's digest and the lock's agree
    markdown = cli("report", "threat-assessment.yaml").out
    assert f"from `file://{repo}` at `v1.0.0`, commit `{commit[:12]}`" in markdown
    assert cached_entries(tmp_path) == [f"{_url_key(tmp_path)}/{commit}"]  # nothing else left


def _url_key(tmp_path: Path) -> str:
    return next(git_cache(tmp_path).iterdir()).name


def test_a_synced_pack_needs_no_network(cli: CLI, team: Path, repo: Path) -> None:
    assert cli("rules", "sync").code == 0
    shutil.rmtree(repo)  # the repository is gone: the cache and the lock are enough
    assert cli("report", "--offline", "threat-assessment.yaml", "-f", "json").code == 0
    assert cli("check", "threat-assessment.yaml").code == 0
    again = cli("rules", "sync")
    assert again.code == 0
    assert "(in the cache)" in again.out


def test_a_pack_not_yet_locked_is_refused_with_the_line(cli: CLI, team: Path) -> None:
    result = cli("report", "threat-assessment.yaml")
    assert result.code == 2
    assert result.err.strip() == (
        f"threatmodel: {team / '.threatmodel.yaml'}:3: takes pack file://"
        f"{team.parent / 'privacy-rules'}@v1.0.0 (packs/privacy), not locked yet; "
        "run `threatmodel rules sync`"
    )


def test_offline_with_an_empty_cache_says_to_sync(cli: CLI, team: Path, tmp_path: Path) -> None:
    assert cli("rules", "sync").code == 0
    shutil.rmtree(git_cache(tmp_path))
    result = cli("report", "--offline", "threat-assessment.yaml")
    assert result.code == 2
    assert (
        "is not in the cache and --offline forbids fetching it; run `threatmodel rules sync`"
        in result.err
    )
    assert len(result.err.strip().splitlines()) == 1
    assert not git_cache(tmp_path).exists()  # offline: nothing fetched
    online = cli("report", "threat-assessment.yaml", "-f", "json")  # fetches the locked commit
    assert online.code == 0, online.err


def test_a_tampered_cache_is_refused_then_repaired_by_sync(
    cli: CLI, team: Path, tmp_path: Path
) -> None:
    assert cli("rules", "sync").code == 0
    [threat] = git_cache(tmp_path).glob("*/*/packs/privacy/threats/vendor-input-retention.yaml")
    threat.write_text(threat.read_text().replace("base: significant", "base: rare"))
    for command in (("report", "threat-assessment.yaml"), ("check", "threat-assessment.yaml"),
                    ("rules", "list")):  # fmt: skip
        result = cli(*command)
        assert result.code == 2, command
        pack = f"pack file://{team.parent / 'privacy-rules'}@v1.0.0 (packs/privacy)"
        assert f"{pack}: the cached files do not match .threatmodel.lock" in result.err
    repaired = cli("rules", "sync")
    assert repaired.code == 0
    assert "(fetched)" in repaired.out
    assert "base: significant" in threat.read_text()
    assert cli("report", "threat-assessment.yaml").code == 0


def test_a_moved_tag_is_refused_and_nothing_is_cached(
    cli: CLI, team: Path, repo: Path, tmp_path: Path
) -> None:
    assert cli("rules", "sync").code == 0
    locked = lock_of(team)["packs"][0]["commit"]  # type: ignore[index]
    git(repo, "tag", "-f", "-a", "v1.0.0", "-m", "moved", "v1.1.0^{commit}")  # re-tagged
    shutil.rmtree(git_cache(tmp_path))  # a fresh CI machine
    for command in (("report", "threat-assessment.yaml"), ("rules", "sync")):
        result = cli(*command)
        assert result.code == 2, command
        assert f"v1.0.0 has moved: .threatmodel.lock pins commit {locked[:12]}" in result.err
        assert len(result.err.strip().splitlines()) == 1
    assert cached_entries(tmp_path) == []  # the moved tag's files never entered the cache
    assert lock_of(team)["packs"][0]["commit"] == locked  # type: ignore[index]


def test_a_lock_that_does_not_match_the_repository(cli: CLI, team: Path, tmp_path: Path) -> None:
    assert cli("rules", "sync").code == 0
    lock = (team / ".threatmodel.lock").read_text()
    digest = lock_of(team)["packs"][0]["sha256"]  # type: ignore[index]
    (team / ".threatmodel.lock").write_text(lock.replace(digest, "f" * 64))
    shutil.rmtree(git_cache(tmp_path))
    result = cli("rules", "sync")
    assert result.code == 2
    assert "files with sha256" in result.err
    assert "the lock does not match the repository" in result.err
    assert cached_entries(tmp_path) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(("file://{repo}", "file:///nonexistent/rules.git"),
                     "'/nonexistent/rules.git' does not appear to be a git repository",
                     id="unreachable-url"),
        pytest.param(("ref: v1.0.0", "ref: v9.9.9"),
                     "ref 'v9.9.9' is neither a tag nor a branch of the repository "
                     "(tags: v1.0.0, v1.1.0, v2.0.0)", id="missing-ref"),
        pytest.param(("path: packs/privacy", "path: packs/security"),
                     "the repository has no folder 'packs/security' at v1.0.0",
                     id="missing-folder"),
    ],
)  # fmt: skip
def test_bad_sources_are_one_line_and_leave_nothing(
    cli: CLI, team: Path, repo: Path, tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    project = team / ".threatmodel.yaml"
    old, new = (part.format(repo=repo) for part in change)
    project.write_text(project.read_text().replace(old, new))
    result = cli("rules", "sync")
    assert result.code == 2
    assert result.err.startswith(f"threatmodel: {project}:3: pack ")
    assert result.err.strip().endswith(message)
    assert len(result.err.strip().splitlines()) == 1
    assert cached_entries(tmp_path) == []
    assert not (team / ".threatmodel.lock").exists()


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("git", '"ext::sh -c touch% {canary}"', "is not a repository URL git may use here"),
        ("git", '"--upload-pack=touch {canary}"', "is not a repository URL git may use here"),
        ("ref", '"--upload-pack=touch {canary}"', "is not a tag or branch name"),
        ("ref", '"v1..v2"', "is not a tag or branch name"),
        ("path", '"../../.."', "must be a folder inside the repository"),
        ("path", '"/etc"', "must be a folder inside the repository"),
    ],
)
def test_hostile_sources_never_reach_git(
    cli: CLI, team: Path, tmp_path: Path, key: str, value: str, message: str
) -> None:
    """A project file (from a pull request, say) cannot make git run a command or read
    outside the repository: the source is refused when read, before any git runs."""
    canary = tmp_path / "canary"
    project = team / ".threatmodel.yaml"
    lines = project.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.lstrip(" -").startswith(f"{key}:"))
    lines[index] = lines[index].split(f"{key}:")[0] + f"{key}: {value.format(canary=canary)}"
    project.write_text("\n".join(lines) + "\n")
    for command in (("rules", "sync"), ("report", "threat-assessment.yaml")):
        result = cli(*command)
        assert result.code == 2
        assert result.err.startswith(f"threatmodel: {project}:{index + 1}: rules[0].{key}: ")
        assert message in result.err
    assert not canary.exists()
    assert not git_cache(tmp_path).exists()


def test_a_symlink_in_a_shared_pack_is_not_followed(
    cli: CLI, team: Path, repo: Path, tmp_path: Path
) -> None:
    """A pack whose maintainers (or an attacker) commit a symlink to a file outside gets it
    checked out as a plain file holding the link's text, which is no threat file."""
    git(repo, "checkout", "-q", "v1.0.0")
    threats = repo / "packs" / "privacy" / "threats"
    (threats / "stolen.yaml").symlink_to("/etc/passwd")
    commit_and_tag(repo, "v1.0.1")
    project = team / ".threatmodel.yaml"
    project.write_text(project.read_text().replace("ref: v1.0.0", "ref: v1.0.1"))
    result = cli("rules", "sync")
    assert result.code == 2
    assert "stolen.yaml:1: " in result.err
    assert "got '/etc/passwd'" in result.err
    assert not (team / ".threatmodel.lock").exists()  # a stack that fails to load is not locked


def test_upgrade_moves_to_the_newest_compatible_tag_and_shows_the_threats(
    cli: CLI, team: Path, repo: Path
) -> None:
    assert cli("rules", "sync").code == 0
    result = cli("rules", "sync", "--upgrade")
    assert result.code == 0, result.err
    commit = git(repo, "rev-parse", "v1.1.0^{commit}")
    source = f"file://{repo}@v1.1.0 (packs/privacy), commit {commit[:12]}"
    assert f"acme-privacy 1.1.0: {source} (upgraded from v1.0.0)" in result.out
    assert "v2.0.0: skipped, its pack needs engine >=1,<2" in result.out
    assert "+ vendor-input-training" in result.out
    assert "~ vendor-input-retention" in result.out
    assert "(severity)" in result.out
    project = (team / ".threatmodel.yaml").read_text()
    assert "    ref: v1.1.0   # the release we assessed under\n" in project  # comment kept
    assert "# The team's packs: Acme's, by tag." in project
    assert lock_of(team)["packs"][0]["commit"] == commit  # type: ignore[index]
    report = json.loads(cli("report", "threat-assessment.yaml", "-f", "json").out)
    assert report["packs"][1]["ref"] == "v1.1.0"
    newest = cli("rules", "sync", "--upgrade", "-f", "json")
    data = json.loads(newest.out)
    assert data["packs"][0]["action"] == "in the cache"
    assert data["changes"] is None


def test_upgrade_needs_a_version_tag(cli: CLI, team: Path, repo: Path) -> None:
    git(repo, "branch", "stable", "v1.1.0")
    project = team / ".threatmodel.yaml"
    project.write_text(project.read_text().replace("ref: v1.0.0", "ref: stable"))
    assert cli("rules", "sync").code == 0  # a branch can be locked like a tag
    result = cli("rules", "sync", "--upgrade")
    assert result.code == 2
    assert "ref 'stable' is not a version tag" in result.err


def test_a_damaged_lock_file_names_its_line(cli: CLI, team: Path) -> None:
    assert cli("rules", "sync").code == 0
    lock = team / ".threatmodel.lock"
    lock.write_text(lock.read_text().replace("commit:", "comit:"))
    result = cli("report", "threat-assessment.yaml")
    assert result.code == 2
    assert result.err.startswith(f"threatmodel: {lock}:5: packs[0]: ")


def test_folders_and_git_packs_layer_in_the_project_files_order(
    cli: CLI, team: Path, tmp_path: Path
) -> None:
    """A local pack listed after the git one is layered on top of it (it may override it)."""
    local = team / "local-pack"
    assert cli("rules", "init", local).code == 0
    for path in local.rglob("*.yaml"):  # its own ids, beside Acme's (made from the same skeleton)
        path.write_text(path.read_text().replace("vendor", "hosting"))
    for path in (local / "threats").glob("vendor-*.yaml"):
        path.rename(path.with_name(path.name.replace("vendor", "hosting")))
    project = team / ".threatmodel.yaml"
    project.write_text(
        project.read_text().replace("fail_on: high", "  - local-pack\nfail_on: high")
    )
    assert cli("rules", "sync").code == 0
    listed = cli("rules", "list", "-f", "json")
    names = [p["name"] for p in json.loads(listed.out)["packs"]]
    assert names == ["core", "acme-privacy", "local-pack"]


def test_without_a_project_file_sync_says_so(
    cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "nothing"
    (folder / ".git").mkdir(parents=True)  # a repository without a project file
    monkeypatch.chdir(folder)
    result = cli("rules", "sync")
    assert result.code == 2
    assert "no .threatmodel.yaml here or above" in result.err


def test_the_example_organisation_pins_its_pack_and_keeps_its_sign_off_honest(
    cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """examples/org end to end: the pack repository built with two tags, the support team
    pinned to the older one by its committed lock, a DPO sign-off that holds, then breaks when
    an answer changes and when the team upgrades its pack."""
    org = tmp_path / "org"
    shutil.copytree(EXAMPLES / "org", org)
    made = subprocess.run(["bash", str(org / "make-pack-repo.sh"), str(tmp_path / "rules.git")],
                          capture_output=True, text=True, check=True)  # fmt: skip
    for line in made.stdout.splitlines():  # what `eval "$(make-pack-repo.sh)"` would export
        name, _, value = line.removeprefix("export ").partition("=")
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    team = org / "support-triage"
    monkeypatch.chdir(team)
    committed = (team / ".threatmodel.lock").read_text()
    synced = cli("rules", "sync")
    assert synced.code == 0, synced.err
    assert "acme-privacy 1.0.0: https://git.example.org/acme/privacy-rules.git@v1.0.0" in synced.out
    assert (team / ".threatmodel.lock").read_text() == committed  # same commit, same files

    signed = cli("signoff", "threat-assessment.yaml", "--by", "Dana Okafor", "--role", "dpo")
    assert signed.code == 0, signed.err
    assert cli("check", "threat-assessment.yaml", "--require-signoff", "dpo").code == 0

    answers = team / "threat-assessment.yaml"
    text = answers.read_text()
    answers.write_text(text.replace("exposure: internal", "exposure: public", 1))
    broken = cli("check", "threat-assessment.yaml", "--require-signoff", "dpo")
    assert broken.code == 1
    assert "no longer holds; changed since: access.exposure: internal → public" in broken.out
    answers.write_text(text)  # the answer restored: the sign-off holds again
    assert cli("check", "threat-assessment.yaml", "--require-signoff", "dpo").code == 0

    upgraded = cli("rules", "sync", "--upgrade")
    assert upgraded.code == 0, upgraded.err
    assert "+ vendor-input-training" in upgraded.out
    after = cli("check", "threat-assessment.yaml", "--require-signoff", "dpo")
    assert after.code == 1
    assert "rule pack acme-privacy: 1.0.0 (sha256 " in after.out
    assert "→ 1.1.0 (sha256 " in after.out


def test_upgrade_out_of_a_pack_this_engine_no_longer_loads(
    cli: CLI, team: Path, repo: Path
) -> None:
    """Often why a team upgrades: its pinned release needs an older engine. The upgrade still
    works; it says why it cannot list the threats that changed."""
    git(repo, "checkout", "-q", "v1.0.0")
    manifest = repo / "packs" / "privacy" / "pack.yaml"
    text = manifest.read_text().replace("version: 1.0.0", "version: 0.9.0")
    manifest.write_text(text.replace('engine: ">=0.1,<1"', 'engine: "<0.1"'))
    commit_and_tag(repo, "v0.9.0")
    project = team / ".threatmodel.yaml"
    project.write_text(project.read_text().replace("ref: v1.0.0", "ref: v0.9.0"))
    stuck = cli("rules", "sync")
    assert stuck.code == 2
    assert "pack 'acme-privacy' needs engine <0.1" in stuck.err
    result = cli("rules", "sync", "--upgrade")
    assert result.code == 0, result.err
    assert "(upgraded from v0.9.0)" in result.out
    assert "no list of the threats that change: before the upgrade" in result.out
    assert "ref: v1.1.0" in project.read_text()


def test_a_project_without_git_packs_writes_no_lock(cli: CLI, team: Path) -> None:
    (team / ".threatmodel.yaml").write_text("rules: []\n")
    result = cli("rules", "sync")
    assert result.code == 0
    assert "takes no pack from a git repository: nothing to sync" in result.out
    assert not (team / ".threatmodel.lock").exists()


def test_a_hooks_git_environment_never_reaches_the_fetch(
    cli: CLI, team: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pre-commit hook runs `check` with the committing git's GIT_INDEX_FILE and GIT_DIR:
    inherited, they made the fetch stage the pack's files in the user's own index."""
    git(team, "init", "-q")
    git(team, "add", "-A")
    git(team, "commit", "-q", "-m", "team")
    monkeypatch.setenv("GIT_DIR", str(team / ".git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(team / ".git" / "index"))
    monkeypatch.setenv("GIT_WORK_TREE", str(team))
    assert cli("rules", "sync").code == 0
    for name in ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE"):
        monkeypatch.delenv(name)
    assert git(team, "diff", "--cached", "--name-only") == ""
    assert git(team, "status", "--porcelain") == "?? .threatmodel.lock"


def test_the_users_git_settings_never_change_the_files(
    cli: CLI, team: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Line endings are converted on checkout by `core.autocrlf` (Git for Windows turns it on):
    the files are written as stored, so the lock's sha256 holds on every machine."""
    assert cli("rules", "sync").code == 0
    shutil.rmtree(git_cache(tmp_path))
    settings = tmp_path / "gitconfig"
    settings.write_text("[core]\n\tautocrlf = true\n\teol = crlf\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(settings))
    result = cli("report", "threat-assessment.yaml", "-f", "json")
    assert result.code == 0, result.err
    [retention] = git_cache(tmp_path).glob("*/*/packs/privacy/threats/vendor-input-retention.yaml")
    assert b"\r\n" not in retention.read_bytes()


def test_a_file_name_that_is_not_utf8(cli: CLI, team: Path, repo: Path) -> None:
    git(repo, "checkout", "-q", "v1.0.0")
    with open(os.path.join(os.fsencode(repo), b"notes-\xff.txt"), "wb") as handle:
        handle.write(b"a file whose name is not UTF-8\n")
    commit_and_tag(repo, "v1.0.2")
    project = team / ".threatmodel.yaml"
    project.write_text(project.read_text().replace("ref: v1.0.0", "ref: v1.0.2"))
    result = cli("rules", "sync")
    assert result.code == 0, result.err
