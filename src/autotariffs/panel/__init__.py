"""Stage 3, panel: the analysis panel (origin x month) built from the data and tariff stages'
outputs (``build``). Built by notebooks 03, 04 and 05 for their own parameters."""
