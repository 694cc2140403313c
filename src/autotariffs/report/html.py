"""Assemble the pipeline's outputs into ``results.json``, a figure registry and ``index.html``.

:func:`build_report` (called by the last notebook) merges the result files
(:mod:`.merge`), reads the registered figures and tables (:mod:`.collect`), the raw files'
provenance and the git commit (:mod:`.provenance`), lays out the headline (:mod:`.headline`) and
renders the page (:mod:`.render`). The page is static HTML with relative links only (opens from
disk, no CDN, no JavaScript) and carries no timestamp: the git commit identifies the run, so two
builds from the same inputs are byte-identical.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import autotariffs
from autotariffs import atomic as aio
from autotariffs.report import collect, merge, provenance, render
from autotariffs.report import headline as layout


def build_report(
    reports_dir: str | os.PathLike[str] | None = None,
    raw_dir: str | os.PathLike[str] | None = None,
    title: str = "US Section 232 auto tariffs: imports of Korean and Japanese passenger cars",
    repo_dir: str | os.PathLike[str] | None = None,
    commit: str | None = None,
    identification: Any = None,
    headline: Iterable[str] | None = None,
    plain_answer: Iterable[Any] = (),
) -> dict[str, Path]:
    """Merge results, write the figure registry and render ``index.html``.

    ``headline`` overrides the dotted keys shown as headline numbers (default: the union of the
    ``_meta.headline`` lists, or every numeric leaf outside lists if none is declared).
    ``commit`` overrides the git lookup (tests). ``plain_answer``: the sentences that open the
    page (safe HTML). Returns ``{"results", "registry", "html"}``.
    """
    from autotariffs import paths

    reports_dir = Path(reports_dir) if reports_dir is not None else paths.REPORTS
    raw_dir = Path(raw_dir) if raw_dir is not None else paths.RAW
    repo_dir = Path(repo_dir) if repo_dir is not None else paths.ROOT

    merged, runs, origin = merge.merge_results(reports_dir / "results")
    if commit is None:
        sha, dirty = provenance.git_commit(repo_dir)
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
        keys = declared or merge.numeric_leaves({k: v for k, v in merged.items() if k != "meta"})
    head_groups, head_numbers = layout.headline_table(merged, runs, origin, keys)

    figures = collect.collect_figures(reports_dir / "figures")
    tables = collect.collect_tables(reports_dir / "tables")
    raw_files = provenance.provenance_summary(raw_dir)

    html = render.render_page(
        title=title,
        commit=commit_text,
        package_version=autotariffs.__version__,
        headline_groups=head_groups,
        headline_numbers=head_numbers,
        figures=[render.display_figure(f) for f in figures],
        tables=[render.display_table(t) for t in tables],
        provenance=raw_files,
        identification=layout.in_columns(layout.identification(merged, identification)),
        plain_answer=list(plain_answer),
        validation=merged.get("validation"),
        runs=[{"name": s, **runs[s]} for s in sorted(runs, key=lambda s: collect.report_order(
            {"notebook": runs[s]["notebook"], "params": runs[s]["params"], "id": s}))],
    )
    # Write only after everything rendered, so a failure leaves no half-updated report.
    out: dict[str, Path] = {}
    out["results"] = aio.write_json(results, reports_dir / "results.json")
    out["registry"] = collect.write_registry(figures, reports_dir / "figures" / "registry.csv")
    out["html"] = aio.write_text(html, reports_dir / "index.html")
    return out
