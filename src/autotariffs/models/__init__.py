"""Estimators for the S232 auto-tariff episode on the origin x month panel.

Public entry point for the per-origin notebooks: :func:`summarize_origin`. The building blocks are
:mod:`.elasticity` (import demand, PPML), :mod:`.passthrough`, :mod:`.event_study` and
:mod:`.inference` (CRV1 + wild cluster bootstrap + randomisation inference).

One estimator stack (issue 13): every panel regression - per-origin and pooled elasticities and
pass-through, PPML, the event study, the HS10 variety estimates - is fitted by the package's own
:func:`.fe.feols` / :func:`.ppml.fepois` with the fixed effects absorbed (origin, month and
origin x month-of-year as one combined categorical), returning an :class:`.fe.FEResult`
(coefficients, vcov, ``tidy()``, ``n_dropped``). statsmodels remains the engine of the OLS
algebra inside ``feols`` and of the time-series counterfactual (:mod:`.reduced_form`,
:mod:`.one_treated`, SARIMAX). The few-cluster inference functions take the Frisch-Waugh-Lovell
problem built from a fit (:func:`.inference.fwl_absorbed`: y~, x~ and the annihilator M_Z of the
absorbed FE + covariates; no dummy matrix): :func:`.inference.wild_cluster_bootstrap`,
:func:`.inference.randomization_inference` (``problem=``), :func:`.inference.crv1_summary`.
The JSON-ready dicts of :mod:`.elasticity` are :class:`.elasticity.Estimate` objects carrying
``.fit`` / ``.problem`` / ``.tidy()``, and every one has ``n_dropped``.

Small-sample convention: CRV1 ``G/(G-1) (N-1)/(N-K)``, t(G-1), with K = slopes + the exact rank
of the FE dummy design (``fe.SSC(k_fixef="rank")``), i.e. what OLS on explicit dummies counts
(the pre-issue-13 statsmodels path; tests/models/test_stack.py checks agreement to 1e-8). fixest's
default would not count origin and origin x moy (nested in the origin clusters) and give smaller
SEs. ``fe.py``/``ppml.py`` defaults stay fixest's (HS10 panel, Yotov replication).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from autotariffs import design
from autotariffs.outputs import Text


def _blocks(panel: pd.DataFrame, n_boot: int, seed: int, progress: bool, **restrict) -> dict:
    from autotariffs.models import elasticity as el
    from autotariffs.models import passthrough as pt

    kw = {"n_boot": n_boot, "seed": seed, "progress": progress}
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


def summarize_pooled(panel: pd.DataFrame, n_boot: int = design.N_BOOT,
                     seed: int = design.SEED, progress: bool = True) -> dict:
    """The pooled regressions over every origin in the panel (G = 5 for the snapshot):
    elasticity (q, v; levels and d12), pass-through (levels, d12), PPML (quantity, value),
    common coefficients identified by the cross-origin tariff differences. The same for every
    treated origin, so they are estimated once (step 05), not in each origin's run."""
    return _blocks(panel, n_boot, seed, progress)


def summarize_origin(
    panel: pd.DataFrame,
    origin: str,
    controls: Sequence[str] = design.CONTROLS,
    n_boot: int = design.N_BOOT,
    seed: int = design.SEED,
    leads: int = design.LEADS,
    progress: bool = True,
) -> dict:
    """The origin's regressions against its controls, as a JSON-ready dict with stable keys.

    * ``origin_vs_controls``: the pooled specifications on ``origin`` + ``controls`` only
      (G = 3 by default: invalid by design with one treated cluster, kept for the appendix).
    * ``event_study``: dynamic effects on ln q, ln v and ln uv
      (:func:`autotariffs.models.event_study.event_study`).
    * ``mirror``: the export unit-value regression on the origin's own export statistics, when
      the panel carries a mirror series for it (:func:`.passthrough.has_mirror`).
    """
    from autotariffs.models import event_study as es
    from autotariffs.models import passthrough as pt

    out = {
        "origin": origin,
        "controls": list(controls),
        "origin_vs_controls": _blocks(panel, n_boot, seed, progress, origin=origin,
                                      controls=list(controls)),
        "event_study": {
            y: es.event_study(panel, origin, controls, outcome=y, leads=leads, n_boot=n_boot,
                              seed=seed, progress=progress).to_dict()
            for y in ("ln_q", "ln_v", "ln_uv")
        },
    }
    out["crv1_validity"] = crv1_check(panel, origin, controls)
    if pt.has_mirror(panel, origin):
        try:
            out["mirror"] = pt.mirror_passthrough(panel, origin)
        except ValueError as exc:  # keep the summary usable; say why the mirror is missing
            out["mirror"] = {"error": str(exc)}
    return out


HEADLINE_KEYS = ("coef", "se_crv1", "ci95_low", "ci95_high", "p_crv1", "p_wild", "n_boot",
                 "wild_informative", "p_ri", "n_perm", "n_assignments", "min_p_ri", "n_obs",
                 "n_clusters", "sample_start", "sample_end", "data_source", "spec")


def _pick(r: dict) -> dict:
    return {k: r.get(k) for k in HEADLINE_KEYS}


