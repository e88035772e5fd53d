"""Membership inference by threshold attacks, audited by the owner with ground truth: a sample
of the training data (members) against held-out data from the same population (non-members).

Two attacks: the model's confidence in its top class (needs no labels) and the loss on the true
label (needs labels, and is usually stronger). Each gives AUC, the best attacker advantage, and
TPR at 1% and 0.1% FPR where there are enough non-members to estimate them, with bootstrap
intervals."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import numpy as np

from threatmodel.pack.models import EvidenceThresholds
from threatmodel.probe import lira, metrics
from threatmodel.probe.budget import Budget
from threatmodel.probe.data import Sample
from threatmodel.probe.loading import Classifier

FPRS = (0.01, 0.001)
EPSILON = 1e-12


def scores(
    model: Classifier, sample: Sample, attack: str, output_format: str = "scores"
) -> metrics.Scores:
    """Membership scores from the output as deployed: higher means "more likely a member"."""
    from threatmodel.probe.granularity import coarsen

    proba = coarsen(np.asarray(model.predict_proba(sample.inputs), dtype=np.float64), output_format)
    if attack == "confidence":
        top: metrics.Scores = proba.max(axis=1)
        return top
    assert sample.labels is not None  # loss needs labels; the caller checks
    true = proba[np.arange(len(proba)), sample.labels]
    negative_loss: metrics.Scores = np.log(true + EPSILON)  # members have low loss
    return negative_loss


def measure(
    model: Classifier,
    members: Sample,
    nonmembers: Sample,
    calibrated: bool = True,
    output_format: str = "scores",
    budget: Budget | None = None,
) -> dict[str, Any]:
    """Metrics of every attack the samples and the budget allow: calibrated (LiRA) when the
    estimator can be cloned, labels are given and its shadows fit in part of the budget; then
    loss, then confidence, which always run (they cost one scoring of each sample)."""
    budget = budget or Budget(60.0)
    labelled = members.labels is not None
    results = {}
    if calibrated and labelled and output_format == "scores" and lira.cloneable(model):
        # A shadow that cannot be trained on these samples (too few of a class) skips the attack.
        with contextlib.suppress(ValueError):
            calibrated_scores = lira.scores(model, members, nonmembers, budget.sub(LIRA_SHARE))
            if calibrated_scores is not None:
                results["calibrated"] = _metrics(*calibrated_scores, budget)
    for attack in ["loss", "confidence"] if labelled else ["confidence"]:
        m = scores(model, members, attack, output_format)
        n = scores(model, nonmembers, attack, output_format)
        results[attack] = _metrics(m, n, budget)
        if attack == "loss":
            results[attack]["auc_by_class"] = _by_class(m, n, members, nonmembers)
            results[attack]["tpr_at_0.01_fpr_by_class"] = _low_fpr_by_class(
                m, n, members, nonmembers
            )
    return results


LIRA_SHARE = 0.6
"""The calibrated attack's share of the membership budget: the rest scores the attacks and
bounds their intervals."""


def _by_class(
    m: metrics.Scores, n: metrics.Scores, members: Sample, nonmembers: Sample
) -> dict[str, float]:
    """The loss attack's AUC within each class: a class the model memorises stands out."""
    assert members.labels is not None
    assert nonmembers.labels is not None
    out = {}
    for label in np.unique(members.labels):
        mine, theirs = m[members.labels == label], n[nonmembers.labels == label]
        if len(mine) >= 10 and len(theirs) >= 10:
            out[str(int(label))] = round(metrics.roc_auc(mine, theirs), 4)
    return out


def _low_fpr_by_class(
    m: metrics.Scores, n: metrics.Scores, members: Sample, nonmembers: Sample
) -> dict[str, float]:
    """The loss attack's TPR at 1% FPR within each class with enough records to say: the
    members it singles out with confidence, where one class is exposed more than the rest."""
    assert members.labels is not None
    assert nonmembers.labels is not None
    out = {}
    for label in np.unique(members.labels):
        mine, theirs = m[members.labels == label], n[nonmembers.labels == label]
        value = metrics.tpr_at_fpr(mine, theirs, 0.01) if len(mine) >= 10 else None
        if value is not None:
            out[str(int(label))] = round(value, 4)
    return out


def _metrics(m: metrics.Scores, n: metrics.Scores, budget: Budget) -> dict[str, Any]:
    out: dict[str, Any] = {
        "auc": round(metrics.roc_auc(m, n), 4),
        "auc_ci95": _rounded(metrics.bootstrap(metrics.roc_auc, m, n, deadline=budget.end)),
        "advantage": round(metrics.advantage(m, n), 4),
    }
    for fpr in FPRS:
        key = f"tpr_at_{fpr:g}_fpr"
        value = metrics.tpr_at_fpr(m, n, fpr)
        out[key] = None if value is None else round(value, 4)
        if value is not None:
            interval = metrics.bootstrap(_tpr_at(fpr), m, n, deadline=budget.end)
            out[key + "_ci95"] = _rounded(interval)
    return out


def _tpr_at(fpr: float) -> Callable[[metrics.Scores, metrics.Scores], float | None]:
    def tpr(members: metrics.Scores, nonmembers: metrics.Scores) -> float | None:
        return metrics.tpr_at_fpr(members, nonmembers, fpr)

    return tpr


def _rounded(interval: tuple[float, float] | None) -> list[float] | None:
    return None if interval is None else [round(interval[0], 4), round(interval[1], 4)]


def level(results: dict[str, Any], thresholds: EvidenceThresholds) -> str:
    """high, elevated or low from the strongest attack (thresholds come from the pack)."""
    best_auc = max(r["auc"] for r in results.values())
    best_tpr = max((r.get("tpr_at_0.01_fpr") or 0.0) for r in results.values())
    if best_tpr >= thresholds.high_tpr_at_1pct_fpr or best_auc >= thresholds.high_auc:
        return "high"
    if best_tpr >= thresholds.elevated_tpr_at_1pct_fpr or best_auc >= thresholds.elevated_auc:
        return "elevated"
    return "low"
