"""Every format from one assessment: SARIF against its schema, CSV as a spreadsheet reads it,
HTML self-contained, PDF a real document, all reproducible under SOURCE_DATE_EPOCH."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT, SCENARIOS, Result

HEADSCARF = EXAMPLES / "headscarf-detector.yaml"


def _report(cli: Callable[..., Result], path: Path, fmt: str) -> str:
    result = cli("report", path, "--format", fmt)
    assert result.code == 0, result.err
    return result.out


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_csv_is_a_risk_register(cli: Callable[..., Result], path: Path) -> None:
    text = _report(cli, path, "csv")
    assert text.startswith("\ufeff")  # a byte-order mark: spreadsheets then read accents
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assessment = json.loads(_report(cli, path, "json"))
    assert [r["id"] for r in rows] == [t["id"] for t in assessment["threats"]]
    for row, threat in zip(rows, assessment["threats"], strict=True):
        assert (row["likelihood"], row["severity"], row["risk"], row["residual_risk"]) == (
            threat["likelihood"],
            threat["severity"],
            threat["risk"],
            threat["residual_risk"],
        )


class _Resources(HTMLParser):
    """Collects what a browser would fetch or run."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "link", "img", "iframe", "object", "embed"):
            self.found.append(tag)
        self.found += [f"{tag} {k}={v}" for k, v in attrs if k in ("src", "srcset") and v]
        self.found += [
            f"{tag} href={v}" for k, v in attrs if k == "href" and v and not v.startswith("#")
        ]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_html_is_self_contained(cli: Callable[..., Result], path: Path) -> None:
    html = _report(cli, path, "html")
    parser = _Resources()
    parser.feed(html)
    assert parser.found == []
    assert not re.search(r"@import|url\(|@font-face", html)
    assert html.startswith("<!DOCTYPE html>")


def test_html_names_levels_in_words_not_only_colour(cli: Callable[..., Result]) -> None:
    html = _report(cli, HEADSCARF, "html")
    cells = re.findall(r'<td class="risk-(\w+)"><span class="cell-level">(\w+)</span>', html)
    assert len(cells) == 16
    assert all(css == word for css, word in cells)


def test_pdf_is_a_document(cli: Callable[..., Result], tmp_path: Path) -> None:
    target = tmp_path / "r.pdf"
    result = cli("report", HEADSCARF, "--format", "pdf", "--output", target)
    assert result.code == 0, result.err
    data = target.read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    import weasyprint  # the same renderer, asked how it paginated the document

    html = _report(cli, HEADSCARF, "html")
    assert len(weasyprint.HTML(string=html).render().pages) >= 10


def test_pdf_carries_its_json_assessment_as_pdf_a_3(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    import pypdf

    target = tmp_path / "r.pdf"
    assert cli("report", HEADSCARF, "--format", "pdf", "--output", target).code == 0
    reader = pypdf.PdfReader(target)
    (attached,) = reader.attachments["assessment.json"]
    assert json.loads(attached) == json.loads(_report(cli, HEADSCARF, "json"))
    xmp = reader.xmp_metadata
    assert xmp is not None
    identity = xmp.rdf_root.toxml()
    assert 'pdfaid:part="3"' in identity
    assert 'pdfaid:conformance="B"' in identity


def test_pdf_without_weasyprint_says_what_to_install(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['weasyprint'] = None\n"
        "from threatmodel.cli import main\n"
        f"main(['report', {str(HEADSCARF)!r}, '-f', 'pdf', '-o', {str(tmp_path / 'r.pdf')!r}])"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        "threatmodel: --format pdf needs WeasyPrint: pip install 'threatmodel[pdf]'"
    )
    assert proc.stderr.count("\n") == 1
    assert not (tmp_path / "r.pdf").exists()


@pytest.mark.parametrize("fmt", ["md", "html", "json", "sarif", "csv"])
def test_every_format_is_reproducible(
    cli: Callable[..., Result], fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _report(cli, HEADSCARF, fmt)
    assert _report(cli, HEADSCARF, fmt) == first
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1798761600")
    later = _report(cli, HEADSCARF, fmt)
    if fmt != "csv":  # the register has no date column
        assert later != first
        assert later.replace("2027-01-01T00:00:00Z", "2026-01-01T00:00:00Z") == first


def test_json_carries_what_the_documents_show(cli: Callable[..., Result]) -> None:
    data = json.loads(_report(cli, HEADSCARF, "json"))
    assert data["prior_consultation"] is True
    assert len(data["recommendations"]) == 3
    assert data["screening"]["dpia_likely_required"] is True
    assert {n["status"] for n in data["screening"]["necessity"]} == {"concern", "to_complete"}
    assert data["provenance"]["answers_path"].endswith("headscarf-detector.yaml")
    assert [c["id"] for c in data["catalogue"]][:2] == [
        "behaviour-disclosure",
        "explanation-leakage",
    ]
    assert all("residual_risk" in t for t in data["threats"])


def test_report_sections_are_those_of_a_dpia(cli: Callable[..., Result]) -> None:
    markdown = _report(cli, HEADSCARF, "md")
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert headings == [
        "## 1. Summary for the decision-maker",
        "## 2. Document control",
        "## 3. Systematic description of the processing (Art. 35(7)(a))",
        "## 4. Necessity and proportionality (Art. 35(7)(b))",
        "## 5. Risks to the rights and freedoms of the people affected (Art. 35(7)(c))",
        "## 6. Measures (Art. 35(7)(d))",
        "## 7. Sign-off (Art. 35(11))",
        "## 8. Annexes",
    ]
    html = _report(cli, HEADSCARF, "html")
    assert re.findall(r"<h2[^>]*>(\d)\.", html) == list("12345678")
    assert ROOT.name  # the examples are part of the checkout
