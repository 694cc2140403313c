"""The one place for printed names and numbers (``autotariffs.labels``): its rules, worked by hand."""

from __future__ import annotations

import pytest

from autotariffs import design, labels
from autotariffs.report.narrative import Quote


def test_number_rule():
    assert labels.fmt_num(-1.23456) == "-1.235"
    assert labels.fmt_num(0.4) == "0.400"
    # integers as integers (the validation count was printed "148.000")
    assert labels.fmt_num(3) == "3"
    assert labels.fmt_num(148, "validation.n_matched") == "148"
    # four digits as written (years, short counts); from 10,000 with separators
    assert labels.fmt_num(3506) == "3506" and labels.fmt_num(2024) == "2024"
    assert labels.fmt_num(1408280) == "1,408,280"
    assert labels.fmt_num(40765669520.0) == "40,765,669,520"  # was printed 40765669520.000
    assert labels.fmt_num(-12345.678) == "-12,346"
    assert labels.fmt_num(38.0, "KOR.reduced_form.ln_q.n_pre") == "38"  # count key
    assert labels.fmt_num(38.5, "x.n_pre") == "38.500"  # not an integer: kept
    assert labels.fmt_num(38.0, "x.coef") == "38.000"  # estimate: 3 decimals
    # p-values: '< 0.001' or 3 decimals, recognised from the last key part
    assert labels.fmt_num(0.0004, "KOR.reduced_form.ln_q.p_conformal") == "< 0.001"
    assert labels.fmt_num(0.001, "a.p") == "0.001"
    assert labels.fmt_num(0.02380952381, "a.min_p_placebo") == "0.024"
    assert labels.fmt_num(5.12e-05, "p_crv1") == "< 0.001"  # a table column
    assert labels.fmt_num(0.0004, "a.coef") == "0.000"  # not a p-value
    assert labels.fmt_num(0.0004, "a.pct") == "0.000"  # 'pct' is not 'p_...'
    assert labels.fmt_num(None) == "n/a"
    assert labels.fmt_num(float("nan")) == "n/a"
    assert labels.fmt_num(True) == "n/a"


@pytest.mark.parametrize("text, key, shown", [
    ("2024", "period", "2024"), ("1408280", "b_value", "1,408,280"),
    ("4.076566952e+10", "a_value", "40,765,669,520"), ("12.5", "rate", "12.5"),
    ("2.4190001", "rate", "2.419"), ("-2.717318532", "pct_diff", "-2.717"),
    ("5.12e-05", "p_crv1", "< 0.001"), ("0.994", "p_wild", "0.994"),
    ("KOR", "origin", None), ("2024-01", "month", None), ("", "x", None),
])  # fmt: skip
def test_numbers_written_as_text(text, key, shown):
    assert labels.fmt_text_number(text, key) == shown


@pytest.mark.parametrize("p", [None, 0.0, 0.0004, 0.000999, 0.001, 0.0238095, 0.5, 0.9999, 1.0])
def test_one_p_value_formatter_prints_what_the_others_print(p):
    """The narrative's p-values (Quote format "p") print what the one formatter prints."""
    if p is None:
        assert labels.fmt_p(p) == "n/a"
    else:
        assert Quote.render(p, "p") == labels.fmt_p(p)


def test_names_and_order():
    assert labels.origin_name("KOR") == "Korea" and labels.origin_name("XXX") == "XXX"
    codes = ["MEX", "JPN", "DEU", "KOR", "CAN"]
    assert labels.in_design_order(codes)[: len(design.TREATED)] == list(design.TREATED)
    assert labels.in_design_order(codes)[len(design.TREATED):] == ["CAN", "DEU", "MEX"]
    assert labels.outcome_label("ln_uv (pass-through)") == (
        "log ex-tariff unit value (CIF-type) (pass-through)")
    assert labels.column_label("pct_diff") == "difference (%)"
    assert labels.column_label("ours_KOR") == "ours: Korea"
    assert labels.column_label("some_new_col") == "some new col"
