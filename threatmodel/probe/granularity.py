"""What coarsening the output buys: the same threshold attacks on the deployed format and on
coarser ones (rounded scores, the top class only, the label only), and how many records get an
output no other record gets (a fingerprint for linkage)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from threatmodel.probe import metrics
from threatmodel.probe.data import Sample
from threatmodel.probe.loading import Classifier

FORMATS = ("scores", "rounded:1", "topk:1", "label")
EPSILON = 1e-12


def coarsen(proba: np.ndarray, fmt: str) -> np.ndarray:
    """The output as a caller sees it in `fmt`."""
    if fmt == "scores":
        return proba
    if fmt.startswith("rounded:"):
        return np.round(proba, int(fmt.split(":")[1]))
    rows = np.arange(len(proba))[:, None]
    shown = np.zeros_like(proba)
    if fmt.startswith("topk:"):
        k = int(fmt.split(":")[1])
        best = np.argsort(-proba, axis=1)[:, :k]
        shown[rows, best] = proba[rows, best]
        return shown
    shown[rows[:, 0], proba.argmax(axis=1)] = 1.0  # label only
    return shown


def valid(fmt: str) -> bool:
    """scores, label, rounded:N or topk:K."""
    return re.fullmatch(r"scores|label|rounded:\d{1,2}|topk:[1-9]\d?", fmt) is not None


def measure(model: Classifier, members: Sample, nonmembers: Sample) -> dict[str, Any]:
    """Per format: the loss attack's AUC and advantage, and the share of unique outputs."""
    pm = np.asarray(model.predict_proba(members.inputs), dtype=np.float64)
    pn = np.asarray(model.predict_proba(nonmembers.inputs), dtype=np.float64)
    out = {}
    for fmt in FORMATS:
        cm, cn = coarsen(pm, fmt), coarsen(pn, fmt)
        sm, sn = _scores(cm, members), _scores(cn, nonmembers)
        out[fmt] = {
            "auc": round(metrics.roc_auc(sm, sn), 4),
            "advantage": round(metrics.advantage(sm, sn), 4),
            "unique_outputs": round(_unique_share(np.vstack([cm, cn])), 4),
        }
    return out


def _scores(shown: np.ndarray, sample: Sample) -> metrics.Scores:
    if sample.labels is None:
        top: metrics.Scores = shown.max(axis=1)
        return top
    negative_loss: metrics.Scores = np.log(shown[np.arange(len(shown)), sample.labels] + EPSILON)
    return negative_loss


def _unique_share(outputs: np.ndarray) -> float:
    _, counts = np.unique(outputs.round(12), axis=0, return_counts=True)
    return float(np.sum(counts == 1) / len(outputs))
