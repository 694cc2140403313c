"""The headline table as a referee reads it, and the identification notes in design order.

A declared headline key whose parent holds a ``coef`` makes that parent one estimate row
(estimate, 95% interval, valid p-values, baseline/post months, placebos), grouped under a heading
that says, in words, which origin against which comparison and over which months; other keys
(validation counts) become single numbers with a plain label. Every number keeps its dotted key
(``data-key``) for machine checks, never as visible text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import markupsafe

from autotariffs.labels import DESIGN_LABELS, OUTCOME_LABELS, fmt_num, origin_name, origin_rank
from autotariffs.outputs import ReportError
from autotariffs.report.merge import get_dotted

#: Result groups shown in the headline table although no notebook declared them (section E).
EXTRA_HEADLINE_GROUPS = ("deal_cut",)
#: Plain labels of single headline numbers that are not an estimate (last key part -> label).
NUMBER_LABELS = {
    "n_matched": "terms within 5e-4 of the reference re-estimation",
    "n_terms": "terms re-estimated from two gravity benchmarks",
}
SECTION_LABELS = {"validation": "Validation of the estimators"}
OUTCOME_ORDER = tuple(OUTCOME_LABELS)[:3]
ESTIMATE_FIELDS = ("coef", "ci95_low", "ci95_high", "p_conformal", "p_placebo")
SHOWN_FIELDS = ESTIMATE_FIELDS + (
    "p",
    "min_p",
    "n_pre",
    "n_post",
    "n_placebos",
    "min_p_conformal",
    "min_p_placebo",
    "n_perm_conformal",
    "n_perm",
    "label",
)
#: Plain labels of other declared numbers of an estimate's group (shown in its "other" cell).
FIELD_LABELS = {
    "se": "standard error",
    "pct": "change (%)",
    "p_conformal_ts": "p, conformal (time-series counterfactual)",
    "n_obs": "observations",
    "n_clusters": "clusters",
}


def _outcome_rank(name: str) -> tuple[int, str]:
    return (OUTCOME_ORDER.index(name) if name in OUTCOME_ORDER else len(OUTCOME_ORDER), name)


def _cell(group: Mapping[str, Any], prefix: str, field: str) -> dict[str, Any]:
    """One number of a result group: its dotted key and display text (None if absent)."""
    val = group.get(field)
    if val is None or isinstance(val, bool) or not isinstance(val, int | float):
        return {"key": None, "text": None}
    return {"key": f"{prefix}.{field}", "text": fmt_num(val, f"{prefix}.{field}")}


def _group_title(merged: Mapping[str, Any], prefix: str) -> tuple[str, str]:
    """(group heading, outcome label) of a result group, in words."""
    parts = prefix.split(".")
    top = parts[0]
    node = get_dotted(merged, prefix)
    if len(parts) >= 3 and parts[1] == "reduced_form":
        design = merged.get(top, {}).get("reduced_form", {}).get("design", {})
        ctrl = ", ".join(origin_name(c) for c in design.get("controls", []))
        when = design.get("event_month", "")
        heading = f"{origin_name(top)}: US imports after the {when} tariff step".replace("  ", " ")
        if ctrl:
            heading += f", against {ctrl}"
        if design.get("pre_start") and design.get("post_end"):
            heading += (f" (baseline {design['pre_start']} to {design['pre_end']}, "
                        f"post {design['post_start']} to {design['post_end']})")  # fmt: skip
        return heading, str(node.get("label") or parts[-1])
    if len(parts) == 2 and parts[1] == "headline":
        win = merged.get(top, {}).get("window", {})
        ctrl = ", ".join(origin_name(c) for c in win.get("controls", []))
        heading = (f"{origin_name(top)}: US car imports after the {win.get('post_start', '')} "
                   f"tariff step, against {ctrl}; {DESIGN_LABELS.get(node.get('design'), '')} "
                   f"design (baseline {win.get('pre_start')} to {win.get('pre_end')}, post "
                   f"{win.get('post_start')} to {win.get('post_end')})")
        return heading, OUTCOME_LABELS.get(node.get("outcome"), str(node.get("outcome")))
    if parts[-1] == "deal_cut":
        ctrl = ", ".join(origin_name(c) for c in node.get("controls", []))
        heading = f"{origin_name(top)}: exports to the US after the deal's tariff cut"
        if node.get("event"):
            heading += f" ({node['event']})"
        if ctrl:
            heading += f", against exports to {ctrl}"
        return heading, "log export value (FOB)"
    words = " / ".join(x.replace("_", " ") for x in parts[1:-1] or parts[1:])
    return (
        f"{origin_name(top)}: {words}" if words else origin_name(top),
        str(node.get("label") or parts[-1].replace("_", " ")),
    )


def headline_table(
    merged: Mapping[str, Any],
    runs: Mapping[str, Any],
    origin: Mapping[str, str],
    keys: Iterable[str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The headline as a referee reads it: ``(groups, numbers)``.

    A declared key whose parent holds a ``coef`` makes that parent one *estimate row* (estimate,
    95% interval, valid p-values with their method, baseline/post months, number of placebos);
    rows are grouped by heading and each group names its run and parameters once. Other keys
    (e.g. validation counts) become *numbers* with a plain label. Every number keeps its dotted
    key for machine checks (``data-key``), never as visible text.
    """
    parents: list[str] = []
    numbers: list[dict[str, Any]] = []
    extras: dict[str, list[str]] = {}
    for key in keys:
        try:
            val = get_dotted(merged, key)
        except KeyError as exc:
            raise ReportError(f"headline key not found in results: {exc}") from None
        parent = key.rsplit(".", 1)[0] if "." in key else ""
        pnode = get_dotted(merged, parent) if parent else merged
        if parent and isinstance(pnode, Mapping) and "coef" in pnode:
            if parent not in parents:
                parents.append(parent)
            if key.rsplit(".", 1)[-1] not in SHOWN_FIELDS:
                extras.setdefault(parent, []).append(key)
            continue
        leaf = key.rsplit(".", 1)[-1]
        section = key.split(".")[0]
        label = NUMBER_LABELS.get(leaf, key.replace("_", " ").replace(".", " / "))
        run = origin.get(key, "")
        numbers.append({
            "key": key, "section": SECTION_LABELS.get(section, section.replace("_", " ")),
            "label": label, "value": fmt_num(val, key), "run": run,
            "notebook": runs[run]["notebook"] if run in runs else run,
        })  # fmt: skip
    # result groups nobody declared but the headline needs (Korea's deal cut, section E)
    for top in sorted(merged):
        for name in EXTRA_HEADLINE_GROUPS:
            node = merged[top].get(name) if isinstance(merged[top], Mapping) else None
            if isinstance(node, Mapping) and "coef" in node and f"{top}.{name}" not in parents:
                parents.append(f"{top}.{name}")
    parents.sort(
        key=lambda p: (
            p.split(".")[1] in EXTRA_HEADLINE_GROUPS if "." in p else False,
            origin_rank(p.split(".")[0]),
            _outcome_rank(p.rsplit(".", 1)[-1]),
        )
    )
    groups: dict[str, dict[str, Any]] = {}
    for prefix in parents:
        node = get_dotted(merged, prefix)
        heading, outcome = _group_title(merged, prefix)
        run = origin.get(f"{prefix}.coef") or origin.get(prefix, "")
        g = groups.setdefault(heading, {"heading": heading, "run": run, "rows": []})
        n_perm = node.get("n_perm_conformal", node.get("n_perm"))
        g["rows"].append({
            "outcome": outcome,
            **{f: _cell(node, prefix, f) for f in ESTIMATE_FIELDS + ("n_pre", "n_post",
                                                                     "n_placebos")},
            # a design result names its conformal p and its floor ``p`` and ``min_p``
            **({"p_conformal": _cell(node, prefix, "p")} if "p_conformal" not in node else {}),
            "min_p_conformal": _cell(node, prefix, "min_p_conformal" if "min_p_conformal" in node
                                     else "min_p"),
            "min_p_placebo": _cell(node, prefix, "min_p_placebo"),
            "n_perm": fmt_num(n_perm, "n_perm") if n_perm is not None else None,
            "extras": [
                {**_cell(node, prefix, k.rsplit(".", 1)[-1]),
                 "label": FIELD_LABELS.get(k.rsplit(".", 1)[-1],
                                           k.rsplit(".", 1)[-1].replace("_", " "))}
                for k in extras.get(prefix, [])
            ],
        })  # fmt: skip
    out = list(groups.values())
    for g in out:
        g["has_extras"] = any(r["extras"] for r in g["rows"])
    return out, numbers


