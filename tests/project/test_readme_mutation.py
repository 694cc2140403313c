"""The README's mutation-testing row quotes reports/benchmarks/mutation.json.

``make mutation`` (scripts/mutation.py) measures the score; the README row is written by hand,
so this fails when the row and the file disagree (a re-run changed the score, or the row was
edited) or when the file no longer meets the 85% target it states.
"""

from __future__ import annotations

import json
import re

from autotariffs import paths

README = (paths.ROOT / "README.md").read_text(encoding="utf-8")
MUTATION = paths.ROOT / "reports" / "benchmarks" / "mutation.json"


def row() -> str:
    rows = [ln for ln in README.splitlines() if ln.startswith("| mutation testing")]
    assert len(rows) == 1, "README's benchmark table needs one '| mutation testing' row"
    return rows[0]


def test_row_quotes_the_score_and_counts():
    m = json.loads(MUTATION.read_text(encoding="utf-8"))
    pub, add = m["published"], m["additional"]
    r = row()
    assert (f"**{100 * pub['score']:.1f}%** of {pub['total'] - pub['equivalent']:,} "
            f"non-equivalent mutants killed") in r, r
    assert f"{pub['equivalent']} equivalent" in r
    assert f"{len(m['survivors'])} survivors" in r
    if add["score"] is not None:
        assert f"{100 * add['score']:.1f}% of {add['total'] - add['equivalent']:,}" in r


def test_the_file_meets_the_stated_target():
    m = json.loads(MUTATION.read_text(encoding="utf-8"))
    assert m["target"] == 0.85 and "≥ 85%" in row()
    assert m["published"]["score"] >= m["target"]
    # every module the benchmark covers is in the file, with counts that add up
    for name, r in m["modules"].items():
        assert r["total"] == sum(r[k] for k in ("killed", "survived", "timeout", "no_tests",
                                                "equivalent", "other")), name
    assert re.search(r"\| ≥ 85% \|$", row())
