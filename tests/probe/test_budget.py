"""The probe keeps to `--seconds`: the calibrated attack is planned inside the budget (and
named when it does not fit), intervals stop at the deadline, a slow attribute attack runs on
fewer records and says how many, and every sample is scored once."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skops.io as sio
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from tests.conftest import Result
from tests.probe.test_probe import _csv
from threatmodel.probe import attributes, granularity, membership, metrics
from threatmodel.probe.budget import Budget
from threatmodel.probe.data import Sample
from threatmodel.probe.loading import Remembered

ROWS = 4_500  # per sample: a shadow of 4,500 rows is planned from pilot fits


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2 * ROWS, 8)).round(3)
    y = (x[:, 0] + rng.normal(scale=0.8, size=2 * ROWS) > 0).astype(np.int64)
    return x, y


def _files(tmp_path: Path, model: Any) -> list[object]:
    x, y = _data()
    model.fit(x[:ROWS], y[:ROWS])
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    members = _csv(tmp_path / "m.csv", x[:ROWS], y[:ROWS])
    nonmembers = _csv(tmp_path / "n.csv", x[ROWS:], y[ROWS:])
    return [path, "--members", members, "--nonmembers", nonmembers, "--label", "label"]


def _probe(cli: Callable[..., Result], tmp_path: Path, *args: object) -> tuple[dict, Result]:
    out = tmp_path / "evidence.json"
    result = cli("probe", *args, "--out", out)
    assert result.code == 0, result.err
    return json.loads(out.read_text()), result


def test_shadows_that_do_not_fit_are_named_not_trained(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    forest = RandomForestClassifier(n_estimators=60, random_state=0)
    evidence, result = _probe(cli, tmp_path, *_files(tmp_path, forest), "--seconds", "0.05")
    attack = evidence["measurements"][0]
    assert list(attack["metrics"]) == ["loss", "confidence"]  # the cheap attacks still ran
    assert attack["adequately_powered"] is False  # the strongest attack did not
    assert "did not fit in the probe's time budget" in attack["notes"]  # shown in the report
    (skipped,) = [s for s in evidence["not_measured"] if "LiRA" in s]
    assert "two shadow models would take about" in skipped
    assert "try --seconds" in skipped
    assert "not measured within --seconds 0.05: the calibrated attack (LiRA)" in result.out
    assert evidence["budget_seconds"] == 0.05
    assert all(m["seconds"] is not None for m in evidence["measurements"])


def test_shadows_that_fit_are_trained(cli: Callable[..., Result], tmp_path: Path) -> None:
    tree = DecisionTreeClassifier(max_depth=6, random_state=0)  # milliseconds a shadow
    evidence, _ = _probe(cli, tmp_path, *_files(tmp_path, tree), "--seconds", "30")
    attack = evidence["measurements"][0]
    assert list(attack["metrics"]) == ["calibrated", "loss", "confidence"]
    assert attack["metrics"]["calibrated"]["auc_ci95"] is not None
    assert evidence["not_measured"] == []
    assert evidence["seconds_taken"] < 30


def test_a_spent_budget_leaves_out_the_sensitive_input_and_says_so(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    forest = RandomForestClassifier(n_estimators=20, random_state=0)
    args = [*_files(tmp_path, forest), "--sensitive", "f1", "--seconds", "0.001"]
    evidence, result = _probe(cli, tmp_path, *args)
    assert "attribute-inference:f1: the budget ran out before it" in evidence["not_measured"]
    assert [m["id"] for m in evidence["measurements"]] == [
        "membership-threshold",
        "output-granularity",
    ]
    assert "attribute-inference:f1" in result.out


def test_an_attribute_attack_that_would_overrun_uses_fewer_records() -> None:
    x, y = _data()
    x[:, 1] = np.round(x[:, 1])  # a few distinct values to try
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(x[:ROWS], y[:ROWS])
    columns = tuple(f"f{i}" for i in range(8))
    members, nonmembers = Sample(x[:ROWS], y[:ROWS], columns), Sample(x[ROWS:], y[ROWS:], columns)
    whole = attributes.sensitive_input(model, members, nonmembers, "f1")
    assert whole["members"]["records"] == ROWS
    quick = attributes.sensitive_input(model, members, nonmembers, "f1", seconds=1e-6)
    assert quick["members"]["records"] == quick["nonmembers"]["records"] == attributes.MIN_RECORDS


def test_intervals_stop_at_the_deadline_after_the_least_rounds() -> None:
    rng = np.random.default_rng(0)
    m, n = rng.normal(size=500), rng.normal(size=500)
    calls = []

    def auc(a: np.ndarray, b: np.ndarray) -> float:
        calls.append(1)
        return metrics.roc_auc(a, b)

    assert metrics.bootstrap(auc, m, n, deadline=time.perf_counter() - 1) is not None
    assert len(calls) == metrics.MIN_ROUNDS
    calls.clear()
    assert metrics.bootstrap(auc, m, n, deadline=time.perf_counter() + 60) is not None
    assert len(calls) == 200


def test_the_budget_asked_for_accounts_for_the_parts_before() -> None:
    whole = Budget(10.0, start=time.perf_counter() - 4.0)  # 6 s left
    part = whole.sub(0.5)  # 3 s
    assert part.seconds == pytest.approx(3.0, abs=0.01)
    # 5 s for this part: 4 s spent before it, and it gets half of what is left
    assert part.needed(5.0) == pytest.approx(14.0, abs=0.01)


scores = arrays(np.float64, st.integers(1, 60), elements=st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]))
continuous = arrays(np.float64, st.integers(1, 60), elements=st.floats(-5, 5, width=32))


def _sorting_every_resample(members: np.ndarray, nonmembers: np.ndarray) -> float:
    return metrics.roc_auc(members, nonmembers)  # not `roc_auc` itself: the slow path


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.tuples(scores, scores), st.tuples(continuous, continuous)))
def test_the_fast_auc_bootstrap_equals_resampling(pair: tuple[np.ndarray, np.ndarray]) -> None:
    """The interval from counts on scores ranked once equals the one from sorting every
    resample (the same draws), with ties and without."""
    m, n = pair
    fast = metrics.bootstrap(metrics.roc_auc, m, n, rounds=60)
    slow = metrics.bootstrap(_sorting_every_resample, m, n, rounds=60)
    assert fast is not None
    assert slow is not None
    assert np.allclose(fast, slow, atol=1e-12)


class _Counting:
    """A real model that counts how often it is asked to score."""

    def __init__(self, model: Any) -> None:
        self.model, self.calls = model, 0

    def predict_proba(self, inputs: Any) -> Any:
        self.calls += 1
        return self.model.predict_proba(inputs)


def test_each_sample_is_scored_once() -> None:
    x, y = _data()
    counting = _Counting(
        RandomForestClassifier(n_estimators=10, random_state=0).fit(x[:ROWS], y[:ROWS])
    )
    members, nonmembers = Sample(x[:ROWS], y[:ROWS], ()), Sample(x[ROWS:], y[ROWS:], ())
    scored = Remembered(counting, members.inputs, nonmembers.inputs)
    membership.measure(scored, members, nonmembers, calibrated=False, budget=Budget(60))
    granularity.measure(scored, members, nonmembers)
    assert counting.calls == 2
    scored.predict_proba(x[:5])  # anything else is scored afresh, and not kept
    assert counting.calls == 3
