"""The literature comparison table.

Every published figure must be cited by the table and column it is printed in; a row without
that citation is refused. The rows used to test placement and conventions below are SIMULATED
(made-up studies and numbers), as are our KOR/JPN values.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from autotariffs.report import literature as lit

OURS = {  # SIMULATED placeholder values, not estimates; gamma = ex-tariff price response
    "KOR": {"elasticity": -1.1, "gamma": -0.45},
    "JPN": {"elasticity": -0.4, "gamma": -0.95},
}
BOTH = ("KOR", "JPN")
SIM_ROWS = (  # SIMULATED studies: only the shape of a row is real
    lit.Row("Sim A (2020)", "sim episode", "import demand elasticity", -0.8, "", "elasticity",
            BOTH, "Same object.", "Sim. J. 1(1)", "Table 2", "column (3)"),
    lit.Row("Sim A (2020)", "sim episode", "pass-through to duty-inclusive prices", 0.9, "",
            "passthrough", BOTH, "Same object.", "Sim. J. 1(1)", "Table 3", "column (1)"),
    lit.Row("Sim B (2021)", "sim episode", "exporter (ex-tariff) price coefficient", -0.2, "",
            "exporter_price", ("JPN",), "Converted.", "Sim. J. 2(1)", "Appendix Table A4",
            "column 2"),
    lit.Row("Sim C (2022)", "sim episode", "retail pass-through", 0.2, "", None, (),
            "Retail: not comparable.", "Sim. J. 3(1)", "Table 1", "column (5)"),
)  # fmt: skip


@pytest.fixture(scope="module")
def tab() -> pd.DataFrame:
    return lit.literature_table(OURS, rows=SIM_ROWS)


def _row(tab: pd.DataFrame, study: str, obj: str) -> pd.Series:
    hit = tab[tab["study"].str.contains(study, regex=False) & tab["object"].str.contains(obj)]
    assert len(hit) == 1, (study, obj, hit)
    return hit.iloc[0]


def test_columns():
    assert list(lit.literature_table().columns) == [
        "study", "episode", "object", "convention", "published", "published_range",
        "ours_KOR", "ours_JPN", "comparable_how", "source", "table", "column",
    ]  # fmt: skip


def test_every_published_figure_is_cited_by_table_and_column():
    """The report's rows: each names a table and a column of its source (none recalled)."""
    for row in lit.ROWS:
        lit.check_citation(row)
        assert row.table.strip().startswith(("Table", "Appendix Table")), row
        assert row.column.strip(), row
        assert "memory" not in row.source and "secondary" not in row.source, row
    tab = lit.literature_table(OURS)
    assert len(tab) == len(lit.ROWS)
    assert (tab["table"].str.len() > 0).all() and (tab["column"].str.len() > 0).all()


@pytest.mark.parametrize("table, column", [("", "column (2)"), ("Table 2", ""),
                                           ("abstract", "n/a"), ("p. 12", "column (1)")])
def test_a_row_without_table_and_column_is_refused(table, column):
    bad = lit.Row("Sim D (2023)", "sim", "an elasticity recalled from memory", -1.0, "",
                  "elasticity", BOTH, "Same object.", "Sim. J. 4(1)", table, column)
    with pytest.raises(ValueError, match="cite the table and column"):
        lit.literature_table(OURS, rows=(*SIM_ROWS, bad))


def test_our_values_placed(tab):
    # gamma -0.45 (KOR) and -0.95 (JPN) are pass-through 0.55 and 0.05
    r = _row(tab, "Sim A", "pass-through")
    assert r.ours_KOR == pytest.approx(0.55) and r.ours_JPN == pytest.approx(0.05)
    r = _row(tab, "Sim A", "elasticity")
    assert r.ours_KOR == -1.1 and r.ours_JPN == -0.4
    # a converted exporter-price row, only for the origin it concerns
    r = _row(tab, "Sim B", "exporter")
    assert r.published == pytest.approx(1 - 0.2) and "as pass-through (1 + -0.200)" in r.object
    assert r.ours_JPN == pytest.approx(0.05) and math.isnan(r.ours_KOR)
    # not comparable: retail pass-through
    r = _row(tab, "Sim C", "retail")
    assert math.isnan(r.ours_KOR) and math.isnan(r.ours_JPN)
    assert r.convention.startswith("as stated")


