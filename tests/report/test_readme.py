"""The README's list of figures and tables is the build's (issue 21.7: a reader must not meet a
figure id the build no longer makes). ``make readme`` writes it; this test fails while it is
stale, and the check can fail: a renamed figure id or a missing table is caught."""

from __future__ import annotations

import pytest

from autotariffs import paths
from autotariffs.report import readme


@pytest.fixture(scope="module")
def generated() -> str:
    if not (paths.REPORTS / "figures" / "registry.csv").exists():
        pytest.skip("the build is not there (run make first)")
    return readme.outputs_markdown(paths.REPORTS)


def test_readme_lists_the_outputs_the_build_makes(generated):
    text = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.block(text, "outputs") == generated.strip(), "README is stale: make readme"
    for fig in sorted(p.stem for p in (paths.REPORTS / "figures").glob("*.json")):
        assert f"| `{fig}` |" in generated


def test_a_stale_list_is_caught(generated):
    text = readme.with_block("intro <!-- outputs:start --><!-- outputs:end --> rest", "outputs",
                             generated)
    assert readme.block(text, "outputs") == generated.strip()
    renamed = text.replace("`gap_KOR`", "`event_study_KOR`")
    assert readme.block(renamed, "outputs") != generated.strip()
    with pytest.raises(ValueError, match="outputs:start"):
        readme.block("no markers here", "outputs")
