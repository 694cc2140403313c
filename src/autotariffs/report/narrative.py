"""What the shipped data say, written from the results: every number carries its results.json key.

A :class:`Sentence` is text interleaved with :class:`Quote` objects; a quote prints one value of
the merged results (``results.json``) under its dotted key, with a stated format, scale and
transform. So the text, the report's ``data-key`` spans and the key map that the findings test
checks (``reports/findings.json``) all come from the same object, and a number without a key
cannot be written.

* :func:`plain_answer` - the three sentences that open the README and the report: how much
  imports fell, who paid, how sure we are.
* :func:`identification_notes` - the longer findings, topic by topic.

Every causal sentence names the inference behind it. Percent = 100 (exp(log change) - 1).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import markupsafe

from autotariffs import design
from autotariffs.labels import fmt_p, in_design_order, origin_name
from autotariffs.models.one_treated import DESIGN_BY_KEY
from autotariffs.models.reduced_form import OUTCOMES

MINUS = "\u2212"


def get(results: Mapping[str, Any], key: str) -> Any:
    """The value under a dotted key (KeyError naming the key)."""
    node: Any = results
    for part in key.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            raise KeyError(key)
    return node


@dataclass(frozen=True)
class Quote:
    """One printed number: ``fmt`` applied to ``scale * value`` (``pct``: to 100 (e^v - 1)
    first; ``absolute``: its magnitude), with the Unicode minus sign."""

    key: str
    value: float
    fmt: str = "+.3f"
    scale: float = 1.0
    pct: bool = False
    absolute: bool = False

    @staticmethod
    def render(value: float, fmt: str, scale: float = 1.0, pct: bool = False,
               absolute: bool = False) -> str:
        v = 100.0 * math.expm1(value) if pct else float(value)
        v = abs(v * scale) if absolute else v * scale
        if fmt == "p":
            return fmt_p(v)
        text = format(int(round(v)) if fmt.endswith("d") else v, fmt)
        if float(text.replace("+", "").replace("%", "")) == 0:  # no "-0.0" or "+0.0"
            text = text.replace("-", "").replace("+", "")
        return text.replace("-", MINUS)

    @property
    def text(self) -> str:
        return self.render(self.value, self.fmt, self.scale, self.pct, self.absolute)

    def to_dict(self) -> dict:
        return {"key": self.key, "text": self.text, "fmt": self.fmt, "scale": self.scale,
                "pct": self.pct, "absolute": self.absolute}


@dataclass(frozen=True)
class Sentence:
    parts: tuple[str | Quote, ...]

    def __post_init__(self) -> None:
        # "p = " before a bound ("< 0.001") reads "p < 0.001"
        parts = list(self.parts)
        for i in range(1, len(parts)):
            if (isinstance(parts[i], Quote) and parts[i].text.startswith("<")
                    and isinstance(parts[i - 1], str) and parts[i - 1].endswith("= ")):
                parts[i - 1] = parts[i - 1][:-2]
        object.__setattr__(self, "parts", tuple(parts))

    @property
    def text(self) -> str:
        return "".join(p if isinstance(p, str) else p.text for p in self.parts)

    @property
    def quotes(self) -> list[Quote]:
        return [p for p in self.parts if isinstance(p, Quote)]

    def html(self) -> markupsafe.Markup:
        out = []
        for p in self.parts:
            if isinstance(p, str):
                out.append(html.escape(p, quote=False))
            else:  # the span says how to re-render its number from results.json (tests)
                attrs = (f'data-key="{html.escape(p.key)}" data-fmt="{html.escape(p.fmt)}" '
                         f'data-scale="{p.scale!r}" data-pct="{int(p.pct)}" '
                         f'data-abs="{int(p.absolute)}"')
                out.append(f"<span {attrs}>{html.escape(p.text)}</span>")
        return markupsafe.Markup("".join(out))

    def to_dict(self) -> dict:
        return {"text": self.text, "numbers": [q.to_dict() for q in self.quotes]}


class Writer:
    """Builds sentences from one results dict; :meth:`n` quotes a number under its key."""

    def __init__(self, results: Mapping[str, Any]):
        self.results = results

    def has(self, key: str) -> bool:
        try:
            v = get(self.results, key)
        except KeyError:
            return False
        return v is not None

    def v(self, key: str) -> Any:
        return get(self.results, key)

    def n(self, key: str, fmt: str = "+.3f", scale: float = 1.0, pct: bool = False,
          absolute: bool = False) -> Quote:
        val = get(self.results, key)
        if val is None or isinstance(val, bool) or not math.isfinite(float(val)):
            raise ValueError(f"{key}: no finite number to quote ({val!r})")
        return Quote(key, float(val), fmt, scale, pct, absolute)

    def p(self, key: str) -> Quote:
        """A p-value: three decimals, or '< 0.001'."""
        return self.n(key, "p")

    def s(self, *parts: str | Quote) -> Sentence:
        return Sentence(tuple(parts))


def name(code: str) -> str:
    return origin_name(code)


def origins(results: Mapping[str, Any]) -> list[str]:
    """Origins with a headline: the study design's treated origins first, then the others."""
    return in_design_order(k for k, v in results.items()
                           if isinstance(v, Mapping) and "headline" in v)


