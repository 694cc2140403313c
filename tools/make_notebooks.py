"""Regenerate the source notebooks in notebooks/ from this script (cells are authored here).

The notebooks are the narrated, thin front end of the pipeline: a header, a parameters cell, a
validation call right after it, a few calls into `autotariffs`, and checked cells printing rounded
headline numbers (tagged `nbval-check-output`). Run `python tools/make_notebooks.py` after editing,
then `make notebooks-refresh` to store the checked outputs of the default run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
KERNELSPEC = {"display_name": "Python (autotariffs)", "language": "python", "name": "autotariffs"}


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(text: str, *tags: str):
    c = new_code_cell(text.strip("\n"))
    if tags:
        c.metadata["tags"] = list(tags)
    return c


def params(text: str):
    return code(text, "parameters")


def check(text: str):
    return code(text, "nbval-check-output")


def write(name: str, cells: list) -> None:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata["language_info"] = {"name": "python"}
    for i, c in enumerate(nb.cells):
        c["id"] = f"{name[:2]}-{i:02d}"
    path = ROOT / "notebooks" / f"{name}.ipynb"
    nbformat.write(nb, path)
    print("wrote", path.relative_to(ROOT))


HEADER_IMPORTS = """
import pandas as pd

from autotariffs import config, paths, report
from autotariffs.figures import set_style

set_style()
pd.set_option("display.width", 120)
"""
# notebooks that draw no figure skip matplotlib/seaborn (~1.5 s of every kernel start)
HEADER_IMPORTS_NOFIG = """
import pandas as pd

from autotariffs import config, paths, report

pd.set_option("display.width", 120)
"""
BEFORE = "\n_before = set(globals()) | {\"_before\"}  # names papermill may not override\n"


def nb01():
    write("01_build_data", [
        md("""
# 01 · Build the data: raw snapshot → canonical trade flows

**What it does.** Verifies `data/raw/SHA256SUMS` (the build stops, naming the file, if any byte
differs), reads every raw source through its adapter (UN Comtrade, Census API extracts, USITC
DataWeb, USA Trade Online, FRED), checks each against its data contract and writes one canonical
long table of trade **flows**, monthly exchange rates, coverage and reconciliation tables.

**Writes.** `data/processed/flows.parquet`, `fx_monthly.parquet`, `macro_monthly.parquet`,
`coverage.csv`, `reconciliation.csv`; `reports/results/01_build_data.json`; tables `coverage`,
`reconciliation`.
"""),
        code(HEADER_IMPORTS_NOFIG + "\nfrom autotariffs import build, reconcile\n" + BEFORE),
        params('source = "snapshot"\nverify_checksums = True'),
        code('P = config.validate("01_build_data", globals(), before=_before)\nP'),
        md("## Build (verify checksums → adapters → contracts → parquet)"),
        code("outputs = build.build_all(verify=P['verify_checksums'], log=print, include_fetched=P['source'] == 'census')\nsorted(p.name for p in outputs.values())"),
        code("""
flows = pd.read_parquet(paths.PROCESSED / "flows.parquet")
coverage = pd.read_csv(paths.PROCESSED / "coverage.csv")
recon = pd.read_csv(paths.PROCESSED / "reconciliation.csv")
flows.groupby("source").size().rename("rows").to_frame()
"""),
        md("""
## Reconciliation

Comtrade monthly 8703 (2024 sums) against Census HS10 2024 by origin (tolerance 3%), Comtrade
annual against monthly, the US–Japan mirror gap, and Census chapter 87 against DataWeb.
"""),
        code("recon"),
        code("""
report.register_table(coverage, "coverage", "Coverage of the shipped snapshot",
    "Each source × partner: first and last month and number of rows, as read from data/raw.",
    notebook="01_build_data", params=P)
report.register_table(recon, "reconciliation", "Reconciliation across sources",
    "Cross-source checks: Comtrade vs Census 2024 HS 8703 (3% tolerance), Comtrade annual vs monthly, "
    "US imports vs Japan-reported exports (mirror), Census ch. 87 vs DataWeb.",
    notebook="01_build_data", params=P);
