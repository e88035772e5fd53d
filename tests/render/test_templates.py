"""Templates are the organisation's to change: export, override by name, fail with a line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import EXAMPLES, ROOT, Result

CELEBRITY = EXAMPLES / "spam-celebrity.yaml"


def test_export_copies_every_built_in_template(cli: Callable[..., Result], tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    result = cli("templates", "export", folder)
    assert result.code == 0, result.err
    exported = sorted(p.name for p in folder.iterdir())
    assert exported == sorted(p.name for p in (ROOT / "templates").glob("*.j2"))
    again = cli("templates", "export", folder)
    assert again.code == 2
    assert "already exists; pass --force to overwrite" in again.err
    assert cli("templates", "export", folder, "--force").code == 0


def test_an_override_changes_the_report(cli: Callable[..., Result], tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    built_in = (ROOT / "templates" / "report.md.j2").read_text()
    (folder / "report.md.j2").write_text(
        built_in.replace(
            '## 7. {{ _("Sign-off (Art. 35(11))") }}', "## 7. Approval by the Acme privacy board"
        )
    )
    result = cli("report", CELEBRITY, "--template-dir", folder)
    assert result.code == 0, result.err
    assert "## 7. Approval by the Acme privacy board" in result.out
    html = cli("report", CELEBRITY, "-f", "html", "--template-dir", folder)
    assert "7. Sign-off (Art. 35(11))" in html.out  # only the template of that name is replaced


def test_a_broken_template_names_itself_and_its_line(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "report.md.j2").write_text("# Report\n\n{% for t in a.threats %}\n{{ t.title }\n")
    result = cli("report", CELEBRITY, "--template-dir", folder)
    assert result.code == 2
    assert result.err.startswith(f"threatmodel: {folder / 'report.md.j2'}:4: template error: ")
    assert result.err.count("\n") == 1


def test_a_template_that_fails_while_rendering(cli: Callable[..., Result], tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "report.md.j2").write_text("# Report\n\n{{ a.no_such_field }}\n")
    result = cli("report", CELEBRITY, "--template-dir", folder)
    assert result.code == 2
    assert result.err.startswith(f"threatmodel: {folder / 'report.md.j2'}:3: template error: ")
    assert "no_such_field" in result.err


def test_templates_cannot_reach_python(cli: Callable[..., Result], tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "report.md.j2").write_text("{{ a.__class__.__mro__[1].__subclasses__() }}\n")
    result = cli("report", CELEBRITY, "--template-dir", folder)
    assert result.code == 2
    assert "template error" in result.err
    assert "access to attribute '__class__'" in result.err
    assert "is unsafe" in result.err


def test_sarif_templates_must_produce_json(cli: Callable[..., Result], tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "report.sarif.j2").write_text('{"runs": [ {{ a.system.name }} \n')
    result = cli("report", CELEBRITY, "-f", "sarif", "--template-dir", folder)
    assert result.code == 2
    assert result.err.startswith("threatmodel: report.sarif.j2: the template produced invalid JSON")


def test_missing_template_dir(cli: Callable[..., Result], tmp_path: Path) -> None:
    result = cli("report", CELEBRITY, "--template-dir", tmp_path / "nope")
    assert result.code == 2
    assert result.err == f"threatmodel: --template-dir {tmp_path / 'nope'}: no such folder\n"


def _render_in_new_process(cache: Path, *extra: object) -> str:
    import os
    import subprocess
    import sys

    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "SOURCE_DATE_EPOCH": "0"}
    command = [sys.executable, "-m", "threatmodel", "report", str(CELEBRITY), *map(str, extra)]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout


def test_compiled_templates_are_kept_per_escaping_and_give_the_same_report(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "cache"
    first = _render_in_new_process(cache, "-f", "html")
    _render_in_new_process(cache, "-f", "md")
    folders = cache / "threatmodel" / "templates"
    assert sorted(p.name for p in folders.iterdir()) == ["html", "md_escape"]
    assert list((folders / "html").glob("*.cache"))
    assert _render_in_new_process(cache, "-f", "html") == first


def test_an_edited_template_is_compiled_again(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    folder = tmp_path / "tpl"
    folder.mkdir()
    template = folder / "report.md.j2"
    template.write_text("first {{ a.threats | length }}\n")
    assert _render_in_new_process(cache, "--template-dir", folder).startswith("first ")
    template.write_text("again {{ a.threats | length }}\n")
    assert _render_in_new_process(cache, "--template-dir", folder).startswith("again ")


def test_compiled_templates_others_may_write_are_not_used(tmp_path: Path) -> None:
    """Compiled templates run as code: a cache folder anyone may write to is not trusted with
    them. The report is rendered all the same, and nothing is written there."""
    cache = tmp_path / "cache"
    folder = cache / "threatmodel" / "templates"
    folder.mkdir(parents=True)
    folder.chmod(0o777)
    planted = folder / "md_escape"
    planted.mkdir()
    planted.chmod(0o777)
    report = _render_in_new_process(cache)
    assert report.startswith("# ")
    assert list(planted.iterdir()) == []