def _months(w: Writer, key: str) -> str:
    lo, hi = w.v(key)
    return f"{lo} to {hi}"


def _controls(w: Writer, o: str) -> str:
    return " and ".join(name(c) for c in w.v(f"{o}.window.controls"))


def _interval_pct(w: Writer, base: str) -> list[str | Quote]:
    return ["95% conformal interval ", w.n(f"{base}.ci95_low", "+.0f", pct=True), "% to ",
            w.n(f"{base}.ci95_high", "+.0f", pct=True), "%"]


# --------------------------------------------------------------------------------------------
# the plain answer
# --------------------------------------------------------------------------------------------
def _interval_state(w: Writer, h: str) -> str:
    """'bounded', 'empty' (no constant effect fits) or 'unattainable' (too few months)."""
    if w.has(f"{h}.ci95_low") and w.has(f"{h}.ci95_high"):
        return "bounded"
    return "empty" if w.v(f"{h}.min_p") <= design.ALPHA else "unattainable"


def how_much(w: Writer, o: str) -> list[str | Quote]:
    """One origin's clause: the headline change in vehicles, its interval and p."""
    h = f"{o}.headline"
    verb = "fell by" if w.v(f"{h}.coef") < 0 else "rose by"
    parts: list[str | Quote] = [f"from {name(o)} {verb} ",
                                w.n(f"{h}.pct", ".0f", absolute=True), "% ("]
    state = _interval_state(w, h)
    if state == "bounded":
        parts += [*_interval_pct(w, h), ", p = ", w.p(f"{h}.p"), ")"]
    elif state == "empty":
        parts += ["but no constant change fits its post months: the 95% conformal set is "
                  "empty)"]
    else:
        parts += ["p = ", w.p(f"{h}.p"), "; too few months for a 95% interval)"]
    y = f"{o}.designs.yoy.{w.v(f'{h}.outcome')}"
    if w.has(f"{y}.coef"):
        parts += [", or ", w.n(f"{y}.pct", "+.0f"), "% against the same months a year before"]
    return parts


