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
from autotariffs.figures import publish
from autotariffs.atomic import write_parquet
from autotariffs import design
from autotariffs.models import facts

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
# imports_by_origin, unit_values, mirror_japan
dfig.save_descriptives(panel, "03_descriptives", params=P, prefix="");

# %% [markdown]
# ## Effective against statutory rates (duties collected / customs value)

# %%
flows = pd.read_parquet(paths.PROCESSED / "flows.parquet")
monthly = pd.read_parquet(paths.PROCESSED / "tariffs_monthly.parquet")  # written by 02
eff = tariffs.effective_rates(flows)
publish(tfig.fig_effective_vs_statutory(eff, monthly), "effective_vs_statutory",
        tfig.EFFECTIVE_VS_STATUTORY_TEXT, notebook="03_descriptives", params=P)
cmp = tariffs.compare_effective_statutory(eff, monthly)
outputs.publish_table(cmp, "effective_vs_statutory", tariffs.EFFECTIVE_VS_STATUTORY_TEXT,
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
outputs.publish_table(svc, "statutory_vs_collected", collected.STATUTORY_VS_COLLECTED_TEXT,
                      notebook="03_descriptives", params=P)
publish(tfig.fig_statutory_vs_collected(svc, monthly), "statutory_vs_collected",
        tfig.STATUTORY_VS_COLLECTED_TEXT, notebook="03_descriptives", params=P)
expo = exposure.exposure_grid(usmca_claim_shares(flows), tariffs.load_events())
publish(tfig.fig_control_exposure(expo), "control_exposure", tfig.CONTROL_EXPOSURE_TEXT,
        notebook="03_descriptives", params=P)
ctrl = exposure.control_series_extended(flows)
publish(dfig.fig_control_series_extended(ctrl), "control_series_extended",
        dfig.CONTROL_SERIES_EXTENDED_TEXT, notebook="03_descriptives", params=P)
exposure_block = exposure.exposure_summary(expo)
svc[svc["origin"].isin(["KOR", "JPN"]) & (svc["period"] >= "2025-08-01")]

# %% [markdown]
# ## Plain facts after the monthly series end: imports in January–June 2026, import prices
#
# US imports by origin in January–June 2026 (with the 15% deals in force) against the same
# months of 2024, and the all-origin BLS import price index for cars (before duty).

# %%
macro = pd.read_parquet(paths.PROCESSED / "macro_monthly.parquet")
h1 = facts.h1_2026(flows, design.CONTROLS)
ipi = facts.import_price_index(macro)
outputs.publish_table(facts.h1_table(h1), "h1_2026", facts.h1_text(h1),
                      notebook="03_descriptives", params=P)
outputs.publish_table(facts.import_price_table(ipi), "import_prices", facts.import_price_text(ipi),
                      notebook="03_descriptives", params=P)
facts.h1_table(h1).round(3)

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
outputs.write_results("03_descriptives", {"descriptives": desc, "exposure": exposure_block,
                                         "collected": collected.collected_by_origin(svc),
                                         "h1_2026": h1, "import_prices": {"hs8703": ipi}},
                      params=P)
print(f"Korea HS 8703 vehicles: {kor_mar/1e3:.1f}k (2025-03) -> {kor_apr/1e3:.1f}k (2025-04), "
      f"{desc['kor_units_change_pct']:.1f}%")
print("panel rows:", len(panel), "origins:", ", ".join(desc["origins"]))
