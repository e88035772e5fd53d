"""Attribute inference: does the model give away a sensitive attribute?

For an attribute the model takes as input (`--sensitive COL`), the attacker knows everything
about a person but that attribute and the model's decision about them, tries every value, and
keeps the one that best explains the decision; the gain over guessing the commonest value is
measured on members and non-members separately (a gap means memorisation; no gap means the
model is an inference engine for everyone). For an attribute the model does not take
(`--hidden COL`), how well its output alone predicts the attribute is measured as an AUC."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from threatmodel.probe import metrics
from threatmodel.probe.data import Sample
from threatmodel.probe.loading import Classifier

MAX_VALUES = 20


def sensitive_input(
    model: Classifier,
    members: Sample,
    nonmembers: Sample,
    column: str,
    seconds: float | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Accuracy with and without the model, for members and non-members. The attack scores
    every sample once per candidate value; when that would not fit in `seconds`, it runs on a
    random subset of the records (at least MIN_RECORDS of each sample), and says how many."""
    index = members.columns.index(column)
    candidates = np.unique(np.concatenate([members.inputs[:, index], nonmembers.inputs[:, index]]))
    candidates = candidates[:MAX_VALUES]
    rows = _rows_that_fit(model, members, len(candidates), seconds)
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {}
    for name, whole in (("members", members), ("nonmembers", nonmembers)):
        sample = whole.subset(rng, rows)
        truth = sample.inputs[:, index]
        guess = _best_explaining(model, sample, index, candidates)
        with_model = float(np.mean(guess == truth))
        baseline = float(np.max(np.unique(truth, return_counts=True)[1]) / len(truth))
        out[name] = {
            "accuracy_with_model": round(with_model, 4),
            "accuracy_without": round(baseline, 4),
            "advantage": round(with_model - baseline, 4),
            "records": len(truth),
        }
    return out


MIN_RECORDS = 200
"""Fewer records than this leave the accuracy too uncertain to report."""


def _rows_that_fit(
    model: Classifier, sample: Sample, candidates: int, seconds: float | None
) -> int | None:
    """How many records of each sample the attack can score in `seconds` (None: all), timed on
    a slice of the sample."""
    if seconds is None:
        return None
    probe_rows = min(len(sample.inputs), 1_000)
    started = time.perf_counter()
    model.predict_proba(sample.inputs[:probe_rows].copy())
    per_row = max(time.perf_counter() - started, 1e-9) / probe_rows
    fit = int(seconds / (per_row * candidates * 2))
    return None if fit >= len(sample.inputs) else max(MIN_RECORDS, fit)


def _best_explaining(
    model: Classifier, sample: Sample, index: int, candidates: np.ndarray
) -> np.ndarray:
    assert sample.labels is not None
    likelihoods = []
    for value in candidates:
        trial = sample.inputs.copy()
        trial[:, index] = value
        proba = np.asarray(model.predict_proba(trial))
        likelihoods.append(proba[np.arange(len(trial)), sample.labels])
    chosen: np.ndarray = candidates[np.argmax(np.vstack(likelihoods), axis=0)]
    return chosen


def hidden(model: Classifier, sample: Sample, attribute: np.ndarray) -> dict[str, Any]:
    """How well one of the output's scores separates the two values of a hidden attribute."""
    proba = np.asarray(model.predict_proba(sample.inputs), dtype=np.float64)
    values = np.unique(attribute)
    if len(values) != 2:
        return {"auc": None, "note": "a two-valued attribute is needed"}
    positive = attribute == values[1]
    aucs = [
        max(a, 1 - a)
        for a in (
            metrics.roc_auc(proba[positive, k], proba[~positive, k]) for k in range(proba.shape[1])
        )
    ]
    predicted = proba.argmax(axis=1)
    return {
        "auc": round(max(aucs), 4),
        "entropy_share_revealed": round(_information_share(predicted, positive), 4),
        "records": len(attribute),
    }


def _information_share(output: np.ndarray, attribute: np.ndarray) -> float:
    """I(attribute; decision) / H(attribute): the share of the attribute's uncertainty that the
    decision removes (0: none, 1: the decision gives it away)."""
    h_attribute = _entropy(np.unique(attribute, return_counts=True)[1])
    if h_attribute == 0:
        return 0.0
    h_given = 0.0
    for value in np.unique(output):
        within = attribute[output == value]
        h_given += len(within) / len(attribute) * _entropy(np.unique(within, return_counts=True)[1])
    return (h_attribute - h_given) / h_attribute


def _entropy(counts: np.ndarray) -> float:
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def level_of_input(figures: dict[str, Any]) -> str:
    """high: members give it away well beyond non-members; elevated: anyone's is inferred."""
    members, others = figures["members"]["advantage"], figures["nonmembers"]["advantage"]
    if members >= 0.1 and members - others >= 0.05:
        return "high"
    if max(members, others) >= 0.05:
        return "elevated"
    return "low"
