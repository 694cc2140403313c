"""The published numbers are wired to the routines that compute them (issue 24.1).

For the shipped data and the built ``reports/results.json``:

* every field of each origin's design comparison (estimate, interval, p, placebos, trend test,
  headline) equals a direct call of the routine that computes it;
* each design's estimate of log vehicles for KOR and JPN is recomputed here in a few lines of
  plain numpy/pandas from the panel (no package estimator), and so is the trend slope;
* exporter unit values, the January-June 2026 facts and the all-origin price index equal plain
  recomputations from the processed flows and macro series.

So swapping two fields of a published result (a p-value and an interval end, KOR and JPN, ...)
fails here. Needs the build (``make`` runs before ``make test`` in CI).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import yaml

from autotariffs import design, paths
from autotariffs.design import Window
from autotariffs.models import export_prices as xpm
from autotariffs.models import facts
from autotariffs.models import one_treated as ot
from autotariffs.models import reduced_form as rfm
from autotariffs.models.drift import pretrend
from autotariffs.panel import build as apanel

ORIGINS = ("KOR", "JPN")
REL = 1e-8  # results.json keeps 10 significant digits


@pytest.fixture(scope="module")
def results() -> dict:
    path = paths.REPORTS / "results.json"
    if not path.exists():
        pytest.skip("reports/results.json not built (run make first)")
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return apanel.load_panel(start="2020-01", end="2025-07", source="snapshot")


def _params(origin: str) -> dict:
    return yaml.safe_load((paths.PARAMS / f"04_estimates_{origin}.yaml").read_text())


def _window(p: dict) -> Window:
    return Window(p["event_date"], p["baseline_start"], p["donut"], p["end"])


def _approx(x):
    return pytest.approx(x, rel=REL, abs=1e-12)


@pytest.mark.parametrize("origin", ORIGINS)
def test_every_design_field_is_the_routine_it_names(results, panel, origin):
    p = _params(origin)
    w = _window(p)
    r = results[origin]
    for y in rfm.OUTCOMES:
        g = rfm.gap_of(panel, y, origin, p["controls"], w)
        pt = pretrend(g, w)
        assert r["pretrend"][y]["slope_per_year"] == _approx(pt.slope_per_year)
        assert r["pretrend"][y]["se"] == _approx(pt.se)
        assert r["pretrend"][y]["p"] == _approx(pt.p)
        for d in ot.DESIGNS:
            pub = r["designs"][d.key][y]
            est = ot.estimate(g, d, w)
            test = ot.conformal(g, d, w, allow_coarse=True)
            pl = ot.placebos(g, d, w)
            assert pub["coef"] == _approx(est.coef)
            assert pub["p"] == _approx(test.p)
            assert pub["n_perm"] == test.n_perm and pub["n_pre"] == est.n_pre
            for k in ("ci95_low", "ci95_high"):
                v = getattr(test, k)
                assert pub[k] == (None if not np.isfinite(v) else _approx(v)), (d.key, y, k)
            pp = r["placebos"][d.key][y]
            assert pp["n"] == pl.n and pp["mean"] == _approx(pl.mean) and pp["p"] == _approx(pl.p)
            assert pp["centred"] == pl.centred
    h = r["headline"]
    chosen = r["simulation"][design.HEADLINE_OUTCOME]["chosen"]
    assert (h["design"], h["outcome"]) == (chosen, design.HEADLINE_OUTCOME)
    src = r["designs"][chosen][design.HEADLINE_OUTCOME]
    assert {k: h[k] for k in ("coef", "ci95_low", "ci95_high", "p")} == {
        k: src[k] for k in ("coef", "ci95_low", "ci95_high", "p")}


def _gap_by_hand(panel: pd.DataFrame, origin: str, controls: list[str]) -> pd.Series:
    """ln q of the origin minus the controls' mean, 2022 (estimated quantities) left out."""
    q = panel.pivot(index="month", columns="origin", values="ln_q")
    gap = q[origin] - q[controls].mean(axis=1)
    return gap[gap.index.year != 2022].dropna()


