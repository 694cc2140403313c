"""The estimators' thread pool (autotariffs.threads): its setting, and that the thread count
never changes a bit of a result. All data here are SIMULATED (seeded numpy draws)."""

from __future__ import annotations

import numpy as np
import pytest

from autotariffs import threads


def test_setting_parsed_and_bad_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("AUTOTARIFFS_THREADS", "3")
    assert threads.workers() == 3
    monkeypatch.setenv("AUTOTARIFFS_THREADS", "0")
    assert threads.workers() == 1
    monkeypatch.setenv("AUTOTARIFFS_THREADS", "two")
    with pytest.raises(ValueError, match=r"AUTOTARIFFS_THREADS='two'.*whole number"):
        threads.workers()


def test_small_work_runs_inline_large_work_on_the_pool(monkeypatch):
    import threading

    monkeypatch.setenv("AUTOTARIFFS_THREADS", "2")
    seen: list[str] = []

    def task():
        seen.append(threading.current_thread().name)

    threads.run_tasks([task, task], threads.PARALLEL_MIN - 1)
    assert seen == [threading.current_thread().name] * 2
    seen.clear()
    threads.run_tasks([task, task], threads.PARALLEL_MIN)
    assert all(name.startswith("autotariffs") for name in seen) and len(seen) == 2


def test_blocks_and_chunks_cover_every_row_once(monkeypatch):
    monkeypatch.setattr(threads, "PARALLEL_MIN", 10)
    monkeypatch.setattr(threads, "CHUNK", 7)
    monkeypatch.setenv("AUTOTARIFFS_THREADS", "3")
    assert threads.row_blocks(9) == [(0, 9)]  # below PARALLEL_MIN: one block
    blocks = threads.row_blocks(100)
    assert len(blocks) == 3
    rows = [r for a, b in blocks for s, e in threads.chunks(a, b) for r in range(s, e)]
    assert rows == list(range(100))
    assert all(e - s <= 7 for a, b in blocks for s, e in threads.chunks(a, b))


def test_map_tasks_keeps_order_and_raises_a_tasks_error(monkeypatch):
    monkeypatch.setenv("AUTOTARIFFS_THREADS", "2")
    assert threads.map_tasks(lambda x: x * x, [3, 1, 2], threads.PARALLEL_MIN) == [9, 1, 4]

    def boom(x):
        if x == 2:
            raise KeyError("task 2")
        return x

    with pytest.raises(KeyError, match="task 2"):
        threads.map_tasks(boom, [1, 2, 3], threads.PARALLEL_MIN)


def _design(n: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    codes = [rng.integers(0, lv, n) for lv in (n // 4, n // 20, 9)]
    codes = [np.unique(c, return_inverse=True)[1].astype(np.int64) for c in codes]
    eff = sum(rng.normal(size=int(c.max()) + 1)[c] for c in codes)
    m = np.column_stack([eff + rng.normal(size=n), rng.normal(size=n), rng.poisson(2, n) * 1.0])
    return m, codes, rng.uniform(0.2, 3.0, n)


@pytest.mark.parametrize("weighted", [False, True])
def test_residuals_bit_identical_for_any_thread_count_and_still_exact(monkeypatch, weighted):
    """Threads forced on a small design (every pass split into blocks and chunks of 7 rows):
    residuals equal, bit for bit, those of one thread, and the dummy-variable least squares."""
    from autotariffs.models.demean import Absorber

    m, codes, w = _design(600)
    w = w if weighted else None
    monkeypatch.setenv("AUTOTARIFFS_THREADS", "1")
    one = Absorber(codes, weighted=weighted, tol=1e-13).residualize(m, w)
    monkeypatch.setattr(threads, "PARALLEL_MIN", 1)
    monkeypatch.setattr(threads, "CHUNK", 7)
    for n in ("2", "3", "4"):
        monkeypatch.setenv("AUTOTARIFFS_THREADS", n)
        many = Absorber(codes, weighted=weighted, tol=1e-13).residualize(m, w)
        assert np.array_equal(many, one), n
    d = np.column_stack([np.eye(int(c.max()) + 1)[c] for c in codes])
    sw = np.ones(len(m)) if w is None else np.sqrt(w)
    coef, *_ = np.linalg.lstsq(d * sw[:, None], m * sw[:, None], rcond=None)
    np.testing.assert_allclose(one, m - d @ coef, atol=1e-8 * np.abs(m).max())


def test_feols_bit_identical_for_any_thread_count(monkeypatch):
    import pandas as pd

    from autotariffs.models.fe import feols

    m, codes, w = _design(800, seed=3)
    df = pd.DataFrame({"y": m[:, 0], "x1": m[:, 1], "x2": m[:, 2], "a": codes[0] * 3 + 5,
                       "b": codes[1], "c": codes[2], "w": w})
    df.loc[df.index[::37], "x2"] = np.nan  # missing rows: the sample is a subset of rows

    def fit():
        r = feols(df, "y", ["x1", "x2"], ["a", "b", "c"], cluster="b", weights="w", tol=1e-12)
        return r.params.to_numpy(), r.vcov.to_numpy(), r.resid.to_numpy(), r.nobs

    monkeypatch.setenv("AUTOTARIFFS_THREADS", "1")
    one = fit()
    monkeypatch.setattr(threads, "PARALLEL_MIN", 1)
    monkeypatch.setattr(threads, "CHUNK", 5)
    monkeypatch.setenv("AUTOTARIFFS_THREADS", "3")
    many = fit()
    assert one[3] == many[3] < len(df)
    for a, b in zip(one[:3], many[:3], strict=True):
        assert np.array_equal(a, b)
