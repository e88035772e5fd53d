"""Attack metrics from scores: higher score = "member" (or "hit"). numpy only."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

Scores = NDArray[np.float64]


def roc_auc(members: Scores, nonmembers: Scores) -> float:
    """Area under the ROC curve: the chance a random member outscores a random non-member
    (ties count half), i.e. the Mann-Whitney statistic, from average ranks."""
    both = np.concatenate([members, nonmembers])
    ordered = np.sort(both)
    ranks = (
        np.searchsorted(ordered, both, "left") + np.searchsorted(ordered, both, "right") + 1
    ) / 2
    n_m, n_n = len(members), len(nonmembers)
    return float((ranks[:n_m].sum() - n_m * (n_m + 1) / 2) / (n_m * n_n))


def roc_curve(members: Scores, nonmembers: Scores) -> tuple[Scores, Scores]:
    """False- and true-positive rates at every distinct threshold, from the highest down."""
    scores = np.concatenate([members, nonmembers])
    labels = np.concatenate([np.ones(len(members)), np.zeros(len(nonmembers))])
    order = np.argsort(-scores, kind="mergesort")
    scores, labels = scores[order], labels[order]
    last = np.r_[np.diff(scores) != 0, True]  # the last position of each distinct score
    tpr = np.cumsum(labels)[last] / len(members)
    fpr = np.cumsum(1 - labels)[last] / len(nonmembers)
    return fpr, tpr


def tpr_at_fpr(members: Scores, nonmembers: Scores, fpr: float) -> float | None:
    """True-positive rate at a threshold letting through at most `fpr` of non-members; None
    when there are too few non-members to estimate it (fewer than 10 / fpr)."""
    if len(nonmembers) < 10 / fpr:
        return None
    threshold = np.quantile(nonmembers, 1 - fpr, method="higher")
    return float(np.mean(members > threshold))


def advantage(members: Scores, nonmembers: Scores) -> float:
    """The best attacker advantage over all thresholds: max(TPR - FPR)."""
    fpr, tpr = roc_curve(members, nonmembers)
    return float(max(0.0, np.max(tpr - fpr)))


def bootstrap(
    metric: Callable[[Scores, Scores], float | None],
    members: Scores,
    nonmembers: Scores,
    rounds: int = 200,
    seed: int = 0,
) -> tuple[float, float] | None:
    """A 95% percentile bootstrap interval for `metric` (None where it cannot be estimated)."""
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(rounds):
        m = members[rng.integers(0, len(members), len(members))]
        n = nonmembers[rng.integers(0, len(nonmembers), len(nonmembers))]
        value = metric(m, n)
        if value is not None:
            values.append(value)
    if not values:
        return None
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)
