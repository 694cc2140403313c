"""Stage 2, tariffs: the statutory schedule from the event table (``schedule``), duties collected
against statutory rates (``collected``) and the comparison origins' exposure (``exposure``).
Notebook ``02_tariff_schedule`` (and 03 for effective and collected rates)."""
