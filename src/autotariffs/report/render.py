"""Turn the report's data into safe HTML: inline Markdown, identifiers, table cells, the page.

What a reader sees is words: column names and outcome keys are printed in words
(:mod:`autotariffs.labels`), numbers through the one formatter (:func:`autotariffs.labels.fmt_num`),
booleans as yes/no, parameters as ``name value`` pairs; a name that stays a name (a file, a data
source, a parameter, a regression term) is set as code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from autotariffs.labels import OUTCOME_LABELS, column_label, fmt_num, fmt_text_number, outcome_label

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "report.html.j2"
#: a figure is shown at most at its PNG width / 1.5 (sharp on high-density screens)
PNG_DENSITY = 1.5
#: figures wider than this (inches) span the whole row of the figure grid
WIDE_FIGURE_IN = 8.6
#: cells longer than this are clamped to two lines on the page (full text on hover and in the CSV)
LONG_CELL = 60

_MD_CODE = re.compile(r"`([^`\n]+)`")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\(([^()\s]+)\)")
_MD_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_MD_EM = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_SAFE_URL = re.compile(r"^(https?://|#|[A-Za-z0-9_./-]+$)")
_TOKEN = re.compile(r"\S+")
_EDGE = "([{\"'*,;:.)]}"


def _identifiers_as_code(escaped: str) -> str:
    """Set every whitespace-delimited word holding an underscore or an ``=`` (``ln_q``, a file
    name, a query string) as code."""

    def word(m: re.Match[str]) -> str:
        tok = m.group(0)
        core = tok.strip(_EDGE)
        if not ("_" in core or "=" in core) or "&" in core:
            return tok
        i = tok.index(core)
        return f"{tok[:i]}<code>{core}</code>{tok[i + len(core):]}"

    return _TOKEN.sub(word, escaped)


def prose(text: Any) -> markupsafe.Markup:
    """Plain text as safe HTML, identifiers set as code (no other markup)."""
    esc = str(markupsafe.escape("" if text is None else str(text)))
    return markupsafe.Markup(_identifiers_as_code(esc))


def inline_markdown(text: Any) -> markupsafe.Markup:
    """Render the inline Markdown of a caption or note as safe HTML.

    The text is HTML-escaped first; then only code spans (`` `x` ``), ``**strong**``,
    ``*emphasis*`` and ``[links](target)`` (relative, ``#anchor`` or http(s) targets) become
    tags, and identifiers outside them are set as code. Anything else stays literal text. Text
    that is already safe HTML (:class:`markupsafe.Markup`, the narrative's keyed sentences) is
    kept as it is.
    """
    if isinstance(text, markupsafe.Markup):
        return text
    esc = str(markupsafe.escape("" if text is None else str(text)))
    held: list[str] = []

    def hold(html: str) -> str:
        held.append(html)
        return f"\x00{len(held) - 1}\x00"

    out = _MD_CODE.sub(lambda m: hold(f"<code>{m.group(1)}</code>"), esc)

    def _link(m: re.Match[str]) -> str:
        label, url = m.group(1), m.group(2)
        if not _SAFE_URL.match(url.replace("&amp;", "&")):
            return m.group(0)
        return hold(f'<a href="{url}">{label}</a>')

    out = _MD_LINK.sub(_link, out)
    out = _identifiers_as_code(out)
    out = _MD_STRONG.sub(r"<strong>\1</strong>", out)
    out = _MD_EM.sub(r"<em>\1</em>", out)
    while "\x00" in out:
        out = re.sub("\x00(\\d+)\x00", lambda m: held[int(m.group(1))], out)
    return markupsafe.Markup(out)


def _param_value(v: Any) -> str:
    """A parameter value as its params file writes it (lists as items, booleans lower case)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list | tuple):
        return ", ".join(_param_value(x) for x in v)
    return str(v)


def params_text(params: Any) -> str:
    """Parameters as plain ``name: value`` pairs (for a tooltip)."""
    if not params:
        return "defaults"
    if isinstance(params, Mapping):
        return "; ".join(f"{k}: {_param_value(params[k])}" for k in sorted(params))
    return str(params)


def params_html(params: Any) -> markupsafe.Markup:
    """Parameters as HTML: each name as code, then its value."""
    if not params:
        return markupsafe.Markup("defaults")
    if not isinstance(params, Mapping):
        return prose(params)
    return markupsafe.Markup("; ").join(
        markupsafe.Markup("<code>{}</code> {}").format(k, _param_value(params[k]))
        for k in sorted(params))


def source_text(fig: Mapping[str, Any]) -> str:
    """A figure's source note, starting with 'Source'."""
    note = str(fig.get("source_note") or "").strip() or "see the producing notebook"
    return note if note.lower().startswith("source") else f"Source: {note}"


def cell(text: str, column: str) -> dict[str, Any]:
    """One table cell for the page: its HTML, whether it is a number, whether it is long."""
    if text in ("True", "False"):
        return {"html": "yes" if text == "True" else "no", "num": False, "long": False}
    number = fmt_text_number(text, column)
    if number is not None:
        return {"html": number, "num": True, "long": False}
    if column == "outcome" and text.partition(" ")[0] in OUTCOME_LABELS:
        text = outcome_label(text)
    return {"html": prose(text), "num": False, "long": len(text) > LONG_CELL, "title": text}


def display_table(table: Mapping[str, Any]) -> dict[str, Any]:
    """A collected table with its headers in words and its cells ready for the page."""
    cols = table["columns"]
    return {**table, "headers": [column_label(c) for c in cols],
            "params_text": params_text(table["params"]),
            "cells": [[cell(v, c) for v, c in zip(row, cols, strict=True)]
                      for row in table["rows"]]}


def display_figure(fig: Mapping[str, Any]) -> dict[str, Any]:
    """A collected figure with its display size: at most its PNG width / density, and whether
    it is wide enough (inches) to span the row."""
    width_in = fig["png_width"] / fig["png_dpi"] if fig.get("png_dpi") else 0.0
    return {**fig, "css_width": round(fig["png_width"] / PNG_DENSITY),
            "css_height": round(fig["png_height"] / PNG_DENSITY),
            "wide": width_in > WIDE_FIGURE_IN, "params_text": params_text(fig["params"]),
            "source_text": source_text(fig)}


def environment() -> jinja2.Environment:
    """The page template's environment with the report's filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(md=inline_markdown, prose=prose, num=fmt_num, params=params_html)
    return env


def render_page(**context: Any) -> str:
    """``index.html`` from the template and ``context``."""
    return environment().get_template(TEMPLATE_NAME).render(**context)