"""),
        md("## Headline numbers (checked by nbval)"),
        check("""
anchors = reconcile.census_8703_totals(flows)
results = {"data": {"census_8703_2024_bn": {k: round(v / 1e9, 2) for k, v in anchors.items()},
                    "n_flows": int(len(flows)),
                    "reconciliation_all_pass": bool(recon["passes"].dropna().astype(bool).all())}}
report.write_results("01_build_data", results, params=P)
for iso, v in sorted(results["data"]["census_8703_2024_bn"].items()):
    print(f"Census 2024 HS 8703 imports from {iso}: ${v:.2f}B")
print("rows in flows:", len(flows))
"""),
    ])


def nb02():
    write("02_tariff_schedule", [
        md("""
# 02 · Tariff schedule: statutory US duty rates on autos

**What it does.** Reads the sourced event table `data/raw/tariffs/us_auto_tariff_events.csv`,
validates it (no overlaps or gaps per origin × product, rates in [0, 100], every source key
resolves in `SOURCES.md`), expands it to a daily all-in rate by origin × product and averages to
months by day-weighting. USMCA vehicles (MEX, CAN) pay 25% on non-US content only: the
effective rate is 25% × `usmca_nonus_share` (a stated assumption, varied in 05). UK cars combine
the in-quota (10%) and over-quota (27.5%) regimes with `uk_in_quota_share`. The schedule needs
no trade data (so Make runs this notebook beside 01); effective rates from duties actually
collected are compared with it in 03.

**Writes.** `data/processed/tariffs_monthly.parquet`; figure `tariff_timeline`;
`reports/results/02_tariff_schedule.json`.
"""),
        code(HEADER_IMPORTS + "\nfrom autotariffs import tariffs\nfrom autotariffs.figures import tariffs as tfig\nfrom autotariffs.figures import save\nfrom autotariffs.sources.manifest import verify_manifest\n" + BEFORE),
        params('include_derived = True\ninclude_scheduled = True\nusmca_nonus_share = 0.5\nuk_in_quota_share = 1.0\ntimeline_start = "2024-01"\ntimeline_end = "2026-06"'),
        code('P = config.validate("02_tariff_schedule", globals(), before=_before)\nP'),
        md("## Events → daily → monthly"),
        code("""
verify_manifest()  # data/raw/SHA256SUMS: this notebook runs beside 01, so it checks raw data itself
events = tariffs.load_events()
tariffs.validate_events(events)
daily = tariffs.daily_schedule(events, usmca_nonus_share=P["usmca_nonus_share"],
                               uk_in_quota_share=P["uk_in_quota_share"],
                               include_derived=P["include_derived"],
                               include_scheduled=P["include_scheduled"])
monthly = tariffs.monthly_schedule(daily)
tariffs.write_monthly(monthly)
monthly[monthly["product"].eq("8703") & monthly["month"].between("2025-03-01", "2025-12-01")] \\
    .pivot(index="month", columns="origin", values="rate_pct").round(2)
"""),
        md("## Timeline of statutory rates on cars (HS 8703)"),
        code("""
fig = tfig.fig_tariff_timeline(monthly, start=P["timeline_start"], end=P["timeline_end"])
save(fig, "tariff_timeline")
fig_meta = report.register_figure("tariff_timeline", "Statutory US tariff on passenger cars by origin",
    "All-in ad valorem rate on HS 8703 by origin, monthly day-weighted average; MEX/CAN at 25% × the "
    f"assumed non-US content share ({P['usmca_nonus_share']:.2f}); vertical lines mark policy events.",
    notebook="02_tariff_schedule", params=P,
    source_note="Source: us_auto_tariff_events.csv (HTS, Federal Register; see SOURCES.md).")
"""),
        md("## Headline numbers (checked by nbval)"),
        check("""
def rate(o, m, p="8703"):
    r = monthly[(monthly.origin == o) & (monthly["product"] == p) & (monthly.month == m)]["rate_pct"]
    return float(r.iloc[0])

