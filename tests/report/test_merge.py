"""The results merge: one tree from the notebooks' result files, each leaf with one producer.

Why: every published number goes through :func:`merge.merge_results`; a silent overwrite, a lost
run record or a wrong origin would put a number in the report under the wrong notebook's name.
Each expected value here is written out by hand from the small files the test writes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autotariffs.outputs import META_KEY, ReportError
from autotariffs.report import merge


def write(folder: Path, name: str, obj) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def test_two_files_merge_into_one_tree_with_runs_and_origins(tmp_path):
    write(tmp_path, "b_second", {"KOR": {"pt": {"coef": 0.5}}, "pooled": {"n": 3},
                                 META_KEY: {"notebook": "05_robustness", "params": {"w": 1},
                                            "headline": ["pooled.n", "KOR.pt.coef"]}})
    write(tmp_path, "a_first", {"KOR": {"el": {"coef": -1.5, "se": 0.25}}, "zeta": 1, "alpha": 2})
    (tmp_path / "notes.txt").write_text("not a result")
    merged, runs, origin = merge.merge_results(tmp_path)
    assert merged == {"KOR": {"el": {"coef": -1.5, "se": 0.25}, "pt": {"coef": 0.5}},
                      "zeta": 1, "alpha": 2, "pooled": {"n": 3}}
    assert runs == {
        # no _meta: the notebook is the file stem, no params or headline
        "a_first": {"notebook": "a_first", "params": {}, "headline": [],
                    "keys": ["KOR", "alpha", "zeta"]},
        "b_second": {"notebook": "05_robustness", "params": {"w": 1},
                     "headline": ["KOR.pt.coef", "pooled.n"], "keys": ["KOR", "pooled"]},
    }
    # the first file (by name) that reached a key is its origin, for sections and leaves alike
    assert origin == {"KOR": "a_first", "KOR.el": "a_first", "KOR.el.coef": "a_first",
                      "KOR.el.se": "a_first", "zeta": "a_first", "alpha": "a_first",
                      "KOR.pt": "b_second", "KOR.pt.coef": "b_second",
                      "pooled": "b_second", "pooled.n": "b_second"}


def test_the_same_value_from_two_files_is_not_a_conflict(tmp_path):
    write(tmp_path, "a", {"meta_run": {"n": 7, "label": "x"}})
    write(tmp_path, "b", {"meta_run": {"n": 7, "label": "x"}})
    merged, _, origin = merge.merge_results(tmp_path)
    assert merged == {"meta_run": {"n": 7, "label": "x"}}
    assert origin["meta_run.n"] == "a"


@pytest.mark.parametrize("second", [
    {"KOR": {"el": {"coef": -1.0}}},   # a different number
    {"KOR": {"el": 3}},                 # a number where the first file has a section
    {"KOR": {"el": {"coef": {"x": 1}}}},  # a section where the first file has a number
])
def test_a_leaf_set_twice_differently_names_both_files(tmp_path, second):
    write(tmp_path, "04_est", {"KOR": {"el": {"coef": -1.5}}})
    write(tmp_path, "05_rob", second)
    with pytest.raises(ReportError) as err:
        merge.merge_results(tmp_path)
    msg = str(err.value)
    assert msg.startswith("results key 'KOR.el")
    assert msg.endswith("is set by both 04_est.json and 05_rob.json with different values; each "
                        "result must come from exactly one notebook/parameter run")


def test_a_dotted_key_is_refused_with_its_full_path(tmp_path):
    write(tmp_path, "run", {"KOR": {"a.b": 1}})
    with pytest.raises(ReportError, match=r"^run: key 'KOR\.a\.b' contains '\.'"):
        merge.merge_results(tmp_path)


def test_bad_files_are_named(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ReportError, match=r"x\.json: not valid JSON"):
        merge.merge_results(bad)
    write(tmp_path / "list", "y", [1, 2])
    with pytest.raises(ReportError, match=r"y\.json: expected a JSON object at top level, got list"):
        merge.merge_results(tmp_path / "list")
    write(tmp_path / "meta", "z", {"meta": {"a": 1}})
    with pytest.raises(ReportError, match=r"z\.json: top-level key 'meta' is reserved"):
        merge.merge_results(tmp_path / "meta")


def test_no_folder_or_an_empty_meta_merges_to_nothing(tmp_path):
    assert merge.merge_results(tmp_path / "absent") == ({}, {}, {})
    write(tmp_path, "r", {META_KEY: None, "A": {"b": 1}})
    merged, runs, _ = merge.merge_results(tmp_path)
    assert merged == {"A": {"b": 1}}
    assert runs == {"r": {"notebook": "r", "params": {}, "headline": [], "keys": ["A"]}}


def test_get_dotted_walks_the_tree_and_names_the_missing_part():
    tree = {"KOR": {"el": {"coef": -1.5}, "n": 4}}
    assert merge.get_dotted(tree, "KOR.el.coef") == -1.5
    assert merge.get_dotted(tree, "KOR") == {"el": {"coef": -1.5}, "n": 4}
    for key, msg in (("KOR.el.se", "'KOR.el.se': no key 'se' at KOR.el"),
                     ("JPN.el", "'JPN.el': no key 'JPN' at <top>"),
                     ("KOR.n.x", "'KOR.n.x': no key 'x' at KOR.n")):  # a number has no children
        with pytest.raises(KeyError) as err:
            merge.get_dotted(tree, key)
        assert err.value.args == (msg,)


def test_numeric_leaves_lists_numbers_only_in_key_order():
    tree = {"b": {"z": 1.5, "a": 2, "flag": True, "s": "text", "none": None, "l": [1, 2]},
            "a": 0, "c": {}}
    assert merge.numeric_leaves(tree) == ["a", "b.a", "b.z"]
    assert merge.numeric_leaves(3.0, "x.") == ["x"]
    assert merge.numeric_leaves({"k": 1}, "top.") == ["top.k"]
