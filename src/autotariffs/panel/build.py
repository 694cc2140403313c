"""The origin x month analysis panel for the Section 232 auto-tariff estimates.

Why a single builder: every estimator (elasticity, pass-through, event study, PPML) must see the
same sample, the same tariff measure and the same unit-value definitions, so those choices live
here once. Unit values are *ex-tariff* (customs-type value / vehicles); the duty-inclusive price is
``uv * (1 + tau)``. 12-month log differences remove origin-specific seasonality and level effects
(the ARW / FGKK form). The Japan-reported export flow (mirror) is attached to JPN rows as a second,
independent price/quantity source.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pandera.pandas as pa

from autotariffs import design
from autotariffs.errors import AutotariffsError

EVENT_MONTH = design.TARIFF.month  # duty in force on the 3rd -> its month is k = 0
SNAPSHOT_SOURCE = "comtrade_m_8703"
MIRROR_SOURCE = "comtrade_jpn_exp"
# Comtrade estimated (fractional) 2022 monthly quantities: every month of 2022 is fractional for
# all five origins (JPN/MEX sum to 0.86x/1.11x of the annual counts; DEU to 2.1x its 2021 count),
# so 2022 quantities and unit values are unreliable for every origin, not only JPN and MEX.
QTY_ESTIMATED_2022 = ("CAN", "DEU", "JPN", "KOR", "MEX")

D12_BASES = ("ln_v", "ln_q", "ln_uv", "ln_uv_dutyinc", "ln1p_tau", "ln_fx")
MIRROR_BASES = ("ln_mirror_v", "ln_mirror_q", "ln_mirror_uv")


class PanelError(AutotariffsError, ValueError):
    """An input to the panel violates its contract (names the frame, column, rows and rule)."""


def _require(df: pd.DataFrame, name: str, cols: list[str]) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise PanelError(
            f"{name}: missing column(s) {missing}; expected at least {cols} "
            f"(got {sorted(map(str, df.columns))})"
        )


def _month(s) -> pd.Timestamp:
    return pd.Timestamp(str(s)[:7] + "-01")


def _fx_long(fx: pd.DataFrame) -> pd.DataFrame:
    """fx -> (month, origin, lcu_per_usd); the ``iso3`` cell may list several origins (EUR)."""
    _require(fx, "fx_monthly", ["month", "iso3", "lcu_per_usd"])
    rows = fx[["month", "iso3", "lcu_per_usd"]].copy()
    rows["origin"] = rows["iso3"].astype(str).map(lambda s: re.findall(r"[A-Z]{3}", s))
    rows = rows.explode("origin").dropna(subset=["origin"])
    rows["month"] = pd.to_datetime(rows["month"]).dt.to_period("M").dt.to_timestamp()
    dup = rows.duplicated(["month", "origin"], keep=False)
    if dup.any():
        bad = rows.loc[dup, ["month", "origin"]].head(5).to_dict("records")
        raise PanelError(f"fx_monthly: origin x month appears twice (rule: unique), e.g. {bad}")
    return rows[["month", "origin", "lcu_per_usd"]]


def _d12(panel: pd.DataFrame, col: str, keys: list[str]) -> pd.Series:
    """12-month difference matched on calendar month (not row position), so gaps give NaN."""
    lag = panel[keys + ["month", col]].copy()
    lag["month"] = lag["month"] + pd.DateOffset(months=12)
    merged = panel[keys + ["month"]].merge(lag, on=keys + ["month"], how="left")
    return panel[col].to_numpy() - merged[col].to_numpy()


def _flow_logs(p: pd.DataFrame) -> None:
    """Logs and unit values of value/quantity in place (NaN where the flow is not positive)."""
    v, q = p["value_usd"].astype(float), p["quantity"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p["ln_v"] = np.where(v > 0, np.log(v), np.nan)
        p["ln_q"] = np.where(q > 0, np.log(q), np.nan)
        p["uv"] = np.where((q > 0) & (v > 0), v / q, np.nan)
        p["ln_uv"] = np.log(p["uv"])
        p["ln_uv_dutyinc"] = p["ln_uv"] + p["ln1p_tau"]


def select_flows(flows: pd.DataFrame, source: str, product: str) -> pd.DataFrame:
    _require(
        flows,
        "flows",
        ["reporter", "partner", "hs_code", "freq", "month", "value_usd", "quantity", "flow", "source"],
    )
    if source == "snapshot":
        f = flows[(flows["source"] == SNAPSHOT_SOURCE) & (flows["hs_code"].astype(str) == product)]
    elif source == "census":
        f = flows[
            flows["source"].astype(str).str.startswith("census")
            & (flows["freq"] == "M")
            & (flows["hs_code"].astype(str).str.len() == 10)
            & flows["hs_code"].astype(str).str.startswith(product)
        ]
    else:
        raise PanelError(f"source={source!r}: expected 'snapshot' or 'census'")
    f = f[(f["reporter"] == "USA") & (f["flow"] == "import") & (f["freq"] == "M")]
    if "is_bloc" in f.columns:
        f = f[~f["is_bloc"].astype(bool)]
    if f.empty:
        raise PanelError(
            f"flows: no monthly US import rows for product {product!r} and source {source!r} "
            f"(looked for source {'=' + SNAPSHOT_SOURCE if source == 'snapshot' else 'census*'}, "
            "hs_level 10 for census); build data/processed/flows.parquet first"
        )
    return f


def build_panel(
    flows: pd.DataFrame,
    tariffs: pd.DataFrame,
    fx: pd.DataFrame,
    start: str = "2020-01",
    end: str = "2025-07",
    product: str = "8703",
    source: str = "snapshot",
) -> pd.DataFrame:
    """Origin x month (census: HS10 x origin x month) panel with logs, tariffs, FX and d12 terms.

    Columns: origin, month, [hs_code], value_usd, quantity, ln_v, ln_q, uv, ln_uv, tau,
    ln1p_tau, ln_uv_dutyinc, lcu_per_usd, ln_fx, moy, year, post (month >= 2025-04), k (months
    since 2025-04), d12_<ln_v, ln_q, ln_uv, ln_uv_dutyinc, ln1p_tau, ln_fx>, mirror_v, mirror_q,
    mirror_uv, ln_mirror_*, d12_ln_mirror_* (JPN rows only, else NaN), qty_estimated_2022,
    data_source. Sorted by (origin, [hs_code], month). The d12 terms use months before ``start``
    when the flows have them, so the first year is not lost unnecessarily.
    """
    t0, t1 = _month(start), _month(end)
    f = select_flows(flows, source, product).copy()
    f["month"] = pd.to_datetime(f["month"]).dt.to_period("M").dt.to_timestamp()
    keys = ["origin", "hs_code"] if source == "census" else ["origin"]
    f = f.rename(columns={"partner": "origin"})
    f["hs_code"] = f["hs_code"].astype(str)
    dup = f.duplicated(keys + ["month"], keep=False)
    if dup.any():
        bad = f.loc[dup, keys + ["month", "source"]].head(5).to_dict("records")
        raise PanelError(f"flows: duplicate {keys} x month rows (rule: unique), e.g. {bad}")
    cols = keys + ["month", "value_usd", "quantity"]
    p = f[cols].copy()
    if "qty_estimated_2022" in f.columns:
        p["qty_estimated_2022"] = f["qty_estimated_2022"].astype(bool).to_numpy()
    else:  # a Comtrade caveat: Census HS10 quantities are counted, not estimated
        p["qty_estimated_2022"] = ((source == "snapshot") & (p["month"].dt.year == 2022)
                                   & p["origin"].isin(QTY_ESTIMATED_2022))

    # tariffs
    _require(tariffs, "tariffs_monthly", ["month", "origin", "product", "rate_pct"])
    tr = tariffs[tariffs["product"].astype(str) == product[:4]].copy()
    tr["month"] = pd.to_datetime(tr["month"]).dt.to_period("M").dt.to_timestamp()
    dup = tr.duplicated(["origin", "month"], keep=False)
    if dup.any():
        bad = tr.loc[dup, ["origin", "month"]].head(5).to_dict("records")
        raise PanelError(f"tariffs_monthly: duplicate origin x month for product {product}: {bad}")
    tr["tau"] = tr["rate_pct"].astype(float) / 100.0
    p = p.merge(tr[["origin", "month", "tau"]], on=["origin", "month"], how="left")
    p = p.merge(_fx_long(fx), on=["month", "origin"], how="left")

    p["ln1p_tau"] = np.log1p(p["tau"])
    with np.errstate(divide="ignore", invalid="ignore"):
        p["ln_fx"] = np.where(p["lcu_per_usd"] > 0, np.log(p["lcu_per_usd"]), np.nan)
    _flow_logs(p)
    p = p.sort_values(keys + ["month"], kind="mergesort").reset_index(drop=True)
    for c in D12_BASES:
        p[f"d12_{c}"] = _d12(p, c, keys)

    # mirror: an origin's own exports to the USA (the reporter's rows of the mirror source)
    m = flows[(flows["source"] == MIRROR_SOURCE)]
    m = m[(m["partner"] == "USA") & (m["flow"] == "export")]
    if source == "snapshot" and not m.empty:
        m = m.assign(month=pd.to_datetime(m["month"]).dt.to_period("M").dt.to_timestamp())
        m = m[["reporter", "month", "value_usd", "quantity"]].rename(
            columns={"reporter": "origin", "value_usd": "mirror_v", "quantity": "mirror_q"}
        )
        p = p.merge(m, on=["origin", "month"], how="left")
    else:
        p["mirror_v"] = np.nan
        p["mirror_q"] = np.nan
    mv, mq = p["mirror_v"].astype(float), p["mirror_q"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p["mirror_uv"] = np.where((mv > 0) & (mq > 0), mv / mq, np.nan)
        p["ln_mirror_v"] = np.where(mv > 0, np.log(mv), np.nan)
        p["ln_mirror_q"] = np.where(mq > 0, np.log(mq), np.nan)
        p["ln_mirror_uv"] = np.log(p["mirror_uv"])
    for c in MIRROR_BASES:
        p[f"d12_{c}"] = _d12(p, c, keys)

    p["moy"] = p["month"].dt.month.astype("int64")
    p["year"] = p["month"].dt.year.astype("int64")
    p["post"] = p["month"] >= EVENT_MONTH
    p["k"] = (
        (p["month"].dt.year - EVENT_MONTH.year) * 12 + p["month"].dt.month - EVENT_MONTH.month
    ).astype("int64")
    p["data_source"] = SNAPSHOT_SOURCE if source == "snapshot" else "census"
    p = p[(p["month"] >= t0) & (p["month"] <= t1)]
    missing_tau = p["tau"].isna()
    if missing_tau.any():
        bad = p.loc[missing_tau, ["origin", "month"]].head(5).astype(str).to_dict("records")
        raise PanelError(
            f"tariffs_monthly: no rate for product {product} at origin x month {bad} "
            f"({int(missing_tau.sum())} rows); the tariff table must cover every panel cell"
        )
    lead = keys + ["month"]
    order = lead + [c for c in PANEL_COLUMNS if c in p.columns and c not in lead]
    p = p[order].sort_values(lead, kind="mergesort").reset_index(drop=True)
    return validate_panel(p)


PANEL_COLUMNS = [
    "origin", "hs_code", "month", "value_usd", "quantity", "ln_v", "ln_q", "uv", "ln_uv", "tau",
    "ln1p_tau", "ln_uv_dutyinc", "lcu_per_usd", "ln_fx", "moy", "year", "post", "k",
    *[f"d12_{c}" for c in D12_BASES],
    "mirror_v", "mirror_q", "mirror_uv", *MIRROR_BASES, *[f"d12_{c}" for c in MIRROR_BASES],
    "qty_estimated_2022", "data_source",
]  # fmt: skip


def origin_month(panel: pd.DataFrame) -> pd.DataFrame:
    """Aggregate an HS10 x origin x month panel to origin x month (sums of value and quantity).

    Why: the per-origin estimators (elasticity, pass-through, event study, inference with G
    origin clusters) are written for one row per origin and month; the HS10 detail is used by
    :mod:`autotariffs.models.varieties`. Tariffs, FX and calendar columns are origin x month
    already; logs, unit values and 12-month differences are recomputed from the sums (a month
    with no reported quantity in any HS10 line has quantity NaN, not 0).
    """
    if "hs_code" not in panel.columns:
        return panel
    keys = ["origin", "month"]
    per = ["tau", "ln1p_tau", "lcu_per_usd", "ln_fx", "moy", "year", "post", "k",
           "qty_estimated_2022", "data_source"]
    g = panel.groupby(keys, sort=True)
    p = g[["value_usd", "quantity"]].sum(min_count=1).join(g[per].first()).reset_index()
    _flow_logs(p)
    for c in D12_BASES:
        p[f"d12_{c}"] = _d12(p, c, ["origin"])
    for c in ("mirror_v", "mirror_q", "mirror_uv", *MIRROR_BASES, *[f"d12_{c}" for c in MIRROR_BASES]):
        p[c] = np.nan
    order = [c for c in PANEL_COLUMNS if c in p.columns]
    return validate_panel(p[order].sort_values(keys, kind="mergesort").reset_index(drop=True))


def _finite_where_positive(level: str, log: str):
    def check(df: pd.DataFrame) -> pd.Series:
        pos = df[level].astype(float) > 0
        return ~pos | np.isfinite(df[log].astype(float))

    return pa.Check(check, error=f"{log} must be finite wherever {level} > 0")


def panel_schema(has_hs: bool = False) -> pa.DataFrameSchema:
    """Pandera contract: unique (origin[, hs_code], month), tau in [0, 1], finite logs if > 0."""
    keys = ["origin", "hs_code", "month"] if has_hs else ["origin", "month"]
    cols = {
        "origin": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{3}$")),
        "month": pa.Column("datetime64[ns]"),
        "value_usd": pa.Column(float, pa.Check.ge(0), nullable=True, coerce=True),
        "quantity": pa.Column(float, pa.Check.ge(0), nullable=True, coerce=True),
        "tau": pa.Column(float, pa.Check.in_range(0.0, 1.0)),
        "ln1p_tau": pa.Column(float),
        "moy": pa.Column("int64", pa.Check.in_range(1, 12)),
    }
    if has_hs:
        cols["hs_code"] = pa.Column(str, pa.Check.str_matches(r"^\d{10}$"))
    return pa.DataFrameSchema(
        cols,
        unique=keys,
        checks=[
            _finite_where_positive("value_usd", "ln_v"),
            _finite_where_positive("quantity", "ln_q"),
        ],
        strict=False,
    )


def validate_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """Validate against :func:`panel_schema`; raise PanelError naming column, rows and rule."""
    schema = panel_schema(has_hs="hs_code" in panel.columns)
    try:
        return schema.validate(panel, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        lines = []
        for _, r in fc.head(10).iterrows():
            lines.append(
                f"column={r.get('column')!s} check={r.get('check')!s} "
                f"row={r.get('index')!s} value={r.get('failure_case')!r}"
            )
        raise PanelError(
            f"analysis panel violates its contract ({len(fc)} failure(s)):\n  " + "\n  ".join(lines)
        ) from None


def available_origins(product: str = "8703") -> set[str]:
    """Origins (not blocs) with US imports of ``product`` in data/processed/flows.parquet, from any
    source: the notebooks check their origin parameters against it before building anything."""
    from autotariffs import paths

    f = paths.PROCESSED / "flows.parquet"
    if not f.exists():
        raise PanelError(paths.missing(f, "processed input"))
    fl = pd.read_parquet(f)
    sel = ((fl["reporter"] == "USA") & (fl["flow"] == "import")
           & fl["hs_code"].astype(str).str.startswith(product))
    if "is_bloc" in fl.columns:
        sel &= ~fl["is_bloc"].astype(bool)
    return set(fl.loc[sel, "partner"].astype(str))


def load_panel(**kwargs) -> pd.DataFrame:
    """Read flows/tariffs/fx from data/processed and build the panel (kwargs -> build_panel)."""
    from autotariffs import paths

    files = {
        "flows": paths.PROCESSED / "flows.parquet",
        "tariffs": paths.PROCESSED / "tariffs_monthly.parquet",
        "fx": paths.PROCESSED / "fx_monthly.parquet",
    }
    missing = [f for f in files.values() if not f.exists()]
    if missing:
        raise PanelError(paths.missing(missing[0], "processed input"))
    frames = {k: pd.read_parquet(v) for k, v in files.items()}
    return build_panel(frames["flows"], frames["tariffs"], frames["fx"], **kwargs)


def exporter_series(flows: pd.DataFrame, fx: pd.DataFrame, origin: str,
                    product: str = "8703") -> pd.DataFrame:
    """The origin's own monthly exports of ``product`` to the US, with unit values in USD and in
    its currency: month, value_usd, quantity, uv_usd, lcu_per_usd, uv_lcu, currency, source.

    Any source whose reporter is ``origin`` and whose monthly export rows to the USA carry
    quantities (for the snapshot: Japan-reported Comtrade exports, FOB, to 2025-09). Empty when
    the origin reports none (e.g. Korea's KCS file has values only).
    """
    f = flows[(flows["reporter"] == origin) & (flows["partner"] == "USA")
              & (flows["flow"] == "export") & (flows["freq"] == "M")
              & flows["hs_code"].astype(str).str.startswith(product)
              & (flows["quantity"].astype(float) > 0)]
    cols = ["month", "value_usd", "quantity", "uv_usd", "lcu_per_usd", "uv_lcu", "currency",
            "source"]
    if f.empty:
        return pd.DataFrame(columns=cols)
    if f["source"].nunique() > 1:
        raise PanelError(f"exports of {origin} to the USA come from several sources "
                         f"{sorted(f['source'].unique())}: choose one")
    out = f[["month", "value_usd", "quantity", "source"]].copy()
    out["month"] = pd.to_datetime(out["month"]).dt.to_period("M").dt.to_timestamp()
    rates = _fx_long(fx)
    out = out.merge(rates[rates["origin"] == origin].drop(columns="origin"), on="month",
                    how="left")
    cur = fx.loc[fx["iso3"].astype(str).str.contains(origin), "currency"]
    out["currency"] = str(cur.iloc[0]) if len(cur) else ""
    out["uv_usd"] = out["value_usd"].astype(float) / out["quantity"].astype(float)
    out["uv_lcu"] = out["uv_usd"] * out["lcu_per_usd"]
    return out[cols].sort_values("month").reset_index(drop=True)
