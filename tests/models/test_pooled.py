"""The pooled regressions' typed result (models.pooled): what it keeps of an estimator's result,
and the table and results.json block built from it. Hand-written result dicts, not estimates."""

from __future__ import annotations

import math

from autotariffs.models.pooled import LABELS, Pooled, RegressionEstimate

OLS = {"coef": -0.5, "se_crv1": 0.2, "ci95_low": -1.0, "ci95_high": 0.0, "p_crv1": 0.06,
       "p_wild": 0.1, "n_boot": 999, "wild_informative": True, "p_ri": 0.2, "n_perm": 30,
       "n_assignments": 10, "min_p_ri": 0.1, "n_obs": 275, "n_clusters": 5,
       "sample_start": "2020-01", "sample_end": "2025-07", "data_source": "x", "spec": "OLS",
       "notes": ["not kept"], "fe": ["origin"], "t_crv1": -2.5}
PPML = {"coef": 0.3, "ci95_low": -4.0, "ci95_high": 5.0, "p_crv1": 0.87, "p_wild": None,
        "n_boot": 0, "p_ri": None, "n_perm": 0, "n_obs": 335, "n_clusters": 5}


def test_the_estimate_keeps_the_reported_keys_and_its_ri_counts():
    e = RegressionEstimate.of(OLS)
    assert (e.ri.p_ri, e.ri.n_perm, e.ri.n_assignments, e.ri.min_p_ri) == (0.2, 30, 10, 0.1)
    d = e.to_dict()
    assert set(d) == set(OLS) - {"notes", "fe", "t_crv1"}
    assert all(d[k] == OLS[k] for k in d)


def test_numbers_an_estimator_does_not_give_are_none():
    d = RegressionEstimate.of(PPML).to_dict()
    assert d["se_crv1"] is None and d["wild_informative"] is None and d["min_p_ri"] is None
    assert d["p_wild"] is None and d["n_perm"] == 0 and d["coef"] == 0.3


def test_table_rows_follow_the_estimates():
    p = Pooled({"elasticity_q_d12": RegressionEstimate.of(OLS),
                "ppml_value": RegressionEstimate.of(PPML)})
    t = p.table()
    assert list(t["estimate"]) == [LABELS["elasticity_q_d12"], LABELS["ppml_value"]]
    row = t.iloc[0]
    assert (row["wild_draws"], row["ri_distinct_assignments"], row["ri_smallest_p"],
            row["G"], row["N"]) == (999, 10, 0.1, 5, 275)
    assert math.isnan(t.iloc[1]["ri_smallest_p"])  # PPML: no RI
    assert p.to_dict()["ppml_value"]["n_obs"] == 335
