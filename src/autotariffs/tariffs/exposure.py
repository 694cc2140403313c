"""Observed tariff exposure of the control origins Canada and Mexico.

The duty a Canadian or Mexican car (HS 8703) owes under Section 232 depends on whether USMCA
preference is claimed at entry (HTSUS ch. 99 U.S. note 33, data/raw/tariffs/
hts_2026_rev6_ch99_note33_excerpt.txt; event rows MX-02-S232-VEH / CA-02-S232-VEH):

* **not claimed**: MFN 2.5% + 25% on the full value = 27.5% (9903.94.01);
* **claimed** (USMCA-qualifying, special rate Free): 25% on the *non-US content* only
  (9903.94.03) once the content procedure applies, i.e. 25 x ``content_share``.

When did the content procedure apply? Note 33(d) makes 9903.94.03 "effective with respect to
entries on or after April 3, 2025", but only "upon approval from the Secretary of Commerce" of the
importer's US-content documentation; the shipped sources give no approval date, and the event
table dates the regime from 2025-04-03 (SOURCES.md section 3). Before approval a claimed car pays
the 25% on its **full** value (9903.94.01 with the USMCA base rate 0), not 0%: note 33 grants no
exemption to USMCA cars, only the reduced base. ``content_procedure_from`` (default 2025-04-03,
as in the event table) is therefore a parameter: set it later to see exposure if approvals lagged.

Observed monthly exposure (day-weighted within the month, claim share s of the month)::

    rate = s x claimed_rate(day) + (1 - s) x not_claimed_rate(day)
    claimed_rate     = 0 before 2025-04-03; 25 between 2025-04-03 and the content procedure;
                       25 x content_share from then on
    not_claimed_rate = 2.5 (MFN) before 2025-04-03; 27.5 from then on

Claim shares: DataWeb customs value claimed under USMCA (SPI S/S+) over total, HS 8703 summed over
HS10 lines (:func:`autotariffs.data.sources.dataweb.usmca_claim_shares`), 2025-01..2026-02 (Canada
98-99%, Mexico 83-96%). The content share itself is not observed (Budget Lab's tracker assumes a US
content share of 0.40, i.e. non-US 0.60): report over 0.3-0.7. The *assumed* schedule beside it is
the event-table rate (``autotariffs.tariffs.schedule.monthly_schedule`` with ``usmca_nonus_share`` =
content_share), which treats every car as claimed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from autotariffs import design

MFN_PCT = 2.5
S232_PCT = 25.0
S232_FROM = design.TARIFF.date
CONTROL_ORIGINS = ("CAN", "MEX")
COLUMNS = ["month", "origin", "content_share", "claim_share", "claimed_rate_pct",
           "not_claimed_rate_pct", "observed_rate_pct", "assumed_rate_pct", "diff_pp",
           "ln1p_observed", "ln1p_assumed"]  # fmt: skip


def _daily_parts(month: pd.Timestamp, content_share: float, content_from: pd.Timestamp,
                 s232_from: pd.Timestamp, mfn: float, s232: float) -> tuple[float, float]:
    days = pd.date_range(month, month + pd.offsets.MonthEnd(0), freq="D")
    claimed = np.where(days < s232_from, 0.0,
                       np.where(days < content_from, s232, s232 * content_share))
    other = np.where(days < s232_from, mfn, mfn + s232)
    return float(claimed.mean()), float(other.mean())


def control_exposure(
    claims_monthly: pd.DataFrame,
    content_share: float = 0.5,
    schedule: pd.DataFrame | None = None,
    content_procedure_from: str = S232_FROM,
    s232_from: str = S232_FROM,
    mfn_pct: float = MFN_PCT,
    s232_pct: float = S232_PCT,
    origins: Sequence[str] = CONTROL_ORIGINS,
) -> pd.DataFrame:
    """Monthly effective duty (%) on CAN and MEX cars from observed USMCA claim shares.

    ``claims_monthly``: ``month, partner, claim_share`` (e.g. ``usmca_claim_shares(flows)``);
    ``content_share``: non-US content share of claimed cars, in [0, 1]; ``schedule``: the
    monthly schedule (``monthly_schedule``) built with ``usmca_nonus_share=content_share`` whose
    HS 8703 rate is shown as ``assumed_rate_pct`` (NaN if None). Only months with claims data are
    returned. ``diff_pp`` = observed - assumed. See the module docstring for the formula.
    """
    if not 0.0 <= content_share <= 1.0:
        raise ValueError(f"content_share={content_share}: must be a share in [0, 1]")
    c_from, s_from = pd.Timestamp(content_procedure_from), pd.Timestamp(s232_from)
    if c_from < s_from:
        raise ValueError("content_procedure_from cannot precede the s232 start")
    cl = claims_monthly[claims_monthly["partner"].isin(origins)].dropna(subset=["claim_share"])
    if (~cl["claim_share"].between(0, 1)).any():
        raise ValueError("claim_share must lie in [0, 1]")
    rows = []
    for _, r in cl.sort_values(["partner", "month"]).iterrows():
        m = pd.Timestamp(r["month"])
        c, o = _daily_parts(m, content_share, c_from, s_from, mfn_pct, s232_pct)
        s = float(r["claim_share"])
        rows.append(dict(month=m, origin=r["partner"], content_share=content_share,
                         claim_share=s, claimed_rate_pct=c, not_claimed_rate_pct=o,
                         observed_rate_pct=s * c + (1 - s) * o))  # fmt: skip
    out = pd.DataFrame(rows, columns=COLUMNS[:7])
    if schedule is not None:
        sch = schedule[schedule["product"] == "8703"].set_index(["origin", "month"])["rate_pct"]
        out["assumed_rate_pct"] = [sch.get((o, m), np.nan) for o, m in
                                   zip(out["origin"], out["month"], strict=True)]
    else:
        out["assumed_rate_pct"] = np.nan
    out["diff_pp"] = out["observed_rate_pct"] - out["assumed_rate_pct"]
    out["ln1p_observed"] = np.log1p(out["observed_rate_pct"] / 100.0)
    out["ln1p_assumed"] = np.log1p(out["assumed_rate_pct"] / 100.0)
    out["month"] = out["month"].astype("datetime64[ns]")
    return out[COLUMNS].reset_index(drop=True)


def exposure_grid(
    claims_monthly: pd.DataFrame,
    events: pd.DataFrame,
    content_shares: Sequence[float] = (0.3, 0.4, 0.5, 0.6, 0.7),
    start: str = "2025-01-01",
    end: str = "2026-06-30",
    **kw,
) -> pd.DataFrame:
    """:func:`control_exposure` over a grid of content shares, each beside the assumed schedule
    built with the same share (input to the sensitivity curve of the headline estimates)."""
    from autotariffs.tariffs.schedule import daily_schedule, monthly_schedule

    parts = []
    for c in content_shares:
        sched = monthly_schedule(daily_schedule(events, origins=("MEX", "CAN"), products=("8703",),
                                                start=start, end=end, usmca_nonus_share=c))
        parts.append(control_exposure(claims_monthly, c, sched, **kw))
    return pd.concat(parts, ignore_index=True)


def exposure_summary(exposure: pd.DataFrame, post_from: str = "2025-05") -> dict:
    """Nested ``exposure`` block for results.json: by origin and content share (``cs50`` = 0.5),
    the mean claim share and the mean observed and assumed rates over full post-s232 months
    (from ``post_from``). The report joins keys with dots, so none contains one
    (``exposure.CAN.cs50.observed_rate_pct``)."""
    out: dict = {}
    post = exposure[exposure["month"] >= pd.Timestamp(post_from + "-01")]
    for (o, c), g in post.groupby(["origin", "content_share"], sort=True):
        out.setdefault(o, {})[f"cs{round(100 * c):d}"] = {
            "content_share": float(c),
            "claim_share_mean": float(g["claim_share"].mean()),
            "observed_rate_pct": float(g["observed_rate_pct"].mean()),
            "assumed_rate_pct": float(g["assumed_rate_pct"].mean()),
            "diff_pp": float(g["diff_pp"].mean()),
            "n_months": int(len(g)),
            "first_month": f"{g['month'].min():%Y-%m}",
            "last_month": f"{g['month'].max():%Y-%m}",
        }
    return out


def control_series_extended(
    flows: pd.DataFrame,
    origins: Sequence[str] = CONTROL_ORIGINS,
    overlap: tuple[str, str] = ("2025-01", "2025-07"),
) -> pd.DataFrame:
    """Monthly US imports of HS 8703 from the control origins, extended to 2026-02.

    Two measured series side by side, never summed: Comtrade monthly (``comtrade_m_8703``,
    CIF-type general imports, to 2025-07) and DataWeb HS10 customs value of imports for
    consumption (``dataweb_usmca_hs10_m``, claimed + not claimed, 2025-01..2026-02). Returns
    ``month, origin, comtrade_usd, dataweb_usd, ratio_overlap, value_spliced_usd, spliced_from``:
    the spliced series is Comtrade up to its last month and DataWeb x ``ratio_overlap`` (mean
    Comtrade / DataWeb over ``overlap``; about 1.005 for Canada and 1.00 for Mexico, whose
    January 2025 differs by 6.3%) after it, so the level does not jump at the seam. The 2026
    DataWeb files list 46 HS10 lines instead of 146; the lines dropped carried < $0.0001B in
    Nov-Dec 2025, so the low Canadian January 2026 (1.02 $B) is not a coverage artefact.
    """
    ct = flows[(flows["source"] == "comtrade_m_8703") & flows["partner"].isin(origins)]
    dw = flows[(flows["source"] == "dataweb_usmca_hs10_m") & flows["partner"].isin(origins)]
    a = ct.groupby(["month", "partner"])["value_usd"].sum().rename("comtrade_usd")
    b = dw.groupby(["month", "partner"])["value_usd"].sum().rename("dataweb_usd")
    out = pd.concat([a, b], axis=1).reset_index().rename(columns={"partner": "origin"})
    lo, hi = (pd.Timestamp(m + "-01") for m in overlap)
    ov = out[out["month"].between(lo, hi)].dropna(subset=["comtrade_usd", "dataweb_usd"])
    ratio = (ov["comtrade_usd"] / ov["dataweb_usd"]).groupby(ov["origin"]).mean()
    out["ratio_overlap"] = out["origin"].map(ratio)
    last_ct = out.dropna(subset=["comtrade_usd"]).groupby("origin")["month"].max()
    after = out["month"] > out["origin"].map(last_ct)
    out["value_spliced_usd"] = np.where(after, out["dataweb_usd"] * out["ratio_overlap"],
                                        out["comtrade_usd"])
    out["spliced_from"] = np.where(after, "dataweb_usmca_hs10_m x ratio", "comtrade_m_8703")
    out = out.dropna(subset=["value_spliced_usd"])
    out["month"] = out["month"].astype("datetime64[ns]")
    return out.sort_values(["origin", "month"]).reset_index(drop=True)


def full_exposure_rates(controls: Sequence[str], product: str = "8703") -> pd.DataFrame:
    """Month x control origin: statutory duty (fraction) at non-US content share 1.

    Built from the tariff events table (the same code as step 02) with the content share set to
    1, so that :func:`autotariffs.models.reduced_form.control_change` can scale it to any share s
    (the controls' Section 232 duty applies to the non-US content only, so it is linear in s).
    """
    from autotariffs.tariffs import schedule

    m = schedule.monthly_schedule(schedule.daily_schedule(schedule.load_events(),
                                                          usmca_nonus_share=1.0))
    m = m[m["product"].astype(str) == product]
    w = m.pivot(index="month", columns="origin", values="rate_pct") / 100.0
    return w.reindex(columns=list(controls)).sort_index()