checks = {f"{o}_{p}_{m[:7]}": round(rate(o, m, p), 4)
          for o, p, m in [("KOR", "8703", "2025-03-01"), ("KOR", "8703", "2025-05-01"),
                          ("KOR", "8703", "2025-12-01"), ("JPN", "8703", "2025-04-01"),
                          ("JPN", "8703", "2025-09-01"), ("MEX", "8703", "2025-05-01"),
                          ("KOR", "8704", "2025-05-01")]}
report.write_results("02_tariff_schedule", {"tariffs": {"rates_pct": checks,
                     "usmca_nonus_share": P["usmca_nonus_share"]}}, params=P)
for k, v in checks.items():
    print(f"{k}: {v:.2f}%")
"""),
    ])


def nb03():
    write("03_descriptives", [
        md("""
# 03 · Descriptives: the analysis panel and what happened to imports

**What it does.** Joins flows × tariffs × FX into the origin × month analysis panel for HS 8703
(value, vehicles, ex-tariff unit value, duty-inclusive unit value, ln(1+τ), log FX, seasonal
terms, 12-month differences, and the Japan-reported mirror flow), checks it against its contract
and plots imports, unit values and the US–Japan mirror. Compares the statutory schedule (02)
with effective rates from duties actually collected (Census ch. 87 2013–2021; DataWeb
2024–2025).

**Writes.** `data/processed/panel.parquet`; figures `imports_by_origin`, `unit_values`,
`mirror_japan`, `effective_vs_statutory`; table `effective_vs_statutory`;
`reports/results/03_descriptives.json`.
"""),
        code(HEADER_IMPORTS + "\nfrom autotariffs import collected, exposure\nfrom autotariffs import panel as apanel\nfrom autotariffs import tariffs\nfrom autotariffs.sources.budgetlab import read_collected_note\nfrom autotariffs.sources.dataweb import usmca_claim_shares\nfrom autotariffs.figures import descriptives as dfig\nfrom autotariffs.figures import tariffs as tfig\nfrom autotariffs.figures import save\nfrom autotariffs.io import write_parquet\n" + BEFORE),
        params('source = "snapshot"\nstart = "2020-01"\nend = "2025-07"'),
        code('P = config.validate("03_descriptives", globals(), before=_before)\nP'),
        code("""
panel = apanel.load_panel(start=P["start"], end=P["end"], source=P["source"])
write_parquet(panel, paths.PROCESSED / "panel.parquet")
panel[["origin", "month", "value_usd", "quantity", "uv", "rate_pct" if "rate_pct" in panel else "tau"]].tail(10)
"""),
        md("## Imports by origin"),
        code("""
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
    fig_meta = report.register_figure(fig_id, title, caption, notebook="03_descriptives", params=P,
                           source_note=SRC if fig_id != "mirror_japan" else
                           "Source: UN Comtrade monthly HS 8703; US imports and Japan-reported exports.")
"""),
        md("## Effective against statutory rates (duties collected / customs value)"),
        code("""
flows = pd.read_parquet(paths.PROCESSED / "flows.parquet")
monthly = pd.read_parquet(paths.PROCESSED / "tariffs_monthly.parquet")  # written by 02
eff = tariffs.effective_rates(flows)
fig = tfig.fig_effective_vs_statutory(eff, monthly)
save(fig, "effective_vs_statutory")
fig_meta = report.register_figure("effective_vs_statutory", "Effective against statutory tariff rates",
    "Calculated duties / customs value on HS chapter 87 imports (cars, trucks and parts) by origin "
    "against the statutory car rate; Korea's KORUS step of 2016-01-01 is visible.",
    notebook="03_descriptives", params=P,
    source_note="Source: Census international trade API (HS2, 2013-2021); USITC DataWeb (2024, Jan-Aug 2025).")
cmp = tariffs.compare_effective_statutory(eff, monthly)
report.register_table(cmp, "effective_vs_statutory", "Effective and statutory rates",
    "Effective rate = calculated duties / value on chapter 87 (all vehicles and parts) by origin and period, "
    "beside the statutory HS 8703 rate; chapter 87 mixes products, so levels are not directly comparable.",
    notebook="03_descriptives", params=P)
cmp.head(12)
"""),
        md("""
