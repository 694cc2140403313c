"""Assemble the pipeline's outputs into ``results.json``, a figure registry and ``index.html``.

Contract with the notebooks (each notebook writes only its own small files, so parallel
notebooks never race on a shared file):

* numbers: ``reports/results/<notebook>[_<params>].json`` -- a JSON object whose top-level keys
  are the stable result sections it contributes (e.g. ``{"KOR": {"elasticity": {...}}}``) plus an
  optional ``"_meta": {"notebook": ..., "params": {...}, "headline": ["KOR.elasticity.coef"]}``
  block (use :func:`autotariffs.outputs.write_results`, which fills it in);
* tables: ``reports/tables/<table_id>.csv`` plus sidecar ``<table_id>.json``
  (``{"id", "title", "caption", "notebook", "params"}``; :func:`autotariffs.outputs.register_table` writes it);
* figures: ``autotariffs.figures.save(fig, fig_id)`` plus :func:`autotariffs.outputs.register_figure`, which writes the
  sidecar ``reports/figures/<fig_id>.json``.

:func:`build_report` (called by the last notebook) merges the result files (refusing silent
overwrites), writes ``figures/registry.csv`` and renders ``index.html``. The page is static HTML
with relative links only (opens from disk, no CDN, no JavaScript) and carries no timestamp: the git
commit identifies the run, so two builds from the same inputs are byte-identical.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import pandas as pd

import autotariffs
from autotariffs import atomic as aio
from autotariffs.outputs import META_KEY, ReportError

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "report.html.j2"
# Paths that the pipeline itself writes; changes there must not mark the source tree "dirty".
GENERATED_PATHS = ("reports", "data/processed", "data/raw/fetched")
FIGURE_FIELDS = ("id", "title", "caption", "notebook", "params", "source_note")
TABLE_FIELDS = ("id", "title", "caption", "notebook", "params")
#: Longer tables show their first rows on the page and link the full CSV.
TABLE_PREVIEW_ROWS = 20
#: PNG text key under which :func:`autotariffs.figures.save` records the note drawn in the image.
PNG_NOTE_KEY = "Source note"
REGISTRY_COLUMNS = ["fig_id", "title", "notebook", "params", "png", "pdf"]


# --------------------------------------------------------------------------- results
def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}: not valid JSON ({exc})") from exc


def _deep_merge(
    dst: dict[str, Any], src: Mapping[str, Any], origin: dict[str, str], source: str, prefix: str
) -> None:
    """Merge ``src`` into ``dst``; a leaf set twice to different values is an error."""
    for key, val in src.items():
        if "." in key:
            raise ReportError(
                f"{source}: key {prefix + key!r} contains '.', which is reserved for dotted paths"
            )
        path = prefix + key
        if isinstance(val, Mapping) and isinstance(dst.get(key, {}), dict):
            sub = dst.setdefault(key, {})
            origin.setdefault(path, source)
            _deep_merge(sub, val, origin, source, path + ".")
        elif key in dst and dst[key] != val:
            raise ReportError(
                f"results key {path!r} is set by both {origin.get(path)}.json and {source}.json with "
                "different values; each result must come from exactly one notebook/parameter run"
            )
        else:
            dst[key] = val
            origin.setdefault(path, source)


def merge_results(
    results_dir: str | os.PathLike[str],
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """Merge every ``*.json`` in ``results_dir`` (sorted by name).

    Returns ``(merged, runs, origin)``: ``merged`` without ``_meta`` blocks; ``runs`` maps each file
    stem to ``{"notebook", "params", "headline", "keys"}`` (``keys``: top-level sections it wrote);
    ``origin`` maps each dotted key to the file stem that set it.
    """
    results_dir = Path(results_dir)
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    runs: dict[str, Any] = {}
    files = sorted(results_dir.glob("*.json")) if results_dir.is_dir() else []
    for path in files:
        data = _read_json(path)
        if not isinstance(data, dict):
            raise ReportError(
                f"{path}: expected a JSON object at top level, got {type(data).__name__}"
            )
        meta = data.pop(META_KEY, None) or {}
        if "meta" in data:
            raise ReportError(f"{path}: top-level key 'meta' is reserved for build_report")
        notebook = meta.get("notebook") or path.stem
        runs[path.stem] = {
            "notebook": notebook,
            "params": meta.get("params", {}),
            "headline": sorted(meta.get("headline", [])),
            "keys": sorted(data),
        }
        _deep_merge(merged, data, origin, path.stem, "")
    return merged, runs, origin


def get_dotted(obj: Mapping[str, Any], key: str) -> Any:
    """``get_dotted(results, "KOR.elasticity.coef")``; raises KeyError naming the missing part."""
    cur: Any = obj
    for i, part in enumerate(key.split(".")):
        if not isinstance(cur, Mapping) or part not in cur:
            raise KeyError(f"{key!r}: no key {part!r} at {'.'.join(key.split('.')[:i]) or '<top>'}")
        cur = cur[part]
    return cur


def _numeric_leaves(obj: Any, prefix: str = "") -> list[str]:
    out: list[str] = []
    if isinstance(obj, Mapping):
        for k in sorted(obj):
            out.extend(_numeric_leaves(obj[k], f"{prefix}{k}."))
    elif isinstance(obj, int | float) and not isinstance(obj, bool):
        out.append(prefix[:-1])
    return out


_P_LEAF = re.compile(r"^(min_)?p($|_)")
_COUNT_LEAF = re.compile(r"^(n|min_n)($|_)")


def is_p_value_key(key: str | None) -> bool:
    """A dotted key whose last part names a p-value: ``p``, ``p_conformal``, ``min_p_placebo``."""
    return bool(key) and bool(_P_LEAF.match(str(key).rsplit(".", 1)[-1]))


def format_number(value: Any, key: str | None = None) -> str:
    """Display rule for numbers read from results.json (tests rely on it).

    * missing, boolean or non-finite: ``n/a``;
    * integers (and integer-valued floats under a count key ``n_...``): as integers, ``148``;
    * p-values (last key part ``p``, ``p_...`` or ``min_p...``): ``< 0.001`` or 3 decimals;
    * everything else: 3 decimals.
    """
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return "n/a"
    if not math.isfinite(value):
        return "n/a"
    leaf = str(key).rsplit(".", 1)[-1] if key else ""
    if isinstance(value, int) or (_COUNT_LEAF.match(leaf) and float(value).is_integer()):
        return f"{int(value):,}"
    if is_p_value_key(key):
        return "< 0.001" if value < 0.001 else f"{value:.3f}"
    return f"{value:.3f}"


# --------------------------------------------------------------------------- inline Markdown
_MD_CODE = re.compile(r"`([^`\n]+)`")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\(([^()\s]+)\)")
_MD_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_MD_EM = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_SAFE_URL = re.compile(r"^(https?://|#|[A-Za-z0-9_./-]+$)")


def inline_markdown(text: Any) -> markupsafe.Markup:
    """Render the inline Markdown of a caption or note as safe HTML.

    The text is HTML-escaped first; then only code spans (`` `x` ``), ``**strong**``,
    ``*emphasis*`` and ``[links](target)`` (relative, ``#anchor`` or http(s) targets) become
    tags. Anything else (block syntax, raw HTML) stays literal text. Text that is already
    safe HTML (:class:`markupsafe.Markup`, e.g. the narrative's keyed sentences) is kept.
    """
    if isinstance(text, markupsafe.Markup):
        return text
    esc = str(markupsafe.escape("" if text is None else str(text)))
    codes: list[str] = []

    def _code(m: re.Match[str]) -> str:
        codes.append(f"<code>{m.group(1)}</code>")
        return f"\x00{len(codes) - 1}\x00"

    out = _MD_CODE.sub(_code, esc)  # code spans first: nothing inside them is Markdown

    def _link(m: re.Match[str]) -> str:
        label, url = m.group(1), m.group(2)
        if not _SAFE_URL.match(url.replace("&amp;", "&")):
            return m.group(0)
        return f'<a href="{url}">{label}</a>'

    out = _MD_LINK.sub(_link, out)
    out = _MD_STRONG.sub(r"<strong>\1</strong>", out)
    out = _MD_EM.sub(r"<em>\1</em>", out)
    out = re.sub("\x00(\\d+)\x00", lambda m: codes[int(m.group(1))], out)
    return markupsafe.Markup(out)


# --------------------------------------------------------------------------- git / provenance
def git_commit(repo_dir: str | os.PathLike[str]) -> tuple[str, bool]:
    """``(commit, dirty)``; ``("unknown", False)`` outside git. Generated paths are ignored."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo_dir, capture_output=True, text=True, timeout=30
        )
        if head.returncode != 0:
            return "unknown", False
        excludes = [f":(exclude){p}" for p in GENERATED_PATHS]
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", ".", *excludes],
            cwd=repo_dir,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown", False
    return head.stdout.strip(), bool(status.stdout.strip())


def _provenance_sources(text: str) -> tuple[str, dict[str, str]]:
    """Parse a PROVENANCE.md: its title and a {file name: source description} map.

    Understands the two layouts used in data/raw: markdown tables with a ``source`` column, and
    ``### N. `file``` sections with ``* Source repo:`` / ``* Original source:`` bullets.
    """
    lines = text.splitlines()
    title = next((ln.lstrip("# ").strip() for ln in lines if ln.startswith("# ")), "")
    sources: dict[str, str] = {}
    header: list[str] | None = None
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith("|") and s.endswith("|"):
            cells = [c.strip() for c in s.strip("|").split("|")]
            if header is None:
                header = [c.lower() for c in cells]
                continue
            if all(set(c) <= set("-: ") for c in cells):
                continue
            m = re.match(r"^`([^`]+)`$", cells[0])
            col = next((j for j, h in enumerate(header) if h.startswith("source")), None)
            if m is None and col is None:
                continue
            if col is None:
                col = next((j for j, h in enumerate(header) if "publisher" in h), None)
            if m and col is not None and col < len(cells) and m.group(1) not in sources:
                sources[m.group(1)] = re.sub(r"<br>.*", " (+ more)", cells[col]).replace("`", "")
        else:
            header = None
            m = re.match(r"^#{2,4}\s+(?:\d+\.\s*)?`([^`]+)`", s)
            if m and m.group(1) not in sources:
                desc = _section_sources(lines[i + 1 : i + 40])
                if desc:
                    sources[m.group(1)] = desc
    return title, sources


_BULLET = re.compile(
    r"^\*\s+(Original source|Original publisher|Source repo[^:,]*|Same repo[^:,]*)[:,]?\s*(.*)$"
)


def _section_sources(lines: list[str], width: int = 220) -> str:
    """'Original: ...; via: ...' from the bullets of one ``### `file``` section."""
    found: dict[str, str] = {}
    current: str | None = None
    for raw in lines:
        if raw.startswith("#"):
            break
        s = raw.strip()
        m = _BULLET.match(s)
        if m:
            kind = "original" if m.group(1).startswith("Original") else "via"
            current = kind if kind not in found else None
            if current:
                found[current] = m.group(2)
        elif s.startswith("*") or not s:
            current = None
        elif current:
            found[current] += " " + s
    parts = [f"{k}: {found[k]}" for k in ("original", "via") if k in found]
    text = "; ".join(p.rstrip(". ") for p in parts).replace("`", "").replace("**", "")
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def provenance_summary(raw_dir: str | os.PathLike[str]) -> list[dict[str, str]]:
    """One row per file in ``raw_dir/SHA256SUMS``: file, folder title, source, sha256 prefix."""
    raw_dir = Path(raw_dir)
    sums = raw_dir / "SHA256SUMS"
    if not sums.is_file():
        raise ReportError(
            f"{sums}: checksum manifest not found (expected '<sha256>  <path>' lines)"
        )
    parsed: dict[str, tuple[str, dict[str, str]]] = {}
    rows = []
    for n, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        m = re.match(r"^([0-9a-f]{64})\s+\*?(.+)$", line.strip())
        if not m:
            raise ReportError(f"{sums}, line {n}: expected '<64 hex sha256>  <path>', got {line!r}")
        sha, rel = m.group(1), m.group(2)
        folder = rel.split("/")[0] if "/" in rel else ""
        if folder not in parsed:
            prov = raw_dir / folder / "PROVENANCE.md"
            parsed[folder] = (
                _provenance_sources(prov.read_text(encoding="utf-8"))
                if prov.is_file()
                else ("", {})
            )
        title, sources = parsed[folder]
        name = rel.split("/")[-1]
        source = sources.get(name, "")
        if not source and (
            name in ("PROVENANCE.md", "SOURCES.md", "SHA256SUMS")
            or name.lower().startswith("manifest")
        ):
            source = "documentation / manifest of this folder"
        rows.append(
            {
                "file": rel,
                "folder": title,
                "source": source or "see PROVENANCE.md",
                "sha256": sha[:12],
            }
        )
    return sorted(rows, key=lambda r: r["file"])


# --------------------------------------------------------------------------- figures and tables
def _params_text(params: Any) -> str:
    if not params:
        return "defaults"
    if isinstance(params, Mapping):
        return ", ".join(f"{k}={params[k]}" for k in sorted(params))
    return str(params)


def _source_text(fig: Mapping[str, Any]) -> str:
    note = str(fig.get("source_note") or "").strip() or "see the producing notebook"
    return note if note.lower().startswith("source") else f"Source: {note}"


def png_text(path: str | os.PathLike[str]) -> dict[str, str]:
    """The text chunks (``tEXt``, ``zTXt``, ``iTXt``) of a PNG file as {keyword: text}; stdlib only."""
    import zlib

    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return {}
    out: dict[str, str] = {}
    pos = 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        key, _, rest = body.partition(b"\x00")
        if kind == b"tEXt":
            out[key.decode("latin-1")] = rest.decode("latin-1")
        elif kind == b"zTXt":
            out[key.decode("latin-1")] = zlib.decompress(rest[1:]).decode("latin-1")
        elif kind == b"iTXt":
            flag, text = rest[0], rest[2:].split(b"\x00", 2)[-1]
            out[key.decode("latin-1")] = (zlib.decompress(text) if flag else text).decode("utf-8")
        elif kind == b"IEND":
            break
        pos += 12 + length
    return out


def collect_figures(figures_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read every figure sidecar; check each PNG/PDF exists and no figure lacks a sidecar."""
    figures_dir = Path(figures_dir)
    figs: list[dict[str, Any]] = []
    problems: list[str] = []
    sidecars = sorted(figures_dir.glob("*.json")) if figures_dir.is_dir() else []
    for path in sidecars:
        meta = _read_json(path)
        if not isinstance(meta, dict):
            problems.append(f"{path}: expected a JSON object")
            continue
        missing = [f for f in FIGURE_FIELDS if f not in meta]
        if missing:
            problems.append(f"{path}: missing field(s) {missing} (expected {list(FIGURE_FIELDS)})")
            continue
        if meta["id"] != path.stem:
            problems.append(f"{path}: id {meta['id']!r} does not match the file name {path.stem!r}")
        for ext in ("png", "pdf"):
            if not (figures_dir / f"{path.stem}.{ext}").is_file():
                problems.append(
                    f"figure {path.stem!r} (registered by notebook {meta['notebook']!r}): "
                    f"file {figures_dir / (path.stem + '.' + ext)} is missing; "
                    "re-run that notebook (autotariffs.figures.save writes PNG and PDF)"
                )
        png = figures_dir / f"{path.stem}.png"
        meta["note_in_image"] = bool(png.is_file() and png_text(png).get(PNG_NOTE_KEY))
        figs.append(meta)
    registered = {p.stem for p in sidecars}
    for png in sorted(figures_dir.glob("*.png")) if figures_dir.is_dir() else []:
        if png.stem not in registered:
            problems.append(
                f"{png}: figure has no sidecar {png.stem}.json; call "
                "autotariffs.outputs.register_figure(...) in the notebook that saves it"
            )
    if problems:
        raise ReportError("figure registry problems:\n  " + "\n  ".join(problems))
    figs.sort(key=lambda f: (str(f["notebook"]), f["id"]))
    return figs


def _format_cell(text: str) -> str:
    """Tables show CSV text, but long floats are rounded to 3 decimals for reading."""
    if re.fullmatch(r"-?\d+\.\d{4,}(e[-+]?\d+)?", text, flags=re.I) or re.fullmatch(
        r"-?\d+(\.\d+)?e[-+]?\d+", text, flags=re.I
    ):
        val = float(text)
        if val != 0 and abs(val) < 1e-3:
            return f"{val:.3g}"
        return f"{val:.3f}"
    return text


def collect_tables(tables_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read every table CSV with its sidecar; a CSV without sidecar (or vice versa) is an error."""
    tables_dir = Path(tables_dir)
    out: list[dict[str, Any]] = []
    problems: list[str] = []
    csvs = {p.stem: p for p in tables_dir.glob("*.csv")} if tables_dir.is_dir() else {}
    metas = {p.stem: p for p in tables_dir.glob("*.json")} if tables_dir.is_dir() else {}
    for stem in sorted(set(csvs) | set(metas)):
        if stem not in metas:
            problems.append(
                f"{csvs[stem]}: table has no sidecar {stem}.json with {list(TABLE_FIELDS)}; "
                "write it with autotariffs.outputs.register_table"
            )
            continue
        if stem not in csvs:
            problems.append(f"{metas[stem]}: sidecar without table file {stem}.csv")
            continue
        meta = _read_json(metas[stem])
        missing = [f for f in TABLE_FIELDS if not isinstance(meta, dict) or f not in meta]
        if missing:
            problems.append(f"{metas[stem]}: missing field(s) {missing}")
            continue
        df = pd.read_csv(csvs[stem], dtype=str, keep_default_na=False)
        rows = [[_format_cell(v) for v in row] for row in df.itertuples(index=False, name=None)]
        out.append({
            **meta, "columns": list(df.columns), "rows": rows[:TABLE_PREVIEW_ROWS],
            "n_rows": len(rows), "csv": f"{stem}.csv",
        })  # fmt: skip
    if problems:
        raise ReportError("table problems:\n  " + "\n  ".join(problems))
    out.sort(key=lambda t: (str(t["notebook"]), t["id"]))
    return out


def write_registry(figures: list[dict[str, Any]], path: str | os.PathLike[str]) -> Path:
    """``registry.csv``: one row per figure, sorted by fig_id; paths relative to the figure dir."""
    rows = [
        {
            "fig_id": f["id"],
            "title": f["title"],
            "notebook": f["notebook"],
            "params": json.dumps(f["params"], sort_keys=True),
            "png": f"{f['id']}.png",
            "pdf": f"{f['id']}.pdf",
        }
        for f in sorted(figures, key=lambda f: f["id"])
    ]
    return aio.write_csv(pd.DataFrame(rows, columns=REGISTRY_COLUMNS), path)


# --------------------------------------------------------------------------- headline table
#: Plain names of origin codes (kept here: the report must not import matplotlib via figures).
ORIGIN_NAMES = {"KOR": "Korea", "JPN": "Japan", "DEU": "Germany", "MEX": "Mexico", "CAN": "Canada",
                "GBR": "United Kingdom", "EUN": "EU-27", "USA": "United States", "AUS": "Australia",
                "SAU": "Saudi Arabia"}  # fmt: skip
#: Result groups shown in the headline table although no notebook declared them (section E).
EXTRA_HEADLINE_GROUPS = ("deal_cut",)
#: Plain labels of single headline numbers that are not an estimate (last key part -> label).
NUMBER_LABELS = {
    "n_matched": "reproduced terms that match the published value",
    "n_terms": "terms reproduced from published tables",
}
SECTION_LABELS = {"validation": "Validation of the estimators"}
OUTCOME_ORDER = ("ln_q", "ln_v", "ln_uv")
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


def _plain(code: str) -> str:
    return ORIGIN_NAMES.get(code, code)


def _cell(group: Mapping[str, Any], prefix: str, field: str) -> dict[str, Any]:
    """One number of a result group: its dotted key and display text (None if absent)."""
    val = group.get(field)
    if val is None or isinstance(val, bool) or not isinstance(val, int | float):
        return {"key": None, "text": None}
    return {"key": f"{prefix}.{field}", "text": format_number(val, f"{prefix}.{field}")}


def _group_title(merged: Mapping[str, Any], prefix: str) -> tuple[str, str]:
    """(group heading, outcome label) of a result group, in words."""
    parts = prefix.split(".")
    top = parts[0]
    node = get_dotted(merged, prefix)
    if len(parts) >= 3 and parts[1] == "reduced_form":
        design = merged.get(top, {}).get("reduced_form", {}).get("design", {})
        ctrl = ", ".join(_plain(c) for c in design.get("controls", []))
        when = design.get("event_month", "")
        heading = f"{_plain(top)}: US imports after the {when} tariff step".replace("  ", " ")
        if ctrl:
            heading += f", against {ctrl}"
        if design.get("pre_start") and design.get("post_end"):
            heading += (f" (baseline {design['pre_start']} to {design['pre_end']}, "
                        f"post {design['post_start']} to {design['post_end']})")  # fmt: skip
        return heading, str(node.get("label") or parts[-1])
    if parts[-1] == "deal_cut":
        ctrl = ", ".join(_plain(c) for c in node.get("controls", []))
        heading = f"{_plain(top)}: exports to the US after the deal's tariff cut"
        if node.get("event"):
            heading += f" ({node['event']})"
        if ctrl:
            heading += f", against exports to {ctrl}"
        return heading, "log export value (FOB)"
    words = " / ".join(x.replace("_", " ") for x in parts[1:-1] or parts[1:])
    return (
        f"{_plain(top)}: {words}" if words else _plain(top),
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
            "label": label, "value": format_number(val, key), "run": run,
            "params": _params_text(runs[run]["params"]) if run in runs else "",
        })  # fmt: skip
    # result groups nobody declared but the headline needs (Korea's deal cut, section E)
    for top in sorted(merged):
        for name in EXTRA_HEADLINE_GROUPS:
            node = merged[top].get(name) if isinstance(merged[top], Mapping) else None
            if isinstance(node, Mapping) and "coef" in node and f"{top}.{name}" not in parents:
                parents.append(f"{top}.{name}")
    rank = {code: i for i, code in enumerate(ORIGIN_NAMES)}
    parents.sort(
        key=lambda p: (
            p.split(".")[1] in EXTRA_HEADLINE_GROUPS if "." in p else False,
            rank.get(p.split(".")[0], len(rank)),
            p.split(".")[0],
            _outcome_rank(p.rsplit(".", 1)[-1]),
        )
    )
    groups: dict[str, dict[str, Any]] = {}
    for prefix in parents:
        node = get_dotted(merged, prefix)
        heading, outcome = _group_title(merged, prefix)
        run = origin.get(f"{prefix}.coef") or origin.get(prefix, "")
        g = groups.setdefault(heading, {
            "heading": heading, "run": run,
            "params": _params_text(runs[run]["params"]) if run in runs else "", "rows": [],
        })  # fmt: skip
        n_perm = node.get("n_perm_conformal", node.get("n_perm"))
        g["rows"].append({
            "outcome": outcome,
            **{f: _cell(node, prefix, f) for f in ESTIMATE_FIELDS + ("n_pre", "n_post",
                                                                     "n_placebos")},
            **({"p_conformal": _cell(node, prefix, "p")} if "p_conformal" not in node else {}),
            "min_p_conformal": _cell(node, prefix, "min_p_conformal" if "min_p_conformal" in node
                                     else "min_p"),
            "min_p_placebo": _cell(node, prefix, "min_p_placebo"),
            "n_perm": format_number(n_perm, "n_perm") if n_perm is not None else None,
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


# --------------------------------------------------------------------------- build
def _identification(merged: Mapping[str, Any], override: Any) -> list[dict[str, Any]]:
    """Normalise identification notes to [{"topic", "notes": [str]}]."""
    src = override if override is not None else merged.get("identification")
    if not src:
        return []
    if isinstance(src, str):
        src = {"": src}
    if isinstance(src, list):
        src = {"": src}
    out = []
    for topic in sorted(src):
        val = src[topic]
        items = [val] if isinstance(val, str) else [
            v if isinstance(v, markupsafe.Markup) else str(v) for v in val]
        out.append({"topic": topic, "notes": items})
    return out


def build_report(
    reports_dir: str | os.PathLike[str] | None = None,
    raw_dir: str | os.PathLike[str] | None = None,
    title: str = "US Section 232 auto tariffs: imports of Korean and Japanese passenger cars",
    repo_dir: str | os.PathLike[str] | None = None,
    commit: str | None = None,
    identification: Any = None,
    headline: Iterable[str] | None = None,
    plain_answer: Iterable[markupsafe.Markup] = (),
) -> dict[str, Path]:
    """Merge results, write the figure registry and render ``index.html``.

    ``headline`` overrides the dotted keys shown as headline numbers (default: the union of the
    ``_meta.headline`` lists, or every numeric leaf outside lists if none is declared).
    ``commit`` overrides the git lookup (tests). Returns ``{"results", "registry", "html"}``.
    """
    from autotariffs import paths

    reports_dir = Path(reports_dir) if reports_dir is not None else paths.REPORTS
    raw_dir = Path(raw_dir) if raw_dir is not None else paths.RAW
    repo_dir = Path(repo_dir) if repo_dir is not None else paths.ROOT

    merged, runs, origin = merge_results(reports_dir / "results")
    if commit is None:
        sha, dirty = git_commit(repo_dir)
    else:
        sha, dirty = commit, False
    commit_text = f"{sha} (uncommitted changes)" if dirty else sha
    results = dict(merged)
    results["meta"] = {
        "commit": sha,
        "dirty": dirty,
        "package_version": autotariffs.__version__,
        "params": runs,
    }

    keys = sorted(headline) if headline is not None else None
    if keys is None:
        declared = sorted({k for r in runs.values() for k in r["headline"]})
        keys = declared or _numeric_leaves({k: v for k, v in merged.items() if k != "meta"})
    head_groups, head_numbers = headline_table(merged, runs, origin, keys)

    figures = collect_figures(reports_dir / "figures")
    tables = collect_tables(reports_dir / "tables")
    provenance = provenance_summary(raw_dir)

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["md"] = inline_markdown
    html = env.get_template(TEMPLATE_NAME).render(
        title=title,
        commit=commit_text,
        package_version=autotariffs.__version__,
        headline_groups=head_groups,
        headline_numbers=head_numbers,
        figures=[
            {**f, "params_text": _params_text(f["params"]), "source_text": _source_text(f)}
            for f in figures
        ],
        tables=[{**t, "params_text": _params_text(t["params"])} for t in tables],
        provenance=provenance,
        identification=_identification(merged, identification),
        plain_answer=list(plain_answer),
        validation=merged.get("validation"),
        runs=[
            {"name": s, **runs[s], "params_text": _params_text(runs[s]["params"])}
            for s in sorted(runs)
        ],
    )
    # Write only after everything rendered, so a failure leaves no half-updated report.
    out: dict[str, Path] = {}
    out["results"] = aio.write_json(results, reports_dir / "results.json")
    out["registry"] = write_registry(figures, reports_dir / "figures" / "registry.csv")
    out["html"] = aio.write_text(html, reports_dir / "index.html")
    return out
