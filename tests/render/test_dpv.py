"""The W3C DPV export read as linked data: parsed by rdflib (JSON-LD, context inline, no
network), then asked with SPARQL what a GRC tool would ask: the risks, their levels, the
measures, the residual risk, the DPIA's outcome and the WP248 screening."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from rdflib import Graph

from tests.conftest import EXAMPLES, SCENARIOS, Result

PREFIXES = """
PREFIX dpv: <https://w3id.org/dpv#>
PREFIX risk: <https://w3id.org/dpv/risk#>
PREFIX ai: <https://w3id.org/dpv/ai#>
PREFIX eu-gdpr: <https://w3id.org/dpv/legal/eu/gdpr#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX tm: <urn:threatmodel:>
"""


def _graph(cli: Callable[..., Result], path: Path, *options: str) -> Graph:
    result = cli("report", path, "--format", "dpv", *options)
    assert result.code == 0, result.err
    assert "@context" in json.loads(result.out)  # inline: nothing fetched to expand it
    return Graph().parse(data=result.out, format="json-ld")


def _query(graph: Graph, sparql: str) -> list[tuple[str, ...]]:
    return sorted(tuple(str(v) for v in row) for row in graph.query(PREFIXES + sparql))  # type: ignore[union-attr]


def _assessment(cli: Callable[..., Result], path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(cli("report", path, "--format", "json").out)
    return data


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_risks_and_levels_answer_sparql(cli: Callable[..., Result], path: Path) -> None:
    graph = _graph(cli, path)
    assessment = _assessment(cli, path)
    rows = _query(graph, """
        SELECT ?title ?likelihood ?severity ?level ?residual WHERE {
          ?dpia a dpv:DPIA ; dpv:hasRisk ?risk .
          ?risk a dpv:Risk ; dct:title ?title ;
                dpv:hasLikelihood/skos:prefLabel ?likelihood ;
                dpv:hasSeverity/skos:prefLabel ?severity ;
                dpv:hasRiskLevel/skos:prefLabel ?level ;
                dpv:hasResidualRisk/dpv:hasRiskLevel/skos:prefLabel ?residual .
        }""")  # fmt: skip
    expected = sorted(
        (t["title"], t["likelihood"], t["severity"], t["risk"], t["residual_risk"])
        for t in assessment["threats"]
    )
    assert rows == expected


def test_levels_match_dpvs_by_rank(cli: Callable[..., Result]) -> None:
    graph = _graph(cli, EXAMPLES / "spam-celebrity.yaml")
    rows = _query(graph, """
        SELECT ?label ?dpv WHERE {
          ?level skos:inScheme tm:risk ; skos:prefLabel ?label ; skos:closeMatch ?dpv .
        }""")  # fmt: skip
    risk = "https://w3id.org/dpv/risk#"
    assert rows == sorted([
        ("low", risk + "VeryLowRisk"), ("medium", risk + "LowRisk"),
        ("high", risk + "HighRisk"), ("critical", risk + "VeryHighRisk"),
    ])  # fmt: skip
    likelihoods = _query(graph, "SELECT ?l WHERE { ?l a dpv:Likelihood }")
    assert len(likelihoods) == 4


def test_the_dpia_outcome_and_screening(cli: Callable[..., Result]) -> None:
    path = EXAMPLES / "headscarf-detector.yaml"
    graph = _graph(cli, path)
    assessment = _assessment(cli, path)
    assert assessment["prior_consultation"] is True
    statuses = {
        row[0] for row in _query(graph, "SELECT ?s WHERE { ?d a dpv:DPIA ; dpv:hasStatus ?s }")
    }
    gdpr = "https://w3id.org/dpv/legal/eu/gdpr#"
    assert {gdpr + "DPIARequired", gdpr + "DPIAOutcomeDPAConsultation"} <= statuses
    contexts = {row[0] for row in _query(graph, """
        SELECT ?c WHERE { ?d a dpv:DPIA ; dpv:hasProcessingContext ?c }""")}  # fmt: skip
    met = {c["id"] for c in assessment["screening"]["criteria"] if c["met"]}
    assert len(contexts) == len(met)
    if "evaluation-scoring" in met:
        assert "https://w3id.org/dpv#EvaluationScoring" in contexts
    turbine = _graph(cli, EXAMPLES / "turbine-fault-detector.yaml")
    statuses = {
        row[0] for row in _query(turbine, "SELECT ?s WHERE { ?d a dpv:DPIA ; dpv:hasStatus ?s }")
    }
    assert statuses == {gdpr + "DPIANotRequired", gdpr + "DPIAOutcomeRisksMitigated"}


def test_threats_map_to_dpvs_ai_risks_where_they_exist(cli: Callable[..., Result]) -> None:
    graph = _graph(cli, EXAMPLES / "headscarf-detector.yaml")
    inversion = _query(graph, "SELECT ?r WHERE { ?r a dpv:Risk, ai:ModelInversion }")
    assert [r[0].rsplit("/", 1)[1] for r in inversion] == ["model-inversion"]
    broader = _query(graph, """
        SELECT ?t WHERE { ?t skos:broadMatch ai:ModelInversion }""")  # fmt: skip
    assert ("urn:threatmodel:threat/membership-inference",) in broader
    own = _query(
        graph,
        """
        SELECT ?t WHERE { ?r tm:threat ?t . FILTER NOT EXISTS { ?t skos:exactMatch ?x } }""",
    )
    assert ("urn:threatmodel:threat/behaviour-disclosure",) in own


def test_recorded_measures_lower_the_residual_risk(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    data = yaml.safe_load((EXAMPLES / "spam-celebrity.yaml").read_text())
    data["measures"] = [{"threat": "input-enumeration", "measure": "rate-limit",
                         "status": "implemented"}]  # fmt: skip
    path = tmp_path / "measured.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assessment = _assessment(cli, path)
    enumeration = next(t for t in assessment["threats"] if t["id"] == "input-enumeration")
    assert enumeration["measures"], "the measure is one of the pack's"
    graph = _graph(cli, path)
    rows = _query(graph, """
        SELECT ?title ?status WHERE {
          ?r tm:threat <urn:threatmodel:threat/input-enumeration> ; dpv:isMitigatedByMeasure ?m .
          ?m a dpv:RiskMitigationMeasure ; dct:title ?title ; tm:status ?status .
        }""")  # fmt: skip
    assert (enumeration["measures"][0]["title"], "implemented") in rows
    assert any(status == "recommended" for _, status in rows)
    (residual,) = _query(graph, """
        SELECT ?level WHERE {
          ?r tm:threat <urn:threatmodel:threat/input-enumeration> ;
             dpv:hasResidualRisk/dpv:hasRiskLevel/skos:prefLabel ?level }""")  # fmt: skip
    assert residual == (enumeration["residual_risk"],)


def test_what_users_typed_stays_a_literal(cli: Callable[..., Result], tmp_path: Path) -> None:
    data = yaml.safe_load((EXAMPLES / "spam-celebrity.yaml").read_text())
    hostile = '"}, {"@id": "urn:evil", "@type": "dpv:DPIA'
    data["answers"]["system"]["name"] = hostile
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    graph = _graph(cli, path)
    dpias = _query(graph, "SELECT ?d ?t WHERE { ?d a dpv:DPIA ; dct:title ?t }")
    assert len(dpias) == 1
    assert dpias[0][1] == f"Privacy threat assessment: {hostile}"
