"""The findings text, sentence by sentence, from a small hand-made results tree.

Why: README and the report open with these sentences; a wrong verb ("rose" for "fell"), a
swapped bound, a lost clause or an edited caveat would reach readers with every number still
tied to its key (tests/report/test_findings_numbers.py checks the keys, not the words). The tree
below has round values chosen so that each printed number is worked out by hand in the comment
beside it (percent = 100 (e^v - 1); e.g. log 0.5 prints as -50%), and each expected sentence is
written out in full. Three origins cover the three interval states: Korea's interval is bounded,
Japan's 95% set is empty (min p = 0.05), the United Kingdom's is unattainable (min p = 0.10).
"""

from __future__ import annotations

import copy
import json
import math

import pytest

from autotariffs.report import narrative
from autotariffs.report.narrative import Quote, Sentence, Writer

M = narrative.MINUS
HALF, TEN_UP = math.log(0.5), math.log(1.1)  # -50% and +10%; as log points -0.693 and +0.095


def tree() -> dict:
    sim_rows = [
        {"dgp": "calibrated", "design": "level", "method": "conformal", "effect": 0.0,
         "reject": 0.25, "bias": 0.3214},
        # decoys: the wrong method and the wrong DGP for the chosen design
        {"dgp": "calibrated", "design": "trend", "method": "placebo", "effect": 0.0,
         "reject": 0.9, "bias": 0.0},
        {"dgp": "calibrated", "design": "trend", "method": "conformal", "effect": 0.0,
         "reject": 0.05, "bias": 0.01},
        {"dgp": "calibrated", "design": "trend", "method": "conformal", "effect": -0.2,
         "reject": 0.6, "bias": 0.0},
        {"dgp": "no drift", "design": "trend", "method": "conformal", "effect": 0.0,
         "reject": 0.8, "bias": 0.0},
    ]
    return {
        "KOR": {
            "window": {"controls": ["MEX", "CAN"], "post_end": "2025-07", "post_len": 4,
                       "pre_start": "2021-01", "pre_end": "2025-02"},
            "headline": {"coef": -0.25, "pct": -22.1, "ci95_low": HALF, "ci95_high": TEN_UP,
                         "p": 0.04, "min_p": 0.01, "outcome": "ln_q", "design": "trend",
                         "n_post": 4, "post_months": ["2025-04", "2025-07"],
                         "breakdown": 0.0123, "breakdown_identified": 0.03,
                         "deviation_at_breakdown_identified": 0.4},
            "designs": {
                # misfit: |p_peak - coef| = 0.25 > width / 4 = 0.2
                "level": {"ln_q": {"coef": -0.5, "ci95_low": -0.9, "ci95_high": -0.1,
                                   "p": 0.0004, "p_peak": -0.75}},
                "yoy": {"ln_q": {"coef": -0.1, "pct": -9.52, "p": 0.3}},
                # not a misfit: 0.01 < 0.788 / 4
                "trend": {"ln_q": {"coef": -0.25, "ci95_low": HALF, "ci95_high": TEN_UP,
                                   "p": 0.04, "p_peak": -0.26},
                          "ln_uv": {"coef": -0.031, "p": 0.5}},
            },
            "placebos": {"level": {"ln_q": {"mean": 0.0104, "n": 30, "centred": True}},
                         "trend": {"ln_q": {"mean": 0.0412, "n": 12, "centred": False}}},
            "pretrend": {"ln_q": {"slope_per_year": 0.1357, "se": 0.0189, "p": 1e-7}},
            "simulation": {"ln_q": {"chosen": "trend", "n_draws": 1000, "rows": sim_rows}},
            "sensitivity": {"min_gap": 0.02, "curve": [
                {"content_share": 0.2, "elasticity_q": -9.0, "gamma": -0.9},  # below 0.3
                {"content_share": 0.3, "elasticity_q": -1.25, "gamma": -0.05},
                {"content_share": 0.5, "elasticity_q": -1.5, "gamma": -0.1},
                {"content_share": 0.7, "elasticity_q": -2.0, "gamma": -0.15},
                {"content_share": 0.8, "elasticity_q": -3.0, "gamma": -0.3},  # above 0.7
                {"content_share": 0.9, "elasticity_q": None, "gamma": None},
            ]},
            "deal_cut": {"coef": -0.1234, "controls": ["DEU", "MEX"],
                         "post_months": ["2025-11", "2026-02"],
                         "pre_months": ["2025-04", "2025-10"], "p_conformal": 0.25,
                         "n_perm": 12, "min_p_conformal": 0.0833, "signs_agree": False,
                         "variant_low": -0.2, "variant_high": 0.05,
                         "step": {"n_pre": 6, "coef": -0.3, "p_conformal": 0.1429,
                                  "min_p_conformal": 0.1429}},
        },
        "JPN": {
            "window": {"controls": ["CAN"]},
            "headline": {"coef": 0.05, "pct": 5.1, "ci95_low": None, "ci95_high": None,
                         "p": 0.05, "min_p": 0.05, "outcome": "ln_v", "design": "yoy",
                         "post_months": ["2025-04", "2025-08"], "breakdown": None,
                         "breakdown_identified": 0.0051,
                         "deviation_at_breakdown_identified": 0.123},
            "designs": {"yoy": {"ln_uv": {"coef": -0.0456, "p": 0.0123}}},
            "placebos": {"yoy": {"ln_v": {"mean": -0.2, "n": 9, "centred": True}}},
            "export_prices": {
                "average_key": "apr_jun",
                "apr_jun": {"months": ["2025-04", "2025-06"], "uv_usd_yoy_pct": -16.6,
                            "ci95_low": math.log(0.75), "ci95_high": math.log(0.9),
                            "p": 0.023, "currency": "JPY", "min_p": 0.025},
                "2025_04": {"uv_usd_yoy_pct": -8.81, "uv_jpy_yoy_pct": -14.59, "p": 0.31},
                "2025_05": {"uv_usd_yoy_pct": -15.4, "uv_jpy_yoy_pct": -21.37, "p": 0.05},
                "2025_06": {"uv_usd_yoy_pct": -21.88, "uv_jpy_yoy_pct": -28.5, "p": 0.026},
                "2025_07": {"uv_usd_yoy_pct": -2.04, "uv_jpy_yoy_pct": 1.26, "p": 0.3},
                "2025_08": {"uv_usd_yoy_pct": -10.0, "uv_jpy_yoy_pct": -12.0, "p": 0.05},
                "2025_09": {"uv_usd_yoy_pct": -12.34, "uv_jpy_yoy_pct": -13.0, "p": 0.01},
            },
            "deal_coverage": {"last_month": "2025-09", "post_deal_days_observed": 15,
                              "deal_date": "2025-09-16"},
        },
        "GBR": {"headline": {"coef": -0.1, "pct": -9.52, "p": 0.2, "min_p": 0.1,
                             "outcome": "ln_q", "design": "level"}},
        "DEU": {"window": {"controls": ["MEX"]}},  # no headline: not an origin of the findings
        "anchors": {"boj_export_prices": {"JPN": {"contract_currency": {
            "2025_06": -19.44, "2025_03": -1.5, "2025_05": -18.9}}}},
        "import_prices": {"hs8703": {"change_since_2025_03": -3.64, "trough_change": -4.09,
                                     "trough_month": "2025-11", "last_month": "2026-07",
                                     "base_month": "2025-03"}},
        "pooled": {"elasticity_q_d12": {"n_clusters": 40, "coef": -1.234, "p_wild": 0.0321,
                                        "n_boot": 9999, "p_ri": 0.0456, "n_assignments": 720,
                                        "min_p_ri": 0.0014}},
        "exposure": {
            "CAN": {"cs50": {"first_month": "2025-05", "last_month": "2026-02",
                             "claim_share_mean": 0.9873, "observed_rate_pct": 12.69,
                             "content_share": 0.5, "assumed_rate_pct": 12.5}},
            "MEX": {"cs50": {"claim_share_mean": 0.9012, "observed_rate_pct": 13.73}},
        },
        "h1_2026": {
            "KOR": {"value_bn": 15.66, "change_vs_h1_2024_pct": -23.04,
                    "relative_to_controls": -0.0113, "own_exports_bn": 15.5104},
            "JPN": {"value_bn": 17.61, "change_vs_h1_2024_pct": -12.77},
            "MEX": {"change_vs_h1_2024_pct": 5.7},
            "CAN": {"value_bn": 11.4},
            "_note": {"controls": ["MEX", "CAN"]},
        },
    }


