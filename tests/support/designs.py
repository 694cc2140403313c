"""SIMULATED unit x month designs for the fixed-effect estimators (tests and benchmarks only).

Four data-generating processes, different on purpose because each checks something else:

* :func:`linear_two_fe` -- a linear outcome with two crossed fixed effects, a regressor correlated
  with the unit effect, heteroskedastic errors, weights and 15% of rows missing: ``feols``
  against dummy-variable OLS/WLS (iid, HC1) and pyfixest (CRV1) in ``tests/models/test_fe.py``.
* :func:`poisson_two_fe` -- Poisson counts (with zeros) and an exposure offset: ``fepois`` against
  the dummy-variable Poisson GLM and pyfixest in ``tests/models/test_ppml.py``.
* :func:`uneven_panel` -- the issue-12 panel: heavy-tailed (Zipf) group sizes, many singletons,
  groups whose outcome is zero throughout, 50 clusters. ``tests/models/test_adversarial.py``
  checks ``fepois`` on it against pyfixest; ``scripts/bench_estimators.py`` times both on it.
* :func:`slow_connect_panel` -- issue 23's firm x quarter panel whose fixed effects connect
  slowly (each small firm seen in 2-4 consecutive quarters: the FE graph is a long chain), where
  alternating projections crawl and pyfixest's MAP can fail. ``tests/models/test_slow_connect.py``
  checks ``feols``/``fepois`` on it against statsmodels dummy fits and pyfixest;
  ``scripts/bench_estimators.py`` times both on it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _grid(n_unit: int, n_t: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit and month codes of a balanced n_unit x n_t panel (unit-major)."""
    return np.repeat(np.arange(n_unit), n_t), np.tile(np.arange(n_t), n_unit)


def linear_two_fe() -> pd.DataFrame:
    """SIMULATED panel: 60 product-origin units x 24 months, 15% of rows deleted at random.

    y = 1.5 x1 - 0.7 x2 + a_unit + g_month + e, e heteroskedastic in x1; x1 correlated with the
    unit effect; origin = unit mod 7 (clusters), w in [0.5, 2] (weights).
    """
    rng = np.random.default_rng(20250403)
    unit, month = _grid(60, 24)
    a = rng.normal(0, 1, 60)[unit]
    g = rng.normal(0, 0.5, 24)[month]
    x1 = 0.5 * a + rng.normal(size=unit.size)  # correlated with the unit effect
    x2 = rng.normal(size=unit.size) + 0.3 * g
    y = 1.5 * x1 - 0.7 * x2 + a + g + rng.normal(size=unit.size) * (1 + 0.5 * np.abs(x1))
    df = pd.DataFrame({"y": y, "x1": x1, "x2": x2, "unit": unit, "month": month,
                       "origin": unit % 7, "w": rng.uniform(0.5, 2.0, unit.size)})
    keep = rng.uniform(size=len(df)) > 0.15
    return df.loc[keep].reset_index(drop=True)


def poisson_two_fe() -> pd.DataFrame:
    """SIMULATED: 40 product-origin units x 18 months, y ~ Poisson(exp(a + g + 0.8 x1 - 0.5 x2)).

    The mean is scaled by an exposure in [0.5, 3] (``log_expo``, for the offset); origin =
    unit mod 6 (clusters).
    """
    rng = np.random.default_rng(8703)
    unit, month = _grid(40, 18)
    a = rng.normal(1.0, 1.0, 40)[unit]
    g = rng.normal(0, 0.3, 18)[month]
    x1 = rng.normal(size=unit.size) + 0.3 * a
    x2 = rng.binomial(1, 0.4, unit.size).astype(float)
    expo = rng.uniform(0.5, 3.0, unit.size)
    y = rng.poisson(np.exp(a + g + 0.8 * x1 - 0.5 * x2) * expo).astype(float)
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "unit": unit, "month": month,
                         "origin": unit % 6, "log_expo": np.log(expo)})


