"""Calibrated membership inference: the offline likelihood-ratio attack (LiRA, Carlini et al.
2022) with a handful of shadow models.

Each shadow is a fresh copy of the team's estimator (scikit-learn `clone`) trained on a random
half of the pooled samples. For every record, the shadows that did not see it give the spread of
its score "out of training"; the target model's score is then judged against that spread, so a
record that is simply easy no longer looks like a member. It finds far more members at low
false-positive rates than a single global threshold."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from threatmodel.probe import metrics
from threatmodel.probe.data import Sample
from threatmodel.probe.loading import Classifier

SHADOWS = 8
EPSILON = 1e-6


def cloneable(model: Classifier) -> bool:
    """Can shadow copies be made (a scikit-learn estimator)?"""
    try:
        from sklearn.base import clone

        clone(model)
    except Exception:
        return False
    return True


def scores(
    model: Classifier,
    members: Sample,
    nonmembers: Sample,
    seconds: float = 60.0,
    seed: int = 0,
) -> tuple[metrics.Scores, metrics.Scores]:
    """Calibrated membership scores for the members and the non-members, with as many shadow
    models (2 to 8) as fit in `seconds`, judged by the time the first one took."""
    from sklearn.base import clone

    assert members.labels is not None
    assert nonmembers.labels is not None
    x = np.vstack([members.inputs, nonmembers.inputs])
    y = np.concatenate([members.labels, nonmembers.labels])
    rng = np.random.default_rng(seed)
    out_scores: list[list[float]] = [[] for _ in range(len(x))]
    start, shadows, trained = time.perf_counter(), SHADOWS, 0
    while trained < shadows:
        half = rng.permutation(len(x))[: len(x) // 2]
        shadow = clone(model).fit(x[half], y[half])
        unseen = np.setdiff1d(np.arange(len(x)), half)
        for i, value in zip(unseen, _logit_confidence(shadow, x[unseen], y[unseen]), strict=True):
            out_scores[i].append(float(value))
        trained += 1
        if trained == 1:
            each = time.perf_counter() - start
            shadows = max(2, min(SHADOWS, int(seconds / max(each, 1e-6))))
    target = _logit_confidence(model, x, y)
    z = np.array([_standardised(t, s) for t, s in zip(target, out_scores, strict=True)])
    return z[: len(members.inputs)], z[len(members.inputs) :]


def _logit_confidence(model: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    proba = np.asarray(model.predict_proba(x))
    p = np.clip(proba[np.arange(len(y)), y], EPSILON, 1 - EPSILON)
    logit: np.ndarray = np.log(p) - np.log(1 - p)
    return logit


def _standardised(target: float, out: list[float]) -> float:
    if len(out) < 2:
        return 0.0  # no out-of-training view of this record: no evidence either way
    spread = max(float(np.std(out)), 0.1)  # a floor keeps a lucky low variance from dominating
    return (target - float(np.mean(out))) / spread
