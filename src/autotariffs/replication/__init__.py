"""Gravity benchmarks re-estimated with our estimators (Santos Silva-Tenreyro 2006 in ``sst``, Yotov
et al. 2016 in ``yotov``, Feenstra 1989 in ``feenstra``), stacked by ``tables`` into
``data/processed/validation.csv`` (``autotariffs replicate``). The reference values are not the
articles' tables: see ``tables`` and ``data/external/*/README.md``. Sits beside the
figures, above the models whose estimators it checks."""
