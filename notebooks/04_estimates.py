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
# # 04 · Estimates for one origin: reduced form first, then what depends on assumptions
#
# **What it does.** For the origin given by the `origin` parameter (KOR or JPN; papermill runs
# this notebook once per params file):
#
# 1. **Reduced form (the headline).** The change in log vehicles, log value and log ex-tariff unit
#    value of the origin *relative to the comparison origins* (`controls`), after the tariff against
#    the pre-announcement baseline (`baseline_start` to the month before the `donut`; the
#    announcement month is left out), with the gap's month-of-year pattern removed. It does not
#    depend on how exposed the comparison origins were.
# 2. **Inference built for one treated origin**: conformal inference on the counterfactual
#    (Chernozhukov, Wüthrich & Zhu 2021; difference-in-differences and a seasonal time-series
#    counterfactual; moving-block permutations in time) and in-time placebos. Cluster-robust and
#    wild-bootstrap intervals for one treated origin are not valid (Conley & Taber 2011) and appear
#    only in an appendix table that says why.
# 3. **Ratios as a sensitivity curve**: elasticity and pass-through γ = reduced form / tariff gap,
#    over the comparison origins' USMCA non-US content share.
# 4. Pooled five-origin regressions (wild bootstrap, randomization inference over the distinct
#    assignments of tariff paths, with their counts).
#
# With `source: census` (the HS10 × origin × month panel from `make fetch`) the notebook first
# estimates PPML and OLS with absorbed variety and HS10 × month fixed effects
# (`autotariffs.models.varieties`), then aggregates to origin × month.
#
# 5. **After the deals** (KOR): Korea-reported exports by destination around the 0 → 25% step and
#    the 25 → 15% cut; (JPN) what the Japan mirror covers after Japan's deal.
#
# **Writes.** `reports/results/04_estimates_<origin>.json`; figures `event_study_<origin>` (the
# monthly gap), `placebos_<origin>`, `sensitivity_<origin>`, `deal_cut_KOR`; tables
# `estimates_<origin>`, `pooled_<origin>`, `invalid_<origin>`.

# %%
import pandas as pd

from autotariffs import config, outputs, paths
from autotariffs.figures import set_style

set_style()
pd.set_option("display.width", 120)

from autotariffs.panel import build as apanel
from autotariffs.models import (POOLED_TEXT, invalid_table, invalid_text, origin_results,
                                results_table, summarize_origin)
from autotariffs.models import deals
from autotariffs.models import reduced_form as rfm
from autotariffs.data.sources.dataweb import usmca_claim_shares
from autotariffs.figures import deals as dfig
from autotariffs.models.varieties import variety_estimates, variety_table, variety_text
from autotariffs.figures import reduced_form as rffig
from autotariffs.figures import publish

_before = set(globals()) | {"_before"}  # names papermill may not override

# %% tags=["parameters"]
origin = "KOR"
controls = ["MEX", "CAN"]
source = "snapshot"
start = "2020-01"
end = "2025-07"
event_date = "2025-04-03"
baseline_start = "2021-01"
donut = 1
leads = 6
n_boot = 999
seed = 20250403

# %%
origins_in_data = apanel.available_origins()
P = config.validate("04_estimates", globals(), before=_before | {"origins_in_data"}, known_origins=origins_in_data)
# the panel for this notebook's own window and source, by the same builder as 03 (so Make runs
# this notebook as soon as flows, tariffs and FX exist, beside 03)
panel = apanel.load_panel(start=P["start"], end=P["end"], source=P["source"])
P

# %%
varieties = None
if "hs_code" in panel.columns:  # source: census -> HS10 detail, then origin x month
    varieties = variety_estimates(panel, origins=[P["origin"], *P["controls"]])
    panel = apanel.origin_month(panel)
rf = rfm.reduced_form(panel, P["origin"], P["controls"], event_month=P["event_date"][:7],
                      end=P["end"], donut=P["donut"], pre_start=P["baseline_start"])
rf["baseline_sensitivity"] = rfm.baseline_sensitivity(panel, P["origin"], P["controls"],
    P["event_date"][:7], P["end"], donut=P["donut"],
    starts=rfm.baseline_starts(P["baseline_start"], P["event_date"][:7]))
flows = pd.read_parquet(paths.PROCESSED / "flows.parquet")
claims = usmca_claim_shares(flows).pivot(index="month", columns="partner", values="claim_share")
claims = claims if len(claims) else None  # the claims file is not in every data source
sens = rfm.sensitivity(rf, panel, rfm.full_exposure_rates(P["controls"]), claims=claims)
summary = summarize_origin(panel, origin=P["origin"], controls=P["controls"], n_boot=P["n_boot"],
                           seed=P["seed"], leads=P["leads"])
