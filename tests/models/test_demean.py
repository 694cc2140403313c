"""The fixed-effect demeaner (autotariffs.models.demean.Absorber) against independent solutions.

All data here are SIMULATED (seeded numpy draws). References: the exact least-squares residual
from a dense dummy-variable design (numpy lstsq, minimum-norm, so redundant and disconnected
levels are handled by the SVD), and pyhdfe's method of alternating projections (a different
algorithm from a different package).
"""

from __future__ import annotations

import numpy as np
import pyhdfe
import pytest

from autotariffs.models.demean import Absorber, DemeanNotConverged


def _dummy_residual(m: np.ndarray, codes: list[np.ndarray], w: np.ndarray | None) -> np.ndarray:
    d = np.column_stack([np.eye(int(c.max()) + 1)[c] for c in codes])
    sw = np.ones(len(m)) if w is None else np.sqrt(w)
    coef, *_ = np.linalg.lstsq(d * sw[:, None], m * sw[:, None], rcond=None)
    return m - d @ coef


def _panel(seed: int, n: int = 900, levels=(40, 25, 12)) -> tuple[np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    codes = [rng.integers(0, lv, n) for lv in levels]
    codes = [np.unique(c, return_inverse=True)[1] for c in codes]  # every level present
    eff = sum(rng.normal(size=int(c.max()) + 1)[c] for c in codes)
    m = np.column_stack([eff + rng.normal(size=n), rng.normal(size=n) * 1e6,  # scale-free
                         rng.poisson(3, n).astype(float)])
    return m, codes


@pytest.mark.parametrize("n_fe", [1, 2, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_equals_dummy_variable_least_squares(n_fe, weighted):
    m, codes = _panel(n_fe + 10 * weighted)
    codes = codes[:n_fe]
    w = np.random.default_rng(3).lognormal(0, 2, len(m)) if weighted else None
    got = Absorber(codes, weighted=weighted).residualize(m, w)
    ref = _dummy_residual(m, codes, w)
    scale = np.abs(m).max(axis=0)
    assert np.max(np.abs(got - ref) / scale) < 1e-9


def test_disconnected_and_nested_levels():
    """Two separate components, and a FE nested in another (singular S): still the projection."""
    m, codes = _panel(5, n=600, levels=(30, 20, 10))
    a, b = codes[0], codes[1]
    b = np.where(a < 15, b % 10, 10 + b % 10)  # b levels 0-9 only with a < 15: two components
    nested = a // 3  # each level of `nested` contains whole levels of a
    for cs in ([a, b], [a, nested], [a, b, nested]):
        cs = [np.unique(c, return_inverse=True)[1] for c in cs]
        w = np.random.default_rng(1).uniform(0.2, 5, len(m))
        got = Absorber(cs, weighted=True).residualize(m, w)
        assert np.max(np.abs(got - _dummy_residual(m, cs, w)) / np.abs(m).max(axis=0)) < 1e-9


@pytest.mark.parametrize("weighted", [False, True])
def test_agrees_with_pyhdfe_alternating_projections(weighted):
    m, codes = _panel(7, n=3000, levels=(300, 60, 20))
    w = np.random.default_rng(2).uniform(0.5, 2.0, len(m)) if weighted else None
    got = Absorber(codes, weighted=weighted).residualize(m, w)
    scale = np.abs(m).max(axis=0)  # pyhdfe's stopping rule is an absolute change
    alg = pyhdfe.create(np.column_stack(codes), drop_singletons=False,
                        options={"tol": 1e-13, "iteration_limit": 100_000})
    ref = alg.residualize(m / scale, None if w is None else w[:, None]) * scale
    assert np.max(np.abs(got - ref) / scale) < 1e-8


def test_weights_scale_free_and_reusable_across_weights():
    m, codes = _panel(9)
    ab = Absorber(codes[:2], weighted=True)
    w1 = np.random.default_rng(4).uniform(0.5, 2, len(m))
    w2 = np.random.default_rng(5).uniform(0.5, 2, len(m))
    r1 = ab.residualize(m, w1)
    r2 = ab.residualize(m, w2)
    assert np.allclose(ab.residualize(m, w1 * 1e9), r1, rtol=0, atol=1e-9 * np.abs(m).max())
    assert np.allclose(r2, _dummy_residual(m, codes[:2], w2), atol=1e-9 * np.abs(m).max())
    assert not np.allclose(r1, r2)  # the weights do matter


def test_unweighted_absorber_refuses_weights_and_reports_non_convergence():
    m, codes = _panel(11)
    with pytest.raises(ValueError, match="weighted=False"):
        Absorber(codes[:2]).residualize(m, np.ones(len(m)))
    with pytest.raises(DemeanNotConverged, match=r"maxiter=1 .*levels"):
        Absorber(codes, tol=1e-14, maxiter=1).residualize(m)


def test_tolerance_below_the_floating_point_floor_warns_or_raises():
    """A tolerance below what float64 can attain: accept the best iterate with a warning when it
    is within 1e4 x tol (and it is still the projection), raise when far above."""
    m, codes = _panel(11)
    with pytest.warns(RuntimeWarning, match="floating-point floor"):
        got = Absorber(codes, tol=1e-17).residualize(m)
    assert np.max(np.abs(got - _dummy_residual(m, codes, None)) / np.abs(m).max(axis=0)) < 1e-9
    with pytest.raises(DemeanNotConverged, match="stalls"):
        Absorber(codes, tol=1e-22).residualize(m)


@pytest.mark.parametrize("weighted", [False, True])
def test_rows_in_panel_order_equal_dummy_variable_least_squares(weighted):
    """Rows sorted by the fixed effects (a panel in id order, repeated cells included) take the
    no-sort path of the level cross-tabulation; its residuals must still be the exact ones, and
    the same as for the rows shuffled."""
    m, codes = _panel(11, levels=(30, 20))
    order = np.lexsort((codes[0], codes[1]))  # sorted by the FE with most levels, then the other
    m, codes = m[order], [c[order] for c in codes]
    assert not (np.diff(codes[1]) < 0).any()  # the fixture really is in panel order
    w = np.random.default_rng(3).uniform(0.5, 2.0, len(m)) if weighted else None
    got = Absorber(codes, weighted=weighted, tol=1e-13).residualize(m, w)
    np.testing.assert_allclose(got, _dummy_residual(m, codes, w), atol=1e-7 * np.abs(m).max())
    shuffle = np.random.default_rng(4).permutation(len(m))
    back = np.empty_like(shuffle)
    back[shuffle] = np.arange(len(m))
    shuffled = Absorber([c[shuffle] for c in codes], weighted=weighted, tol=1e-13).residualize(
        m[shuffle], None if w is None else w[shuffle])
    np.testing.assert_allclose(shuffled[back], got, atol=1e-7 * np.abs(m).max())
