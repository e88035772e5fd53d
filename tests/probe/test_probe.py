"""The probe on real models: a memorising forest leaks membership, a regularised model does
not, an allow-list filter gives up its numbers, and pickles are refused without consent."""

from __future__ import annotations

import csv
import json
import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve

from tests.conftest import EXAMPLES, Result
from threatmodel.probe import metrics


def _csv(path: Path, x: np.ndarray, y: np.ndarray) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([f"f{i}" for i in range(x.shape[1])] + ["label"])
        writer.writerows([*row, int(label)] for row, label in zip(x, y, strict=True))
    return path


def _split(tmp_path: Path, model: object, x: np.ndarray, y: np.ndarray) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(0)
    order = rng.permutation(len(x))
    half = len(x) // 2
    train, held = order[:half], order[half:]
    model.fit(x[train], y[train])  # type: ignore[attr-defined]
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    return (
        path,
        _csv(tmp_path / "members.csv", x[train], y[train]),
        _csv(tmp_path / "nonmembers.csv", x[held], y[held]),
    )


def _probe(cli: Callable[..., Result], tmp_path: Path, *args: object) -> dict:
    out = tmp_path / "evidence.json"
    result = cli("probe", *args, "--out", out)
    assert result.code == 0, result.err
    return json.loads(out.read_text())


def test_a_memorising_forest_leaks_membership(cli: Callable[..., Result], tmp_path: Path) -> None:
    x, y = load_digits(return_X_y=True)
    model, members, nonmembers = _split(
        tmp_path, RandomForestClassifier(n_estimators=50, random_state=0), x, y
    )
    evidence = _probe(
        cli, tmp_path, model, "--members", members, "--nonmembers", nonmembers, "--label", "label"
    )
    m = evidence["measurements"][0]
    assert (m["threat"], m["level"]) == ("membership-inference", "high")
    assert m["metrics"]["loss"]["auc"] > 0.75
    low, high = m["metrics"]["loss"]["auc_ci95"]
    assert low <= m["metrics"]["loss"]["auc"] <= high
    # Fed into the report, the measured leak raises membership-inference's likelihood.
    answers = EXAMPLES / "spam-celebrity.yaml"
    plain = json.loads(cli("report", answers, "-f", "json").out)
    path = tmp_path / "evidence.json"
    measured = json.loads(cli("report", answers, "-f", "json", "--evidence", path).out)
    before = next(t for t in plain["threats"] if t["id"] == "membership-inference")
    after = next(t for t in measured["threats"] if t["id"] == "membership-inference")
    assert (before["likelihood"], after["likelihood"]) == ("negligible", "significant")
    assert after["evidence"][0]["level"] == "high"
    assert after["steps"][-1]["reason"].startswith("Measured (membership-threshold on 898")
    # The answers say only the label is returned; the full scores were attacked.
    assert after["steps"][-1]["reason"].endswith("the figure overstates the leak as deployed.")


def test_a_regularised_model_does_not(cli: Callable[..., Result], tmp_path: Path) -> None:
    x, y = load_breast_cancer(return_X_y=True)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    model, members, nonmembers = _split(tmp_path, LogisticRegression(C=0.01), x, y)
    evidence = _probe(
        cli, tmp_path, model, "--members", members, "--nonmembers", nonmembers, "--label", "label"
    )
    m = evidence["measurements"][0]
    assert m["level"] == "low"
    assert m["metrics"]["loss"]["auc"] < 0.6
    assert m["metrics"]["loss"]["tpr_at_0.01_fpr"] is None  # 285 non-members: too few to say


def test_an_allow_list_gives_up_its_numbers(cli: Callable[..., Result], tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "columns: [sender]\nfields: {sender: {range: [4470000000, 4479999999]}}\nrare: {label: 1}\n"
    )
    evidence = _probe(
        cli, tmp_path, "tests.probe_models:allow_list", "--enumerate", spec, "--seconds", "60"
    )
    m = evidence["measurements"][0]
    assert m["threat"] == "input-enumeration"
    assert m["metrics"]["space_size"] == 10_000_000
    assert m["metrics"]["hits"] == 2
    assert m["metrics"]["scanned"] == 10_000_000
    assert m["level"] == "high"
    assert "4471234567" not in json.dumps(evidence)  # counts, never the numbers found
    shown = _probe(
        cli, tmp_path, "tests.probe_models:allow_list", "--enumerate", spec, "--show-hits"
    )
    assert shown["measurements"][0]["metrics"]["hits_found"] == [
        {"sender": 4471234567.0},
        {"sender": 4479999999.0},
    ]
    # In the report, the measured hits are timed at the rate the answers give.
    answers = EXAMPLES / "spam-celebrity.yaml"
    report = json.loads(
        cli("report", answers, "-f", "json", "--evidence", tmp_path / "evidence.json").out
    )
    enumeration = next(t for t in report["threats"] if t["id"] == "input-enumeration")
    measured = [s["reason"] for s in enumeration["steps"] if s["reason"].startswith("Measured")]
    assert "At the answers' rate (86,400,000 queries a day)" in measured[0]


