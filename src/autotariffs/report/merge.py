"""Merge the notebooks' result files into one results tree, refusing silent overwrites.

Each notebook writes ``reports/results/<notebook>[_<params>].json``: the result sections it
contributes plus an optional ``_meta`` block (notebook, params, headline keys), written by
:func:`autotariffs.outputs.write_results`. A leaf set by two files to different values is an
error naming both, so every number has exactly one producer.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from autotariffs.outputs import META_KEY, ReportError


def read_json(path: Path) -> Any:
    """The JSON in ``path``; a ReportError naming the file if it is not valid JSON."""
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
        data = read_json(path)
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



def numeric_leaves(obj: Any, prefix: str = "") -> list[str]:
    """Dotted keys of every number in ``obj`` (outside lists), sorted."""
    out: list[str] = []
    if isinstance(obj, Mapping):
        for k in sorted(obj):
            out.extend(numeric_leaves(obj[k], f"{prefix}{k}."))
    elif isinstance(obj, int | float) and not isinstance(obj, bool):
        out.append(prefix[:-1])
    return out