# ---------------------------------------------------------------- the plain answer
HOW_MUCH = (
    "How much imports fell: relative to Mexico and Canada, in the 4 months 2025-04 to 2025-07, "
    f"US car imports from Korea fell by 22% (95% conformal interval {M}50% to +10%, p = 0.040), "
    f"or {M}10% against the same months a year before; those from Japan rose by 5% (but no "
    "constant change fits its post months: the 95% conformal set is empty); those from United "
    "Kingdom fell by 10% (p = 0.200; too few months for a 95% interval). Design: level and "
    "trend-adjusted and year on year, chosen for each origin by a simulation calibrated to its "
    "data, under a rule fixed before the estimates were read; intervals by conformal inference "
    "for one treated origin.")
WHO_PAID = (
    "Who paid: Japan's carmakers cut the dollar price of the cars they shipped to the US: the "
    "FOB unit value of Japan-reported car exports to the US fell 17% year on year in 2025-04 to "
    f"2025-06 (95% conformal interval {M}25% to {M}10%, conformal p = 0.023), as the Bank of "
    f"Japan's export price index for cars to North America did ({M}18.9% and {M}19.4% in "
    "2025-05 and 2025-06), unlike foreign exporters in 2018, who passed the US tariffs on in "
    "full (Amiti, Redding and Weinstein 2019; Fajgelbaum et al. 2020); across all origins, US "
    "import prices of cars before duty (BLS) fell only 4.1% by 2025-11 and 3.6% by 2026-07, so "
    "on average most of the duty was not absorbed abroad but paid by US importers, often the "
    "carmakers' own US subsidiaries.")
