"""The probe's speed (issue 7 targets): the membership probe on 5,000 + 5,000 rows within 30 s,
and enumeration throughput at least half of raw batched predict_proba on the same model.

Both are measured here against a baseline taken in the same run.  Usage:
python bench/probe_speed.py"""

import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier

from threatmodel.probe import enumeration, membership
from threatmodel.probe.data import Sample


def main() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10_000, 20))
    y = (x[:, 0] + rng.normal(scale=0.5, size=10_000) > 0).astype(np.int64)
    model = RandomForestClassifier(n_estimators=50, random_state=0, n_jobs=1).fit(
        x[:5000], y[:5000]
    )
    start = time.perf_counter()
    membership.measure(model, Sample(x[:5000], y[:5000], ()), Sample(x[5000:], y[5000:], ()))
    took = time.perf_counter() - start
    print(f"membership probe, 5,000 + 5,000 rows: {took:.1f} s (target <= 30 s)")

    spec = enumeration.Spec.model_validate(
        {
            "columns": ["a"] + [f"f{i}" for i in range(19)],
            "fields": {"a": {"range": [0, 199_999]}},
            "fixed": {f"f{i}": 0.0 for i in range(19)},
            "rare": {"score_at_least": 0.99},
        }
    )
    rows = np.zeros((200_000, 20))
    rows[:, 0] = np.arange(200_000) / 100_000
    start = time.perf_counter()
    model.predict_proba(rows)
    raw = 200_000 / (time.perf_counter() - start)
    figures = enumeration.measure(model, spec, seconds=60)
    ratio = figures["local_queries_per_second"] / raw
    print(
        f"raw predict_proba: {raw:,.0f} rows/s; enumeration: "
        f"{figures['local_queries_per_second']:,} rows/s; ratio {ratio:.2f} (target >= 0.5)"
    )


if __name__ == "__main__":
    main()
