"""Samples for the probe: CSV files with a header, numbers only (encode categories first)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from threatmodel.errors import InputError


@dataclass(frozen=True)
class Sample:
    """Model inputs, their labels (when given) and the column names."""

    inputs: NDArray[np.float64]
    labels: NDArray[np.int64] | None
    columns: tuple[str, ...]
    hidden: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    """Columns of the file the model does not take, kept aside to test what it reveals."""

    def without(self, column: str) -> Sample:
        """The sample with `column` moved out of the inputs into `hidden`."""
        index = self.columns.index(column)
        return Sample(
            np.delete(self.inputs, index, axis=1),
            self.labels,
            tuple(c for c in self.columns if c != column),
            {**self.hidden, column: self.inputs[:, index]},
        )


def read_sample(path: Path, label: str | None) -> Sample:
    """Read a CSV sample; the label column, when named, is split off the inputs."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise InputError(path, f"cannot be read: {exc.strerror}") from None
    if len(rows) < 2:
        raise InputError(path, "needs a header line and at least one row")
    header, body = rows[0], rows[1:]
    if label is not None and label not in header:
        raise InputError(path, f"no column '{label}' (columns: {', '.join(header[:10])})")
    try:
        values = np.array(body, dtype=np.float64)
    except ValueError as exc:
        raise InputError(path, f"every value must be a number ({exc})") from None
    if label is None:
        return Sample(values, None, tuple(header))
    index = header.index(label)
    inputs = np.delete(values, index, axis=1)
    columns = tuple(c for i, c in enumerate(header) if i != index)
    return Sample(inputs, values[:, index].astype(np.int64), columns)
