"""Descriptive figures on a small hand-made (SIMULATED) panel; expected values computed by hand."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from autotariffs.figures import descriptives as D
from autotariffs.report import html as report

MONTHS = pd.date_range("2024-11-01", "2025-07-01", freq="MS")  # 9 months, covers 2025-04-03


def sim_panel() -> pd.DataFrame:
    """SIMULATED: KOR 2.0bn USD & 80k vehicles (USD 25k each); JPN 3.0bn & 100k (USD 30k)."""
    rows = []
    for m in MONTHS:
        rows.append({"origin": "KOR", "month": m, "value_usd": 2.0e9, "quantity": 80_000.0})
        rows.append(
            {
                "origin": "JPN",
                "month": m,
                "value_usd": 3.0e9,
                "quantity": 100_000.0,
                "mirror_v": 2.5e9,
                "mirror_q": 95_000.0,
            }
        )
    df = pd.DataFrame(rows)
    df["uv"] = df["value_usd"] / df["quantity"]
    return df


def lines_by_label(ax) -> dict[str, plt.Line2D]:
    return {ln.get_label(): ln for ln in ax.get_lines() if not ln.get_label().startswith("_")}


def event_xs(ax) -> list[float]:
    """x positions of vertical lines (axvline: two identical x values)."""
    out = []
    for ln in ax.get_lines():
        x = np.asarray(ln.get_xdata(), dtype=float)
        if ln.get_label().startswith("_") and len(x) == 2 and x[0] == x[1]:
            out.append(float(x[0]))
    return sorted(out)


def test_imports_by_origin_values_units_styles():
    fig = D.fig_imports_by_origin(sim_panel())
    ax_v, ax_q = fig.axes[:2]
    assert "USD bn" in ax_v.get_ylabel() and "thousand vehicles" in ax_q.get_ylabel()
    lv, lq = lines_by_label(ax_v), lines_by_label(ax_q)
    assert set(lv) == {"Korea", "Japan"}
    np.testing.assert_allclose(lv["Korea"].get_ydata(), 2.0)  # 2.0e9 USD -> 2.0 bn
    np.testing.assert_allclose(lq["Japan"].get_ydata(), 100.0)  # 100,000 -> 100 thousand
    # readable in greyscale: each origin differs in line style AND marker
    kor, jpn = lv["Korea"], lv["Japan"]
    assert kor.get_linestyle() != jpn.get_linestyle() and kor.get_marker() != jpn.get_marker()
    # the tariff date is marked; later deals (after 2025-07) are not drawn
    assert event_xs(ax_v) == [mdates.date2num(pd.Timestamp("2025-04-03"))]
    plt.close(fig)


def test_unit_values_recomputed_in_thousands():
    fig = D.fig_unit_values(sim_panel())
    ax = fig.axes[0]
    assert "USD thousand per vehicle" in ax.get_ylabel()
    lines = lines_by_label(ax)
    np.testing.assert_allclose(lines["Korea"].get_ydata(), 25.0)  # 2e9 / 80k = 25,000 USD
    np.testing.assert_allclose(lines["Japan"].get_ydata(), 30.0)
    plt.close(fig)


def test_unit_value_column_in_wrong_units_is_rejected():
    df = sim_panel()
    df.loc[df["origin"] == "KOR", "uv"] = 25.0  # in thousands: inconsistent with value/quantity
    with pytest.raises(D.FigureDataError, match=r"'uv' must equal value_usd / quantity") as err:
        D.fig_unit_values(df)
    assert "KOR" in str(err.value) and "9 row(s)" in str(err.value)


def test_hs10_rows_are_summed_per_origin_month():
    df = sim_panel()[["origin", "month", "value_usd", "quantity"]]
    halves = pd.concat([df.assign(hs_code="8703230000"), df.assign(hs_code="8703240000")])
    fig = D.fig_unit_values(halves)  # uv column absent: recomputed from the sums
    np.testing.assert_allclose(lines_by_label(fig.axes[0])["Korea"].get_ydata(), 25.0)
    plt.close(fig)
    fig = D.fig_imports_by_origin(halves)
    np.testing.assert_allclose(lines_by_label(fig.axes[0])["Korea"].get_ydata(), 4.0)
    plt.close(fig)


def test_duplicate_and_missing_columns_are_errors():
    df = sim_panel()
    with pytest.raises(D.FigureDataError, match="duplicates"):
        D.fig_imports_by_origin(pd.concat([df, df.head(1)]))
    with pytest.raises(D.FigureDataError, match=r"lacks column\(s\) \['quantity'\]"):
        D.fig_imports_by_origin(df.drop(columns="quantity"))


@pytest.mark.parametrize(
    "names", [("mirror_v", "mirror_q"), ("mirror_value_usd", "mirror_quantity")]
)
def test_mirror(names):
    df = sim_panel().rename(columns={"mirror_v": names[0], "mirror_q": names[1]})
    fig = D.fig_mirror(df)
    ax, ax_r = fig.axes[:2]
    lines = lines_by_label(ax)
    np.testing.assert_allclose(lines["US-reported imports from Japan"].get_ydata(), 3.0)
    np.testing.assert_allclose(lines["Japan-reported exports to the US"].get_ydata(), 2.5)
    ratio = lines_by_label(ax_r)
    np.testing.assert_allclose(ratio["monthly"].get_ydata(), 1.2)  # 3.0 / 2.5
    r3 = np.asarray(ratio["3-month sums"].get_ydata(), dtype=float)
    assert np.isnan(r3[:2]).all()
    np.testing.assert_allclose(r3[2:], 1.2)
    assert "USD bn" in ax.get_ylabel()
    plt.close(fig)


def test_mirror_origin_comes_from_the_data():
    """The mirror figure draws whichever origin the panel has a mirror series for (none: error)."""
    df = sim_panel()
    with pytest.raises(D.FigureDataError, match="expected one origin with a mirror series"):
        D.fig_mirror(df[df["origin"] == "KOR"])
    moved = df.assign(origin=df["origin"].replace({"JPN": "DEU", "DEU": "JPN"}))
    assert D.mirror_origin(moved) == "DEU"
    fig = D.fig_mirror(moved)
    assert "US-reported imports from Germany" in lines_by_label(fig.axes[0])
    plt.close(fig)


def test_save_descriptives_feeds_the_report(tmp_path):
    raw = tmp_path / "raw"
    (raw / "trade").mkdir(parents=True)
    (raw / "trade" / "x.csv").write_text("a\n1\n")
    (raw / "SHA256SUMS").write_text(f"{'0' * 64}  trade/x.csv\n")  # content not checked here
    rep = tmp_path / "reports"
    out = D.save_descriptives(sim_panel(), "02_descriptives", figures_dir=rep / "figures")
    assert sorted(out) == ["desc_imports_by_origin", "desc_mirror_japan", "desc_unit_values"]
    for paths in out.values():
        assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "pdf" not in paths  # PDFs are made on demand (tests/figures/test_figure_files.py)
    report.build_report(rep, raw, commit="abc")
    html = (rep / "index.html").read_text()
    for fig_id in out:
        assert f'src="figures/{fig_id}.png"' in html
    assert "Figure 3. Ex-tariff unit values by origin." in html
