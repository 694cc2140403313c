"""Few-cluster inference for one coefficient: CRV1, wild cluster bootstrap (WCR) and RI.

Why: the origin x month panel has at most five clusters (origins), so a CRV1 t-test on its own
over-rejects badly (Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2017). Every p-value here is
returned with the number of clusters it rests on, and CRV1 is never reported alone. All three
procedures work on the Frisch-Waugh-Lovell problem (:class:`FWL`); ARCHITECTURE.md ("Estimator
notes: inference.py") says how.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import linalg, stats

from autotariffs import design
from autotariffs.errors import AutotariffsError

# Webb (2014) six-point weights: +-sqrt(1/2), +-1, +-sqrt(3/2), each with probability 1/6.
WEBB_WEIGHTS = np.array(
    [-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)]
)
MIN_INFORMATIVE_CLUSTERS = 4


class InferenceError(AutotariffsError, ValueError):
    """The inputs cannot support the requested inference (e.g. too few clusters, NaNs)."""


def progress_bar(iterable, total: int, desc: str, show: bool):
    if not show:
        return iterable
    # the text bar: tqdm.auto would try ipywidgets (not a dependency) and, in a kernel, warn
    # with the venv's absolute path, which made executed notebooks depend on the project folder
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, leave=False)


@dataclass(frozen=True)
class FWL:
    """A partialled-out single-coefficient problem (y~, x~) with cluster codes.

    ``k`` is the total number of estimated parameters (rank of [Z, x]), used in the CRV1
    small-sample factor. The nuisance space Z is given by ``q`` (orthonormal basis, N x rank Z)
    or by ``annihilate`` (callable v -> M_Z v for N or N x m arrays, e.g. absorbed fixed effects);
    with neither, Z is empty. :meth:`project` returns P_Z v either way.
    """

    ytil: np.ndarray
    xtil: np.ndarray
    groups: np.ndarray  # integer codes 0..G-1
    k: int
    q: np.ndarray | None = None  # orthonormal basis of the nuisance space (N x rank Z)
    annihilate: Callable[[np.ndarray], np.ndarray] | None = None  # v -> M_Z v
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.q is not None and self.annihilate is not None:
            raise InferenceError("FWL: give the nuisance space as q or as annihilate, not both")

    def residualize(self, v: np.ndarray) -> np.ndarray:
        """M_Z v (v: N or N x m)."""
        v = np.asarray(v, dtype=float)
        if self.annihilate is not None:
            return self.annihilate(v)
        if self.q is not None and self.q.shape[1] > 0:
            return v - self.q @ (self.q.T @ v)
        return v

    def project(self, v: np.ndarray) -> np.ndarray:
        """P_Z v = v - M_Z v (zero when Z is empty)."""
        v = np.asarray(v, dtype=float)
        if self.annihilate is not None:
            return v - self.annihilate(v)
        if self.q is not None and self.q.shape[1] > 0:
            return self.q @ (self.q.T @ v)
        return np.zeros_like(v)

    def cross(self) -> tuple[np.ndarray, np.ndarray]:
        """G x G matrices C_y[g, h] = x~_g' P_Z y~^(h) and C_x[g, h] = x~_g' P_Z x~^(h).

        v^(h) is v on cluster h's rows and 0 elsewhere. The WCR bootstrap needs
        C = C_y - beta0 C_x for every null beta0 it tests (the re-projection of re-weighted
        residuals on Z); computing both once makes the CI inversion cost G x G, not N x G
        projections, per tested beta0. Cached on the instance.
        """
        if "cross" not in self._cache:
            g, grp, n = self.n_clusters, self.groups, self.n
            both = np.zeros((n, 2 * g))
            both[np.arange(n), grp] = self.ytil
            both[np.arange(n), g + grp] = self.xtil
            pb = self.project(both)
            cmat = np.zeros((g, 2 * g))
            np.add.at(cmat, grp, self.xtil[:, None] * pb)
            self._cache["cross"] = (cmat[:, :g], cmat[:, g:])
        return self._cache["cross"]

    @property
    def n(self) -> int:
        return int(self.ytil.shape[0])

    @property
    def n_clusters(self) -> int:
        return int(self.groups.max()) + 1

    @property
    def crv1_factor(self) -> float:
        g, n = self.n_clusters, self.n
        return g / (g - 1) * (n - 1) / (n - self.k)


def group_codes(groups) -> tuple[np.ndarray, np.ndarray]:
    """Return (codes 0..G-1, sorted unique labels); deterministic whatever the input order."""
    labels, codes = np.unique(np.asarray(groups), return_inverse=True)
    return codes.astype(np.int64), labels


def basis(z: np.ndarray) -> np.ndarray:
    """Orthonormal basis (N x rank) of the column space of ``z`` (rank-revealing pivoted QR).

    Redundant dummies (e.g. seasonality collinear with month FE) are handled without the caller
    having to drop them. Pivoted QR is several times cheaper than an SVD at equal reliability
    for 0/1 dummy designs.
    """
    z = np.asarray(z, dtype=float)
    if z.size == 0:
        return np.zeros((z.shape[0], 0))
    q, r, _ = linalg.qr(z, mode="economic", pivoting=True)
    d = np.abs(np.diag(r))
    tol = d.max() * max(z.shape) * np.finfo(float).eps * 10
    return q[:, : int((d > tol).sum())]


def annihilate(z: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, int]:
    """Residualise ``v`` (N or N x m) on ``z`` (N x p) by least squares; return (M_z v, rank z)."""
    q = basis(z)
    v = np.asarray(v, dtype=float)
    return v - q @ (q.T @ v), q.shape[1]


def fwl(y: np.ndarray, x: np.ndarray, z: np.ndarray, groups) -> FWL:
    """Build the partialled-out problem for coefficient on ``x`` given a dense nuisance ``z``.

    The dense path (explicit dummy matrix, orthonormal basis ``q``): for small designs and as the
    independent reference in the tests. The estimators use :func:`fwl_absorbed`.
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    bad = ~np.isfinite(y) | ~np.isfinite(x) | ~np.isfinite(np.asarray(z, dtype=float)).all(axis=1)
    if bad.any():
        raise InferenceError(
            f"non-finite values in y/x/Z at row positions {np.flatnonzero(bad)[:10].tolist()}; "
            "drop or impute them before estimating"
        )
    codes, _ = group_codes(groups)
    q = basis(z)
    yx = np.column_stack([y, x])
    both = yx - q @ (q.T @ yx)
    r = q.shape[1]
    xtil = both[:, 1]
    if float(xtil @ xtil) <= 1e-12 * max(1.0, float(x @ x)):
        raise InferenceError(
            "the regressor of interest has no variation left after the fixed effects/controls "
            "(it is collinear with them): the coefficient is not identified"
        )
    return FWL(ytil=both[:, 0], xtil=xtil, groups=codes, k=r + 1, q=q)


