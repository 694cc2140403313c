"""Optional Feenstra (1989) reproduction; skipped unless AUTOTARIFFS_FEENSTRA_DIR is set.

Feenstra's files have no redistribution licence and are never shipped with the project; the
reference values are the ``reference_values.json`` in that external folder (Stata output of
Feenstra's own .do files). The Almon-lag test uses SIMULATED data and always runs.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from autotariffs.replication import feenstra as vf

needs_data = pytest.mark.skipif(
    not os.environ.get(vf.ENV_VAR), reason=f"{vf.ENV_VAR} not set (data not shippable)"
)


@needs_data
def test_reproduces_reference_to_printed_precision():
    out = vf.reproduce_feenstra()
    assert out["match"].all(), out[~out["match"]]
    assert out["column"].unique().tolist() == ["cars", "trucks", "cycon", "cyship", "cypool"]
    nobs = out[out["term"] == "nobs"].set_index("column")["ours_coef"].to_dict()
    assert nobs == {"cars": 29, "trucks": 41, "cycon": 28, "cyship": 37, "cypool": 65}


@needs_data
def test_trucks_pass_through_about_point_six():
    # NBER WP 2453 abstract: pass-through about 0.6 for trucks, about 1 for motorcycles
    trucks = vf.estimate_sample("trucks")
    assert 0.5 < trucks["tariff"]["coef"] < 0.7
    # the five lag effects add up to the total (5a + 10b + 30c = sum over i of a + b i + c i^2)
    lags = sum(trucks[f"exrate_lag{i}"]["coef"] for i in range(5))
    assert lags == pytest.approx(trucks["exrate_sum"]["coef"], abs=1e-12)


def test_missing_env_var_is_actionable(monkeypatch):
    monkeypatch.delenv(vf.ENV_VAR, raising=False)
    with pytest.raises(FileNotFoundError, match=vf.ENV_VAR):
        vf.feenstra_dir()


def test_almon_lincom_simulated():
    """SIMULATED: lincom of the Almon terms recovers the implied lag weights."""
    rng = np.random.default_rng(1989)
    x = rng.normal(size=(60, 5))
    i = np.arange(5)
    lag0, lag1, lag2 = x.sum(1), (x * i).sum(1), (x * i**2).sum(1)
    a, b, c = 0.3, -0.1, 0.01  # beta_i = a + b i + c i^2
    y = a * lag0 + b * lag1 + c * lag2 + rng.normal(scale=1e-9, size=60)
    X = pd.DataFrame({"lag0": lag0, "lag1": lag1, "lag2": lag2, "const": 1.0})
    res = sm.OLS(y, X).fit()
    eff, _ = vf._lincom(res, ["lag0", "lag1", "lag2"], [5.0, 10.0, 30.0])
    assert eff == pytest.approx(sum(a + b * k + c * k * k for k in i), abs=1e-6)