def who_paid(w: Writer) -> list[str | Quote]:
    """Exporters' own prices (where reported), the BOJ anchors, all-origin import prices."""
    parts: list[str | Quote] = []
    for o in origins(w.results):
        if not w.has(f"{o}.export_prices.average_key"):
            continue
        xp = f"{o}.export_prices.{w.v(f'{o}.export_prices.average_key')}"
        lo, hi = w.v(f"{xp}.months")
        parts += [f"{name(o)}'s carmakers cut the dollar price of the cars they shipped to the "
                  f"US: the FOB unit value of {name(o)}-reported car exports to the US fell ",
                  w.n(f"{xp}.uv_usd_yoy_pct", ".0f", absolute=True),
                  f"% year on year in {lo} to {hi} (", *_interval_pct(w, xp), ", conformal p = ",
                  w.p(f"{xp}.p"), ")"]
        boj = f"anchors.boj_export_prices.{o}.contract_currency"
        if w.has(f"{boj}.2025_05") and w.has(f"{boj}.2025_06"):
            parts += [", as the Bank of Japan's export price index for cars to North America "
                      "did (", w.n(f"{boj}.2025_05", "+.1f"), "% and ",
                      w.n(f"{boj}.2025_06", "+.1f"), "% in 2025-05 and 2025-06)"]
        parts += [", unlike foreign exporters in 2018, who passed the US tariffs on in full "
                  "(Amiti, Redding and Weinstein 2019; Fajgelbaum et al. 2020); "]
    ip = "import_prices.hs8703"
    if w.has(f"{ip}.change_since_2025_03"):
        parts += ["across all origins, US import prices of cars before duty (BLS) fell only ",
                  w.n(f"{ip}.trough_change", ".1f", absolute=True),
                  f"% by {w.v(f'{ip}.trough_month')} and ",
                  w.n(f"{ip}.change_since_2025_03", ".1f", absolute=True),
                  f"% by {w.v(f'{ip}.last_month')}, so on average most of the duty was not "
                  "absorbed abroad but paid by US importers, often the carmakers' own US "
                  "subsidiaries"]
    return parts


def how_sure(w: Writer) -> list[str | Quote]:
    """Per origin: what the interval says, the breakdown value, the placebo check; then the
    firmest finding (exporter prices)."""
    parts: list[str | Quote] = []
    for o in origins(w.results):
        h = f"{o}.headline"
        if not w.has(f"{h}.coef"):
            continue
        if parts:
            parts.append("; ")
        state = _interval_state(w, h)
        parts += [f"for {name(o)}, "]
        if state == "bounded" and w.has(f"{h}.breakdown") and w.v(f"{h}.breakdown") > 0:
            parts += ["the 95% interval excludes no change unless the trend's slope may bend "
                      "by more than ", w.n(f"{h}.breakdown", ".3f"),
                      " log points a month, every month"]
        else:
            parts += [{"bounded": "not sure: the 95% interval includes no change",
                       "empty": "not sure: no constant change fits",
                       "unattainable": "not sure: too few months"}[state]]
            if w.has(f"{h}.breakdown_identified"):
                parts += [", and the estimate itself rests on the baseline trend continuing: "
                          "it vanishes if that trend's slope may bend by ",
                          w.n(f"{h}.breakdown_identified", ".3f"),
                          " log points a month, every month (",
                          w.n(f"{h}.deviation_at_breakdown_identified", ".2f"),
                          f" by {w.v(f'{h}.post_months')[1]})"]
        pl = f"{o}.placebos.{w.v(f'{h}.design')}.{w.v(f'{h}.outcome')}"
        if w.has(f"{pl}.mean") and w.v(f"{pl}.centred") is False:
            parts += ["; its in-time placebos before the tariff average ",
                      w.n(f"{pl}.mean", "+.2f"), ", not zero"]
    for o in origins(w.results):
        xp = f"{o}.export_prices"
        if w.has(f"{xp}.average_key"):
            months = sorted(k for k in w.v(xp) if k[:4].isdigit())
            firm = [m for m in months if w.v(f"{xp}.{m}.p") <= design.ALPHA]
            run = firm[: next((i for i in range(1, len(firm))
                               if months.index(firm[i]) != months.index(firm[i - 1]) + 1),
                              len(firm))]
            if run:
                span = (run[0] if len(run) == 1 else f"{run[0]} to {run[-1]}").replace("_", "-")
                parts += [f". The firmest finding is {name(o)}'s export price cut: in each "
                          f"month of {span} its year-on-year change lies beyond every baseline "
                          "month (p = ", w.p(f"{xp}.{run[0]}.p"), "), and a matched-model "
                          "index agrees"]
    return parts