def crv1_check(panel: pd.DataFrame, origin: str, controls: Sequence[str],
               x: str = "d12_ln1p_tau") -> dict:
    """Is cluster-robust inference valid for ``origin`` against ``controls``? (by design)

    One treated origin against controls whose tariff paths are identical: with month effects
    the treated cluster's score is zero and CRV1 / the wild bootstrap measure only
    control-minus-control noise (Conley & Taber 2011; MacKinnon & Webb 2017).
    """
    from autotariffs.models import inference as inf

    units = [origin, *controls]
    wide = (panel[panel["origin"].isin(units)].pivot(index="origin", columns="month", values=x)
            .dropna(axis=1))
    labels = sorted(wide.index)
    return inf.crv1_validity(wide.loc[labels].to_numpy(float), labels)


def origin_results(summary: dict) -> dict:
    """The stable block of results.json for one origin.

    The headline is the design comparison with inference built for one treated origin (added by
    the notebook from :mod:`autotariffs.models.reduced_form`). The regressions of the origin
    against the USMCA controls with CRV1 and wild-bootstrap intervals are kept only under
    ``invalid_by_design`` with the reason they are invalid (one treated cluster).
    """
    ovc = summary["origin_vs_controls"]
    es = summary["event_study"]["ln_q"]
    validity = summary.get("crv1_validity", {"valid": None, "reason": "not checked"})
    return {
        "invalid_by_design": {
            "reason": validity.get("reason"),
            "valid": validity.get("valid"),
            "elasticity_d12": _pick(ovc["elasticity_q_d12"]),
            "elasticity_value_d12": _pick(ovc["elasticity_v_d12"]),
            "passthrough_d12": _pick(ovc["passthrough_d12"]),
            "elasticity_levels": _pick(ovc["elasticity_q_levels"]),
            "passthrough_levels": _pick(ovc["passthrough_levels"]),
            "event_study": {
                "outcome": "ln_q",
                "coefficients": es["coefficients"],
                "pretrend": es["pretrend"],
                "n_obs": es["n_obs"],
                "n_clusters": es["n_clusters"],
                "sample_start": es["sample_start"],
                "sample_end": es["sample_end"],
                "notes": es["notes"],
            },
        },
        "controls": summary["controls"],
        **({"mirror": summary["mirror"]} if "mirror" in summary else {}),
    }


_LABELS = {
    "elasticity_q_levels": "vehicles on ln(1+tariff), levels",
    "elasticity_v_levels": "value on ln(1+tariff), levels",
    "elasticity_q_d12": "vehicles on ln(1+tariff), 12-month differences",
    "elasticity_v_d12": "value on ln(1+tariff), 12-month differences",
    "passthrough_levels": "ex-tariff unit value (gamma), levels",
    "passthrough_d12": "ex-tariff unit value (gamma), 12-month differences",
    "ppml_quantity": "PPML vehicles, levels",
    "ppml_value": "PPML value, levels",
}


def pooled_results(pooled: dict) -> dict:
    """The stable results.json block ``pooled`` of :func:`summarize_pooled`."""
    return {k: _pick(v) for k, v in pooled.items()}


def results_table(pooled: dict) -> pd.DataFrame:
    """Pooled (all origins) rows: coefficient, wild-bootstrap and RI p-values with their counts."""
    rows = []
    for name, r in pooled.items():
        rows.append({
            "estimate": _LABELS.get(name, name), "coef": r.get("coef"),
            "p_wild": r.get("p_wild"), "wild_draws": r.get("n_boot"),
            "p_ri": r.get("p_ri"), "ri_distinct_assignments": r.get("n_assignments"),
            "ri_smallest_p": r.get("min_p_ri"), "G": r.get("n_clusters"), "N": r.get("n_obs"),
        })  # fmt: skip
    return pd.DataFrame(rows)


POOLED_TEXT = Text(
    "Pooled regressions over all origins",
    "Coefficient on ln(1+τ) over every origin (G clusters); wild cluster bootstrap (Webb weights, "
    "all draws enumerated when 6^G is small) and randomization inference over the distinct "
    "assignments of the origins' tariff paths (origins with identical paths are one assignment), "
    "with the smallest attainable p-value.",
)


def invalid_table(summary: dict, reason: str) -> pd.DataFrame:
    """Appendix: the origin-vs-controls CRV1 / wild intervals that are invalid by design.

    ``reason`` (why CRV1 is invalid here) is said once, in the caption (:func:`invalid_text`),
    not on every row; the table keeps it in ``attrs["why_invalid"]``.
    """
    rows = []
    for name, r in summary["origin_vs_controls"].items():
        rows.append({
            "estimate": _LABELS.get(name, name), "coef": r.get("coef"),
            "crv1_ci95_low": r.get("ci95_low"), "crv1_ci95_high": r.get("ci95_high"),
            "p_crv1": r.get("p_crv1"), "p_wild": r.get("p_wild"), "G": r.get("n_clusters"),
        })  # fmt: skip
    out = pd.DataFrame(rows)
    out.attrs["why_invalid"] = reason
    return out


def invalid_text(origin: str, reason: str) -> Text:
    """Title and caption of :func:`invalid_table` (``reason``: why CRV1 is invalid here)."""
    return Text(f"Appendix: cluster-robust intervals for {origin} that are invalid by design",
                "Shown for transparency only. " + reason)


__all__ = ["POOLED_TEXT", "crv1_check", "invalid_table", "invalid_text", "origin_results",
           "pooled_results", "results_table", "summarize_origin", "summarize_pooled"]