def fwl_absorbed(y: np.ndarray, x: np.ndarray, fe_codes: Sequence[np.ndarray], groups,
                 covariates: np.ndarray | None = None, k: int | None = None,
                 tol: float = 1e-12) -> FWL:
    """FWL problem for the coefficient on ``x`` with fixed effects absorbed (no dummy matrix).

    Z = [fixed-effect dummies of ``fe_codes``, ``covariates``]. The annihilator is
    M_Z v = M_C~ A(v), where A partials the fixed effects out (the same
    :class:`~autotariffs.models.demean.Absorber` as :func:`~autotariffs.models.fe.feols`) and
    M_C~ projects off the absorbed covariates C~ = A(C) (FWL once more: span[D, C] = span[D, A(C)]).
    ``k`` (total parameters for the CRV1 factor) defaults to rank(D) + rank(C~) + 1, i.e.
    rank[Z, x] as :func:`fwl` counts it; pass a fit's ``df_k`` to make them identical by
    construction.
    """
    from autotariffs.models.demean import Absorber
    from autotariffs.models.fe import fe_design_rank

    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    n = len(y)
    cov = np.zeros((n, 0)) if covariates is None else np.asarray(covariates, dtype=float)
    cov = cov[:, None] if cov.ndim == 1 else cov
    bad = ~np.isfinite(y) | ~np.isfinite(x) | ~np.isfinite(cov).all(axis=1)
    if bad.any():
        raise InferenceError(
            f"non-finite values in y/x/covariates at row positions "
            f"{np.flatnonzero(bad)[:10].tolist()}; drop or impute them before estimating"
        )
    codes, _ = group_codes(groups)
    fe_codes = [np.asarray(c, dtype=np.int64) for c in fe_codes]
    absorber = Absorber(fe_codes, tol=tol)
    resid = absorber.residualize if fe_codes else (lambda v: v - np.mean(v, axis=0))
    both = resid(np.column_stack([y, x, cov]))
    qc = basis(both[:, 2:])

    def annihilate(v: np.ndarray) -> np.ndarray:
        r = resid(np.asarray(v, dtype=float))
        return r - qc @ (qc.T @ r) if qc.shape[1] else r

    yx = both[:, :2] - qc @ (qc.T @ both[:, :2]) if qc.shape[1] else both[:, :2]
    xtil = yx[:, 1]
    if float(xtil @ xtil) <= 1e-12 * max(1.0, float(x @ x)):
        raise InferenceError(
            "the regressor of interest has no variation left after the fixed effects/controls "
            "(it is collinear with them): the coefficient is not identified"
        )
    if k is None:
        k = (fe_design_rank(fe_codes) if fe_codes else 1) + qc.shape[1] + 1
    return FWL(ytil=yx[:, 0], xtil=xtil, groups=codes, k=int(k), annihilate=annihilate)


