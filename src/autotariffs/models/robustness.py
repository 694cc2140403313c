"""Robustness of the headline coefficients: placebo date, leave one control out, windows, the
USMCA content share, value vs quantity, and PPML with absorbed fixed effects.

Every row re-runs one estimator of :mod:`autotariffs.models.elasticity` /
:mod:`autotariffs.models.passthrough` with one change, so each carries the same CRV1, wild-bootstrap
and randomization-inference p-values and its number of clusters. Models never read files: panels
rebuilt under other content shares are passed in by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from autotariffs import design
from autotariffs.models import elasticity as el
from autotariffs.models import passthrough as pt
from autotariffs.models.fe import dropped_text
from autotariffs.outputs import Text

EVENT = design.TARIFF.month
#: title and caption of the table of :func:`run_all`
ROBUSTNESS_TEXT = Text(
    "Robustness of the elasticity and pass-through",
    "Each row is one regression of the origin against the comparison origins on ln(1+τ) (12-month "
    "differences unless the row says otherwise) with one change from the base specification named "
    "in the row. These are the regression-based ratios, not the reduced-form headline; their CRV1 "
    "and wild-bootstrap p-values rest on one treated origin (G = 3 or 2 clusters) and are NOT valid "
    "inference (see the appendix tables): compare point estimates across rows only.",
)
COLUMNS = [
    "check",
    "variant",
    "origin",
    "outcome",
    "coef",
    "ci95_low",
    "ci95_high",
    "p_crv1",
    "p_wild",
    "p_ri",
    "n_clusters",
    "n_obs",
    "sample_start",
    "sample_end",
    "specification",
    "interval",
    "note",
]


def interval_note(r: Mapping) -> str:
    """Why a row's interval is what it is (every row says it; the figure marks the missing)."""
    g = int(r.get("n_clusters") or 0)
    if not np.isfinite(r.get("ci95_low", np.nan)) or not np.isfinite(r.get("ci95_high", np.nan)):
        return (f"none: G = {g} clusters (one treated origin, one control); the CRV1 variance is "
                "identically zero or undefined, so no interval or CRV1/wild p-value is shown")
    if g <= 3:
        return (f"CRV1, G = {g}: one treated origin, invalid by design (shown only to compare "
                "specifications; see the appendix tables)")
    return f"CRV1, G = {g}: few clusters, over-rejects; read with the wild and RI p-values"


def _row(check: str, variant: str, origin: str, outcome: str, r: Mapping, note: str = "") -> dict:
    r = dict(r)
    if int(r.get("n_clusters") or 0) <= 2 or r["ci95_high"] == r["ci95_low"]:
        # one treated origin and one control: the treated cluster's score is zero and so is the
        # only other one's after month effects, so CRV1 is identically 0 (p ~ 1e-14): no number
        r.update({"ci95_low": np.nan, "ci95_high": np.nan, "p_crv1": np.nan, "p_wild": np.nan})
    return {
        "check": check, "variant": variant, "origin": origin, "outcome": outcome,
        "coef": r["coef"], "ci95_low": r["ci95_low"], "ci95_high": r["ci95_high"],
        "p_crv1": r["p_crv1"], "p_wild": r.get("p_wild", np.nan), "p_ri": r.get("p_ri", np.nan),
        "n_clusters": r["n_clusters"], "n_obs": r["n_obs"],
        "sample_start": r.get("sample_start", ""), "sample_end": r.get("sample_end", ""),
        "specification": r.get("spec", ""), "interval": interval_note(r),
        "note": note,
    }  # fmt: skip


def placebo_panel(
    panel: pd.DataFrame, placebo_date: str, event: pd.Timestamp = EVENT
) -> pd.DataFrame:
    """Shift each origin's tariff path back so the 2025 step lands on the placebo month.

    The sample is cut before the real event, so only pre-treatment data are used: a non-zero
    placebo coefficient signals trends or seasonality the specification does not absorb.
    """
    shift = (event.year - pd.Timestamp(placebo_date).year) * 12 + (
        event.month - pd.Timestamp(placebo_date).month
    )
    p = panel.sort_values(["origin", "month"]).copy()
    fut = p[["origin", "month", "ln1p_tau"]].copy()
    fut["month"] = fut["month"] - pd.DateOffset(months=shift)
    p = p.drop(columns=["ln1p_tau"]).merge(fut, on=["origin", "month"], how="left")
    return p[p["month"] < event].reset_index(drop=True)


