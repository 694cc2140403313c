"""One table and one summary of all external-validation reproductions, for the report.

Why: a reader should see in one place that our estimation code reproduces two gravity benchmarks
(Santos Silva & Tenreyro 2006; Yotov et al. 2016 when that module is present), and
``results.json`` should carry a compact, testable summary of it.

What the reference values are (``data/external/*/README.md``, "Provenance caveat"): not the
articles' tables, which could not be opened, but an independent full-precision re-estimation on
the authors' data whose coefficients agree at 3 decimals with the R replications
(pachadotdev/log-of-gravity, pachadotdev/tradepolicy); those replications state that they match
the published tables. Santos Silva & Tenreyro's standard errors have no outside source (the R
replication prints non-robust ones). The texts below say so; nothing here says "published".
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from autotariffs.outputs import Text
from autotariffs.replication.columns import OUTPUT_COLUMNS

#: title and caption of :func:`validation_table` in the report
VALIDATION_TEXT = Text(
    "Validation: two gravity benchmarks re-estimated with our estimators",
    "Our coefficient and standard error beside the reference value for each term of Santos "
    "Silva and Tenreyro (2006, Table 3) and Yotov et al. (2016, Tables 1 and 3), on the authors' "
    "data; a term matches when both differ by less than 5e-4. The reference values are not the "
    "articles' tables (not consulted here): they are an independent full-precision "
    "re-estimation whose coefficients agree at 3 decimals with R replications "
    "(pachadotdev/log-of-gravity, pachadotdev/tradepolicy) that state they match the published "
    "tables. Santos Silva and Tenreyro's standard errors have no outside source.",
)


def validation_table() -> pd.DataFrame:
    """SST and Yotov reproductions stacked in the shared layout.

    Columns: ``table, column, term, ours_coef, ref_coef, ours_se, ref_se, match``. Ordering is
    deterministic: tables sorted by name, and within a table the source's own row order (the
    order of the article's table) is kept.
    """
    from autotariffs.replication.sst import reproduce_sst
    from autotariffs.replication.yotov import reproduce_yotov

    yot = reproduce_yotov()
    missing = [c for c in OUTPUT_COLUMNS if c not in yot.columns]
    if missing:
        raise ValueError(
            f"autotariffs.replication.yotov.reproduce_yotov() lacks column(s) {missing}; "
            f"the shared validation layout is {OUTPUT_COLUMNS}."
        )
    yot = yot[OUTPUT_COLUMNS].copy()
    # name the source in the table label ("Table 1" alone is ambiguous beside SST's)
    yot["table"] = [t if str(t).startswith("Yotov") else f"Yotov2016 Table {t}"
                    for t in yot["table"]]
    frames = [reproduce_sst(), yot]
    out = pd.concat(frames, ignore_index=True)
    out["_pos"] = np.arange(len(out))
    out = out.sort_values(["table", "_pos"], kind="mergesort").drop(columns="_pos")
    out["match"] = out["match"].astype(bool)
    return out.reset_index(drop=True)


#: Rows whose *_coef fields hold a statistic, not a coefficient (N compared exactly, RESET p).
NON_COEF_TERMS = frozenset({"nobs", "reset_p"})


def _max_abs(a: pd.Series, b: pd.Series) -> float | None:
    d = (a.astype(float) - b.astype(float)).abs().dropna()
    return float(d.max()) if len(d) else None


def validation_summary(df: pd.DataFrame) -> dict:
    """Compact summary for results.json: overall and per table.

    Keys: ``n_terms`` (rows), ``n_matched``, ``all_matched``, ``max_abs_coef_diff`` and
    ``max_abs_se_diff`` (over rows where both sides exist; None if none), ``tables`` (the same
    per table, keyed by table name, sorted). Differences are absolute, in the units of the
    estimate; rows in ``NON_COEF_TERMS`` (N, RESET p) count towards ``n_matched`` but not towards
    ``max_abs_coef_diff``.
    """
    missing = [c for c in OUTPUT_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"validation frame lacks column(s) {missing}; expected {OUTPUT_COLUMNS}.")

    def block(d: pd.DataFrame) -> dict:
        coef = d[~d["term"].isin(NON_COEF_TERMS)]
        res = {
            "n_terms": int(len(d)),
            "n_matched": int(d["match"].astype(bool).sum()),
            "all_matched": bool(d["match"].astype(bool).all()),
            "max_abs_coef_diff": _max_abs(coef["ours_coef"], coef["ref_coef"]),
            "max_abs_se_diff": _max_abs(d["ours_se"], d["ref_se"]),
        }
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in res.items()}

    out = block(df)
    out["tables"] = {t: block(g) for t, g in df.groupby("table", sort=True)}
    return out

