"""The outputs registry: every stage writes its numbers, figure and table sidecars through here.

One leaf module (it imports only the core: paths, errors, atomic) so that any stage may register
what it produced without importing the report; the report stage (:mod:`autotariffs.report.html`)
reads what was written here. Layout of the files: see :mod:`autotariffs.report.html`.

* numbers: :func:`write_results` -> ``reports/results/<notebook>[_<params>].json`` with ``_meta``;
* tables: :func:`register_table` -> ``reports/tables/<table_id>.csv`` and its ``.json`` sidecar;
* figures: ``autotariffs.figures.save(fig, fig_id)`` then :func:`register_figure` ->
  ``reports/figures/<fig_id>.json`` (both at once: ``autotariffs.figures.publish``).

Titles, captions and source notes are :class:`Text` objects kept beside the function that draws
the figure or builds the table, so a notebook cell names the output and its text and
types no prose: ``publish_table(df, "pooled_KOR", POOLED_TEXT, notebook=..., params=P)``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autotariffs import atomic as aio
from autotariffs.errors import AutotariffsError

if TYPE_CHECKING:  # pandas only for the annotation: the runner imports no pandas
    import pandas as pd

META_KEY = "_meta"
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class ReportError(AutotariffsError, ValueError):
    """An input of the report (result, table or figure file) is missing or malformed."""


@dataclass(frozen=True)
class Text:
    """Title, caption and (figures only) source note of one registered figure or table."""

    title: str
    caption: str
    source_note: str = ""


def _check_id(kind: str, value: str) -> None:
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise ReportError(
            f"{kind} {value!r} is not a valid id: use letters, digits, '_', '-', '.' only "
            "(it becomes a file name and an HTML anchor)"
        )


def write_results(
    notebook: str,
    results: Mapping[str, Any],
    params: Mapping[str, Any] | None = None,
    headline: Iterable[str] | None = None,
    results_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Write ``results`` to ``<results_dir>/<notebook>.json`` with ``_meta`` (notebook, params,
    headline).

    A run of a notebook that selects its result by a parameter names itself after it
    (``write_results(f"04_estimates_{origin}", ...)``); the full ``params`` are recorded inside
    ``_meta``, not in the file name, so a tuning parameter leaves no stale file behind.
    ``headline`` lists dotted keys (``"KOR.elasticity.coef"``) to show as headline numbers.
    """
    from autotariffs import paths

    _check_id("notebook", notebook)
    if META_KEY in results or "meta" in results:
        raise ReportError(f"results for {notebook}: keys '{META_KEY}' and 'meta' are reserved")
    out_dir = Path(results_dir) if results_dir is not None else paths.RESULTS
    payload = dict(results)
    payload[META_KEY] = {
        "notebook": notebook,
        "params": dict(params or {}),
        "headline": sorted(headline or []),
    }
    return aio.write_json(payload, out_dir / f"{notebook}.json")


def register_figure(
    fig_id: str,
    title: str,
    caption: str,
    notebook: str,
    params: Mapping[str, Any] | None = None,
    source_note: str = "",
    figures_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Write the sidecar ``<figures_dir>/<fig_id>.json`` describing one saved figure."""
    from autotariffs import paths

    _check_id("fig_id", fig_id)
    out_dir = Path(figures_dir) if figures_dir is not None else paths.FIGURES
    meta = {
        "id": fig_id,
        "title": title,
        "caption": caption,
        "notebook": notebook,
        "params": dict(params or {}),
        "source_note": source_note,
    }
    return aio.write_json(meta, out_dir / f"{fig_id}.json")


def register_table(
    df: pd.DataFrame,
    table_id: str,
    title: str,
    caption: str,
    notebook: str,
    params: Mapping[str, Any] | None = None,
    tables_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Write ``<tables_dir>/<table_id>.csv`` and its sidecar ``<table_id>.json``; returns the CSV."""
    from autotariffs import paths

    _check_id("table_id", table_id)
    out_dir = Path(tables_dir) if tables_dir is not None else paths.TABLES
    csv = aio.write_csv(df, out_dir / f"{table_id}.csv")
    meta = {
        "id": table_id,
        "title": title,
        "caption": caption,
        "notebook": notebook,
        "params": dict(params or {}),
    }
    aio.write_json(meta, out_dir / f"{table_id}.json")
    return csv


def publish_table(
    df: pd.DataFrame,
    table_id: str,
    text: Text,
    notebook: str,
    params: Mapping[str, Any] | None = None,
    tables_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """:func:`register_table` with the table's :class:`Text` (a table sidecar has no source note)."""
    if text.source_note:
        raise ReportError(f"table {table_id}: a table has no source note; put it in the caption")
    return register_table(df, table_id, text.title, text.caption, notebook, params, tables_dir)
