"""Size and power of inference for ONE treated origin: full-size Monte Carlo (SIMULATED data).

The referee's done-when (issue 13): one treated unit, two controls with identical treatment paths,
AR(1) errors (rho = 0.5), 48 pre and 4 post months. Under no effect, report how often each 5% test
rejects; with a true effect of -0.3 log points, report power. Tests compared:

* CRV1 t-test (TWFE: unit + month FE, treated x post, clustered by unit, t(G-1) critical value) -
  invalid by design with one treated cluster (its score is identically zero);
* conformal inference (Chernozhukov, Wuthrich & Zhu 2021) with the DiD counterfactual (constant,
  and constant per month-of-year) and with the SARIMAX gap model (AR(1) errors, +- month dummies);
* in-time placebos (min_pre = 12, the default: 33 placebos; and min_pre = 6: 39 placebos).

A 5% test rejects when p <= 0.05. Attainable sizes are discrete: conformal with T = 52 months can
reject at most floor(0.05 * 52)/52 = 2/52; the placebo test floor(0.05 (n+1))/(n+1).

DGP per draw (``draws`` in tests/support/one_treated.py, the same as the test's): y_gt = a_g +
m_t + e_gt, a_g ~ N(0, 1), m_t a Gaussian random walk (sd 0.05) common to all units, e_gt AR(1)
with rho = 0.5, innovations N(0, sigma = 0.1), stationary start; the treated unit (first) gets
+effect in the 4 post months.

Usage: ``.venv/bin/python scripts/bench_one_treated.py [--draws 5000] [--draws-sarimax 500]
[--draws-sarimax-seasonal 200] [--seed 20250403]`` -> prints a table and writes
reports/benchmarks/one_treated.json.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

from autotariffs.models import one_treated as ot

# the simulation is the tests' (tests/support/one_treated.py), so both run the same DGP
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.one_treated import RHO, SIGMA, T0, T1, draws, twfe_crv1  # noqa: E402

ALPHA = 0.05
OUT = Path(__file__).resolve().parents[1] / "reports" / "benchmarks" / "one_treated.json"


def crv1_pvalues(y: np.ndarray) -> np.ndarray:
    b, se = twfe_crv1(y, T0)
    return 2 * stats.t.sf(np.abs(b / se), y.shape[1] - 1)


def rate(p: np.ndarray) -> dict:
    r = float(np.mean(p <= ALPHA))
    return {"rate": r, "mc_se": math.sqrt(r * (1 - r) / len(p)), "n_draws": int(len(p))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=5000)
    ap.add_argument("--draws-sarimax", type=int, default=500)
    ap.add_argument("--draws-sarimax-seasonal", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20250403)
    args = ap.parse_args()
    t_start = time.perf_counter()
    post = np.r_[np.zeros(T0, bool), np.ones(T1, bool)]
    moy = (np.arange(T0 + T1) % 12) + 1
    res: dict = {}
    for label, eff, seed in (("size", 0.0, args.seed), ("power_minus_0.3", -0.3, args.seed + 1)):
        y = draws(args.draws, seed, eff)
        gaps = y[:, 0] - y[:, 1:].mean(axis=1)
        out = {"crv1": rate(crv1_pvalues(y))}
        out["conformal_did"] = rate(ot._conformal_did_p(gaps, post)[0])
        out["conformal_did_seasonal"] = rate(ot._conformal_did_p(gaps, post, 0.0, moy)[0])
        for mp in (12, 6):
            p, _, n_plc = ot._placebo_p_vec(gaps, T0, T1, donut=0, min_pre=mp)
            out[f"placebo_min_pre_{mp}"] = rate(p) | {"n_placebos": n_plc}
        for key, seasonal, n in (("conformal_sarimax", False, args.draws_sarimax),
                                 ("conformal_sarimax_seasonal", True,
                                  args.draws_sarimax_seasonal)):  # fmt: skip
            ps, n_bad = [], 0
            t0 = time.perf_counter()
            for i in range(n):
                u, conv, _ = ot._sarimax_resid(gaps[i], moy, seasonal)
                n_bad += not conv
                ps.append(ot._block_p(u[None, :], post)[0][0])
            out[key] = rate(np.array(ps)) | {
                "n_not_converged": n_bad,
                "seconds_per_fit": (time.perf_counter() - t0) / max(n, 1),
            }
        res[label] = out
    report = {
        "design": {
            "n_treated": 1,
            "n_controls": 2,
            "pre_months": T0,
            "post_months": T1,
            "ar1_rho": RHO,
            "innovation_sd": SIGMA,
            "effect_power": -0.3,
            "alpha": ALPHA,
            "reject_rule": "p <= alpha",
            "seed_size": args.seed,
            "seed_power": args.seed + 1,
            "data": "SIMULATED",
        },
        "attainable_size": {
            "conformal (T=52 cyclic shifts)": math.floor(ALPHA * (T0 + T1)) / (T0 + T1),
            "placebo_min_pre_12 (33 placebos)": 1 / 34,
            "placebo_min_pre_6 (39 placebos)": 2 / 40,
        },
        "results": res,
        "seconds_total": time.perf_counter() - t_start,
        "script": "scripts/bench_one_treated.py",
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    print(f"{'test':32s} {'size':>8s} {'power(-0.3)':>12s}  draws")
    for k in res["size"]:
        s, p = res["size"][k], res["power_minus_0.3"][k]
        print(f"{k:32s} {s['rate']:8.4f} {p['rate']:12.4f}  {s['n_draws']}")
    print(f"wrote {OUT} in {report['seconds_total']:.1f} s")


if __name__ == "__main__":
    main()
