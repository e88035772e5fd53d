"""Numbers as people write them: 10000000, 1e7, 1.0e7, 10,000,000, 10M, 2.5k, 1_000."""

from __future__ import annotations

import math
import re

from threatmodel.errors import brief

_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9, "bn": 1e9, "g": 1e9, "t": 1e12}
_NUMBER = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*(k|m|bn|b|g|t)?$", re.I)
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?(e[+-]?\d+)?[a-z]*$", re.I)


def parse_number(value: object) -> float | int:
    """A finite number from a YAML number or a numeric string, or ValueError saying why not."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {brief(value)}")
    if isinstance(value, int | float):
        number: float | int = value
        if (
            isinstance(value, int) and abs(value) > 10**300
        ):  # beyond any count, and near float's end
            raise ValueError(f"number too large: {str(value)[:40]}")
    elif isinstance(value, str):
        number = _parse_text(value)
    else:
        raise ValueError(f"expected a number, got {brief(value)}")
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(f"expected a finite number, got {brief(value)}")
    return number


def _parse_text(text: str) -> float | int:
    cleaned = text.strip().replace("_", "").replace(" ", "")
    if _GROUPED.match(cleaned):
        cleaned = cleaned.replace(",", "")
    match = _NUMBER.match(cleaned)
    if not match:
        raise ValueError(
            f"expected a number such as 10000000, 1e7, 10,000,000 or 10M, got {brief(text)}"
        )
    try:
        number = float(match.group(1)) * _SUFFIX.get((match.group(2) or "").lower(), 1)
    except OverflowError:
        raise ValueError(f"number too large: {text[:40]}") from None
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def format_number(value: float) -> str:
    """Readable: 10000000 -> '10,000,000'; 0.058 -> '0.058'; 1.5e-7 -> '1.5e-07'."""
    if value == 0:
        return "0"
    if abs(value) >= 1e15 or abs(value) < 1e-3:
        return f"{value:.2g}"
    if float(value).is_integer():
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"