## Statutory against collected duties, and the comparison origins' observed exposure

Every collected rate the raw data give (Budget Lab note for HS 8703 from Korea and Japan; DataWeb
chapter 87; Census HS2 to 2021; NAICS 336 all origins) beside the statutory rate of the events
table. Disagreements are explained, not silenced. Then the duty Canadian and Mexican cars owed,
built from the observed USMCA claim shares (DataWeb HS10, monthly to 2026-02) at several non-US
content shares, beside the assumed all-claimed schedule.
"""),
        code("""
note = read_collected_note(paths.RAW / "tariffs" / "budgetlab_collected_duty_rates_8703_note_2026-06-12.md")
svc = collected.statutory_vs_collected(flows, monthly, note)
report.register_table(svc, "statutory_vs_collected", "Statutory against collected duty rates",
    "One row per origin, period and source: statutory HS 8703 rate from the events table against the "
    "collected rate (duties / value) the source gives, with the explanation of every known "
    "disagreement (Korea's retroactive November 2025 cut collected at 25% and refunded later; "
    "Japan's offset credits; chapter-87 product mix).", notebook="03_descriptives", params=P)
fig = tfig.fig_statutory_vs_collected(svc, monthly)
save(fig, "statutory_vs_collected")
fig_meta = report.register_figure("statutory_vs_collected", "Statutory against collected duty rates",
    "Statutory HS 8703 rate (dashed step) against every collected rate in the raw data, by origin; the "
    "all-origin NAICS light-vehicle rate in the last panel.", notebook="03_descriptives", params=P,
    source_note="Source: Budget Lab note (2026-06-12); USITC DataWeb; Census international trade API; tariff events table.")
expo = exposure.exposure_grid(usmca_claim_shares(flows), tariffs.load_events())
fig = tfig.fig_control_exposure(expo)
save(fig, "control_exposure")
fig_meta = report.register_figure("control_exposure", "Observed exposure of Canada and Mexico",
    "Duty owed on Canadian and Mexican cars from the observed USMCA claim shares (claimed: 25% on non-US "
    "content; not claimed: 25% plus MFN on full value) at several non-US content shares, beside the "
    "assumed schedule in which every car is claimed.", notebook="03_descriptives", params=P,
    source_note="Source: USITC DataWeb HS10 8703 imports for consumption by programme; tariff events table.")
ctrl = exposure.control_series_extended(flows)
fig = dfig.fig_control_series_extended(ctrl)
save(fig, "control_series_extended")
fig_meta = report.register_figure("control_series_extended", "Comparison origins' imports past the deals",
    "US imports of HS 8703 from Canada and Mexico: Comtrade monthly to its last month, then DataWeb "
    "customs value scaled by the ratio of the two sources over their overlap.", notebook="03_descriptives",
    params=P, source_note="Source: UN Comtrade monthly HS 8703; USITC DataWeb HS10 8703.")
exposure_block = exposure.exposure_summary(expo)
svc[svc["origin"].isin(["KOR", "JPN"]) & (svc["period"] >= "2025-08-01")]
"""),
        md("## Headline numbers (checked by nbval)"),
        check("""
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
report.write_results("03_descriptives", {"descriptives": desc, "exposure": exposure_block,
                                         "collected": collected_kor_jpn}, params=P)
print(f"Korea HS 8703 vehicles: {kor_mar/1e3:.1f}k (2025-03) -> {kor_apr/1e3:.1f}k (2025-04), "
      f"{desc['kor_units_change_pct']:.1f}%")
print("panel rows:", len(panel), "origins:", ", ".join(desc["origins"]))
"""),
    ])


def nb04():
    write("04_estimates", [
        md("""
# 04 · Estimates for one origin: reduced form first, then what depends on assumptions

**What it does.** For the origin given by the `origin` parameter (KOR or JPN; papermill runs
this notebook once per params file):

1. **Reduced form (the headline).** The change in log vehicles, log value and log ex-tariff unit
   value of the origin *relative to the comparison origins* (`controls`), after the tariff against
   the pre-announcement baseline (`baseline_start` to the month before the `donut`; the
   announcement month is left out), with the gap's month-of-year pattern removed. It does not
   depend on how exposed the comparison origins were.
