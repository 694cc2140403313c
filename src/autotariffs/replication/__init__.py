"""Published tables reproduced with our estimators (Santos Silva-Tenreyro 2006 in ``sst``, Yotov et
al. 2016 in ``yotov``, Feenstra 1989 in ``feenstra``), stacked by ``tables`` into
``data/processed/validation.csv`` (``autotariffs replicate``). Sits beside the
figures, above the models whose estimators it checks."""