HOW_SURE = (
    "How sure we are: for Korea, the 95% interval excludes no change unless the trend's slope "
    "may bend by more than 0.012 log points a month, every month; its in-time placebos before "
    "the tariff average +0.04, not zero; for Japan, not sure: no constant change fits, and the "
    "estimate itself rests on the baseline trend continuing: it vanishes if that trend's slope "
    "may bend by 0.005 log points a month, every month (0.12 by 2025-08); for United Kingdom, "
    "not sure: too few months. The firmest finding is Japan's export price cut: in each month "
    "of 2025-05 to 2025-06 its year-on-year change lies beyond every baseline month "
    "(p = 0.050), and a matched-model index agrees.")


def texts(sentences: list[Sentence]) -> list[str]:
    return [s.text for s in sentences]


def test_plain_answer_sentence_by_sentence():
    assert texts(narrative.plain_answer(tree())) == [HOW_MUCH, WHO_PAID, HOW_SURE]


def test_plain_answer_quotes_each_number_under_its_own_key():
    first = narrative.plain_answer(tree())[0]
    assert [(q.key, q.text) for q in first.quotes] == [
        ("KOR.headline.n_post", "4"), ("KOR.headline.pct", "22"),
        ("KOR.headline.ci95_low", f"{M}50"), ("KOR.headline.ci95_high", "+10"),
        ("KOR.headline.p", "0.040"), ("KOR.designs.yoy.ln_q.pct", f"{M}10"),
        ("JPN.headline.pct", "5"), ("GBR.headline.pct", "10"), ("GBR.headline.p", "0.200")]


def test_a_bounded_interval_without_a_breakdown_says_not_sure():
    t = tree()
    t["KOR"]["headline"]["breakdown"] = 0.0
    del t["JPN"], t["GBR"]
    sure = narrative.plain_answer(t)[-1].text
    assert sure == (
        "How sure we are: for Korea, not sure: the 95% interval includes no change, and the "
        "estimate itself rests on the baseline trend continuing: it vanishes if that trend's "
        "slope may bend by 0.030 log points a month, every month (0.40 by 2025-07); its "
        "in-time placebos before the tariff average +0.04, not zero.")


def test_without_prices_or_origins_the_answer_is_shorter():
    t = tree()
    del t["JPN"]["export_prices"], t["import_prices"]
    assert [s.text.split(":")[0] for s in narrative.plain_answer(t)] == [
        "How much imports fell", "How sure we are"]
    t = tree()
    for o in ("KOR", "JPN", "GBR"):
        del t[o]
    assert narrative.plain_answer(t) == []


def test_who_paid_without_the_anchor_months_leaves_them_out():
    t = tree()
    del t["anchors"]["boj_export_prices"]["JPN"]["contract_currency"]["2025_06"]
    paid = narrative.plain_answer(t)[1].text
    assert "Bank of Japan" not in paid
    assert "conformal p = 0.023), unlike foreign exporters" in paid