def plain_answer(results: Mapping[str, Any]) -> list[Sentence]:
    """How much imports fell, who paid, how sure we are: three sentences for the first screen."""
    w = Writer(results)
    os_ = origins(results)
    if not os_:
        return []
    first = os_[0]
    h = f"{first}.headline"
    s1: list[str | Quote] = [
        f"How much imports fell: relative to {_controls(w, first)}, in the ", w.n(f"{h}.n_post",
                                                                              "d"),
        f" months {_months(w, f'{h}.post_months')}, US car imports "]
    for k, o in enumerate(os_):
        if k:
            s1.append("; those ")
        s1 += how_much(w, o)
    designs = sorted({DESIGN_BY_KEY[w.v(f'{o}.headline.design')].label for o in os_})
    s1.append(f". Design: {' and '.join(designs)}, chosen for each origin by a simulation "
              "calibrated to its data, under a rule fixed before the estimates were read; "
              "intervals by conformal inference for one treated origin.")
    out = [w.s(*s1)]
    paid = who_paid(w)
    if paid:
        out.append(w.s("Who paid: ", *paid, "."))
    sure = how_sure(w)
    if sure:
        out.append(w.s("How sure we are: ", *sure, "."))
    return out


# --------------------------------------------------------------------------------------------
# the longer findings
# --------------------------------------------------------------------------------------------
def general_notes(w: Writer) -> list[Sentence]:
    os_ = origins(w.results)
    out = []
    if os_:
        o = os_[0]
        out.append(w.s(
            f"The monthly US series end in {w.v(f'{o}.window.post_end')}, so the post-tariff "
            "window has ", w.n(f"{o}.window.post_len", "d"), f" months. Each treated origin is "
            f"compared with {_controls(w, o)}, which paid the Section 232 duty too, but only on "
            "non-US content: how much they paid depends on a content share the data do not "
            "give."))
    out += [w.s(
        "With one treated origin, cluster-robust standard errors and the wild cluster bootstrap "
        "are not valid (Conley & Taber 2011; MacKinnon & Webb 2017): the treated origin's "
        "cluster score is zero once month effects are in. Every interval here uses the time "
        "dimension instead: conformal inference (Chernozhukov, Wüthrich & Zhu 2021) and "
        "in-time placebos; the cluster-robust intervals are in an appendix table, marked "
        "invalid."), w.s(
        "The US-side unit value is Comtrade's CIF-type import value (freight included) per "
        "vehicle, before duty: it mixes price and model changes, and a border price is not a "
        "retail price (a lower value can reflect transfer-price cuts to the exporters' own US "
        "subsidiaries). The 2022 monthly quantities are Comtrade estimates and are left out of "
        "every quantity-based estimate.")]
    return out


def misfit(w: Writer, b: str) -> bool:
    """True when a design's p-value function peaks more than a quarter of its interval's width
    away from its estimate: no constant shift of the counterfactual fits the post months well
    (a sign the counterfactual model is misspecified for them)."""
    if not (w.has(f"{b}.p_peak") and w.has(f"{b}.ci95_low") and w.has(f"{b}.ci95_high")):
        return False
    width = w.v(f"{b}.ci95_high") - w.v(f"{b}.ci95_low")
    return abs(w.v(f"{b}.p_peak") - w.v(f"{b}.coef")) > width / 4


