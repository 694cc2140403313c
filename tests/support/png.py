"""The text chunks of a saved PNG, for tests that check what a figure records in its file."""

from __future__ import annotations

import os

from autotariffs.report.collect import png_info


def png_text(path: str | os.PathLike[str]) -> dict[str, str]:
    """The text chunks of a PNG file as {keyword: text}."""
    return png_info(path).get("text", {})
