"""US statutory and effective duty rates on autos (HS 8703 cars, 8704 light trucks, 8708 parts).

The statutory schedule comes from the hand-curated event table
``data/raw/tariffs/us_auto_tariff_events.csv`` (documented in ``SOURCES.md`` next to it): one row
per legal regime with an all-in ad valorem rate, a legal effective date (retroactive instruments
use the retroactive date) and a ``status`` saying how well the row is supported. This module

* loads the table under a raw-input contract (:func:`load_events`),
* checks that it is a proper schedule (:func:`validate_events`): per origin x product exactly one
  regime per day, rates in [0, 100], every source key documented,
* expands it to a daily and a day-weighted monthly schedule (:func:`daily_schedule`,
  :func:`monthly_schedule`), making the two modelling assumptions explicit parameters
  (USMCA non-US content share; UK in-quota share),
* computes effective rates from duties actually collected (:func:`effective_rates`) and lines
  them up with the statutory rate (:func:`compare_effective_statutory`).

Every error names the event ids (or rows) involved so the table can be fixed by hand.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from autotariffs import design, paths
from autotariffs.atomic import write_parquet
from autotariffs.errors import DataContractError
from autotariffs.outputs import Text


class TariffTableError(DataContractError, ValueError):
    """The tariff event table (or a frame derived from it) breaks a documented rule.

    ``event_ids`` lists the offending rows of the event table so they can be fixed by hand.
    """

    def __init__(self, message: str, event_ids: Iterable[str] = (), file: str | None = None):
        self.event_ids = sorted(set(event_ids))
        self.file = "" if file is None else str(file)
        self.column = None
        self.rule = message
        self.rows: list[int] = []
        self.values: list[object] = []
        Exception.__init__(self, message)


EVENTS_PATH = paths.RAW / "tariffs" / "us_auto_tariff_events.csv"
SOURCES_PATH = paths.RAW / "tariffs" / "SOURCES.md"

AUTO_PRODUCTS: tuple[str, ...] = ("8703", "8704", "8708")
STATUSES: tuple[str, ...] = ("confirmed", "partly_confirmed", "derived", "scheduled")
EVENT_COLUMNS: tuple[str, ...] = (
    "event_id", "origin", "origin_iso", "hs_scope", "product", "effective_date", "end_date",
    "total_rate_pct", "additional_rate_pct", "base_rate_pct", "rate_basis", "authority",
    "legal_instrument", "fr_citation", "hts_heading", "announced_date", "status", "sources",
    "notes",
)  # fmt: skip

# ISO-2 (as used in the table) -> ISO-3 origins of the schedule. The EU rows give Germany's rate
# (the panel's EU origin) and also the EU-27 bloc ("EUN" in Comtrade, "EUU" in the flows table).
ISO2_TO_ISO3: dict[str, tuple[str, ...]] = {
    "KR": ("KOR",),
    "JP": ("JPN",),
    "EU": ("DEU", "EUN", "EUU"),
    "GB": ("GBR",),
    "MX": ("MEX",),
    "CA": ("CAN",),
    "TW": ("TWN",),
    "ROW": ("ROW",),
}
USMCA_ISO2 = ("MX", "CA")

# Gaps in the shipped table that are understood and bridged, keyed by (origin_iso, product).
# MX/CA parts: the USMCA row ends 2025-04-02 because the s232 *vehicle* duty started on 04-03,
# but the s232 *parts* duty only started 2025-05-03 (Proc. 10908); in between, USMCA-originating
# parts stayed duty-free under the USMCA rate. The bridge rows below carry that 0% explicitly,
# flagged ``derived`` (so ``include_derived=False`` turns those days into NaN).
KNOWN_GAPS: dict[tuple[str, str], tuple[str, str]] = {
    ("MX", "8708"): (design.TARIFF.date, "2025-05-02"),
    ("CA", "8708"): (design.TARIFF.date, "2025-05-02"),
}
BRIDGE_ROWS: tuple[dict[str, object], ...] = tuple(
    {
        "event_id": f"{iso}-01-USMCA+BRIDGE-8708",
        "origin_iso": iso,
        "product": "8708",
        "effective_date": pd.Timestamp(start),
        "end_date": pd.Timestamp(end),
        "total_rate_pct": 0.0,
        "status": "derived",
    }
    for (iso, _), (start, end) in sorted(KNOWN_GAPS.items())
)

# UK cars from 2025-06-30: two regimes on the same days (TRQ in-quota vs over-quota).
UK_QUOTA_PAIR = ("UK-30-CAR-INQ", "UK-30-CAR-OOQ")


# --------------------------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------------------------

_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_RATE_RE = r"^-?\d+(\.\d+)?$"

_RAW_SCHEMA = pa.DataFrameSchema(
    {
        "event_id": pa.Column(str, [pa.Check.str_matches(r"^[A-Z]+-\d{2}-[A-Z0-9+-]+$")],
                              unique=True),
        "origin_iso": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{2,3}$")),
        "hs_scope": pa.Column(str, pa.Check.str_length(min_value=1)),
        "effective_date": pa.Column(str, pa.Check.str_matches(_DATE_RE)),
        "end_date": pa.Column(str, pa.Check(lambda s: (s == "") | s.str.match(_DATE_RE))),
        "total_rate_pct": pa.Column(str, pa.Check(lambda s: (s == "") | s.str.match(_RATE_RE))),
        "status": pa.Column(str, pa.Check.isin(STATUSES)),
        "sources": pa.Column(str, pa.Check.str_matches(r"^[A-Z][A-Z0-9_]*(;[A-Z][A-Z0-9_]*)*$")),
    },
    strict=False,
)


def _contract_error(path: os.PathLike[str] | str, raw: pd.DataFrame, err: pa.errors.SchemaErrors):
    cases = err.failure_cases
    lines, ids = [], []
    for _, fc in cases.iterrows():
        idx = fc.get("index")
        eid = raw["event_id"].iloc[int(idx)] if idx is not None and pd.notna(idx) else "-"
        row = int(idx) + 2 if idx is not None and pd.notna(idx) else "-"
        if eid != "-":
            ids.append(str(eid))
        lines.append(
            f"  event {eid} (file line {row}): column {fc['column']!r} value "
            f"{fc['failure_case']!r} fails {fc['check']}"
        )
    return TariffTableError(
        f"{path}: the tariff event table breaks its contract (see SOURCES.md section 1):\n"
        + "\n".join(lines),
        event_ids=ids,
        file=str(path),
    )


def load_events(path: os.PathLike[str] | str = EVENTS_PATH) -> pd.DataFrame:
    """Read the event table under its raw-input contract and return typed columns.

    Contract: all 19 documented columns present; ``event_id`` unique; dates ``YYYY-MM-DD``
    (``end_date`` may be blank = still in force); ``total_rate_pct`` numeric or blank; ``status``
    in {confirmed, partly_confirmed, derived, scheduled}; ``sources`` a ``;``-list of keys.
    Returned dtypes: dates ``datetime64[ns]`` (NaT = open-ended), ``total_rate_pct`` float (NaN =
    blank), everything else ``str`` ("" = blank). Text cells such as ``additional_rate_pct``
    ("25 (35 from 2025-08-01)") are kept verbatim because they are annotations, not numbers.
    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in EVENT_COLUMNS if c not in raw.columns]
    if missing:
        raise TariffTableError(f"{path}: missing column(s) {missing}; expected {list(EVENT_COLUMNS)}")
    raw = raw[list(EVENT_COLUMNS)].apply(lambda s: s.str.strip())
    try:
        _RAW_SCHEMA.validate(raw, lazy=True)
    except pa.errors.SchemaErrors as err:
        raise _contract_error(path, raw, err) from None
    ev = raw.copy()
    for col in ("effective_date", "end_date"):
        ev[col] = pd.to_datetime(ev[col].replace("", None), format="%Y-%m-%d", errors="coerce")
        bad = raw[col].ne("") & ev[col].isna()
        if bad.any():  # e.g. 2025-02-30 matches the pattern but is no date
            raise TariffTableError(
                f"{path}: column {col!r} holds impossible dates for event(s) "
                f"{ev.loc[bad, 'event_id'].tolist()}: {raw.loc[bad, col].tolist()}",
                event_ids=ev.loc[bad, "event_id"],
                file=str(path),
            )
    ev["total_rate_pct"] = pd.to_numeric(ev["total_rate_pct"].replace("", None)).astype(float)
    return ev


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


