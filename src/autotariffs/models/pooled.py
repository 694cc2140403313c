"""Regressions pooled over origins: coefficients on ln(1+τ) with CRV1, the wild cluster bootstrap
and randomization inference, as typed results with the results.json keys.

The pooled regressions (every origin in the panel, G = 5 for the snapshot) are the same for every
treated origin, so step 05 estimates them once; the same eight regressions on one origin against
its controls are the appendix of step 04 (``invalid_by_design``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import pandas as pd

from autotariffs import design
from autotariffs.outputs import Text

#: the regressions of :func:`regressions`, by key, in words (the table's ``estimate`` column)
LABELS = {
    "elasticity_q_levels": "vehicles on ln(1+tariff), levels",
    "elasticity_v_levels": "value on ln(1+tariff), levels",
    "elasticity_q_d12": "vehicles on ln(1+tariff), 12-month differences",
    "elasticity_v_d12": "value on ln(1+tariff), 12-month differences",
    "passthrough_levels": "ex-tariff unit value (gamma), levels",
    "passthrough_d12": "ex-tariff unit value (gamma), 12-month differences",
    "ppml_quantity": "PPML vehicles, levels",
    "ppml_value": "PPML value, levels",
}

POOLED_TEXT = Text(
    "Pooled regressions over all origins",
    "Coefficient on ln(1+τ) over every origin (G clusters); wild cluster bootstrap (Webb weights, "
    "all draws enumerated when 6^G is small) and randomization inference over the distinct "
    "assignments of the origins' tariff paths (origins with identical paths are one assignment), "
    "with the smallest attainable p-value.",
)


def regressions(panel: pd.DataFrame, n_boot: int = design.N_BOOT, seed: int = design.SEED,
                progress: bool = True, **restrict) -> dict:
    """The eight regressions (elasticity of q and v, pass-through, in levels and 12-month
    differences; PPML of quantity and value) on ``panel`` restricted by ``restrict``
    (origin/controls, start/end): key -> :class:`~.elasticity.Estimate`."""
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


@dataclass(frozen=True)
class RandomizationCounts:
    """Randomization inference over the origins' tariff paths: the p-value, the permutations
    drawn, the distinct assignments and the smallest p-value they can give."""

    p_ri: float | None = None
    n_perm: int | None = None
    n_assignments: int | None = None
    min_p_ri: float | None = None


@dataclass(frozen=True)
class RegressionEstimate:
    """One coefficient on ln(1+τ): CRV1 interval and p-value, wild bootstrap, RI, and its sample.

    ``None`` where the estimator does not give the number (PPML has no wild bootstrap).
    """

    coef: float | None = None
    se_crv1: float | None = None
    ci95_low: float | None = None
    ci95_high: float | None = None
    p_crv1: float | None = None
    p_wild: float | None = None
    n_boot: int | None = None
    wild_informative: bool | None = None
    ri: RandomizationCounts = RandomizationCounts()
    n_obs: int | None = None
    n_clusters: int | None = None
    sample_start: str | None = None
    sample_end: str | None = None
    data_source: str | None = None
    spec: str | None = None

    @classmethod
    def of(cls, r: dict) -> RegressionEstimate:
        """From an estimator's result dict (:mod:`.elasticity`, :mod:`.passthrough`)."""
        ri = RandomizationCounts(**{f.name: r.get(f.name) for f in fields(RandomizationCounts)})
        return cls(**{f.name: r.get(f.name) for f in fields(cls) if f.name != "ri"}, ri=ri)

    def to_dict(self) -> dict:
        """The estimate's block of results.json (RI counts flat, beside the coefficient)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "ri"}
        return {**out, **{f.name: getattr(self.ri, f.name) for f in fields(self.ri)}}


@dataclass(frozen=True)
class Pooled:
    """The pooled regressions, key -> :class:`RegressionEstimate` (keys of :data:`LABELS`)."""

    estimates: dict[str, RegressionEstimate]

    def to_dict(self) -> dict:
        """results.json's ``pooled`` block."""
        return {k: e.to_dict() for k, e in self.estimates.items()}

    def table(self) -> pd.DataFrame:
        """Coefficient, wild-bootstrap and RI p-values with their counts, one row a regression."""
        return pd.DataFrame([{
            "estimate": LABELS.get(k, k), "coef": e.coef, "p_wild": e.p_wild,
            "wild_draws": e.n_boot, "p_ri": e.ri.p_ri,
            "ri_distinct_assignments": e.ri.n_assignments, "ri_smallest_p": e.ri.min_p_ri,
            "G": e.n_clusters, "N": e.n_obs,
        } for k, e in self.estimates.items()])  # fmt: skip


def estimate_pooled(panel: pd.DataFrame, n_boot: int = design.N_BOOT, seed: int = design.SEED,
                    progress: bool = True) -> Pooled:
    """The pooled regressions over every origin in ``panel``, common coefficients identified by
    the cross-origin tariff differences."""
    return Pooled({k: RegressionEstimate.of(r)
                   for k, r in regressions(panel, n_boot, seed, progress).items()})
