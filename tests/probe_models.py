"""Small models for the probe tests, importable as `tests.probe_models:NAME`."""

from __future__ import annotations

from typing import Any

import numpy as np


class AllowListSpamFilter:
    """A spam filter that blocks every sender but a few allowed numbers: class 1 = delivered."""

    allowed = np.array([4471234567, 4479999999])

    def predict_proba(self, inputs: Any) -> Any:
        delivered = np.isin(np.asarray(inputs)[:, 0].astype(np.int64), self.allowed)
        return np.column_stack([~delivered, delivered]).astype(np.float64)


allow_list = AllowListSpamFilter()


class NamedSpamFilter(AllowListSpamFilter):
    """The same filter, naming its inputs as scikit-learn models fitted on a table do."""

    feature_names_in_ = np.array(["sender", "hour"])


named = NamedSpamFilter()