def origin_notes(w: Writer, o: str) -> list[Sentence]:
    out = []
    win = f"{o}.window"
    for y in OUTCOMES:
        pt = f"{o}.pretrend.{y}"
        if not w.has(f"{pt}.slope_per_year"):
            continue
        out.append(w.s(
            f"Look first ({OUTCOMES[y]}): the gap between {name(o)} and {_controls(w, o)} moved "
            "by ", w.n(f"{pt}.slope_per_year", "+.3f"), " log points a year over the baseline "
            f"({w.v(f'{win}.pre_start')} to {w.v(f'{win}.pre_end')}; trend and month-of-year "
            "regression, Newey-West SE ", w.n(f"{pt}.se", ".3f"), ", p = ",
            w.p(f"{pt}.p"), ")."))
        parts: list[str | Quote] = [f"What each design says ({OUTCOMES[y]}): "]
        for d in DESIGN_BY_KEY:
            b = f"{o}.designs.{d}.{y}"
            if not w.has(f"{b}.coef"):
                continue
            # "; " before every design but the first one reported (not the first one listed)
            parts += [("; " if len(parts) > 1 else "") + f"{DESIGN_BY_KEY[d].label} ",
                      w.n(f"{b}.coef")]
            if w.has(f"{b}.ci95_low") and w.has(f"{b}.ci95_high"):
                parts += [" [", w.n(f"{b}.ci95_low"), ", ", w.n(f"{b}.ci95_high"), "]"]
            parts += [", p = ", w.p(f"{b}.p")]
            if misfit(w, b):
                parts += [", but its p-value function peaks at ", w.n(f"{b}.p_peak"),
                          ", away from the estimate: the counterfactual fits the post months "
                          "poorly"]
            pl = f"{o}.placebos.{d}.{y}"
            if w.has(f"{pl}.mean"):
                parts += [" (placebo mean ", w.n(f"{pl}.mean", "+.3f"), " over ",
                          w.n(f"{pl}.n", "d"),
                          ", centred)" if w.v(f"{pl}.centred") else ", not centred)"]
        parts.append(". Intervals and p: conformal inference with each design's own "
                     "counterfactual; placebo ranks are valid only where the placebos are "
                     "centred.")
        out.append(w.s(*parts))
        sim = f"{o}.simulation.{y}"
        if w.has(f"{sim}.chosen"):
            rows = w.v(f"{sim}.rows")
            idx = {(r["dgp"], r["design"], r["method"], r["effect"]): i
                   for i, r in enumerate(rows)}
            ch = w.v(f"{sim}.chosen")
            size = idx.get(("calibrated", ch, "conformal", 0.0))
            power = idx.get(("calibrated", ch, "conformal", -0.2))
            lvl = idx.get(("calibrated", "level", "conformal", 0.0))
            parts = ["The calibrated simulation (", w.n(f"{sim}.n_draws", "d"), " draws) chose "
                     f"the {DESIGN_BY_KEY[ch].label} design: its conformal test rejects a true "
                     "null in ", w.n(f"{sim}.rows.{size}.reject", ".1%"), " of draws and "
                     "detects an effect of ", w.n(f"{sim}.rows.{power}.effect", "+.1f"),
                     " in ", w.n(f"{sim}.rows.{power}.reject", ".1%")]
            if lvl is not None and ch != "level":
                parts += ["; the level design's size there is ",
                          w.n(f"{sim}.rows.{lvl}.reject", ".1%"), ", its bias ",
                          w.n(f"{sim}.rows.{lvl}.bias", "+.3f")]
            parts.append(".")
            out.append(w.s(*parts))
    return out


