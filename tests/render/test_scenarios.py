"""The example systems: what expected.yaml demands of them, and golden reports."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import EXAMPLES, ROOT, SCENARIOS, Result

RISK = ["none", "low", "medium", "high", "critical"]
GOLDEN = Path(__file__).parent / "golden"
EXPECTED = yaml.safe_load((Path(__file__).parent / "expected.yaml").read_text())


def _assessment(cli: Callable[..., Result], name: str) -> dict[str, Any]:
    result = cli("report", EXAMPLES / f"{name}.yaml", "--format", "json")
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def _threats(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["id"]: t for t in data["threats"]}


@pytest.mark.parametrize("name", [n for n in EXPECTED if n not in ("higher", "not_higher")])
def test_scenario_meets_expected(cli: Callable[..., Result], name: str) -> None:
    expected = EXPECTED[name]
    data = _assessment(cli, name)
    threats = _threats(data)
    for tid, least in (expected.get("present") or {}).items():
        assert tid in threats, f"{tid} missing"
        assert RISK.index(threats[tid]["risk"]) >= RISK.index(least), (tid, threats[tid]["risk"])
    for tid, most in (expected.get("at_most") or {}).items():
        if tid in threats:
            assert RISK.index(threats[tid]["risk"]) <= RISK.index(most), (tid, threats[tid]["risk"])
    for tid in expected.get("absent") or []:
        assert tid not in threats, f"{tid} applies but must not"
    if "max_overall" in expected:
        assert RISK.index(data["overall_risk"]) <= RISK.index(expected["max_overall"])
    if "enumeration_days_at_most" in expected:
        days = threats["input-enumeration"]["estimate"]["expected_days_to_first_hit"]
        assert days <= expected["enumeration_days_at_most"]


def test_celebrity_enumeration_figures(cli: Callable[..., Result]) -> None:
    """10^7 numbers, 10 queries a second from 100 cheap identities: (N+1)/2 queries, 0.0579 days."""
    estimate = _threats(_assessment(cli, "spam-celebrity"))["input-enumeration"]["estimate"]
    assert estimate["expected_queries_to_first_hit"] == pytest.approx(5_000_000.5)
    assert estimate["queries_per_day"] == 86_400_000
    assert estimate["expected_days_to_first_hit"] == pytest.approx(0.0579)
    assert "10,000,000 plausible inputs are tried in 2.78 hours" in estimate["statement"]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
@pytest.mark.parametrize("fmt", ["json", "md", "html", "sarif", "csv", "dpv", "codequality"])
def test_golden_report(
    cli: Callable[..., Result], path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rendered reports are checked in; a deliberate change regenerates them (UPDATE_GOLDEN=1)."""
    monkeypatch.chdir(ROOT)  # reports name the answers file relative to the working folder
    result = cli("report", path.relative_to(ROOT), "--format", fmt)
    assert result.code == 0, result.err
    golden = GOLDEN / f"{path.stem}.{fmt}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(result.out, encoding="utf-8")
    assert result.out == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_json_is_reproducible(cli: Callable[..., Result], path: Path) -> None:
    first = cli("report", path, "--format", "json").out
    assert cli("report", path, "--format", "json").out == first
    assert json.loads(first)["generated_at"] == "2026-01-01T00:00:00Z"


def test_contract_fields(cli: Callable[..., Result]) -> None:
    data = _assessment(cli, "spam-celebrity")
    assert data["format"] == "threatmodel.assessment/1"
    assert data["packs"][0]["name"] == "core"
    assert len(data["packs"][0]["sha256"]) == 64
    for threat in data["threats"]:
        assert set(threat) >= {
            "id",
            "title",
            "likelihood",
            "severity",
            "risk",
            "because",
            "mitigations",
            "references",
        }
        assert threat["because"], threat["id"]
        assert all(isinstance(m, str) for m in threat["mitigations"])
    assert "outputs.individual_rules = true" in _threats(data)["input-enumeration"]["because"]
