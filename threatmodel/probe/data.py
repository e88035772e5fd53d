"""Samples for the probe: CSV files with a header, numbers only (encode categories first)."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from threatmodel.errors import InputError, brief
from threatmodel.files import read_text
from threatmodel.language.numbers import format_number


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

    def subset(self, rng: np.random.Generator, rows: int | None) -> Sample:
        """A random `rows` of the records, in their order (the whole sample for None)."""
        if rows is None or rows >= len(self.inputs):
            return self
        keep = np.sort(rng.choice(len(self.inputs), rows, replace=False))
        return Sample(
            self.inputs[keep],
            None if self.labels is None else self.labels[keep],
            self.columns,
            {name: values[keep] for name, values in self.hidden.items()},
        )


def read_sample(path: Path, label: str | None) -> Sample:
    """Read a CSV sample; the label column, when named, is split off the inputs. Every value
    must be a finite number and every row as long as the header; labels are class indices."""
    header, body = _rows(path)
    if label is not None and label not in header:
        shown = ", ".join(brief(h, 30) for h in header[:10])
        raise InputError(path, f"no column {brief(label, 40)} (columns: {shown})")
    values = _numbers(path, header, body)
    if label is None:
        return Sample(values, None, tuple(header))
    index = header.index(label)
    labels = values[:, index]
    bad = np.flatnonzero((labels < 0) | (labels != np.floor(labels)))
    if len(bad):
        raise InputError(
            path,
            f"label {format_number(float(labels[bad[0]]))} is not a class index (0, 1, …)",
            int(bad[0]) + 2,
        )
    inputs = np.delete(values, index, axis=1)
    columns = tuple(c for i, c in enumerate(header) if i != index)
    return Sample(inputs, labels.astype(np.int64), columns)


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    text = read_text(path, "a CSV sample")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    try:
        for row in reader:
            if row and len(rows) > 0 and len(row) != len(rows[0]):
                raise InputError(
                    path,
                    f"{len(row)} values; the header has {len(rows[0])}",
                    reader.line_num,
                )
            if row:
                rows.append(row)
    except csv.Error as exc:
        raise InputError(path, f"not a CSV file: {exc}", reader.line_num) from None
    if len(rows) < 2:
        raise InputError(path, "needs a header line and at least one row")
    return rows[0], rows[1:]


def _numbers(path: Path, header: list[str], body: list[list[str]]) -> NDArray[np.float64]:
    """The cells as numbers, at numpy's speed; the first bad cell named with its line."""
    try:
        values = np.array(body, dtype=np.float64)
    except ValueError:
        values = np.array(
            [
                [_number(path, i + 2, header[j], c) for j, c in enumerate(r)]
                for i, r in enumerate(body)
            ]
        )
    bad = np.argwhere(~np.isfinite(values))
    if len(bad):
        i, j = (int(k) for k in bad[0])
        _number(path, i + 2, header[j], body[i][j])
    return values


def _number(path: Path, line: int, column: str, cell: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise InputError(
            path,
            f"column {brief(column, 30)}: {brief(cell, 30)} is not a number (encode categories "
            "as numbers first)",
            line,
        ) from None
    if not math.isfinite(value):
        raise InputError(path, f"column {brief(column, 30)}: {cell} is not a finite number", line)
    return value