def ratio_notes(w: Writer, o: str) -> list[Sentence]:
    curve = w.v(f"{o}.sensitivity.curve") if w.has(f"{o}.sensitivity.curve") else []
    idx = [i for i, p in enumerate(curve) if p.get("elasticity_q") is not None
           and 0.3 <= p["content_share"] <= 0.7]
    out = []
    if idx:
        a, b = idx[0], idx[-1]
        c = f"{o}.sensitivity.curve"
        out.append(w.s(
            "Divided by the tariff gap, the vehicle elasticity is ",
            w.n(f"{c}.{a}.elasticity_q", "+.2f"), " at a USMCA non-US content share of ",
            w.n(f"{c}.{a}.content_share", ".1f"), " and ", w.n(f"{c}.{b}.elasticity_q", "+.2f"),
            " at ", w.n(f"{c}.{b}.content_share", ".1f"), "; gamma (zero when buyers pay the "
            "whole duty, minus one when exporters absorb it) is ", w.n(f"{c}.{a}.gamma", "+.2f"), " and ",
            w.n(f"{c}.{b}.gamma", "+.2f"), ". The ratio is only as good as the assumed "
            "exposure of Mexico and Canada, so it is shown as a curve, not as one number."))
    gone = [i for i, p in enumerate(curve) if p.get("elasticity_q") is None]
    if gone:
        out.append(w.s(
            "At content shares from ", w.n(f"{o}.sensitivity.curve.{gone[0]}.content_share",
                                           ".1f"),
            f" the comparison origins were about as exposed as {name(o)} (tariff gap below ",
            w.n(f"{o}.sensitivity.min_gap", ".2f"), " log points): no ratio is identified."))
    return out


def pooled_notes(w: Writer) -> list[Sentence]:
    p = "pooled.elasticity_q_d12"
    if not w.has(f"{p}.coef"):
        return []
    return [w.s(
        "Pooled over all ", w.n(f"{p}.n_clusters", "d"), " origins (12-month differences, "
        "vehicles): ", w.n(f"{p}.coef", "+.2f"), " per log point of tariff; wild cluster "
        "bootstrap p = ", w.p(f"{p}.p_wild"), " (", w.n(f"{p}.n_boot", "d"), " Webb draws); "
        "randomization p = ", w.p(f"{p}.p_ri"), " over the ", w.n(f"{p}.n_assignments", "d"),
        " distinct assignments of the origins' tariff paths (smallest attainable ",
        w.p(f"{p}.min_p_ri"), ").")]


def deal_notes(w: Writer) -> list[Sentence]:
    out = []
    for o in origins(w.results):
        c = f"{o}.deal_cut"
        if w.has(f"{c}.coef"):
            ctrl = ", ".join(name(x) for x in w.v(f"{c}.controls"))
            out.append(w.s(
                f"{name(o)}'s exports to the US relative to {ctrl} ({name(o)}-reported, FOB) "
                f"after the deal cut the duty ({_months(w, f'{c}.post_months')} against "
                f"{_months(w, f'{c}.pre_months')}): ", w.n(f"{c}.coef"), " log points, "
                "conformal p = ", w.p(f"{c}.p_conformal"), " over ", w.n(f"{c}.n_perm", "d"),
                " time permutations (smallest attainable ", w.p(f"{c}.min_p_conformal"),
                ": no 95% interval is attainable)."))
            agree = w.v(f"{c}.signs_agree")
            out.append(w.s(
                "The cut's estimate hangs on the controls and the window: across leave-one-out, "
                "single-destination, rest-of-world, value-weighted controls and an anticipation "
                "window that leaves out the months after the deal's announcement, it runs from ",
                w.n(f"{c}.variant_low"), " to ", w.n(f"{c}.variant_high"),
                (". Every variant has the same sign." if agree else
                 ", so its sign is not robust and no elasticity is read from it.")))
            st = f"{c}.step"
            out.append(w.s(
                "The Section 232 step itself has only ", w.n(f"{st}.n_pre", "d"),
                " pre-tariff months in these data: ", w.n(f"{st}.coef"), " log points (conformal p = ",
                w.p(f"{st}.p_conformal"), ", smallest attainable ", w.p(f"{st}.min_p_conformal"),
                ")."))
        cov = f"{o}.deal_coverage"
        if w.has(f"{cov}.last_month"):
            out.append(w.s(
                f"{name(o)}'s own export series ends in {w.v(f'{cov}.last_month')}, ",
                w.n(f"{cov}.post_deal_days_observed", "d"), f" days after its deal of "
                f"{w.v(f'{cov}.deal_date')}: that cannot identify a response."))
    ex = w.results.get("exposure", {})
    if all(k in ex and "cs50" in ex[k] for k in ("CAN", "MEX")):
        c, m = "exposure.CAN.cs50", "exposure.MEX.cs50"
        out.append(w.s(
            f"Observed USMCA claim shares ({w.v(f'{c}.first_month')} to "
            f"{w.v(f'{c}.last_month')}: Canada ", w.n(f"{c}.claim_share_mean", ".3f"),
            ", Mexico ", w.n(f"{m}.claim_share_mean", ".3f"), " of customs value) put the duty "
            "on Canadian cars at ", w.n(f"{c}.observed_rate_pct", ".2f"), "% and on Mexican "
            "cars at ", w.n(f"{m}.observed_rate_pct", ".2f"), "% for a non-US content share "
            "of ", w.n(f"{c}.content_share", ".1f"), ", against ",
            w.n(f"{c}.assumed_rate_pct", ".2f"), "% in the all-claimed schedule; the "
            "sensitivity curves use both."))
    return out