def source_keys(sources_path: os.PathLike[str] | str = SOURCES_PATH) -> set[str]:
    """Keys of the ``| key | what | location |`` table in SOURCES.md."""
    text = Path(sources_path).read_text(encoding="utf-8").splitlines()
    keys: set[str] = set()
    in_table = False
    for line in text:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.lstrip().startswith("|") and cells and cells[0].lower() == "key":
            in_table = True
            continue
        if in_table:
            if not line.lstrip().startswith("|"):
                break
            if set(cells[0]) <= set("-: "):
                continue  # the |---| separator line
            keys.add(cells[0].strip("`"))
    if not keys:
        raise TariffTableError(f"{sources_path}: no '| key | ... |' table found")
    return keys


def _scope_products(scope: str) -> tuple[str, ...] | None:
    """'8703/8704' -> ('8703', '8704'); None if the scope is not purely auto products."""
    parts = tuple(p.strip() for p in scope.split("/"))
    return parts if all(p in AUTO_PRODUCTS for p in parts) else None


def schedule_rows(events: pd.DataFrame) -> pd.DataFrame:
    """The rows that make up the auto schedule, one row per (event, product).

    Excluded as *context* (they are not a complete schedule, have gaps or overlaps by nature,
    and their duty is either not applied to s232 autos or carried inside the schedule rows):
    origin ``ALL`` (offsets, MHD trucks, the no-stacking rule, SCOTUS, s122, scenarios), scopes
    that are not a ``/``-list of 8703/8704/8708 ("Ch.87 non-232", "economy-wide", ...), and rows
    whose ``rate_basis`` is ``no change`` (JP-00-USJTA records that an agreement left auto rates
    untouched; the MFN rows carry the rate).
    """
    keep = []
    for _, r in events.iterrows():
        prods = _scope_products(r["hs_scope"])
        if r["origin_iso"] == "ALL" or prods is None or r["rate_basis"].strip() == "no change":
            continue
        for p in prods:
            keep.append({**r.to_dict(), "product": p})
    cols = list(events.columns)
    return pd.DataFrame(keep, columns=cols).reset_index(drop=True)


