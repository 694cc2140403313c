"""Stage 1, data: raw sources and their adapters (``sources/``), data contracts (``schemas``),
country codes (``countries``), the canonical flows build (``build``) and cross-source
reconciliation (``reconcile``). Notebook ``01_build_data``; outputs in ``data/processed/``."""
