"""Suggestions from a trained scikit-learn model (loaded by the probe's loader: skops with an
exact type allow-list, a pickle only with `--trust-model-file`) or an ONNX file. Only the
fitted attributes are read; the model is never called."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from threatmodel.files import read_bounded
from threatmodel.suggest.model import Suggestion, feature_hints, label_hints

FAMILIES = {
    "linear": ("LogisticRegression", "LogisticRegressionCV", "LinearSVC", "SGDClassifier",
               "RidgeClassifier", "RidgeClassifierCV", "Perceptron", "LinearDiscriminantAnalysis",
               "PassiveAggressiveClassifier"),
    "tree_ensemble": ("RandomForestClassifier", "ExtraTreesClassifier",
                      "GradientBoostingClassifier", "HistGradientBoostingClassifier",
                      "AdaBoostClassifier", "DecisionTreeClassifier", "ExtraTreeClassifier",
                      "BaggingClassifier"),
    "neural_network": ("MLPClassifier",),
    "nearest_neighbours": ("KNeighborsClassifier", "RadiusNeighborsClassifier", "SVC", "NuSVC",
                           "NearestCentroid"),
}  # fmt: skip
"""Estimator class -> `training.model_family`. An SVC keeps its support vectors (training
records) in the model, like a nearest-neighbours model keeps all of them."""
ONNX_OPS = {"TreeEnsembleClassifier": "tree_ensemble", "LinearClassifier": "linear",
            "SVMClassifier": "nearest_neighbours"}  # fmt: skip


def from_estimator(model: Any, name: str) -> list[Suggestion]:
    """Suggestions from a fitted scikit-learn estimator or pipeline."""
    steps = [step for _, step in getattr(model, "steps", [])] or [model]
    final = steps[-1]
    kind = type(final).__name__
    out = _family(kind, name)
    out += _records(final, kind, name)
    out += _outputs(final, kind, name)
    features = getattr(model, "feature_names_in_", None)
    if features is None:
        features = getattr(steps[0], "feature_names_in_", None)
    if features is not None:
        out += feature_hints([str(f) for f in features], f"{name}: feature_names_in_")
    out += _space(steps, name)
    classes = getattr(final, "classes_", None)
    if classes is not None:
        out += label_hints([str(c) for c in classes], f"{name}: {kind}.classes_")
    return out


def _family(kind: str, name: str) -> list[Suggestion]:
    for family, kinds in FAMILIES.items():
        if kind in kinds:
            return [Suggestion("training.model_family", family, "high", f"{name}: {kind}",
                               f"the model is a {kind}")]  # fmt: skip
    return [Suggestion("training.model_family", "other", "medium", f"{name}: {kind}",
                       f"{kind} is none of the families the questionnaire names")]  # fmt: skip


def _records(final: Any, kind: str, name: str) -> list[Suggestion]:
    stored = getattr(final, "_fit_X", None)
    if stored is not None and hasattr(stored, "shape"):
        count = int(stored.shape[0])
        return [Suggestion("training.records", count, "high", f"{name}: {kind}._fit_X",
                           f"the model stores all {count} training records; whoever holds "
                           "the model holds them")]  # fmt: skip
    vectors = getattr(final, "support_vectors_", None)
    if vectors is not None and hasattr(vectors, "shape"):
        count = int(vectors.shape[0])
        return [Suggestion("training.records", count, "hint",
                           f"{name}: {kind}.support_vectors_",
                           f"the model stores {count} training records as support vectors; "
                           "the training set had at least as many")]  # fmt: skip
    return []


def _outputs(final: Any, kind: str, name: str) -> list[Suggestion]:
    scores = hasattr(final, "predict_proba") and _has_proba(final)
    exposed = ["label", "score", "probability_vector"] if scores else ["label"]
    classes = getattr(final, "classes_", None)
    count = len(classes) if classes is not None else None
    what = f"{count} classes" if count else "its classes"
    why = (
        f"the model gives a probability for each of {what}; what the API returns is yours to say"
        if scores
        else f"the model gives a label among {what}"
    )
    return [Suggestion("outputs.exposed", exposed, "hint", f"{name}: {kind}", why)]


def _has_proba(final: Any) -> bool:
    try:
        return bool(final.predict_proba)
    except AttributeError:  # SVC(probability=False) raises on the attribute
        return False


def _space(steps: list[Any], name: str) -> list[Suggestion]:
    """The product of an encoder's category counts: how many distinct inputs it can see."""
    for step in steps:
        for encoder in [step, *[t for _, t, *_ in getattr(step, "transformers_", [])]]:
            categories = getattr(encoder, "categories_", None)
            if categories:
                size = math.prod(len(c) for c in categories)
                return [Suggestion("inputs.space_size", size, "medium",
                                   f"{name}: {type(encoder).__name__}.categories_",
                                   f"{len(categories)} categorical inputs with "
                                   f"{size:,} combinations")]  # fmt: skip
    return []


def from_onnx(session: Any, path: Path) -> list[Suggestion]:
    """Suggestions from an ONNX model's graph outputs and metadata (onnxruntime)."""
    name = path.name
    meta = session.get_modelmeta()
    outputs = [o.name for o in session.get_outputs()]
    scores = any("prob" in o.lower() for o in outputs)
    out = [Suggestion("outputs.exposed", ["label", "score", "probability_vector"] if scores
                      else ["label"], "hint", f"{name}: outputs {', '.join(outputs)}",
                      "the model's outputs include probabilities" if scores
                      else "the model outputs a label")]  # fmt: skip
    # onnxruntime does not list a graph's nodes, but an operator's type is stored as its name
    # in the file: finding `TreeEnsembleClassifier` there says which family converted it.
    raw = read_bounded(path, "a model file")
    for op, family in ONNX_OPS.items():
        if op.encode() in raw:
            where = f"{name}: {meta.producer_name or 'ONNX'} graph"
            out.append(Suggestion("training.model_family", family, "medium", where,
                                  f"the graph computes with a {op} operator"))  # fmt: skip
            break
    inputs = session.get_inputs()
    if len(inputs) > 1:
        out += feature_hints([i.name for i in inputs], f"{name}: inputs")
    return out
