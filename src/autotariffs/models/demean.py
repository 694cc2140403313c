"""Partialling high-dimensional fixed effects out of columns (the *within* transformation).

Why not alternating projections: they need hundreds of sweeps over all N rows when the FE graph
is poorly connected (Yotov et al. 2016). :class:`Absorber` solves the fixed effects' normal
equations instead (the largest FE eliminated exactly, conjugate gradients on the rest).
ARCHITECTURE.md ("Estimator notes: demean.py") has the algebra, convergence rule and costs.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp

from autotariffs.errors import AutotariffsError
from autotariffs.threads import chunks, parts, row_blocks, run_tasks

__all__ = ["Absorber", "DemeanNotConverged"]


_STALL = 200  # CG steps without a new smallest residual = stagnation at the floating-point floor


class _SplitCSR:
    """A CSR matrix stored as row blocks of about equal nonzeros, multiplied block by block in
    threads (each output row is the same dot product as in the unsplit matrix)."""

    def __init__(self, m: sp.csr_matrix) -> None:
        self.shape = m.shape
        self.nnz = nnz = m.nnz
        cuts = np.searchsorted(m.indptr, np.linspace(0, nnz, parts(nnz) + 1)[1:-1])
        edges = [0, *sorted(set(int(c) for c in cuts) - {0, m.shape[0]}), m.shape[0]]
        self.blocks = []
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            lo, hi = m.indptr[a], m.indptr[b]
            self.blocks.append((a, b, sp.csr_matrix(
                (m.data[lo:hi], m.indices[lo:hi], m.indptr[a:b + 1] - lo),
                shape=(b - a, m.shape[1]))))

    def __matmul__(self, x: np.ndarray) -> np.ndarray:
        if len(self.blocks) == 1:
            return self.blocks[0][2] @ x
        out = np.empty((self.shape[0], x.shape[1]))

        def task(a: int, b: int, blk: sp.csr_matrix) -> Callable[[], None]:
            def run() -> None:
                out[a:b] = blk @ x
            return run

        run_tasks([task(*blk) for blk in self.blocks], self.nnz)
        return out


class DemeanNotConverged(AutotariffsError, RuntimeError):
    """Conjugate gradients did not reach the demeaning tolerance within ``maxiter`` steps."""


def _argsort_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(sorted keys, the order that sorts them) for non-negative int64 ``keys``; the order is
    None when the keys are already sorted (rows in panel order: no sort, no scatter).

    Why: when key and position fit in 63 bits together, sorting ``key << b | position`` with
    ``np.sort`` (vectorised) and unpacking is ~7x faster than ``np.argsort`` at 5M rows. Equal
    keys come out in position order; callers only need equal keys adjacent.
    """
    n = len(keys)
    if n < 2 or not (keys[1:] < keys[:-1]).any():
        return keys, None
    shift = max(int(n - 1).bit_length(), 1)
    if n and int(keys.max()).bit_length() + shift <= 63:
        packed = np.sort((keys << shift) | np.arange(n, dtype=np.int64))
        return packed >> shift, packed & ((1 << shift) - 1)
    order = np.argsort(keys)
    return keys.take(order), order


class _Pair:
    """Sparsity pattern of the cross-tabulation of two fixed effects (built once, reweighted).

    ``idx`` maps each row to its (a, b) level pair, pairs numbered in (a, b) order (CSR order);
    ``tperm`` lists the pairs in (b, a) order, so the transpose's data are ``data[tperm]``.
    """

    def __init__(self, a: np.ndarray, b: np.ndarray, ga: int, gb: int) -> None:
        # ga, gb <= N rows, so the combined key fits int64 for any N below 2^31. One sort of the
        # keys numbers the distinct pairs in key order (= pandas.factorize(key, sort=True)).
        sk, order = _argsort_keys(a * gb + b)
        new = np.empty(len(sk), dtype=bool)
        new[:1] = True
        np.not_equal(sk[1:], sk[:-1], out=new[1:])
        self.idx = np.cumsum(new) - 1
        if order is not None:
            idx, self.idx = self.idx, np.empty(len(sk), dtype=np.int64)
            self.idx[order] = idx
        first = np.flatnonzero(new) if order is None else order[new]  # each pair's first row
        rows, cols = a.take(first), b.take(first)  # = divmod(key, gb), without int64 division
        self.nnz = len(rows)
        itype = np.int32 if max(ga, gb, self.nnz) < 2**31 else np.int64
        self.cols = cols.astype(itype)
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=ga))])
        self.shape = (ga, gb)
        # transpose: pairs in (b, a) order, by scipy's CSR -> CSC conversion (a counting sort
        # by b, stable in a: linear in nnz); its data carry each pair's CSR position
        ids = sp.csr_matrix((np.arange(self.nnz, dtype=np.int64), cols, self.indptr),
                            shape=(ga, gb)).tocsc()
        self.tperm = ids.data
        self.t_indices = ids.indices.astype(itype, copy=False)  # = rows.take(tperm)
        self.t_indptr = ids.indptr

    def pair_sums(self, w: np.ndarray | None) -> np.ndarray:
        """Each level pair's row count (``w`` None) or weight sum: C's data in CSR order."""
        return (np.bincount(self.idx, minlength=self.nnz).astype(np.float64) if w is None
                else np.bincount(self.idx, weights=w, minlength=self.nnz))

    def from_data(self, data: np.ndarray) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """C and its transpose (both CSR) from C's data in CSR order."""
        c = sp.csr_matrix((data, self.cols, self.indptr), shape=self.shape)
        ct = sp.csr_matrix((data.take(self.tperm), self.t_indices, self.t_indptr),
                           shape=self.shape[::-1])
        return c, ct


