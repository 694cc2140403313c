"""Read the registered figures and tables back from disk, in the order the report shows them.

Each figure is ``<id>.png`` (and, when made, ``<id>.pdf``) with a JSON sidecar; each table is
``<id>.csv`` with a sidecar (:mod:`autotariffs.outputs` writes both). A file without its sidecar,
or a sidecar without its file, is an error naming the notebook to re-run. Tables whose CSV bytes
are identical (the same table published by several runs) are shown once.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from autotariffs import atomic as aio
from autotariffs.labels import PNG_NOTE_KEY, origin_rank
from autotariffs.outputs import ReportError
from autotariffs.report.merge import read_json

FIGURE_FIELDS = ("id", "title", "caption", "notebook", "params", "source_note")
TABLE_FIELDS = ("id", "title", "caption", "notebook", "params")
#: Longer tables show their first rows on the page and link the full CSV.
TABLE_PREVIEW_ROWS = 8
REGISTRY_COLUMNS = ["fig_id", "title", "notebook", "params", "png", "pdf"]


def png_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Width and height (px), resolution (dots per inch, None if unrecorded) and text chunks
    (``tEXt``, ``zTXt``, ``iTXt``: {keyword: text}) of a PNG file; {} if it is not a PNG."""
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return {}
    out: dict[str, Any] = {"width": 0, "height": 0, "dpi": None, "text": {}}
    pos = 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        key, _, rest = body.partition(b"\x00")
        if kind == b"IHDR":
            out["width"], out["height"] = (int.from_bytes(body[i : i + 4], "big") for i in (0, 4))
        elif kind == b"pHYs" and body[8:9] == b"\x01":  # unit: metre
            out["dpi"] = round(int.from_bytes(body[:4], "big") * 0.0254)
        elif kind == b"tEXt":
            out["text"][key.decode("latin-1")] = rest.decode("latin-1")
        elif kind == b"zTXt":
            out["text"][key.decode("latin-1")] = zlib.decompress(rest[1:]).decode("latin-1")
        elif kind == b"iTXt":
            flag, text = rest[0], rest[2:].split(b"\x00", 2)[-1]
            out["text"][key.decode("latin-1")] = (
                zlib.decompress(text) if flag else text).decode("utf-8")
        elif kind == b"IEND":
            break
        pos += 12 + length
    return out


def report_order(item: Mapping[str, Any]) -> tuple:
    """Figures and tables by notebook, then the design's treated origins first, then by id."""
    params = item.get("params")
    origin = params.get("origin") if isinstance(params, Mapping) else None
    return (str(item["notebook"]), (-1, "") if origin is None else origin_rank(str(origin)),
            item["id"])


def collect_figures(figures_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read every figure sidecar; check each PNG exists and no figure lacks a sidecar."""
    figures_dir = Path(figures_dir)
    figs: list[dict[str, Any]] = []
    problems: list[str] = []
    sidecars = sorted(figures_dir.glob("*.json")) if figures_dir.is_dir() else []
    for path in sidecars:
        meta = read_json(path)
        if not isinstance(meta, dict):
            problems.append(f"{path}: expected a JSON object")
            continue
        missing = [f for f in FIGURE_FIELDS if f not in meta]
        if missing:
            problems.append(f"{path}: missing field(s) {missing} (expected {list(FIGURE_FIELDS)})")
            continue
        if meta["id"] != path.stem:
            problems.append(f"{path}: id {meta['id']!r} does not match the file name {path.stem!r}")
        png = figures_dir / f"{path.stem}.png"
        if not png.is_file():
            problems.append(
                f"figure {path.stem!r} (registered by notebook {meta['notebook']!r}): "
                f"file {png} is missing; re-run that notebook (autotariffs.figures.save writes it)"
            )
            continue
        info = png_info(png)
        meta["note_in_image"] = bool(info.get("text", {}).get(PNG_NOTE_KEY))
        meta["png_width"], meta["png_height"] = info.get("width", 0), info.get("height", 0)
        meta["png_dpi"] = info.get("dpi")
        meta["pdf"] = (figures_dir / f"{path.stem}.pdf").is_file()
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
    return sorted(figs, key=report_order)


def collect_tables(tables_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read every table CSV with its sidecar; a CSV without sidecar (or vice versa) is an error.

    Tables with byte-identical CSVs are one entry (the first in report order) whose ``same_as``
    lists the others' sidecars: the page shows the table once and names every run that wrote it.
    """
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
        meta = read_json(metas[stem])
        missing = [f for f in TABLE_FIELDS if not isinstance(meta, dict) or f not in meta]
        if missing:
            problems.append(f"{metas[stem]}: missing field(s) {missing}")
            continue
        df = pd.read_csv(csvs[stem], dtype=str, keep_default_na=False)
        rows = [list(row) for row in df.itertuples(index=False, name=None)]
        out.append({
            **meta, "columns": list(df.columns), "rows": rows[:TABLE_PREVIEW_ROWS],
            "n_rows": len(rows), "csv": f"{stem}.csv",
            "sha256": hashlib.sha256(csvs[stem].read_bytes()).hexdigest(), "same_as": [],
        })  # fmt: skip
    if problems:
        raise ReportError("table problems:\n  " + "\n  ".join(problems))
    shown: dict[str, dict[str, Any]] = {}
    for table in sorted(out, key=report_order):
        first = shown.setdefault(table["sha256"], table)
        if first is not table:
            first["same_as"].append({k: table[k] for k in (*TABLE_FIELDS, "csv")})
    return list(shown.values())


def write_registry(figures: list[dict[str, Any]], path: str | os.PathLike[str]) -> Path:
    """``registry.csv``: one row per figure, sorted by fig_id; paths relative to the figure dir.

    ``pdf`` is empty for a figure saved without its PDF (PDFs are made on demand: ``make pdf``).
    """
    rows = [
        {
            "fig_id": f["id"],
            "title": f["title"],
            "notebook": f["notebook"],
            "params": json.dumps(f["params"], sort_keys=True),
            "png": f"{f['id']}.png",
            "pdf": f"{f['id']}.pdf" if f.get("pdf") else "",
        }
        for f in sorted(figures, key=lambda f: f["id"])
    ]
    return aio.write_csv(pd.DataFrame(rows, columns=REGISTRY_COLUMNS), path)
