"""What the shipped data can and cannot say, written from the estimates themselves.

Every number in these sentences is read from the results (``results.json`` keys), never typed,
and every causal sentence names the inference behind it. A test re-reads the report and README
and checks each number against results.json, so the text cannot drift from the estimates.

Conventions in the text: reduced forms are differences of log points (``coef``) with the same
change in percent (``pct``, 100 (e^coef - 1)), both stored in the results; the price response
gamma is 0 when buyers pay the whole duty and -1 when exporters absorb all of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from autotariffs import design

# the origins with their own estimates: the study design's first, then any other run (e.g. DEU)
ORIGINS_TEXT = design.TREATED


def _origins(results: Mapping[str, Any]) -> list[str]:
    extra = sorted(k for k, v in results.items() if k not in ORIGINS_TEXT and isinstance(v, dict)
                   and "reduced_form" in v)
    return [*ORIGINS_TEXT, *extra]


def fmt_p(p: float | None) -> str:
    """p-values as '< 0.001' or three decimals; 'n/a' when missing."""
    if p is None:
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _f(v: float | None, nd: int = 3, sign: bool = True) -> str:
    if v is None:
        return "n/a"
    return f"{v:+.{nd}f}" if sign else f"{v:.{nd}f}"


def _window(d: Mapping[str, Any]) -> str:
    donut = (f"; {d['donut_start']}" + (f" to {d['donut_end']}" if d["donut_end"] != d["donut_start"]
                                        else "") + " (announcement) left out"
             if d.get("donut") else "")
    return (f"{d['post_start']} to {d['post_end']} against {d['pre_start']} to {d['pre_end']}"
            f"{donut}{', month-of-year pattern of the gap removed' if d.get('seasonal') else ''}")


def reduced_form_sentences(o: str, r: Mapping[str, Any]) -> list[str]:
    """One sentence per outcome, with conformal and placebo inference (one treated origin)."""
    rf = r["reduced_form"]
    d = rf["design"]
    out = [f"{o} against {', '.join(d['controls'])} ({_window(d)}). Inference is built for one "
           "treated origin: conformal inference on the counterfactual (Chernozhukov, Wüthrich & "
           "Zhu 2021; moving-block permutations in time) and in-time placebos (the same estimate "
           "at every admissible fake event date before the announcement)."]
    for y in ("ln_q", "ln_v", "ln_uv"):
        e = rf.get(y)
        if not e:
            continue
        out.append(
            f"{e['label'].capitalize()}: {_f(e['coef'])} log points ({_f(e['pct'], 1)}%), 95% "
            f"conformal interval [{_f(e['ci95_low'])}, {_f(e['ci95_high'])}]; p = "
            f"{fmt_p(e['p_conformal'])} (conformal, difference-in-differences counterfactual, "
            f"{e['n_perm_conformal']} permutations), {fmt_p(e['p_conformal_ts'])} (conformal, the "
            f"origin's own seasonal time-series counterfactual), {fmt_p(e['p_placebo'])} (rank "
            f"among {e['n_placebos']} in-time placebos; smallest attainable "
            f"{fmt_p(e['min_p_placebo'])}).")
    bs = rf.get("baseline_sensitivity")
    if bs:
        parts = [f"{_f(b['ln_q']['coef'])} from {b['pre_start']}" for b in bs]
        out.append("The answer depends on the baseline, because the origin-minus-controls gap "
                   "drifts over the years: the change in log vehicles is " + ", ".join(parts)
                   + " (a baseline that starts one year before the tariff is the 12-month-"
                   "difference comparison).")
    c = rf.get("cumulative", {}).get("ln_q")
    if c:
        out.append(f"In the announcement month ({c['post_months'][0]}) the seasonally adjusted "
                   f"gap in log vehicles was {_f(c['announcement_gap'])}; counting it with the "
                   f"post-tariff months ({c['post_months'][0]} to {c['post_months'][1]}) the "
                   f"change is {_f(c['coef'])} (conformal p = {fmt_p(c['p_conformal'])}). A "
                   "month-on-month comparison of April with March mixes the tariff with this "
                   "announcement-month movement.")
    return out


def sensitivity_sentences(o: str, r: Mapping[str, Any]) -> list[str]:
    """The ratios (elasticity, gamma) depend on the controls' exposure: state the range."""
    s = r.get("sensitivity")
    if not s:
        return []
    pts = [p for p in s["curve"] if p.get("elasticity_q") is not None]
    out = []
    lo_hi = [p for p in pts if 0.3 <= p["content_share"] <= 0.7]
    if lo_hi:
        a, b = lo_hi[0], lo_hi[-1]
        out.append(
            f"Divided by the tariff gap, the vehicle elasticity is {_f(a['elasticity_q'], 2)} at a "
            f"USMCA non-US content share of {a['content_share']:.1f} and "
            f"{_f(b['elasticity_q'], 2)} at {b['content_share']:.1f}; gamma (0 = buyers pay the "
            f"duty, -1 = exporters absorb it) is {_f(a['gamma'], 2)} and {_f(b['gamma'], 2)}. "
            "The ratio is only as good as the assumed exposure of Mexico and Canada, so it is "
            "shown as a curve, not as one number.")
    gone = [p["content_share"] for p in s["curve"] if p.get("elasticity_q") is None]
    if gone:
        out.append(f"At content shares from {min(gone):.1f} the comparison origins were about "
                   f"as exposed as {o} (tariff gap below {s['min_gap']:.2f} log points): no ratio "
                   "is identified there.")
    return out