2. **Inference built for one treated origin**: conformal inference on the counterfactual
   (Chernozhukov, Wüthrich & Zhu 2021; difference-in-differences and a seasonal time-series
   counterfactual; moving-block permutations in time) and in-time placebos. Cluster-robust and
   wild-bootstrap intervals for one treated origin are not valid (Conley & Taber 2011) and appear
   only in an appendix table that says why.
3. **Ratios as a sensitivity curve**: elasticity and pass-through γ = reduced form / tariff gap,
   over the comparison origins' USMCA non-US content share.
4. Pooled five-origin regressions (wild bootstrap, randomization inference over the distinct
   assignments of tariff paths, with their counts).

With `source: census` (the HS10 × origin × month panel from `make fetch`) the notebook first
estimates PPML and OLS with absorbed variety and HS10 × month fixed effects
(`autotariffs.models.varieties`), then aggregates to origin × month.

5. **After the deals** (KOR): Korea-reported exports by destination around the 0 → 25% step and
   the 25 → 15% cut; (JPN) what the Japan mirror covers after Japan's deal.

**Writes.** `reports/results/04_estimates_<origin>.json`; figures `event_study_<origin>` (the
monthly gap), `placebos_<origin>`, `sensitivity_<origin>`, `deal_cut_KOR`; tables
`estimates_<origin>`, `pooled_<origin>`, `invalid_<origin>`.
"""),
        code(HEADER_IMPORTS + "\nfrom autotariffs import panel as apanel\nfrom autotariffs.models import crv1_check, invalid_table, origin_results, results_table, summarize_origin\nfrom autotariffs.models import deals\nfrom autotariffs.models import reduced_form as rfm\nfrom autotariffs.sources.dataweb import usmca_claim_shares\nfrom autotariffs.figures import deals as dfig\nfrom autotariffs.models.varieties import variety_estimates, variety_table\nfrom autotariffs.figures import estimates as efig\nfrom autotariffs.figures import reduced_form as rffig\nfrom autotariffs.figures import save\n" + BEFORE),
        params('origin = "KOR"\ncontrols = ["MEX", "CAN"]\nsource = "snapshot"\nstart = "2020-01"\nend = "2025-07"\nevent_date = "2025-04-03"\nbaseline_start = "2021-01"\ndonut = 1\nleads = 6\nn_boot = 999\nseed = 20250403'),
        code("""
origins_in_data = apanel.available_origins()
P = config.validate("04_estimates", globals(), before=_before | {"origins_in_data"}, known_origins=origins_in_data)
# the panel for this notebook's own window and source, by the same builder as 03 (so Make runs
# this notebook as soon as flows, tariffs and FX exist, beside 03)
panel = apanel.load_panel(start=P["start"], end=P["end"], source=P["source"])
P
"""),
        code("""
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
"""),
        md("""
## Reduced form (headline)

Each row: the post-tariff mean of the seasonally adjusted gap between the origin and the
comparison origins, in log points; the 95% interval and the first p-value come from conformal
inference with the difference-in-differences counterfactual; the second from the origin's own
seasonal time-series counterfactual; the third is the rank of the estimate among in-time
placebos. The smallest attainable p-value of each test is in the table.
"""),
        code("""
tab = rfm.headline_table(rf)
report.register_table(tab, f"estimates_{P['origin']}", f"Reduced form for {P['origin']}",
    rfm.headline_caption(rf), notebook="04_estimates", params=P)
tab.round(3)
"""),
        code("""
fig = rffig.fig_gap_by_month(rf, P["origin"], "ln_q")
save(fig, f"event_study_{P['origin']}")
fig_meta = report.register_figure(f"event_study_{P['origin']}",
    f"Monthly gap: {P['origin']} vs {', '.join(P['controls'])}", rfm.gap_caption(rf, "ln_q"),
    notebook="04_estimates", params=P, source_note=rffig.SOURCE_NOTE)
fig = efig.fig_in_time_placebos(rfm.placebo_result(rf, "ln_q"),
    title=f"{P['origin']}: in-time placebos, log vehicles", xlabel="placebo estimate (log points)")
