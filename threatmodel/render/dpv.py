"""The assessment as W3C Data Privacy Vocabulary (DPV 2) JSON-LD, for GRC tools and registers
that read linked data: one `dpv:DPIA` with a `dpv:Risk` per threat (likelihood, severity, level,
the measures against it and the residual risk), the WP248 screening as DPV processing-context
concepts, and the DPIA's outcome as the GDPR extension's statuses.

Where DPV has a concept it is used (`ai:ModelInversion`, `dpv:EvaluationScoring`); where it
has none, this tool's own IRIs (`urn:threatmodel:…`) say so, linked to DPV's nearest concept by
SKOS. The pack's level scale is its own concept scheme, each level `skos:closeMatch` to DPV's
level of the same rank on its five-level scale. Built in Python and serialised as JSON: what
users typed is a JSON string value, never a key, an IRI or markup."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from threatmodel.engine.assessment import Assessment, ThreatOut

TM = "urn:threatmodel:"
CONTEXT: dict[str, Any] = {
    "dpv": "https://w3id.org/dpv#",
    "risk": "https://w3id.org/dpv/risk#",
    "ai": "https://w3id.org/dpv/ai#",
    "eu-gdpr": "https://w3id.org/dpv/legal/eu/gdpr#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "tm": TM,
    "dct:created": {"@type": "xsd:dateTime"},
    "skos:closeMatch": {"@type": "@id"},
    "skos:broadMatch": {"@type": "@id"},
    "skos:inScheme": {"@type": "@id"},
    "dpv:hasRisk": {"@type": "@id"},
    "dpv:hasLikelihood": {"@type": "@id"},
    "dpv:hasSeverity": {"@type": "@id"},
    "dpv:hasRiskLevel": {"@type": "@id"},
    "dpv:hasResidualRisk": {"@type": "@id"},
    "dpv:isMitigatedByMeasure": {"@type": "@id"},
    "dpv:hasProcessingContext": {"@type": "@id"},
    "dpv:hasStatus": {"@type": "@id"},
    "tm:threat": {"@type": "@id"},
}
"""Inline, so that a reader needs no network to expand the document."""

THREAT_MATCHES: dict[str, tuple[str, str]] = {
    # DPV's model inversion is "access to a model abused to infer information about the
    # training data": the same attack, and the broader one for the other training-data leaks.
    "model-inversion": ("skos:exactMatch", "ai:ModelInversion"),
    "membership-inference": ("skos:broadMatch", "ai:ModelInversion"),
    "training-data-extraction": ("skos:broadMatch", "ai:ModelInversion"),
    "property-inference": ("skos:broadMatch", "ai:ModelInversion"),
    "model-extraction": ("skos:broadMatch", "ai:SecurityAttack"),
    "input-enumeration": ("skos:broadMatch", "ai:SecurityAttack"),
}
"""This tool's threats that DPV's AI extension names, exactly or more broadly; the others are
this tool's own, with no DPV counterpart yet."""

CRITERIA: dict[str, str] = {
    "evaluation-scoring": "dpv:EvaluationScoring",
    "automated-decision": "dpv:AutomatedDecisionMaking",
    "systematic-monitoring": "dpv:SystematicMonitoring",
    "sensitive-data": "dpv:SensitivePersonalData",
    "large-scale": "dpv:LargeScaleProcessing",
    "vulnerable-subjects": "dpv:VulnerableDataSubject",
    "innovative-technology": "dpv:InnovativeUseOfNewTechnologies",
}
"""WP248 criteria as DPV processing-context concepts; the others (matching or combining
datasets, preventing the exercise of a right) are this tool's own IRIs."""

DPV_LEVELS = {
    "likelihood": ("VeryLowLikelihood", "LowLikelihood", "ModerateLikelihood",
                   "HighLikelihood", "VeryHighLikelihood"),
    "severity": ("VeryLowSeverity", "LowSeverity", "ModerateSeverity", "HighSeverity",
                 "VeryHighSeverity"),
    "risk": ("VeryLowRisk", "LowRisk", "ModerateRisk", "HighRisk", "VeryHighRisk"),
}  # fmt: skip
_CLASSES = {"likelihood": "dpv:Likelihood", "severity": "dpv:Severity", "risk": "dpv:RiskLevel"}


def to_dpv(assessment: Assessment) -> str:
    """The JSON-LD document: `@context` inline, then one graph."""
    document = {"@context": CONTEXT, "@graph": _graph(assessment)}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _graph(a: Assessment) -> list[dict[str, Any]]:
    root = f"{TM}assessment:{a.answers_sha256}"
    dpia: dict[str, Any] = {
        "@id": root,
        "@type": "dpv:DPIA",
        "dct:title": f"Privacy threat assessment: {a.system.get('name', a.answers_file)}",
        "dct:created": a.generated_at,
        "dct:source": a.provenance.answers_path or a.answers_file,
        "dct:conformsTo": [
            f"{p.name} {p.version} sha256:{p.sha256}"
            + (f" from {p.git} at {p.ref}, commit {p.commit}" if p.git else "")
            for p in a.packs
        ],
        "dpv:hasRisk": [f"{root}/risk/{t.id}" for t in a.threats],
        "dpv:hasStatus": _outcome(a),
    }
    if a.screening is not None:
        met = [c.id for c in a.screening.criteria if c.met]
        dpia["dpv:hasProcessingContext"] = [CRITERIA.get(c, f"tm:wp248/{c}") for c in met]
    graph = [dpia]
    for t in a.threats:
        graph += _risk(a, root, t)
    graph += _levels(a)
    graph += _threat_concepts(a)
    return graph


