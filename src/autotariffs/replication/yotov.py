"""Reproduce Yotov, Piermartini, Monteiro & Larch (2016), AGTPA ch. 1, Tables 1 and 3.

Why: our HDFE estimators (``models.fe.feols``, ``models.ppml.fepois``) are only trustworthy for
the tariff elasticities if they reproduce a gravity benchmark that exercises the same
machinery: exporter-year / importer-year / pair fixed effects, PPML with zeros, clustered SEs with
a named small-sample correction, and delta-method sums of coefficients.

Data: ``data/external/yotov2016_agtpa/agtpa_applications.csv.gz`` (CC BY 4.0; see its README.md
for provenance). Specifications follow the book's Stata do-files as summarised in that README;
reference numbers are ``reference_values.json`` (an independent re-estimation at full precision;
it agrees with the R solutions manual's printed values to 3 decimals, which its author states
match the book's tables; the book itself was not opened). SE conventions: OLS columns use Stata ``regress, cluster`` =
G/(G-1)*(N-1)/(N-K) with K counting the FE dummies (our default ``SSC()``); PPML columns use
G/(G-1) only (Stata ML, ``ssc(k_adj=False)``). All SEs are clustered by ``pair_id``.
"""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pandas as pd

from autotariffs import paths
from autotariffs.models.fe import FEResult, feols, ssc
from autotariffs.models.ppml import fepois

__all__ = ["YOTOV_DIR", "load_yotov", "reproduce_yotov", "TOL"]

YOTOV_DIR = paths.DATA / "external" / "yotov2016_agtpa"
YEARS = (1986, 1990, 1994, 1998, 2002, 2006)
#: printed precision of the book/R tables: 3 decimals -> |ours - ref| < 5e-4
TOL = 5e-4
GRAV = ["ln_dist", "cntg", "lang", "clny"]
LAGS = ["rta", "rta_lag4", "rta_lag8", "rta_lag12"]
BORDERS = [f"intl_border_{t}" for t in YEARS[:-1]]


@lru_cache(maxsize=1)
def load_yotov() -> pd.DataFrame:
    """The 6-year estimation sample with all derived variables of Tables 1 and 3.

    Y (output) and E (expenditure) and the remoteness indices are computed on the sample
    *including* domestic flows, before any i != j restriction, as in TraditionalGravity.do.
    """
    f = YOTOV_DIR / "agtpa_applications.csv.gz"
    if not f.exists():
        raise FileNotFoundError(f"Yotov et al. (2016) benchmark data missing: {f}")
    d = pd.read_csv(f)
    d = d.loc[d["year"].isin(YEARS)].copy()
    d["ln_dist"] = np.log(d["dist"])
    d["exp_year"] = d["exporter"] + "_" + d["year"].astype(str)
    d["imp_year"] = d["importer"] + "_" + d["year"].astype(str)
    d["Y"] = d.groupby("exp_year")["trade"].transform("sum")
    d["E"] = d.groupby("imp_year")["trade"].transform("sum")
    tot_e = d.groupby("year")["trade"].transform("sum")  # world expenditure = world output
    d["_rem_exp_term"] = d["dist"] / (d["E"] / tot_e)
    d["_rem_imp_term"] = d["dist"] / (d["Y"] / tot_e)
    d["rem_exp"] = d.groupby("exp_year")["_rem_exp_term"].transform("sum")
    d["rem_imp"] = d.groupby("imp_year")["_rem_imp_term"].transform("sum")
    for v in ("Y", "E", "rem_exp", "rem_imp"):
        d[f"ln_{v.lower()}"] = np.log(d[v])
    d["intl"] = (d["exporter"] != d["importer"]).astype(int)
    # one dummy per country's domestic pair (PAIR_FE2347-2415), absorbed as one FE with a
    # common level for all international pairs
    d["intra_pair"] = np.where(d["intl"] == 1, -1, d["pair_id"])
    for t in YEARS[:-1]:
        d[f"intl_border_{t}"] = ((d["intl"] == 1) & (d["year"] == t)).astype(int)
    with np.errstate(divide="ignore"):
        d["ln_trade"] = np.where(d["trade"] > 0, np.log(d["trade"].where(d["trade"] > 0)),
                                 np.nan)
    return d.drop(columns=["_rem_exp_term", "_rem_imp_term"]).reset_index(drop=True)


def _reference() -> dict:
    return json.loads((YOTOV_DIR / "reference_values.json").read_text())