class Absorber:
    """Partial fixed effects out of columns (optionally weighted); reusable across weight vectors.

    ``codes``: one integer code array per fixed effect (0..levels-1, every level present).
    The level cross-tabulations are built once, so PPML's IRLS steps only re-weight them.
    ``names`` (the fixed effects' column names) and ``arg_names`` (the caller's names for
    ``maxiter`` and ``tol``) only make the non-convergence message say what to change.
    """

    def __init__(self, codes: Sequence[np.ndarray], weighted: bool = False, tol: float = 1e-12,
                 maxiter: int = 10_000, names: Sequence[str] | None = None,
                 arg_names: tuple[str, str] = ("maxiter", "tol")) -> None:
        self.codes = [np.ascontiguousarray(c, dtype=np.int64) for c in codes]
        self.names = list(names) if names is not None else [f"fe{i}" for i in range(len(codes))]
        self.arg_names = arg_names
        self.n_fe = len(self.codes)
        self.weighted = weighted
        self.tol = tol
        self.maxiter = maxiter
        self.iterations: list[int] = []  # CG iterations of each residualize call (diagnostics)
        self.levels = [int(c.max()) + 1 if len(c) else 0 for c in self.codes]
        self.n = len(self.codes[0]) if self.codes else 0
        if self.n_fe < 2:
            return
        # eliminate the FE with most levels; iterate on the others (R)
        self.e = int(np.argmax(self.levels))
        self.rest = [f for f in range(self.n_fe) if f != self.e]
        self.offsets = np.concatenate([[0], np.cumsum([self.levels[f] for f in self.rest])])
        self._pairs: dict[tuple[int, int], _Pair] = {}
        for i, f in enumerate(self.rest):
            self._pairs[(f, self.e)] = _Pair(self.codes[f], self.codes[self.e], self.levels[f],
                                             self.levels[self.e])
            for g in self.rest[i + 1:]:
                self._pairs[(f, g)] = _Pair(self.codes[f], self.codes[g], self.levels[f],
                                            self.levels[g])

    # -- weighted set-up --------------------------------------------------------------------
    def _setup(self, w: np.ndarray | None) -> None:
        sums: dict[object, np.ndarray] = {}

        def level_sums(f: int) -> Callable[[], None]:
            def run() -> None:
                c, lv = self.codes[f], self.levels[f]
                sums[f] = (np.bincount(c, weights=w, minlength=lv) if w is not None
                           else np.bincount(c, minlength=lv).astype(np.float64))
            return run

        def pair_sums(key: tuple[int, int]) -> Callable[[], None]:
            def run() -> None:
                sums[key] = self._pairs[key].pair_sums(w)
            return run

        run_tasks([level_sums(f) for f in range(self.n_fe)] + [pair_sums(k) for k in self._pairs],
                  self.n)
        self._wf = [sums[f] for f in range(self.n_fe)]
        for wf in self._wf:
            wf[wf <= 0] = 1.0  # cannot happen with positive weights; guards empty levels
        self._C, self._Ct = {}, {}
        csr = {}
        for key, p in self._pairs.items():
            csr[key], ct = p.from_data(sums[key])
            self._C[key], self._Ct[key] = _SplitCSR(csr[key]), _SplitCSR(ct)
        inv_we = self._inv_we = 1.0 / self._wf[self.e]
        diag = []
        for f in self.rest:
            c = csr[(f, self.e)]
            sq = sp.csr_matrix((c.data * c.data, c.indices, c.indptr), shape=c.shape)
            d = self._wf[f] - sq @ inv_we
            # levels nested in the eliminated FE have S row ~ 0: they are absorbed already
            d[d <= 1e-11 * self._wf[f]] = np.inf
            diag.append(d)
        self._minv = 1.0 / np.concatenate(diag)

    def _schur_matvec(self, x: np.ndarray) -> np.ndarray:
        """S @ x for x of shape (m, k)."""
        inv_we = self._inv_we
        pieces = [x[self.offsets[i]:self.offsets[i + 1]] for i in range(len(self.rest))]
        ce = np.zeros((self.levels[self.e], x.shape[1]))
        for f, xf in zip(self.rest, pieces, strict=True):
            ce += self._Ct[(f, self.e)] @ xf
        ce *= inv_we[:, None]
        out = []
        for i, f in enumerate(self.rest):
            o = self._wf[f][:, None] * pieces[i] - self._C[(f, self.e)] @ ce
            for j, g in enumerate(self.rest):
                if g == f:
                    continue
                o += (self._C[(f, g)] @ pieces[j]) if (f, g) in self._C else (
                    self._Ct[(g, f)] @ pieces[j])
            out.append(o)
        return np.vstack(out)

    def _pcg(self, rhs: np.ndarray, atol: float) -> tuple[np.ndarray, int]:
        """Batched Jacobi-preconditioned CG on S x = rhs (columns independent).

        The recursively updated residual can drift from the true one: on convergence the true
        residual is recomputed and CG restarted from x if needed. If the residual stops falling
        for ``_STALL`` steps (the floating-point floor of this S lies above ``atol``), the best
        iterate is kept and accepted within 1e4 x ``atol`` with a warning; otherwise
        :class:`DemeanNotConverged` is raised, as when ``maxiter`` steps are used up.
        """
        m, k = rhs.shape
        x = np.zeros((m, k))
        minv = self._minv[:, None]
        total = 0
        for restart in range(4):
            r = rhs - self._schur_matvec(x) if restart else rhs.copy()
            z = minv * r
            rz = np.einsum("ij,ij->j", r, z)
            if np.sqrt(np.max(np.maximum(rz, 0))) <= atol:
                return x, total
            p = z.copy()
            best, best_at, x_best, stalled = np.inf, 0, x, False
            for it in range(self.maxiter):
                now = np.sqrt(np.maximum(rz, 0))
                active = now > atol
                if not active.any():
                    break
                if now.max() < 0.999 * best:
                    best, best_at, x_best = float(now.max()), it, x.copy()
                elif it - best_at > _STALL:
                    x, stalled = x_best, True
                    break
                total += 1
                sp_ = self._schur_matvec(p)
                psp = np.einsum("ij,ij->j", p, sp_)
                alpha = np.where(active & (psp > 0), rz / np.where(psp > 0, psp, 1.0), 0.0)
                x += alpha * p
                r -= alpha * sp_
                z = minv * r
                rz_new = np.einsum("ij,ij->j", r, z)
                beta = np.where(active & (rz > 0), rz_new / np.where(rz > 0, rz, 1.0), 0.0)
                p = z + beta * p
                rz = rz_new
            else:
                raise DemeanNotConverged(self._not_converged(
                    total, float(np.sqrt(np.max(np.maximum(rz, 0)))) / atol))
            if stalled:
                break
        r = rhs - self._schur_matvec(x)
        res = float(np.sqrt(np.max(np.maximum(np.einsum("ij,ij->j", r, minv * r), 0))))
        if res <= atol:
            return x, total
        if res <= 1e4 * atol:
            warnings.warn(f"demeaning: stopped at {res / atol:.3g} x the tolerance, the "
                          f"floating-point floor for fixed effects with {self.levels} levels",
                          RuntimeWarning, stacklevel=3)
            return x, total
        raise DemeanNotConverged(self._not_converged(total, res / atol, stalled=True))

    def _not_converged(self, iterations: int, ratio: float, stalled: bool = False) -> str:
        """One line: what did not converge, after how many iterations, at what tolerance, and
        what to change (named with the caller's arguments, ``arg_names``)."""
        fes = [f"{nm} ({lv:,} levels)" for nm, lv in zip(self.names, self.levels, strict=True)]
        fes_txt = ", ".join(fes[:-1]) + f" and {fes[-1]}" if len(fes) > 1 else fes[0]
        it_name, tol_name = self.arg_names
        resid = f"{ratio * self.tol:.2g} > {tol_name}={self.tol:g}"
        if stalled:
            return (f"demeaning did not converge: on the fixed effects {fes_txt} the conjugate-"
                    f"gradient residual stalls at {resid} after {iterations} iterations, the "
                    f"floating-point floor of this design; loosen {tol_name} (e.g. "
                    f"{tol_name}={self.tol * ratio * 10:.0e}) or check the fixed effects for "
                    "levels linked by very few observations")
        extra = f" ({iterations} in all, with restarts)" if iterations != self.maxiter else ""
        return (f"demeaning did not converge: conjugate gradients stopped at {it_name}="
                f"{self.maxiter} iterations{extra} with the residual at {resid} on the fixed "
                f"effects {fes_txt}, which connect slowly (long chains of levels linked by few "
                f"observations): raise {it_name} (e.g. {it_name}={self.maxiter * 10}) or loosen "
                f"{tol_name}")

    # -- public ------------------------------------------------------------------------------
    def residualize(self, matrix: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Return ``matrix`` with the fixed effects (weighted, if ``weights``) partialled out."""
        matrix = np.asarray(matrix, dtype=np.float64)
        if matrix.ndim == 1:
            return self.residualize(matrix[:, None], weights)[:, 0]
        if weights is not None and not self.weighted:
            raise ValueError("Absorber built with weighted=False cannot take weights")
        w = None if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
        if w is not None:
            w = w / w.mean()  # projections do not depend on the weights' scale
        if self.n_fe == 0:
            wv = np.ones(len(matrix)) if w is None else w
            return matrix - (wv[:, None] * matrix).sum(axis=0) / wv.sum()
        if self.n_fe == 1:
            c, lv = self.codes[0], self.levels[0]
            out = np.empty_like(matrix)
            cnt = (np.bincount(c, minlength=lv).astype(np.float64) if w is None
                   else np.bincount(c, weights=w, minlength=lv))
            cnt[cnt == 0] = 1.0
            for j in range(matrix.shape[1]):
                col = matrix[:, j]
                s = np.bincount(c, weights=col if w is None else w * col, minlength=lv)
                out[:, j] = col - (s / cnt)[c]
            return out
        wv = np.ones(self.n) if w is None else w
        ms = np.sqrt(np.einsum("i,ij,ij->j", wv, matrix, matrix) / self.n)
        ms[ms == 0] = 1.0
        self._setup(w)
        k = matrix.shape[1]
        # one contiguous row per column, scaled to unit weighted RMS: bincount and take read
        # contiguous memory (element for element the same arithmetic as on the (N, k) matrix)
        yc = np.empty((k, self.n))
        wy = yc if w is None else np.empty((k, self.n))
        blocks = row_blocks(self.n)

        def scale(a: int, b: int) -> Callable[[], None]:
            def run() -> None:
                for j in range(k):
                    np.divide(matrix[a:b, j], ms[j], out=yc[j, a:b])
                    if w is not None:
                        np.multiply(yc[j, a:b], w[a:b], out=wy[j, a:b])
            return run

        run_tasks([scale(a, b) for a, b in blocks], self.n)
        sums = [np.empty((lv, k)) for lv in self.levels]

        def group_sums(j: int, f: int) -> Callable[[], None]:
            def run() -> None:
                sums[f][:, j] = np.bincount(self.codes[f], weights=wy[j],
                                            minlength=self.levels[f])
            return run

        run_tasks([group_sums(j, f) for j in range(k) for f in range(self.n_fe)], self.n)
        inv_we = self._inv_we
        be = sums[self.e] * inv_we[:, None]
        rhs = np.vstack([sums[f] - self._C[(f, self.e)] @ be for f in self.rest])
        theta_r, its = self._pcg(rhs, atol=self.tol * np.sqrt(self.n))
        self.iterations.append(its)
        # eliminated FE from the others; residual = y - sum_f theta_f[codes_f]
        ce = np.zeros((self.levels[self.e], k))
        thetas = []
        for i, f in enumerate(self.rest):
            tf = theta_r[self.offsets[i]:self.offsets[i + 1]]
            ce += self._Ct[(f, self.e)] @ tf
            thetas.append((f, np.ascontiguousarray(tf.T)))
        theta_e = be - ce * inv_we[:, None]
        thetas.append((self.e, np.ascontiguousarray(theta_e.T)))
        out = np.empty((self.n, k))

        def residual(a: int, b: int) -> Callable[[], None]:
            def run() -> None:
                gather = np.empty(b - a)  # scratch (fresh N-arrays cost page faults)
                for s, e in chunks(a, b):  # a chunk of rows stays in cache for every column
                    g = gather[:e - s]
                    for j in range(k):
                        r = yc[j, s:e]
                        for f, t in thetas:
                            # mode="clip": codes are valid, and "raise" buffers the output
                            r -= np.take(t[j], self.codes[f][s:e], out=g, mode="clip")
                        r *= ms[j]
                    out[s:e] = yc[:, s:e].T
            return run

        run_tasks([residual(a, b) for a, b in blocks], self.n)
        return out