def validate_events(
    events: pd.DataFrame,
    sources_path: os.PathLike[str] | str = SOURCES_PATH,
    known_gaps: dict[tuple[str, str], tuple[str, str]] | None = None,
) -> None:
    """Raise :class:`TariffTableError` (naming event ids) unless ``events`` is a proper schedule.

    Rules, per origin x product over the schedule rows (see :func:`schedule_rows`): intervals do
    not overlap and leave no gap between the first start and the last end (the UK in/over-quota
    pair counts as one regime; ``known_gaps``, default :data:`KNOWN_GAPS`, lists the documented
    gaps that are bridged in :func:`daily_schedule`); end >= start; rates in [0, 100]; a blank
    rate only on MX/CA s232 vehicle rows (content-share rule). For every row of the table: each
    ``sources`` key resolves in the key table of ``sources_path``.
    """
    known_gaps = KNOWN_GAPS if known_gaps is None else known_gaps
    problems: list[str] = []
    bad_ids: list[str] = []
    keys = source_keys(sources_path)
    for _, r in events.iterrows():
        unknown = [k for k in str(r["sources"]).split(";") if k.strip() and k.strip() not in keys]
        if unknown:
            bad_ids.append(r["event_id"])
            problems.append(f"{r['event_id']}: unknown source key(s) {unknown} (not in {sources_path})")

    sched = schedule_rows(events)
    for _, r in sched.drop_duplicates("event_id").iterrows():
        eid, rate = r["event_id"], r["total_rate_pct"]
        if pd.notna(r["end_date"]) and r["end_date"] < r["effective_date"]:
            bad_ids.append(eid)
            problems.append(f"{eid}: end_date {r['end_date']:%Y-%m-%d} before effective_date "
                            f"{r['effective_date']:%Y-%m-%d}")
        if pd.isna(rate):
            if not _is_usmca_content_row(r):
                bad_ids.append(eid)
                problems.append(f"{eid}: blank total_rate_pct outside the MX/CA s232 vehicle rows")
        elif not 0.0 <= rate <= 100.0:
            bad_ids.append(eid)
            problems.append(f"{eid}: total_rate_pct {rate} outside [0, 100]")

    for (iso, prod), g in sched.groupby(["origin_iso", "product"], sort=True):
        regimes = _regimes(g)
        for (ids_a, _, end_a), (ids_b, start_b, _) in zip(regimes, regimes[1:], strict=False):
            a, b = "+".join(ids_a), "+".join(ids_b)
            if pd.isna(end_a) or start_b <= end_a:
                bad_ids += [*ids_a, *ids_b]
                problems.append(f"{iso} {prod}: overlap between {a} (to "
                                f"{'open' if pd.isna(end_a) else f'{end_a:%Y-%m-%d}'}) and {b} "
                                f"(from {start_b:%Y-%m-%d})")
            elif start_b > end_a + pd.Timedelta(days=1):
                gap = (f"{end_a + pd.Timedelta(days=1):%Y-%m-%d}",
                       f"{start_b - pd.Timedelta(days=1):%Y-%m-%d}")
                if known_gaps.get((iso, prod)) != gap:
                    bad_ids += [*ids_a, *ids_b]
                    problems.append(f"{iso} {prod}: gap {gap[0]}..{gap[1]} between {a} and {b}")
    if problems:
        raise TariffTableError(
            "the tariff event table is not a valid schedule:\n  " + "\n  ".join(problems),
            event_ids=bad_ids,
        )


