"""What a code-scanning upload needs beyond the assessment (SARIF for GitHub, GitLab's Code
Quality report): which results to upload, where each one is in the answers file, each rule's
help and help page, how sure it is. Handed to the SARIF template as `sarif`. Code review shows
an alert only on a line that a pull request changed, so a result points at the answer that made
its threat apply."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass

from threatmodel import locales
from threatmodel.engine.assessment import Assessment, ThreatOut
from threatmodel.render.document import tone_of
from threatmodel.render.escape import md_escape

_GDPR_ARTICLE = re.compile(r"Art(?:icle)?\.?\s*(\d+)")
INFORMATION_URI = "https://pypi.org/project/threatmodel/"


@dataclass(frozen=True)
class CodeScanning:
    """The code-scanning view of one assessment."""

    assessment: Assessment
    include_accepted: bool = False

    def results(self) -> list[ThreatOut]:
        """The threats to upload. An accepted risk is left out by default: GitHub ignores a
        result's `suppressions` and would show it as open. An expired acceptance is no longer
        one: its threat is uploaded, like any open risk."""
        return [
            t
            for t in self.assessment.threats
            if self.include_accepted or t.accepted is None or self.expired(t)
        ]

    def expired(self, threat: ThreatOut) -> bool:
        """Has the threat's acceptance expired by the date of the assessment?"""
        if threat.accepted is None:
            return False
        return threat.accepted.expires < dt.date.fromisoformat(self.assessment.generated_at[:10])

    def lines(self, threat: ThreatOut) -> list[int]:
        """The lines of the answers that made the threat apply, first the one that decided it;
        `[1]` when all of them are worst cases assumed for unanswered questions."""
        return list(self.answers_at(threat)) or [1]

    def answers_at(self, threat: ThreatOut) -> dict[int, str]:
        """Line -> `question = value` for each answer written in the file that made the threat
        apply, in the order the rules read them."""
        where = {a.question: a.line for a in self.assessment.answers if a.line is not None}
        found: dict[int, str] = {}
        for fact in threat.facts:
            line = where.get(fact.question)
            if line is not None and line not in found:
                found[line] = f"{fact.question} = {fact.value}"
        return found

    def message(self, threat: ThreatOut) -> str:
        """The result's message: risk, the story for this system, the answers behind it, and
        links to the other answers' lines (code scanning shows a related location only when
        the message links to it). Brackets of the text itself are escaped: SARIF reads
        `[text](1)` as a link."""
        text = (
            f"{threat.title}: risk {threat.risk} (likelihood {threat.likelihood}, severity "
            f"{threat.severity}), residual {threat.residual_risk}. {threat.in_this_system} "
            f"Because: {'; '.join(threat.because).rstrip('.')}."
        )
        text = re.sub(r"([\\\[\]])", r"\\\1", text)
        others = self.lines(threat)[1:]
        if others:
            links = ", ".join(f"[line {line}]({n})" for n, line in enumerate(others, start=1))
            text += f" Other answers that made it apply: {links}."
        return text

    def precision(self, threat: ThreatOut) -> str:
        """`high` when every answer it rests on was given; `medium` when some are worst cases
        assumed for questions left unanswered."""
        return "medium" if any(f.assumed for f in threat.facts) else "high"

    def help_uri(self, threat: ThreatOut) -> str:
        """A page about the attack: its MITRE ATLAS technique, else the GDPR article it
        engages, else this tool's page."""
        atlas = threat.references.get("atlas", ())
        if atlas:
            return f"https://atlas.mitre.org/techniques/{atlas[0]}"
        for article in threat.references.get("gdpr", ()):
            match = _GDPR_ARTICLE.match(article)
            if match:
                return f"https://gdpr-info.eu/art-{match.group(1)}-gdpr/"
        return INFORMATION_URI

    def help_markdown(self, threat: ThreatOut) -> str:
        """The rule's help as GitHub shows it beside the alert: the story, then what to do.
        Pack text is Markdown-escaped: a shared pack's words are data, never markup."""
        parts = [md_escape(threat.description.strip()), "", "**Mitigations**", ""]
        parts += [
            f"- **{md_escape(m.title)}**: {md_escape(m.description.strip())}"
            + (" (it removes what the system is for)" if m.defeats_purpose else "")
            for m in threat.mitigation_details
        ]
        refs = locales.references(threat.references)
        if refs:
            parts += ["", f"References: {md_escape(refs)}"]
        return "\n".join(parts)


_CODE_QUALITY_SEVERITY = {"critical": "critical", "high": "major", "medium": "minor", "low": "info"}


def code_quality(scan: CodeScanning) -> str:
    """GitLab's Code Quality report (a JSON array of issues): one per uploaded threat, on the
    line of the answer that made it apply, severity by the residual risk's rank from the top,
    fingerprinted by file and threat so that an issue survives lines moving."""
    path = scan.assessment.provenance.answers_path or scan.assessment.answers_file
    issues = []
    for threat in scan.results():
        fingerprint = hashlib.sha256(f"threatmodel:{path}:{threat.id}".encode()).hexdigest()
        issues.append({
            "type": "issue",
            "check_name": threat.id,
            "description": f"{threat.title}: residual risk {threat.residual_risk}",
            "content": {"body": scan.help_markdown(threat)},
            "categories": ["Security"],
            "severity": _CODE_QUALITY_SEVERITY[
                tone_of(scan.assessment, threat.residual_risk, tuple(_CODE_QUALITY_SEVERITY))
            ],
            "fingerprint": fingerprint,
            "location": {"path": path, "lines": {"begin": scan.lines(threat)[0]}},
        })  # fmt: skip
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
