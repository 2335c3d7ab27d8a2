"""Do two answers say the same thing? Same rows, same values (floats to 1e-6 relative)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    df = df.reset_index(drop=True).copy()
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            df[c] = pd.to_numeric(s, errors="coerce").astype(float)
        elif pd.api.types.is_datetime64_any_dtype(s):
            df[c] = pd.to_datetime(s).astype("datetime64[us]")
        else:
            df[c] = s.astype(object).where(s.notna(), None)
            # DuckDB dates arrive as datetime.date or Timestamp, pandas as Timestamp
            if df[c].map(lambda v: hasattr(v, "year")).any():
                df[c] = pd.to_datetime(df[c]).astype("datetime64[us]")
    return df


def same_answer(a: pd.DataFrame, b: pd.DataFrame, rtol: float = 1e-6) -> tuple[bool, str]:
    """(True, "") when the answers agree; else (False, what differs first)."""
    if len(a) == 0 and len(b) == 0:
        return True, ""
    if list(a.columns) != list(b.columns):
        return False, f"columns differ: {list(a.columns)} vs {list(b.columns)}"
    if len(a) != len(b):
        return False, f"{len(a)} rows vs {len(b)}"
    a, b = _normalise(a), _normalise(b)
    for c in a.columns:
        # a column of nothing but missing values: None in one answer, NaN in the other
        if a[c].dtype != b[c].dtype and (a[c].isna().all() or b[c].isna().all()):
            a[c] = a[c].astype(object).where(a[c].notna(), None)
            b[c] = b[c].astype(object).where(b[c].notna(), None)
    keys = [c for c in a.columns if a[c].dtype == object]
    if keys:
        # row order within equal sort keys is not part of any query's contract
        def key(s):
            return s.map(lambda v: "" if v is None else str(v))

        a = a.sort_values(keys, key=key, kind="stable").reset_index(drop=True)
        b = b.sort_values(keys, key=key, kind="stable").reset_index(drop=True)
    for c in a.columns:
        x, y = a[c], b[c]
        if x.dtype == float and y.dtype == float:
            ok = np.isclose(x.to_numpy(), y.to_numpy(), rtol=rtol, atol=1e-9, equal_nan=True)
        elif pd.api.types.is_datetime64_any_dtype(x):
            ok = ((x == y) | (x.isna() & y.isna())).to_numpy()
        else:
            ok = np.array([(u == v) or (u is None and v is None) for u, v in zip(x, y)])
        if not ok.all():
            i = int(np.argmin(ok))
            return False, f"column {c} row {i}: {x.iloc[i]!r} vs {y.iloc[i]!r}"
    return True, ""
