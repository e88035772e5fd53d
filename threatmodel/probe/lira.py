"""Calibrated membership inference: the offline likelihood-ratio attack (LiRA, Carlini et al.
2022) with a handful of shadow models.

Each shadow is a fresh copy of the team's estimator (scikit-learn `clone`) trained on a random
half of the pooled samples. For every record, the shadows that did not see it give the spread of
its score "out of training"; the target model's score is then judged against that spread, so a
record that is simply easy no longer looks like a member. It finds far more members at low
false-positive rates than a single global threshold."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from threatmodel.probe import metrics
from threatmodel.probe.budget import Budget
from threatmodel.probe.data import Sample
from threatmodel.probe.loading import Classifier, unwrapped

SHADOWS = 8
NAME = "the calibrated attack (LiRA)"
EPSILON = 1e-6


def cloneable(model: Classifier) -> bool:
    """Can shadow copies be made (a scikit-learn estimator)?"""
    try:
        from sklearn.base import clone

        clone(unwrapped(model))
    except Exception:
        return False
    return True


def scores(
    model: Classifier,
    members: Sample,
    nonmembers: Sample,
    budget: Budget | None = None,
    seed: int = 0,
) -> tuple[metrics.Scores, metrics.Scores] | None:
    """Calibrated membership scores for the members and the non-members, with as many shadow
    models (2 to 8) as fit in the budget; None, and the reason recorded in the budget, when two
    shadows would not fit. `model` may remember its outputs (`Remembered`): the target's scores
    are read on the samples as given."""
    from sklearn.base import clone

    assert members.labels is not None
    assert nonmembers.labels is not None
    budget = budget or Budget(60.0)
    estimator = unwrapped(model)
    x = np.vstack([members.inputs, nonmembers.inputs])
    y = np.concatenate([members.labels, nonmembers.labels])
    rng = np.random.default_rng(seed)
    halves = [rng.permutation(len(x))[: len(x) // 2] for _ in range(SHADOWS)]
    shadows = _planned(estimator, x[halves[0]], y[halves[0]], budget)
    if shadows < 2:
        return None
    out_scores: list[list[float]] = [[] for _ in range(len(x))]
    trained = 0
    while trained < shadows and (trained < 2 or not budget.over()):
        half = halves[trained]
        started = time.perf_counter()
        shadow = _parallel(clone(estimator)).fit(x[half], y[half])
        unseen = np.setdiff1d(np.arange(len(x)), half)
        for i, value in zip(unseen, _logit_confidence(shadow, x[unseen], y[unseen]), strict=True):
            out_scores[i].append(float(value))
        trained += 1
        if trained == 1:  # the first real shadow corrects the plan
            each = time.perf_counter() - started
            shadows = max(2, min(SHADOWS, 1 + int(budget.left() / max(each, 1e-6))))
    target = np.concatenate(
        [
            _logit(model.predict_proba(members.inputs), members.labels),
            _logit(model.predict_proba(nonmembers.inputs), nonmembers.labels),
        ]
    )
    z = np.array([_standardised(t, s) for t, s in zip(target, out_scores, strict=True)])
    return z[: len(members.inputs)], z[len(members.inputs) :]


PILOT_ROWS = 4_000
"""Below this many rows a shadow, the first real shadow is its own estimate."""


def _planned(estimator: Any, x: np.ndarray, y: np.ndarray, budget: Budget) -> int:
    """How many shadows fit the budget: 8 when the data are small, otherwise judged from fits
    on 1/32 and 1/16 of a shadow's rows, extrapolated by how the time grew between them (from
    linear to n^2.5, for estimators whose cost grows faster than their data)."""
    from sklearn.base import clone

    if len(x) < PILOT_ROWS:
        return SHADOWS
    allowance = budget.left()
    small, large = len(x) // 32, len(x) // 16
    _, first = np.unique(y, return_index=True)  # every class in the pilots, then the rest
    order = np.concatenate([first, np.setdiff1d(np.arange(len(x)), first)])
    times = []
    for rows in (small, large):
        started = time.perf_counter()
        _parallel(clone(estimator)).fit(x[order[:rows]], y[order[:rows]])
        times.append(time.perf_counter() - started)
    growth = min(2.5, max(1.0, math.log(max(times[1], 1e-6) / max(times[0], 1e-6), 2)))
    each = times[1] * (len(x) / large) ** growth
    shadows = min(SHADOWS, int(budget.left() / each))
    if shadows < 2:
        needed = math.ceil(budget.needed(budget.spent() + 2 * each) * 1.1)
        budget.skip(
            NAME,
            f"two shadow models would take about {2 * each:.1f} s, more than the "
            f"{allowance:.1f} s the budget gives them (try --seconds {needed} or more)",
        )
    return shadows


def _parallel(estimator: Any) -> Any:
    """An ensemble's shadow trains its members on every core (`n_jobs`): the same model,
    sooner. (Other estimators' `n_jobs`, where they have one, parallelise less or nothing.)"""
    from sklearn.ensemble import BaseEnsemble

    if isinstance(estimator, BaseEnsemble) and "n_jobs" in estimator.get_params(deep=False):
        estimator.set_params(n_jobs=-1)
    return estimator


def _logit_confidence(model: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _logit(model.predict_proba(x), y)


def _logit(proba: Any, y: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(proba)[np.arange(len(y)), y], EPSILON, 1 - EPSILON)
    logit: np.ndarray = np.log(p) - np.log(1 - p)
    return logit


def _standardised(target: float, out: list[float]) -> float:
    if len(out) < 2:
        return 0.0  # no out-of-training view of this record: no evidence either way
    spread = max(float(np.std(out)), 0.1)  # a floor keeps a lucky low variance from dominating
    return (target - float(np.mean(out))) / spread
