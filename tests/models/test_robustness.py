"""The robustness table (05) as built: every row is a different fit.

A referee reading "Poisson PML" beside "Poisson PML with absorbed FE" expects two specifications;
both rows were the same fepois fit (same coefficient, same sample), differing only in the CRV1
small-sample factor. Rows with the same outcome, sample size and coefficient are one fit shown
twice. The specification list: ids stable under label changes, each spec fitted on its sample.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autotariffs import paths
from autotariffs.models import elasticity as el
from autotariffs.models import robustness as rob


def test_no_fit_is_shown_twice_under_two_labels():
    table = pd.read_csv(paths.TABLES / "robustness.csv")
    assert len(table) > 10, "run make first (05_robustness)"
    key = table.assign(coef=table["coef"].round(10))[["outcome", "n_obs", "coef"]]
    dup = table[key.duplicated(keep=False)]
    assert dup.empty, dup[["check", "variant", "outcome", "coef", "n_obs"]].to_string()


def test_ppml_rows_say_what_was_dropped():
    table = pd.read_csv(paths.TABLES / "robustness.csv")
    ppml = table[table["check"] == "PPML"]
    assert len(ppml) == 2 and set(ppml["outcome"]) == {"quantity", "value_usd"}
    assert ppml["note"].str.contains("dropped: ").all()


# ---- the specification list (models.robustness.specifications) ----------------------------------


def test_ids_are_unique_and_do_not_follow_the_labels():
    """A caption edit or another placebo date must not rename a result."""
    a = rob.specifications(shares=[0.3, 0.7])
    b = rob.specifications(start="2019-01", end="2025-05", placebo_date="2023-10-01",
                           shares=[0.3, 0.7])
    assert len({s.id for s in a}) == len(a) == 24
    assert [s.id for s in a] == [s.id for s in b]
    assert [s.label for s in a] != [s.label for s in b]  # the labels did change
    assert {s.id for s in a} >= {"pooled_ln_q", "placebo_ln_q", "KOR_without_MEX_ln_q",
                                 "usmca_share_30_ln_uv", "ppml_value"}


def test_run_all_fits_each_spec_on_its_own_sample(shipped_panel):
    specs = [rob.Spec("w", "window", "from 2021", "ln_q", rob.Sample("2021-01", "2025-07")),
             rob.Spec("g2", "leave one control out", "KOR vs CAN", "ln_q",
                      rob.Sample("2020-01", "2025-07", origin="KOR", controls=("CAN",)))]
    res = rob.run_all(shipped_panel, specs, n_boot=999, seed=1)
    direct = el.import_demand(shipped_panel, "q", "levels", start="2021-01", end="2025-07",
                              n_boot=999, seed=1, progress=False)
    out = res.to_dict()
    assert out["w"]["coef"] == direct["coef"] and out["w"]["n_obs"] == direct["n_obs"]
    assert out["w"]["p_wild"] == direct["p_wild"]
    # one treated origin against one control: no CRV1 interval or wild p-value is reported
    g2 = out["g2"]
    assert g2["n_clusters"] == 2 and np.isnan(g2["ci95_low"]) and np.isnan(g2["p_wild"])
    assert list(res.table()["variant"]) == ["from 2021", "KOR vs CAN"]


def test_run_all_refuses_duplicate_ids_and_missing_share_panels(shipped_panel):
    s = rob.Spec("x", "window", "a", "ln_q", rob.Sample("2021-01"))
    with pytest.raises(ValueError, match="unique"):
        rob.run_all(shipped_panel, [s, s])
    share = rob.Spec("y", "USMCA content share", "b", "ln_q", rob.Sample("2021-01", panel=0.3))
    with pytest.raises(ValueError, match="no panel 0.3"):
        rob.run_all(shipped_panel, [share])