def crv1(ytil: np.ndarray, xtil: np.ndarray, groups: np.ndarray, k: int):
    """Vectorised CRV1 for scalar FWL regressions.

    ``ytil`` and ``xtil`` may be N-vectors or N x R matrices (R separate regressions sharing the
    same nuisance space and clusters). Returns (beta, se) arrays of length R (or scalars).
    """
    y2 = ytil if ytil.ndim == 2 else ytil[:, None]
    x2 = xtil if xtil.ndim == 2 else xtil[:, None]
    x2 = np.broadcast_to(x2, y2.shape) if x2.shape[1] == 1 else x2
    y2 = np.broadcast_to(y2, x2.shape) if y2.shape[1] == 1 else y2
    g = int(groups.max()) + 1
    n = y2.shape[0]
    xx = np.einsum("ij,ij->j", x2, x2)
    beta = np.einsum("ij,ij->j", x2, y2) / xx
    e = y2 - x2 * beta
    scores = np.zeros((g, x2.shape[1]))
    np.add.at(scores, groups, x2 * e)
    c = g / (g - 1) * (n - 1) / (n - k)
    se = np.sqrt(c * (scores**2).sum(axis=0)) / xx
    if ytil.ndim == 1 and xtil.ndim == 1:
        return float(beta[0]), float(se[0])
    return beta, se


def crv1_summary(prob: FWL, alpha: float = design.ALPHA) -> dict:
    """Coefficient, CRV1 SE, t(G-1) p-value and CI for the FWL problem."""
    beta, se = crv1(prob.ytil, prob.xtil, prob.groups, prob.k)
    g = prob.n_clusters
    df = g - 1
    t = beta / se if se > 0 else np.nan
    q = stats.t.ppf(1 - alpha / 2, df)
    return {
        "coef": beta,
        "se_crv1": se,
        "t_crv1": t,
        "p_crv1": float(2 * stats.t.sf(abs(t), df)),
        "ci95_low": beta - q * se,
        "ci95_high": beta + q * se,
        "crv1_df": df,
        "n_obs": prob.n,
        "n_clusters": g,
        "k_params": prob.k,
    }