def pooled_sentences(r: Mapping[str, Any]) -> list[str]:
    p = r.get("pooled", {}).get("elasticity_q_d12")
    if not p:
        return []
    return [
        f"Pooled over all {p['n_clusters']} origins (12-month differences, vehicles): "
        f"{_f(p['coef'], 2)} per log point of tariff; wild cluster bootstrap p = "
        f"{fmt_p(p['p_wild'])} ({p['n_boot']} Webb draws, G = {p['n_clusters']}); randomization "
        f"p = {fmt_p(p['p_ri'])} over the {p['n_assignments']} distinct assignments of the "
        f"origins' tariff paths (smallest attainable {fmt_p(p['min_p_ri'])})."]


def after_the_deals_sentences(results: Mapping[str, Any]) -> list[str]:
    """Korea's second (opposite-signed) tariff change, the controls' observed exposure, and
    statutory against collected duties; every number from results.json."""
    out: list[str] = []
    cut = results.get("KOR", {}).get("deal_cut")
    if cut:
        reach = ("so the conformal test cannot reject at 5% whatever the data"
                 if cut["min_p_conformal"] > 0.05 else "")
        out.append(
            f"Korea's exports to the US relative to {', '.join(cut['controls'])} (Korea Customs "
            f"Service, FOB) after the 25 -> 15% cut ({cut['post_months'][0]} to "
            f"{cut['post_months'][-1]} against {cut['pre_months'][0]} to {cut['pre_months'][-1]}): "
            f"{_f(cut['coef'])} log points, "
            + (f"95% conformal interval [{_f(cut['ci95_low'])}, {_f(cut['ci95_high'])}]"
               if cut.get("ci95_low") is not None and cut.get("ci95_high") is not None
               else "no 95% conformal interval is attainable (every value is accepted)")
            + f", conformal p = {fmt_p(cut['p_conformal'])} over "
            f"{cut['n_perm']} time permutations (smallest attainable "
            f"{fmt_p(cut['min_p_conformal'])}{'; ' + reach if reach else ''}), placebo p = "
            f"{fmt_p(cut['p_placebo'])} among {cut['n_placebos']} in-time placebos.")
        st, el = cut["step"], cut["elasticity"]
        out.append(
            f"The 0 -> 25% step has only {st['n_pre']} pre-tariff months in these data: "
            f"{_f(st['coef'])} log points (conformal p = {fmt_p(st['p_conformal'])}, smallest "
            f"attainable {fmt_p(st['min_p_conformal'])}). Divided by the change in ln(1+tariff), "
            f"the value elasticity is {_f(el['step_elasticity'], 2)} for the step and "
            f"{_f(el['cut_elasticity'], 2)} for the cut"
            + ("; the signs agree, but neither response is distinguishable from zero."
               if el["signs_agree"] else "; the signs disagree, so no elasticity is implied."))
    cov = results.get("JPN", {}).get("deal_coverage")
    if cov:
        out.append(f"Japan's mirror series ends in {cov['last_month']}, "
                   f"{cov['post_deal_days_observed']} days after its deal of {cov['deal_date']}: "
                   "half a month cannot identify a response.")
    ex = results.get("exposure", {})
    if "CAN" in ex and "MEX" in ex and "cs50" in ex["CAN"] and "cs50" in ex["MEX"]:
        c, m = ex["CAN"]["cs50"], ex["MEX"]["cs50"]
        out.append(
            f"Observed USMCA claim shares ({c['first_month']} to {c['last_month']}: Canada "
            f"{c['claim_share_mean']:.3f}, Mexico {m['claim_share_mean']:.3f} of customs value) "
            f"put the duty on Canadian cars at {c['observed_rate_pct']:.2f}% and on Mexican cars "
            f"at {m['observed_rate_pct']:.2f}% for a non-US content share of "
            f"{c['content_share']:.1f}, against {c['assumed_rate_pct']:.2f}% in the all-claimed "
            "schedule; the sensitivity curves use both.")
    col = results.get("collected", {})
    k11 = col.get("KOR_2025_11")
    if k11:
        out.append(
            f"Collected against statutory: in 2025-11 Korea's cars were charged "
            f"{k11['collected_rate_pct']:.1f}% against a statutory {k11['statutory_rate_pct']:.1f}% "
            "(the cut was retroactive and refunded later); Japan's collected rates in early 2026 "
            "sit below the statutory rate because of offset credits. The statutory schedule is "
            "what importers faced at the time of entry.")
    return out


