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
# # 02 · Tariff schedule: statutory US duty rates on autos
#
# **What it does.** Reads the sourced event table `data/raw/tariffs/us_auto_tariff_events.csv`,
# validates it (no overlaps or gaps per origin × product, rates in [0, 100], every source key
# resolves in `SOURCES.md`), expands it to a daily all-in rate by origin × product and averages to
# months by day-weighting. USMCA vehicles (MEX, CAN) pay 25% on non-US content only: the
# effective rate is 25% × `usmca_nonus_share` (a stated assumption, varied in 05). UK cars combine
# the in-quota (10%) and over-quota (27.5%) regimes with `uk_in_quota_share`. The schedule needs
# no trade data (so Make runs this notebook beside 01); effective rates from duties actually
# collected are compared with it in 03.
#
# **Writes.** `data/processed/tariffs_monthly.parquet`; figure `tariff_timeline`;
# `reports/results/02_tariff_schedule.json`.

# %%
import pandas as pd

from autotariffs import config, outputs, paths
from autotariffs.figures import set_style

set_style()
pd.set_option("display.width", 120)

from autotariffs.tariffs import schedule as tariffs
from autotariffs.figures import tariffs as tfig
from autotariffs.figures import publish
from autotariffs.data.sources.manifest import verify_manifest

_before = set(globals()) | {"_before"}  # names papermill may not override

# %% tags=["parameters"]
include_derived = True
include_scheduled = True
usmca_nonus_share = 0.5
uk_in_quota_share = 1.0
timeline_start = "2024-01"
timeline_end = "2026-06"

# %%
P = config.validate("02_tariff_schedule", globals(), before=_before)
P

# %% [markdown]
# ## Events → daily → monthly

# %%
verify_manifest()  # data/raw/SHA256SUMS: this notebook runs beside 01, so it checks raw data itself
events = tariffs.load_events()
tariffs.validate_events(events)
daily = tariffs.daily_schedule(events, usmca_nonus_share=P["usmca_nonus_share"],
                               uk_in_quota_share=P["uk_in_quota_share"],
                               include_derived=P["include_derived"],
                               include_scheduled=P["include_scheduled"])
monthly = tariffs.monthly_schedule(daily)
tariffs.write_monthly(monthly)
monthly[monthly["product"].eq("8703") & monthly["month"].between("2025-03-01", "2025-12-01")] \
    .pivot(index="month", columns="origin", values="rate_pct").round(2)

# %% [markdown]
# ## Timeline of statutory rates on cars (HS 8703)

# %%
fig = tfig.fig_tariff_timeline(monthly, start=P["timeline_start"], end=P["timeline_end"],
                               usmca_nonus_share=P["usmca_nonus_share"],
                               uk_in_quota_share=P["uk_in_quota_share"])
publish(fig, "tariff_timeline", tfig.timeline_text(P["usmca_nonus_share"]),
        notebook="02_tariff_schedule", params=P);


# %% [markdown]
# ## Headline numbers (checked by nbval)

# %% tags=["nbval-check-output"]
def rate(o, m, p="8703"):
    r = monthly[(monthly.origin == o) & (monthly["product"] == p) & (monthly.month == m)]["rate_pct"]
    return float(r.iloc[0])

checks = {f"{o}_{p}_{m[:7]}": round(rate(o, m, p), 4)
          for o, p, m in [("KOR", "8703", "2025-03-01"), ("KOR", "8703", "2025-05-01"),
                          ("KOR", "8703", "2025-12-01"), ("JPN", "8703", "2025-04-01"),
                          ("JPN", "8703", "2025-09-01"), ("MEX", "8703", "2025-05-01"),
                          ("KOR", "8704", "2025-05-01")]}
outputs.write_results("02_tariff_schedule", {"tariffs": {"rates_pct": checks,
                     "usmca_nonus_share": P["usmca_nonus_share"]}}, params=P)
for k, v in checks.items():
    print(f"{k}: {v:.2f}%")