def _outcome(a: Assessment) -> list[str]:
    """Whether a DPIA is needed (WP248: two criteria or more) and what it concluded: prior
    consultation of the authority (Art. 36) while high residual risk remains, else risks
    mitigated."""
    needed = a.screening is not None and a.screening.dpia_likely_required
    out = ["eu-gdpr:DPIARequired" if needed else "eu-gdpr:DPIANotRequired"]
    if a.prior_consultation:
        out += ["eu-gdpr:DPIAOutcomeHighResidualRisk", "eu-gdpr:DPIAOutcomeDPAConsultation"]
    else:
        out.append("eu-gdpr:DPIAOutcomeRisksMitigated")
    return out


def _risk(a: Assessment, root: str, t: ThreatOut) -> list[dict[str, Any]]:
    node = f"{root}/risk/{t.id}"
    measures = [_measure(node, m.measure, m.title, m.status) for m in t.measures]
    recorded = {m.measure for m in t.measures}
    measures += [
        _measure(node, m.id, m.title, "recommended", m.description)
        for m in t.mitigation_details
        if m.relevant and m.id not in recorded and not m.defeats_purpose
    ]
    risk = {
        "@id": node,
        "@type": ["dpv:Risk", *_dpv_type(t.id)],
        "tm:threat": f"tm:threat/{t.id}",
        "dct:title": t.title,
        "dct:description": t.in_this_system or t.summary,
        "dpv:hasLikelihood": _level("likelihood", t.likelihood),
        "dpv:hasSeverity": _level("severity", t.severity),
        "dpv:hasRiskLevel": _level("risk", t.risk),
        "dpv:isMitigatedByMeasure": [m["@id"] for m in measures],
        "dpv:hasResidualRisk": f"{node}/residual",
        "tm:because": list(t.because),
    }
    if t.accepted is not None:
        risk["tm:acceptedBy"] = t.accepted.approved_by
        risk["tm:acceptedUntil"] = str(t.accepted.expires)
    residual = {
        "@id": f"{node}/residual",
        "@type": "dpv:Risk",
        "dct:title": f"{t.title} (residual, after the recorded measures)",
        "dpv:hasLikelihood": _level("likelihood", t.residual_likelihood),
        "dpv:hasSeverity": _level("severity", t.residual_severity),
        "dpv:hasRiskLevel": _level("risk", t.residual_risk),
    }
    return [risk, residual, *measures]


def _dpv_type(threat_id: str) -> list[str]:
    match = THREAT_MATCHES.get(threat_id)
    return [match[1]] if match is not None and match[0] == "skos:exactMatch" else []


def _measure(
    risk: str, measure: str, title: str, status: str, description: str = ""
) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@id": f"{risk}/measure/{_slug(measure)}",
        "@type": "dpv:RiskMitigationMeasure",
        "dct:title": title,
        "tm:status": status,
    }
    if description:
        node["dct:description"] = description.strip()
    return node


def _slug(text: str) -> str:
    """A measure id as an IRI segment: free-text measures become letters, digits and dashes."""
    slug = "".join(c if c.isascii() and c.isalnum() else "-" for c in text.lower())
    return "-".join(part for part in slug.split("-") if part)[:60] or "measure"


def _level(aspect: str, level: str) -> str:
    return f"tm:{aspect}/{level}"


def _levels(a: Assessment) -> list[dict[str, Any]]:
    """The pack's scales as SKOS concept schemes, each level matched by rank to DPV's nearest
    on its five-level scale (four levels: the lowest, low, high, the highest)."""
    scales = {"likelihood": a.likelihood_levels, "severity": a.severity_levels,
              "risk": a.risk_levels}  # fmt: skip
    out: list[dict[str, Any]] = []
    for aspect, levels in scales.items():
        out.append({"@id": f"tm:{aspect}", "@type": "skos:ConceptScheme",
                    "dct:title": f"threatmodel {aspect} levels"})  # fmt: skip
        for rank, level in enumerate(levels):
            nearest = round(rank * 4 / max(len(levels) - 1, 1))
            out.append({
                "@id": _level(aspect, level),
                "@type": ["skos:Concept", _CLASSES[aspect]],
                "skos:prefLabel": level,
                "skos:notation": rank + 1,
                "skos:inScheme": f"tm:{aspect}",
                "skos:closeMatch": f"risk:{DPV_LEVELS[aspect][nearest]}",
            })  # fmt: skip
    return out


def _threat_concepts(a: Assessment) -> list[dict[str, Any]]:
    out = []
    for t in a.threats:
        concept: dict[str, Any] = {
            "@id": f"tm:threat/{t.id}",
            "@type": ["skos:Concept", "dpv:RiskConcept"],
            "skos:prefLabel": t.title,
            "skos:definition": t.summary,
        }
        match = THREAT_MATCHES.get(t.id)
        if match is not None:
            concept[match[0]] = {"@id": match[1]}
        out.append(concept)
    return out
