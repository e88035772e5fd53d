"""Loading the model to probe, without running code the user did not choose to trust.

A skops file is loaded with an allow-list of exact classes: what skops itself trusts, plus the
tree, neighbour-index, distance, optimiser and calibration classes that scikit-learn's own
classifiers hold (ALLOWED_TYPES). Never a module prefix and never a function: a file naming
`builtins.exec`, or any other type, is refused unless `--trust-model-file`. A pickle or joblib
file is refused without that flag, because loading one runs arbitrary code; `module:attribute`
imports the team's own code, which they run anyway. Every model file is read through the
bounded reader, and a skops archive's members are bounded before skops reads them."""

from __future__ import annotations

import importlib
import io
import re
import sys
import zipfile
from pathlib import Path
from typing import Any, Protocol

from threatmodel.errors import InputError, UsageError, brief
from threatmodel.files import read_bounded

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")

# PyFuncDistance is left out on purpose: it wraps a Python function.
_DISTANCES = (
    *("BrayCurtis", "Canberra", "Chebyshev", "Dice", "Euclidean", "Hamming", "Haversine"),
    *("Jaccard", "Kulsinski", "Mahalanobis", "Manhattan", "Matching", "Minkowski"),
    *("RogersTanimoto", "RussellRao", "SEuclidean", "SokalMichener", "SokalSneath"),
)
ALLOWED_TYPES = frozenset(
    {
        "numpy.dtype",
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.neighbors._kd_tree.KDTree",
        "sklearn.neighbors._ball_tree.BallTree",
        "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
        "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.utils._bunch.Bunch",
        *(
            f"sklearn.metrics._dist_metrics.{d}Distance{bits}"
            for d in _DISTANCES
            for bits in (32, 64)
        ),
    }
)
"""Classes (never functions) that scikit-learn classifiers contain beyond what skops trusts by
default, found by dumping its classifiers, pipelines and calibrators and asking skops which types
it would not trust."""

SKOPS_SCHEMA_LIMIT = 64 * 1024 * 1024
SKOPS_MEMBER_LIMIT = 512 * 1024 * 1024
SKOPS_TOTAL_LIMIT = 1024 * 1024 * 1024
_TYPE_NAME = re.compile(r"^[A-Za-z_][\w.]*$")


class Classifier(Protocol):
    """What the probe needs: class probabilities for a batch of inputs."""

    def predict_proba(self, inputs: Any) -> Any: ...


class Remembered:
    """A classifier whose outputs on a sample are computed once: the membership attacks, the
    calibrated attack's target scores and the granularity measurement all read the model's
    scores on the same two samples, and a large model scores a sample in seconds."""

    def __init__(self, model: Classifier, *samples: Any) -> None:
        self.model = model
        self._samples = samples  # held, so that their identity stays theirs
        self._outputs: dict[int, Any] = {}

    def predict_proba(self, inputs: Any) -> Any:
        if not any(inputs is sample for sample in self._samples):
            return self.model.predict_proba(inputs)
        if id(inputs) not in self._outputs:
            self._outputs[id(inputs)] = self.model.predict_proba(inputs)
        return self._outputs[id(inputs)]


def unwrapped(model: Classifier) -> Classifier:
    """The model itself (to clone it), whether or not it remembers its outputs."""
    return model.model if isinstance(model, Remembered) else model


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

    raw = read_bounded(path, "a model file")
    _check_archive(path, raw)
    try:
        untrusted = sio.get_untrusted_types(data=raw)
    except Exception as exc:  # a hostile file may break skops in any way: refuse it, named
        raise InputError(path, f"not a readable skops file ({type(exc).__name__})") from None
    foreign = sorted(t for t in untrusted if t not in ALLOWED_TYPES)
    if foreign and not trust:
        shown = ", ".join(brief(t, 80) if not _TYPE_NAME.match(t) else t for t in foreign[:5])
        more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        raise InputError(
            path,
            f"holds types outside the allow-list of scikit-learn model classes: {shown}{more}; "
            "load it only if you trust the file (--trust-model-file)",
        )
    try:
        model = sio.loads(raw, trusted=list(untrusted) or None)
    except Exception as exc:  # as above: a crafted archive is an input error, not a crash
        raise InputError(path, f"cannot be loaded by skops ({type(exc).__name__})") from None
    return _checked(model, str(path))


def _check_archive(path: Path, raw: bytes) -> None:
    """A skops file is a zip: refuse one whose members would unpack to more than we read
    (a 2 MB archive can hold a 2 GB schema)."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InputError(path, f"not a skops file (not a zip archive: {exc})") from None
    total = 0
    for member in members:
        limit = SKOPS_SCHEMA_LIMIT if member.filename == "schema.json" else SKOPS_MEMBER_LIMIT
        if member.file_size > limit:
            raise InputError(
                path,
                f"member {brief(member.filename, 60)} unpacks to {member.file_size:,} bytes; "
                f"the limit is {limit:,}",
            )
        total += member.file_size
    if total > SKOPS_TOTAL_LIMIT:
        raise InputError(
            path, f"unpacks to {total:,} bytes in all; the limit is {SKOPS_TOTAL_LIMIT:,}"
        )


def _pickle(path: Path, trust: bool) -> Classifier:
    if not trust:
        raise InputError(
            path,
            "is a pickle: loading it runs any code it contains; save the model with skops "
            "(skops.io.dump) or pass --trust-model-file if you made this file yourself",
        )
    import pickle

    raw = read_bounded(path, "a model file")
    return _checked(pickle.loads(raw), str(path))  # noqa: S301 - the user said they trust it


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
    raw = read_bounded(path, "a model file")
    try:
        session = onnxruntime.InferenceSession(raw, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise InputError(path, f"not a loadable ONNX model ({type(exc).__name__})") from None
    return _OnnxClassifier(session)


_DOTTED = r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*"
_MODULE_ATTRIBUTE = re.compile(rf"{_DOTTED}:{_DOTTED}")


def _attribute(spec: str) -> Classifier:
    if not _MODULE_ATTRIBUTE.fullmatch(spec):
        raise UsageError(
            f"{brief(spec, 80)}: give module:attribute with dotted names, such as "
            "mypackage.models:classifier"
        )
    module_name, _, attribute = spec.partition(":")
    sys.path.insert(0, str(Path.cwd()))  # the team's own module, next to where they run us
    try:
        target: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise UsageError(f"{spec}: cannot import ({exc})") from None
    except Exception as exc:  # the team's module failed as it was imported: their error
        raise UsageError(f"{spec}: importing it failed ({type(exc).__name__}: {exc})") from None
    finally:
        sys.path.pop(0)
    return _checked(target() if isinstance(target, type) else target, spec)


def _checked(model: Any, name: str) -> Classifier:
    if not callable(getattr(model, "predict_proba", None)):
        raise InputError(name, "the model has no predict_proba method")
    return model  # type: ignore[no-any-return]
