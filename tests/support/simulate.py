"""SIMULATED origin x month panels with known parameters (test support; not part of the package).

Moved out of ``autotariffs.models`` (issue 16): only the tests use it. Nothing here is data. Every frame carries ``data_source = "SIMULATED"`` so a simulated panel can
never be mistaken for the Comtrade snapshot in a report.

The data-generating process mirrors the estimating equations:

    ln uv_ot = a_o + m_t + s_o(moy) + gamma ln(1+tau_ot) + delta ln fx_ot + u_ot
    ln q_ot  = b_o + n_t + r_o(moy) + beta_q ln(1+tau_ot) + e_ot
    ln v_ot  = ln uv_ot + ln q_ot

Tariff paths: each origin gets its own step (size and date) so that tariff variation is spread
across origins (what few-cluster inference needs), plus an optional later partial cut (a "deal").
Errors are AR(1) within origin with origin-specific scale, so clustering by origin matters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SIMULATED = "SIMULATED"


def tariff_paths(
    n_origins: int, months: pd.DatetimeIndex, rng: np.random.Generator, n_untreated: int = 0
) -> np.ndarray:
    """G x T tariff rates (shares): heterogeneous steps, first ``n_untreated`` origins stay 0."""
    t = len(months)
    paths = np.zeros((n_origins, t))
    for g in range(n_untreated, n_origins):
        base = rng.choice([0.0, 0.025, 0.05])
        step = rng.uniform(0.05, 0.30)
        at = int(rng.integers(t // 3, t - 3))
        paths[g] = base
        paths[g, at:] = base + step
        if rng.random() < 0.5 and at + 4 < t:
            cut = int(rng.integers(at + 2, t))
            paths[g, cut:] = base + 0.5 * step
    return paths


def simulate_panel(
    n_origins: int = 5,
    n_months: int = 67,
    beta_q: float = -2.0,
    gamma: float = -0.5,
    delta_fx: float = -0.3,
    rho: float = 0.5,
    sigma_e: float = 0.10,
    n_untreated: int = 0,
    seed: int = 0,
    start: str = "2020-01",
    paths: np.ndarray | None = None,
) -> pd.DataFrame:
    """One SIMULATED panel (columns as :func:`autotariffs.panel.build.build_panel` where relevant).

    Returns origin (O00, O01, ... as 3-letter codes 'A00'..), month, moy, tau, ln1p_tau, ln_fx,
    ln_q, ln_uv, ln_v, value_usd, quantity, d12_* terms, k (months since the first step of the
    last origin is *not* defined here: event-study simulations build their own), data_source.
    """
    rng = np.random.default_rng(seed)
    months = pd.date_range(start, periods=n_months, freq="MS")
    origins = [f"O{g:02d}" for g in range(n_origins)]
    if paths is None:
        paths = tariff_paths(n_origins, months, rng, n_untreated)
    ln1p = np.log1p(paths)
    g_idx = np.repeat(np.arange(n_origins), n_months)
    t_idx = np.tile(np.arange(n_months), n_origins)
    moy = months.month.to_numpy()[t_idx]

    def effects():
        a = rng.normal(0, 1, n_origins)[g_idx]
        m = rng.normal(0, 0.2, n_months)[t_idx]
        s = rng.normal(0, 0.1, (n_origins, 12))[g_idx, moy - 1]
        return a + m + s

    def ar1():
        scale = sigma_e * rng.uniform(0.5, 1.5, n_origins)
        e = np.zeros((n_origins, n_months))
        shocks = rng.normal(0, 1, (n_origins, n_months))
        e[:, 0] = shocks[:, 0] / np.sqrt(1 - rho**2)
        for t in range(1, n_months):
            e[:, t] = rho * e[:, t - 1] + shocks[:, t]
        return (e * scale[:, None]).ravel()

    ln_fx = (np.log(rng.uniform(1, 1000, n_origins))[:, None]
             + np.cumsum(rng.normal(0, 0.02, (n_origins, n_months)), axis=1)).ravel()  # fmt: skip
    x = ln1p.ravel()
    ln_uv = 10 + effects() + gamma * x + delta_fx * ln_fx + ar1()
    ln_q = 9 + effects() + beta_q * x + ar1()
    df = pd.DataFrame(
        {
            "origin": np.array(origins)[g_idx],
            "month": months[t_idx],
            "moy": moy.astype("int64"),
            "tau": paths.ravel(),
            "ln1p_tau": x,
            "ln_fx": ln_fx,
            "ln_q": ln_q,
            "ln_uv": ln_uv,
            "ln_v": ln_q + ln_uv,
        }
    )
    df["ln_uv_dutyinc"] = df["ln_uv"] + df["ln1p_tau"]
    df["quantity"] = np.exp(df["ln_q"])
    df["value_usd"] = np.exp(df["ln_v"])
    for c in ("ln_v", "ln_q", "ln_uv", "ln_uv_dutyinc", "ln1p_tau", "ln_fx"):
        df[f"d12_{c}"] = df[c] - df.groupby("origin")[c].shift(12)
    df["qty_estimated_2022"] = False
    df["data_source"] = SIMULATED
    return df