def _is_usmca_content_row(r: pd.Series) -> bool:
    return r["origin_iso"] in USMCA_ISO2 and str(r["authority"]).startswith("s232")


def _regimes(g: pd.DataFrame) -> list[tuple[tuple[str, ...], pd.Timestamp, pd.Timestamp]]:
    """Intervals of one origin x product sorted by start; the UK quota pair merged into one."""
    g = g.sort_values(["effective_date", "event_id"])
    pair = g[g["event_id"].isin(UK_QUOTA_PAIR)]
    merged = (
        len(pair) == 2
        and pair["effective_date"].nunique() == 1
        and pair["end_date"].astype(str).nunique() == 1
    )
    out = []
    for _, r in g.iterrows():
        if merged and r["event_id"] == UK_QUOTA_PAIR[1]:
            continue
        ids = UK_QUOTA_PAIR if merged and r["event_id"] == UK_QUOTA_PAIR[0] else (r["event_id"],)
        out.append((tuple(ids), r["effective_date"], r["end_date"]))
    return out


# --------------------------------------------------------------------------------------------
# daily and monthly schedules
# --------------------------------------------------------------------------------------------


def _row_rate(r: pd.Series, usmca_nonus_share: float) -> float:
    if pd.isna(r["total_rate_pct"]) and _is_usmca_content_row(r):
        base = float(r["base_rate_pct"]) if str(r["base_rate_pct"]).strip() else 0.0
        return base + float(r["additional_rate_pct"]) * usmca_nonus_share
    return float(r["total_rate_pct"])


