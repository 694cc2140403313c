"""Stage 6, report: merges what the stages registered through :mod:`autotariffs.outputs` into
``results.json``, the figure registry and ``index.html`` (``html``), with the generated
narrative (``narrative``) and the literature comparison (``literature``). Notebook ``06_report``."""