save(fig, f"placebos_{P['origin']}")
fig_meta = report.register_figure(f"placebos_{P['origin']}",
    f"In-time placebos: {P['origin']}, log vehicles", rfm.placebo_caption(rf, "ln_q"),
    notebook="04_estimates", params=P, source_note=rffig.SOURCE_NOTE)
"""),
        md("""
## What depends on assumptions: ratios over the comparison origins' exposure

Elasticity = reduced form / tariff gap; the gap depends on how much duty Mexican and Canadian cars
paid (the USMCA non-US content share, not in the data). γ: 0 = US buyers pay the whole duty,
−1 = exporters absorb it.
"""),
        code("""
fig = rffig.fig_sensitivity(sens, P["origin"])
save(fig, f"sensitivity_{P['origin']}")
fig_meta = report.register_figure(f"sensitivity_{P['origin']}",
    f"Elasticity and pass-through against exposure: {P['origin']}", rfm.sensitivity_caption(sens),
    notebook="04_estimates", params=P, source_note=rffig.SOURCE_NOTE)
pd.DataFrame(sens["curve"]).round(3)
"""),
        md("""
## Pooled five-origin regressions and the appendix of invalid-by-design intervals
"""),
        code("""
pooled_tab = results_table(summary)
report.register_table(pooled_tab, f"pooled_{P['origin']}", "Pooled regressions over all origins",
    "Coefficient on ln(1+τ) over every origin (G clusters); wild cluster bootstrap (Webb weights, "
    "all draws enumerated when 6^G is small) and randomization inference over the distinct "
    "assignments of the origins' tariff paths (origins with identical paths are one assignment), "
    "with the smallest attainable p-value.", notebook="04_estimates", params=P)
inv = invalid_table(summary, res["invalid_by_design"]["reason"])
report.register_table(inv, f"invalid_{P['origin']}",
    f"Appendix: cluster-robust intervals for {P['origin']} that are invalid by design",
    "Shown for transparency only. " + res["invalid_by_design"]["reason"],
    notebook="04_estimates", params=P)
if varieties is not None:  # source: census only
    vt = variety_table(varieties)
    report.register_table(vt, f"varieties_{P['origin']}", f"HS10 estimates for {P['origin']} vs {', '.join(P['controls'])}",
        "Coefficient on ln(1+τ) with absorbed variety (HS10 × origin) and HS10 × month fixed effects: PPML of value and "
        "vehicles in levels (zeros kept), OLS of ln vehicles, and pass-through to ln ex-tariff unit value with ln FX. "
        "Clustered by origin (G ≤ 3: few-cluster inference, t(G−1)) and by variety (ignores correlation across HS10 "
        "lines of one origin-month, so optimistic).",
        notebook="04_estimates", params=P)
    display(vt.round(3))
pooled_tab.round(3)
"""),
        md("""
## After the deals

Korea: its own customs data (exports of HS 8703 by destination, FOB, to 2026-06) reach past the
25 → 15% cut of 2025-11-01, a second tariff change of the opposite sign. Exports to the US are
compared with exports to Canada, Germany, Australia and Saudi Arabia (destination and month
effects), with inference for one treated destination. Japan: its mirror series ends in the month
of its deal, which cannot identify anything.
"""),
        code("""
has_kcs = bool((flows["source"] == deals.SOURCE).any())
if P["origin"] == "KOR" and has_kcs:
    res["deal_cut"] = deals.deal_results(flows)
    es_dest = deals.event_study(deals.destination_wide(flows))
    fig = dfig.fig_deal_event_study(es_dest, res["deal_cut"])
    save(fig, "deal_cut_KOR")
    fig_meta = report.register_figure("deal_cut_KOR", "Korea's exports to the US around both tariff changes",
        deals.event_study_caption(res["deal_cut"]), notebook="04_estimates", params=P,
        source_note="Source: Korea Customs Service, exports of HS 8703 by destination (FOB, USD), 2025-01 to 2026-06.")
    display(pd.DataFrame({k: v for k, v in res["deal_cut"].items() if not isinstance(v, (dict, list))}, index=["KOR"]).T)
