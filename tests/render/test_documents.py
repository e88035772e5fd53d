"""The documents as a DPO reads them: the decision first, no page left mostly blank, ids that
never break inside a word, lists read as lists, references as their frameworks are named,
Markdown readable as plain text, and each fact once."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT, Result

DATING = ROOT / "tests" / "judgement" / "calibration" / "dating-age-api.yaml"
HEADSCARF = ROOT / "examples" / "headscarf-detector.yaml"


@pytest.fixture(scope="module")
def pdf_pages(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, float]]:
    """The dating app's PDF: each page's text, and how far down the page its text reaches."""
    import pypdf

    from threatmodel.cli import run

    target = tmp_path_factory.mktemp("pdf") / "dating.pdf"
    assert run(["report", str(DATING), "--format", "pdf", "--output", str(target)]) == 0
    pages = []
    for page in pypdf.PdfReader(target).pages:
        height = float(page.mediabox.height)
        lowest = [height]

        def visit(
            text: str, cm: list[float], tm: list[float], *_: object, lowest: list[float] = lowest
        ) -> None:
            if text.strip():
                lowest[0] = min(lowest[0], tm[5] * cm[3] + cm[5])

        text = page.extract_text(visitor_text=visit)
        pages.append((text, (height - lowest[0]) / height))
    return pages


def test_page_one_holds_the_decision(
    pdf_pages: list[tuple[str, float]], cli: Callable[..., Result]
) -> None:
    import json

    first = " ".join(pdf_pages[0][0].split())
    assessment = json.loads(cli("report", DATING, "--format", "json").out)
    assert "1. Summary for the decision-maker" in first
    assert "Overall risk:" in first
    for threat in assessment["threats"]:
        if threat["risk"] in ("critical", "high"):
            assert threat["title"] in first, threat["title"]
    assert "The measures that would lower risk most:" in first
    for recommendation in assessment["recommendations"]:
        assert recommendation["title"] in first
    assert "DPIA screening (WP248): 7 of 9 criteria met" in first
    assert "Prior consultation of the supervisory authority (Art. 36): required" in first
    assert first.index("Summary for the decision-maker") < first.index("Document control")


def test_no_page_is_mostly_blank(pdf_pages: list[tuple[str, float]]) -> None:
    # Every page but the last is filled at least halfway down (the text, not the margins).
    filled = [round(fill, 2) for _, fill in pdf_pages[:-1]]
    assert min(filled) >= 0.5, filled


def test_ids_in_the_risk_map_never_break_inside_a_word(pdf_pages: list[tuple[str, float]]) -> None:
    [risk_map] = [text for text, _ in pdf_pages if "Risk map" in text]
    words = set(risk_map.split())
    for threat_id in (
        "linkage-reidentification",
        "membership-inference",
        "protected-attribute-exposure",
    ):
        for part in threat_id.split("-"):
            assert any(part in word for word in words), (part, sorted(words))


def test_the_description_lists_multi_answers(cli: Callable[..., Result]) -> None:
    markdown = cli("report", DATING).out
    assert (
        "**Outputs returned**\n\n- The class label or decision\n"
        "- A confidence or score for the returned label\n\nVisible to the submitter: yes."
    ) in markdown
    assert "decision only" not in markdown
    html = cli("report", DATING, "--format", "html").out
    assert re.search(r"<th>Outputs returned</th><td><ul class=\"tight\"><li>The class label or "
                     r"decision</li><li>A confidence or score", html)  # fmt: skip


def test_references_read_as_their_frameworks_are_named(cli: Callable[..., Result]) -> None:
    markdown = cli("report", DATING).out
    refs = [line for line in markdown.splitlines() if line.startswith("**References:**")]
    assert refs
    joined = "\n".join(refs)
    assert "EU AI Act Art. 15(5)" in joined
    assert "NIST AI 100-2 membership inference" in joined
    assert "OWASP ML04" in joined
    assert "MITRE ATLAS AML.T0024" in joined
    assert "GDPR Art. 5(1)(f)" in joined
    for key in ("ai_act", "owasp_ml", "atlas ", "nist NIST", "gdpr "):
        assert key not in joined, key


def test_markdown_escapes_only_what_markdown_needs(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    markdown = cli("report", DATING).out
    assert "| Owner | Trust & Safety ML team |" in markdown  # not `Trust \& Safety`
    answers = tmp_path / "a.yaml"
    answers.write_text(
        DATING.read_text().replace("Trust & Safety ML team", "'*Ops* & <b>x</b> _y_ a_b &amp;'")
    )
    out = cli("report", answers).out
    assert r"| Owner | \*Ops\* & \<b\>x\</b\> \_y\_ a_b \&amp; |" in out


def test_the_purpose_appears_once(cli: Callable[..., Result]) -> None:
    for fmt in ("md", "html"):
        document = cli("report", HEADSCARF, "--format", fmt).out
        assert document.count("Purpose") == 1, fmt
