"""The shared layout of every reproduction (SST, Yotov, Feenstra), in a leaf module.

Not in a reproduction module, so that the report can summarise validation.csv without importing
statsmodels and the estimators (1-2 s per notebook start), and not in
:mod:`autotariffs.replication.tables`, which imports the reproductions (that was an import cycle).
"""

OUTPUT_COLUMNS = ["table", "column", "term", "ours_coef", "ref_coef", "ours_se", "ref_se", "match"]
