"""FRED CSV downloads (daily FX, monthly CPI / import price indexes / PPI) and monthly FX.

Missing observations appear as '.', blank (FRED) or 'NA' (some mirrors); all read as NaN. Any
other non-numeric cell is an error. Header spellings differ between mirrors
('observation_date', 'DATE', 'Date', lower-cased 'date,dexuseu'); the series id is the second
column name, upper-cased.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from autotariffs.data.schemas import fred_contract
from autotariffs.data.sources import apply_contract, parse_csv
from autotariffs.errors import DataContractError, SourceFormatError

_DATE_COLS = ("observation_date", "date")

#: FX series: currency, quote ('lcu' = local currency per USD, 'usd' = USD per unit), ISO-3s.
EURO_AREA = (
    "AUT", "BEL", "HRV", "CYP", "EST", "FIN", "FRA", "DEU", "GRC", "IRL", "ITA", "LVA", "LTU",
    "LUX", "MLT", "NLD", "PRT", "SVK", "SVN", "ESP",
)  # fmt: skip
FX_SERIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "DEXKOUS": ("KRW", "lcu", ("KOR",)),
    "DEXJPUS": ("JPY", "lcu", ("JPN",)),
    "DEXMXUS": ("MXN", "lcu", ("MEX",)),
    "DEXCAUS": ("CAD", "lcu", ("CAN",)),
    "DEXUSEU": ("EUR", "usd", EURO_AREA),
    "DEXUSUK": ("GBP", "usd", ("GBR",)),
}
FX_AGREE_TOL = 1e-9


def read_fred(path: Path) -> pd.DataFrame:
    """FRED CSV -> DataFrame[date (datetime64), series_id (str), value (float, NaN = missing)]."""
    path = Path(path)
    raw = parse_csv(path, 2)
    if len(raw.columns) != 2 or raw.columns[0].lower() not in _DATE_COLS:
        raise SourceFormatError(
            path.name, "two columns: a date column (observation_date/DATE) and one series",
            f"header is {list(raw.columns)}",
        )
    date_col, sid = raw.columns
    df = apply_contract(raw, fred_contract(date_col, sid), path.name)
    return pd.DataFrame({"date": df[date_col], "series_id": sid.upper(), "value": df[sid]})


def _combine(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack daily frames; where copies overlap the values must agree (then counted once)."""
    d = pd.concat([f.dropna(subset=["value"]) for f in frames], ignore_index=True)
    g = d.groupby(["series_id", "date"])["value"]
    spread = g.max() - g.min()
    bad = spread[spread > FX_AGREE_TOL]
    if len(bad):
        (sid, date) = bad.index[0]
        raise DataContractError(
            "fred_DEX* daily copies", "value",
            f"overlapping copies of {sid} must agree within {FX_AGREE_TOL}",
            values=[f"{s} {d_.date()}: spread {v:.6g}" for (s, d_), v in bad.items()],
        )
    return d.drop_duplicates(["series_id", "date"]).sort_values(["series_id", "date"])


def monthly_fx(daily_frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Monthly average exchange rates in local currency per USD.

    Each daily USD-per-unit quote (EUR, GBP) is inverted *before* averaging, so every
    currency is the mean of available daily LCU-per-USD rates in the month (the same
    construction as FRED's monthly EX* series for LCU-quoted currencies). Returns
    DataFrame[month, currency, series_id, iso3 (';'-joined), lcu_per_usd, n_days], sorted.
    """
    d = _combine(list(daily_frames))
    unknown = sorted(set(d["series_id"]) - set(FX_SERIES))
    if unknown:
        raise DataContractError("fred_DEX* daily copies", "series_id",
                                f"FX series must be one of {sorted(FX_SERIES)}", values=unknown)
    nonpos = d["value"] <= 0
    if nonpos.any():
        raise DataContractError("fred_DEX* daily copies", "value", "FX rates must be > 0",
                                values=list(d.loc[nonpos, "value"]))
    quote = d["series_id"].map(lambda s: FX_SERIES[s][1])
    d = d.assign(lcu=np.where(quote == "usd", 1.0 / d["value"], d["value"]),
                 month=d["date"].dt.to_period("M").dt.to_timestamp())
    m = (d.groupby(["series_id", "month"])["lcu"].agg(lcu_per_usd="mean", n_days="count")
         .reset_index())  # fmt: skip
    m["currency"] = m["series_id"].map(lambda s: FX_SERIES[s][0])
    m["iso3"] = m["series_id"].map(lambda s: ";".join(FX_SERIES[s][2]))
    m["n_days"] = m["n_days"].astype(np.int64)
    m["month"] = m["month"].astype("datetime64[ns]")
    cols = ["month", "currency", "series_id", "iso3", "lcu_per_usd", "n_days"]
    return m[cols].sort_values(["currency", "month"]).reset_index(drop=True)


def monthly_macro(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Stack monthly FRED series -> DataFrame[month, series_id, value], missing rows dropped."""
    d = pd.concat(list(frames), ignore_index=True).dropna(subset=["value"])
    notstart = ~d["date"].dt.is_month_start
    if notstart.any():
        raise DataContractError("fred_* monthly", "date", "monthly dates must be month starts",
                                values=list(d.loc[notstart, "date"].astype(str)))
    d = d.rename(columns={"date": "month"})[["month", "series_id", "value"]]
    dup = d.duplicated(["series_id", "month"], keep=False)
    if dup.any():
        raise DataContractError("fred_* monthly", "series_id,month", "must be unique",
                                values=list(d.loc[dup, "series_id"].unique()))
    d["month"] = d["month"].astype("datetime64[ns]")
    return d.sort_values(["series_id", "month"]).reset_index(drop=True)
