"""Enumeration on the real model: how many inputs of a guessable space get the rare answer, and
how fast a copy of the model finds them.

SPEC (YAML): `columns` (the model's inputs, in order), `fields` (the inputs to enumerate, each
`{range: [lo, hi]}` inclusive, `{digits: N}` or `{choices: [...]}`), `fixed` (values for the
other columns) and `rare` (`{label: V}` or `{score_at_least: X}`). The space is scanned whole
when it fits the time budget, else sampled uniformly; the hits found are counted, never kept."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from threatmodel.errors import UsageError, brief
from threatmodel.language.model import Model, parse_model
from threatmodel.pack.yamlsafe import load_yaml
from threatmodel.probe.loading import Classifier

BATCH = 100_000
MAX_SHOWN = 100
MAX_INDEX = 2**53  # positions and values stay exact in the float64 rows the model is given


class FieldSpec(Model):
    """One enumerated input."""

    range: tuple[int, int] | None = Field(None, description="Inclusive integer range.")
    digits: int | None = Field(None, ge=1, le=15, description="All N-digit strings as numbers.")
    choices: tuple[float, ...] | None = Field(None, min_length=1, description="A list of values.")

    @model_validator(mode="after")
    def _one_kind(self) -> FieldSpec:
        kinds = [k for k in ("range", "digits", "choices") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("give exactly one of range, digits or choices")
        if self.range is not None:
            low, high = self.range
            if low > high:
                raise ValueError(f"range [{low}, {high}] is empty: the first bound is the lower")
            if max(abs(low), abs(high)) > MAX_INDEX:
                raise ValueError("range bounds must lie within ±2^53 (exact as model inputs)")
        if self.choices is not None and not all(math.isfinite(c) for c in self.choices):
            raise ValueError("choices must be finite numbers")
        return self

    def values(self) -> NDArray[np.float64] | tuple[int, int]:
        """(low, high) for ranges, or the explicit values."""
        if self.range is not None:
            return self.range
        if self.digits is not None:
            return (0, 10**self.digits - 1)
        return np.asarray(self.choices or (), dtype=np.float64)


class Rare(Model):
    """What counts as the rare answer."""

    label: int | None = Field(None, ge=0, description="The class index that is rare.")
    score_at_least: float | None = Field(
        None, ge=0, le=1, description="A class-1 score at least this."
    )

    @model_validator(mode="after")
    def _one_test(self) -> Rare:
        if (self.label is None) == (self.score_at_least is None):
            raise ValueError("give exactly one of label or score_at_least")
        return self


class Spec(Model):
    """The enumeration SPEC file."""

    columns: tuple[str, ...] = Field(
        (),
        description="The model's inputs, in order; may be left out when the model names its "
        "features (`feature_names_in_`) or takes a single one.",
    )
    fields: dict[str, FieldSpec] = Field(description="The inputs to enumerate.")
    fixed: dict[str, float] = Field(default_factory=dict, description="Values of the others.")
    rare: Rare = Field(description="What counts as the rare answer.")


def load_spec(path: Path, named: tuple[str, ...] = ()) -> Spec:
    """Read and check a SPEC file; `named`: the model's own feature names, for a SPEC that
    leaves `columns` out."""
    doc = load_yaml(path)
    spec = parse_model(Spec, doc, doc.data)
    if not spec.columns:
        given = (*spec.fields, *spec.fixed)
        if named:
            spec = spec.model_copy(update={"columns": named})
        elif len(given) == 1:
            spec = spec.model_copy(update={"columns": tuple(given)})
        else:
            raise doc.error((), "columns: the model names no features; list its inputs in order")
    missing = [c for c in spec.columns if c not in spec.fields and c not in spec.fixed]
    if missing:
        raise doc.error(
            ("columns",), f"column {brief(missing[0], 40)} is neither in fields nor in fixed"
        )
    stray = [f for f in spec.fields if f not in spec.columns]
    if stray:
        raise doc.error(("fields", stray[0]), f"field {brief(stray[0], 40)} is not in columns")
    size = _Space(spec).size()
    if size > MAX_INDEX:
        raise doc.error(
            ("fields",), f"the space holds {size:.3g} inputs; the probe indexes at most 2^53"
        )
    return spec


@dataclass
class _Space:
    spec: Spec

    def sizes(self) -> list[int]:
        out = []
        for f in self.spec.fields.values():
            v = f.values()
            out.append(v[1] - v[0] + 1 if isinstance(v, tuple) else len(v))
        return out

    def size(self) -> int:
        return int(np.prod(self.sizes(), dtype=object))


class _Rows:
    """Model inputs for positions in the space, written into one buffer that is reused batch
    after batch (the fixed columns are written once). Decoding costs as much as a cheap model's
    prediction, so a space of one range field, the commonest (a phone number, an id), is
    written as `low + position` without decoding."""

    def __init__(self, space: _Space, batch: int) -> None:
        spec = space.spec
        self.space, self.sizes = space, space.sizes()
        self.buffer = np.empty((batch, len(spec.columns)))
        for i, column in enumerate(spec.columns):
            if column in spec.fixed:
                self.buffer[:, i] = spec.fixed[column]
        self.columns = [spec.columns.index(name) for name in spec.fields]
        (first, *others) = spec.fields.values()
        self.single = first.range if not others else None
        self.steps = np.arange(batch, dtype=np.float64) if self.single else None

    def run(self, start: int, count: int) -> NDArray[np.float64]:
        """The inputs at positions start .. start + count - 1, in order."""
        if self.single is not None and self.steps is not None:
            column = self.buffer[:count, self.columns[0]]
            np.add(self.steps[:count], float(self.single[0] + start), out=column)
            return self.buffer[:count]
        return self.at(np.arange(start, start + count, dtype=np.int64))

    def at(self, indices: NDArray[np.int64]) -> NDArray[np.float64]:
        """The inputs at these positions (mixed-radix decoding)."""
        if self.single is not None:
            np.add(indices, float(self.single[0]), out=self.buffer[: len(indices), self.columns[0]])
            return self.buffer[: len(indices)]
        rest = indices.copy()
        fields = self.space.spec.fields.values()
        for f, n, column in zip(fields, self.sizes, self.columns, strict=True):
            rest, digit = np.divmod(rest, n)
            v = f.values()
            values = v[0] + digit if isinstance(v, tuple) else v[digit]
            self.buffer[: len(indices), column] = values
        return self.buffer[: len(indices)]


def _hits(model: Classifier, rows: NDArray[np.float64], rare: Rare) -> NDArray[np.bool_]:
    try:
        proba = np.asarray(model.predict_proba(rows))
    except Exception as exc:  # the model's own error on inputs the SPEC describes
        raise UsageError(
            f"the model cannot score the enumerated inputs ({type(exc).__name__}: "
            f"{brief(str(exc), 80)}); check the SPEC's columns"
        ) from None
    if rare.label is not None and rare.label >= proba.shape[1]:
        raise UsageError(f"rare label {rare.label} is not a class of the model ({proba.shape[1]})")
    if rare.label is not None:
        hit: NDArray[np.bool_] = proba.argmax(axis=1) == rare.label
        return hit
    over: NDArray[np.bool_] = proba[:, -1] >= (rare.score_at_least or 1.0)
    return over


def measure(
    model: Classifier,
    spec: Spec,
    seconds: float,
    seed: int = 0,
    progress: Callable[[float], None] | None = None,
    show_hits: bool = False,
) -> dict[str, Any]:
    """Scan (or sample) the space within `seconds`; count the hits and time the model.
    `progress` is told the share of the work done (of the space, or of the time budget)."""
    seconds = max(seconds, 1e-3)  # a spent budget still scans one batch
    space = _Space(spec)
    size = space.size()
    decoder = _Rows(space, min(BATCH, size))
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    scanned = hits = 0
    found: list[list[float]] = []
    exhaustive = True
    while scanned < size:
        count = min(BATCH, size - scanned)
        if exhaustive:
            rows = decoder.run(scanned, count)
        else:
            rows = decoder.at(rng.integers(0, size, count, dtype=np.int64))
        hit = _hits(model, rows, spec.rare)
        hits += int(hit.sum())
        if show_hits and len(found) < MAX_SHOWN:
            found += rows[hit][: MAX_SHOWN - len(found)].tolist()
        scanned += count
        elapsed = time.perf_counter() - start
        rate = scanned / max(elapsed, 1e-9)
        if exhaustive and (size - scanned) / rate > seconds - elapsed:
            exhaustive = False  # the rest would not fit the budget: sample from here on
        if progress is not None:
            progress(scanned / size if exhaustive else min(elapsed / seconds, 1.0))
        if not exhaustive and elapsed >= seconds:
            break
    figures = _figures(size, scanned, hits, exhaustive and scanned >= size, rate)
    if show_hits:  # only on request: the inputs found are the very data at risk
        names = list(spec.fields)
        columns = [spec.columns.index(n) for n in names]
        figures["hits_found"] = [
            {n: row[c] for n, c in zip(names, columns, strict=True)} for row in found
        ]
    return figures


def _figures(size: int, scanned: int, hits: int, exhaustive: bool, rate: float) -> dict[str, Any]:
    estimated = hits if exhaustive else hits / scanned * size
    expected = (size + 1) / (estimated + 1)
    figures: dict[str, Any] = {
        "space_size": size,
        "scanned" if exhaustive else "sampled": scanned,
        "hits": hits,
        "local_queries_per_second": round(rate),
        "expected_queries_to_first_hit": round(expected, 1),
        "expected_seconds_locally": round(expected / rate, 3),
        # What a hit tells the attacker: the input narrowed from the whole space to the hits.
        "bits_revealed_by_a_hit": round(math.log2(size / max(estimated, 1)), 2),
    }
    if not exhaustive:
        low, high = _binomial_interval(hits, scanned)
        figures["estimated_hits"] = round(estimated, 1)
        figures["estimated_hits_ci95"] = [round(low * size, 1), round(high * size, 1)]
    return figures


def _binomial_interval(k: int, n: int) -> tuple[float, float]:
    """Wilson 95% interval for a proportion."""
    z = 1.96
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def level(figures: dict[str, Any]) -> str:
    """high: hits within a day of local queries; elevated: hits; low: none in a full scan."""
    if figures["hits"] > 0:
        return "high" if figures["expected_seconds_locally"] <= 86_400 else "elevated"
    return "low" if "scanned" in figures else "inconclusive"