def test_our_roc_agrees_with_scikit_learn() -> None:
    rng = np.random.default_rng(3)
    members, nonmembers = rng.normal(0.4, 1, 700).round(2), rng.normal(0, 1, 900).round(2)
    labels = np.r_[np.ones(700), np.zeros(900)]
    scores = np.r_[members, nonmembers]
    assert metrics.roc_auc(members, nonmembers) == pytest.approx(roc_auc_score(labels, scores))
    fpr, tpr, _ = roc_curve(labels, scores)
    assert metrics.advantage(members, nonmembers) == pytest.approx(max(tpr - fpr))


def test_pickles_are_refused_without_consent(cli: Callable[..., Result], tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(LogisticRegression()))
    spec = tmp_path / "spec.yaml"
    spec.write_text("columns: [a]\nfields: {a: {digits: 2}}\nrare: {label: 1}\n")
    result = cli("probe", path, "--enumerate", spec, "--out", tmp_path / "e.json")
    assert result.code == 2
    assert result.err.startswith(f"threatmodel: {path}: is a pickle: loading it runs any code")
    assert not (tmp_path / "e.json").exists()


def test_calibration_and_coarser_outputs(cli: Callable[..., Result], tmp_path: Path) -> None:
    x, y = load_digits(return_X_y=True)
    model, members, nonmembers = _split(
        tmp_path, RandomForestClassifier(n_estimators=50, random_state=0), x, y
    )
    evidence = _probe(
        cli, tmp_path, model, "--members", members, "--nonmembers", nonmembers, "--label", "label"
    )
    by_id = {m["id"]: m for m in evidence["measurements"]}
    attacks = by_id["membership-threshold"]["metrics"]
    assert list(attacks) == ["calibrated", "loss", "confidence"]
    assert attacks["calibrated"]["auc"] > attacks["loss"]["auc"] > 0.75
    formats = by_id["output-granularity"]["metrics"]
    assert list(formats) == ["scores", "rounded:1", "topk:1", "label"]
    assert formats["label"]["auc"] < formats["scores"]["auc"]
    assert formats["label"]["unique_outputs"] == 0
    assert formats["scores"]["unique_outputs"] > 0.5
    assert by_id["output-granularity"]["threat"] == "output-overexposure"