def crv1_validity(x_paths, labels, scores=None, within: bool = True, tol: float = 1e-12) -> dict:
    """Is cluster-robust (CRV1) inference invalid BY DESIGN for this regressor and clustering?

    ``x_paths``: G x T regressor paths by cluster (rows in the order of ``labels``). Two design
    failures are detected:

    * fewer than two "treated-like" clusters: clusters whose path differs from the common path of
      the largest group of clusters with identical paths. With ONE treated origin (KOR) and
      controls with identical tariff paths (MEX = CAN), month fixed effects make the treated
      cluster's score identically zero, so the CRV1 variance is built from control-minus-control
      noise only and says nothing about the treated origin's noise (Conley & Taber 2011;
      MacKinnon & Webb 2017, 2018); a wild cluster bootstrap inherits the problem. With
      ``within=True`` (default) paths are compared after removing each cluster's mean, because
      origin fixed effects absorb constant differences in tariff levels.
    * ``scores`` (optional, G or G x k cluster scores sum_i x~_i e_i of a fitted model): a cluster
      score identically zero (|s_g| <= 1e-10 max |s|) or a rank-deficient meat matrix S'S
      (rank < k) - the covariance then has fewer dimensions than it claims.

    Returns ``{"valid", "n_treated_like", "reason"}``; ``reason`` is a sentence for a report
    appendix. ``valid=True`` means only "not invalid by design": with G <= 5 clusters CRV1 still
    over-rejects and must be reported next to few-cluster methods.
    """
    x = np.asarray(x_paths, dtype=float)
    labels = [str(v) for v in labels]
    if x.ndim != 2 or x.shape[0] != len(labels):
        raise InferenceError(f"x_paths must be G x T with G = len(labels) = {len(labels)}")
    xc = x - np.nanmean(x, axis=1, keepdims=True) if within else x
    types = path_types(xc, tol)
    counts = np.bincount(types)
    common = int(np.argmax(counts))  # ties: the first-appearing type
    treated = [labels[i] for i in np.flatnonzero(types != common)]
    controls = [labels[i] for i in np.flatnonzero(types == common)]
    n_treated = len(treated)
    refs = "(Conley & Taber 2011; MacKinnon & Webb 2017)"
    if n_treated == 0:
        return {
            "valid": False,
            "n_treated_like": 0,
            "reason": "all clusters share one regressor path: the coefficient is not identified "
            "with time fixed effects",
        }
    if n_treated == 1:
        return {
            "valid": False,
            "n_treated_like": 1,
            "reason": (
                f"one treated origin ({treated[0]}) against controls with identical tariff paths "
                f"({', '.join(controls)}): the treated cluster's score is zero and CRV1 measures "
                f"only control-minus-control noise {refs}"
            ),
        }
    if scores is not None:
        s = np.asarray(scores, dtype=float)
        s = s[:, None] if s.ndim == 1 else s
        if s.shape[0] != len(labels):
            raise InferenceError(f"scores has {s.shape[0]} rows for {len(labels)} clusters")
        big = float(np.abs(s).max()) if s.size else 0.0
        zero = [labels[i] for i in range(len(labels))
                if big == 0 or float(np.abs(s[i]).max()) <= 1e-10 * big]  # fmt: skip
        if zero:
            return {
                "valid": False,
                "n_treated_like": n_treated,
                "reason": (
                    f"the cluster score of {', '.join(zero)} is identically zero: CRV1 ignores "
                    f"that cluster's noise {refs}"
                ),
            }
        rank = int(np.linalg.matrix_rank(s.T @ s))
        if rank < s.shape[1]:
            return {
                "valid": False,
                "n_treated_like": n_treated,
                "reason": (
                    f"the cluster covariance (meat) has rank {rank} < {s.shape[1]} coefficients: "
                    f"too few clusters with independent scores {refs}"
                ),
            }
    return {
        "valid": True,
        "n_treated_like": n_treated,
        "reason": (
            f"{n_treated} origins with tariff paths distinct from the common path "
            f"({', '.join(treated)}): CRV1 is not invalid by design, but with "
            f"{len(labels)} clusters it over-rejects; report few-cluster p-values next to it"
        ),
    }