elif P["origin"] == "JPN" and (flows["source"] == "comtrade_jpn_exp").any():
    res["deal_coverage"] = deals.japan_deal_coverage(flows)
    print(res["deal_coverage"]["note"])
"""),
        md("## Headline numbers (checked by nbval)"),
        check("""
o = P["origin"]
report.write_results(f"04_estimates_{o}", {o: res}, params=P,
                     headline=[f"{o}.reduced_form.{y}.{k}" for y in ("ln_q", "ln_v", "ln_uv")
                               for k in ("coef", "p_conformal", "p_placebo")])
for y in ("ln_q", "ln_v", "ln_uv"):
    r = rf[y]
    print(f"{o} {y}: {r['coef']:+.3f} [{r['ci95_low']:+.3f}, {r['ci95_high']:+.3f}] "
          f"p_conformal={r['p_conformal']:.3f} p_ts={r['p_conformal_ts']:.3f} "
          f"p_placebo={r['p_placebo']:.3f} (n_placebos={r['n_placebos']})")
print("CRV1 valid by design:", res["invalid_by_design"]["valid"])
"""),
    ])


def nb05():
    write("05_robustness", [
        md("""
# 05 · Robustness

Placebo event date (2024-04-03), leaving one control out, alternative sample windows, the
USMCA content-share range for MEX/CAN, value against quantity outcomes, and PPML in levels
(Santos Silva–Tenreyro) with absorbed fixed effects as the check on log-linear bias.

**Writes.** `reports/results/05_robustness.json`; table `robustness`; figure `robustness`.
"""),
        code(HEADER_IMPORTS + "\nfrom autotariffs import panel as apanel\nfrom autotariffs import tariffs\nfrom autotariffs.models import robustness\nfrom autotariffs.figures import save\n" + BEFORE),
        params('origins = ["KOR", "JPN"]\nsource = "snapshot"\nstart = "2020-01"\nend = "2025-07"\nplacebo_date = "2024-04-03"\nusmca_share_range = [0.3, 0.7]\nn_boot = 999\nseed = 20250403'),
        code("""
origins_in_data = apanel.available_origins()
P = config.validate("05_robustness", globals(), before=_before | {"origins_in_data"}, known_origins=origins_in_data)
# robustness runs on origin x month (census HS10 panels are aggregated; no-op for the snapshot)
panel = apanel.origin_month(apanel.load_panel(start=P["start"], end=P["end"], source=P["source"]))
P
"""),
        md("""
The MEX/CAN tariff depends on the assumed non-US content share of USMCA vehicles: the schedule and
the panel are rebuilt at each end of `usmca_share_range` (everything else unchanged).
"""),
        code("""
flows = pd.read_parquet(paths.PROCESSED / "flows.parquet")
fx = pd.read_parquet(paths.PROCESSED / "fx_monthly.parquet")
events = tariffs.load_events()
share_panels = {
    s: apanel.origin_month(apanel.build_panel(
        flows, tariffs.monthly_schedule(tariffs.daily_schedule(events, usmca_nonus_share=s)),
        fx, start=P["start"], end=P["end"], source=P["source"]))
    for s in P["usmca_share_range"]
}
rob = robustness.run_all(panel, origins=P["origins"], start=P["start"], end=P["end"],
                         placebo_date=P["placebo_date"], share_panels=share_panels,
                         n_boot=P["n_boot"], seed=P["seed"])
report.register_table(rob["table"], "robustness", "Robustness of the elasticity and pass-through",
    "Each row is one regression of the origin against the comparison origins on ln(1+τ) (12-month "
    "differences unless the row says otherwise) with one change from the base specification named in the "
    "row. These are the regression-based ratios, not the reduced-form headline; their CRV1 and wild-bootstrap "
    "p-values rest on one treated origin (G = 3 or 2 clusters) and are NOT valid inference (see the appendix "
    "tables): compare point estimates across rows only.", notebook="05_robustness", params=P)
rob["table"]
"""),
        code("""
