"""Linear regression with absorbed high-dimensional fixed effects (HDFE OLS).

Why: an HS10 x origin x month panel has too many levels for a dummy design matrix; by
Frisch-Waugh-Lovell the slopes are those of OLS on data with the fixed effects partialled out
(:mod:`.demean`). Degrees of freedom and small-sample factors follow fixest/pyfixest (:func:`ssc`).
ARCHITECTURE.md ("Estimator notes: fe.py") has the algorithm, the K conventions and the
singleton rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg
from scipy import stats

from autotariffs import design
from autotariffs.models.demean import Absorber
from autotariffs.threads import chunks, map_tasks, row_blocks, run_tasks

__all__ = [
    "SSC",
    "ssc",
    "Absorber",
    "FEResult",
    "feols",
    "fe_design_rank",
]

_VCOV_TYPES = ("iid", "HC1", "CRV1")
K_FIXEF = ("nonnested", "full", "none", "rank")
MAX_RANK_LEVELS = 5000


@dataclass(frozen=True)
class SSC:
    """Small-sample correction, named after (and equal to) pyfixest's ``ssc()`` arguments.

    k_adj: multiply by (N-1)/(N-K) (iid, CRV1) or N/(N-K) (HC1).
    k_fixef: how absorbed FE levels enter K: "nonnested" (fixest default), "full", "none" or
      "rank" (exact rank of the FE dummy design, the dummy-variable OLS convention).
    G_adj: multiply cluster-robust terms by G/(G-1).
    G_df: "min" (all multiway terms use min G) or "conventional" (each term its own G).
    """

    k_adj: bool = True
    k_fixef: str = "nonnested"
    G_adj: bool = True
    G_df: str = "min"

    def __post_init__(self) -> None:
        if self.k_fixef not in K_FIXEF:
            raise ValueError(f"ssc k_fixef={self.k_fixef!r}; expected one of {K_FIXEF}")
        if self.G_df not in ("min", "conventional"):
            raise ValueError(f"ssc G_df={self.G_df!r}; expected 'min' or 'conventional'")

    def describe(self) -> str:
        parts = []
        if self.G_adj:
            parts.append("G/(G-1)" + (" [min G]" if self.G_df == "min" else ""))
        if self.k_adj:
            parts.append(f"(N-1)/(N-K) [K: FE {self.k_fixef}]")
        return " x ".join(parts) if parts else "none"


def ssc(k_adj: bool = True, k_fixef: str = "nonnested", G_adj: bool = True,
        G_df: str = "min") -> SSC:
    """Build an :class:`SSC`. ``ssc(k_adj=False)`` gives Stata ``ppmlhdfe``/ML's G/(G-1) only."""
    return SSC(k_adj=k_adj, k_fixef=k_fixef, G_adj=G_adj, G_df=G_df)


# ----------------------------------------------------------------------------------------------
# Shared data preparation and covariance machinery (also used by models.ppml)
# ----------------------------------------------------------------------------------------------


def _as_list(v: str | Sequence[str] | None) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    return list(v)