_ORIGIN_WORD = re.compile(r"\b[A-Z]{3}\b")


def _topic_order(topic: str) -> tuple:
    """Topics by their letter (A, B, ...), then the origins they name in design order."""
    letter = topic.split(":", 1)[0]
    return (letter, [origin_rank(c) for c in _ORIGIN_WORD.findall(topic)], topic)


def identification(merged: Mapping[str, Any], override: Any) -> list[dict[str, Any]]:
    """Identification notes as [{"topic", "notes": [str]}], an origin's topics in design order."""
    src = override if override is not None else merged.get("identification")
    if not src:
        return []
    if isinstance(src, str | list):
        src = {"": src}
    out = []
    for topic in sorted(src, key=_topic_order):
        val = src[topic]
        items = [val] if isinstance(val, str) else [
            v if isinstance(v, markupsafe.Markup) else str(v) for v in val]
        out.append({"topic": topic, "notes": items})
    return out


def in_columns(blocks: list[dict[str, Any]], k: int = 3) -> list[list[dict[str, Any]]]:
    """The topics in ``k`` consecutive groups of about equal length (read column by column).

    Laid out as grid columns, a topic is never split and no heading is left at the foot of a
    column; on a narrow screen the groups stack in reading order.
    """
    if not blocks:
        return []
    size = [200 + sum(len(n) for n in b["notes"]) for b in blocks]  # a heading ~ 200 characters

    def longest(cuts: tuple[int, ...]) -> int:
        edges = (0, *cuts, len(blocks))
        return max(sum(size[a:b]) for a, b in zip(edges, edges[1:], strict=False))

    n = len(blocks)
    options = [tuple(sorted(c)) for c in _cut_points(n, min(k, n) - 1)]
    cuts = min(options, key=lambda c: (longest(c), c))
    edges = (0, *cuts, n)
    return [blocks[a:b] for a, b in zip(edges, edges[1:], strict=False)]


def _cut_points(n: int, m: int) -> list[tuple[int, ...]]:
    """Every choice of ``m`` increasing cut positions in 1..n-1."""
    if m == 0:
        return [()]
    from itertools import combinations

    return list(combinations(range(1, n), m))
