"""`threatmodel probe`: run the measurements the options ask for and write the evidence."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from threatmodel import __version__
from threatmodel.errors import UsageError
from threatmodel.evidence import EvidenceFile, Measurement
from threatmodel.packmodels import EvidenceThresholds
from threatmodel.probe import enumeration, membership
from threatmodel.probe.data import read_sample
from threatmodel.probe.loading import Classifier, load_model


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


def probe(request: ProbeRequest, thresholds: EvidenceThresholds) -> EvidenceFile:
    """Every measurement the request allows."""
    if (request.members is None) != (request.nonmembers is None):
        raise UsageError("--members and --nonmembers go together")
    if request.members is None and request.enumerate_spec is None:
        raise UsageError("give --members and --nonmembers, or --enumerate SPEC, or both")
    model = load_model(request.model, request.trust)
    measurements = []
    if request.members is not None and request.nonmembers is not None:
        measurements.append(_membership(model, request, thresholds))
    if request.enumerate_spec is not None:
        measurements.append(_enumeration(model, request))
    return EvidenceFile(
        format="threatmodel.evidence/1",
        tool_version=__version__,
        model=request.model,
        measurements=tuple(measurements),
    )


def _membership(
    model: Classifier, request: ProbeRequest, thresholds: EvidenceThresholds
) -> Measurement:
    assert request.members is not None
    assert request.nonmembers is not None
    members = read_sample(request.members, request.label)
    nonmembers = read_sample(request.nonmembers, request.label)
    results = membership.measure(model, members, nonmembers)
    strongest = "loss" if "loss" in results else "confidence"
    powered = len(nonmembers.inputs) >= thresholds.adequate_nonmembers and strongest == "loss"
    return Measurement(
        id="membership-threshold",
        threat="membership-inference",
        question="Can an attacker tell a training record from an unseen one by the output?",
        metrics=results,
        n_members=len(members.inputs),
        n_nonmembers=len(nonmembers.inputs),
        level=membership.level(results, thresholds),
        adequately_powered=powered,
        notes=(
            f"Threshold attacks on the full scores ({', '.join(results)}); the strongest is "
            f"{strongest}. An attacker needs the model's scores and records like these."
        ),
    )


def _enumeration(model: Classifier, request: ProbeRequest) -> Measurement:
    assert request.enumerate_spec is not None
    spec = enumeration.load_spec(request.enumerate_spec)
    figures = enumeration.measure(model, spec, request.seconds)
    grade = enumeration.level(figures)
    return Measurement(
        id="enumeration-scan",
        threat="input-enumeration",
        question="Do guessable inputs get the rare answer, and how fast does a copy find them?",
        metrics=figures,
        level=grade,
        adequately_powered="scanned" in figures,
        within_budget=figures["hits"] > 0 and figures["expected_seconds_locally"] <= 86_400,
        notes="Counts only: the inputs found are the very data at risk and are not recorded.",
    )
