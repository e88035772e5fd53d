"""The HTML report as a person sees it: rendered by headless Chromium, screenshot checked.

Chromium is a Debian package; .ci/run installs it, so this runs in CI. On a laptop without it
the test says so and is skipped."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import EXAMPLES, Result

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"
)
# The risk colours of the HTML template's stylesheet.
CRITICAL, HIGH, MEDIUM, LOW = (
    (0xF7, 0xB4, 0xB4),
    (0xFF, 0xD2, 0xA6),
    (0xFF, 0xF1, 0xB8),
    (0xD8, 0xF0, 0xDC),
)


def _screenshot(html: Path, png: Path, height: int) -> Image.Image:
    assert CHROMIUM is not None
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={png.parent / 'profile'}",
            "--hide-scrollbars",
            f"--window-size=1100,{height}",
            f"--screenshot={png}",
            html.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return Image.open(png).convert("RGB")


def test_report_renders_with_a_coloured_risk_map(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    html = tmp_path / "report.html"
    result = cli("report", EXAMPLES / "headscarf-detector.yaml", "--format", "html", "-o", html)
    assert result.code == 0, result.err
    image = _screenshot(html, tmp_path / "shot.png", 4200)
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 20) or []}
    for name, colour in {"critical": CRITICAL, "high": HIGH, "medium": MEDIUM, "low": LOW}.items():
        assert colour in colours, f"no {name} cell in the rendered risk map"
    # Text was laid out: most of the page is white, and plenty of it is dark (ink).
    histogram = image.convert("L").histogram()  # grey levels 0-255
    dark = sum(histogram[:70]) / sum(histogram)
    assert 0.01 < dark < 0.3


def test_report_without_threats_renders(cli: Callable[..., Result], tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    result = cli("report", EXAMPLES / "turbine-fault-detector.yaml", "-f", "html", "-o", html)
    assert result.code == 0, result.err
    assert "No privacy threat of the rule packs applies" in html.read_text()
    image = _screenshot(html, tmp_path / "shot.png", 1200)
    assert image.size == (1100, 1200)
