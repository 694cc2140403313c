"""Bias, RMSE, size and power of the one-treated-unit designs on SIMULATED gaps.

Block 1, ``calibrated`` (issue 20): for each treated origin (``design.TREATED``) and each outcome
(``reduced_form.OUTCOMES``), the origin-minus-controls gap on the estimates notebook's window
(``notebooks/params/04_estimates_<ORIGIN>.yaml``), built from the last build's
``data/processed`` (run ``make`` first), goes through
:func:`autotariffs.models.calibration.simulate`: gaps drawn with the baseline's fitted trend,
month-of-year pattern and AR(1) residuals on the real months (2022 quantities missing), the real
donut and post length, a true effect of 0, -0.1, -0.2 or -0.3 in the post months; every design
(level, year on year, trend-adjusted) x inference method (conformal, in-time placebo rank) x DGP
("calibrated", and "no drift": the same without the trend). The rule fixed in the code
(``calibration.RULE``) chooses the design per origin x outcome; the chosen design of each
origin's headline outcome (``design.HEADLINE_OUTCOME``) is the headline the build reports
(tests/project/test_benchmark_headline.py checks that they agree).

Block 2, ``uncalibrated`` ("uncalibrated: AR(1), no drift"; issue 13's referee design, kept for
contrast): one treated unit and two controls with identical treatment paths, AR(1) errors
(rho = 0.5), 48 pre and 4 post months, no drift (``draws`` in tests/support/one_treated.py, the
tests' DGP): the CRV1 t-test against each design's conformal test and in-time placebos.

A 5% test rejects when p <= 0.05; attainable sizes are discrete (conformal: floor(0.05 T)/T for
T residual months; placebo rank: floor(0.05 (n + 1))/(n + 1)).

Usage: ``.venv/bin/python scripts/bench_one_treated.py [--draws 2000]
[--draws-uncalibrated 5000] [--seed 20250403]`` -> prints the tables and writes
reports/benchmarks/one_treated_calibrated.json.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from autotariffs import design as study
from autotariffs import paths
from autotariffs.design import Window
from autotariffs.models import calibration
from autotariffs.models import one_treated as ot
from autotariffs.models.reduced_form import OUTCOMES, gap_of
from autotariffs.panel.build import build_panel

# the uncalibrated simulation is the tests' (tests/support/one_treated.py): one DGP for both
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.one_treated import RHO, SIGMA, T0, T1, draws, twfe_crv1  # noqa: E402

ALPHA = study.ALPHA
OUT = paths.ROOT / "reports" / "benchmarks" / "one_treated_calibrated.json"
UNCALIBRATED = "uncalibrated: AR(1), no drift"


def _panel(params: dict) -> pd.DataFrame:
    proc = paths.build_root() / "data" / "processed"
    files = {k: proc / f"{k}.parquet" for k in ("flows", "tariffs_monthly", "fx_monthly")}
    missing = [str(f) for f in files.values() if not f.exists()]
    if missing:
        sys.exit(f"missing {missing}: run `make` first")
    f = {k: pd.read_parquet(v) for k, v in files.items()}
    return build_panel(f["flows"], f["tariffs_monthly"], f["fx_monthly"], start=params["start"],
                       end=params["end"], source=params["source"])


def _summary(cal: calibration.Calibration) -> list[dict]:
    """One entry per DGP x design x method: bias and RMSE under no effect, size, power."""
    out = []
    keys = sorted({(r.dgp, r.design, r.method) for r in cal.rows},
                  key=lambda k: (k[0] != "calibrated", [d.key for d in ot.DESIGNS].index(k[1]),
                                 k[2]))
    for dgp, d, m in keys:
        r0 = cal.row(dgp, d, m, 0.0)
        out.append({
            "dgp": dgp, "design": d, "method": m, "bias": r0.bias, "rmse": r0.rmse,
            "size": r0.reject, "min_p": r0.min_p,
            "mc_se_size": math.sqrt(r0.reject * (1 - r0.reject) / r0.n_draws),
            "power": {f"{e:+.1f}": cal.row(dgp, d, m, e).reject
                      for e in study.SIM_EFFECTS if e != 0.0},
        })  # fmt: skip
    return out


def calibrated_block(n_draws: int, seed: int) -> dict:
    out: dict = {}
    for origin in study.TREATED:
        with open(paths.PARAMS / f"04_estimates_{origin}.yaml", encoding="utf-8") as f:
            params = yaml.safe_load(f)
        window = Window.from_params(params)
        panel = _panel(params)
        res: dict = {"controls": list(params["controls"]), "window": window.to_dict(),
                     "outcomes": {}}
        for y in OUTCOMES:
            t0 = time.perf_counter()
            gap = gap_of(panel, y, origin, params["controls"], window)
            cal = calibration.simulate(gap, window, y, n_draws=n_draws, seed=seed)
            res["outcomes"][y] = {"chosen": cal.chosen, "dgp": cal.dgp.to_dict(),
                                  "table": _summary(cal),
                                  "seconds": time.perf_counter() - t0}
        res["chosen"] = {y: r["chosen"] for y, r in res["outcomes"].items()}
        out[origin] = res
    return out


def _rate(p: np.ndarray) -> dict:
    r = float(np.mean(p <= ALPHA))
    return {"rate": r, "mc_se": math.sqrt(r * (1 - r) / len(p)), "n_draws": int(len(p))}


def uncalibrated_block(n_draws: int, seed: int) -> dict:
    months = pd.period_range("2021-01", periods=T0 + T1, freq="M")
    window = Window(str(months[T0]), str(months[0]), 0, str(months[-1]))
    pre, post = window.masks(months)
    template = ot.Gap(np.zeros(T0 + T1), months)
    designs = {"level_flat": ot.Level(seasonal=False), "level": ot.Level(),
               "yoy": ot.YearOnYear(), "trend": ot.TrendAdjusted()}
    res: dict = {}
    for label, eff, s in (("size", 0.0, seed), ("power_minus_0.3", -0.3, seed + 1)):
        y = draws(n_draws, s, eff)
        gaps = y[:, 0] - y[:, 1:].mean(axis=1)
        b, se = twfe_crv1(y, T0)
        out = {"crv1": _rate(2 * stats.t.sf(np.abs(b / se), y.shape[1] - 1))}
        for name, d in designs.items():
            prob = ot.conformal_problem(template, d, window)
            est = gaps @ d.weights(months, pre, post)
            out[f"conformal_{name}"] = _rate(prob.p(gaps[:, pre | post])) | {
                "bias": float(est.mean() - eff), "rmse": float(np.sqrt(((est - eff) ** 2).mean())),
                "n_perm": prob.n_perm}
            for mp, dd in ((12, d), (6, ot.Level(seasonal=False, min_pre=1)))[
                    : 2 if name == "level_flat" else 1]:
                pw = ot.placebo_weights(months, dd, window, min_pre=mp)
                plc = gaps[:, pre] @ pw.w.T
                hits = (np.abs(plc) >= np.abs(est)[:, None] - 1e-12).sum(axis=1)
                out[f"placebo_{name}_min_pre_{mp}"] = _rate((1 + hits) / (1 + plc.shape[1])) | {
                    "n_placebos": int(plc.shape[1])}
        res[label] = out
    return {"label": UNCALIBRATED,
            "design": {"n_treated": 1, "n_controls": 2, "pre_months": T0, "post_months": T1,
                       "ar1_rho": RHO, "innovation_sd": SIGMA, "drift": 0.0,
                       "effect_power": -0.3, "seed_size": seed, "seed_power": seed + 1,
                       "dgp": "tests/support/one_treated.py draws()"},
            "results": res}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=2000)
    ap.add_argument("--draws-uncalibrated", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=study.SEED)
    args = ap.parse_args()
    if args.draws < 1000:
        sys.exit("--draws: the calibrated benchmark uses at least 1,000 draws")
    t_start = time.perf_counter()
    cal = calibrated_block(args.draws, args.seed)
    t_cal = time.perf_counter() - t_start
    unc = uncalibrated_block(args.draws_uncalibrated, args.seed)
    report = {
        "data": "SIMULATED gaps (calibrated to the shipped data's baseline gaps; and the "
                "uncalibrated AR(1) design)",
        "rule": calibration.RULE, "alpha": ALPHA, "size_limit": study.SIZE_LIMIT,
        "effects": list(study.SIM_EFFECTS), "draws": args.draws, "seed": args.seed,
        "headline_outcome": study.HEADLINE_OUTCOME,
        "chosen": {o: r["chosen"] for o, r in cal.items()},
        "headline": {o: {"outcome": study.HEADLINE_OUTCOME,
                         "design": r["chosen"][study.HEADLINE_OUTCOME]} for o, r in cal.items()},
        "calibrated": cal,
        "uncalibrated": unc,
        "seconds": {"calibrated": t_cal, "uncalibrated": time.perf_counter() - t_start - t_cal,
                    "total": time.perf_counter() - t_start},
        "script": "scripts/bench_one_treated.py",
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for o, r in cal.items():
        for y, v in r["outcomes"].items():
            print(f"\n{o} {y}: chosen {v['chosen']} (slope {v['dgp']['slope_per_year']:+.3f}/yr)")
            print(f"  {'dgp':10s} {'design':6s} {'method':9s} {'bias':>7s} {'rmse':>6s} "
                  f"{'size':>6s}  power -0.1/-0.2/-0.3")
            for t in v["table"]:
                pw = "/".join(f"{x:.3f}" for x in t["power"].values())
                print(f"  {t['dgp']:10s} {t['design']:6s} {t['method']:9s} {t['bias']:+7.3f} "
                      f"{t['rmse']:6.3f} {t['size']:6.3f}  {pw}")
    print(f"\n{UNCALIBRATED} ({args.draws_uncalibrated} draws)")
    for k in unc["results"]["size"]:
        s, p = unc["results"]["size"][k], unc["results"]["power_minus_0.3"][k]
        print(f"  {k:32s} size {s['rate']:.4f}  power(-0.3) {p['rate']:.4f}")
    print(f"wrote {OUT} in {report['seconds']['total']:.1f} s")


if __name__ == "__main__":
    main()