def run_all(
    panel: pd.DataFrame,
    origins: Sequence[str] = design.TREATED,
    controls: Sequence[str] = design.CONTROLS,
    start: str = "2020-01",
    end: str = "2025-07",
    placebo_date: str = "2024-04-03",
    share_panels: Mapping[float, pd.DataFrame] | None = None,
    n_boot: int = 999,
    seed: int = 20250403,
    progress: bool = False,
) -> dict:
    """Run every robustness check; return ``{"table", "results", "summary_lines"}``."""
    kw = {"n_boot": n_boot, "seed": seed, "progress": progress}
    rows: list[dict] = []
    win = {"start": start, "end": end}

    # pooled (all origins, G = 5) baselines, then value vs quantity, d12 form, windows
    rows.append(
        _row(
            "baseline",
            "pooled, levels",
            "ALL",
            "ln_q",
            el.import_demand(panel, "q", "levels", **win, **kw),
        )
    )
    rows.append(
        _row(
            "outcome",
            "pooled, value",
            "ALL",
            "ln_v",
            el.import_demand(panel, "v", "levels", **win, **kw),
        )
    )
    rows.append(
        _row(
            "form",
            "pooled, 12-month differences",
            "ALL",
            "d12_ln_q",
            el.import_demand(panel, "q", "d12", **win, **kw),
        )
    )
    rows.append(
        _row(
            "baseline",
            "pooled, levels",
            "ALL",
            "ln_uv (pass-through)",
            pt.passthrough(panel, "levels", **win, **kw),
        )
    )
    for s, e, label in [
        ("2021-01", end, "from 2021 (drop COVID 2020)"),
        ("2023-01", end, "from 2023 (drop 2022 estimated quantities)"),
        (start, "2025-06", "to 2025-06"),
    ]:
        rows.append(
            _row(
                "window",
                label,
                "ALL",
                "ln_q",
                el.import_demand(panel, "q", "levels", start=s, end=e, **kw),
            )
        )
        rows.append(
            _row(
                "window",
                label,
                "ALL",
                "ln_uv (pass-through)",
                pt.passthrough(panel, "levels", start=s, end=e, **kw),
            )
        )

    # placebo: the 2025 tariff step moved to the placebo date, pre-2025-04 data only
    pp = placebo_panel(panel, placebo_date)
    rows.append(
        _row(
            "placebo",
            f"tariff step moved to {placebo_date}",
            "ALL",
            "ln_q",
            el.import_demand(pp, "q", "levels", start=start, **kw),
            "pre-treatment sample only; expect no effect",
        )
    )
    rows.append(
        _row(
            "placebo",
            f"tariff step moved to {placebo_date}",
            "ALL",
            "ln_uv (pass-through)",
            pt.passthrough(pp, "levels", start=start, **kw),
            "pre-treatment sample only; expect no effect",
        )
    )

    # per origin: leave one control out
    for o in origins:
        rows.append(
            _row(
                "origin vs controls",
                f"{o} vs {', '.join(controls)}",
                o,
                "ln_q",
                el.import_demand(panel, "q", "levels", origin=o, controls=controls, **win, **kw),
            )
        )
        for c in controls:
            rest = [x for x in controls if x != c]
            if not rest:
                continue
            rows.append(
                _row(
                    "leave one control out",
                    f"{o} vs {', '.join(rest)} (drop {c})",
                    o,
                    "ln_q",
                    el.import_demand(panel, "q", "levels", origin=o, controls=rest, **win, **kw),
                    "G = 2: cluster-robust inference is not meaningful",
                )
            )

    # USMCA non-US content share for MEX/CAN
    for share, sp in sorted((share_panels or {}).items()):
        rows.append(
            _row(
                "USMCA content share",
                f"non-US share {share:.2f}",
                "ALL",
                "ln_q",
                el.import_demand(sp, "q", "levels", **win, **kw),
            )
        )
        rows.append(
            _row(
                "USMCA content share",
                f"non-US share {share:.2f}",
                "ALL",
                "ln_uv (pass-through)",
                pt.passthrough(sp, "levels", **win, **kw),
            )
        )

    # PPML in levels (fepois, FE absorbed). One row per outcome: a second "absorbed FE" row that
    # refitted the same model and differed only in the CRV1 small-sample K showed the same
    # coefficient under a label that read like another specification, so it is gone.
    for outcome, label in [("quantity", "vehicles"), ("value_usd", "value")]:
        r = el.ppml_levels(panel, outcome, start=start, end=end, progress=progress)
        rows.append(
            _row(
                "PPML",
                f"Poisson PML, {label}",
                "ALL",
                outcome,
                r,
                "Santos Silva-Tenreyro check on log-linear bias; dropped: "
                + dropped_text(r.get("n_dropped", {})),
            )
        )

    table = pd.DataFrame(rows, columns=COLUMNS)
    results = {
        _slug(f"{r['check']} {r['variant']} {r['origin']} {r['outcome']}"): {
            k: r[k]
            for k in ("coef", "ci95_low", "ci95_high", "p_wild", "p_ri", "n_clusters", "n_obs")
        }
        for r in rows
    }
    lines = [
        f"{r['check']:<22} {r['variant'][:46]:<46} {r['outcome'][:20]:<20} "
        f"{r['coef']:+.3f} p_wild={_fmt(r['p_wild'])} G={r['n_clusters']}"
        for r in rows
    ]
    return {"table": table, "results": results, "summary_lines": lines}


def _slug(text: str) -> str:
    """A stable results.json key (dots are reserved for dotted paths in the report)."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _fmt(p: float) -> str:
    return "  n/a" if p is None or not np.isfinite(p) else f"{p:.3f}"