# ---------------------------------------------------------------- the longer findings
GENERAL = [
    "The monthly US series end in 2025-07, so the post-tariff window has 4 months. Each treated "
    "origin is compared with Mexico and Canada, which paid the Section 232 duty too, but only on "
    "non-US content: how much they paid depends on a content share the data do not give.",
    "With one treated origin, cluster-robust standard errors and the wild cluster bootstrap are "
    "not valid (Conley & Taber 2011; MacKinnon & Webb 2017): the treated origin's cluster score "
    "is zero once month effects are in. Every interval here uses the time dimension instead: "
    "conformal inference (Chernozhukov, Wüthrich & Zhu 2021) and in-time placebos; the "
    "cluster-robust intervals are in an appendix table, marked invalid.",
    "The US-side unit value is Comtrade's CIF-type import value (freight included) per vehicle, "
    "before duty: it mixes price and model changes, and a border price is not a retail price (a "
    "lower value can reflect transfer-price cuts to the exporters' own US subsidiaries). The "
    "2022 monthly quantities are Comtrade estimates and are left out of every quantity-based "
    "estimate.",
]
KOREA = [
    "Look first (log vehicles): the gap between Korea and Mexico and Canada moved by +0.136 log "
    "points a year over the baseline (2021-01 to 2025-02; trend and month-of-year regression, "
    "Newey-West SE 0.019, p < 0.001).",
    f"What each design says (log vehicles): level {M}0.500 [{M}0.900, {M}0.100], p < 0.001, "
    f"but its p-value function peaks at {M}0.750, away from the estimate: the counterfactual "
    "fits the post months poorly (placebo mean +0.010 over 30, centred); year on year "
    f"{M}0.100, p = 0.300; trend-adjusted {M}0.250 [{M}0.693, +0.095], p = 0.040 (placebo mean "
    "+0.041 over 12, not centred). Intervals and p: conformal inference with each design's own "
    "counterfactual; placebo ranks are valid only where the placebos are centred.",
    "The calibrated simulation (1000 draws) chose the trend-adjusted design: its conformal test "
    f"rejects a true null in 5.0% of draws and detects an effect of {M}0.2 in 60.0%; the level "
    "design's size there is 25.0%, its bias +0.321.",
]
RATIOS = [
    f"Divided by the tariff gap, the vehicle elasticity is {M}1.25 at a USMCA non-US content "
    f"share of 0.3 and {M}2.00 at 0.7; gamma (zero when buyers pay the whole duty, minus one "
    f"when exporters absorb it) is {M}0.05 and {M}0.15. The ratio is only as good as the assumed "
    "exposure of Mexico and Canada, so it is shown as a curve, not as one number.",
    "At content shares from 0.9 the comparison origins were about as exposed as Korea (tariff "
    "gap below 0.02 log points): no ratio is identified.",
]
POOLED = [
    f"Pooled over all 40 origins (12-month differences, vehicles): {M}1.23 per log point of "
    "tariff; wild cluster bootstrap p = 0.032 (9999 Webb draws); randomization p = 0.046 over "
    "the 720 distinct assignments of the origins' tariff paths (smallest attainable 0.001).",
]
DEALS = [
    "Korea's exports to the US relative to Germany, Mexico (Korea-reported, FOB) after the deal "
    f"cut the duty (2025-11 to 2026-02 against 2025-04 to 2025-10): {M}0.123 log points, "
    "conformal p = 0.250 over 12 time permutations (smallest attainable 0.083: no 95% interval "
    "is attainable).",
    "The cut's estimate hangs on the controls and the window: across leave-one-out, "
    "single-destination, rest-of-world, value-weighted controls and an anticipation window that "
    f"leaves out the months after the deal's announcement, it runs from {M}0.200 to +0.050, so "
    "its sign is not robust and no elasticity is read from it.",
    f"The Section 232 step itself has only 6 pre-tariff months in these data: {M}0.300 log "
    "points (conformal p = 0.143, smallest attainable 0.143).",
    "Japan's own export series ends in 2025-09, 15 days after its deal of 2025-09-16: that "
    "cannot identify a response.",
    "Observed USMCA claim shares (2025-05 to 2026-02: Canada 0.987, Mexico 0.901 of customs "
    "value) put the duty on Canadian cars at 12.69% and on Mexican cars at 13.73% for a non-US "
    "content share of 0.5, against 12.50% in the all-claimed schedule; the sensitivity curves "
    "use both.",
]
PRICES = [
    "Japan's FOB unit value on cars exported to the US, year on year (USD; local currency in "
    f"brackets): 2025-04 {M}8.8% ({M}14.6%), p = 0.310; 2025-05 {M}15.4% ({M}21.4%), p = 0.050; "
    f"2025-06 {M}21.9% ({M}28.5%), p = 0.026; 2025-07 {M}2.0% (+1.3%), p = 0.300; 2025-08 "
    f"{M}10.0% ({M}12.0%), p = 0.050; 2025-09 {M}12.3% ({M}13.0%), p = 0.010. Each month is "
    "compared with the 12-month change of every baseline month by conformal inference; the "
    "smallest attainable p is 0.025.",
    "The Bank of Japan's export price index for passenger cars to North America (contract "
    f"currency, year on year, as reported): 2025-03 {M}1.5%; 2025-05 {M}18.9%; 2025-06 "
    f"{M}19.4%. A matched-model index is not moved by the model mix, so its agreement with the "
    "unit value says the fall is a price cut.",
    f"At the US border, Japan's CIF-type unit value relative to Canada moved by {M}0.046 log "
    "points (year on year design, conformal p = 0.012), a mix of price and model changes.",
    "The BLS import price index for cars (all origins, before duty) fell 4.09% from 2025-03 to "
    "2025-11 and stood 3.64% below its 2025-03 level in 2026-07.",
]
H1 = [
    f"January-June 2026, with the deals in force, against the same months of 2024 (US imports of "
    f"HS 8703; values only, one period, no inference): Korea US$15.7 bn, {M}23% ({M}0.011 log "
    f"points relative to the comparison origins); Japan US$17.6 bn, {M}13%; Mexico +6%. The 2024 "
    "values are Comtrade's CIF-type imports and the 2026 basis is not stated, so the levels "
    "differ by a few percent.",
    "Korea's own export statistics for the same months give US$15.51 bn against US imports of "
    "US$15.66 bn (FOB against the US value, one month of shipping apart).",
]