@pytest.mark.parametrize("origin", ORIGINS)
def test_each_design_recomputed_in_plain_pandas(results, panel, origin):
    p = _params(origin)
    gap = _gap_by_hand(panel, origin, p["controls"])
    gap = gap[gap.index >= pd.Timestamp(p["baseline_start"] + "-01")]
    ev = pd.Timestamp(p["event_date"][:7] + "-01")
    pre = gap[gap.index < ev - pd.DateOffset(months=p["donut"])]
    post = gap[gap.index >= ev]
    # level: each post month against the baseline mean of its month of year
    level = np.mean([v - pre[pre.index.month == m.month].mean() for m, v in post.items()])
    # year on year: each post month against the same month a year before
    yoy = np.mean([v - gap[m - pd.DateOffset(years=1)] for m, v in post.items()])
    # trend: OLS of the baseline gap on month-of-year dummies and years, extrapolated
    def x(idx):
        t = (idx.year - pre.index[0].year) + (idx.month - pre.index[0].month) / 12
        return np.column_stack([(idx.month.to_numpy()[:, None] == np.arange(1, 13)).astype(float),
                                t])
    beta = np.linalg.lstsq(x(pre.index), pre.to_numpy(), rcond=None)[0]
    trend = float(np.mean(post.to_numpy() - x(post.index) @ beta))
    pub = results[origin]["designs"]
    assert pub["level"]["ln_q"]["coef"] == pytest.approx(level, abs=1e-9)
    assert pub["yoy"]["ln_q"]["coef"] == pytest.approx(yoy, abs=1e-9)
    assert pub["trend"]["ln_q"]["coef"] == pytest.approx(trend, abs=1e-9)
    # and the trend test: OLS slope per year with Newey-West errors
    fit = sm.OLS(pre.to_numpy(), x(pre.index)).fit(
        cov_type="HAC", cov_kwds={"maxlags": int(4 * (len(pre) / 100) ** (2 / 9)),
                                  "use_correction": True})
    assert results[origin]["pretrend"]["ln_q"]["slope_per_year"] == pytest.approx(fit.params[-1])
    assert results[origin]["pretrend"]["ln_q"]["se"] == pytest.approx(fit.bse[-1])


def test_exporter_prices_facts_and_price_index_recomputed(results):
    flows = pd.read_parquet(paths.PROCESSED / "flows.parquet")
    fx = pd.read_parquet(paths.PROCESSED / "fx_monthly.parquet")
    macro = pd.read_parquet(paths.PROCESSED / "macro_monthly.parquet")
    # Japan-reported exports to the US: log unit value, 12-month change, by hand
    m = flows[(flows["reporter"] == "JPN") & (flows["partner"] == "USA")
              & (flows["flow"] == "export")].set_index("month").sort_index()
    luv = np.log(m["value_usd"] / m["quantity"])
    jpy = fx[fx["currency"] == "JPY"].set_index("month")["lcu_per_usd"]
    ljpy = np.log(jpy.reindex(luv.index))
    xp = results["JPN"]["export_prices"]
    for k, v in xp.items():
        if k[:4].isdigit():
            t = pd.Timestamp(k.replace("_", "-") + "-01")
            t0 = t - pd.DateOffset(years=1)
            assert v["uv_usd_yoy"] == pytest.approx(luv[t] - luv[t0], rel=REL)
            assert v["uv_jpy_yoy"] == pytest.approx(luv[t] - luv[t0] + ljpy[t] - ljpy[t0],
                                                    rel=REL)
    avg = xp["apr_sep"]
    post = pd.date_range("2025-04-01", "2025-09-01", freq="MS")
    assert avg["uv_usd_yoy"] == pytest.approx(
        np.mean([luv[t] - luv[t - pd.DateOffset(years=1)] for t in post]), rel=REL)
    # the same routine the notebook calls gives every field
    s = apanel.exporter_series(flows, fx, "JPN")
    direct = xpm.export_prices(s, "JPN", Window(design.TARIFF.date, design.BASELINE_START,
                                                design.DONUT_MONTHS, "2025-09")).to_dict()
    assert json.loads(json.dumps(direct, default=float)).keys() == xp.keys()
    assert direct["apr_sep"]["p"] == pytest.approx(avg["p"], rel=REL)
    # January-June 2026 and the price index: a direct call of the routine
    h1 = facts.h1_2026(flows, design.CONTROLS)
    for o in ("KOR", "JPN", "MEX", "CAN"):
        for k in ("value_bn", "change_vs_h1_2024"):
            assert results["h1_2026"][o][k] == pytest.approx(h1[o][k], rel=REL)
    kor = results["h1_2026"]["KOR"]
    assert kor["relative_to_controls"] == pytest.approx(
        kor["change_vs_h1_2024"] - np.mean([results["h1_2026"][c]["change_vs_h1_2024"]
                                            for c in design.CONTROLS]), rel=REL)
    ipi = macro[macro["series_id"] == "BLS_IPI_8703"].set_index("month")["value"]
    assert results["import_prices"]["hs8703"]["change_since_2025_03"] == pytest.approx(
        100 * (ipi.iloc[-1] / ipi[pd.Timestamp("2025-03-01")] - 1), rel=REL)
