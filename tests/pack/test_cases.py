"""Every threat's own test cases, exactly as `threatmodel rules test` runs them."""

from __future__ import annotations

import pytest

from threatmodel.pack.lint import lint, run_case
from threatmodel.pack.load import load_packs

PACK = load_packs()
CASES = [(t, c) for t in PACK.threats.values() for c in t.cases]


@pytest.mark.parametrize(("threat", "case"), CASES, ids=[f"{t.id}: {c.name}" for t, c in CASES])
def test_case(threat, case) -> None:  # type: ignore[no-untyped-def]
    result = run_case(PACK, threat, case)
    assert result.passed, result.detail


def test_every_threat_has_both_kinds_of_case() -> None:
    assert [f for f in lint(PACK) if f.level == "error"] == []
    for threat in PACK.threats.values():
        assert any(c.applies for c in threat.cases), threat.id
        assert any(not c.applies for c in threat.cases), threat.id


def test_a_wrong_case_fails() -> None:
    """The runner can fail: a must-not-apply case on a system where the threat applies."""
    threat = PACK.threats["input-enumeration"]
    applies = threat.cases[0]
    flipped = applies.model_copy(update={"applies": False})
    assert not run_case(PACK, threat, flipped).passed
    too_high = applies.model_copy(update={"min_risk": None, "max_risk": "low"})
    assert not run_case(PACK, threat, too_high).passed
