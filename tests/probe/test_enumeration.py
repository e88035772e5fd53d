"""The enumeration's inputs: the buffer written batch after batch (and the single-range fast
path) holds exactly the inputs that mixed-radix decoding of each position gives."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from threatmodel.probe import enumeration

ranges = st.tuples(st.integers(-1_000, 1_000), st.integers(0, 40)).map(
    lambda t: {"range": [t[0], t[0] + t[1]]}
)
choices = st.lists(st.integers(-50, 50), min_size=1, max_size=5).map(
    lambda v: {"choices": [float(x) for x in v]}
)
fields = st.lists(st.one_of(ranges, choices, st.just({"digits": 1})), min_size=1, max_size=3)


def _spec(kinds: list[dict], fixed_first: bool) -> enumeration.Spec:
    names = [f"x{i}" for i in range(len(kinds))]
    columns = ["fixed", *names] if fixed_first else [*names, "fixed"]
    return enumeration.Spec.model_validate(
        {
            "columns": columns,
            "fields": dict(zip(names, kinds, strict=True)),
            "fixed": {"fixed": 7.5},
            "rare": {"label": 1},
        }
    )


def _expected(spec: enumeration.Spec) -> np.ndarray:
    """Every input of the space in position order, the first field varying fastest."""
    values = []
    for f in spec.fields.values():
        v = f.values()
        values.append(list(range(v[0], v[1] + 1)) if isinstance(v, tuple) else list(v))
    rows = []
    for combo in itertools.product(*reversed(values)):
        by_name = dict(zip(spec.fields, reversed(combo), strict=True))
        rows.append([by_name.get(c, spec.fixed.get(c)) for c in spec.columns])
    return np.asarray(rows, dtype=np.float64)


@settings(max_examples=80, deadline=None)
@given(fields, st.booleans(), st.integers(1, 7))
def test_batches_hold_the_decoded_inputs(kinds: list[dict], fixed_first: bool, batch: int) -> None:
    spec = _spec(kinds, fixed_first)
    space = enumeration._Space(spec)
    expected = _expected(spec)
    assert len(expected) == space.size()
    decoder = enumeration._Rows(space, batch)
    for start in range(0, space.size(), batch):
        count = min(batch, space.size() - start)
        assert np.array_equal(decoder.run(start, count), expected[start : start + count])
    positions = np.random.default_rng(0).integers(0, space.size(), min(batch, space.size()))
    assert np.array_equal(decoder.at(positions), expected[positions])
