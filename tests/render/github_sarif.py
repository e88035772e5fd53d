"""GitHub code scanning's documented rules for an uploaded SARIF file, beyond the SARIF schema
("SARIF support for code scanning" and "Uploading a SARIF file to GitHub", docs.github.com):
what makes an upload refused, an alert misplaced, or alerts of different files close each
other. `problems(sarif, repo_root)` lists every rule broken; an empty list passes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

MAX_RESULTS_PER_RUN = 25_000
MAX_RULES_PER_RUN = 25_000
MAX_TAGS_PER_RULE = 20
MAX_LOCATIONS_PER_RESULT = 1_000
MAX_RELATED_PER_RESULT = 1_000
MAX_TEXT = 1_000  # shortDescription and fullDescription are shown whole only up to this
PRECISIONS = {"very-high", "high", "medium", "low"}
PROBLEM_SEVERITIES = {"error", "warning", "recommendation"}
LEVELS = {"error", "warning", "note", "none"}
_LINK = re.compile(r"(?<!\\)\[([^\]]*)\]\((\d+)\)")


def problems(sarif: dict[str, Any], repo_root: Path) -> list[str]:
    """Every GitHub rule the file breaks."""
    found: list[str] = []
    if sarif.get("version") != "2.1.0":
        found.append("version must be 2.1.0")
    for n, run in enumerate(sarif.get("runs", [])):
        found += [f"runs[{n}]: {p}" for p in _run(run, repo_root)]
    if len(json.dumps(sarif).encode()) > 10 * 1024 * 1024:
        found.append("larger than 10 MB")
    return found


def _run(run: dict[str, Any], repo_root: Path) -> list[str]:
    found: list[str] = []
    driver = run["tool"]["driver"]
    rules = {rule["id"]: rule for rule in driver.get("rules", [])}
    if not driver.get("name"):
        found.append("tool.driver.name is required")
    if len(rules) > MAX_RULES_PER_RUN or len(run["results"]) > MAX_RESULTS_PER_RUN:
        found.append("too many rules or results")
    category = run.get("automationDetails", {}).get("id", "")
    # Everything before the last `/` is the category; a run id after it would make runs of
    # different answers files one category, so that each upload closes the other's alerts.
    if not category.endswith("/"):
        found.append(f"automationDetails.id {category!r} must end with '/'")
    for rule in rules.values():
        found += [f"rule {rule['id']}: {p}" for p in _rule(rule)]
    for n, result in enumerate(run["results"]):
        found += [f"results[{n}]: {p}" for p in _result(result, rules, repo_root)]
    return found


def _rule(rule: dict[str, Any]) -> list[str]:
    found = []
    for key in ("shortDescription", "fullDescription"):
        text = rule.get(key, {}).get("text", "")
        if not text or len(text) > MAX_TEXT:
            found.append(f"{key}.text must be 1 to {MAX_TEXT} characters")
    help_ = rule.get("help", {})
    if not help_.get("text") or not help_.get("markdown"):
        found.append("help.text and help.markdown are needed for the alert's help panel")
    if not str(rule.get("helpUri", "")).startswith("https://"):
        found.append("helpUri must be an absolute https URI")
    props = rule.get("properties", {})
    if len(props.get("tags", [])) > MAX_TAGS_PER_RULE:
        found.append("more than 20 tags")
    if props.get("precision") not in PRECISIONS:
        found.append(f"precision must be one of {sorted(PRECISIONS)}")
    if props.get("problem.severity") not in PROBLEM_SEVERITIES:
        found.append(f"problem.severity must be one of {sorted(PROBLEM_SEVERITIES)}")
    severity = props.get("security-severity")
    if not isinstance(severity, str) or not 0.0 <= float(severity) <= 10.0:
        found.append("security-severity must be a string from 0.0 to 10.0")
    return found


def _result(result: dict[str, Any], rules: dict[str, Any], repo_root: Path) -> list[str]:
    found = []
    if result.get("ruleId") not in rules:
        found.append(f"ruleId {result.get('ruleId')!r} is not a rule of the run")
    elif "ruleIndex" in result and list(rules)[result["ruleIndex"]] != result["ruleId"]:
        found.append("ruleIndex does not point at its rule")
    if result.get("level", "warning") not in LEVELS:
        found.append("unknown level")
    text = result.get("message", {}).get("text", "")
    if not text:
        found.append("message.text is required")
    if "partialFingerprints" in result:
        # The upload action computes primaryLocationLineHash from the file; a made-up key is
        # not one GitHub reads, and would stop it computing its own.
        found.append("partialFingerprints should be left to the upload")
    locations = result.get("locations", [])
    if not 1 <= len(locations) <= MAX_LOCATIONS_PER_RESULT:
        found.append("needs at least one location")
    related = result.get("relatedLocations", [])
    if len(related) > MAX_RELATED_PER_RESULT:
        found.append("too many related locations")
    for location in [*locations, *related]:
        found += _location(location["physicalLocation"], repo_root)
    ids = {r["id"] for r in related}
    linked = {int(m.group(2)) for m in _LINK.finditer(text)}
    if ids != linked:
        # Code scanning shows a related location only where the message links to it.
        found.append(f"related locations {sorted(ids)} but message links {sorted(linked)}")
    return found


def _location(physical: dict[str, Any], repo_root: Path) -> list[str]:
    uri = physical["artifactLocation"]["uri"]
    if uri.startswith(("/", "file:")) or ".." in uri.split("/"):
        return [f"uri {uri!r} must be relative to the repository root"]
    target = repo_root / uri
    if not target.is_file():
        return [f"uri {uri!r} is not a file of the repository"]
    line = physical.get("region", {}).get("startLine")
    count = len(target.read_text().splitlines())
    if not isinstance(line, int) or not 1 <= line <= count:
        return [f"startLine {line} is not a line of {uri} (1 to {count})"]
    return []
