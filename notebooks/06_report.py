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

from autotariffs.report import anchors, literature, merge, narrative
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
# ## Published price anchors
#
# The Bank of Japan's export price index for passenger cars to North America (as reported), beside
# our own estimate of Japanese exporters' unit values to the US (step 04).

# %%
merged, _, _ = merge.merge_results(paths.RESULTS)
boj = anchors.anchors_block(anchors.read_boj(paths.EXTERNAL / "boj_export_price_anchors" / "anchors.csv"))
merged["anchors"] = {"boj_export_prices": boj}
cmp = anchors.comparison_table(merged, boj)
outputs.publish_table(cmp, "export_price_anchors", anchors.ANCHORS_TEXT, notebook="06_report", params=P)
cmp

# %% [markdown]
# ## Literature
#
# Every row names its convention: elasticities are d ln(flow)/d ln(1+τ); price effects are
# pass-through to the duty-inclusive price (1 = buyers pay all, 0 = exporters absorb all), so our
# γ enters as 1 + γ. Our ratios are taken at a USMCA non-US content share of 0.5 — see the
# sensitivity curves for how much they move with it.

# %%
lit = literature.literature_table(literature.ours_from_results(merged))
outputs.publish_table(lit, "literature", literature.LITERATURE_TEXT, notebook="06_report", params=P)
lit

# %% [markdown]
# ## What the shipped data say
#
# Generated from the results (`autotariffs.report.narrative`): every number is quoted under its
# `results.json` key, and `reports/findings.json` keeps the key of each, so the text cannot drift
# from the numbers. The first three sentences open the report and the README (`make readme`).

# %%
answer = narrative.plain_answer(merged)
ident = narrative.identification_notes(merged)
for sent in answer:
    print(sent.text, end="\n\n")
for topic, sents in ident.items():
    print(topic.upper())
    for sent in sents:
        print(" -", sent.text)

# %%
outputs.write_results("06_report", {"validation": validation.validation_summary(val),
                                   "anchors": {"boj_export_prices": boj},
                                   "plain_answer": [x.text for x in answer],
                                   "identification": {t: [x.text for x in v] for t, v in ident.items()}},
                      params=P, headline=["validation.n_matched", "validation.n_terms"])
narrative.write_findings(answer, ident, paths.REPORTS)
built = report.build_report(title=P["title"], plain_answer=[x.html() for x in answer],
                            identification={t: [x.html() for x in v] for t, v in ident.items()})
sorted(str(p.relative_to(paths.REPORTS)) for p in built.values())

# %% [markdown]
# ## Headline numbers (checked by nbval)

# %% tags=["nbval-check-output"]
s = validation.validation_summary(val)
print(f"validation: {s['n_matched']}/{s['n_terms']} terms within 5e-4 of an independent re-estimation")
