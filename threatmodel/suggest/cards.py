"""Suggestions from model metadata that is only text: an MLflow model folder (`MLmodel` is
YAML, its signature JSON; the model itself is never loaded) and a Hugging Face model card
(`README.md` with a YAML header). Read with the safe loaders and the bounded reader."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from threatmodel.errors import InputError
from threatmodel.files import read_text
from threatmodel.language.numbers import parse_number
from threatmodel.pack.yamlsafe import load_yaml, parse_yaml
from threatmodel.suggest.model import Suggestion, feature_hints, label_hints

_TRAINED_ON = re.compile(
    r"(?:trained|fine-tuned|fitted) on (?:about |around |roughly |over )?"
    r"(\d[\d,.]{0,20}[kKmM]?) {1,3}(?:examples|records|samples|images|rows|documents|texts|people)",
    re.I,
)
_PIPELINES = {
    "text-classification": ["free_text"],
    "token-classification": ["free_text"],
    "zero-shot-classification": ["free_text"],
    "image-classification": ["image_of_person"],
    "audio-classification": ["audio_of_person"],
    "tabular-classification": ["personal_attributes"],
}


def from_mlflow(folder: Path) -> list[Suggestion]:
    """Suggestions from `MLmodel`: the flavour and the signature's inputs and outputs."""
    doc = load_yaml(folder / "MLmodel", folder)
    data = doc.data if isinstance(doc.data, dict) else {}
    source = f"{folder.name}/MLmodel"
    out: list[Suggestion] = []
    signature = data.get("signature") or {}
    if not isinstance(signature, dict):
        raise doc.error(("signature",), "signature: expected a mapping with inputs and outputs")
    inputs = _columns(signature.get("inputs"), doc.path)
    names = [c.get("name") for c in inputs if isinstance(c, dict)]
    out += feature_hints([n for n in names if isinstance(n, str)], f"{source}: signature.inputs")
    outputs = _columns(signature.get("outputs"), doc.path)
    if outputs:
        specs = [c.get("tensor-spec") for c in outputs if isinstance(c, dict)]
        shapes = [s.get("shape") for s in specs if isinstance(s, dict)]
        vector = any(isinstance(s, list) and len(s) > 1 and s[-1] not in (1, -1) for s in shapes)
        hint = ["label", "probability_vector"] if vector else ["label"]
        why = (
            "the signature returns a vector per input"
            if vector
            else ("the signature returns one value per input")
        )
        out.append(Suggestion("outputs.exposed", hint, "hint", f"{source}: signature.outputs", why))
    flavors = data.get("flavors") or {}
    if isinstance(flavors, dict) and "sklearn" in flavors:
        out.append(Suggestion("training.model_family", "other", "hint", f"{source}: flavors",
                              "a scikit-learn model; `threatmodel suggest` on its skops export "
                              "names the family"))  # fmt: skip
    return out


def _columns(text: Any, path: Path) -> list[Any]:
    if not text:
        return []
    try:
        columns = json.loads(text) if isinstance(text, str) else text
    except ValueError as exc:
        raise InputError(path, f"signature: not JSON ({exc})") from None
    return columns if isinstance(columns, list) else []


def from_card(path: Path) -> list[Suggestion]:
    """Suggestions from a model card's YAML header and its text."""
    text = read_text(path, "a YAML file")
    header, body = _split(text, path)
    source = path.name
    out: list[Suggestion] = []
    tag = header.get("pipeline_tag")
    if isinstance(tag, str) and tag in _PIPELINES:
        out.append(Suggestion("inputs.kinds", _PIPELINES[tag], "hint", f"{source}: pipeline_tag",
                              f"a {tag} model"))  # fmt: skip
    datasets = header.get("datasets")
    if isinstance(datasets, list) and datasets:
        named = ", ".join(str(d) for d in datasets[:5])
        why = f"trained on {named}: check whether they describe people"
        out.append(Suggestion("training.personal_data", True, "hint", f"{source}: datasets", why))
    found = _TRAINED_ON.search(body)
    if found:
        try:
            count = parse_number(found.group(1).replace(" ", ""))
        except ValueError:
            count = None
        if count is not None:
            out.append(Suggestion("training.records", count, "medium", f"{source}: text",
                                  f"the card says: “{found.group(0)}”"))  # fmt: skip
    purpose = _intended_use(body)
    if purpose:
        out.append(Suggestion("system.purpose", purpose, "medium", f"{source}: intended use",
                              "the card's intended use"))  # fmt: skip
    labels = _labels(header)
    out += label_hints(labels, f"{source}: model-index")
    return out


def _split(text: str, path: Path) -> tuple[dict[str, Any], str]:
    if not text.startswith("---"):
        return {}, text
    end = text.find("\n---", 3)
    if end < 0:
        raise InputError(path, "the YAML header (between --- lines) is not closed")
    header = parse_yaml(text[3:end], path).data
    return (header if isinstance(header, dict) else {}), text[end + 4 :]


def _intended_use(body: str) -> str:
    """The first paragraph under an "Intended use(s)" heading."""
    match = re.search(
        r"^#+\s*intended uses?[^\n]*\n+(.+?)(?:\n\s*\n|\n#|\Z)", body, re.I | re.M | re.S
    )
    return " ".join(match.group(1).split())[:400] if match else ""


def _labels(header: dict[str, Any]) -> list[str]:
    index = header.get("model-index")
    names: list[str] = []
    if isinstance(index, list):
        for entry in index:
            if isinstance(entry, dict):
                names.append(str(entry.get("name", "")))
    return names
