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
# # 05 · Robustness
#
# Placebo event date (2024-04-03), leaving one control out, alternative sample windows, the
# USMCA content-share range for MEX/CAN, value against quantity outcomes, and PPML in levels
# (Santos Silva–Tenreyro) with absorbed fixed effects as the check on log-linear bias; and the
# pooled regressions over all origins (the same for every treated origin, so estimated here once).
#
# **Writes.** `reports/results/05_robustness.json`; tables `robustness`, `pooled`; figure
# `robustness`.

# %%
import pandas as pd

from autotariffs import config, outputs, paths
from autotariffs.figures import set_style

set_style()
pd.set_option("display.width", 120)

from autotariffs.panel import build as apanel
from autotariffs.tariffs import schedule as tariffs
from autotariffs.models import robustness
from autotariffs.models.pooled import POOLED_TEXT, estimate_pooled
from autotariffs.figures import robustness as robfig
from autotariffs.figures import publish

_before = set(globals()) | {"_before"}  # names papermill may not override

# %% tags=["parameters"]
origins = ["KOR", "JPN"]
source = "snapshot"
start = "2020-01"
end = "2025-07"
placebo_date = "2024-04-03"
usmca_share_range = [0.3, 0.7]
n_boot = 999
seed = 20250403

# %%
origins_in_data = apanel.available_origins()
P = config.validate("05_robustness", globals(), before=_before | {"origins_in_data"}, known_origins=origins_in_data)
# robustness runs on origin x month (census HS10 panels are aggregated; no-op for the snapshot)
panel = apanel.origin_month(apanel.load_panel(start=P["start"], end=P["end"], source=P["source"]))
P

# %% [markdown]
# The MEX/CAN tariff depends on the assumed non-US content share of USMCA vehicles: the schedule and
# the panel are rebuilt at each end of `usmca_share_range` (everything else unchanged).

# %%
flows = pd.read_parquet(paths.PROCESSED / "flows.parquet")
fx = pd.read_parquet(paths.PROCESSED / "fx_monthly.parquet")
events = tariffs.load_events()
share_panels = {
    s: apanel.origin_month(apanel.build_panel(
        flows, tariffs.monthly_schedule(tariffs.daily_schedule(events, usmca_nonus_share=s)),
        fx, start=P["start"], end=P["end"], source=P["source"]))
    for s in P["usmca_share_range"]
}
specs = robustness.specifications(P["origins"], start=P["start"], end=P["end"],
                                  placebo_date=P["placebo_date"], shares=P["usmca_share_range"])
rob = robustness.run_all(panel, specs, share_panels=share_panels, n_boot=P["n_boot"],
                         seed=P["seed"])
rob_table = rob.table()
outputs.publish_table(rob_table, "robustness", robustness.ROBUSTNESS_TEXT,
                      notebook="05_robustness", params=P)
rob_table

# %%
publish(robfig.fig_robustness(rob_table), "robustness", robfig.ROBUSTNESS_TEXT,
        notebook="05_robustness", params=P);

# %% [markdown]
# ## Pooled over all origins
#
# Coefficients on ln(1 + tariff) identified by the cross-origin tariff differences; wild cluster
# bootstrap and randomization inference over the distinct assignments of the origins' tariff paths.

# %%
pooled = estimate_pooled(panel, n_boot=P["n_boot"], seed=P["seed"])
pooled_tab = pooled.table()
outputs.publish_table(pooled_tab, "pooled", POOLED_TEXT, notebook="05_robustness", params=P)
pooled_tab.round(3)

# %% [markdown]
# ## Headline numbers (checked by nbval)

# %% tags=["nbval-check-output"]
outputs.write_results("05_robustness", {"robustness": rob.to_dict(), "pooled": pooled.to_dict()}, params=P)
for line in rob.summary_lines():
    print(line)
