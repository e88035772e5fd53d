"""The probe's speed: the membership probe on 5,000 + 5,000 rows within 30 s, and enumeration
throughput against raw batched predict_proba on the same model (target >= 0.8), on a cheap tree
(where decoding the inputs costs as much as predicting) and on a 50-tree forest.

Both are measured here against a baseline taken in the same run: predict_proba on one batch of
100,000 rows prepared in advance, called again and again. Usage: python bench/probe_speed.py"""

import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from threatmodel.probe import enumeration, membership
from threatmodel.probe.data import Sample

COLUMNS = ["a"] + [f"f{i}" for i in range(19)]


def _raw(model: object, seconds: float) -> float:
    rows = np.zeros((100_000, 20))
    rows[:, 0] = np.arange(100_000)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        model.predict_proba(rows)  # type: ignore[attr-defined]
        done += len(rows)
    return done / (time.perf_counter() - start)


def _enumeration(label: str, model: object, fields: dict) -> None:
    spec = enumeration.Spec.model_validate(
        {
            "columns": COLUMNS,
            "fields": fields,
            "fixed": {c: 0.0 for c in COLUMNS if c not in fields},
            "rare": {"score_at_least": 0.99},
        }
    )
    raw = _raw(model, 2.0)
    rate = enumeration.measure(model, spec, seconds=2.0)["local_queries_per_second"]
    print(f"{label}: raw predict_proba {raw:,.0f} rows/s; enumeration {rate:,} rows/s; "
          f"ratio {rate / raw:.2f} (target >= 0.8)")  # fmt: skip


def main() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10_000, 20))
    y = (x[:, 0] + rng.normal(scale=0.5, size=10_000) > 0).astype(np.int64)
    forest = RandomForestClassifier(n_estimators=50, random_state=0, n_jobs=1)
    forest.fit(x[:5000], y[:5000])
    start = time.perf_counter()
    membership.measure(forest, Sample(x[:5000], y[:5000], ()), Sample(x[5000:], y[5000:], ()))
    took = time.perf_counter() - start
    print(f"membership probe, 5,000 + 5,000 rows: {took:.1f} s (target <= 30 s)")

    tree = DecisionTreeClassifier(max_depth=8, random_state=0).fit(x * 1e6, y)
    one_range = {"a": {"range": [0, 999_999_999]}}
    two = {"a": {"range": [0, 99_999]}, "f0": {"choices": [float(v) for v in range(-50, 50)]}}
    _enumeration("cheap tree, one range field", tree, one_range)
    _enumeration("cheap tree, two fields (decoded)", tree, two)
    _enumeration("50-tree forest, one range field", forest, one_range)


if __name__ == "__main__":
    main()