def _webb_draws(g: int, n_boot: int, seed: int) -> tuple[np.ndarray, bool]:
    """G x B Webb weights: all 6^G sign/size patterns when 6^G <= n_boot, else seeded draws."""
    if 6**g <= n_boot:
        idx = np.array(list(itertools.product(range(6), repeat=g)), dtype=np.int64).T
        return WEBB_WEIGHTS[idx], True
    rng = np.random.default_rng(seed)
    return WEBB_WEIGHTS[rng.integers(0, 6, size=(g, n_boot))], False


def _wcr_pvalue(prob: FWL, beta0: float, w: np.ndarray) -> tuple[float, float]:
    """WCR bootstrap p-value of H0: beta = beta0 with the symmetric |t| statistic.

    Under H0 the restricted residuals are u = y~ - beta0 x~ (orthogonal to Z). A draw is
    y* = fit_r + u * w_g(i); after partialling Z out, y*~ = beta0 x~ + M_Z(u * w). With
    a_g = sum_g x~ u and h_g = sum_g x~^2, beta* - beta0 = d = (a'w)/x'x, and the bootstrap
    residual scores are S = (diag(a) - C) w - h d, where C[g, h] = x~_g' P_Z u^(h) carries the
    re-projection of the re-weighted residuals on Z (as in Roodman et al. 2019, boottest). So
    the whole bootstrap lives in G x B arrays.
    """
    g = prob.n_clusters
    x, grp = prob.xtil, prob.groups
    u = prob.ytil - beta0 * x
    a = np.bincount(grp, weights=x * u, minlength=g)
    h = np.bincount(grp, weights=x * x, minlength=g)
    c_y, c_x = prob.cross()
    cmat = c_y - beta0 * c_x  # x~_g' P_Z u^(h), linear in beta0
    mmat = np.diag(a) - cmat
    xx = float(h.sum())
    c = prob.crv1_factor
    # observed statistic
    b_hat = float(x @ prob.ytil) / xx
    e = prob.ytil - b_hat * x
    s_obs = np.bincount(grp, weights=x * e, minlength=g)
    t_obs = (b_hat - beta0) / (math.sqrt(c * float(s_obs @ s_obs)) / xx)
    d = (a @ w) / xx
    s = mmat @ w - d[None, :] * h[:, None]
    se = np.sqrt(c * (s**2).sum(axis=0)) / xx
    with np.errstate(divide="ignore", invalid="ignore"):
        t_star = np.where(se > 0, d / se, 0.0)
    # Ties are exact, not accidental: a draw with the same weight in every cluster (6 of the
    # Webb draws) reproduces |t_obs| in exact arithmetic, whatever beta0. The margin is therefore
    # relative (as in RI): rounding differs between ways of computing P_Z (dense basis vs
    # absorbed FE) by ~1e-13 x |t|, which an absolute 1e-12 did not cover for |t| ~ 10.
    p = float(np.mean(np.abs(t_star) >= abs(t_obs) - 1e-10 * max(1.0, abs(t_obs))))
    return p, float(t_obs)


