"""feols / fepois where the two fixed effects connect slowly (issue 23), and their failure message.

The design (SIMULATED, ``support.designs.slow_connect_panel``): many small firms, each seen in 2-4
consecutive of 80 quarters, so quarter q meets quarter q + 1 only through the firms alive in both
and the firm-quarter graph is a long chain. Alternating projections crawl there: pyfixest's MAP
exhausts its default 10,000 sweeps on this very panel (4,000 rows), which is why the reference
below raises its budget. Our demeaner (exact elimination of the firm effects, conjugate gradients
on the quarters) converges in ~50 steps.

References are never our own output: statsmodels OLS / GLM-Poisson with explicit dummies on the
rows our sample rules keep (plain clustered sandwich on both sides), and pyfixest's MAP with a
100,000-sweep budget. Tolerances as in test_adversarial.py: 1e-6 absolute in coefficients, 1e-4
relative in SEs.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.linalg
import statsmodels.api as sm
from support.designs import slow_connect_panel

from autotariffs.models.demean import DemeanNotConverged
from autotariffs.models.fe import feols, ssc
from autotariffs.models.ppml import fepois

PLAIN = ssc(k_adj=False, G_adj=False)
FE = ["firm", "quarter"]


def _dummy_fit(s: pd.DataFrame, est: str) -> tuple[float, float]:
    """Coefficient and plain clustered SE of x from explicit dummies (redundant ones removed)."""
    dums = np.column_stack([pd.get_dummies(s[f].astype("category")).to_numpy(dtype=float)
                            for f in FE])
    _, r, piv = scipy.linalg.qr(dums, mode="economic", pivoting=True)
    rank = int((np.abs(np.diag(r)) > 1e-9 * np.abs(r[0, 0])).sum())
    xd = np.column_stack([s["x"].to_numpy(), dums[:, np.sort(piv[:rank])]])
    kw = {"groups": pd.factorize(s["g"])[0], "use_correction": False}
    if est == "feols":
        fit = sm.OLS(s["ln_y"].to_numpy(), xd).fit(cov_type="cluster",
                                                   cov_kwds={**kw, "df_correction": False})
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.GLM(s["c"].to_numpy(), xd, family=sm.families.Poisson()).fit(
                method="newton", tol=1e-13, maxiter=200, cov_type="cluster", cov_kwds=kw)
    return float(fit.params[0]), float(fit.bse[0])


@pytest.mark.parametrize("est", ["feols", "fepois"])
def test_slow_connect_equals_dummy_variable_fit(est):
    d = slow_connect_panel(900, seed=3)
    fn, y = (feols, "ln_y") if est == "feols" else (fepois, "c")
    res = fn(d, y, ["x"], fe=FE, cluster="g", ssc=PLAIN)
    assert 20 < max(res.demean_iterations) < 1000  # slow for CG too, yet far from maxiter
    b, se = _dummy_fit(d.loc[res.resid.index], est)
    assert abs(res.params["x"] - b) < 1e-6
    assert res.bse["x"] == pytest.approx(se, rel=1e-4)


def test_slow_connect_feols_equals_pyfixest_with_a_larger_map_budget():
    import pyfixest as pf
    from pyfixest.demeaners import MapDemeaner

    d = slow_connect_panel(4000)
    res = feols(d, "ln_y", ["x"], fe=FE, cluster="g")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.feols("ln_y ~ x | firm + quarter", data=d, vcov={"CRV1": "g"},
                       demeaner=MapDemeaner(fixef_tol=1e-12, fixef_maxiter=100_000))
    assert res.nobs == ref._N
    assert abs(res.params["x"] - ref.coef()["x"]) < 1e-6
    assert res.bse["x"] == pytest.approx(ref.se()["x"], rel=1e-4)


def test_non_convergence_is_one_actionable_line():
    """Where the demeaning cannot converge (here: a budget too small for this chain) the error is
    one line saying which fixed effects, after how many iterations, the residual against which
    tolerance, and which argument to raise -- for feols (maxiter/tol) and fepois (demean_*)."""
    d = slow_connect_panel(3000)
    with pytest.raises(DemeanNotConverged) as err:
        feols(d, "ln_y", ["x"], fe=FE, cluster="g", maxiter=5)
    msg = str(err.value)
    assert "\n" not in msg
    assert "stopped at maxiter=5 iterations" in msg
    assert f"firm ({d['firm'].nunique():,} levels) and quarter (80 levels)" in msg
    assert "> tol=1e-12" in msg
    assert "raise maxiter (e.g. maxiter=50) or loosen tol" in msg
    with pytest.raises(DemeanNotConverged, match=(
            r"^demeaning did not converge: conjugate gradients stopped at demean_maxiter=5 "
            r"iterations with the residual at \S+ > demean_tol=1e-12 on the fixed effects firm "
            r".*raise demean_maxiter \(e\.g\. demean_maxiter=50\) or loosen demean_tol$")):
        fepois(d, "c", ["x"], fe=FE, cluster="g", demean_maxiter=5)
