"""PRIVATE test stand-in for ``autotariffs.models.one_treated`` (being written by another engineer
to /work/notes/API_one_treated.md). Only the parts of the API that autotariffs.models.deals uses:
``did``, ``conformal`` (model 'did', q = 1 statistic, cyclic moving-block permutations) and
``in_time_placebos``. Used only to exercise the deals wiring before the real module is merged;
the done-when tests import the real module (pytest.importorskip).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _m(x) -> pd.Timestamp:
    return pd.Timestamp(x).to_period("M").to_timestamp()


def _prep(wide, treated, controls):
    w = wide[[treated, *controls]]
    ok = w.notna().all(axis=1)
    return w[ok], int((~ok).sum())


def _windows(idx, event, post_len, donut, pre_start):
    e = _m(event)
    pos = int(np.searchsorted(idx.values, e.to_datetime64()))
    post = np.arange(pos, len(idx) if post_len is None else min(len(idx), pos + post_len))
    start = 0 if pre_start is None else int(np.searchsorted(idx.values, _m(pre_start)
                                                            .to_datetime64()))
    pre = np.arange(start, max(start, pos - donut))
    return pre, post


def gap(wide, treated, controls):
    return wide[treated] - wide[list(controls)].mean(axis=1)


def did(wide, treated, controls, event, post_len=None, donut=0, pre_start=None, seasonal=False):
    w, nd = _prep(wide, treated, controls)
    g = gap(w, treated, controls)
    pre, post = _windows(w.index, event, post_len, donut, pre_start)
    coef = g.iloc[post].mean() - g.iloc[pre].mean()
    fmt = [f"{x:%Y-%m}" for x in w.index]
    return {"coef": float(coef), "pre_months": [fmt[i] for i in pre],
            "post_months": [fmt[i] for i in post], "n_pre": len(pre), "n_post": len(post),
            "n_dropped_missing": nd,
            "by_month": {fmt[i]: float(g.iloc[i]) for i in np.r_[pre, post]}}


def _p(w, treated, controls, pre, post, theta0):
    y = w[[treated, *controls]].to_numpy(copy=True)[np.r_[pre, post]]
    npre = len(pre)
    y[npre:, 0] -= theta0
    u = y - y.mean(axis=0) - y.mean(axis=1, keepdims=True) + y.mean()
    u = u[:, 0]
    T = len(u)
    shifts = np.stack([np.roll(u, -j) for j in range(T)])
    stat = np.abs(shifts[:, npre:]).mean(axis=1)
    return float(np.mean(stat >= stat[0] - 1e-12)), T, float(stat[0])


def conformal(wide, treated, controls, event, post_len=None, donut=0, pre_start=None,
              seasonal=False, theta0=0.0, model="did", alpha=0.05, ci=True):
    w, _ = _prep(wide, treated, controls)
    pre, post = _windows(w.index, event, post_len, donut, pre_start)
    p, T, s = _p(w, treated, controls, pre, post, theta0)
    lo = hi = np.nan
    if ci:
        c = did(wide, treated, controls, event, post_len, donut, pre_start)["coef"]
        grid = c + np.linspace(-2, 2, 401)
        keep = [t for t in grid if _p(w, treated, controls, pre, post, t)[0] > alpha]
        if keep:
            lo = -np.inf if keep[0] == grid[0] else min(keep)
            hi = np.inf if keep[-1] == grid[-1] else max(keep)
    return {"p": p, "n_perm": T, "min_p": 1.0 / T, "stat": "q1", "stat_obs": s,
            "ci95_low": lo, "ci95_high": hi, "model": model, "theta0": theta0}


def in_time_placebos(wide, treated, controls, event, post_len, donut=0, pre_start=None,
                     seasonal=False, min_pre=12):
    w, _ = _prep(wide, treated, controls)
    actual = did(w, treated, controls, event, post_len, donut, pre_start)["coef"]
    pre, _ = _windows(w.index, event, post_len, donut, pre_start)
    pl = {}
    for k in range(len(pre)):
        i = pre[k]
        if k < min_pre or k + donut + post_len > len(pre):
            continue
        sub = w.iloc[pre[0]: pre[-1] + 1]
        pl[f"{w.index[i]:%Y-%m}"] = did(sub, treated, controls, w.index[i], post_len, donut)["coef"]
    if not pl:
        raise ValueError("no admissible placebo month")
    n = len(pl)
    p = (1 + sum(abs(v) >= abs(actual) for v in pl.values())) / (1 + n)
    return {"actual": actual, "placebos": pl, "p": p, "n_placebos": n, "min_p": 1 / (1 + n)}
