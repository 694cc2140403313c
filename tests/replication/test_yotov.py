"""Reproduction of Yotov, Piermartini, Monteiro & Larch (2016), ch. 1, Tables 1 and 3.

Real benchmark data (data/external/yotov2016_agtpa, CC BY 4.0). Reference numbers are
reference_values.json, produced independently (statsmodels dummy OLS; pyfixest fepois) and equal
to the book's printed R solutions at 3 decimals. Tolerance = printed precision (5e-4); it is not
to be loosened: a miss means a specification or SE-convention error.
"""

from __future__ import annotations

import json

import pytest

from autotariffs.models.fe import ssc
from autotariffs.replication.yotov import TOL, YOTOV_DIR, fit_column, reproduce_yotov

REF = json.loads((YOTOV_DIR / "reference_values.json").read_text())


@pytest.fixture(scope="module")
def table() -> object:
    return reproduce_yotov()


@pytest.mark.slow
def test_all_columns_reproduced(table):
    assert set(zip(table["table"], table["column"], strict=True)) == {
        ("1", c) for c in "1234"} | {("3", c) for c in "1234567"}
    bad = table.loc[~table["match"]]
    assert bad.empty, f"not reproduced:\n{bad.to_string()}"


@pytest.mark.slow
def test_headline_numbers(table):
    t = table.set_index(["table", "column", "term"])
    row = t.loc[("1", "4", "ln_dist")]
    assert abs(row["ours_coef"] - (-0.8409)) < 5e-5 and abs(row["ours_se"] - 0.0317) < 5e-5
    tot6 = t.loc[("3", "6", "total_rta")]
    assert abs(tot6["ours_coef"] - 0.993) < TOL and abs(tot6["ours_se"] - 0.094) < TOL
    tot7 = t.loc[("3", "7", "total_rta")]
    # the R solutions print 0.110 for this SE; under Stata's G/(G-1)-only convention it is
    # 0.1095 (reference_values.json), so the 3rd decimal depends on the correction used
    assert abs(tot7["ours_coef"] - 0.475) < TOL and abs(tot7["ours_se"] - 0.1095) < 5e-5
    # pair-FE sample: 84 observations of never-trading pairs dropped (28,566 -> 28,482)
    assert t.loc[("3", "4", "nobs"), "ours_coef"] == 28482


def test_ppml_se_convention_pyfixest_default():
    """Same fit under pyfixest's default ssc ((N-1)/(N-K) x G/(G-1), K incl. FE) gives the
    reference values' se_pyfixest_default: the 1.5% gap is the correction, not the estimator."""
    res = fit_column("1", "4")
    ml = res.bse
    from autotariffs.models.ppml import fepois
    from autotariffs.replication.yotov import GRAV, load_yotov
    d = load_yotov()
    dflt = fepois(d.loc[d["intl"] == 1], "trade", GRAV, ["exp_year", "imp_year"],
                  cluster="pair_id", ssc=ssc())
    ref = REF["table1_col4_ppml"]
    for term, key in (("ln_dist", "log_dist"), ("cntg", "cntg"), ("clny", "clny")):
        assert abs(ml[term] - ref[key]["se"]) < 1e-6
        assert abs(dflt.bse[term] - ref[key]["se_pyfixest_default"]) < 1e-6
    assert res.nobs == 28152