def price_notes(w: Writer) -> list[Sentence]:
    out = []
    for o in origins(w.results):
        xp = f"{o}.export_prices"
        if not w.has(f"{xp}.average_key"):
            continue
        avg = f"{xp}.{w.v(f'{xp}.average_key')}"
        cur = w.v(f"{avg}.currency").lower()
        months = sorted(k for k in w.v(xp) if k[:4].isdigit())
        parts: list[str | Quote] = [
            f"{name(o)}'s FOB unit value on cars exported to the US, year on year (USD; local "
            "currency in brackets): "]
        for k, m in enumerate(months):
            parts += [("; " if k else "") + m.replace("_", "-") + " ",
                      w.n(f"{xp}.{m}.uv_usd_yoy_pct", "+.1f"), "% (",
                      w.n(f"{xp}.{m}.uv_{cur}_yoy_pct", "+.1f"), "%), p = ",
                      w.p(f"{xp}.{m}.p")]
        parts.append(". Each month is compared with the 12-month change of every baseline "
                     "month by conformal inference; the smallest attainable p is ")
        parts += [w.p(f"{avg}.min_p"), "."]
        out.append(w.s(*parts))
        boj = f"anchors.boj_export_prices.{o}"
        if w.has(boj):
            bm = sorted(w.v(f"{boj}.contract_currency"))
            parts = ["The Bank of Japan's export price index for passenger cars to North "
                     "America (contract currency, year on year, as reported): "]
            for k, m in enumerate(bm):
                parts += [("; " if k else "") + m.replace("_", "-") + " ",
                          w.n(f"{boj}.contract_currency.{m}", "+.1f"), "%"]
            parts.append(". A matched-model index is not moved by the model mix, so its "
                         "agreement with the unit value says the fall is a price cut.")
            out.append(w.s(*parts))
        y = f"{o}.headline"
        d = w.v(f"{y}.design") if w.has(f"{y}.design") else None
        uv = f"{o}.designs.{d}.ln_uv"
        if d and w.has(f"{uv}.coef"):
            out.append(w.s(
                f"At the US border, {name(o)}'s CIF-type unit value relative to "
                f"{_controls(w, o)} moved by ", w.n(f"{uv}.coef"), " log points "
                f"({DESIGN_BY_KEY[d].label} design, conformal p = ", w.p(f"{uv}.p"), "), a mix "
                "of price and model changes."))
    ip = "import_prices.hs8703"
    if w.has(f"{ip}.change_since_2025_03"):
        out.append(w.s(
            "The BLS import price index for cars (all origins, before duty) fell ",
            w.n(f"{ip}.trough_change", ".2f", absolute=True),
            f"% from {w.v(f'{ip}.base_month')} to {w.v(f'{ip}.trough_month')} and stood ",
            w.n(f"{ip}.change_since_2025_03", ".2f", absolute=True),
            f"% below its {w.v(f'{ip}.base_month')} level in {w.v(f'{ip}.last_month')}."))
    return out