def test_identification_notes_topic_by_topic():
    notes = narrative.identification_notes(tree())
    assert list(notes) == [
        "A: what the shipped data can and cannot say",
        "B1: Korea: the gap, the designs and the headline",
        "C1: ratios for Korea depend on the comparison origins' exposure",
        "B2: Japan: the gap, the designs and the headline",
        "B3: United Kingdom: the gap, the designs and the headline",
        "D: pooled estimates over all origins",
        "E: after the deals",
        "F: who paid: prices",
        "G: January-June 2026",
    ]
    got = {k: texts(v) for k, v in notes.items()}
    assert got["A: what the shipped data can and cannot say"] == GENERAL
    assert got["B1: Korea: the gap, the designs and the headline"] == KOREA
    assert got["C1: ratios for Korea depend on the comparison origins' exposure"] == RATIOS
    assert got["B2: Japan: the gap, the designs and the headline"] == []
    assert got["D: pooled estimates over all origins"] == POOLED
    assert got["E: after the deals"] == DEALS
    assert got["F: who paid: prices"] == PRICES
    assert got["G: January-June 2026"] == H1


def test_optional_topics_drop_out_and_signs_that_agree_say_so():
    t = tree()
    t["KOR"]["deal_cut"]["signs_agree"] = True
    for key in ("pooled", "h1_2026", "exposure", "import_prices"):
        del t[key]
    del t["JPN"]["export_prices"], t["JPN"]["deal_coverage"]
    notes = narrative.identification_notes(t)
    assert "D: pooled estimates over all origins" not in notes
    assert "F: who paid: prices" not in notes and "G: January-June 2026" not in notes
    assert texts(notes["E: after the deals"])[1].endswith(
        f"it runs from {M}0.200 to +0.050. Every variant has the same sign.")
    assert len(notes["E: after the deals"]) == 3


