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
# # 06 · Report
#
# Shows the validation table: two gravity benchmarks (Yotov et al. 2016; Santos Silva–Tenreyro
# 2006) re-estimated with our estimators and compared with an independent re-estimation that agrees
# at 3 decimals with R replications, not with the articles' tables (see
# `data/external/*/README.md`; computed by the Make step `validation`), places our estimates beside
# the literature, and builds `reports/index.html`, `reports/results.json` and the figure registry.

# %%
import pandas as pd

from autotariffs import config, outputs, paths
from autotariffs.report import html as report

pd.set_option("display.width", 120)

import json

from autotariffs.report import literature, narrative
from autotariffs.replication import tables as validation

_before = set(globals()) | {"_before"}  # names papermill may not override

# %% tags=["parameters"]
title = "US auto tariffs and imports from Korea and Japan"

# %%
P = config.validate("06_report", globals(), before=_before)
P

# %% [markdown]
# ## External validation

# %%
val = pd.read_csv(paths.PROCESSED / "validation.csv")  # written by `autotariffs replicate` (make validation)
outputs.publish_table(val, "validation", validation.VALIDATION_TEXT, notebook="06_report", params=P)
val.groupby(["table", "column"])["match"].all().to_frame()

# %% [markdown]
# ## Literature
#
# Every row names its convention: elasticities are d ln(flow)/d ln(1+τ); price effects are
# pass-through to the duty-inclusive price (1 = buyers pay all, 0 = exporters absorb all), so our
# γ enters as 1 + γ. Our ratios are taken at a USMCA non-US content share of 0.5 — see the
# sensitivity curves for how much they move with it.

# %%
est = {}
for f in sorted(paths.RESULTS.glob("04_estimates_*.json")):
    est.update({k: v for k, v in json.loads(f.read_text()).items()
                if isinstance(v, dict) and "reduced_form" in v})  # one block per origin run
desc = json.loads((paths.RESULTS / "03_descriptives.json").read_text())
est.update({k: desc[k] for k in ("exposure", "collected") if k in desc})
lit = literature.literature_table(literature.ours_from_results(est))
outputs.publish_table(lit, "literature", literature.LITERATURE_TEXT, notebook="06_report", params=P)
lit

# %% [markdown]
# ## What the shipped data can and cannot say
#
# Generated from the estimates (`autotariffs.report.narrative`), so the text cannot drift from the numbers.

# %%
ident = narrative.identification_notes(est)
for topic, lines in ident.items():
    print(topic.upper())
    for line in lines:
        print(" -", line)

# %%
outputs.write_results("06_report", {"validation": validation.validation_summary(val),
                                   "identification": ident}, params=P,
                     headline=["validation.n_matched", "validation.n_terms"])
built = report.build_report(title=P["title"])
sorted(str(p.relative_to(paths.REPORTS)) for p in built.values())

# %% [markdown]
# ## Headline numbers (checked by nbval)

# %% tags=["nbval-check-output"]
s = validation.validation_summary(val)
print(f"validation: {s['n_matched']}/{s['n_terms']} terms within 5e-4 of an independent re-estimation")