def test_without_ours_and_partial_ours():
    empty = lit.literature_table(rows=SIM_ROWS)
    assert empty[["ours_KOR", "ours_JPN"]].isna().all().all()
    part = lit.literature_table({"JPN": {"gamma": -0.8}}, rows=SIM_ROWS)
    assert part["ours_KOR"].isna().all()
    assert _row(part, "Sim A", "pass-through").ours_JPN == pytest.approx(0.2)
    assert np.isnan(_row(part, "Sim A", "elasticity").ours_JPN)  # no JPN elasticity given
    # placing ours never changes the published columns
    cols = ["study", "object", "published", "published_range", "source", "table", "column"]
    pd.testing.assert_frame_equal(empty[cols], part[cols])


@pytest.mark.parametrize(
    "bad, msg",
    [({"CHN": {"elasticity": 1.0}}, "unknown origin"),
     ({"KOR": {"sigma": 1.0}}, "unknown key"),
     ({"KOR": {"elasticity": "big"}}, "not a number"),
     ({"KOR": {"gamma": float("nan")}}, "not finite"),
     ({"KOR": {"passthrough": 0.5}}, "unknown key")],
)  # fmt: skip
def test_bad_ours_rejected(bad, msg):
    with pytest.raises(ValueError, match=msg):
        lit.literature_table(bad, rows=SIM_ROWS)


def test_known_gamma_every_derived_cell_in_one_convention():
    """Feed a known gamma and check every cell: price rows hold 1 + gamma, elasticity rows the
    elasticity, nothing else is filled."""
    g_kor, g_jpn = 0.183, -0.725
    tab = lit.literature_table({"KOR": {"gamma": g_kor, "elasticity": -2.0},
                                "JPN": {"gamma": g_jpn, "elasticity": 0.85}}, rows=SIM_ROWS)
    for _, r in tab.iterrows():
        for col, g, e in (("ours_KOR", g_kor, -2.0), ("ours_JPN", g_jpn, 0.85)):
            v = r[col]
            if math.isnan(v):
                continue
            if r["convention"].startswith("pass-through"):
                assert v == pytest.approx(1 + g), (r["object"], col)
            else:
                assert r["convention"].startswith("elasticity") and v == e, (r["object"], col)
    assert not (tab[["ours_KOR", "ours_JPN"]] == -1.725).any().any()


def test_ours_from_results_keeps_gamma_as_gamma():
    """Results hold gamma (ex-tariff response); the table shows 1 + gamma in price rows."""
    results = {  # SIMULATED results.json fragment
        "JPN": {"sensitivity": {"curve": [
            {"content_share": 0.4, "elasticity_q": 9.0, "gamma": 9.0},
            {"content_share": 0.5, "elasticity_q": 0.85, "gamma": -0.725}]}},
        "KOR": {"sensitivity": {"curve": [
            {"content_share": 0.5, "elasticity_q": -2.0, "gamma": 0.183}]}},
    }
    ours = lit.ours_from_results(results)
    assert ours == {"JPN": {"elasticity": 0.85, "gamma": -0.725},
                    "KOR": {"elasticity": -2.0, "gamma": 0.183}}
    tab = lit.literature_table(ours, rows=SIM_ROWS)
    ex = tab[tab["object"].str.contains("as pass-through")]
    assert np.allclose(ex["ours_JPN"].dropna(), 0.275)


def test_deterministic():
    pd.testing.assert_frame_equal(lit.literature_table(OURS, rows=SIM_ROWS),
                                  lit.literature_table(OURS, rows=SIM_ROWS))