def daily_schedule(
    events: pd.DataFrame,
    origins: Sequence[str] = ("KOR", "JPN", "DEU", "GBR", "MEX", "CAN", "ROW"),
    products: Sequence[str] = ("8703", "8704", "8708"),
    start: str = "2010-01-01",
    end: str = "2026-12-31",
    usmca_nonus_share: float = 0.5,
    uk_in_quota_share: float = 1.0,
    include_derived: bool = True,
    include_scheduled: bool = True,
) -> pd.DataFrame:
    """All-in statutory rate in force on each day, by origin (ISO-3) and product.

    Returns columns ``date, origin, product, rate_pct, event_id, status, is_derived,
    is_scheduled``, one row per day x origin x product, sorted by origin, product, date.

    Assumptions (both explicit parameters):

    * **USMCA vehicles (MEX, CAN, 8703/8704, from 2025-04-03).** The s232 25% falls only on the
      non-US content of USMCA-qualifying vehicles (9903.94.03), so the rate is
      base (0, USMCA-originating) + 25 x ``usmca_nonus_share``. The default 0.5 is an
      *assumption*, not a measured share: the Budget Lab tariff tracker (source key BL_PARAMS)
      uses a US content share of 0.40, i.e. a non-US share of 0.60; report results over
      0.3-0.7. Non-qualifying vehicles (27.5% / 50%) are ignored, so the rate
      understates the average if a material share of MX/CA cars does not qualify.
    * **UK cars from 2025-06-30.** In-quota 2.5 + 7.5 = 10%, over-quota 27.5% (100,000-vehicle
      TRQ; 65,205 prorated for 2025). rate = s x 10 + (1 - s) x 27.5 with
      s = ``uk_in_quota_share``; the default 1.0 is an *assumption* (all UK cars inside the
      quota); the quota's fill rate is not in the shipped data, so also report s in 0.7-1.0.

    Flags: ``is_derived`` / ``is_scheduled`` mark days whose regime rests on a ``derived`` /
    ``scheduled`` row (including the MX/CA 8708 bridge of :data:`KNOWN_GAPS`). With
    ``include_derived=False`` / ``include_scheduled=False`` those days keep their ``event_id``,
    ``status`` and flag but get ``rate_pct`` NaN - never filled from a neighbouring regime.
    Days that no row covers get ``status`` "uncovered" and NaN.
    """
    for name, v in (("usmca_nonus_share", usmca_nonus_share), ("uk_in_quota_share",
                                                               uk_in_quota_share)):
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"{name}={v}: must be a share in [0, 1]")
    bad_prod = [p for p in products if p not in AUTO_PRODUCTS]
    if bad_prod:
        raise ValueError(f"products {bad_prod} not in the auto scope {AUTO_PRODUCTS}")
    sched = schedule_rows(events)
    rows = []
    for _, r in sched.iterrows():
        rows.append({
            "event_id": r["event_id"], "origin_iso": r["origin_iso"], "product": r["product"],
            "effective_date": r["effective_date"], "end_date": r["end_date"],
            "rate_pct": _row_rate(r, usmca_nonus_share) if r["event_id"] not in UK_QUOTA_PAIR
            else float(r["total_rate_pct"]),
            "status": r["status"],
        })  # fmt: skip
    for b in BRIDGE_ROWS:
        rows.append({**b, "rate_pct": b["total_rate_pct"]})
    reg = pd.DataFrame(rows)
    reg = _combine_uk_quota(reg, uk_in_quota_share)

    dates = pd.date_range(start, end, freq="D")
    lo, hi = dates[0], dates[-1]
    frames = []
    for origin in origins:
        isos = [k for k, v in ISO2_TO_ISO3.items() if origin in v]
        for prod in products:
            n = len(dates)
            rate = np.full(n, np.nan)
            eid = np.full(n, None, dtype=object)
            status = np.full(n, "uncovered", dtype=object)
            sub = reg[reg["origin_iso"].isin(isos) & (reg["product"] == prod)]
            for _, r in sub.sort_values("effective_date").iterrows():
                s = max(r["effective_date"], lo)
                e = hi if pd.isna(r["end_date"]) else min(r["end_date"], hi)
                if s > e:
                    continue
                i0, i1 = (s - lo).days, (e - lo).days + 1
                keep = (include_derived or r["status"] != "derived") and (
                    include_scheduled or r["status"] != "scheduled"
                )
                rate[i0:i1] = r["rate_pct"] if keep else np.nan
                eid[i0:i1] = r["event_id"]
                status[i0:i1] = r["status"]
            frames.append(pd.DataFrame({
                "date": dates, "origin": origin, "product": prod, "rate_pct": rate,
                "event_id": eid, "status": status,
            }))  # fmt: skip
    out = pd.concat(frames, ignore_index=True)
    out["is_derived"] = out["status"].eq("derived")
    out["is_scheduled"] = out["status"].eq("scheduled")
    return out.sort_values(["origin", "product", "date"], kind="mergesort").reset_index(drop=True)