def test_the_simulation_sentence_compares_with_level_only_when_another_design_is_chosen():
    t = tree()
    t["KOR"]["simulation"]["ln_q"]["chosen"] = "level"
    t["KOR"]["simulation"]["ln_q"]["rows"].append(
        {"dgp": "calibrated", "design": "level", "method": "conformal", "effect": -0.2,
         "reject": 0.7, "bias": 0.0})
    assert narrative.origin_notes(Writer(t), "KOR")[-1].text == (
        "The calibrated simulation (1000 draws) chose the level design: its conformal test "
        f"rejects a true null in 25.0% of draws and detects an effect of {M}0.2 in 70.0%.")
    t = tree()
    del t["KOR"]["simulation"]["ln_q"]["rows"][0]  # no calibrated level row
    assert narrative.origin_notes(Writer(t), "KOR")[-1].text == (
        "The calibrated simulation (1000 draws) chose the trend-adjusted design: its conformal "
        f"test rejects a true null in 5.0% of draws and detects an effect of {M}0.2 in 60.0%.")


# ---------------------------------------------------------------- the building blocks
@pytest.mark.parametrize(("value", "fmt", "scale", "pct", "absolute", "want"), [
    (-0.25, "+.3f", 1.0, False, False, f"{M}0.250"),
    (0.25, "+.3f", 1.0, False, False, "+0.250"),
    (-0.0004, "+.3f", 1.0, False, False, "0.000"),          # no "-0.000"
    (0.0004, "+.1f", 1.0, False, False, "0.0"),             # no "+0.0"
    (math.log(0.8), "+.0f", 1.0, True, False, f"{M}20"),    # 100 (0.8 - 1)
    (math.log(1.25), ".1f", 1.0, True, False, "25.0"),
    (-0.25, ".1f", 100.0, False, True, "25.0"),             # |-0.25 x 100|
    (-0.25, ".1f", 100.0, False, False, f"{M}25.0"),
    (math.log(0.5), ".0f", 1.0, True, True, "50"),
    (2.6, "d", 1.0, False, False, "3"),
    (-2.6, "d", 1.0, False, False, f"{M}3"),
    (0.0004, "p", 1.0, False, False, "< 0.001"),
    (0.0123, "p", 1.0, False, False, "0.012"),
    (0.1234, ".1%", 1.0, False, False, "12.3%"),
    (-0.04, ".0%", 1.0, False, False, f"{M}4%"),
])
def test_quote_render(value, fmt, scale, pct, absolute, want):
    assert Quote.render(value, fmt, scale, pct, absolute) == want
    q = Quote("a.b", value, fmt, scale, pct, absolute)
    assert q.text == want
    assert q.to_dict() == {"key": "a.b", "text": want, "fmt": fmt, "scale": scale, "pct": pct,
                           "absolute": absolute}


def test_quote_defaults_three_decimals_with_sign():
    assert Quote("k", -1.5).text == f"{M}1.500"


def test_sentence_text_html_and_p_bounds():
    s = Sentence(("a < b & c, p = ", Quote("K.p", 0.0002, "p"), "; x = ",
                  Quote("K.x", -0.5, "+.2f", 2.0, False, True)))
    assert s.text == "a < b & c, p < 0.001; x = +1.00"  # |-0.5 x 2|, signed format
    assert str(s.html()) == (
        'a &lt; b &amp; c, p <span data-key="K.p" data-fmt="p" data-scale="1.0" data-pct="0" '
        'data-abs="0">&lt; 0.001</span>; x = <span data-key="K.x" data-fmt="+.2f" '
        'data-scale="2.0" data-pct="0" data-abs="1">+1.00</span>')
    assert [q.key for q in s.quotes] == ["K.p", "K.x"]
    assert s.to_dict() == {"text": s.text, "numbers": [q.to_dict() for q in s.quotes]}
    # an ordinary p keeps its "=", and a bound after other text is left alone
    assert Sentence(("p = ", Quote("k", 0.2, "p"))).text == "p = 0.200"
    assert Sentence(("p ", Quote("k", 0.0001, "p"))).text == "p < 0.001"
    assert Sentence((Quote("k", 0.0001, "p"), " first")).text == "< 0.001 first"
    pct = Sentence(("up ", Quote("k", math.log(2), "+.0f", pct=True), "%"))
    assert 'data-pct="1"' in str(pct.html()) and pct.text == "up +100%"


