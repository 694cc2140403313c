"""Robustness of the headline coefficients: placebo date, leave one control out, windows, the
USMCA content share, value vs quantity, and PPML with absorbed fixed effects.

Every row re-runs one estimator of :mod:`autotariffs.models.elasticity` /
:mod:`autotariffs.models.passthrough` with one change, so each carries the same CRV1, wild-bootstrap
and randomization-inference p-values and its number of clusters. Models never read files: panels
rebuilt under other content shares are passed in by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from autotariffs import design
from autotariffs.labels import fmt_p
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


@dataclass(frozen=True)
class Sample:
    """What a specification is fitted on: which panel, which origins and which months.

    ``panel`` is ``"base"`` (the analysis panel) or a USMCA non-US content share (the panel
    rebuilt under it, passed to :func:`run_all` by the caller); ``placebo`` moves the panel's
    2025 tariff step to that date (:func:`placebo_panel`). ``None`` leaves a restriction out
    (every origin, an open end).
    """

    start: str | None
    end: str | None = None
    panel: str | float = "base"
    placebo: str | None = None
    origin: str | None = None
    controls: tuple[str, ...] | None = None

    def restrict(self) -> dict:
        """The sample keyword arguments of the estimators (restrictions left out are omitted)."""
        out = {"origin": self.origin,
               "controls": None if self.controls is None else list(self.controls),
               "start": self.start, "end": self.end}
        return {k: v for k, v in out.items() if v is not None}


def _ols(outcome: str, form: str):
    return lambda panel, sample, boot: el.import_demand(panel, outcome, form, **sample, **boot)


def _passthrough(panel: pd.DataFrame, sample: dict, boot: dict) -> Mapping:
    return pt.passthrough(panel, "levels", **sample, **boot)


def _ppml(outcome: str):
    return lambda panel, sample, boot: el.ppml_levels(panel, outcome, **sample,
                                                      progress=boot["progress"])


#: the estimator of each ``outcome`` a specification names (the table's ``outcome`` column)
ESTIMATORS = {
    "ln_q": _ols("q", "levels"),
    "ln_v": _ols("v", "levels"),
    "d12_ln_q": _ols("q", "d12"),
    "ln_uv (pass-through)": _passthrough,
    "quantity": _ppml("quantity"),
    "value_usd": _ppml("value_usd"),
}


@dataclass(frozen=True)
class Spec:
    """One robustness specification: a stable ``id`` (its results.json key, chosen by hand, not
    made from the label), the kind of ``check`` (the figure's marker), the row's ``label``, the
    ``outcome`` (which names the estimator, :data:`ESTIMATORS`) and the :class:`Sample`."""

    id: str
    check: str
    label: str
    outcome: str
    sample: Sample
    origin: str = "ALL"
    note: str = ""
    #: append what the fit dropped to the note (PPML drops all-zero groups and separated rows)
    says_dropped: bool = False


PLACEBO_NOTE = "pre-treatment sample only; expect no effect"
G2_NOTE = "G = 2: cluster-robust inference is not meaningful"
PPML_NOTE = "Santos Silva-Tenreyro check on log-linear bias; dropped: "


def specifications(
    origins: Sequence[str] = design.TREATED,
    controls: Sequence[str] = design.CONTROLS,
    start: str = design.START,
    end: str = design.END,
    placebo_date: str = design.PLACEBO_DATE,
    shares: Sequence[float] = (),
) -> list[Spec]:
    """Every robustness specification, in the order of the table: adding one is one entry here.

    ``shares``: the USMCA non-US content shares whose panels the caller rebuilt.
    """
    base = Sample(start, end)
    placebo = Sample(start, placebo=placebo_date)
    moved = f"tariff step moved to {placebo_date}"
    both = [("ln_q", "ln_q"), ("ln_uv", "ln_uv (pass-through)")]
    return [
        # pooled over all origins (G = 5): levels, value, 12-month differences, pass-through
        Spec("pooled_ln_q", "baseline", "pooled, levels", "ln_q", base),
        Spec("pooled_ln_v", "outcome", "pooled, value", "ln_v", base),
        Spec("pooled_d12_ln_q", "form", "pooled, 12-month differences", "d12_ln_q", base),
        Spec("pooled_ln_uv", "baseline", "pooled, levels", "ln_uv (pass-through)", base),
        # other sample windows
        *[Spec(f"window_{wid}_{y}", "window", label, outcome, Sample(s, e))
          for wid, s, e, label in [
              ("from_2021", "2021-01", end, "from 2021 (drop COVID 2020)"),
              ("from_2023", "2023-01", end, "from 2023 (drop 2022 estimated quantities)"),
              ("to_2025_06", start, "2025-06", "to 2025-06")]
          for y, outcome in both],
        # the 2025 tariff step moved to the placebo date, pre-event data only
        *[Spec(f"placebo_{y}", "placebo", moved, outcome, placebo, note=PLACEBO_NOTE)
          for y, outcome in both],
        # each treated origin against the comparison origins, and leaving one of them out
        *[spec for o in origins for spec in [
            Spec(f"{o}_vs_controls_ln_q", "origin vs controls", f"{o} vs {', '.join(controls)}",
                 "ln_q", Sample(start, end, origin=o, controls=tuple(controls)), origin=o),
            *[Spec(f"{o}_without_{c}_ln_q", "leave one control out",
                   f"{o} vs {', '.join(rest)} (drop {c})", "ln_q",
                   Sample(start, end, origin=o, controls=rest), origin=o, note=G2_NOTE)
              for c, rest in _leave_one_out(controls)]]],
        # the MEX/CAN tariff under other USMCA non-US content shares
        *[Spec(f"usmca_share_{round(100 * s):02d}_{y}", "USMCA content share",
               f"non-US share {s:.2f}", outcome, Sample(start, end, panel=s))
          for s in sorted(shares) for y, outcome in both],
        # PPML in levels, FE absorbed: the check on log-linear bias
        Spec("ppml_quantity", "PPML", "Poisson PML, vehicles", "quantity", base, note=PPML_NOTE,
             says_dropped=True),
        Spec("ppml_value", "PPML", "Poisson PML, value", "value_usd", base, note=PPML_NOTE,
             says_dropped=True),
    ]


def _leave_one_out(controls: Sequence[str]) -> list[tuple[str, tuple[str, ...]]]:
    """(dropped, rest) for each control whose removal leaves at least one."""
    return [(c, rest) for c in controls if (rest := tuple(x for x in controls if x != c))]


@dataclass(frozen=True)
class Row:
    """One specification's estimate: coefficient, CRV1 interval and p-values, and its sample."""

    spec: Spec
    coef: float
    ci95_low: float
    ci95_high: float
    p_crv1: float
    p_wild: float
    p_ri: float
    n_clusters: int
    n_obs: int
    sample_start: str
    sample_end: str
    specification: str
    note: str

    @classmethod
    def of(cls, spec: Spec, r: Mapping) -> Row:
        r = dict(r)
        if int(r.get("n_clusters") or 0) <= 2 or r["ci95_high"] == r["ci95_low"]:
            # one treated origin and one control: the treated cluster's score is zero and so is
            # the only other one's after month effects, so CRV1 is identically 0: no number
            r.update({"ci95_low": np.nan, "ci95_high": np.nan, "p_crv1": np.nan, "p_wild": np.nan})
        note = spec.note + (dropped_text(r.get("n_dropped", {})) if spec.says_dropped else "")
        return cls(spec, r["coef"], r["ci95_low"], r["ci95_high"], r["p_crv1"],
                   r.get("p_wild", np.nan), r.get("p_ri", np.nan), r["n_clusters"], r["n_obs"],
                   r.get("sample_start", ""), r.get("sample_end", ""), r.get("spec", ""), note)

    @property
    def interval(self) -> str:
        return interval_note({"n_clusters": self.n_clusters, "ci95_low": self.ci95_low,
                              "ci95_high": self.ci95_high})

    def table_row(self) -> dict:
        """The row of the robustness table (:data:`COLUMNS`)."""
        s = self.spec
        return {"check": s.check, "variant": s.label, "origin": s.origin, "outcome": s.outcome,
                "coef": self.coef, "ci95_low": self.ci95_low, "ci95_high": self.ci95_high,
                "p_crv1": self.p_crv1, "p_wild": self.p_wild, "p_ri": self.p_ri,
                "n_clusters": self.n_clusters, "n_obs": self.n_obs,
                "sample_start": self.sample_start, "sample_end": self.sample_end,
                "specification": self.specification, "interval": self.interval,
                "note": self.note}

    def to_dict(self) -> dict:
        """The row's block of results.json (under ``robustness.<id>``)."""
        return {"coef": self.coef, "ci95_low": self.ci95_low, "ci95_high": self.ci95_high,
                "p_wild": self.p_wild, "p_ri": self.p_ri, "n_clusters": self.n_clusters,
                "n_obs": self.n_obs}


@dataclass(frozen=True)
class Robustness:
    """Every specification's :class:`Row`, in table order."""

    rows: tuple[Row, ...]

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([r.table_row() for r in self.rows], columns=COLUMNS)

    def to_dict(self) -> dict:
        """results.json's ``robustness`` block: id -> the row's numbers."""
        return {r.spec.id: r.to_dict() for r in self.rows}

    def summary_lines(self) -> list[str]:
        """One printed line per row (the notebook's checked output)."""
        return [f"{r.spec.check:<22} {r.spec.label[:46]:<46} {r.spec.outcome[:20]:<20} "
                f"{r.coef:+.3f} p_wild={_p(r.p_wild):>5} G={r.n_clusters}" for r in self.rows]


def run_all(
    panel: pd.DataFrame,
    specs: Sequence[Spec],
    share_panels: Mapping[float, pd.DataFrame] | None = None,
    n_boot: int = design.N_BOOT,
    seed: int = design.SEED,
    progress: bool = False,
) -> Robustness:
    """Fit every specification of ``specs`` (:func:`specifications`) on its sample.

    ``share_panels``: the panel rebuilt under each USMCA content share a specification names.
    """
    if len({s.id for s in specs}) != len(specs):
        raise ValueError("robustness specification ids must be unique: "
                         f"{sorted(s.id for s in specs)}")
    panels = {"base": panel, **(share_panels or {})}
    placebos: dict[tuple, pd.DataFrame] = {}
    boot = {"n_boot": n_boot, "seed": seed, "progress": progress}
    rows = []
    for s in specs:
        if s.sample.panel not in panels:
            raise ValueError(f"robustness spec {s.id!r}: no panel {s.sample.panel!r} was passed "
                             f"in share_panels (passed: {sorted(map(str, panels))})")
        data = panels[s.sample.panel]
        if s.sample.placebo is not None:
            key = (s.sample.panel, s.sample.placebo)
            if key not in placebos:
                placebos[key] = placebo_panel(data, s.sample.placebo)
            data = placebos[key]
        rows.append(Row.of(s, ESTIMATORS[s.outcome](data, s.sample.restrict(), boot)))
    return Robustness(tuple(rows))


def _p(p: float | None) -> str:
    """:func:`autotariffs.labels.fmt_p` of a p-value that may be NaN (no p-value)."""
    return fmt_p(None if p is None or not np.isfinite(p) else p)
