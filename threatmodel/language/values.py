"""How an answer reads in reports and messages, whatever its type."""

from __future__ import annotations

from typing import Any

from threatmodel.language.numbers import format_number

UNKNOWN = "unknown"
"""The answer anyone may give to any question; its worst case is then assumed."""


def show(value: Any) -> str:
    """An answer as the reports write it: `true`, `[label, score]`, `10,000,000`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, int | float):
        return format_number(value)
    return str(value)
