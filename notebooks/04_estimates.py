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
# # 04 · Estimates for one origin: look at the gap, compare designs, then what depends on assumptions
#
# **What it does.** For the origin given by the `origin` parameter (papermill runs this notebook
# once per `04_estimates_<origin>.yaml`):
#
# 1. **Look before estimating.** The gap between the origin and the comparison origins
#    (`controls`) in log vehicles, log value and log ex-tariff unit value, and a test of its
#    baseline trend (linear trend plus month of year, Newey–West errors).
# 2. **Designs side by side**, each with inference built for one treated origin: the level design
#    (baseline mean by month of year), year on year (the same months one year before), and
#    trend-adjusted (the baseline trend extrapolated). Conformal inference (Chernozhukov, Wüthrich &
#    Zhu 2021) with each design's own counterfactual, and in-time placebos of the same estimator.
# 3. **The headline design** is chosen by a simulation calibrated to this origin's baseline gap
#    (trend, month of year, AR(1) residuals, the missing 2022 quantities, the donut and the post
#    length), with the rule fixed in `autotariffs.models.calibration.RULE`.
# 4. **How sure**: the trend-adjusted estimate under departures from the trend (Rambachan & Roth
#    2023 smoothness class) and its breakdown value.
# 5. **Who paid, seen from the exporter**: the origin's own FOB unit values to the US, year on
#    year, where its export statistics have quantities (Japan).
# 6. **Ratios as a sensitivity curve**: elasticity and pass-through γ = headline reduced form /
#    tariff gap, over the comparison origins' USMCA non-US content share.
# 7. The origin-vs-controls regressions whose cluster-robust intervals are invalid by design
#    (appendix), and what the data show after the origin's deal.
#
# **Writes.** `reports/results/04_estimates_<origin>.json`; figures `gap_<origin>`,
# `designs_<origin>`, `placebos_<origin>`, `breakdown_<origin>`, `sensitivity_<origin>`,
# `export_prices_<origin>` (where the origin reports its exports), `deal_cut_KOR`; tables
# `designs_<origin>`, `simulation_<origin>`, `export_prices_<origin>`, `invalid_<origin>`.

# %%
import pandas as pd

from autotariffs import config, outputs, paths
from autotariffs.design import Window
from autotariffs.figures import publish, set_style

set_style()
pd.set_option("display.width", 120)

from autotariffs.panel import build as apanel
from autotariffs.models import invalid_table, invalid_text, origin_results, summarize_origin
from autotariffs.models import calibration, deals
from autotariffs.models import reduced_form as rfm
from autotariffs.models.export_prices import export_prices
from autotariffs.data.sources.dataweb import usmca_claim_shares
from autotariffs.tariffs.exposure import full_exposure_rates
from autotariffs.figures import deals as dfig
from autotariffs.figures import reduced_form as rffig
from autotariffs.models.varieties import variety_estimates, variety_table, variety_text

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
n_sim = 1000
seed = 20250403

# %%
P = config.validate("04_estimates", globals(), before=_before,
                    known_origins=apanel.available_origins())
window = Window.from_params(P)
# the panel for this notebook's own window and source, by the same builder as 03 (so Make runs
# this notebook as soon as flows, tariffs and FX exist, beside 03)
panel = apanel.load_panel(start=P["start"], end=P["end"], source=P["source"])
P

# %%
varieties = None
if "hs_code" in panel.columns:  # source: census -> HS10 detail, then origin x month
    varieties = variety_estimates(panel, origins=[P["origin"], *P["controls"]])
    panel = apanel.origin_month(panel)
comp = rfm.compare(panel, P["origin"], P["controls"], window, n_draws=P["n_sim"], seed=P["seed"])
res = comp.to_dict()

# %% [markdown]
# ## Look before estimating: the gap and its trend
#
# If the gap drifts over the baseline, a level baseline mixes the drift into the effect. The
# slope is estimated on the baseline months only, net of month of year, with Newey–West errors.

# %%
publish(rffig.fig_gap_trend(comp), f"gap_{P['origin']}", rffig.gap_text(comp),
        notebook="04_estimates", params=P)
pd.DataFrame({y: p.to_dict() for y, p in comp.pretrend.items()}).loc[
    ["slope_per_year", "se", "t", "p", "n", "hac_lags"]]

# %% [markdown]
# ## What each design says
#
# Every interval and the first p-value are conformal, with the design's own counterfactual; the
# placebo p-value is the rank among in-time placebos of the same estimator and is valid only
# where the placebos are centred on zero.

# %%
tab = rfm.designs_table(comp)
outputs.publish_table(tab, f"designs_{P['origin']}", rfm.designs_text(comp),
                      notebook="04_estimates", params=P)
publish(rffig.fig_designs(comp), f"designs_{P['origin']}", rffig.designs_fig_text(comp),
        notebook="04_estimates", params=P)
tab.round(3)

# %% [markdown]
# ## Which design leads: the calibrated simulation
#
# Bias, RMSE and rejection rates at 5% of every design and inference method on simulated gaps
# shaped like this origin's baseline (rows "calibrated") and without its drift ("no drift").
# The rule is fixed in the code before any estimate is read.

# %%
sim = calibration.simulation_table(comp.simulation)
outputs.publish_table(sim, f"simulation_{P['origin']}", calibration.simulation_text(comp),
                      notebook="04_estimates", params=P)