fig = robustness.fig_robustness(rob["table"])
save(fig, "robustness")
fig_meta = report.register_figure("robustness", "Regression-based ratios across specifications",
    "Coefficient on ln(1+τ) across specifications, by origin and outcome: each row is the regression named in the "
    "table's 'specification' column with the one change named on the axis. Intervals are CRV1 with one treated "
    "origin and are not valid inference (shown only to compare specifications); hollow markers have no interval "
    "(the table's 'interval' column says why). The headline is the reduced form, not these ratios.",
    notebook="05_robustness", params=P,
    source_note="Source: UN Comtrade monthly HS 8703; tariff events table; FRED exchange rates.")
"""),
        md("## Headline numbers (checked by nbval)"),
        check("""
report.write_results("05_robustness", {"robustness": rob["results"]}, params=P)
for line in rob["summary_lines"]:
    print(line)
"""),
    ])


def nb06():
    write("06_report", [
        md("""
# 06 · Report

Shows the published validation tables reproduced with our estimators (Yotov et al. 2016; Santos
Silva–Tenreyro 2006; computed by the Make step `validation`), places our estimates beside the literature, and builds
`reports/index.html`, `reports/results.json` and the figure registry.
"""),
        code(HEADER_IMPORTS_NOFIG + "\nimport json\n\nfrom autotariffs import literature, narrative, validation\n" + BEFORE),
        params('title = "US auto tariffs and imports from Korea and Japan"'),
        code('P = config.validate("06_report", globals(), before=_before)\nP'),
        md("## External validation"),
        code("""
val = pd.read_csv(paths.PROCESSED / "validation.csv")  # written by `python -m autotariffs.validation`
report.register_table(val, "validation", "Validation: published tables reproduced with our estimators",
    "Our coefficient and standard error beside the published reference value for each reproduced term.",
    notebook="06_report", params=P)
val.groupby(["table", "column"])["match"].all().to_frame()
"""),
        md("""
## Literature

Every row names its convention: elasticities are d ln(flow)/d ln(1+τ); price effects are
pass-through to the duty-inclusive price (1 = buyers pay all, 0 = exporters absorb all), so our
γ enters as 1 + γ. Our ratios are taken at a USMCA non-US content share of 0.5 — see the
sensitivity curves for how much they move with it.
"""),
        code("""
est = {}
for f in sorted(paths.RESULTS.glob("04_estimates_*.json")):
    est.update({k: v for k, v in json.loads(f.read_text()).items() if k in ("KOR", "JPN")})
desc = json.loads((paths.RESULTS / "03_descriptives.json").read_text())
est.update({k: desc[k] for k in ("exposure", "collected") if k in desc})
lit = literature.literature_table(literature.ours_from_results(est))
report.register_table(lit, "literature", "Our estimates beside the literature",
    "Each row's numbers are in the convention named in its 'convention' column. Ours: reduced form "
    "divided by the tariff gap at a USMCA non-US content share of 0.5 (pass-through = 1 + γ). "
    "Checked: V = verified against the source, S = secondary source only, U = recalled, unverified.",
    notebook="06_report", params=P)
lit
"""),
        md("""
## What the shipped data can and cannot say

Generated from the estimates (`autotariffs.narrative`), so the text cannot drift from the numbers.
"""),
        code("""
ident = narrative.identification_notes(est)
for topic, lines in ident.items():
    print(topic.upper())
    for line in lines:
        print(" -", line)
"""),
        code("""
report.write_results("06_report", {"validation": validation.validation_summary(val),
                                   "identification": ident}, params=P,
                     headline=["validation.n_matched", "validation.n_terms"])
outputs = report.build_report(title=P["title"])
sorted(str(p.relative_to(paths.REPORTS)) for p in outputs.values())
"""),
        md("## Headline numbers (checked by nbval)"),
        check("""
s = validation.validation_summary(val)
print(f"validation: {s['n_matched']}/{s['n_terms']} reproduced terms match the published values")
"""),
    ])


if __name__ == "__main__":
    which = sys.argv[1:] or ["nb01", "nb02", "nb03", "nb04", "nb05", "nb06"]
    for w in which:
        globals()[w]()
