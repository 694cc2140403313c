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
# # 01 · Build the data: raw snapshot → canonical trade flows
#
# **What it does.** Verifies `data/raw/SHA256SUMS` (the build stops, naming the file, if any byte
# differs), reads every raw source through its adapter (UN Comtrade, Census API extracts, USITC
# DataWeb, USA Trade Online, FRED), checks each against its data contract and writes one canonical
# long table of trade **flows**, monthly exchange rates, coverage and reconciliation tables.
#
# **Writes.** `data/processed/flows.parquet`, `fx_monthly.parquet`, `macro_monthly.parquet`,
# `coverage.csv`, `reconciliation.csv`; `reports/results/01_build_data.json`; tables `coverage`,
# `reconciliation`.

# %%
import pandas as pd

from autotariffs import config, outputs, paths

pd.set_option("display.width", 120)

from autotariffs.data import build, reconcile

_before = set(globals()) | {"_before"}  # names papermill may not override

# %% tags=["parameters"]
source = "snapshot"
verify_checksums = True

# %%
P = config.validate("01_build_data", globals(), before=_before)
P

# %% [markdown]
# ## Build (verify checksums → adapters → contracts → parquet)

# %%
written = build.build_all(verify=P['verify_checksums'], include_fetched=P['source'] == 'census')
sorted(p.name for p in written.values())

# %%
flows = pd.read_parquet(paths.PROCESSED / "flows.parquet")
coverage = pd.read_csv(paths.PROCESSED / "coverage.csv")
recon = pd.read_csv(paths.PROCESSED / "reconciliation.csv")
flows.groupby("source").size().rename("rows").to_frame()

# %% [markdown]
# ## Reconciliation
#
# Comtrade monthly 8703 (2024 sums) against Census HS10 2024 by origin (tolerance 3%), Comtrade
# annual against monthly, the US–Japan mirror gap, and Census chapter 87 against DataWeb.

# %%
recon

# %%
outputs.publish_table(coverage, "coverage", build.COVERAGE_TEXT, notebook="01_build_data", params=P)
outputs.publish_table(recon, "reconciliation", reconcile.RECONCILIATION_TEXT,
                      notebook="01_build_data", params=P);

# %% [markdown]
# ## Headline numbers (checked by nbval)

# %% tags=["nbval-check-output"]
anchors = reconcile.census_8703_totals(flows)
results = {"data": {"census_8703_2024_bn": {k: round(v / 1e9, 2) for k, v in anchors.items()},
                    "n_flows": int(len(flows)),
                    "reconciliation_all_pass": bool(recon["passes"].dropna().astype(bool).all())}}
outputs.write_results("01_build_data", results, params=P)
for iso, v in sorted(results["data"]["census_8703_2024_bn"].items()):
    print(f"Census 2024 HS 8703 imports from {iso}: ${v:.2f}B")
print("rows in flows:", len(flows))