head = comp.headline
print(calibration.RULE)
print("chosen:", {y: s.chosen for y, s in comp.simulation.items()})
sim[sim["outcome"] == comp.headline.result.outcome].round(3) if head else sim.round(3)

# %%
if head is not None:
    publish(rffig.fig_placebos(comp, head.result.design, head.result.outcome),
            f"placebos_{P['origin']}",
            rffig.placebo_text(comp, head.result.design, head.result.outcome),
            notebook="04_estimates", params=P)
if comp.bounds:
    publish(rffig.fig_breakdown(comp), f"breakdown_{P['origin']}", rffig.breakdown_text(comp),
            notebook="04_estimates", params=P);

# %% [markdown]
# ## Who paid, seen from the exporter
#
# Where the origin's own statistics report its exports to the US with quantities, the FOB unit
# value (before US duty and US freight) year on year, in US dollars and in the origin's currency.

# %%
flows = pd.read_parquet(paths.PROCESSED / "flows.parquet")
fx = pd.read_parquet(paths.PROCESSED / "fx_monthly.parquet")
exports = apanel.exporter_series(flows, fx, P["origin"])
if len(exports):
    xp = export_prices(exports, P["origin"], Window(P["event_date"], P["baseline_start"],
                                                    P["donut"], f"{exports['month'].max():%Y-%m}"))
    res["export_prices"] = xp.to_dict()
    xtab = xp.table()
    outputs.publish_table(xtab, f"export_prices_{P['origin']}",
                          rffig.export_prices_table_text(res["export_prices"], P["origin"]),
                          notebook="04_estimates", params=P)
    publish(rffig.fig_export_prices(exports, res["export_prices"], P["origin"]),
            f"export_prices_{P['origin']}",
            rffig.export_prices_text(res["export_prices"], P["origin"]),
            notebook="04_estimates", params=P)
    display(xtab.round(3))

# %% [markdown]
# ## What depends on assumptions: ratios over the comparison origins' exposure
#
# Elasticity = headline reduced form / tariff gap; the gap depends on how much duty Mexican and
# Canadian cars paid (the USMCA non-US content share, not in the data). γ: 0 = US buyers pay the
# whole duty, −1 = exporters absorb it.

# %%
claims = usmca_claim_shares(flows).pivot(index="month", columns="partner", values="claim_share")
claims = claims if len(claims) else None  # the claims file is not in every data source
sens = rfm.sensitivity(comp, panel, full_exposure_rates(P["controls"]), claims=claims)
res["sensitivity"] = sens
publish(rffig.fig_sensitivity(sens, P["origin"]), f"sensitivity_{P['origin']}",
        rffig.sensitivity_text(sens, P["origin"]), notebook="04_estimates", params=P)
pd.DataFrame(sens["curve"]).round(3)

# %% [markdown]
# ## Appendix: regressions against the controls whose intervals are invalid by design

# %%
summary = summarize_origin(panel, origin=P["origin"], controls=P["controls"], n_boot=P["n_boot"],
                           seed=P["seed"], leads=P["leads"])
res.update(origin_results(summary))
if varieties is not None:
    res["varieties"] = varieties
why = res["invalid_by_design"]["reason"]
outputs.publish_table(invalid_table(summary, why), f"invalid_{P['origin']}",
                      invalid_text(P["origin"], why), notebook="04_estimates", params=P)
if varieties is not None:  # source: census only
    vt = variety_table(varieties)
    outputs.publish_table(vt, f"varieties_{P['origin']}", variety_text(P["origin"], P["controls"]),
                          notebook="04_estimates", params=P)
    display(vt.round(3))

# %% [markdown]
# ## After the deals
#
# Where the origin's own customs data report exports by destination past its deal (Korea, to
# 2026-06), its exports to the US are compared with its exports to other destinations around the
# 25 → 15% cut, with inference for one treated destination and the cut under other controls and
# windows. Where only its export series to the US reaches past the deal, how much of the new
# regime that series covers.

# %%
after = deals.after_deals(flows, P["origin"])
res.update(after)
if "deal_cut" in after:
    publish(dfig.fig_deal_cut(flows, after["deal_cut"]), f"deal_cut_{P['origin']}",
            dfig.deal_cut_text(after["deal_cut"]), notebook="04_estimates", params=P)
deals.after_deals_table(after)

# %% [markdown]
# ## Headline numbers (checked by nbval)

# %% tags=["nbval-check-output"]
o = P["origin"]
outputs.write_results(f"04_estimates_{o}", {o: res}, params=P,
                      headline=[f"{o}.headline.{k}" for k in ("coef", "ci95_low", "ci95_high", "p")])
h = res["headline"]
print(f"{o} headline: {h['design']} design, {h['outcome']}: {h['coef']:+.3f} "
      f"[{h['ci95_low'] if h['ci95_low'] is None else round(h['ci95_low'], 3)}, "
      f"{h['ci95_high'] if h['ci95_high'] is None else round(h['ci95_high'], 3)}] p={h['p']:.3f}")
for y in comp.outcomes:
    line = ", ".join(f"{d} {res['designs'][d][y]['coef']:+.3f} (p={res['designs'][d][y]['p']:.3f})"
                     for d in res["designs"])
    print(f"{o} {y}: slope/yr {res['pretrend'][y]['slope_per_year']:+.3f}; {line}")
