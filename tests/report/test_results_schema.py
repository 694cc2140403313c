"""reports/results.json follows its documented schema (docs/results.schema.json, issue 22.1).

The report and the narrative read results.json by key; the schema says which keys exist, their
types and what they mean, so a renamed or retyped result fails here rather than silently
blanking a report cell. The schema check must be able to fail: a copy with a renamed key, a
string where a number belongs, or a missing headline is rejected.
"""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest

from autotariffs import paths

SCHEMA = paths.ROOT / "docs" / "results.schema.json"


@pytest.fixture(scope="module")
def schema() -> dict:
    s = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(s)
    return s


@pytest.fixture(scope="module")
def results() -> dict:
    path = paths.REPORTS / "results.json"
    if not path.exists():
        pytest.skip("reports/results.json not built (run make first)")
    return json.loads(path.read_text(encoding="utf-8"))


def _errors(schema: dict, doc: dict) -> list[str]:
    v = jsonschema.Draft202012Validator(schema)
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in v.iter_errors(doc))


def test_the_build_follows_the_schema(schema, results):
    assert _errors(schema, results) == []


def test_the_schema_rejects_renamed_retyped_or_missing_results(schema, results):
    bad = copy.deepcopy(results)
    bad["KOR"]["designs"]["trend"]["ln_q"]["p_value"] = bad["KOR"]["designs"]["trend"]["ln_q"].pop("p")
    assert any("'p' is a required property" in e for e in _errors(schema, bad))
    bad = copy.deepcopy(results)
    bad["KOR"]["headline"]["coef"] = "-0.24"
    assert any(e.startswith("KOR/headline") for e in _errors(schema, bad))
    bad = copy.deepcopy(results)
    del bad["JPN"]["headline"]
    assert any("'headline' is a required property" in e for e in _errors(schema, bad))
    bad = copy.deepcopy(results)
    bad["reduced_form"] = {}
    assert any("reduced_form" in e for e in _errors(schema, bad))


def test_the_schema_names_the_robustness_rows(schema, results):
    """Robustness rows are keyed by their hand-chosen ids and carry the row's numbers."""
    bad = copy.deepcopy(results)
    bad["robustness"]["baseline_pooled_levels_all_ln_q"] = bad["robustness"].pop("pooled_ln_q")
    assert any("'pooled_ln_q' is a required property" in e for e in _errors(schema, bad))
    bad = copy.deepcopy(results)
    del bad["robustness"]["placebo_ln_uv"]["p_ri"]
    assert any(e.startswith("robustness/placebo_ln_uv") for e in _errors(schema, bad))


def test_the_schema_types_the_pooled_estimates(schema, results):
    """Each pooled regression carries its coefficient and its RI counts (models.pooled)."""
    bad = copy.deepcopy(results)
    del bad["pooled"]["elasticity_q_d12"]["n_assignments"]
    assert any("'n_assignments' is a required property" in e for e in _errors(schema, bad))
    bad = copy.deepcopy(results)
    bad["pooled"]["ppml_value"]["n_perm"] = 0.5
    assert any(e.startswith("pooled/ppml_value/n_perm") for e in _errors(schema, bad))
