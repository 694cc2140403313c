"""scripts/mutation.py's bookkeeping: the one-line diff, the counts and the score.

The benchmark's number is killed / (total - equivalent) per module; a miscount there would
publish a wrong score, so it is checked here on a small hand-made store.
"""

from __future__ import annotations

import importlib.util

from autotariffs import paths

spec = importlib.util.spec_from_file_location("mutation_script", paths.ROOT / "scripts" / "mutation.py")
mutation = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mutation)


def test_one_line_joins_the_changed_lines():
    diff = ("--- a.py\n+++ a.py\n@@ -1,3 +1,3 @@\n def f(x):\n-    return x + 1\n"
            "+    return x - 1\n")
    assert mutation.one_line(diff) == "return x + 1 -> return x - 1"
    two = "--- a\n+++ a\n-a = 1\n-b = 2\n+a = 1, b = 3\n"
    assert mutation.one_line(two) == "a = 1 / b = 2 -> a = 1, b = 3"


def test_counts_and_score_by_hand():
    path = "src/autotariffs/models/x.py"
    store = {path: {
        "m.k1": {"status": "killed", "function": "f", "seconds": 1.0},
        "m.k2": {"status": "killed", "function": "f", "seconds": 2.0},
        "m.k3": {"status": "killed", "function": "g", "seconds": 0.5},
        "m.s1": {"status": "survived", "function": "g", "seconds": 3.0, "diff": "a -> b"},
        "m.e1": {"status": "survived", "function": "g", "seconds": 1.0, "diff": "c -> d"},
        "m.t1": {"status": "timeout", "function": "h", "seconds": 9.0, "diff": "e -> f"},
        "m.n1": {"status": "no tests", "function": "h", "seconds": None, "diff": "g -> h"},
    }}
    modules, survivors, equivalents = mutation.summarise(
        [path], store, {"m.e1": {"reason": "same output"}})
    r = modules["autotariffs.models.x"]
    assert (r["total"], r["killed"], r["survived"], r["timeout"], r["no_tests"],
            r["equivalent"], r["other"]) == (7, 3, 1, 1, 1, 1, 0)
    assert r["score"] == round(3 / 6, 4) and r["test_seconds"] == 16.5
    assert survivors == [{"module": "autotariffs.models.x", "function": "g", "mutant": "m.s1",
                          "diff": "a -> b"}]
    assert equivalents == [{"module": "autotariffs.models.x", "function": "g", "mutant": "m.e1",
                            "diff": "c -> d", "reason": "same output"}]
    group = mutation.group_score(modules, [path])
    assert (group["total"], group["killed"], group["equivalent"], group["score"]) == (
        7, 3, 1, 0.5)
    assert mutation.group_score(modules, ["src/autotariffs/models/y.py"])["measured"] is False