def _check_columns(data: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise KeyError(f"{what}: column(s) {missing} not in data (have {list(data.columns)[:30]})")


class Sample:
    """The rows of ``data`` an estimator uses, read column by column (the frame is never copied).

    Why: copying the used columns into a sub-frame, testing them for missing values through a
    boolean frame and copying it again after every row filter takes a fifth of feols' time at
    100k rows. Here each column is read once as a numpy array and every
    filter (missing values, zero weights, singletons, separation) only narrows ``rows``.
    """

    def __init__(self, data: pd.DataFrame, cols: Sequence[str], fn: str) -> None:
        self.data, self.fn = data, fn
        cols = list(dict.fromkeys(cols))
        ok = np.ones(len(data), dtype=bool)
        for c in cols:  # missing = NA of any kind, or a non-finite float
            col = data[c]
            dt = col.dtype
            if isinstance(dt, np.dtype) and dt.kind in "iub":
                continue  # numpy integers and booleans cannot be missing
            if isinstance(dt, np.dtype) and dt.kind == "f":
                ok &= np.isfinite(col.to_numpy())
                continue
            ok &= col.notna().to_numpy()
            if pd.api.types.is_float_dtype(dt):
                ok &= np.isfinite(col.to_numpy(dtype=np.float64, na_value=np.nan))
        self.n_missing = int((~ok).sum())
        self.rows: np.ndarray | None = np.flatnonzero(ok) if self.n_missing else None
        if self.n == 0:
            raise ValueError(f"{fn}: no complete rows in columns {cols}")

    @property
    def n(self) -> int:
        return len(self.data) if self.rows is None else len(self.rows)

    @property
    def index(self) -> pd.Index:
        return self.data.index if self.rows is None else self.data.index[self.rows]

    def keep(self, mask: np.ndarray) -> None:
        """Narrow the sample to ``mask`` (a boolean over the current rows)."""
        if not mask.all():
            self.rows = np.flatnonzero(mask) if self.rows is None else self.rows[mask]

    def values(self, col: str, dtype=None) -> np.ndarray:
        v = self.data[col].to_numpy(dtype=dtype)
        return v if self.rows is None else v[self.rows]

    def coded(self, cols: Sequence[str]) -> dict[str, np.ndarray]:
        """Integer codes of each distinct column in ``cols`` (one thread per column: large
        integer columns are coded with numpy, which releases the GIL; the frame is read here)."""
        names = list(dict.fromkeys(cols))
        series = [self.data[c] for c in names]
        sub = [s if self.rows is None else s.iloc[self.rows] for s in series]
        return dict(zip(names, map_tasks(_factorize, sub, self.n), strict=True))

    def numeric(self, cols: Sequence[str]) -> np.ndarray:
        """The columns as a C-ordered (n, k) float64 matrix; non-numeric columns are an error."""
        for c in cols:
            if not pd.api.types.is_numeric_dtype(self.data[c].dtype):
                raise TypeError(f"{self.fn}: column {c!r} has dtype {self.data[c].dtype}; "
                                "regressors and outcome must be numeric (encode categories as "
                                "fixed effects or dummies)")
        out = np.empty((self.n, len(cols)))
        src = [self.data[c].to_numpy(dtype=np.float64) for c in cols]
        rows = self.rows

        def fill(a: int, b: int) -> Callable[[], None]:
            def go() -> None:
                for s, e in chunks(a, b):  # the chunk's rows of every column stay in cache
                    for j, v in enumerate(src):
                        out[s:e, j] = v[s:e] if rows is None else v.take(rows[s:e])
            return go

        run_tasks([fill(a, b) for a, b in row_blocks(self.n)], self.n)
        return out

    def drop_zero_weights(self, weights: str | None) -> int:
        """Remove rows with weight exactly 0 (fixest: "observations removed because of 0-weight").

        Why: a zero-weight row contributes nothing to any normal equation, but left in it would
        make its fixed-effect levels weightless (a singular demeaning system) and would count in
        N, K and the clusters. Negative weights are an input error naming the rows.
        """
        if weights is None:
            return 0
        w = self.values(weights, np.float64)
        neg = np.flatnonzero(w < 0)
        if neg.size:
            raise ValueError(f"{self.fn}: weights column {weights!r} must be >= 0; rows "
                             f"{self.index[neg[:5]].tolist()} have {w[neg[:5]].tolist()}")
        zero = w == 0
        if zero.all():
            raise ValueError(f"{self.fn}: weights column {weights!r} is zero in every complete "
                             "row")
        self.keep(~zero)
        return int(zero.sum())

    def weights(self, weights: str) -> np.ndarray:
        """Observation weights as float64 (> 0 once zero weights are dropped)."""
        w = self.values(weights, np.float64)
        bad = np.flatnonzero(w <= 0)
        if bad.size:
            raise ValueError(f"{self.fn}: weights column {weights!r} must be > 0; rows "
                             f"{self.index[bad[:5]].tolist()} have {w[bad[:5]].tolist()}")
        return w


def singleton_mask(fe_codes: Sequence[np.ndarray]) -> np.ndarray:
    """Boolean keep-mask removing singleton fixed-effect groups, iterated until none remain.

    Why: an observation alone in a level of some fixed effect is fitted exactly by that level, so
    it carries no information on the slopes, yet it inflates N and K and can even hide separation
    (a singleton level with y > 0 lets another level go to -inf). Dropping one singleton can
    create another, hence the loop (Correia 2015; fixest/pyfixest ``fixef_rm="singleton"``).
    """
    n = len(fe_codes[0]) if fe_codes else 0
    keep = np.ones(n, dtype=bool)
    if not fe_codes:
        return keep
    # level counts over the kept rows, updated by the (few) dropped rows instead of recounted;
    # a fixed effect is scanned again only if a drop left one of its levels with one row (the
    # result is the same: the largest subset without singletons, whatever the order)
    cnts = [np.bincount(c, minlength=int(c.max()) + 1) for c in fe_codes]
    pending = [True] * len(fe_codes)
    while any(pending) and keep.any():
        for g, (codes, cnt) in enumerate(zip(fe_codes, cnts, strict=True)):
            if not pending[g]:
                continue
            pending[g] = False
            bad = np.flatnonzero((cnt.take(codes) == 1) & keep)
            if bad.size:
                keep[bad] = False
                for h, (c, ct) in enumerate(zip(fe_codes, cnts, strict=True)):
                    hit = c.take(bad)
                    ct -= np.bincount(hit, minlength=len(ct))
                    pending[h] = pending[h] or bool((ct.take(hit) == 1).any())
    return keep


def _factorize(col: pd.Series) -> np.ndarray:
    """Codes 0..L-1 of a column's values in sorted order (= ``pd.factorize(col, sort=True)[0]``).

    Why: integer columns (most fixed effects and clusters) are coded by counting over their
    value range, one pass with no hashing or sorting (factorizing would be a third of feols'
    time at 1M rows); other types, and integers spread over a range much wider than
    the number of rows, go through pandas.
    """
    dt = col.dtype
    if isinstance(dt, np.dtype) and dt.kind in "iu" and len(col):
        v = col.to_numpy()
        lo, hi = int(v.min()), int(v.max())
        if hi - lo <= 4 * len(v) and hi < 2**63:
            off = (v.astype(np.int64, copy=False) - lo).astype(np.intp, copy=False)
            present = np.zeros(hi - lo + 1, dtype=bool)
            present[off] = True
            return (np.cumsum(present) - 1).take(off)
    return pd.factorize(col, sort=True)[0].astype(np.int64)


def subset_codes(codes: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``codes[keep]`` renumbered 0..L'-1 in the same order: the codes of the kept rows.

    Why: equal to factorizing the kept rows' values again (codes are order-preserving ranks),
    without touching the values or the data frame.
    """
    c = codes[keep]
    present = np.zeros(int(codes.max()) + 1 if len(codes) else 0, dtype=bool)
    present[c] = True
    return c if present.all() else (np.cumsum(present) - 1).take(c)


def _is_nested(fe_codes: np.ndarray, cl_codes: np.ndarray) -> bool:
    """True if every level of the fixed effect lies inside a single cluster.

    One representative cluster per level (any row's); nested iff every row has its level's.
    """
    if fe_codes is cl_codes:  # the same column (e.g. unit FE, clustered by unit)
        return True
    rep = np.empty(int(fe_codes.max()) + 1, dtype=cl_codes.dtype)
    rep[fe_codes] = cl_codes
    return bool(np.array_equal(rep.take(fe_codes), cl_codes))


def _ls_qr(xt: np.ndarray, yt: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """OLS/WLS coefficients by Householder QR: ``solve(R, Q'y)`` on the sqrt(w)-scaled data.

    Why not statsmodels: ``OLS/WLS.fit(method="qr")`` computes exactly this (numpy's QR: the same
    LAPACK calls as scipy's below, so the same bits) but also a pseudo-inverse (an SVD of the
    N x k design) and its singular values, which feols never reads; at 1M rows that was a tenth
    of feols' time.
    """
    if w is not None:
        sw = np.sqrt(w)
        xt, yt = sw[:, None] * xt, yt * sw
    # scipy's qr: the same LAPACK calls (geqrf, orgqr) as numpy.linalg.qr at a third of its
    # time (numpy copies the N x k data in and out of LAPACK's layout twice); Q made C-ordered
    # so that Q'y is the same BLAS product, bit for bit, as with numpy's Q
    q, r = scipy.linalg.qr(xt, mode="economic")
    return np.linalg.solve(r, np.dot(np.ascontiguousarray(q).T, yt))


def fe_design_rank(fe_codes: Sequence[np.ndarray]) -> int:
    """Exact rank of the 0/1 dummy design [D_1 ... D_Q] of the fixed effects (all levels kept).

    Why: OLS on explicit dummies counts this rank in K (N-K residual degrees of freedom); the
    fixest rules (``dof_k``) approximate it by levels minus one per extra FE, which is wrong for
    nested or multiply-redundant FE sets such as origin, month and origin x month-of-year. The
    rank of D equals that of the (sum of levels)-square matrix D'D, computed by SVD.
    """
    if not fe_codes:
        return 0
    import scipy.sparse as sp

    levels = [int(c.max()) + 1 for c in fe_codes]
    if sum(levels) > MAX_RANK_LEVELS:
        raise ValueError(f"ssc k_fixef='rank': {sum(levels)} fixed-effect levels is too many for "
                         f"a dense rank (max {MAX_RANK_LEVELS}); use k_fixef='nonnested'")
    n = len(fe_codes[0])
    rows = np.arange(n)
    d = sp.hstack([sp.csr_matrix((np.ones(n), (rows, c)), shape=(n, lv))
                   for c, lv in zip(fe_codes, levels, strict=True)]).tocsr()
    dtd = (d.T @ d).toarray()
    return int(np.linalg.matrix_rank(dtd, hermitian=True))


def dof_k(k: int, fe_codes: list[np.ndarray], cl_codes: list[np.ndarray], s: SSC) -> int:
    """Number of parameters K used in the small-sample factor, counted as fixest does.

    ``k_fixef="rank"`` counts the exact rank of the FE dummy design instead (dummy-variable OLS).
    """
    if not fe_codes or s.k_fixef == "none":
        return k
    if s.k_fixef == "rank":
        return k + fe_design_rank(fe_codes)
    levels = [int(c.max()) + 1 for c in fe_codes]
    k_fe_adj = sum(levels) - (len(levels) - 1)
    if s.k_fixef == "full" or not cl_codes:
        return k + k_fe_adj
    nested = [any(_is_nested(f, c) for c in cl_codes) for f in fe_codes]
    n_nested = sum(nested)
    if n_nested == 0:
        return k + k_fe_adj
    return k + k_fe_adj - sum(lv for lv, ne in zip(levels, nested, strict=True) if ne) + n_nested


def _cluster_meat(scores: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Sum over clusters of (sum_i in g s_i)(sum_i in g s_i)'."""
    g = int(codes.max()) + 1
    summed = np.column_stack([np.bincount(codes, weights=scores[:, j], minlength=g)
                              for j in range(scores.shape[1])])
    return summed.T @ summed


def sandwich(bread: np.ndarray, scores: np.ndarray, vcov: str, s: SSC, n: int, df_k: int,
          cl_codes: list[np.ndarray], sigma2_sum: float | None = None
          ) -> tuple[np.ndarray, int, float | list[float]]:
    """Sandwich covariance. Returns (V, df_t for t-tests, ssc factor(s)).

    A saturated design (``n <= df_k``: as many parameters as observations, e.g. an event study
    of one treated and one control unit with a dummy per month) leaves no residual degrees of
    freedom: the coefficients fit exactly and no variance is estimable, so V is all NaN (as
    statsmodels' ``bse``), not a ZeroDivisionError from the small-sample factor."""
    if n - df_k <= 0:
        nan = float("nan")
        return np.full_like(bread, nan), n - df_k, nan
    kfac_crv = (n - 1) / (n - df_k) if s.k_adj else 1.0
    if vcov == "iid":
        fac = (n - 1) / (n - df_k) if s.k_adj else 1.0
        if sigma2_sum is None:  # ML (Poisson, dispersion 1): V = fac * bread, as pyfixest
            return bread * fac, n - df_k, fac
        return bread * (sigma2_sum / (n - 1)) * fac, n - df_k, fac
    if vcov == "HC1":
        fac = n / (n - df_k) if s.k_adj else 1.0
        return fac * bread @ (scores.T @ scores) @ bread, n - df_k, fac
    # CRV1, one- or multi-way (CGM inclusion-exclusion over the cluster dimensions)
    gs = [int(c.max()) + 1 for c in cl_codes]
    v = np.zeros_like(bread)
    facs = []
    for r in range(1, len(cl_codes) + 1):
        sign = 1.0 if r % 2 == 1 else -1.0
        for combo in combinations(range(len(cl_codes)), r):
            if r == 1:
                codes = cl_codes[combo[0]]
            else:
                codes = pd.factorize(pd.MultiIndex.from_arrays([cl_codes[i] for i in combo]))[0]
            g = int(codes.max()) + 1
            g_used = min(gs) if s.G_df == "min" else g
            gfac = g_used / (g_used - 1) if s.G_adj else 1.0
            facs.append(gfac * kfac_crv)
            v += sign * gfac * kfac_crv * (bread @ _cluster_meat(scores, codes) @ bread)
    return v, min(gs) - 1, facs if len(facs) > 1 else facs[0]


def drop_collinear(xt: np.ndarray, names: list[str], x_raw: np.ndarray, fn: str,
                    tol: float = 1e-9) -> tuple[np.ndarray, list[str], list[str]]:
    """Drop regressors absorbed by the FE or collinear with earlier regressors (pivoted QR)."""
    if xt.shape[1] == 0:
        return xt, names, []
    # RMS of each raw column (one pass; it only scales the rank decision, never the estimates)
    raw_scale = np.sqrt(np.einsum("ij,ij->j", x_raw, x_raw) / max(len(x_raw), 1))
    raw_scale[raw_scale == 0] = 1.0
    xs = np.empty(xt.shape, order="F")  # LAPACK's layout: no copy inside qr
    np.divide(xt, raw_scale, out=xs)
    _, r, piv = scipy.linalg.qr(xs, mode="raw", pivoting=True, overwrite_a=True)  # no Q
    diag = np.abs(np.diag(r)) / np.sqrt(xs.shape[0])
    keep_sorted = diag > tol
    keep = np.sort(piv[keep_sorted])
    dropped = [names[i] for i in range(len(names)) if i not in set(keep.tolist())]
    if len(keep) == 0:
        raise ValueError(f"{fn}: all regressors {names} are collinear with the fixed effects")
    # column-major either way, as numpy's fancy indexing returns it (later BLAS products keep
    # their bits); a plain copy when every column is kept is ~4x faster than fancy indexing
    kept = np.asfortranarray(xt) if len(keep) == xt.shape[1] else xt[:, keep]
    return kept, [names[i] for i in keep], dropped


def dropped_text(n_dropped: dict[str, int]) -> str:
    """Observations an estimator removed, by reason ("none" if it kept every row).

    Why: singletons, all-zero fixed-effect groups and separated rows change the estimation sample
    silently otherwise; tables print this next to n_obs so readers see what was removed and why.
    """
    parts = [f"{k.replace('_', ' ')} {int(v)}" for k, v in n_dropped.items() if int(v)]
    return ", ".join(parts) if parts else "none"


@dataclass
class FEResult:
    """Estimates of an absorbed-FE model. Vectors are pandas Series indexed by term name.

    ``n_dropped`` counts every observation removed, by reason ("missing", "zero_weight",
    "singletons", "fe_all_zero", "separated"; nobs + their sum = input rows), so that no result
    can hide a changed sample. ``notes`` records anything the fit had to accept (e.g. a stop at
    the floating-point floor).
    """

    params: pd.Series
    vcov: pd.DataFrame
    nobs: int
    df_resid: int
    df_t: int
    n_clusters: dict[str, int]
    resid: pd.Series
    vcov_type: str
    ssc: SSC
    ssc_factor: float | list[float]
    df_k: int
    fe: list[str]
    cluster: list[str]
    method: str = "feols"
    dist: str = "t"
    collinear: list[str] = field(default_factory=list)
    n_dropped: dict[str, int] = field(default_factory=dict)
    stats: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # conjugate-gradient steps of each demeaning solve (diagnostics; not part of to_dict())
    demean_iterations: list[int] = field(default_factory=list)

    @property
    def bse(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.vcov.to_numpy())), index=self.params.index,
                         name="bse")

    @property
    def tvalues(self) -> pd.Series:
        return (self.params / self.bse).rename("tvalues")

    @property
    def pvalues(self) -> pd.Series:
        t = np.abs(self.tvalues.to_numpy())
        p = 2 * (stats.t.sf(t, self.df_t) if self.dist == "t" else stats.norm.sf(t))
        return pd.Series(p, index=self.params.index, name="pvalues")

    def conf_int(self, alpha: float = design.ALPHA) -> pd.DataFrame:
        """Wald intervals with t(df_t) (OLS; df_t = G-1 when clustered) or normal (PPML)."""
        q = stats.t.ppf(1 - alpha / 2, self.df_t) if self.dist == "t" else stats.norm.ppf(
            1 - alpha / 2)
        return pd.DataFrame({"lower": self.params - q * self.bse,
                             "upper": self.params + q * self.bse})

    def lincom(self, weights: dict[str, float]) -> tuple[float, float]:
        """Linear combination sum_j w_j b_j and its delta-method SE (e.g. a total RTA effect)."""
        w = pd.Series(0.0, index=self.params.index)
        for k, v in weights.items():
            if k not in w.index:
                raise KeyError(f"lincom: term {k!r} not among {list(w.index)}")
            w[k] = v
        wv = w.to_numpy()
        return float(wv @ self.params.to_numpy()), float(np.sqrt(wv @ self.vcov.to_numpy() @ wv))

    def summary_frame(self, alpha: float = design.ALPHA) -> pd.DataFrame:
        ci = self.conf_int(alpha)
        return pd.DataFrame({"coef": self.params, "se": self.bse, "t": self.tvalues,
                             "p": self.pvalues, "ci_lower": ci["lower"], "ci_upper": ci["upper"]})

    def tidy(self, alpha: float = design.ALPHA) -> pd.DataFrame:
        """Coefficient table with pyfixest's ``tidy()`` column names, indexed by term.

        Why: downstream code and reports read one table whatever the estimator; using pyfixest's
        names lets them be compared column by column.
        """
        ci = self.conf_int(alpha)
        lo, hi = f"{100 * alpha / 2:g}%", f"{100 * (1 - alpha / 2):g}%"
        out = pd.DataFrame({"Estimate": self.params, "Std. Error": self.bse,
                            "t value": self.tvalues, "Pr(>|t|)": self.pvalues,
                            lo: ci["lower"], hi: ci["upper"]})
        out.index.name = "Coefficient"
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (plain floats/ints/strings), stable key order."""
        return {
            "method": self.method,
            "vcov_type": self.vcov_type,
            "ssc": self.ssc.describe(),
            "ssc_factor": self.ssc_factor,
            "fe": list(self.fe),
            "cluster": list(self.cluster),
            "nobs": int(self.nobs),
            "df_k": int(self.df_k),
            "df_resid": int(self.df_resid),
            "df_t": int(self.df_t),
            "n_clusters": {k: int(v) for k, v in self.n_clusters.items()},
            "collinear_dropped": list(self.collinear),
            "n_dropped": {k: int(v) for k, v in self.n_dropped.items()},
            "notes": list(self.notes),
            "stats": {k: float(v) for k, v in self.stats.items()},
            "coef": {k: float(v) for k, v in self.params.items()},
            "se": {k: float(v) for k, v in self.bse.items()},
            "pvalue": {k: float(v) for k, v in self.pvalues.items()},
        }


def _validate_common(data: pd.DataFrame, y: str, x: Sequence[str], fe: Sequence[str],
                     cluster: list[str], vcov: str, weights: str | None, fn: str) -> None:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{fn}: data must be a pandas DataFrame, got {type(data).__name__}")
    if isinstance(x, str):
        raise TypeError(f"{fn}: x must be a list of column names, got the string {x!r}")
    _check_columns(data, [y], f"{fn} outcome y")
    _check_columns(data, list(x), f"{fn} regressors x")
    _check_columns(data, list(fe), f"{fn} fixed effects fe")
    _check_columns(data, cluster, f"{fn} cluster")
    if weights is not None:
        _check_columns(data, [weights], f"{fn} weights")
    if vcov not in _VCOV_TYPES:
        raise ValueError(f"{fn}: vcov={vcov!r}; expected one of {_VCOV_TYPES}")
    if vcov == "CRV1" and not cluster:
        raise ValueError(f"{fn}: vcov='CRV1' needs cluster=<column name(s)>")
    if cluster and vcov != "CRV1":
        raise ValueError(f"{fn}: cluster={cluster} given but vcov={vcov!r}; use vcov='CRV1'")
    if len(cluster) > 2:
        raise ValueError(f"{fn}: at most two-way clustering is supported, got {cluster}")
    if len(set(x)) != len(x):
        raise ValueError(f"{fn}: duplicated regressor names in x={list(x)}")


def normalize_args(data: pd.DataFrame, y: str, x: Sequence[str], fe, cluster, vcov: str,
                    weights: str | None, fn: str) -> tuple[list[str], list[str], list[str]]:
    """Shared by feols/fepois: x, fe and cluster as lists, every argument checked."""
    if isinstance(x, str):
        raise TypeError(f"{fn}: x must be a list of column names, got the string {x!r}")
    x, fe, cl = list(x), _as_list(fe), _as_list(cluster)
    _validate_common(data, y, x, fe, cl, vcov, weights, fn)
    return x, fe, cl


def feols(data: pd.DataFrame, y: str, x: list[str], fe: list[str],
          cluster: str | list[str] | None = None, vcov: str = "CRV1",
          weights: str | None = None, ssc: SSC = SSC(), tol: float = 1e-12,
          maxiter: int = 10_000, drop_singletons: bool = True) -> FEResult:  # noqa: B008
    """OLS of ``y`` on ``x`` with the fixed effects ``fe`` absorbed.

    Rows with a missing value in any used column are dropped (count in ``n_dropped['missing']``),
    as are rows with weight 0 (``'zero_weight'``) and, with ``drop_singletons=True`` (the default,
    as pyfixest's ``fixef_rm="singleton"`` and Stata's reghdfe), observations alone in a level of
    some fixed effect, iteratively (``'singletons'``): they are fitted exactly, so slopes do not
    change but N and K shrink. ``n_dropped`` always has the keys "missing", "zero_weight",
    "singletons", "fe_all_zero" and "separated" (the last two are PPML-only and 0 here).
    With ``fe=[]`` an intercept ``"Intercept"`` is estimated instead. Regressors collinear with
    the fixed effects or each other are dropped and listed in ``collinear``. ``vcov`` is
    ``"CRV1"`` (needs ``cluster``: one column or two for two-way CGM), ``"HC1"`` or ``"iid"``.
    ``weights`` are analytic weights (WLS). ``ssc`` sets the small-sample correction (module doc).
    """
    fn = "feols"
    x, fe, cl = normalize_args(data, y, x, fe, cluster, vcov, weights, fn)
    cols = [y, *x, *fe, *cl] + ([weights] if weights else [])
    sample = Sample(data, cols, fn)
    n_drop = {"missing": sample.n_missing, "zero_weight": sample.drop_zero_weights(weights),
              "singletons": 0, "fe_all_zero": 0, "separated": 0}
    coded = sample.coded([*fe, *cl])
    fe_codes = [coded[c] for c in fe]
    keep = None
    if drop_singletons and fe:
        keep = singleton_mask(fe_codes)
        n_drop["singletons"] = int((~keep).sum())
        if not keep.any():
            raise ValueError(f"{fn}: every observation is a singleton in some fixed effect "
                             f"{fe}; nothing identifies the slopes (drop_singletons=False keeps "
                             "them, but they are fitted exactly)")
        if keep.all():
            keep = None
    if keep is not None:  # narrow the sample; codes are renumbered, not recomputed
        sample.keep(keep)
        coded = dict(zip(coded, map_tasks(lambda v: subset_codes(v, keep), list(coded.values()),
                                          len(keep)), strict=True))
        fe_codes = [coded[c] for c in fe]
    yx = sample.numeric([y, *x])
    w = sample.weights(weights) if weights else None
    index = sample.index
    cl_codes = [coded[c] for c in cl]
    names = list(x)
    iterations: list[int] = []
    if not fe:
        yx = np.column_stack([yx, np.ones(len(index))])
        names = [*x, "Intercept"]
        yxt = yx  # nothing to absorb: plain OLS with an intercept
    else:
        absorber = Absorber(fe_codes, weighted=w is not None, tol=tol, maxiter=maxiter,
                            names=fe)
        yxt = absorber.residualize(yx, w)
        iterations = list(absorber.iterations)
    yt = yxt[:, 0]
    xt, names, dropped = drop_collinear(yxt[:, 1:], names, yx[:, 1:], fn)
    beta = _ls_qr(xt, yt, w)
    u = yt - xt @ beta
    n = len(index)
    k = xt.shape[1]
    df_k = dof_k(k, fe_codes, cl_codes, ssc)

    def wtd(a: np.ndarray) -> np.ndarray:
        """w * a for a vector; without weights a contiguous a: the numbers of 1.0 * a without an
        N-vector of ones (contiguous, as the product was, so later sums keep their bits)."""
        return np.ascontiguousarray(a) if w is None else w * a

    xtw = xt.copy() if w is None else xt * w[:, None]  # a copy keeps xt's (column-major) layout
    bread = np.linalg.inv(xt.T @ xtw)
    scores = xtw * u[:, None]
    ssr = float(np.sum(wtd(u) * u))
    v, df_t, fac = sandwich(bread, scores, vcov, ssc, n, df_k, cl_codes, sigma2_sum=ssr)
    n_clusters = {c: int(codes.max()) + 1 for c, codes in zip(cl, cl_codes, strict=True)}
    yraw = yx[:, 0]
    ybar = np.sum(wtd(yraw)) / (n if w is None else w.sum())
    tss = float(np.sum(wtd((yraw - ybar) ** 2)))
    tss_within = float(np.sum(wtd(yt) * yt))
    st = {"r2": 1 - ssr / tss if tss > 0 else np.nan,
          "r2_within": 1 - ssr / tss_within if fe and tss_within > 0 else np.nan,
          "ssr": ssr}
    return FEResult(
        params=pd.Series(beta, index=names, name="coef"),
        vcov=pd.DataFrame(v, index=names, columns=names),
        nobs=n, df_resid=n - df_k, df_t=df_t, n_clusters=n_clusters,
        resid=pd.Series(u, index=index, name="resid"), vcov_type=vcov, ssc=ssc,
        ssc_factor=fac, df_k=df_k, fe=fe, cluster=cl, method="feols", dist="t",
        collinear=dropped, n_dropped=n_drop, stats=st, demean_iterations=iterations,
    )