def test_get_walks_mappings_and_lists():
    t = {"a": [10, {"b": 2}], "c": {"d": None}}
    assert narrative.get(t, "a.1.b") == 2
    assert narrative.get(t, "a.0") == 10
    assert narrative.get(t, "c.d") is None
    for bad in ("a.2", "a.x", "c.e", "z", "a.0.b"):
        with pytest.raises(KeyError, match=bad.replace(".", r"\.")):
            narrative.get(t, bad)


def test_writer_quotes_only_finite_numbers():
    w = Writer({"a": {"x": 1, "none": None, "flag": True, "nan": float("nan"),
                      "inf": float("inf"), "p": 0.5}})
    assert w.has("a.x") and not w.has("a.none") and not w.has("a.missing")
    assert w.n("a.x") == Quote("a.x", 1.0)
    assert w.p("a.p") == Quote("a.p", 0.5, "p")
    assert w.n("a.x", ".1f", 2.0, True, True) == Quote("a.x", 1.0, ".1f", 2.0, True, True)
    for key in ("a.none", "a.flag", "a.nan", "a.inf"):
        with pytest.raises(ValueError, match=rf"^{key}: no finite number to quote"):
            w.n(key)
    assert w.s("x = ", w.n("a.x")).text == "x = +1.000"


def test_origins_are_the_treated_first_then_by_code():
    t = {"GBR": {"headline": {}}, "AUS": {"headline": {}}, "JPN": {"headline": {}},
         "KOR": {"headline": {}}, "DEU": {"window": {}}, "x": 3}
    assert narrative.origins(t) == ["KOR", "JPN", "AUS", "GBR"]
    assert narrative.name("KOR") == "Korea" and narrative.name("XYZ") == "XYZ"


def test_misfit_needs_a_peak_and_both_bounds():
    b = {"coef": 0.0, "ci95_low": -1.0, "ci95_high": 1.0, "p_peak": 0.6}
    assert narrative.misfit(Writer({"b": b}), "b")          # 0.6 > 2 / 4
    assert not narrative.misfit(Writer({"b": {**b, "p_peak": 0.4}}), "b")
    assert not narrative.misfit(Writer({"b": {**b, "p_peak": -0.4}}), "b")
    assert narrative.misfit(Writer({"b": {**b, "p_peak": -0.6}}), "b")
    for k in ("p_peak", "ci95_low", "ci95_high"):
        assert not narrative.misfit(Writer({"b": {x: v for x, v in b.items() if x != k}}), "b")


def test_findings_markdown_and_files(tmp_path):
    answer = narrative.plain_answer(tree())
    ident = narrative.identification_notes(copy.deepcopy(tree()))
    assert narrative.findings_markdown(answer) == " ".join([HOW_MUCH, WHO_PAID, HOW_SURE])
    written = narrative.write_findings(answer, ident, tmp_path)
    assert written == {"json": tmp_path / "findings.json", "md": tmp_path / "findings.md"}
    assert (tmp_path / "findings.md").read_text(encoding="utf-8") == (
        " ".join([HOW_MUCH, WHO_PAID, HOW_SURE]) + "\n")
    saved = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    assert [s["text"] for s in saved["plain_answer"]] == [HOW_MUCH, WHO_PAID, HOW_SURE]
    assert saved["identification"]["D: pooled estimates over all origins"][0]["numbers"][0] == {
        "key": "pooled.elasticity_q_d12.n_clusters", "text": "40", "fmt": "d", "scale": 1.0,
        "pct": False, "absolute": False}


def test_an_origin_or_design_without_an_estimate_is_skipped_not_the_end():
    t = tree()
    del t["KOR"]["headline"]["coef"]
    assert narrative.how_sure(Writer(t))[0] == "for Japan, "
    t = tree()
    del t["KOR"]["designs"]["yoy"]["ln_q"]["coef"]
    designs = narrative.origin_notes(Writer(t), "KOR")[1].text
    assert "year on year" not in designs
    assert f"p = 0.300; trend-adjusted {M}0.250" not in designs
    assert f"centred); trend-adjusted {M}0.250 [" in designs


def test_interval_state_needs_both_bounds_and_a_zero_change_rose():
    t = tree()
    t["KOR"]["headline"].update(ci95_high=None, coef=0.0, pct=0.0)  # one bound only: no interval
    first = narrative.plain_answer(t)[0].text
    assert "US car imports from Korea rose by 0% (but no constant change fits its post months" in first


