"""Small column operations shared by the loads and the warehouse writer."""
from __future__ import annotations

import numpy as np
import pandas as pd


def map_distinct(values: pd.Series, fn, missing=None) -> pd.Series:
    """``values.map(fn)`` calling ``fn`` once per distinct value (dates, postcodes and codes
    repeat across a file's rows), with ``missing`` for null values."""
    codes, distinct = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    results = np.empty(len(distinct) + 1, dtype=object)
    results[:-1] = [fn(v) for v in distinct]
    results[-1] = missing  # code -1, a null value, takes the last slot
    return pd.Series(results[codes], index=values.index, dtype=object)
