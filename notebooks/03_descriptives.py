# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python (autotariffs)
#     language: python
#     name: autotariffs
# ---

# %% [markdown]
# # 03 · Descriptives: the analysis panel and what happened to imports
#
# **What it does.** Joins flows × tariffs × FX into the origin × month analysis panel for HS 8703
# (value, vehicles, ex-tariff unit value, duty-inclusive unit value, ln(1+τ), log FX, seasonal
# terms, 12-month differences, and the Japan-reported mirror flow), checks it against its contract
# and plots imports, unit values and the US–Japan mirror. Compares the statutory schedule (02)
# with effective rates from duties actually collected (Census ch. 87 2013–2021; DataWeb
# 2024–2025).
#
# **Writes.** `data/processed/panel.parquet`; figures `imports_by_origin`, `unit_values`,
# `mirror_japan`, `effective_vs_statutory`; table `effective_vs_statutory`;
# `reports/results/03_descriptives.json`.

# %%
import pandas as pd

from autotariffs import config, outputs, paths
from autotariffs.figures import set_style

set_style()
pd.set_option("display.width", 120)

from autotariffs.tariffs import collected, exposure
from autotariffs.panel import build as apanel
from autotariffs.tariffs import schedule as tariffs
from autotariffs.data.sources.budgetlab import read_collected_note
from autotariffs.data.sources.dataweb import usmca_claim_shares
from autotariffs.figures import descriptives as dfig
from autotariffs.figures import tariffs as tfig
from autotariffs.figures import save
from autotariffs.atomic import write_parquet

_before = set(globals()) | {"_before"}  # names papermill may not override

# %% tags=["parameters"]
source = "snapshot"
start = "2020-01"
end = "2025-07"

# %%
P = config.validate("03_descriptives", globals(), before=_before)
P

# %%
panel = apanel.load_panel(start=P["start"], end=P["end"], source=P["source"])
write_parquet(panel, paths.PROCESSED / "panel.parquet")
panel[["origin", "month", "value_usd", "quantity", "uv", "rate_pct" if "rate_pct" in panel else "tau"]].tail(10)

# %% [markdown]
# ## Imports by origin

# %%
SRC = (f"Source: UN Comtrade monthly HS 8703 (US reporter; Census data), "
       f"{panel['month'].min():%Y-%m} to {panel['month'].max():%Y-%m}.")
for fig_id, fn, title, caption in [
    ("imports_by_origin", dfig.fig_imports_by_origin, "US imports of passenger cars by origin",
     "Monthly US imports of HS 8703 by origin: value (USD bn) and vehicles (thousands)."),
    ("unit_values", dfig.fig_unit_values, "Ex-tariff unit values by origin",
     "Customs-value-based unit value (USD thousand per vehicle), before duty, by origin."),
    ("mirror_japan", dfig.fig_mirror_japan, "US-reported imports from Japan vs Japan-reported exports",
     "Monthly value of HS 8703 trade Japan→US as reported by each side (mirror statistics)."),
]:
    fig = fn(panel)
    save(fig, fig_id)
    fig_meta = outputs.register_figure(fig_id, title, caption, notebook="03_descriptives", params=P,
                           source_note=SRC if fig_id != "mirror_japan" else
                           "Source: UN Comtrade monthly HS 8703; US imports and Japan-reported exports.")

# %% [markdown]
# ## Effective against statutory rates (duties collected / customs value)

# %%
flows = pd.read_parquet(paths.PROCESSED / "flows.parquet")
monthly = pd.read_parquet(paths.PROCESSED / "tariffs_monthly.parquet")  # written by 02
eff = tariffs.effective_rates(flows)
fig = tfig.fig_effective_vs_statutory(eff, monthly)
save(fig, "effective_vs_statutory")
fig_meta = outputs.register_figure("effective_vs_statutory", "Effective against statutory tariff rates",
    "Calculated duties / customs value on HS chapter 87 imports (cars, trucks and parts) by origin "
    "against the statutory car rate; Korea's KORUS step of 2016-01-01 is visible.",
    notebook="03_descriptives", params=P,
    source_note="Source: Census international trade API (HS2, 2013-2021); USITC DataWeb (2024, Jan-Aug 2025).")
cmp = tariffs.compare_effective_statutory(eff, monthly)
outputs.register_table(cmp, "effective_vs_statutory", "Effective and statutory rates",
    "Effective rate = calculated duties / value on chapter 87 (all vehicles and parts) by origin and period, "
    "beside the statutory HS 8703 rate; chapter 87 mixes products, so levels are not directly comparable.",
    notebook="03_descriptives", params=P)
cmp.head(12)