def _specs() -> list[tuple[str, str, str, dict]]:
    """(table, column, reference key, estimation kwargs) for every reproduced column."""
    ols_ssc = ssc()  # Stata regress with dummies: G/(G-1)(N-1)/(N-K), K incl. FE
    ml_ssc = ssc(k_adj=False)  # Stata ppml / ppmlhdfe: G/(G-1) only
    pair3 = ["exp_year", "imp_year", "pair_id"]
    fe2 = ["exp_year", "imp_year"]
    return [
        ("1", "1", "table1_col1_ols", dict(est="ols", sample="intl_pos",
                                            x=[*GRAV, "ln_y", "ln_e"], fe=[], ssc=ols_ssc)),
        ("1", "2", "table1_col2_remoteness", dict(
            est="ols", sample="intl_pos", x=[*GRAV, "ln_y", "ln_e", "ln_rem_exp", "ln_rem_imp"],
            fe=[], ssc=ols_ssc)),
        ("1", "3", "table1_col3_fe_ols", dict(est="ols", sample="intl_pos", x=GRAV, fe=fe2,
                                               ssc=ols_ssc)),
        ("1", "4", "table1_col4_ppml", dict(est="ppml", sample="intl", x=GRAV, fe=fe2,
                                             ssc=ml_ssc)),
        ("3", "1", "table3_col1_ols", dict(est="ols", sample="intl_pos", x=[*GRAV, "rta"],
                                            fe=fe2, ssc=ols_ssc)),
        ("3", "2", "table3_col2_ppml", dict(est="ppml", sample="intl", x=[*GRAV, "rta"],
                                             fe=fe2, ssc=ml_ssc)),
        ("3", "3", "table3_col3_ppml_intra", dict(est="ppml", sample="all", x=[*GRAV, "rta"],
                                                   fe=[*fe2, "intra_pair"], ssc=ml_ssc)),
        ("3", "4", "table3_col4_pair_fe", dict(est="ppml", sample="all", x=["rta"], fe=pair3,
                                                ssc=ml_ssc)),
        ("3", "5", "table3_col5_lead", dict(est="ppml", sample="all", x=["rta", "rta_lead4"],
                                             fe=pair3, ssc=ml_ssc)),
        ("3", "6", "table3_col6_phasing", dict(est="ppml", sample="all", x=LAGS, fe=pair3,
                                                ssc=ml_ssc)),
        ("3", "7", "table3_col7_globalization", dict(est="ppml", sample="all",
                                                      x=[*LAGS, *BORDERS], fe=pair3,
                                                      ssc=ml_ssc)),
    ]


_NAME = {"ln_dist": "log_dist", "ln_y": "log_y", "ln_e": "log_e", "ln_rem_exp": "log_rem_exp",
         "ln_rem_imp": "log_rem_imp"}


def fit_column(table: str, column: str) -> FEResult:
    """Estimate one column of Table 1 or 3 (e.g. ``fit_column("3", "6")``)."""
    d = load_yotov()
    for tb, col, _, spec in _specs():
        if (tb, col) != (table, column):
            continue
        if spec["sample"] == "intl_pos":
            s = d.loc[(d["intl"] == 1) & (d["trade"] > 0)]
        elif spec["sample"] == "intl":
            s = d.loc[d["intl"] == 1]
        else:
            s = d
        if spec["est"] == "ols":
            return feols(s, "ln_trade", spec["x"], spec["fe"], cluster="pair_id", vcov="CRV1",
                         ssc=spec["ssc"])
        return fepois(s, "trade", spec["x"], spec["fe"], cluster="pair_id", vcov="CRV1",
                      ssc=spec["ssc"])
    raise KeyError(f"Yotov et al. (2016): no Table {table} column ({column}) specified")


def reproduce_yotov(columns: list[tuple[str, str]] | None = None) -> pd.DataFrame:
    """Estimate Tables 1 (1)-(4) and 3 (1)-(7) and compare with the reference values.

    Returns one row per (table, column, term) with ``ours_coef, ref_coef, ours_se, ref_se`` and
    ``match`` (both |diff| < 5e-4, the printed 3-decimal precision). Terms include ``total_rta``
    (sum of RTA and its lags, delta-method SE) for columns (6)-(7) and ``nobs`` (match = equal).
    ``columns`` restricts to e.g. ``[("3", "4")]``.
    """
    ref = _reference()
    rows = []
    for tb, col, key, spec in _specs():
        if columns is not None and (tb, col) not in columns:
            continue
        res = fit_column(tb, col)
        rv = ref[key]
        for term in spec["x"]:
            rk = _NAME.get(term, term)
            if rk not in rv:
                continue
            rows.append((tb, col, term, float(res.params[term]), rv[rk]["coef"],
                         float(res.bse[term]), rv[rk]["se"]))
        if "total_rta" in rv:
            b, se = res.lincom(dict.fromkeys(LAGS, 1.0))
            rows.append((tb, col, "total_rta", b, rv["total_rta"]["coef"], se,
                         rv["total_rta"]["se"]))
        rows.append((tb, col, "nobs", float(res.nobs), float(rv["N"]), np.nan, np.nan))
    out = pd.DataFrame(rows, columns=["table", "column", "term", "ours_coef", "ref_coef",
                                      "ours_se", "ref_se"])
    coef_ok = (out["ours_coef"] - out["ref_coef"]).abs() < TOL
    se_ok = ((out["ours_se"] - out["ref_se"]).abs() < TOL) | out["ref_se"].isna()
    is_n = out["term"] == "nobs"
    out["match"] = np.where(is_n, out["ours_coef"] == out["ref_coef"], coef_ok & se_ok)
    return out
