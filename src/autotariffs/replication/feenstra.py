"""Optional external validation: Feenstra (1989) symmetric tariff / exchange-rate pass-through.

Why: Feenstra's Japanese trucks (25% "chicken tax") and motorcycles are the closest historical
precedent for the 2025 car tariffs, and his test of symmetric pass-through (tariff coefficient
vs the summed exchange-rate pass-through of an Almon polynomial distributed lag) is a check on
our pass-through logic.

Licence: Feenstra's files carry NO redistribution licence, so they are never shipped with this
project. This module reads them only from the folder named by the environment variable
``AUTOTARIFFS_FEENSTRA_DIR`` (files ``cars.csv``, ``trucks.csv``, ``cycon.csv``, ``cyship.csv``,
``cypool.csv``, ``MANIFEST.json``, ``reference_values.json``, as distributed with Feenstra's
teaching materials) and is not part of the default report.

Specification (Feenstra's .do files; OLS, classical SEs, listwise deletion): unrestricted
``iprice ~ [dummies] time timesq lag0 lag1 lag2 [tariff] usprice [gprice] income``; restricted
(homogeneity + symmetry) ``y ~ [dummies] time timesq z0 z1 z2 x1 [x2]``. Pass-through at lag i
is lag0 + i*lag1 + i^2*lag2 (i = 0..4), the total 5*lag0 + 10*lag1 + 30*lag2.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.tools import add_constant

from autotariffs.errors import ChecksumError, DataContractError
from autotariffs.replication.columns import OUTPUT_COLUMNS

ENV_VAR = "AUTOTARIFFS_FEENSTRA_DIR"
TABLE = "Feenstra1989"
#: Reference printed to 4 dp: half a unit of the 4th decimal.
PRINT_TOL = 5e-5

_CY = ["dummy1", "dummy2", "dummy3"]
_LAGS = ("lag0", "lag1", "lag2")
# sample -> (rows to drop, unrestricted regressors, restricted regressors)
SPECS: dict[str, tuple[str | None, list[str], list[str]]] = {
    "cars": (None,
             ["time", "timesq", "lag0", "lag1", "lag2", "usprice", "gprice", "income"],
             ["time", "timesq", "z0", "z1", "z2", "x1", "x2"]),
    "trucks": ("time <= 12",
               ["time", "timesq", "lag0", "lag1", "lag2", "tariff", "usprice", "income"],
               ["time", "timesq", "z0", "z1", "z2", "x1"]),
    # Stata treats a missing `time` as +inf, so `drop if time>=45` also drops missing time.
    "cycon": ("time <= 16 or time >= 45 or time != time",
              [*_CY, "time", "timesq", "lag0", "lag1", "lag2", "tariff", "usprice", "gprice",
               "income"],
              [*_CY, "time", "timesq", "z0", "z1", "z2", "x1", "x2"]),
    "cyship": ("time <= 16",
               [*_CY, "time", "timesq", "lag0", "lag1", "lag2", "tariff", "usprice", "gprice",
                "income"],
               [*_CY, "time", "timesq", "z0", "z1", "z2", "x1", "x2"]),
    "cypool": (None,
               [*_CY, "time", "timesq", "lag0", "lag1", "lag2", "tariff", "usprice", "gprice",
                "income"],
               [*_CY, "time", "timesq", "z0", "z1", "z2", "x1", "x2"]),
}  # fmt: skip


def feenstra_dir(directory: str | Path | None = None) -> Path:
    """The folder holding Feenstra's files: ``directory`` or ``$AUTOTARIFFS_FEENSTRA_DIR``."""
    raw = directory if directory is not None else os.environ.get(ENV_VAR)
    if not raw:
        raise FileNotFoundError(
            f"Set {ENV_VAR} to a folder holding Feenstra's cars.csv, trucks.csv, cycon.csv, "
            "cyship.csv, cypool.csv (not shipped: no redistribution licence)."
        )
    path = Path(raw)
    if not path.is_dir():
        raise FileNotFoundError(f"{ENV_VAR}={raw!r} is not a directory.")
    return path


def load_sample(name: str, directory: str | Path | None = None) -> pd.DataFrame:
    """Read one of Feenstra's files, verifying its SHA-256 against the folder's MANIFEST.json."""
    folder = feenstra_dir(directory)
    path = folder / f"{name}.csv"
    manifest = json.loads((folder / "MANIFEST.json").read_text(encoding="utf-8"))
    expected = {m["file"]: m["sha256"] for m in manifest}.get(path.name)
    got = hashlib.sha256(path.read_bytes()).hexdigest()
    if expected != got:
        raise ChecksumError(
            f"{path}: SHA-256 {got} differs from {expected} in {folder / 'MANIFEST.json'}.",
            files=[str(path)],
        )
    return pd.read_csv(path)