def wild_cluster_bootstrap(
    y,
    x,
    z,
    groups,
    beta0: float = 0.0,
    n_boot: int = design.N_BOOT,
    seed: int = design.SEED,
    alpha: float = design.ALPHA,
    ci: bool = True,
    progress: bool = True,
) -> dict:
    """Wild cluster restricted (WCR) bootstrap-t with Webb 6-point weights.

    Null imposed (Cameron, Gelbach & Miller 2008); the statistic is the CRV1 t. With G clusters
    there are only 6^G distinct Webb draws; when that is <= ``n_boot`` (G=5: 7776) all are
    enumerated and the p-value is exact for the bootstrap distribution (no simulation noise),
    otherwise ``n_boot`` draws come from ``numpy.random.default_rng(seed)``. The confidence
    interval inverts the bootstrap test over beta0 with the same draws (bisection to 1e-6 of a SE).

    Returns ``{"p_wild", "n_boot", "boot_enumerated", "wild_ci95_low", "wild_ci95_high",
    "n_clusters", "wild_informative", "wild_note", "beta0", "seed"}``.
    With G <= 3 the result is flagged uninformative (few distinct draws; the test cannot reach
    conventional levels reliably), and with a single treated cluster WCR is known to misbehave
    (MacKinnon & Webb 2017) - say so when reporting.
    """
    if n_boot < 999:
        raise InferenceError(f"n_boot={n_boot}: use at least 999 bootstrap draws")
    prob = y if isinstance(y, FWL) else fwl(y, x, z, groups)
    g = prob.n_clusters
    if g < 2:
        raise InferenceError("wild cluster bootstrap needs at least 2 clusters")
    w, enumerated = _webb_draws(g, n_boot, seed)
    p, _ = _wcr_pvalue(prob, beta0, w)
    informative = g >= MIN_INFORMATIVE_CLUSTERS
    note = (
        f"WCR bootstrap-t, Webb weights, G={g}, "
        + (f"all {w.shape[1]} draws enumerated" if enumerated else f"{w.shape[1]} draws, seed {seed}")
    )
    if not informative:
        note += (
            f"; UNINFORMATIVE: with G={g} <= 3 clusters only {6**g} distinct draws exist and the "
            "bootstrap distribution is too coarse to support inference"
        )
    out = {
        "p_wild": p,
        "n_boot": int(w.shape[1]),
        "boot_enumerated": bool(enumerated),
        "wild_ci95_low": float("nan"),
        "wild_ci95_high": float("nan"),
        "n_clusters": g,
        "wild_informative": bool(informative),
        "wild_note": note,
        "beta0": float(beta0),
        "seed": int(seed),
    }
    if ci:
        lo, hi = _invert(prob, w, alpha, progress)
        out["wild_ci95_low"], out["wild_ci95_high"] = lo, hi
    return out


def _invert(prob: FWL, w: np.ndarray, alpha: float, progress: bool) -> tuple[float, float]:
    """Test-inversion CI: the set of beta0 with WCR p(beta0) > alpha, located by bisection."""
    s = crv1_summary(prob)
    b, se = s["coef"], s["se_crv1"]
    if not np.isfinite(se) or se <= 0:
        return float("nan"), float("nan")

    def accept(b0: float) -> bool:
        return _wcr_pvalue(prob, b0, w)[0] > alpha

    if not accept(b):
        return float("nan"), float("nan")
    bounds = []
    steps = progress_bar(range(2), 2, "wild CI inversion", progress)
    for side in steps:
        sign = -1.0 if side == 0 else 1.0
        inner, step = b, se
        outer = b + sign * step
        n_expand = 0
        while accept(outer):
            n_expand += 1
            if n_expand > 40:  # unbounded acceptance region (can happen with very few clusters)
                outer = sign * float("inf")
                break
            inner, step = outer, step * 2
            outer = b + sign * step
        if math.isinf(outer):
            bounds.append(outer)
            continue
        for _ in range(60):
            mid = 0.5 * (inner + outer)
            if accept(mid):
                inner = mid
            else:
                outer = mid
            if abs(outer - inner) < 1e-6 * se:
                break
        bounds.append(0.5 * (inner + outer))
    return float(bounds[0]), float(bounds[1])


def _permutations(g: int, max_enumerate: int, n_perm: int, seed: int):
    """All G! permutations (identity first) or ``n_perm`` seeded draws; see :func:`assignments`."""
    if math.factorial(g) <= max_enumerate:
        return [tuple(p) for p in itertools.permutations(range(g))], True
    rng = np.random.default_rng(seed)
    perms = [tuple(range(g))] + [tuple(rng.permutation(g)) for _ in range(n_perm - 1)]
    return perms, False


