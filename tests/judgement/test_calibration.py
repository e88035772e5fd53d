"""Judgement as a test: systems with risk bands written from first principles before the tool was
run. `calibration/` holds the eight systems of the judgement issue (a dating app's age check and
its fixed twin, a published risk calculator, counterfactual explanations from real and from
synthetic records, a keyboard model, an internal triage score); `ordinary/` holds ordinary
systems, where over-alarm is the defect to catch. Each band is one test."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Result

HERE = Path(__file__).parent
RISK = ["none", "low", "medium", "high", "critical"]


def _bands() -> Iterator[Any]:
    for folder in ("calibration", "ordinary"):
        expected = yaml.safe_load((HERE / folder / "expected.yaml").read_text())
        for name, bands in expected.items():
            if name == "higher":
                for twin, original, threat, _ in bands:
                    yield pytest.param(folder, twin, "higher", (original, threat), id=f"{twin}")
                continue
            for kind in ("present", "at_most"):
                for threat, level in (bands.get(kind) or {}).items():
                    yield pytest.param(folder, name, kind, (threat, level), id=f"{name}-{threat}")
            for threat in bands.get("absent") or []:
                yield pytest.param(folder, name, "absent", threat, id=f"{name}-absent-{threat}")
            if "max_overall" in bands:
                yield pytest.param(folder, name, "max_overall", bands["max_overall"], id=name)


_CACHE: dict[Path, dict[str, Any]] = {}


def _assess(cli: Callable[..., Result], path: Path) -> dict[str, Any]:
    if path not in _CACHE:
        result = cli("report", path, "--format", "json")
        assert result.code == 0, result.err
        _CACHE[path] = json.loads(result.out)
    return _CACHE[path]


def _risk(data: dict[str, Any], threat: str) -> str | None:
    return next((t["risk"] for t in data["threats"] if t["id"] == threat), None)


@pytest.mark.parametrize(("folder", "name", "kind", "band"), list(_bands()))
def test_band_holds(
    cli: Callable[..., Result], folder: str, name: str, kind: str, band: Any
) -> None:
    data = _assess(cli, HERE / folder / f"{name}.yaml")
    if kind == "present":
        threat, least = band
        risk = _risk(data, threat)
        assert risk is not None, f"{threat} does not apply"
        assert RISK.index(risk) >= RISK.index(least), (threat, risk)
    elif kind == "at_most":
        threat, most = band
        risk = _risk(data, threat)
        assert risk is None or RISK.index(risk) <= RISK.index(most), (threat, risk)
    elif kind == "absent":
        assert _risk(data, band) is None, (band, _risk(data, band))
    elif kind == "max_overall":
        assert RISK.index(data["overall_risk"]) <= RISK.index(band)
    else:  # a twin must rate the threat higher than its original
        original, threat = band
        twin_risk = _risk(data, threat)
        original_risk = _risk(_assess(cli, HERE / folder / f"{original}.yaml"), threat)
        assert twin_risk is not None
        assert original_risk is None or RISK.index(twin_risk) > RISK.index(original_risk)


def test_few_ratings_are_critical(cli: Callable[..., Result]) -> None:
    """Over-alarm as a number: across the calibration systems, under one rating in five is
    critical (before the judgement revision: 16 of 55)."""
    ratings = [
        t["risk"]
        for path in sorted((HERE / "calibration").glob("*.yaml"))
        if path.name != "expected.yaml"
        for t in _assess(cli, path)["threats"]
    ]
    assert ratings.count("critical") / len(ratings) < 0.2, ratings