def _combine_uk_quota(reg: pd.DataFrame, share: float) -> pd.DataFrame:
    """Replace the UK in/over-quota pair by one regime at share x in + (1 - share) x over."""
    pair = reg[reg["event_id"].isin(UK_QUOTA_PAIR)]
    if pair.empty:
        return reg
    if len(pair) != 2:
        raise TariffTableError(f"UK quota pair {UK_QUOTA_PAIR}: expected 2 rows, got "
                               f"{pair['event_id'].tolist()}")
    inq = pair.set_index("event_id").loc[UK_QUOTA_PAIR[0]]
    ooq = pair.set_index("event_id").loc[UK_QUOTA_PAIR[1]]
    rank = {s: i for i, s in enumerate(STATUSES)}  # weakest support wins
    combined = {
        "event_id": "+".join(UK_QUOTA_PAIR), "origin_iso": inq["origin_iso"], "product": "8703",
        "effective_date": inq["effective_date"], "end_date": inq["end_date"],
        "rate_pct": share * inq["rate_pct"] + (1.0 - share) * ooq["rate_pct"],
        "status": max(inq["status"], ooq["status"], key=rank.__getitem__),
    }  # fmt: skip
    rest = reg[~reg["event_id"].isin(UK_QUOTA_PAIR)]
    return pd.concat([rest, pd.DataFrame([combined])], ignore_index=True)


def monthly_schedule(daily: pd.DataFrame) -> pd.DataFrame:
    """Day-weighted monthly average of the daily all-in rate.

    Returns ``month`` (datetime64, first day), ``origin, product, rate_pct, ln1p_tau`` (=
    ln(1 + rate/100), the regressor of a constant-elasticity import demand), ``share_days_derived,
    share_days_scheduled`` and ``event_ids`` (";"-joined, in date order). A month with any NaN day
    (dropped derived/scheduled or uncovered days) gets NaN: a partial average would silently mix
    regimes. Only complete months are expected (the daily range should start on a 1st and end
    on a month end); incomplete edge months are dropped.
    """
    d = daily.copy()
    d["month"] = d["date"].dt.to_period("M").dt.to_timestamp()
    g = d.groupby(["origin", "product", "month"], sort=True)
    out = g.agg(
        rate_pct=("rate_pct", lambda s: s.mean(skipna=False)),
        share_days_derived=("is_derived", "mean"),
        share_days_scheduled=("is_scheduled", "mean"),
        n_days=("date", "size"),
        event_ids=("event_id", lambda s: ";".join(dict.fromkeys(x for x in s if x is not None))),
    ).reset_index()
    full = out["n_days"] == out["month"].dt.days_in_month
    out = out[full].drop(columns="n_days")
    out["ln1p_tau"] = np.log1p(out["rate_pct"] / 100.0)
    cols = ["month", "origin", "product", "rate_pct", "ln1p_tau", "share_days_derived",
            "share_days_scheduled", "event_ids"]
    return out[cols].sort_values(["origin", "product", "month"]).reset_index(drop=True)


