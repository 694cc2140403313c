"""Estimators for the S232 auto-tariff episode on the origin x month panel.

Public entry point for the per-origin notebook: :func:`summarize_origin` (the origin against its
controls, whose cluster-robust intervals are invalid by design). The building blocks are
:mod:`.elasticity`, :mod:`.passthrough`, :mod:`.event_study`, :mod:`.pooled` and
:mod:`.inference`; ARCHITECTURE.md ("The models") says how they share one estimator stack and
one small-sample convention.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from autotariffs import design
from autotariffs.outputs import Text


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
    from autotariffs.models.pooled import regressions

    out = {
        "origin": origin,
        "controls": list(controls),
        "origin_vs_controls": regressions(panel, n_boot, seed, progress, origin=origin,
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
    from autotariffs.models.pooled import RegressionEstimate

    ovc = {k: RegressionEstimate.of(r).to_dict() for k, r in summary["origin_vs_controls"].items()}
    es = summary["event_study"]["ln_q"]
    validity = summary.get("crv1_validity", {"valid": None, "reason": "not checked"})
    return {
        "invalid_by_design": {
            "reason": validity.get("reason"),
            "valid": validity.get("valid"),
            "elasticity_d12": ovc["elasticity_q_d12"],
            "elasticity_value_d12": ovc["elasticity_v_d12"],
            "passthrough_d12": ovc["passthrough_d12"],
            "elasticity_levels": ovc["elasticity_q_levels"],
            "passthrough_levels": ovc["passthrough_levels"],
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


def invalid_table(summary: dict, reason: str) -> pd.DataFrame:
    """Appendix: the origin-vs-controls CRV1 / wild intervals that are invalid by design.

    ``reason`` (why CRV1 is invalid here) is said once, in the caption (:func:`invalid_text`),
    not on every row; the table keeps it in ``attrs["why_invalid"]``.
    """
    from autotariffs.models.pooled import LABELS

    rows = []
    for name, r in summary["origin_vs_controls"].items():
        rows.append({
            "estimate": LABELS.get(name, name), "coef": r.get("coef"),
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


__all__ = ["crv1_check", "invalid_table", "invalid_text", "origin_results", "summarize_origin"]