res = {"reduced_form": rf, "sensitivity": sens, **origin_results(summary)}
if varieties is not None:
    res["varieties"] = varieties

# %% [markdown]
# ## Reduced form (headline)
#
# Each row: the post-tariff mean of the seasonally adjusted gap between the origin and the
# comparison origins, in log points; the 95% interval and the first p-value come from conformal
# inference with the difference-in-differences counterfactual; the second from the origin's own
# seasonal time-series counterfactual; the third is the rank of the estimate among in-time
# placebos. The smallest attainable p-value of each test is in the table.

# %%
tab = rfm.headline_table(rf)
outputs.publish_table(tab, f"estimates_{P['origin']}", rfm.headline_text(rf),
                      notebook="04_estimates", params=P)
tab.round(3)

# %%
publish(rffig.fig_gap_by_month(rf, P["origin"], "ln_q"), f"event_study_{P['origin']}",
        rffig.gap_text(rf, "ln_q"), notebook="04_estimates", params=P)
publish(rffig.fig_placebos(rf, "ln_q"), f"placebos_{P['origin']}", rffig.placebo_text(rf, "ln_q"),
        notebook="04_estimates", params=P);

# %% [markdown]
# ## What depends on assumptions: ratios over the comparison origins' exposure
#
# Elasticity = reduced form / tariff gap; the gap depends on how much duty Mexican and Canadian cars
# paid (the USMCA non-US content share, not in the data). γ: 0 = US buyers pay the whole duty,
# −1 = exporters absorb it.

# %%
publish(rffig.fig_sensitivity(sens, P["origin"]), f"sensitivity_{P['origin']}",
        rffig.sensitivity_text(sens, P["origin"]), notebook="04_estimates", params=P)
pd.DataFrame(sens["curve"]).round(3)

# %% [markdown]
# ## Pooled five-origin regressions and the appendix of invalid-by-design intervals

# %%
pooled_tab = results_table(summary)
outputs.publish_table(pooled_tab, f"pooled_{P['origin']}", POOLED_TEXT, notebook="04_estimates", params=P)
why = res["invalid_by_design"]["reason"]
outputs.publish_table(invalid_table(summary, why), f"invalid_{P['origin']}",
                      invalid_text(P["origin"], why), notebook="04_estimates", params=P)
if varieties is not None:  # source: census only
    vt = variety_table(varieties)
    outputs.publish_table(vt, f"varieties_{P['origin']}", variety_text(P["origin"], P["controls"]),
                          notebook="04_estimates", params=P)
    display(vt.round(3))
pooled_tab.round(3)

# %% [markdown]
# ## After the deals
#
# Korea: its own customs data (exports of HS 8703 by destination, FOB, to 2026-06) reach past the
# 25 → 15% cut of 2025-11-01, a second tariff change of the opposite sign. Exports to the US are
# compared with exports to Canada, Germany, Australia and Saudi Arabia (destination and month
# effects), with inference for one treated destination. Japan: its mirror series ends in the month
# of its deal, which cannot identify anything.

# %%
after = deals.after_deals(flows, P["origin"])  # {"deal_cut": ...} (KOR), {"deal_coverage": ...} (JPN)
res.update(after)
if "deal_cut" in after:
    publish(dfig.fig_deal_cut(flows, after["deal_cut"]), "deal_cut_KOR",
            dfig.deal_cut_text(after["deal_cut"]), notebook="04_estimates", params=P)
deals.after_deals_table(after)

# %% [markdown]
# ## Headline numbers (checked by nbval)

# %% tags=["nbval-check-output"]
o = P["origin"]
outputs.write_results(f"04_estimates_{o}", {o: res}, params=P,
                     headline=[f"{o}.reduced_form.{y}.{k}" for y in ("ln_q", "ln_v", "ln_uv")
                               for k in ("coef", "p_conformal", "p_placebo")])
for y in ("ln_q", "ln_v", "ln_uv"):
    r = rf[y]
    print(f"{o} {y}: {r['coef']:+.3f} [{r['ci95_low']:+.3f}, {r['ci95_high']:+.3f}] "
          f"p_conformal={r['p_conformal']:.3f} p_ts={r['p_conformal_ts']:.3f} "
          f"p_placebo={r['p_placebo']:.3f} (n_placebos={r['n_placebos']})")
print("CRV1 valid by design:", res["invalid_by_design"]["valid"])