# %% [markdown]
# ## Statutory against collected duties, and the comparison origins' observed exposure
#
# Every collected rate the raw data give (Budget Lab note for HS 8703 from Korea and Japan; DataWeb
# chapter 87; Census HS2 to 2021; NAICS 336 all origins) beside the statutory rate of the events
# table. Disagreements are explained, not silenced. Then the duty Canadian and Mexican cars owed,
# built from the observed USMCA claim shares (DataWeb HS10, monthly to 2026-02) at several non-US
# content shares, beside the assumed all-claimed schedule.

# %%
note = read_collected_note(paths.RAW / "tariffs" / "budgetlab_collected_duty_rates_8703_note_2026-06-12.md")
svc = collected.statutory_vs_collected(flows, monthly, note)
outputs.register_table(svc, "statutory_vs_collected", "Statutory against collected duty rates",
    "One row per origin, period and source: statutory HS 8703 rate from the events table against the "
    "collected rate (duties / value) the source gives, with the explanation of every known "
    "disagreement (Korea's retroactive November 2025 cut collected at 25% and refunded later; "
    "Japan's offset credits; chapter-87 product mix).", notebook="03_descriptives", params=P)
fig = tfig.fig_statutory_vs_collected(svc, monthly)
save(fig, "statutory_vs_collected")
fig_meta = outputs.register_figure("statutory_vs_collected", "Statutory against collected duty rates",
    "Statutory HS 8703 rate (dashed step) against every collected rate in the raw data, by origin; the "
    "all-origin NAICS light-vehicle rate in the last panel.", notebook="03_descriptives", params=P,
    source_note="Source: Budget Lab note (2026-06-12); USITC DataWeb; Census international trade API; tariff events table.")
expo = exposure.exposure_grid(usmca_claim_shares(flows), tariffs.load_events())
fig = tfig.fig_control_exposure(expo)
save(fig, "control_exposure")
fig_meta = outputs.register_figure("control_exposure", "Observed exposure of Canada and Mexico",
    "Duty owed on Canadian and Mexican cars from the observed USMCA claim shares (claimed: 25% on non-US "
    "content; not claimed: 25% plus MFN on full value) at several non-US content shares, beside the "
    "assumed schedule in which every car is claimed.", notebook="03_descriptives", params=P,
    source_note="Source: USITC DataWeb HS10 8703 imports for consumption by programme; tariff events table.")
ctrl = exposure.control_series_extended(flows)
fig = dfig.fig_control_series_extended(ctrl)
save(fig, "control_series_extended")
fig_meta = outputs.register_figure("control_series_extended", "Comparison origins' imports past the deals",
    "US imports of HS 8703 from Canada and Mexico: Comtrade monthly to its last month, then DataWeb "
    "customs value scaled by the ratio of the two sources over their overlap.", notebook="03_descriptives",
    params=P, source_note="Source: UN Comtrade monthly HS 8703; USITC DataWeb HS10 8703.")
exposure_block = exposure.exposure_summary(expo)
svc[svc["origin"].isin(["KOR", "JPN"]) & (svc["period"] >= "2025-08-01")]


# %% [markdown]
# ## Headline numbers (checked by nbval)

# %% tags=["nbval-check-output"]
def at(o, m, col):
    return float(panel.loc[(panel.origin == o) & (panel.month == m), col].iloc[0])

kor_mar, kor_apr = at("KOR", "2025-03-01", "quantity"), at("KOR", "2025-04-01", "quantity")
desc = {"kor_units_2025_03": kor_mar, "kor_units_2025_04": kor_apr,
        "kor_units_change_pct": 100 * (kor_apr / kor_mar - 1),
        # every origin fell from March to April (the March front-loading): context for Korea's fall
        "units_change_2025_04_pct": {o: 100 * (at(o, "2025-04-01", "quantity") / at(o, "2025-03-01", "quantity") - 1)
                                     for o in sorted(panel.origin.unique())},
        "n_rows": int(len(panel)), "origins": sorted(panel.origin.unique().tolist())}
collected_kor_jpn = {
    f"{r.origin}_{r.period:%Y_%m}": {"statutory_rate_pct": r.statutory_rate_pct,
                                     "collected_rate_pct": r.collected_rate_pct, "source": r.source}
    for r in svc[svc["origin"].isin(["KOR", "JPN"]) & (svc["source"] == "budgetlab_note")].itertuples()}
outputs.write_results("03_descriptives", {"descriptives": desc, "exposure": exposure_block,
                                         "collected": collected_kor_jpn}, params=P)
print(f"Korea HS 8703 vehicles: {kor_mar/1e3:.1f}k (2025-03) -> {kor_apr/1e3:.1f}k (2025-04), "
      f"{desc['kor_units_change_pct']:.1f}%")
print("panel rows:", len(panel), "origins:", ", ".join(desc["origins"]))