def test_attribute_inference_and_a_hidden_attribute(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    """A model trained on a binary column that decides the label gives it away; a column it is
    never given but that tracks the label is revealed by its output."""
    rng = np.random.default_rng(1)
    n = 1200
    secret = rng.integers(0, 2, n).astype(float)
    noise = rng.normal(size=(n, 3))
    y = ((secret + 0.3 * noise[:, 0]) > 0.5).astype(int)
    tracking = (y ^ (rng.random(n) < 0.1)).astype(float)  # not an input; follows the label
    x = np.column_stack([secret, noise, tracking])
    model = RandomForestClassifier(n_estimators=30, random_state=0)
    model.fit(x[:600, :4], y[:600])
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    members = _csv(tmp_path / "m.csv", x[:600], y[:600])
    nonmembers = _csv(tmp_path / "n.csv", x[600:], y[600:])
    evidence = _probe(
        cli,
        tmp_path,
        path,
        "--members",
        members,
        "--nonmembers",
        nonmembers,
        "--label",
        "label",
        "--sensitive",
        "f0",
        "--hidden",
        "f4",
    )
    by_id = {m["id"]: m for m in evidence["measurements"]}
    inferred = by_id["attribute-inference:f0"]["metrics"]
    assert inferred["members"]["advantage"] > 0.2
    assert by_id["attribute-inference:f0"]["threat"] == "model-inversion"
    revealed = by_id["hidden-attribute:f4"]
    assert revealed["metrics"]["nonmembers"]["auc"] > 0.8
    assert revealed["metrics"]["nonmembers"]["entropy_share_revealed"] > 0.3
    assert (revealed["threat"], revealed["level"]) == ("protected-attribute-exposure", "high")


def test_the_deployed_output_format(cli: Callable[..., Result], tmp_path: Path) -> None:
    x, y = load_digits(return_X_y=True)
    model, members, nonmembers = _split(
        tmp_path, RandomForestClassifier(n_estimators=50, random_state=0), x, y
    )
    args = (model, "--members", members, "--nonmembers", nonmembers, "--label", "label")
    label_only = _probe(cli, tmp_path, *args, "--output-format", "label")
    m = label_only["measurements"][0]
    assert m["output_format"] == "label"
    assert list(m["metrics"]) == ["loss", "confidence"]  # no calibration on labels alone
    assert m["metrics"]["loss"]["auc"] < 0.6
    bad = cli("probe", *args, "--output-format", "top3", "--out", tmp_path / "x.json")
    assert bad.code == 2
    assert "use scores, label, rounded:N or topk:K" in bad.err


def test_an_onnx_model(cli: Callable[..., Result], tmp_path: Path) -> None:
    from skl2onnx import to_onnx

    x, y = load_breast_cancer(return_X_y=True)
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(x[:300], y[:300])
    path = tmp_path / "model.onnx"
    path.write_bytes(to_onnx(model, x[:1].astype(np.float32)).SerializeToString())
    members = _csv(tmp_path / "m.csv", x[:300], y[:300])
    nonmembers = _csv(tmp_path / "n.csv", x[300:], y[300:])
    evidence = _probe(
        cli, tmp_path, path, "--members", members, "--nonmembers", nonmembers, "--label", "label"
    )
    m = evidence["measurements"][0]
    assert list(m["metrics"]) == ["loss", "confidence"]  # an ONNX graph cannot be cloned
    from threatmodel.probe import membership
    from threatmodel.probe.data import Sample

    direct = membership.measure(
        model, Sample(x[:300], y[:300], ()), Sample(x[300:], y[300:], ()), calibrated=False
    )
    # The same model, run through ONNX on float32 inputs: the same figure, up to ties.
    assert m["metrics"]["loss"]["auc"] == pytest.approx(direct["loss"]["auc"], abs=0.06)


def test_a_spec_may_leave_columns_out_for_a_single_input(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("fields: {sender: {range: [4470000000, 4470999999]}}\nrare: {label: 1}\n")
    evidence = _probe(cli, tmp_path, "tests.probe_models:allow_list", "--enumerate", spec)
    assert evidence["measurements"][0]["metrics"]["space_size"] == 1_000_000
    two = tmp_path / "two.yaml"
    two.write_text("fields: {a: {range: [0, 9]}}\nfixed: {b: 0}\nrare: {label: 1}\n")
    result = cli("probe", "tests.probe_models:allow_list", "--enumerate", two, "--out",
                 tmp_path / "e2.json")  # fmt: skip
    assert result.code == 2
    assert "columns: the model names no features; list its inputs in order" in result.err
    # A model that names its inputs gives the SPEC its columns, in the model's order.
    named = tmp_path / "named.yaml"
    named.write_text(
        "fields: {sender: {range: [4471234560, 4471234569]}}\nfixed: {hour: 12}\nrare: {label: 1}\n"
    )
    found = _probe(cli, tmp_path, "tests.probe_models:named", "--enumerate", named)
    assert found["measurements"][0]["metrics"]["hits"] == 1


def test_members_found_at_low_false_positives_are_reported_by_class(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    # Class 0 is easy (the model generalises); class 1 is noise it can only memorise.
    rng = np.random.default_rng(1)
    easy = rng.normal(size=(4000, 5)) + np.array([4, 0, 0, 0, 0])
    noisy = rng.normal(size=(4000, 5))
    x = np.r_[easy, noisy]
    y = np.r_[np.zeros(4000, int), np.ones(4000, int)]  # 1,000 non-members a class at least
    flip = rng.random(len(y)) < 0.4
    y = np.where(flip & (y == 1), 0, y)  # class 1's labels are partly noise
    model, members, nonmembers = _split(
        tmp_path, RandomForestClassifier(n_estimators=30, random_state=0), x, y
    )
    out = tmp_path / "evidence.json"
    result = cli("probe", model, "--members", members, "--nonmembers", nonmembers,
                 "--label", "label", "--seconds", "10", "--out", out)  # fmt: skip
    assert result.code == 0, result.err
    loss = json.loads(out.read_text())["measurements"][0]["metrics"]["loss"]
    by_class = loss["tpr_at_0.01_fpr_by_class"]
    assert set(by_class) == {"0", "1"}
    assert by_class["1"] > by_class["0"] + 0.2  # the memorised class is the exposed one
    assert "members found at 1% false positives differ by class: class 0: 0.0%" in result.out