def identification_notes(results: Mapping[str, Any]) -> dict[str, list[str]]:
    """Topic -> sentences for the report's "What the shipped data can and cannot say".

    Topics carry a letter so that the report (which sorts topics) shows them in reading order."""
    notes: dict[str, list[str]] = {}
    rf_design = next((results[o]["reduced_form"]["design"] for o in _origins(results)
                   if o in results and "reduced_form" in results[o]), None)
    general = []
    if rf_design is not None:
        general.append(
            f"The monthly US series end in {rf_design['post_end']}, so the post-tariff window has "
            f"{results[rf_design['origin']]['reduced_form']['ln_v']['n_post']} months. Each treated "
            f"origin is compared with {', '.join(rf_design['controls'])}, which paid the Section 232 "
            "duty too, but only on non-US content: how much they paid depends on a content share "
            "the data do not give.")
    general += [
        "With one treated origin, cluster-robust standard errors and the wild cluster bootstrap "
        "are not valid (Conley & Taber 2011; MacKinnon & Webb 2017): the treated origin's "
        "cluster score is zero once month effects are in, so the interval measures only "
        "Mexico-minus-Canada noise. Those intervals are in the appendix table, marked invalid; "
        "the headline uses conformal inference and in-time placebos instead.",
        f"Japan's deal (in force from {design.deal_date('JPN')}) and Korea's (from "
        f"{design.deal_date('KOR')}, retroactive) fall "
        "after the last month of the US monthly series; only Korea's own export statistics reach "
        "past its deal (section E).",
        "Unit values are value per vehicle (before duty): a fall can be a price cut or a shift "
        "in model mix; 2022 monthly quantities are Comtrade estimates and are left out of every "
        "quantity-based estimate.",
        "Border prices are not retail prices: a lower ex-tariff unit value can reflect "
        "transfer-price cuts to the exporters' own US subsidiaries.",
    ]
    notes["A: what the shipped data can and cannot say"] = general
    for o in _origins(results):
        r = results.get(o)
        if not r or "reduced_form" not in r:
            continue
        notes[f"B: reduced form for {o}"] = reduced_form_sentences(o, r)
        sens = sensitivity_sentences(o, r)
        if sens:
            notes[f"C: ratios for {o} depend on the exposure of the comparison origins"] = sens
        pooled = pooled_sentences(r)
        if pooled and "D: pooled estimates over all origins" not in notes:  # same in every run
            notes["D: pooled estimates over all origins"] = pooled
    deals = after_the_deals_sentences(results)
    if deals:
        notes["E: after the deals"] = deals
    return notes
