"""The README's generated blocks: the findings and the list of figures and tables.

Both are written from the build (``make readme`` -> ``autotariffs readme``) between HTML comment
markers, so the README cannot name an output the build no longer makes or quote a number the
results do not hold; ``tests/report/test_findings_numbers.py`` and ``tests/report/test_readme.py``
fail while a block is stale.
"""

from __future__ import annotations

import os
from pathlib import Path

from autotariffs.report import collect


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def block(text: str, name: str) -> str:
    """The text between the ``name`` markers (stripped); ValueError if they are missing."""
    start, end = markers(name)
    if start not in text or end not in text:
        raise ValueError(f"README has no {start} ... {end} block")
    return text.split(start, 1)[1].split(end, 1)[0].strip()


def with_block(text: str, name: str, new: str) -> str:
    """``text`` with the ``name`` block replaced by ``new`` (as given: a block that holds
    Markdown tables starts and ends with a newline, an inline one does not)."""
    start, end = markers(name)
    block(text, name)  # both markers present
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}{new}{end}{tail}"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def outputs_markdown(reports_dir: str | os.PathLike[str]) -> str:
    """Markdown tables of the registered figures and tables of a build, sorted by id."""
    reports_dir = Path(reports_dir)
    figs = sorted(collect.collect_figures(reports_dir / "figures"), key=lambda f: f["id"])
    tabs = sorted(collect.collect_tables(reports_dir / "tables"), key=lambda t: t["id"])
    lines = ["| figure id | title | notebook |", "|---|---|---|"]
    lines += [f"| `{f['id']}` | {_cell(f['title'])} | `notebooks/{f['notebook']}.ipynb` |"
              for f in figs]
    lines += ["", "| table id | title | notebook |", "|---|---|---|"]
    for t in tabs:
        ids = ", ".join(f"`{x}`" for x in [t["id"], *(o["id"] for o in t["same_as"])])
        lines.append(f"| {ids} | {_cell(t['title'])} | `notebooks/{t['notebook']}.ipynb` |")
    return "\n".join(["", *lines, ""])
