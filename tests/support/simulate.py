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

:func:`hs10_panel` is the HS10 x origin x month analogue for the variety estimators: one common
tariff date (2025-04) with the snapshot's post rates, multiplicative (gamma) errors and 5% zero
flows, because PPML on varieties is what it checks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

SIMULATED = "SIMULATED"
SNAPSHOT_ORIGINS = ("CAN", "DEU", "JPN", "KOR", "MEX")  # the five origins of the trade snapshot


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


def with_origins(p: pd.DataFrame, names: Sequence[str] = SNAPSHOT_ORIGINS) -> pd.DataFrame:
    """Rename the simulated origins O00, O01, ... to ``names`` (in that order), in place."""
    p["origin"] = p["origin"].map(dict(zip(sorted(p["origin"].unique()), names, strict=True)))
    return p


HS10_POST_TAU = {"CAN": 0.125, "DEU": 0.275, "JPN": 0.275, "KOR": 0.25, "MEX": 0.125}


def hs10_panel(beta: float = -3.0, gamma: float = -0.5, n_hs: int = 40, shape: float = 4.0,
               fx_uv: float = 0.3, zero_share: float = 0.05, seed: int = 20250403
               ) -> pd.DataFrame:
    """SIMULATED HS10 panel: ``n_hs`` HS10 lines x 5 origins x 2022-04..2025-07, tariffs from
    2025-04.

    ``beta`` is the tariff elasticity of import value, ``gamma`` the pass-through to ex-tariff
    unit values (so vehicles respond with ``beta - gamma``), ``fx_uv`` the effect of ln FX on
    unit values; variety (HS10 x origin) and HS10 x month effects; value noise multiplicative,
    gamma-distributed with mean 1 and coefficient of variation 1/sqrt(``shape``), and a share
    ``zero_share`` of flows set to zero at random. The columns of the census HS10 panel (``data_source = "census"``, a stand-in for the fetched Census panel).
    """
    origins = list(HS10_POST_TAU)
    rng = np.random.default_rng(seed)
    months = pd.date_range("2022-04-01", "2025-07-01", freq="MS")
    hs = [f"8703{i:06d}" for i in range(n_hs)]
    idx = pd.MultiIndex.from_product([origins, hs, months], names=["origin", "hs_code", "month"])
    df = idx.to_frame(index=False)
    post = (df["month"] >= pd.Timestamp("2025-04-01")).to_numpy()
    jpn_mfn = np.where(df["origin"] == "JPN", 0.025, 0.0)
    df["tau"] = np.where(post, df["origin"].map(HS10_POST_TAU), jpn_mfn)
    df["ln1p_tau"] = np.log1p(df["tau"])
    fx = pd.DataFrame({o: rng.normal(0, 0.05, len(months)).cumsum() for o in origins},
                      index=months)
    df["ln_fx"] = fx.stack().reindex(pd.MultiIndex.from_arrays([df["month"], df["origin"]])
                                     ).to_numpy()
    variety = df["hs_code"] + df["origin"]
    hs_month = df["hs_code"] + df["month"].astype(str)
    a = pd.Series(rng.normal(17, 1, variety.nunique()), index=variety.unique())[variety].to_numpy()
    d = pd.Series(rng.normal(0, 0.3, hs_month.nunique()), index=hs_month.unique())[hs_month].to_numpy()
    mean_v = np.exp(a + d + beta * df["ln1p_tau"].to_numpy())
    df["value_usd"] = mean_v * rng.gamma(shape, 1 / shape, len(df))  # E = mean_v, heteroskedastic
    df.loc[rng.uniform(size=len(df)) < zero_share, "value_usd"] = 0.0  # zero flows
    u = pd.Series(rng.normal(10, 0.3, variety.nunique()), index=variety.unique())[variety].to_numpy()
    ln_uv = u + gamma * df["ln1p_tau"] + fx_uv * df["ln_fx"] + rng.normal(0, 0.05, len(df))
    df["quantity"] = np.where(df["value_usd"] > 0, df["value_usd"] / np.exp(ln_uv), 0.0)
    with np.errstate(divide="ignore"):
        df["ln_v"] = np.where(df["value_usd"] > 0, np.log(df["value_usd"]), np.nan)
        df["ln_q"] = np.where(df["quantity"] > 0, np.log(df["quantity"]), np.nan)
    df["uv"] = np.where(df["quantity"] > 0, df["value_usd"] / df["quantity"], np.nan)
    df["ln_uv"] = np.log(df["uv"])
    df["ln_uv_dutyinc"] = df["ln_uv"] + df["ln1p_tau"]
    df["lcu_per_usd"] = np.exp(df["ln_fx"])
    df["moy"] = df["month"].dt.month.astype("int64")
    df["year"] = df["month"].dt.year.astype("int64")
    df["post"] = post
    df["k"] = ((df["month"].dt.year - 2025) * 12 + df["month"].dt.month - 4).astype("int64")
    df["qty_estimated_2022"] = False
    df["data_source"] = "census"  # SIMULATED stand-in for the fetched Census HS10 panel
    return df
