"""What a suggestion is, and the hints that feature names give."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

Confidence = Literal["high", "medium", "hint"]
"""`high`: read from the model itself (its class, the records it stores); `medium`: stated by
its metadata or inferred (a card's text, an encoder's categories); `hint`: what the model can
do, which is not yet the answer (a model with scores need not return them)."""


@dataclass(frozen=True)
class Suggestion:
    """A suggested answer to one question."""

    question: str
    value: Any
    confidence: Confidence
    source: str
    """Where it was read: `model.skops: RandomForestClassifier.n_estimators`, ..."""
    why: str

    @property
    def offered(self) -> bool:
        """Offered as the default answer (a hint is only shown)."""
        return self.confidence != "hint"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_PERSONAL: tuple[tuple[str, str, str], ...] = (
    # (pattern in a feature name, inputs.kinds value, what it is)
    (r"post_?code|zip|address|city|street|lat(itude)?$|lon(gitude)?$|gps|geo", "location",
     "a location"),
    (r"phone|e_?mail|name|ssn|passport|national_?id|iban|account|user_?id|customer_?id",
     "identifier", "an identifier"),
    (r"birth|dob|age$|^age|gender|sex|ethnic|race|religio|nationality|marital|income|salary",
     "personal_attributes", "a personal attribute"),
    (r"device|ip_?addr|^ip$|user_?agent|imei|mac_?addr", "device_metadata", "device data"),
    (r"click|visit|purchase|session|history|login|transaction", "behavioural", "behaviour"),
)  # fmt: skip
_SENSITIVE = {
    "ethnic": "ethnicity", "race": "ethnicity", "religio": "religion", "gender": "gender",
    "sex": "gender", "income": "income", "salary": "income", "health": "health",
    "nationality": "nationality", "birth": "age", "age": "age",
}  # fmt: skip


def feature_hints(names: Iterable[str], source: str) -> list[Suggestion]:
    """Hints for `inputs.kinds` from feature names that look personal."""
    kinds: dict[str, list[str]] = {}
    for name in names:
        lowered = name.lower()
        for pattern, kind, _ in _PERSONAL:
            if re.search(pattern, lowered):
                kinds.setdefault(kind, []).append(name)
                break
    if not kinds:
        return []
    named = "; ".join(f"{kind}: {', '.join(found[:4])}" for kind, found in kinds.items())
    return [
        Suggestion(
            "inputs.kinds",
            sorted(kinds),
            "hint",
            source,
            f"feature names that look personal ({named})",
        )
    ]


def label_hints(labels: Iterable[str], source: str) -> list[Suggestion]:
    """Hints for `outputs.reveals` from what the labels or the target are called."""
    found = sorted({attr for label in labels for key, attr in _SENSITIVE.items()
                    if key in str(label).lower()})  # fmt: skip
    if not found:
        return []
    return [Suggestion("outputs.reveals", found, "hint", source,
                       "the labels name a sensitive attribute")]  # fmt: skip