def path_types(x_paths: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    """Integer type per row of ``x_paths``: rows equal within ``tol`` (max abs) share a type.

    Types are numbered in order of first appearance. NaNs compare equal to NaNs at the same
    position (they make the path unusable anyway; RI checks balance separately).
    """
    x = np.asarray(x_paths, dtype=float)
    types = np.full(x.shape[0], -1, dtype=np.int64)
    n_types = 0
    for i in range(x.shape[0]):
        if types[i] >= 0:
            continue
        d = np.abs(x - x[i])
        same = np.where(np.isnan(x) & np.isnan(x[i]), 0.0, d)
        same = np.where(np.isnan(same), np.inf, same).max(axis=1) <= tol
        types[same & (types < 0)] = n_types
        n_types += 1
    return types


def n_distinct_assignments(x_paths: np.ndarray, tol: float = 1e-12) -> int:
    """Multinomial coefficient G! / prod(m_i!) with m_i the sizes of groups of identical paths."""
    counts = np.bincount(path_types(x_paths, tol))
    out = math.factorial(int(counts.sum()))
    for m in counts:
        out //= math.factorial(int(m))
    return out


def _multiset_perms(types: list[int]):
    """Distinct orderings of a multiset, lexicographic (no duplicates, no G! blow-up)."""
    counts: dict[int, int] = {}
    for t in types:
        counts[t] = counts.get(t, 0) + 1
    keys = sorted(counts)
    n = len(types)
    cur: list[int] = []

    def rec():
        if len(cur) == n:
            yield tuple(cur)
            return
        for k in keys:
            if counts[k]:
                counts[k] -= 1
                cur.append(k)
                yield from rec()
                cur.pop()
                counts[k] += 1

    yield from rec()


def assignments(x_paths: np.ndarray, max_enumerate: int, n_perm: int, seed: int, tol=1e-12):
    """Re-assignments of tariff paths to origins for RI, identity first.

    Returns (list of index tuples pi: origin g receives path pi[g], enumerated, n_distinct).
    Paths equal within ``tol`` are the same treatment, so permutations that only swap identical
    paths are one assignment: there are G!/prod(m_i!) distinct ones. When that number is
    <= ``max_enumerate`` every distinct assignment is listed once (a representative row of each
    path type is used; the identity is the identity permutation). Otherwise ``n_perm`` seeded
    uniform permutations are drawn (identity first); a uniform permutation induces a uniform
    distinct assignment, so the Monte Carlo p-value targets the same distribution.
    """
    types = path_types(x_paths, tol)
    g = len(types)
    n_distinct = n_distinct_assignments(x_paths, tol)
    if n_distinct > max_enumerate:
        return _permutations(g, 0, n_perm, seed)[0], False, n_distinct
    rep = {int(t): int(np.flatnonzero(types == t)[0]) for t in np.unique(types)}
    ident = tuple(int(t) for t in types)
    out = [tuple(range(g))]
    for arr in _multiset_perms(list(ident)):
        if arr != ident:
            out.append(tuple(rep[t] for t in arr))
    return out, True, n_distinct


def randomization_inference(
    y,
    x_paths: np.ndarray,
    z,
    groups,
    times,
    stat: str = "t",
    max_enumerate: int = 5040,
    n_perm: int = design.N_PERM,
    seed: int = design.SEED,
    batch: int = 512,
    progress: bool = True,
    return_stats: bool = False,
    q: np.ndarray | None = None,
    problem: FWL | None = None,
) -> dict:
    """Randomisation inference by re-assigning origin-level treatment paths across origins.

    ``x_paths`` is a G x T matrix: row g is the treatment path of cluster g (sorted labels of
    ``groups``), column t the period (codes of ``times``). The nuisance space is ``z`` (dense,
    or its basis ``q``) or, preferably, ``problem``: the :class:`FWL` problem of the observed fit
    (its annihilator and ``k`` are used; ``y`` and ``z`` are then ignored, pass None). Each assignment pi gives origin g the
    path of origin pi(g); the statistic (CRV1 |t| or |beta|) is recomputed with the same nuisance
    regressors.

    Only DISTINCT assignments count: origins whose paths are equal within 1e-12 over the sample
    months (MEX = CAN; JPN = DEU over 2020-01..2025-07) receive the same treatment, and swapping
    them changes nothing. There are G!/prod(m_i!) distinct assignments (m_i = sizes of the groups
    of identical paths): 3 (not 3! = 6) for KOR vs MEX, CAN and 5!/(2! 2!) = 30 (not 120) for the
    five origins. When that number is <= ``max_enumerate`` each distinct assignment is evaluated
    exactly once (identity first); otherwise ``n_perm`` uniform permutations are drawn with a
    seeded Generator (identity included), which samples distinct assignments uniformly.
    p = share of evaluated assignments with |stat| >= observed (identity included).
    ``n_perm`` is the number of assignments actually evaluated, so ``1/n_perm`` is the smallest
    attainable p-value when enumerated (``min_p``). Under the sharp null of no effect for any
    origin the test is exact whatever G is, but it cannot reject below ``min_p``: with three
    origins and two identical control paths the smallest p-value is 1/3.

    Returns ``{"p_ri", "n_perm", "n_assignments", "min_p", "perm_enumerated", "ri_stat",
    "ri_stat_obs", "n_clusters", "n_permutations_total", "n_distinct_stats", "ri_note"}``
    (+ ``"ri_stats"``, the statistics in evaluation order, when ``return_stats``).
    ``n_assignments`` is the number of distinct assignments
    (= ``n_perm`` when enumerated); ``n_permutations_total`` = G!.
    """
    if stat not in ("t", "beta"):
        raise InferenceError(f"stat={stat!r}: expected 't' or 'beta'")
    gcodes, glabels = group_codes(groups)
    tcodes, _ = group_codes(times)
    x_paths = np.asarray(x_paths, dtype=float)
    g = len(glabels)
    if x_paths.shape[0] != g:
        raise InferenceError(f"x_paths has {x_paths.shape[0]} rows but there are {g} clusters")
    perms, enumerated, n_distinct = assignments(x_paths, max_enumerate, n_perm, seed)
    if problem is None:
        # Partial Z out once via its orthonormal basis (``q``, if the caller already has it).
        q = basis(z) if q is None else q
        y = np.asarray(y, dtype=float)
        problem = FWL(ytil=y - q @ (q.T @ y), xtil=np.ones(len(y)), groups=gcodes,
                      k=q.shape[1] + 1, q=q)
    ytil, k = problem.ytil, problem.k
    stats_all = np.empty(len(perms))
    chunks = range(0, len(perms), batch)
    for start in progress_bar(chunks, len(chunks), "randomization inference", progress):
        block = np.array(perms[start : start + batch], dtype=np.int64)  # P x G
        xp = x_paths[block[:, gcodes], tcodes[None, :]].T  # N x P
        if not np.isfinite(xp).all():
            raise InferenceError(
                "a permuted treatment path is missing for some origin-month: RI needs a balanced "
                "origin x month panel (every origin observed in the same months)"
            )
        xt = problem.residualize(xp)
        beta, se = crv1(ytil, xt, gcodes, k)
        stats_all[start : start + len(block)] = np.abs(beta / se) if stat == "t" else np.abs(beta)
    obs = stats_all[0]  # identity permutation is first in both branches
    p = float(np.mean(stats_all >= obs - 1e-10 * max(1.0, abs(obs))))
    types = path_types(x_paths)
    same = [
        "=".join(str(glabels[i]) for i in np.flatnonzero(types == t))
        for t in np.unique(types)
        if (types == t).sum() > 1
    ]
    what = (
        f"all {len(perms)} distinct assignments"
        if enumerated
        else f"{len(perms)} sampled permutations (seed {seed}) of {n_distinct} distinct assignments"
    )
    min_p = max(1.0 / n_distinct, 1.0 / len(perms))
    out = {
        "p_ri": p,
        "n_perm": len(perms),
        "n_assignments": int(n_distinct),
        "min_p": min_p,
        "perm_enumerated": bool(enumerated),
        "ri_stat": stat,
        "ri_stat_obs": float(obs),
        "n_clusters": g,
        "n_permutations_total": math.factorial(g),
        "n_distinct_stats": int(np.unique(np.round(stats_all, 10)).size),
        "ri_note": (
            f"RI over {what} of origin tariff paths (G={g}; {math.factorial(g)} permutations"
            + (f", {', '.join(same)}" if same else "")
            + f"); smallest attainable p = {min_p:.3g}"
        ),
    }
    if return_stats:
        out["ri_stats"] = stats_all.tolist()
    return out
