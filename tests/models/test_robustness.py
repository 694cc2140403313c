"""The robustness table (05) as built: every row is a different fit.

A referee reading "Poisson PML" beside "Poisson PML with absorbed FE" expects two specifications;
both rows were the same fepois fit (same coefficient, same sample), differing only in the CRV1
small-sample factor. Rows with the same outcome, sample size and coefficient are one fit shown
twice.
"""

from __future__ import annotations

import pandas as pd

from autotariffs import paths


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
