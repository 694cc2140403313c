"""Who paid, seen from the exporter: the origin's own export unit values to the US, year on year.

If exporters absorbed the duty, their dollar prices to the US fall when it starts. The origin's
own export statistics (for Japan: Japan-reported exports of HS 8703 to the US, FOB, UN Comtrade,
to 2025-09) give value and units, hence a unit value before any US duty and before US freight.
Each month's 12-month log change of that unit value, in USD and in the origin's currency, is
compared with the same statistic in the baseline months by conformal inference (the
year-on-year design of :mod:`.one_treated` on the unit-value series itself: under no change,
a post month's 12-month change looks like a baseline month's). A unit value mixes price and
model mix; the Bank of Japan's export price index (a matched-model price) is the outside check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from autotariffs.design import Window
from autotariffs.models import one_treated as ot


@dataclass(frozen=True)
class YoY:
    """12-month log change of the unit value over ``months`` (one month or an average), in USD
    and in the exporter's ``currency`` (keys ``uv_usd_yoy``, ``uv_<currency>_yoy``)."""

    months: tuple[str, str]
    uv_usd_yoy: float
    uv_lcu_yoy: float
    currency: str
    test: ot.ConformalTest

    def to_dict(self) -> dict:
        c = self.currency.lower()
        return {"months": list(self.months), "currency": self.currency,
                "uv_usd_yoy": self.uv_usd_yoy, f"uv_{c}_yoy": self.uv_lcu_yoy,
                "uv_usd_yoy_pct": float(100 * np.expm1(self.uv_usd_yoy)),
                f"uv_{c}_yoy_pct": float(100 * np.expm1(self.uv_lcu_yoy)),
                "p": self.test.p, "n_perm": self.test.n_perm, "min_p": self.test.min_p,
                "ci95_low": ot.json_float(self.test.ci95_low),
                "ci95_high": ot.json_float(self.test.ci95_high)}


@dataclass(frozen=True)
class ExportPrices:
    """Exporter unit values around the tariff: each post month and the post-period average."""

    origin: str
    source: str
    window: Window
    by_month: tuple[YoY, ...]
    average: YoY

    @property
    def average_key(self) -> str:
        """The average's key: first and last month abbreviated, e.g. 'apr_sep'."""
        lo, hi = (pd.Period(m, freq="M").strftime("%b").lower() for m in self.average.months)
        return f"{lo}_{hi}"

    def table(self) -> pd.DataFrame:
        """One row per post month and one for the average (numbers only)."""
        c = self.average.currency
        rows = []
        for m in (*self.by_month, self.average):
            lo, hi = m.months
            rows.append({"months": lo if lo == hi else f"{lo} to {hi}",
                         "unit value, USD (log change)": m.uv_usd_yoy,
                         f"unit value, {c} (log change)": m.uv_lcu_yoy,
                         "p (conformal)": m.test.p, "smallest attainable p": m.test.min_p,
                         "95% interval, low": ot.json_float(m.test.ci95_low),
                         "95% interval, high": ot.json_float(m.test.ci95_high)})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        out = {m.months[0].replace("-", "_"): m.to_dict() for m in self.by_month}
        out[self.average_key] = {**self.average.to_dict(), "average": True}
        out["average_key"] = self.average_key
        out.update({"source": self.source, "window": self.window.to_dict(),
                    "method": "12-month log change of the FOB unit value; conformal inference "
                              "with the same-month-a-year-before counterfactual on the unit-"
                              "value series (CWZ 2021), moving-block permutations"})
        return out


def _series(s: pd.DataFrame, col: str) -> ot.Gap:
    per = pd.DatetimeIndex(s["month"]).to_period("M")
    v = np.log(s[col].astype(float).to_numpy())
    ok = np.isfinite(v)
    return ot.Gap(v[ok], per[ok], int((~ok).sum()), f"ln {col}")


def export_prices(series: pd.DataFrame, origin: str, window: Window) -> ExportPrices:
    """Unit-value changes of ``series`` (:func:`autotariffs.panel.build.exporter_series`) over
    ``window``'s post months, each month and on average, with conformal p-values."""
    usd, lcu = _series(series, "uv_usd"), _series(series, "uv_lcu")
    yoy = ot.YearOnYear()
    currency = str(series["currency"].iloc[0])

    def one(w: Window) -> YoY:
        e_usd, e_lcu = ot.estimate(usd, yoy, w), ot.estimate(lcu, yoy, w)
        test = ot.conformal(usd, yoy, w, allow_coarse=True)
        return YoY(e_usd.post_months, e_usd.coef, e_lcu.coef, currency, test)

    months = pd.period_range(window.event, window.post_end, freq="M")
    by_month = tuple(one(Window(str(m), window.baseline_start, window.donut + k, str(m)))
                     for k, m in enumerate(months))
    return ExportPrices(origin, str(series["source"].iloc[0]), window, by_month, one(window))
