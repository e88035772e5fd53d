"""Which kind of source was given, and its suggestions, checked against the questionnaire."""

from __future__ import annotations

from pathlib import Path

from threatmodel.errors import InputError, UsageError
from threatmodel.language.types import coerce
from threatmodel.pack.layered import Pack
from threatmodel.suggest.cards import from_card, from_mlflow
from threatmodel.suggest.model import Suggestion


def suggest(source: Path, pack: Pack, trust: bool = False) -> list[Suggestion]:
    """Suggestions from a model file, an MLflow folder or a model card, each one a valid answer
    to a question of the pack (others are dropped)."""
    found = _read(source, trust)
    valid = []
    for suggestion in found:
        question = pack.questions.get(suggestion.question)
        if question is None:
            continue
        try:
            value = coerce(question, suggestion.value)
        except ValueError:
            continue
        valid.append(Suggestion(suggestion.question, value, suggestion.confidence,
                                suggestion.source, suggestion.why))  # fmt: skip
    return valid


def _read(source: Path, trust: bool) -> list[Suggestion]:
    if source.is_dir():
        if (source / "MLmodel").is_file():
            return from_mlflow(source)
        raise InputError(source, "a folder is read only as an MLflow model (it has no MLmodel)")
    if source.name == "MLmodel":
        return from_mlflow(source.parent)
    if source.suffix.lower() == ".md":
        return from_card(source)
    if source.suffix in (".skops", ".onnx", ".pkl", ".pickle", ".joblib"):
        return _model(source, trust)
    raise UsageError(
        f"{source}: give a .skops or .onnx model, a pickle with --trust-model-file, an MLflow "
        "model folder or a model card (README.md)"
    )


def _model(source: Path, trust: bool) -> list[Suggestion]:
    try:
        from threatmodel.probe.loading import load_model, unwrapped
    except ImportError:
        raise UsageError("a model file needs: pip install 'threatmodel[probe]'") from None
    from threatmodel.suggest.estimators import from_estimator, from_onnx

    model = unwrapped(load_model(str(source), trust))
    session = getattr(model, "session", None)
    if source.suffix == ".onnx" and session is not None:
        return from_onnx(session, source)
    return from_estimator(model, source.name)