def h1_notes(w: Writer) -> list[Sentence]:
    h = w.results.get("h1_2026", {})
    rows = [o for o in origins(w.results) if o in h]
    if not rows:
        return []
    parts: list[str | Quote] = [
        "January-June 2026, with the deals in force, against the same months of 2024 "
        "(US imports of HS 8703; values only, one period, no inference): "]
    for k, o in enumerate(rows):
        b = f"h1_2026.{o}"
        parts += [("; " if k else "") + f"{name(o)} US$", w.n(f"{b}.value_bn", ".1f"), " bn, ",
                  w.n(f"{b}.change_vs_h1_2024_pct", "+.0f"), "%"]
        if w.has(f"{b}.relative_to_controls"):
            parts += [" (", w.n(f"{b}.relative_to_controls", "+.3f"),
                      " log points relative to the comparison origins)"]
    for c in w.v("h1_2026._note.controls"):
        if w.has(f"h1_2026.{c}.change_vs_h1_2024_pct"):
            parts += [f"; {name(c)} ", w.n(f"h1_2026.{c}.change_vs_h1_2024_pct", "+.0f"), "%"]
    parts.append(". The 2024 values are Comtrade's CIF-type imports and the 2026 basis is not "
                 "stated, so the levels differ by a few percent.")
    out = [w.s(*parts)]
    for o in rows:
        b = f"h1_2026.{o}"
        if w.has(f"{b}.own_exports_bn"):
            out.append(w.s(
                f"{name(o)}'s own export statistics for the same months give US$",
                w.n(f"{b}.own_exports_bn", ".2f"), " bn against US imports of US$",
                w.n(f"{b}.value_bn", ".2f"), " bn (FOB against the US value, one month of "
                "shipping apart)."))
    return out


def identification_notes(results: Mapping[str, Any]) -> dict[str, list[Sentence]]:
    """Topic -> sentences for the report's "What the shipped data can and cannot say"; topics
    carry a letter so that the report (which sorts topics) shows them in reading order."""
    w = Writer(results)
    notes: dict[str, list[Sentence]] = {"A: what the shipped data can and cannot say":
                                        general_notes(w)}
    for k, o in enumerate(origins(results), start=1):
        notes[f"B{k}: {name(o)}: the gap, the designs and the headline"] = origin_notes(w, o)
        r = ratio_notes(w, o)
        if r:
            notes[f"C{k}: ratios for {name(o)} depend on the comparison origins' exposure"] = r
    for key, sents in (("D: pooled estimates over all origins", pooled_notes(w)),
                       ("E: after the deals", deal_notes(w)),
                       ("F: who paid: prices", price_notes(w)),
                       ("G: January-June 2026", h1_notes(w))):
        if sents:
            notes[key] = sents
    return notes


def findings_markdown(sentences: list[Sentence]) -> str:
    """The README's generated findings block (one paragraph)."""
    return " ".join(s.text for s in sentences)


def write_findings(answer: list[Sentence], ident: Mapping[str, list[Sentence]],
                   reports_dir) -> dict[str, Any]:
    """``findings.md`` (the README block) and ``findings.json`` (every sentence with the key,
    format and printed text of each of its numbers, for the findings test)."""
    from pathlib import Path

    from autotariffs import atomic

    reports_dir = Path(reports_dir)
    payload = {"plain_answer": [s.to_dict() for s in answer],
               "identification": {t: [s.to_dict() for s in v] for t, v in ident.items()}}
    return {"json": atomic.write_json(payload, reports_dir / "findings.json"),
            "md": atomic.write_text(findings_markdown(answer) + "\n",
                                    reports_dir / "findings.md")}
