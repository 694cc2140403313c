"""Statutory vs collected duty rates (issue 14, item 3).

Expected values: the statutory rates come from the event table rows KR-10-CAR (25% from
2025-04-03) and KR-30-CAR (15% from 2025-11-01, retroactive); the collected rates are the numbers
printed in the Budget Lab note (read here by eye: Korea 25.0 Aug-Nov 2025, 15.0 from Dec 2025;
Japan 12.5 then 9.6 in Feb-Mar 2026).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from autotariffs import paths
from autotariffs.data.sources.budgetlab import read_collected_note
from autotariffs.errors import SourceFormatError
from autotariffs.figures import save
from autotariffs.figures.tariffs import fig_statutory_vs_collected
from autotariffs.tariffs.collected import COLUMNS, statutory_vs_collected

NOTE = paths.RAW / "tariffs" / "budgetlab_collected_duty_rates_8703_note_2026-06-12.md"


@pytest.fixture(scope="module")
def table(flows, tariff_schedule) -> pd.DataFrame:
    return statutory_vs_collected(flows, tariff_schedule, read_collected_note(NOTE))


def test_note_rates_read():
    n = read_collected_note(NOTE).set_index(["origin", "month"])
    for m in ("2025-08", "2025-09", "2025-10", "2025-11"):
        assert n.loc[("KOR", pd.Timestamp(m + "-01")), "collected_rate_pct"] == 25.0
        assert n.loc[("KOR", pd.Timestamp(m + "-01")), "tracker_statutory_pct"] == 21.3
    for m in ("2025-12", "2026-01", "2026-02", "2026-03"):
        assert n.loc[("KOR", pd.Timestamp(m + "-01")), "collected_rate_pct"] == 15.0
    assert n.loc[("JPN", pd.Timestamp("2026-02-01")), "collected_rate_pct"] == 12.5
    assert n.loc[("JPN", pd.Timestamp("2026-03-01")), "collected_rate_pct"] == 9.6
    assert len(n) == 10


def test_note_changed_text_fails_loudly(tmp_path):
    p = tmp_path / NOTE.name
    p.write_text(NOTE.read_text(encoding="utf-8").replace("rock-steady", "steady"),
                 encoding="utf-8")
    with pytest.raises(SourceFormatError, match="not found"):
        read_collected_note(p)


def test_korea_rows_pinned(table):
    k = table[(table["source"] == "budgetlab_note") & (table["origin"] == "KOR")]
    k = k.set_index(k["period"].dt.strftime("%Y-%m"))
    for m in ("2025-08", "2025-09", "2025-10"):
        assert k.loc[m, "statutory_rate_pct"] == 25.0
        assert k.loc[m, "collected_rate_pct"] == 25.0
        assert k.loc[m, "diff_pp"] == 0.0 and k.loc[m, "explanation"] == ""
    # the retroactive cut: statutory 15 for November, collected 25 -> explained, not silenced
    assert k.loc["2025-11", "statutory_rate_pct"] == 15.0
    assert k.loc["2025-11", "collected_rate_pct"] == 25.0
    assert k.loc["2025-11", "diff_pp"] == 10.0
    assert "retroactive" in k.loc["2025-11", "explanation"]
    assert "refunded" in k.loc["2025-11", "explanation"]
    assert k.loc["2025-12", "statutory_rate_pct"] == 15.0
    assert k.loc["2025-12", "collected_rate_pct"] == 15.0


def test_japan_offset_rows_explained(table):
    j = table[(table["source"] == "budgetlab_note") & (table["origin"] == "JPN")]
    assert (j["statutory_rate_pct"] == 15.0).all()
    assert list(j["collected_rate_pct"]) == [12.5, 9.6]
    assert j["explanation"].str.contains("offset credits").all()


def test_table_has_every_source(table):
    assert list(table.columns) == COLUMNS
    assert set(table["source"]) == {"budgetlab_note", "dataweb_hs2_2024_2025", "census_hs2_m",
                                    "census_naics_m"}
    dw = table[table["source"] == "dataweb_hs2_2024_2025"]
    assert set(dw["origin"]) == {"KOR", "JPN", "MEX", "CAN", "DEU"} and len(dw) == 10
    assert table.loc[table["source"] == "census_hs2_m", "period"].max() == pd.Timestamp("2021-07")
    naics = table[table["source"] == "census_naics_m"]
    assert naics["period"].max() == pd.Timestamp("2025-12-01")
    assert naics["statutory_rate_pct"].isna().all()
    # the s232 step shows in collections: light-vehicle rate < 3% before, > 12% from May 2025
    lv = naics[naics["scope"] == "NAICS light vehicles"].set_index("period")["collected_rate_pct"]
    assert (lv[:"2025-02-01"] < 3).all() and (lv["2025-05-01":] > 12).all()
    far = table["diff_pp"].abs() >= 0.5
    assert (table.loc[far, "explanation"] != "").all()


def test_figure(table, tariff_schedule, tmp_path):
    fig = fig_statutory_vs_collected(table, tariff_schedule)
    assert len(fig.axes) == 3
    kor = fig.axes[0]
    labels = [ln.get_label() for ln in kor.get_lines()]
    assert "Statutory all-in, HS 8703" in labels
    assert "Collected, HS 8703 (Census via Budget Lab note)" in labels
    assert fig._autotariffs_source_note.startswith("Source:")
    a = save(fig, "svc", tmp_path / "a")
    b = save(fig_statutory_vs_collected(table, tariff_schedule), "svc", tmp_path / "b")
    assert a["png"].read_bytes() == b["png"].read_bytes()
    plt.close("all")
