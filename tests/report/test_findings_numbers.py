"""Every number in the findings text of README.md and reports/index.html comes from results.json.

Why: a referee found sentences whose numbers no estimate supported ("-49% month on month",
"three quarters of the duty", "1/120"). The report's findings are generated from the results and
the README's are written by hand, so both are read here, every number is extracted, and each must
equal a numeric value of ``reports/results.json`` rounded to the digits printed. Excluded, by
rule and not by value: four-digit integers (years, HS codes), dates, "95%" confidence levels,
"< 0.001" bounds and "Section 232". Needs the built report (``make`` runs before ``make test`` in CI).
"""

from __future__ import annotations

import html
import json
import math
import re

import pytest

from autotariffs import paths

NUM = re.compile(r"(?<![\w.\-])(?P<sign>[+\-−])?(?P<num>\d+(?:\.\d+)?)(?![\w\-])")
DATE = re.compile(r"\d{4}-\d{2}(?:-\d{2})?")


def _leaves(obj, out: list[float]) -> list[float]:
    if isinstance(obj, bool):
        return out
    if isinstance(obj, int | float):
        if math.isfinite(obj):
            out.append(float(obj))
    elif isinstance(obj, dict):
        for v in obj.values():
            _leaves(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _leaves(v, out)
    return out


def numbers(text: str) -> list[tuple[str, float, int]]:
    """(printed form, value, decimals) of every number the rules do not exclude."""
    text = DATE.sub(" ", text.replace("\u2212", "-"))
    found = []
    for m in NUM.finditer(text):
        raw = m.group("num")
        before = text[max(0, m.start() - 2):m.start()]
        after = text[m.end():m.end() + 1]
        if "." not in raw and len(raw) == 4:  # years, HS codes
            continue
        if raw == "95" and after == "%":  # confidence level
            continue
        if before.endswith("< ") or before.endswith("<"):
            continue
        if text[max(0, m.start() - 8):m.start()] == "Section ":  # the statute's name
            continue
        sign = -1.0 if m.group("sign") == "-" else 1.0
        dec = len(raw.split(".")[1]) if "." in raw else 0
        found.append((m.group(0), sign * float(raw), dec))
    return found


def unsupported(text: str, leaves: list[float]) -> list[str]:
    bad = []
    for printed, v, dec in numbers(text):
        half = 0.5 * 10 ** (-dec) + 1e-12  # the printed digits are x rounded
        if not any(abs(x - v) <= half for x in leaves):
            bad.append(printed)
    return bad


def test_extractor_and_checker_can_fail():
    leaves = [0.0755, -0.7251, 26.0, 4.0]
    assert [n[1] for n in numbers("gap +0.076 (p = 0.726), 26 placebos, 2025-04-03, 95% CI")] == [
        0.076, 0.726, 26.0]
    assert unsupported("gap +0.076 over 4 months, 26 placebos", leaves) == []
    assert unsupported("gamma -0.73 and -49% month on month, 1/120", leaves) == [
        "-49", "1", "120"]


def _findings_readme() -> str:
    text = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- findings:start -->(.*?)<!-- findings:end -->", text, re.S)
    assert m, "README.md must mark its findings with <!-- findings:start/end -->"
    return m.group(1)


def _findings_report() -> str:
    page = paths.REPORTS / "index.html"
    if not page.exists():
        pytest.skip("reports/index.html not built (run make first)")
    text = page.read_text(encoding="utf-8")
    m = re.search(r'<section id="identification">(.*?)</section>', text, re.S)
    assert m, "index.html has no identification section"
    return html.unescape(re.sub(r"<[^>]+>", " ", m.group(1)))


@pytest.fixture(scope="module")
def leaves() -> list[float]:
    path = paths.REPORTS / "results.json"
    if not path.exists():
        pytest.skip("reports/results.json not built (run make first)")
    return _leaves(json.loads(path.read_text()), [])


def test_readme_findings_numbers_are_in_results(leaves):
    text = _findings_readme()
    assert len(numbers(text)) >= 5, "the findings should carry the headline numbers"
    assert unsupported(text, leaves) == []


def test_report_findings_numbers_are_in_results(leaves):
    text = _findings_report()
    assert len(numbers(text)) >= 20
    assert unsupported(text, leaves) == []
