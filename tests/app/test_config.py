"""Parameter validation: papermill only warns about unknown names, so we must reject them."""

from __future__ import annotations

import pytest

from autotariffs import cli, config
from autotariffs.config import ParameterError, check_params_file, validate


def _defaults(nb: str) -> dict:
    return {k: p.default for k, p in config.SPECS[nb].items()}


def test_defaults_validate_for_every_notebook():
    for nb in config.SPECS:
        ns = _defaults(nb)
        out = validate(nb, ns, before=set())
        assert set(out) == set(config.SPECS[nb])


def test_unknown_injected_name_is_rejected():
    before = {"pd", "np"}
    ns = {"pd": 1, "np": 2, **_defaults("04_estimates"), "orgin": "JPN"}
    with pytest.raises(ParameterError, match="unknown parameter 'orgin'"):
        validate("04_estimates", ns, before=before)


def test_wrong_type_is_rejected_with_name_and_value():
    ns = {**_defaults("04_estimates"), "n_boot": "999"}
    with pytest.raises(ParameterError, match=r"'n_boot' must be int, got str '999'"):
        validate("04_estimates", ns)


def test_bool_is_not_an_int():
    ns = {**_defaults("04_estimates"), "leads": True}
    with pytest.raises(ParameterError, match="'leads' must be int"):
        validate("04_estimates", ns)


def test_int_accepted_where_float_expected():
    ns = {**_defaults("02_tariff_schedule"), "usmca_nonus_share": 1}
    assert validate("02_tariff_schedule", ns)["usmca_nonus_share"] == 1.0


def test_any_origin_in_the_data_may_be_run():
    """Adding an origin is a params file (issue 16): the origin is checked against the data."""
    ns = {**_defaults("04_estimates"), "origin": "FRA"}
    with pytest.raises(ParameterError, match="origin 'FRA' is not in the data"):
        validate("04_estimates", ns, known_origins={"KOR", "JPN", "MEX", "CAN", "DEU"})
    ns["origin"] = "DEU"
    assert validate("04_estimates", ns, known_origins={"KOR", "MEX", "CAN", "DEU"})["origin"] == "DEU"


def test_origin_not_in_data():
    ns = {**_defaults("04_estimates"), "controls": ["MEX", "GBR"]}
    with pytest.raises(ParameterError, match="origin 'GBR' is not in the data"):
        validate("04_estimates", ns, known_origins={"KOR", "JPN", "MEX", "CAN", "DEU"})


def test_start_after_end():
    ns = {**_defaults("04_estimates"), "start": "2025-06", "end": "2024-01"}
    with pytest.raises(ParameterError, match="start '2025-06' is after end '2024-01'"):
        validate("04_estimates", ns)


@pytest.mark.parametrize("bad", ["2025-13", "2025/01", "25-01", "2025-1"])
def test_bad_month_format(bad):
    ns = {**_defaults("03_descriptives"), "start": bad}
    with pytest.raises(ParameterError, match="expected a month 'YYYY-MM'"):
        validate("03_descriptives", ns)


def test_share_out_of_range():
    ns = {**_defaults("02_tariff_schedule"), "usmca_nonus_share": 1.5}
    with pytest.raises(ParameterError, match=r"share in \[0, 1\]"):
        validate("02_tariff_schedule", ns)


def test_params_file_unknown_key_names_file(tmp_path):
    p = tmp_path / "04_estimates_XXX.yaml"
    p.write_text("origin: JPN\nseeed: 3\n")
    with pytest.raises(ParameterError) as exc:
        check_params_file("04_estimates", p)
    assert str(p) in str(exc.value) and "seeed" in str(exc.value)


def test_params_file_dates_stay_strings(tmp_path):
    """YAML would parse 2025-04-03 as a date; papermill's loader keeps it a string, so do we."""
    p = tmp_path / "x.yaml"
    p.write_text("event_date: 2025-04-03\n")
    assert check_params_file("04_estimates", p)["event_date"] == "2025-04-03"


def test_params_file_not_yaml_mapping(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text("- a\n- b\n")
    with pytest.raises(ParameterError, match="expected a mapping"):
        check_params_file("04_estimates", p)


def test_params_file_missing(tmp_path):
    with pytest.raises(ParameterError, match="params file not found"):
        check_params_file("04_estimates", tmp_path / "nope.yaml")


def test_shipped_params_files_are_valid():
    from autotariffs import paths

    files = sorted(paths.PARAMS.glob("*.yaml"))
    assert files, "notebooks/params/ has no params files"
    for f in files:
        nb = f.stem if f.stem in config.SPECS else f.stem.rsplit("_", 1)[0]
        check_params_file(nb, f)


def test_cli_exit_codes(tmp_path):
    good = tmp_path / "g.yaml"
    good.write_text("origin: JPN\n")
    bad = tmp_path / "b.yaml"
    bad.write_text("origin: 7\n")
    assert cli.main(["check-params", "04_estimates", str(good)]) == 0
    assert cli.main(["check-params", "04_estimates", str(bad)]) == 2
    with pytest.raises(SystemExit) as usage:  # argparse: usage error, exit 2
        cli.main(["check-params", "only-one-arg"])
    assert usage.value.code == 2
