"""Benchmark autotariffs feols/fepois against pyfixest feols/fepois, side by side.

Not a test (timings are machine-dependent). Each (estimator, implementation, dataset) runs in its
own subprocess so peak RSS (``resource.getrusage`` ru_maxrss, includes interpreter + data) is
attributable; the median wall time over ``--reps`` fits is reported (data generation and imports
excluded; the first fit of each worker is a warm-up for numba/rust JIT and is not timed).
Both implementations use the same demeaning tolerance (1e-10). Coefficients must agree to 1e-6.

Datasets: Yotov et al. (2016) Table 3 col. (4) (pair + exporter-year + importer-year effects;
PPML on trade, OLS on log positive trade), SIMULATED HS10 x origin x month panels
(5 origins x 48 months, 2 high-dimensional FE: HS10 x origin and HS10 x month), and SIMULATED
*uneven* panels ``uneven_<n>`` (issue 12, ``uneven_panel`` in tests/support/designs.py, the panel
tests/models/test_adversarial.py checks: one FE with n/20 even groups, one with n/100 groups of
Zipf-distributed size -- many singletons, a few huge groups, 5% with outcome zero throughout --
and 50 clusters), because speed claims made on balanced designs need not hold on users' data.
Both implementations use their default sample rules (singletons dropped; pyfixest's "fe"
separation check), so the uneven rows time those rules too.

Usage: ``.venv/bin/python scripts/bench_estimators.py [--sizes 10000 100000 1000000 5000000]
[--uneven 1000000] [--reps 3] [--timeout 900] [--only DATASET ...]`` -> prints a table, writes
reports/benchmarks/estimators.json and reports/benchmarks/estimator_scaling.png/.pdf.
``--only`` re-measures just the named datasets (e.g. ``uneven_1000000``) and keeps the other rows
of the existing JSON (their ``measured`` date says when they were taken).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

# the uneven panel is the tests' issue-12 design (tests/support/designs.py): one DGP for both
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.designs import uneven_panel  # noqa: E402

TOL = 1e-10
N_ORIGIN, N_MONTH = 5, 48


def simulate(n: int, seed: int = 0) -> pd.DataFrame:
    """SIMULATED HS10 x origin x month panel with ~n rows (10% dropped at random)."""
    rng = np.random.default_rng(seed)
    n_hs = max(2, int(np.ceil(n / (N_ORIGIN * N_MONTH * 0.9))))
    hs = np.repeat(np.arange(n_hs), N_ORIGIN * N_MONTH)
    origin = np.tile(np.repeat(np.arange(N_ORIGIN), N_MONTH), n_hs)
    month = np.tile(np.arange(N_MONTH), n_hs * N_ORIGIN)
    keep = rng.uniform(size=hs.size) < 0.9
    hs, origin, month = hs[keep][:n], origin[keep][:n], month[keep][:n]
    unit = hs * N_ORIGIN + origin
    hs_month = hs * N_MONTH + month
    m = hs.size
    a = rng.normal(0, 1, unit.max() + 1)[unit]
    g = rng.normal(0, 0.3, hs_month.max() + 1)[hs_month]
    tariff = np.where((origin >= 3) & (month >= 39), 0.25, 0.0) + rng.uniform(0, 0.05, m)
    x2 = rng.normal(size=m) + 0.2 * a
    eta = a + g - 2.0 * tariff + 0.3 * x2
    y = rng.poisson(np.exp(eta)).astype(float)
    return pd.DataFrame({"y": y, "ln_y": eta + rng.normal(0, 0.5, m), "tariff": tariff,
                         "x2": x2, "unit": unit, "hs_month": hs_month, "origin": origin})


def _data(name: str) -> tuple[pd.DataFrame, dict]:
    if name == "yotov_t3c4":
        from autotariffs.replication.yotov import load_yotov

        d = load_yotov()
        return d, {"x": ["rta"], "fe": ["exp_year", "imp_year", "pair_id"],
                   "cluster": "pair_id", "y_ols": "ln_trade", "y_pois": "trade"}
    if name.startswith("uneven_"):
        return uneven_panel(int(name.split("_")[1])), {
            "x": ["x"], "fe": ["a", "b"], "cluster": "g", "y_ols": "ln_y", "y_pois": "c"}
    return simulate(int(name)), {"x": ["tariff", "x2"], "fe": ["unit", "hs_month"],
                                 "cluster": "unit", "y_ols": "ln_y", "y_pois": "y"}


def worker(est: str, impl: str, dataset: str, reps: int) -> None:
    import resource

    d, spec = _data(dataset)
    if est == "feols" and dataset == "yotov_t3c4":
        d = d.loc[d["trade"] > 0]
    y = spec["y_ols"] if est == "feols" else spec["y_pois"]
    if impl == "autotariffs":
        from autotariffs.models.fe import feols
        from autotariffs.models.ppml import fepois

        def fit():
            f = feols if est == "feols" else fepois
            kw = {"tol": TOL} if est == "feols" else {"demean_tol": TOL}
            r = f(d, y, spec["x"], spec["fe"], cluster=spec["cluster"], **kw)
            return r.params.to_dict(), r.bse.to_dict(), r.nobs
    else:
        import pyfixest as pf
        from pyfixest.demeaners import MapDemeaner

        fml = f"{y} ~ {' + '.join(spec['x'])} | {' + '.join(spec['fe'])}"

        def fit():
            f = pf.feols if est == "feols" else pf.fepois
            kw = {} if est == "feols" else {"iwls_tol": 1e-10}
            m = f(fml, data=d, vcov={"CRV1": spec["cluster"]}, fixef_rm="singleton",
                  demeaner=MapDemeaner(fixef_tol=TOL), **kw)
            return m.coef().to_dict(), m.se().to_dict(), int(m._N)

    fit()  # warm-up (JIT compilation, caches)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        coef, se, nobs_used = fit()
        times.append(time.perf_counter() - t0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux: KiB)
    print(json.dumps({"median_s": float(np.median(times)), "times": times, "peak_rss_mib": rss,
                      "nobs": int(len(d)), "nobs_used": int(nobs_used), "coef": coef,
                      "se": se}))


def _reps(dataset: str, reps: int) -> int:
    n = int(dataset.split("_")[-1]) if dataset != "yotov_t3c4" else 0
    return reps if n <= 100_000 else 1


def run_one(est: str, impl: str, dataset: str, reps: int, timeout: float) -> dict:
    cmd = [sys.executable, __file__, "--worker", est, impl, dataset, str(reps)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    if p.returncode != 0:
        return {"error": p.stderr.strip().splitlines()[-1] if p.stderr else "failed"}
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000,
                                                              5_000_000])
    ap.add_argument("--uneven", type=int, nargs="*", default=[1_000_000])
    ap.add_argument("--only", nargs="+", default=None,
                    help="re-measure only these datasets; keep the other rows of the JSON")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--estimators", nargs="+", default=["feols", "fepois"])
    ap.add_argument("--worker", nargs=4, metavar=("EST", "IMPL", "DATA", "REPS"))
    a = ap.parse_args()
    if a.worker:
        worker(a.worker[0], a.worker[1], a.worker[2], int(a.worker[3]))
        return
    from autotariffs import paths
    from autotariffs.atomic import write_json

    datasets = a.only or ["yotov_t3c4", *map(str, a.sizes), *(f"uneven_{n}" for n in a.uneven)]
    rows = []
    for est in a.estimators:
        for dataset in datasets:
            reps = _reps(dataset, a.reps)
            res = {impl: run_one(est, impl, dataset, reps, a.timeout)
                   for impl in ("autotariffs", "pyfixest")}
            ours, theirs = res["autotariffs"], res["pyfixest"]
            row = {"estimator": est, "dataset": dataset, "reps": reps,
                   "measured": time.strftime("%Y-%m-%d")}
            for impl, r in res.items():
                row[f"{impl}_s"] = r.get("median_s")
                row[f"{impl}_rss_mib"] = r.get("peak_rss_mib")
                row[f"{impl}_error"] = r.get("error")
            row["nobs"] = ours.get("nobs", theirs.get("nobs"))
            for impl, r in res.items():
                row[f"{impl}_nobs_used"] = r.get("nobs_used")
            if "coef" in ours and "coef" in theirs:
                dc = max(abs(ours["coef"][k] - theirs["coef"][k]) for k in ours["coef"])
                ds = max(abs(ours["se"][k] - theirs["se"][k]) for k in ours["se"])
                row.update(max_abs_coef_diff=dc, max_abs_se_diff=ds, coef_match_1e6=dc < 1e-6,
                           ratio_ours_over_pyfixest=ours["median_s"] / theirs["median_s"])
            rows.append(row)
            print(json.dumps(row), flush=True)
    outdir = paths.build_root() / "reports" / "benchmarks"  # `make bench` publishes, not scratch/
    if a.only and (outdir / "estimators.json").exists():
        old = json.loads((outdir / "estimators.json").read_text())["results"]
        new_keys = {(r["estimator"], r["dataset"]) for r in rows}
        rows = [r for r in old if (r["estimator"], r["dataset"]) not in new_keys] + rows
    df = pd.DataFrame(rows)
    cols = ["estimator", "dataset", "nobs", "autotariffs_s", "pyfixest_s",
            "ratio_ours_over_pyfixest", "autotariffs_rss_mib", "pyfixest_rss_mib",
            "max_abs_coef_diff"]
    print(df.reindex(columns=cols).to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    import platform

    write_json({"machine": {"python": platform.python_version(), "cpus": __import__(
        "os").cpu_count()}, "demean_tol": TOL,
        "note": "2-core machine shared with other jobs: wall times are noisy (single runs at "
                ">= 1M rows); compare ratios measured on the same date",
        "results": rows}, outdir / "estimators.json")
    _figure(df, outdir)


def _figure(df: pd.DataFrame, outdir) -> None:
    import matplotlib.pyplot as plt

    from autotariffs.figures import add_source_note, save, set_style

    set_style()
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.4), sharey=False)
    sim = df.loc[df["dataset"].str.isdigit()].assign(nobs=lambda t: t["nobs"].astype(float))
    for ax, est in zip(axes, ["feols", "fepois"], strict=True):
        s = sim.loc[sim["estimator"] == est]
        for impl, mk, ls in (("autotariffs", "o", "-"), ("pyfixest", "s", "--")):
            ok = s[f"{impl}_s"].notna()
            ax.plot(s.loc[ok, "nobs"], s.loc[ok, f"{impl}_s"], marker=mk, linestyle=ls,
                    label=impl)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("rows (simulated HS10 x origin x month)")
        ax.set_ylabel("median wall time per fit (s)")
        ax.set_title(est)
        ax.legend()
    add_source_note(fig, "Simulated panels, 2 high-dimensional FE, cluster-robust SEs; "
                         "scripts/bench_estimators.py")
    save(fig, "estimator_scaling", outdir, pdf=True)


if __name__ == "__main__":
    main()
