"""Answers suggested by the model itself: read from real scikit-learn models (saved with skops),
an ONNX conversion, an MLflow folder and a model card; offered by `assess --from` as defaults
to confirm, recorded when confirmed, never applied over an answer given; hostile sources
refused in one line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skops.io as sio
import yaml
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from tests.conftest import Result
from tests.interview.test_assess import _complete
from tests.interview_keys import ENTER
from threatmodel.pack.answers import load_answers
from threatmodel.pack.load import load_packs

PACK = load_packs()
RNG = np.random.default_rng(7)


def _suggested(cli: Callable[..., Result], source: Path) -> dict[str, dict[str, Any]]:
    result = cli("suggest", source, "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["format"] == "threatmodel.suggestions/1"
    return {s["question"]: s for s in data["suggestions"]}


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("models")
    x, y = RNG.normal(size=(150, 4)), RNG.integers(0, 3, 150)
    cats = np.stack([RNG.integers(0, 50, 300).astype(str), RNG.integers(0, 8, 300).astype(str)], 1)
    income = np.array(["low_income", "high_income"])[RNG.integers(0, 2, 300)]
    fitted = {
        "logistic": LogisticRegression(max_iter=300).fit(x, y),
        "forest": RandomForestClassifier(n_estimators=5, random_state=0).fit(x, y),
        "knn": KNeighborsClassifier().fit(x, y),
        "pipeline": make_pipeline(
            OneHotEncoder(handle_unknown="ignore"), LogisticRegression(max_iter=300)
        ).fit(cats, income),
    }
    paths = {}
    for name, model in fitted.items():
        paths[name] = folder / f"{name}.skops"
        sio.dump(model, paths[name])
    from skl2onnx import to_onnx

    paths["onnx"] = folder / "forest.onnx"
    onnx = to_onnx(fitted["forest"], x[:1].astype(np.float32))
    paths["onnx"].write_bytes(onnx.SerializeToString())
    return paths


def test_a_logistic_regression(cli: Callable[..., Result], models: dict[str, Path]) -> None:
    found = _suggested(cli, models["logistic"])
    family = found["training.model_family"]
    assert (family["value"], family["confidence"]) == ("linear", "high")
    assert family["source"] == "logistic.skops: LogisticRegression"
    exposed = found["outputs.exposed"]
    assert exposed["confidence"] == "hint"  # what the API returns is the team's to say
    assert "probability_vector" in exposed["value"]
    assert "3 classes" in exposed["why"]
    assert "training.records" not in found  # a linear model keeps no records


def test_a_random_forest_and_its_onnx_conversion(
    cli: Callable[..., Result], models: dict[str, Path]
) -> None:
    assert _suggested(cli, models["forest"])["training.model_family"]["value"] == "tree_ensemble"
    onnx = _suggested(cli, models["onnx"])
    family = onnx["training.model_family"]
    assert (family["value"], family["confidence"]) == ("tree_ensemble", "medium")
    assert "probability_vector" in onnx["outputs.exposed"]["value"]


def test_nearest_neighbours_store_their_training_records(
    cli: Callable[..., Result], models: dict[str, Path]
) -> None:
    found = _suggested(cli, models["knn"])
    assert found["training.model_family"]["value"] == "nearest_neighbours"
    records = found["training.records"]
    assert (records["value"], records["confidence"]) == (150, "high")
    assert "whoever holds the model holds them" in records["why"]


def test_a_pipeline_with_a_one_hot_encoder(
    cli: Callable[..., Result], models: dict[str, Path]
) -> None:
    found = _suggested(cli, models["pipeline"])
    assert found["training.model_family"]["value"] == "linear"
    space = found["inputs.space_size"]
    assert (space["value"], space["confidence"]) == (50 * 8, "medium")
    assert found["outputs.reveals"]["value"] == ["income"]  # the labels name an attribute
    assert found["outputs.reveals"]["confidence"] == "hint"


def test_an_mlflow_folder_is_read_without_loading_the_model(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    inputs = [{"name": "postcode", "type": "string"}, {"name": "birth_date", "type": "string"},
              {"name": "clicks_last_week", "type": "long"}]  # fmt: skip
    outputs = [{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}]
    (folder / "MLmodel").write_text(yaml.safe_dump({
        "flavors": {"python_function": {"loader_module": "mlflow.sklearn"},
                    "sklearn": {"pickled_model": "model.pkl"}},
        "signature": {"inputs": json.dumps(inputs), "outputs": json.dumps(outputs)},
    }))  # fmt: skip
    (folder / "model.pkl").write_bytes(b"\x80\x04 never unpickled")
    found = _suggested(cli, folder)
    kinds = found["inputs.kinds"]
    assert set(kinds["value"]) == {"behavioural", "location", "personal_attributes"}
    assert kinds["confidence"] == "hint"
    assert "postcode" in kinds["why"]
    assert "probability_vector" in found["outputs.exposed"]["value"]


def test_a_model_card(cli: Callable[..., Result], tmp_path: Path) -> None:
    card = tmp_path / "README.md"
    card.write_text(
        "---\npipeline_tag: text-classification\nlicense: apache-2.0\ndatasets: [acme/tickets]\n"
        "model-index:\n  - name: ticket-religion-classifier\n---\n\n# Ticket classifier\n\n"
        "The model was fine-tuned on 12,000 examples of support tickets.\n\n"
        "## Intended use\n\nRoutes customer support tickets to the right team.\n\n"
        "## Limits\n\nNone.\n"
    )
    found = _suggested(cli, card)
    assert found["inputs.kinds"]["value"] == ["free_text"]
    assert (found["training.records"]["value"], found["training.records"]["confidence"]) == (
        12_000, "medium"
    )  # fmt: skip
    assert found["system.purpose"]["value"] == "Routes customer support tickets to the right team."
    assert found["outputs.reveals"]["value"] == ["religion"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("README.md", "---\nlicense: !!python/object/apply:os.system [echo]\n---\n", "YAML tag"),
        ("README.md", "---\nlicense: mit\n", "not closed"),
        ("model.skops", "not a zip archive", "model.skops"),
        ("notes.txt", "hello", "give a .skops or .onnx model"),
    ],
)
def test_hostile_or_unreadable_sources_are_one_line(
    cli: Callable[..., Result], tmp_path: Path, name: str, content: str, message: str
) -> None:
    source = tmp_path / name
    source.write_text(content)
    result = cli("suggest", source)
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert message in result.err


def test_an_mlflow_signature_that_is_not_json(cli: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / "MLmodel").write_text("signature:\n  inputs: '[{not json'\n")
    result = cli("suggest", tmp_path)
    assert result.code == 2
    assert result.err.startswith(f"threatmodel: {tmp_path / 'MLmodel'}: signature: not JSON")


def _typed(cli: Callable[..., Result], keys: str, *args: str | Path) -> Result:
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text(keys)
        pipe.close()
        return cli(*args)


def test_assess_offers_suggestions_to_confirm_and_records_them(
    cli: Callable[..., Result], tmp_path: Path, models: dict[str, Path]
) -> None:
    data = _complete("spam-celebrity.yaml")
    del data["answers"]["training"]["model_family"]  # asked, with the model's suggestion
    data["answers"]["training"]["records"] = 500  # given: the model's 150 is a conflict
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump(data, sort_keys=False))
    result = _typed(cli, ENTER + ENTER, "assess", answers, "--from", models["knn"])
    assert result.code == 0, result.err
    assert "Suggested by knn.skops: KNeighborsClassifier: Nearest neighbours" in result.out
    assert (
        "Conflict: knn.skops: KNeighborsClassifier._fit_X suggests 150 for “How many records was "
        "the model trained on?”; "
        "your answer 500 is kept." in result.out
    )
    saved = load_answers(answers, PACK)
    assert saved.given["training.model_family"] == "nearest_neighbours"
    assert saved.given["training.records"] == 500  # never applied over an answer
    assert saved.file.provenance is not None
    assert saved.file.provenance.suggested == {
        "training.model_family": "knn.skops: KNeighborsClassifier"
    }


@pytest.mark.parametrize(
    ("exposed", "expected"),
    [
        (["label"], "label"),
        (["label", "top_k"], "topk:3"),
        (["label", "score"], "scores"),
        ("unknown", "scores"),  # the most an unknown answer could mean
    ],
)
def test_the_probe_reads_the_deployed_output_from_the_answers(
    tmp_path: Path, exposed: Any, expected: str
) -> None:
    from threatmodel.cli.tools import _deployed_output

    data = _complete("spam-celebrity.yaml")
    data["answers"]["outputs"]["exposed"] = exposed
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump(data, sort_keys=False))
    assert _deployed_output(answers, PACK) == expected


@pytest.mark.parametrize(
    "signature",
    [
        "signature: foo\n",
        'signature:\n  inputs: \'[{"name": 5}]\'\n  outputs: \'[{"tensor-spec": "x"}]\'\n',
    ],
)
def test_odd_mlflow_signatures_are_one_line_or_read(
    cli: Callable[..., Result], tmp_path: Path, signature: str
) -> None:
    (tmp_path / "MLmodel").write_text(signature)
    result = cli("suggest", tmp_path)
    assert result.code in (0, 2), result.err
    assert "internal error" not in result.err
    if result.code == 2:
        assert result.err.count("\n") == 1


def test_a_card_s_text_is_read_in_linear_time_and_whole(tmp_path: Path) -> None:
    import time

    from threatmodel.suggest.cards import _TRAINED_ON, _intended_use

    started = time.perf_counter()
    _TRAINED_ON.search("trained on 1" + " " * 20_000 + "x")
    assert time.perf_counter() - started < 0.5  # it was quadratic: seconds for this input
    assert _intended_use("# Intended use\n\nThis model classifies\nloan applications.") == (
        "This model classifies loan applications."
    )