def _ols(df: pd.DataFrame, yvar: str, xvars: list[str], file: str):
    missing = [c for c in [yvar, *xvars] if c not in df.columns]
    if missing:
        raise DataContractError(file, ", ".join(missing), "column required by Feenstra's spec")
    return OLS(df[yvar], add_constant(df[xvars], prepend=False)).fit()


def _lincom(res, names: list[str], weights: list[float]) -> tuple[float, float]:
    r = np.zeros(len(res.params))
    for n, w in zip(names, weights, strict=True):
        r[list(res.params.index).index(n)] = w
    t = res.t_test(r)
    return float(np.squeeze(t.effect)), float(np.squeeze(t.sd))


def estimate_sample(name: str, directory: str | Path | None = None) -> dict:
    """Unrestricted and restricted regressions for one sample, as a dict shaped like the
    reference JSON (``{term: {"coef", "se"}}``, ``N``, ``restriction_F_test``)."""
    drop, xu, xr = SPECS[name]
    df = load_sample(name, directory)
    file = str(feenstra_dir(directory) / f"{name}.csv")
    if drop is not None:
        df = df.loc[~df.eval(drop)]
    # one listwise-deleted sample for both models, so their SSRs are comparable
    df = df.dropna(subset=["iprice", "y", *xu, *xr])
    u = _ols(df, "iprice", xu, file)
    r = _ols(df, "y", xr, file)
    out: dict = {"N": int(u.nobs)}
    for term in [t for t in ("tariff", "usprice", "gprice", "income", *_LAGS) if t in xu]:
        out[term] = {"coef": float(u.params[term]), "se": float(u.bse[term])}
    for term in [t for t in ("x1", "x2") if t in xr]:
        out[f"restricted_{term}"] = {"coef": float(r.params[term]), "se": float(r.bse[term])}
    for i in range(5):
        c, s = _lincom(u, ["lag0", "lag1", "lag2"], [1.0, float(i), float(i * i)])
        out[f"exrate_lag{i}"] = {"coef": c, "se": s}
    c, s = _lincom(u, ["lag0", "lag1", "lag2"], [5.0, 10.0, 30.0])
    out["exrate_sum"] = {"coef": c, "se": s}
    c, s = _lincom(r, ["z0", "z1", "z2"], [5.0, 10.0, 30.0])
    out["restricted_exrate_sum"] = {"coef": c, "se": s}
    q = int(u.df_model - r.df_model)
    F = ((r.ssr - u.ssr) / q) / (u.ssr / u.df_resid)
    out["restriction_F_test"] = {
        "F": float(F), "df_num": q, "df_den": int(u.df_resid),
        "p": float(stats.f.sf(F, q, u.df_resid)),
    }  # fmt: skip
    return out


def reproduce_feenstra(directory: str | Path | None = None) -> pd.DataFrame:
    """All five samples vs the folder's ``reference_values.json``, in the shared validation
    layout (``table, column, term, ours_coef, ref_coef, ours_se, ref_se, match``); terms:
    tariff/usprice/gprice/income, lag0..2, exrate_lag0..4, exrate_sum, restricted_exrate_sum,
    restricted_x1/x2, nobs, restriction_F and restriction_p (statistics in the *_coef fields,
    SEs NaN)."""
    folder = feenstra_dir(directory)
    ref_all = json.loads((folder / "reference_values.json").read_text(encoding="utf-8"))
    rows = []
    for name in SPECS:
        ours, ref = estimate_sample(name, folder), ref_all[name]
        for term, val in ours.items():
            if term in ("N", "restriction_F_test") or term not in ref:
                continue
            oc, os_ = val["coef"], val["se"]
            rc, rs = float(ref[term]["coef"]), float(ref[term]["se"])
            ok = abs(oc - rc) <= PRINT_TOL and abs(os_ - rs) <= PRINT_TOL
            rows.append((TABLE, name, term, oc, rc, os_, rs, ok))
        rows.append((TABLE, name, "nobs", float(ours["N"]), float(ref["N"]), np.nan, np.nan,
                     ours["N"] == int(ref["N"])))  # fmt: skip
        fo, fr = ours["restriction_F_test"], ref["restriction_F_test"]
        for key, term in (("F", "restriction_F"), ("p", "restriction_p")):
            ok = abs(fo[key] - fr[key]) <= PRINT_TOL and fo["df_num"] == fr["df_num"]
            ok = ok and fo["df_den"] == fr["df_den"]
            rows.append((TABLE, name, term, fo[key], float(fr[key]), np.nan, np.nan, ok))
    out = pd.DataFrame(rows, columns=OUTPUT_COLUMNS)
    out["match"] = out["match"].astype(bool)
    return out