def _firm(ps: dict[str, float]) -> str:
    t = tree()
    for m, p in ps.items():
        t["JPN"]["export_prices"][m]["p"] = p
    return narrative.plain_answer(t)[-1].text.split(". The firmest finding is ")[1]


def test_the_firmest_finding_is_the_first_run_of_consecutive_months():
    calm = dict.fromkeys(["2025_04", "2025_05", "2025_06", "2025_07", "2025_08", "2025_09"], 0.3)
    # 2025-05 alone: 2025-07 and 2025-08 are firm but not next to it
    assert _firm({**calm, "2025_05": 0.01, "2025_07": 0.02, "2025_08": 0.02}) == (
        "Japan's export price cut: in each month of 2025-05 its year-on-year change lies beyond "
        "every baseline month (p = 0.010), and a matched-model index agrees.")
    # every firm month consecutive: the run is all of them
    assert _firm({**calm, "2025_06": 0.02, "2025_07": 0.01}).startswith(
        "Japan's export price cut: in each month of 2025-06 to 2025-07 its")
    t = tree()
    for m in calm:
        t["JPN"]["export_prices"][m]["p"] = 0.3
    assert "firmest" not in narrative.plain_answer(t)[-1].text


def test_who_paid_names_every_origin_with_export_prices():
    t = tree()
    t["KOR"]["export_prices"] = copy.deepcopy(t["JPN"]["export_prices"])
    paid = narrative.plain_answer(t)[1].text
    assert paid.startswith("Who paid: Korea's carmakers cut the dollar price")
    assert "; Japan's carmakers cut the dollar price" in paid


def test_sentence_html_leaves_quotes_in_text_alone():
    s = Sentence(("Korea's \"gap\" & ", Quote("k", 1.0, "+.1f")))
    assert str(s.html()) == ('Korea\'s "gap" &amp; <span data-key="k" data-fmt="+.1f" '
                             'data-scale="1.0" data-pct="0" data-abs="0">+1.0</span>')


def test_a_three_month_run_names_its_first_and_last_month():
    calm = dict.fromkeys(["2025_04", "2025_05", "2025_06", "2025_07", "2025_08", "2025_09"], 0.3)
    assert _firm({**calm, "2025_05": 0.01, "2025_06": 0.02, "2025_07": 0.02}).startswith(
        "Japan's export price cut: in each month of 2025-05 to 2025-07 its")


def test_misfit_at_the_quarter_width_boundary():
    b = {"coef": 0.0, "ci95_low": -1.0, "ci95_high": 1.0}
    assert not narrative.misfit(Writer({"b": {**b, "p_peak": 0.5}}), "b")  # exactly a quarter
    assert not narrative.misfit(Writer({"b": {**b, "p_peak": 0.45}}), "b")


def test_origin_notes_skip_a_missing_outcome_and_a_one_sided_interval():
    t = tree()
    t["KOR"]["pretrend"] = {"ln_uv": {"slope_per_year": -0.01, "se": 0.002, "p": 0.5}}
    notes = narrative.origin_notes(Writer(t), "KOR")
    assert notes[0].text.startswith("Look first (log ex-tariff unit value (CIF-type)): the gap")
    assert notes[1].text.startswith(
        f"What each design says (log ex-tariff unit value (CIF-type)): trend-adjusted {M}0.031, "
        "p = 0.500.")
    t = tree()
    del t["KOR"]["designs"]["level"]["ln_q"]["ci95_high"]
    designs = narrative.origin_notes(Writer(t), "KOR")[1].text
    assert designs.startswith(f"What each design says (log vehicles): level {M}0.500, p < 0.001 (")


def test_the_border_sentence_needs_the_headline_design_and_its_unit_value():
    t = tree()
    del t["JPN"]["headline"]["design"]
    assert not any("At the US border" in s.text for s in narrative.price_notes(Writer(t)))
    t = tree()
    del t["JPN"]["designs"]["yoy"]["ln_uv"]
    assert not any("At the US border" in s.text for s in narrative.price_notes(Writer(t)))


def test_quote_render_defaults_and_a_bound_first():
    assert Quote.render(0.5, "+.2f") == "+0.50"  # scale 1, no percent, signed
    assert Quote.render(-0.5, ".1f") == f"{M}0.5"
    assert Sentence((Quote("k", 0.0001, "p"), " and p = ")).text == "< 0.001 and p = "
