"""Estimators for the S232 auto-tariff episode on the origin x month panel.

Public entry point for the per-origin notebooks: :func:`summarize_origin`. The building blocks are
:mod:`.elasticity` (import demand, PPML), :mod:`.passthrough`, :mod:`.event_study` and
:mod:`.inference` (CRV1 + wild cluster bootstrap + randomisation inference). ``fe.py`` and
``ppml.py`` (high-dimensional FE for the HS10 panel) are separate modules.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from autotariffs.models.inference import DEFAULT_SEED


def summarize_origin(
    panel: pd.DataFrame,
    origin: str,
    controls: Sequence[str] = ("MEX", "CAN"),
    n_boot: int = 9999,
    seed: int = DEFAULT_SEED,
    leads: int = 12,
    progress: bool = True,
) -> dict:
    """Everything for one origin (KOR or JPN), as a JSON-ready dict with stable keys.

    * ``pooled``: all origins in the panel (G = 5 for the snapshot) - elasticity (q, v; levels and
      d12), pass-through (levels, d12), PPML (quantity, value). These are common coefficients
      identified by the cross-origin tariff differences.
    * ``origin_vs_controls``: the same regressions on ``origin`` + ``controls`` only (G = 3 by
      default: wild bootstrap flagged uninformative, RI has 3! = 6 permutations).
    * ``event_study``: dynamic effects on ln q, ln v and ln uv (see
      :func:`autotariffs.models.event_study.event_study`).
    * ``mirror`` (JPN only): Japan-reported export unit-value regression.
    """
    from autotariffs.models import elasticity as el
    from autotariffs.models import event_study as es
    from autotariffs.models import passthrough as pt

    kw = {"n_boot": n_boot, "seed": seed, "progress": progress}
    sub = {"origin": origin, "controls": list(controls)}

    def block(**restrict) -> dict:
        return {
            "elasticity_q_levels": el.import_demand(panel, "q", "levels", **restrict, **kw),
            "elasticity_v_levels": el.import_demand(panel, "v", "levels", **restrict, **kw),
            "elasticity_q_d12": el.import_demand(panel, "q", "d12", **restrict, **kw),
            "elasticity_v_d12": el.import_demand(panel, "v", "d12", **restrict, **kw),
            "passthrough_levels": pt.passthrough(panel, "levels", **restrict, **kw),
            "passthrough_d12": pt.passthrough(panel, "d12", **restrict, **kw),
            "ppml_quantity": el.ppml_levels(panel, "quantity", progress=progress, **restrict),
            "ppml_value": el.ppml_levels(panel, "value_usd", progress=progress, **restrict),
        }

    pooled = block()
    out = {
        "origin": origin,
        "controls": list(controls),
        "pooled": pooled,
        "origin_vs_controls": block(**sub),
        "event_study": {
            y: es.event_study(panel, origin, controls, outcome=y, leads=leads, **kw).to_dict()
            for y in ("ln_q", "ln_v", "ln_uv")
        },
    }
    if origin == "JPN":
        try:
            out["mirror"] = pt.mirror_passthrough(panel)
        except ValueError as exc:  # keep the summary usable; say why the mirror is missing
            out["mirror"] = {"error": str(exc)}
    return out


HEADLINE_KEYS = ("coef", "se_crv1", "ci95_low", "ci95_high", "p_crv1", "p_wild", "n_boot",
                 "wild_informative", "p_ri", "n_perm", "n_obs", "n_clusters", "sample_start",
                 "sample_end", "data_source", "spec")


def _pick(r: dict) -> dict:
    return {k: r.get(k) for k in HEADLINE_KEYS}


def origin_results(summary: dict) -> dict:
    """The stable headline block of results.json for one origin.

    Headline = the origin against the less-treated USMCA controls in 12-month differences (the
    ARW / FGKK form: removes origin levels and stable seasonality), for vehicles (``elasticity``)
    and the ex-tariff unit value (``passthrough``, gamma). The pooled five-origin estimates (G = 5)
    and the level forms are kept beside them, so a reader sees how much the answer depends on the
    design.
    """
    ovc, pooled = summary["origin_vs_controls"], summary["pooled"]
    es = summary["event_study"]["ln_q"]
    post = [c for c in es["coefficients"] if c["k"] >= 0]
    return {
        "elasticity": _pick(ovc["elasticity_q_d12"]),
        "elasticity_value": _pick(ovc["elasticity_v_d12"]),
        "passthrough": _pick(ovc["passthrough_d12"]),
        "elasticity_levels": _pick(ovc["elasticity_q_levels"]),
        "passthrough_levels": _pick(ovc["passthrough_levels"]),
        "pooled": {k: _pick(v) for k, v in pooled.items()},
        "event_study": {
            "outcome": "ln_q",
            "coefficients": es["coefficients"],
            "pretrend": es["pretrend"],
            "mean_post": (sum(c["coef"] for c in post) / len(post)) if post else None,
            "n_obs": es["n_obs"],
            "n_clusters": es["n_clusters"],
            "sample_start": es["sample_start"],
            "sample_end": es["sample_end"],
            "notes": es["notes"],
        },
        "controls": summary["controls"],
        **({"mirror": summary["mirror"]} if "mirror" in summary else {}),
    }


def results_table(summary: dict) -> pd.DataFrame:
    """One row per estimate for the report: coefficient, CIs and every p-value with its G."""
    rows = []
    for design, block in (("origin vs controls", summary["origin_vs_controls"]),
                          ("pooled, all origins", summary["pooled"])):
        for name, r in block.items():
            rows.append({
                "design": design, "estimate": name, "coef": r.get("coef"),
                "se_crv1": r.get("se_crv1"), "ci95_low": r.get("ci95_low"),
                "ci95_high": r.get("ci95_high"), "p_crv1": r.get("p_crv1"),
                "p_wild": r.get("p_wild"), "p_ri": r.get("p_ri"),
                "n_clusters": r.get("n_clusters"), "n_obs": r.get("n_obs"),
            })  # fmt: skip
    return pd.DataFrame(rows)


__all__ = ["origin_results", "results_table", "summarize_origin"]
