"""`threatmodel probe`: run the measurements the options ask for and write the evidence."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from threatmodel import __version__
from threatmodel.engine.evidence import EvidenceFile, Measurement
from threatmodel.errors import InputError, UsageError, brief
from threatmodel.pack.models import EvidenceThresholds
from threatmodel.probe import attributes, enumeration, granularity, lira, membership
from threatmodel.probe.budget import Budget
from threatmodel.probe.data import Sample, read_sample
from threatmodel.probe.loading import Classifier, Remembered, load_model, unwrapped


@dataclass(frozen=True)
class ProbeRequest:
    """What to measure."""

    model: str
    members: Path | None
    nonmembers: Path | None
    label: str | None
    enumerate_spec: Path | None
    seconds: float
    trust: bool
    sensitive: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    output_format: str = "scores"
    show_hits: bool = False


def probe(
    request: ProbeRequest,
    thresholds: EvidenceThresholds,
    progress: Callable[[float], None] | None = None,
) -> EvidenceFile:
    """Every measurement the request allows; `progress` (the CLI's) is told how far a scan has
    got."""
    if (request.members is None) != (request.nonmembers is None):
        raise UsageError("--members and --nonmembers go together")
    if request.members is None and request.enumerate_spec is None:
        raise UsageError("give --members and --nonmembers, or --enumerate SPEC, or both")
    if not granularity.valid(request.output_format):
        raise UsageError(
            f"--output-format {request.output_format}: use scores, label, rounded:N or topk:K"
        )
    budget = Budget(request.seconds)
    model = load_model(request.model, request.trust)
    measurements = []
    if request.members is not None and request.nonmembers is not None:
        members, nonmembers = _samples(request)
        _check_labels(model, members, nonmembers, request)
        # With a scan to follow, the samples' measurements get half of the budget.
        part = budget.sub(0.5) if request.enumerate_spec is not None else budget
        scored = Remembered(model, members.inputs, nonmembers.inputs)
        measurements += _on_samples(scored, members, nonmembers, thresholds, request, part)
    if request.enumerate_spec is not None:
        measurements.append(_timed(_enumeration, model, request, budget, progress))
    return EvidenceFile(
        format="threatmodel.evidence/1",
        tool_version=__version__,
        model=request.model,
        measurements=tuple(measurements),
        budget_seconds=request.seconds,
        seconds_taken=round(budget.spent(), 2),
        not_measured=tuple(budget.skipped),
    )


def _on_samples(
    model: Classifier,
    members: Sample,
    nonmembers: Sample,
    thresholds: EvidenceThresholds,
    request: ProbeRequest,
    budget: Budget,
) -> list[Measurement]:
    """Membership first (its cheap attacks always run), then what the output format buys, the
    hidden attributes (one scoring each), and the sensitive inputs in what time is left."""
    out = [
        _timed(_membership, model, members, nonmembers, thresholds, request, budget),
        _timed(_granularity, model, members, nonmembers),
    ]
    out += [_timed(_hidden, model, members, nonmembers, c) for c in request.hidden]
    for i, column in enumerate(request.sensitive):
        if budget.over():
            budget.skip(f"attribute-inference:{column}", "the budget ran out before it")
            continue
        seconds = budget.left() / (len(request.sensitive) - i)
        out.append(_timed(_sensitive, model, members, nonmembers, column, seconds))
    return out


def _timed(measure: Callable[..., Measurement], *args: Any) -> Measurement:
    """The measurement, with how long it took."""
    started = time.perf_counter()
    measurement = measure(*args)
    return measurement.model_copy(update={"seconds": round(time.perf_counter() - started, 2)})


def _samples(request: ProbeRequest) -> tuple[Sample, Sample]:
    assert request.members is not None
    assert request.nonmembers is not None
    members = read_sample(request.members, request.label)
    nonmembers = read_sample(request.nonmembers, request.label)
    for column in (*request.sensitive, *request.hidden):
        if column not in members.columns:
            raise UsageError(f"--sensitive/--hidden {column}: no such column in the samples")
    for column in request.hidden:
        members, nonmembers = members.without(column), nonmembers.without(column)
    return members, nonmembers


def _check_labels(
    model: Classifier, members: Sample, nonmembers: Sample, request: ProbeRequest
) -> None:
    """Labels must be classes the model returns, and the samples must hold two of them."""
    if members.labels is None or nonmembers.labels is None:
        return
    if members.inputs.shape[1] != nonmembers.inputs.shape[1]:
        raise UsageError("--members and --nonmembers have different columns")
    try:
        classes = np.asarray(model.predict_proba(members.inputs[:1])).shape[1]
    except Exception as exc:  # the model refuses these inputs: the samples do not fit it
        raise UsageError(
            f"the model cannot score the samples' rows ({type(exc).__name__}: "
            f"{brief(str(exc), 80)})"
        ) from None
    for path, sample in ((request.members, members), (request.nonmembers, nonmembers)):
        assert sample.labels is not None
        over = np.flatnonzero(sample.labels >= classes)
        if len(over):
            raise InputError(
                path,
                f"label {int(sample.labels[over[0]])} is not a class of the model, which "
                f"returns {classes}",
                int(over[0]) + 2,
            )
    if len(np.unique(np.concatenate([members.labels, nonmembers.labels]))) < 2:
        raise UsageError("the samples hold one class only; membership attacks need two or more")


def _membership(
    model: Classifier,
    members: Sample,
    nonmembers: Sample,
    thresholds: EvidenceThresholds,
    request: ProbeRequest,
    budget: Budget,
) -> Measurement:
    output_format = request.output_format
    results = membership.measure(
        model, members, nonmembers, output_format=output_format, budget=budget
    )
    strongest = next(iter(results))
    # A clean result counts only when the strongest attack the model allows has run.
    best_possible = "calibrated" if lira.cloneable(model) and output_format == "scores" else "loss"
    enough = len(nonmembers.inputs) >= thresholds.adequate_nonmembers
    powered = enough and strongest == best_possible
    return Measurement(
        id="membership-threshold",
        threat="membership-inference",
        question="Can an attacker tell a training record from an unseen one by the output?",
        metrics=results,
        n_members=len(members.inputs),
        n_nonmembers=len(nonmembers.inputs),
        level=membership.level(results, thresholds),
        adequately_powered=powered,
        output_format=output_format,
        notes=(
            f"Attacks on the output as {output_format} ({', '.join(results)}); the strongest is "
            f"{strongest}. An attacker needs that output and records like these."
            + (
                " The calibrated attack did not fit in the probe's time budget, so a clean "
                "result here does not lower the likelihood."
                if best_possible == "calibrated" and any(lira.NAME in s for s in budget.skipped)
                else ""
            )
        ),
    )


def _sensitive(
    model: Classifier, members: Sample, nonmembers: Sample, column: str, seconds: float
) -> Measurement:
    figures = attributes.sensitive_input(model, members, nonmembers, column, seconds)
    return Measurement(
        id=f"attribute-inference:{column}",
        threat="model-inversion",
        question=f"Can an attacker who knows everything else infer {column} from the model?",
        metrics=figures,
        n_members=len(members.inputs),
        n_nonmembers=len(nonmembers.inputs),
        level=attributes.level_of_input(figures),
        adequately_powered=False,  # one attack among several: a clean result proves little
        notes=(
            "The attacker tries every value and keeps the one that best explains the decision; "
            "the advantage is over guessing the commonest value."
        ),
    )


def _hidden(model: Classifier, members: Sample, nonmembers: Sample, column: str) -> Measurement:
    figures = {
        "members": attributes.hidden(model, members, members.hidden[column]),
        "nonmembers": attributes.hidden(model, nonmembers, nonmembers.hidden[column]),
    }
    best = max((f["auc"] or 0.5) for f in figures.values())
    return Measurement(
        id=f"hidden-attribute:{column}",
        threat="protected-attribute-exposure",
        question=f"Does the model's output reveal {column}, which it is never given?",
        metrics=figures,
        n_members=len(members.inputs),
        n_nonmembers=len(nonmembers.inputs),
        level="high" if best >= 0.75 else "elevated" if best >= 0.6 else "low",
        notes="AUC of the best single output score at separating the attribute's two values.",
    )


def _granularity(model: Classifier, members: Sample, nonmembers: Sample) -> Measurement:
    per_format = granularity.measure(model, members, nonmembers)
    label_only = per_format["label"]["auc"]
    return Measurement(
        id="output-granularity",
        threat="output-overexposure",
        question="How much does returning less than the full scores lower the leak?",
        metrics=per_format,
        n_members=len(members.inputs),
        n_nonmembers=len(nonmembers.inputs),
        level="elevated" if per_format["scores"]["auc"] - label_only >= 0.05 else "low",
        adequately_powered=False,  # informs the choice of output; it never lowers likelihood
        notes=(
            "The loss attack repeated on coarser outputs; unique_outputs is the share of "
            "records whose output no other record gets, a fingerprint for linkage."
        ),
    )


def _enumeration(
    model: Classifier,
    request: ProbeRequest,
    budget: Budget,
    progress: Callable[[float], None] | None,
) -> Measurement:
    assert request.enumerate_spec is not None
    named = getattr(unwrapped(model), "feature_names_in_", None)
    spec = enumeration.load_spec(
        request.enumerate_spec, tuple(str(n) for n in named) if named is not None else ()
    )
    figures = enumeration.measure(
        model, spec, budget.left(), progress=progress, show_hits=request.show_hits
    )
    grade = enumeration.level(figures)
    return Measurement(
        id="enumeration-scan",
        threat="input-enumeration",
        question="Do guessable inputs get the rare answer, and how fast does a copy find them?",
        metrics=figures,
        level=grade,
        adequately_powered="scanned" in figures,
        within_budget=figures["hits"] > 0 and figures["expected_seconds_locally"] <= 86_400,
        notes=(
            "The inputs found are listed because --show-hits asked for them: treat this file as "
            "the data at risk."
            if request.show_hits
            else "Counts only: the inputs found are the very data at risk and are not recorded."
        ),
    )