def uneven_panel(n: int, seed: int = 0, n_a: int | None = None,
                 n_b: int | None = None) -> pd.DataFrame:
    """SIMULATED issue-12 panel: FE ``a`` with ``n_a`` even groups (default n/20), FE ``b`` with
    ``n_b`` Zipf-sized groups (default n/100: many singletons, a few huge, 5% with outcome zero
    throughout), 50 clusters ``g``, one regressor ``x``.

    Columns: ``c`` ~ Poisson(exp(a + b + 0.5 x - 1)), ``ln_y`` (a log-linear outcome for OLS,
    drawn last so the count data do not depend on it), x, a, b, g.
    """
    rng = np.random.default_rng(seed)
    n_a = max(2, n // 20) if n_a is None else n_a
    n_b = max(2, n // 100) if n_b is None else n_b
    sizes = np.minimum(rng.zipf(1.6, n_b), n).astype(np.int64)
    if sizes.sum() > n:
        sizes = np.floor(sizes * (n - n_b) / sizes.sum()).astype(np.int64) + 1
    sizes[np.argmax(sizes)] += n - sizes.sum()
    b = rng.permutation(np.repeat(np.arange(n_b), sizes))
    a = rng.permutation(np.repeat(np.arange(n_a), int(np.ceil(n / n_a)))[:n])
    g = rng.integers(0, 50, n)
    fa, fb = rng.normal(0, 1, n_a), rng.normal(0, 1, n_b)
    fb[rng.uniform(size=n_b) < 0.05] = -30.0
    x = rng.normal(size=n) + 0.3 * fa[a]
    eta = fa[a] + fb[b] + 0.5 * x - 1.0
    c = rng.poisson(np.exp(eta)).astype(float)
    ln_y = np.maximum(eta, -5) + rng.normal(0, 0.5, n)
    return pd.DataFrame({"c": c, "ln_y": ln_y, "x": x, "a": a, "b": b, "g": g})


def slow_connect_panel(n: int, n_periods: int = 80, seed: int = 0) -> pd.DataFrame:
    """SIMULATED firm x quarter panel whose two fixed effects connect slowly (issue 23).

    Many small firms, each seen in 2-4 *consecutive* quarters of ``n_periods``: quarter q is
    linked to quarter q + 1 only through the firms alive in both, so the FE graph is a long
    chain. Alternating projections (MAP) then converge very slowly (the second eigenvalue of
    the projection product is ~1 - c / n_periods^2): with n_periods=80 pyfixest's MAP needs
    thousands of sweeps and can exhaust its 10,000 (at 100k-200k rows its Poisson fit fails
    and its OLS fit takes ~8,000 sweeps; at 20k rows it is the OLS fit that fails).

    Columns: ``c`` ~ Poisson(exp(firm + quarter + 0.5 x - 1)) (43% zeros), ``ln_y`` (log-linear
    outcome for OLS), ``x`` (correlated with the firm effect and a trend), ``firm``, ``quarter``
    and ``g`` (50 clusters of firms).
    """
    rng = np.random.default_rng(seed)
    span = rng.integers(2, 5, size=n // 2 + 2)  # quarters each firm is seen: 2, 3 or 4
    span = span[: int(np.searchsorted(np.cumsum(span), n)) + 1]
    n_firm = len(span)
    start = rng.integers(0, n_periods - span + 1)
    firm = np.repeat(np.arange(n_firm), span)
    quarter = start[firm] + np.arange(len(firm)) - np.repeat(np.cumsum(span) - span, span)
    firm, quarter = firm[:n], quarter[:n]
    f_firm = rng.normal(0, 1, n_firm)
    f_quarter = np.cumsum(rng.normal(0, 0.2, n_periods))  # a random-walk time effect
    x = rng.normal(size=n) + 0.3 * f_firm[firm] + 0.05 * quarter
    eta = f_firm[firm] + f_quarter[quarter] + 0.5 * x - 1.0
    c = rng.poisson(np.exp(eta)).astype(float)
    ln_y = eta + rng.normal(0, 0.5, n)
    return pd.DataFrame({"c": c, "ln_y": ln_y, "x": x, "firm": firm, "quarter": quarter,
                         "g": firm % 50})