def write_monthly(
    monthly: pd.DataFrame, path: os.PathLike[str] | str = paths.PROCESSED / "tariffs_monthly.parquet"
) -> Path:
    """Write the monthly schedule sorted by origin, product, month (byte-stable parquet)."""
    out = monthly.sort_values(["origin", "product", "month"], kind="mergesort")
    return write_parquet(out.reset_index(drop=True), path)


# --------------------------------------------------------------------------------------------
# effective rates from duties collected
# --------------------------------------------------------------------------------------------

EFFECTIVE_SOURCES: tuple[str, ...] = ("census_hs2_m", "dataweb_hs2_2024_2025")
_FLOW_COLS = ("partner", "hs_code", "freq", "month", "n_months", "value_usd", "duties_usd",
              "dutiable_value_usd", "source")


def effective_rates(
    flows: pd.DataFrame, sources: Iterable[str] = EFFECTIVE_SOURCES, hs_code: str = "87"
) -> pd.DataFrame:
    """Duties actually collected as a percent of import value, by partner and period.

    Uses the canonical flows rows of ``sources`` for ``hs_code`` (chapter 87): Census monthly
    ``CAL_DUT_MO / CON_VAL_MO`` 2013-2021 ('census_hs2_m') and DataWeb calculated duties for
    2024 and Jan-Aug 2025 ('dataweb_hs2_2024_2025': freq 'A' for 2024, 'P' with 8 months for 2025).
    ``effective_rate_pct`` = 100 x duties / ``value_usd`` (all imports, dutiable or not: the rate
    an average dollar of imports paid, comparable across sources and over time).
    ``rate_on_dutiable_pct`` = 100 x duties / dutiable value (only where the source gives it;
    it excludes duty-free FTA entries, so it is not an average rate). Rows sharing a key (e.g.
    split by ``programme``) are summed. Zero value -> NaN, never inf.

    Returns ``period, freq, partner, hs_code, n_months, duties_usd, value_usd, dutiable_value_usd,
    value_basis, effective_rate_pct, rate_on_dutiable_pct, source`` sorted by source, partner,
    period. ``value_basis`` matters: a CIF denominator (DataWeb) gives a rate ~1-3% (relative)
    lower than a customs-value one (Census), since duties are assessed on customs value.
    """
    missing = [c for c in _FLOW_COLS if c not in flows.columns]
    if missing:
        raise TariffTableError(f"flows frame lacks column(s) {missing}; expected the canonical "
                               f"flows columns {list(_FLOW_COLS)}")
    sources = tuple(sources)
    f = flows[flows["source"].isin(sources) & (flows["hs_code"].astype(str) == hs_code)]
    if f.empty:
        raise TariffTableError(f"flows frame has no rows with source in {list(sources)} and "
                               f"hs_code == {hs_code!r}")
    for col in ("flow", "reporter"):
        if col in f.columns and f[col].nunique(dropna=False) > 1:
            raise TariffTableError(
                f"flows rows for {list(sources)} mix several {col} values "
                f"{sorted(f[col].astype(str).unique())}; pass US imports only"
            )
    f = f.assign(value_basis=f["value_basis"] if "value_basis" in f.columns else "")
    keys = ["source", "freq", "month", "n_months", "partner", "hs_code", "value_basis"]
    agg = (
        f.groupby(keys, sort=True, dropna=False)[["duties_usd", "value_usd", "dutiable_value_usd"]]
        .sum(min_count=1)
        .reset_index()
        .rename(columns={"month": "period"})
    )
    val = agg["value_usd"].where(agg["value_usd"] > 0)
    dut = agg["dutiable_value_usd"].where(agg["dutiable_value_usd"] > 0)
    agg["effective_rate_pct"] = 100.0 * agg["duties_usd"] / val
    agg["rate_on_dutiable_pct"] = 100.0 * agg["duties_usd"] / dut
    cols = ["period", "freq", "partner", "hs_code", "n_months", "duties_usd", "value_usd",
            "dutiable_value_usd", "value_basis", "effective_rate_pct", "rate_on_dutiable_pct",
            "source"]
    return agg[cols].sort_values(["source", "partner", "period"]).reset_index(drop=True)


