"""What people type is data in every format: never template code, markup, a broken table, a
script or a spreadsheet formula."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import EXAMPLES, Result

HOSTILE = {
    "template": "{{ 7*7 }}{% raw %}x{% endraw %}{# c #}",
    "html": "<script>alert(1)</script><img src=x onerror=alert(2)>&amp;",
    "markdown": "| a | b |\n# Heading\n- item\n`code` **bold** [link](http://x) ![i](http://x)",
    "formula": '=HYPERLINK("http://x","click")',
    "long": "x" * 20_000,
    "unicode": "Ünïcødé 数据 שלום 🙂 \u202egnp.exe",
}
SARIF_SCHEMA = json.loads(
    (Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json").read_text()
)


def _answers(tmp_path: Path, text: str) -> Path:
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / "headscarf-detector.yaml").read_text())
    data["answers"]["system"].update(name=text, purpose=text, owner=text)
    data["answers"]["population"]["jurisdictions"] = text
    data["measures"] = [
        {
            "threat": "behaviour-disclosure",
            "measure": text,
            "status": "planned",
            "owner": text,
            "reduces": {"likelihood": 1},
        },
    ]
    data["acceptances"] = [
        {
            "threat": "model-inversion",
            "justification": text,
            "approved_by": text,
            "expires": "2099-01-01",
        },
    ]
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def _render(cli: Callable[..., Result], path: Path, fmt: str) -> str:
    result = cli("report", path, "--format", fmt)
    assert result.code == 0, result.err
    return result.out


@pytest.mark.parametrize("kind", HOSTILE)
def test_markdown(cli: Callable[..., Result], tmp_path: Path, kind: str) -> None:
    text = HOSTILE[kind]
    out = _render(cli, _answers(tmp_path, text), "md")
    assert not re.search(r"(?<!\\)<script", out)
    assert "\n# Heading" not in out
    for line in out.splitlines():
        if line.startswith("| System |"):  # the typed text stays inside its one table cell
            assert len(re.findall(r"(?<!\\)\|", line)) == 3
    if kind == "template":  # shown as typed, not evaluated to 49
        assert "| System | {{ 7\\*7 }}{% raw %}x{% endraw %}{# c #} |" in out


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.handlers += [k for k, _ in attrs if k.startswith("on")]


@pytest.mark.parametrize("kind", HOSTILE)
def test_html(cli: Callable[..., Result], tmp_path: Path, kind: str) -> None:
    out = _render(cli, _answers(tmp_path, HOSTILE[kind]), "html")
    parser = _Tags()
    parser.feed(out)
    assert "script" not in parser.tags
    assert "img" not in parser.tags
    assert parser.handlers == []
    if kind == "template":  # shown as typed, not evaluated to 49
        assert "<tr><th>System</th><td>{{ 7*7 }}{% raw %}x{% endraw %}{# c #}</td></tr>" in out
    if kind == "html":
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out


@pytest.mark.parametrize("kind", HOSTILE)
def test_machine_formats(cli: Callable[..., Result], tmp_path: Path, kind: str) -> None:
    text = HOSTILE[kind]
    path = _answers(tmp_path, text)
    assessment = json.loads(_render(cli, path, "json"))
    assert assessment["system"]["name"] == text
    sarif = json.loads(_render(cli, path, "sarif"))
    jsonschema.validate(sarif, SARIF_SCHEMA)
    rows = list(csv.reader(io.StringIO(_render(cli, path, "csv").removeprefix("\ufeff"))))
    assert len(rows) == 1 + len(assessment["threats"])
    assert {len(row) for row in rows} == {15}
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell


def test_formula_cells_are_neutralised(cli: Callable[..., Result], tmp_path: Path) -> None:
    rows = list(
        csv.DictReader(io.StringIO(_render(cli, _answers(tmp_path, HOSTILE["formula"]), "csv")[1:]))
    )
    behaviour = next(r for r in rows if r["id"] == "behaviour-disclosure")
    assert behaviour["measures"] == "'" + HOSTILE["formula"]
    assert behaviour["owners"] == "'" + HOSTILE["formula"]
