"""SIMULATED panels and gaps with one treated unit (tests and benchmarks only).

Three designs, kept apart on purpose:

* :func:`draws` -- the referee's one-treated-origin design (issue 13): one treated unit and two
  controls with identical treatment paths, AR(1) errors, a common random-walk month effect,
  48 pre and 4 post months. Used at reduced size by ``tests/models/test_one_treated.py`` and at
  full size by ``scripts/bench_one_treated.py``; :func:`twfe_crv1` is the CRV1 t-test both
  compare conformal inference and in-time placebos with.
* :func:`destination_panels` -- Korea's exports by destination (issue 14): one treated
  destination and four others, iid errors, a first shock and then an opposite-signed one
  (a deal), so the cut can be estimated on the window after the first shock
  (``tests/models/test_deals.py``).
* :func:`drift_gaps` -- gaps (treated minus mean of controls) shaped like the real log-vehicles
  gap: a linear drift, a month-of-year pattern and AR(1) errors on calendar months, returned on
  the months a real gap has (:data:`KOR_LIKE_MONTHS`: 2021-01..2025-07 without 2022, whose
  quantities the panel drops). Written here from the formulas, not with
  ``autotariffs.models.calibration.GapDGP``, so the tests of the designs and of the calibration
  do not generate their data with the code they test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from autotariffs.models import inference as inf

# the one-treated-origin design: pre and post months, AR(1) coefficient, innovation sd
T0, T1, RHO, SIGMA = 48, 4, 0.5, 0.1


def draws(n: int, seed: int, effect: float) -> np.ndarray:
    """n SIMULATED panels, shape (n, 3 units, T0 + T1 months); unit 0 is treated.

    y_gt = a_g + m_t + e_gt: a_g ~ N(0, 1), m_t a Gaussian random walk (sd 0.05) common to all
    units, e_gt AR(1) with rho = RHO, innovations N(0, SIGMA), stationary start; the treated
    unit gets ``effect`` in the T1 post months.
    """
    rng = np.random.default_rng(seed)
    t = T0 + T1
    sh = rng.normal(0, SIGMA, (n, 3, t))
    e = np.empty_like(sh)
    e[..., 0] = sh[..., 0] / math.sqrt(1 - RHO**2)
    for k in range(1, t):
        e[..., k] = RHO * e[..., k - 1] + sh[..., k]
    y = rng.normal(0, 1, (n, 3, 1)) + np.cumsum(rng.normal(0, 0.05, (n, 1, t)), axis=2) + e
    y[:, 0, T0:] += effect
    return y


def twfe_crv1(y: np.ndarray, t0: int = T0) -> tuple[np.ndarray, np.ndarray]:
    """TWFE (unit + month FE) coefficient of treated x post and its CRV1 SE, one per draw.

    ``y`` has shape (n draws, G units, T months), unit 0 treated from month ``t0``; the
    t-statistic b / se is compared with t(G - 1).
    """
    n, g, t = y.shape
    grp = np.repeat(np.arange(g), t)
    tt = np.tile(np.arange(t), g)
    z = np.column_stack([(grp[:, None] == np.arange(g)), (tt[:, None] == np.arange(1, t))])
    x = ((grp == 0) & (tt >= t0)).astype(float)
    q = inf.basis(z.astype(float))
    xt = x - q @ (q.T @ x)
    yy = y.reshape(n, g * t).T
    return inf.crv1(yy - q @ (q.T @ yy), xt[:, None], grp, q.shape[1] + 1)


# the real gap's shape: baseline 2021-01..2025-02 without 2022, donut 2025-03, post 2025-04..07
KOR_LIKE_MONTHS = pd.PeriodIndex(
    [p for p in pd.period_range("2021-01", "2025-07", freq="M") if p.year != 2022], freq="M")


def drift_gaps(n: int, months: pd.PeriodIndex = KOR_LIKE_MONTHS, *, slope_per_year: float = 0.0,
               seasonal: np.ndarray | None = None, ar1: float = 0.5, sigma: float = 0.05,
               effect: float = 0.0, event: str = "2025-04", level: float = 0.0,
               seed: int = 0) -> np.ndarray:
    """n SIMULATED gaps, shape (n, len(months)).

    g_t = level + slope_per_year * (years since months[0]) + seasonal[month of year] + e_t
    + effect * 1[t >= event], with e AR(1) (coefficient ``ar1``, innovations N(0, sigma^2),
    stationary start) run over EVERY calendar month from months[0] to months[-1] and then
    read on ``months`` only (so a gap in the months, e.g. 2022, is a gap in the data, not in
    the error process).
    """
    full = pd.period_range(months[0], months[-1], freq="M")
    rng = np.random.default_rng(seed)
    u = rng.normal(0.0, sigma, (n, len(full)))
    e = np.empty_like(u)
    e[:, 0] = u[:, 0] / math.sqrt(1 - ar1**2)
    for k in range(1, len(full)):
        e[:, k] = ar1 * e[:, k - 1] + u[:, k]
    years = (full.asi8 - full[0].ordinal) / 12.0
    s = np.zeros(12) if seasonal is None else np.asarray(seasonal, float)
    mean = level + slope_per_year * years + s[np.asarray(full.month) - 1]
    mean = mean + effect * (full >= pd.Period(event, freq="M"))
    keep = np.isin(full.asi8, months.asi8)
    return (mean[None, :] + e)[:, keep]


# the deal design: months, first shock, second (opposite-signed) shock, first effect
T_SIM, SHOCK1, SHOCK2 = 42, 1, 21  # month indices; the window starts after the first shock's month
BETA1 = -0.30


def destination_panels(n_draws: int, beta2: float, sigma: float = 0.10, seed: int = 14):
    """All draws at once: y[d, t, u] = a_u + l_t + 0.1 sin(2 pi t / 12) x h_u + US effects + e.

    Destination levels a_u, common month effects l_t (random walk), destination-specific
    seasonal amplitude h_u (controlled by the month FE only on average) is kept at 0 so the DGP
    satisfies parallel trends; e iid N(0, sigma^2). US: beta1 from SHOCK1, beta1 + beta2 from
    SHOCK2. Returns an array (n_draws, T_SIM, 5) and the month index.
    """
    rng = np.random.default_rng(seed)
    a = rng.normal(20, 1, size=(n_draws, 1, 5))
    lam = np.cumsum(rng.normal(0, 0.05, size=(n_draws, T_SIM, 1)), axis=1)
    y = a + lam + rng.normal(0, sigma, size=(n_draws, T_SIM, 5))
    t = np.arange(T_SIM)
    y[:, :, 0] += BETA1 * (t >= SHOCK1) + beta2 * (t >= SHOCK2)
    months = pd.date_range("2023-01-01", periods=T_SIM, freq="MS")
    return y, months
