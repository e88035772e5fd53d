"""Just enough version ranges for `engine: ">=0.1,<1"`, without another dependency."""

from __future__ import annotations

import operator
import re

_CLAUSE = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*(\d+(?:\.\d+)*)\s*$")
_OPS = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}


def _key(version: str) -> tuple[int, ...]:
    parts = [
        int(p)
        for p in re.findall(r"\d+", version.split("+", maxsplit=1)[0].split("-", maxsplit=1)[0])[:3]
    ]
    return tuple(parts + [0] * (3 - len(parts)))


def satisfies(version: str, spec: str) -> bool:
    """Does `version` meet every comma-separated clause of `spec`? ValueError on a bad spec."""
    for clause in spec.split(","):
        match = _CLAUSE.match(clause)
        if not match:
            raise ValueError(f"cannot read version range {spec!r}")
        if not _OPS[match.group(1)](_key(version), _key(match.group(2))):
            return False
    return True


def newer(version: str, than: str) -> bool:
    """Is `version` later than `than` (by release number)?"""
    return _key(version) > _key(than)
