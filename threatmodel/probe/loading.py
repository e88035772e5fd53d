"""Loading the model to probe, without running code the user did not choose to trust.

A skops file is loaded with an allow-list of types (scikit-learn, numpy, scipy); a pickle or
joblib file is refused unless `--trust-model-file`, because loading one runs arbitrary code;
`module:attribute` imports the team's own code, which they run anyway."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any, Protocol

from threatmodel.errors import InputError, UsageError

ALLOWED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.", "collections.")
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")


class Classifier(Protocol):
    """What the probe needs: class probabilities for a batch of inputs."""

    def predict_proba(self, inputs: Any) -> Any: ...


def load_model(spec: str, trust: bool) -> Classifier:
    """The classifier named by a path (.skops, .pkl/.joblib with trust) or `module:attribute`."""
    path = Path(spec)
    if path.suffix == ".skops":
        return _skops(path, trust)
    if path.suffix in PICKLE_SUFFIXES:
        return _pickle(path, trust)
    if path.suffix == ".onnx":
        return _onnx(path)
    if ":" in spec and not path.exists():
        return _attribute(spec)
    raise UsageError(
        f"{spec}: give a .skops or .onnx file, a pickle with --trust-model-file, "
        "or module:attribute"
    )


def _skops(path: Path, trust: bool) -> Classifier:
    import skops.io as sio

    if not path.is_file():
        raise InputError(path, "no such file")
    try:
        untrusted = sio.get_untrusted_types(file=str(path))
    except Exception as exc:
        raise InputError(path, f"not a readable skops file ({type(exc).__name__})") from None
    foreign = [t for t in untrusted if not t.startswith(ALLOWED_PREFIXES)]
    if foreign and not trust:
        raise InputError(
            path,
            f"contains types outside scikit-learn, numpy and scipy: {', '.join(foreign[:5])}; "
            "load it only if you trust the file (--trust-model-file)",
        )
    return _checked(sio.load(str(path), trusted=untrusted), str(path))


def _pickle(path: Path, trust: bool) -> Classifier:
    if not trust:
        raise InputError(
            path,
            "is a pickle: loading it runs any code it contains; save the model with skops "
            "(skops.io.dump) or pass --trust-model-file if you made this file yourself",
        )
    import pickle

    with path.open("rb") as handle:
        return _checked(pickle.load(handle), str(path))  # noqa: S301


class _OnnxClassifier:
    """An ONNX classifier seen through predict_proba (its probability output)."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.input = session.get_inputs()[0].name
        outputs = [o.name for o in session.get_outputs()]
        self.output = next((o for o in outputs if "prob" in o.lower()), outputs[-1])

    def predict_proba(self, inputs: Any) -> Any:
        import numpy as np

        result = self.session.run([self.output], {self.input: np.asarray(inputs, np.float32)})[0]
        if isinstance(result, list):  # scikit-learn converters' ZipMap: one dict per row
            keys = sorted(result[0])
            return np.array([[row[k] for k in keys] for row in result])
        return np.asarray(result)


def _onnx(path: Path) -> Classifier:
    try:
        import onnxruntime
    except ImportError:
        raise UsageError("an ONNX model needs: pip install 'threatmodel[onnx]'") from None
    if not path.is_file():
        raise InputError(path, "no such file")
    try:
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise InputError(path, f"not a loadable ONNX model ({type(exc).__name__})") from None
    return _OnnxClassifier(session)


def _attribute(spec: str) -> Classifier:
    module_name, _, attribute = spec.partition(":")
    sys.path.insert(0, str(Path.cwd()))  # the team's own module, next to where they run us
    try:
        target: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise UsageError(f"{spec}: cannot import ({exc})") from None
    finally:
        sys.path.pop(0)
    return _checked(target() if isinstance(target, type) else target, spec)


def _checked(model: Any, name: str) -> Classifier:
    if not callable(getattr(model, "predict_proba", None)):
        raise InputError(name, "the model has no predict_proba method")
    return model  # type: ignore[no-any-return]