EFFECTIVE_VS_STATUTORY_TEXT = Text(
    "Effective and statutory rates",
    "Effective rate = calculated duties / value on chapter 87 (all vehicles and parts) by origin "
    "and period, beside the statutory HS 8703 rate; chapter 87 mixes products, so levels are not "
    "directly comparable.",
)


def compare_effective_statutory(
    eff: pd.DataFrame, monthly: pd.DataFrame, product: str = "8703"
) -> pd.DataFrame:
    """Line up the chapter-87 effective rate with the statutory ``product`` rate per period.

    What is comparable: chapter 87 mixes cars, light trucks, parts, buses, motorcycles and
    trailers, and duty-free FTA claims lower collections, so the *level* of the effective rate is
    not a statutory rate. *Changes* within an origin are comparable when ``product`` dominates
    its chapter-87 imports and preference use is stable (Korea: cars are most of chapter 87 and
    KORUS use is high, so the 2016 car-duty elimination should show up as a step down). For
    multi-month periods (freq 'P') the statutory rate is the mean of the monthly rates over the
    period's ``n_months`` months.

    Returns ``period, freq, n_months, partner, source, effective_rate_pct, statutory_rate_pct,
    gap_pp`` (= effective - statutory), sorted by source, partner, period.
    """
    stat = _period_means(eff, monthly[monthly["product"] == product])
    out = eff[["period", "freq", "n_months", "partner", "source", "effective_rate_pct"]].copy()
    out["statutory_rate_pct"] = stat
    out["gap_pp"] = out["effective_rate_pct"] - out["statutory_rate_pct"]
    return out.sort_values(["source", "partner", "period"]).reset_index(drop=True)


def _months(dates: pd.Series) -> np.ndarray:
    """Months since year 0 of month-start dates (consecutive months differ by one)."""
    d = pd.DatetimeIndex(dates)
    return np.asarray(d.year, dtype=np.int64) * 12 + np.asarray(d.month, dtype=np.int64) - 1


def _period_means(eff: pd.DataFrame, rates: pd.DataFrame) -> np.ndarray:
    """Per row of ``eff``, the mean of ``rates``' ``rate_pct`` of its partner over the
    ``n_months`` months from its period (NaN if a month has no rate): a grid of origin x month
    looked up by slices, one pass over the rows. The sum is numpy's over the row's months, as
    ``Series.mean`` takes it, so the means are the same to the last bit."""
    if rates[["origin", "month"]].duplicated().any():
        raise TariffTableError("monthly schedule has duplicate (origin, month) rows; rebuild it "
                               "with monthly_schedule")
    origins = {o: i for i, o in enumerate(pd.unique(rates["origin"]))}
    mon = _months(rates["month"])
    lo = int(mon.min()) if len(mon) else 0
    width = int(mon.max()) - lo + 1 if len(mon) else 0
    grid = np.full((len(origins), width), np.nan)
    grid[rates["origin"].map(origins).to_numpy(), mon - lo] = rates["rate_pct"].to_numpy(float)
    starts = _months(eff["period"]) - lo
    stat = np.full(len(eff), np.nan)
    for k, (partner, start, n) in enumerate(zip(eff["partner"], starts, eff["n_months"],
                                                strict=True)):
        n = int(n)
        row = origins.get(partner)
        if n and row is not None and start >= 0 and start + n <= width:
            stat[k] = grid[row, start:start + n].sum() / n
    return stat
