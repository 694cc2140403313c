"""Parameter validation: papermill only warns about unknown names, so we must reject them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autotariffs import cli, config, paths
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


# ---- checks before the kernel (issue 21, item 4) ---------------------------------------------------

BUILT = paths.build_root() / "data" / "processed"
needs_build = pytest.mark.skipif(
    not all((BUILT / f).is_file() for f in ("flows.parquet", "tariffs_monthly.parquet",
                                            "fx_monthly.parquet")),
    reason="the build is not there (run make first)")


def _check_params(path: Path, *env: tuple[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autotariffs", "check-params", "04_estimates",
                           str(path)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **dict(env)})


def _next_month(ym: str) -> str:
    y, m = map(int, ym.split("-"))
    return f"{y + m // 12}-{m % 12 + 1:02d}"


@needs_build
def test_a_too_short_baseline_is_rejected_with_the_latest_start_that_runs(tmp_path):
    """baseline_start 2024-01 (the README's 12-month comparison) passed check-params and died in
    the kernel. Now one line names the file, the parameter, its value and the latest valid start;
    the real design comparison on the built panel runs from that start and not one month later."""
    params = tmp_path / "04_estimates_KOR.yaml"
    params.write_text('origin: "KOR"\nbaseline_start: "2024-01"\n')
    res = _check_params(params)
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.returncode == 2 and len(lines) == 1, res.stdout + res.stderr
    assert str(params) in lines[0] and "parameter 'baseline_start' = '2024-01'" in lines[0]
    assert "Traceback" not in res.stderr and lines[0].endswith("fix the params file"), lines[0]
    m = re.search(r"the latest valid baseline_start is '(\d{4}-\d{2})'", lines[0])
    assert m, lines[0]
    latest = m[1]

    from autotariffs.design import Window
    from autotariffs.models import reduced_form as rfm
    from autotariffs.models.inference import InferenceError
    from autotariffs.panel import build as apanel

    panel = apanel.load_panel(start="2020-01", end="2025-07", source="snapshot")
    # the KOR file's defaults: event 2025-04-03, donut 1, end 2025-07
    rfm.compare(panel, "KOR", ["MEX", "CAN"], Window("2025-04-03", latest, 1, "2025-07"),
                n_draws=20)  # runs
    with pytest.raises(InferenceError):
        rfm.compare(panel, "KOR", ["MEX", "CAN"],
                    Window("2025-04-03", _next_month(latest), 1, "2025-07"), n_draws=20)
    params.write_text(f'origin: "KOR"\nbaseline_start: "{latest}"\n')
    assert cli.main(["check-params", "04_estimates", str(params)]) == 0


@needs_build
def test_a_late_start_is_named_when_it_is_what_shortens_the_baseline(tmp_path):
    params = tmp_path / "04_estimates_JPN.yaml"
    params.write_text('origin: "JPN"\nstart: "2024-06"\n')  # baseline_start stays 2021-01
    with pytest.raises(ParameterError) as exc:
        config.check("04_estimates", params)
    msg = str(exc.value)
    assert "parameter 'start' = '2024-06'" in msg and "the latest valid start is" in msg, msg


@needs_build
def test_the_runner_rejects_a_too_short_baseline_before_a_kernel(tmp_path):
    out_root = tmp_path / "out"
    (out_root / "data" / "processed").mkdir(parents=True)
    for f in ("flows.parquet", "tariffs_monthly.parquet", "fx_monthly.parquet"):
        shutil.copy2(BUILT / f, out_root / "data" / "processed" / f)
    params = tmp_path / "04_estimates_KOR.yaml"
    params.write_text('origin: "KOR"\nbaseline_start: "2024-01"\n')
    out = out_root / "reports" / "notebooks" / "04_estimates_KOR.ipynb"
    res = subprocess.run([sys.executable, "-m", "autotariffs", "run",
                          str(paths.NOTEBOOKS / "04_estimates.ipynb"), str(params), str(out)],
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ, "AUTOTARIFFS_OUTPUT_ROOT": str(out_root)})
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.returncode == 2 and len(lines) == 1, res.stderr
    assert "'baseline_start' = '2024-01'" in lines[0] and str(params) in lines[0], lines[0]
    assert not (out_root / "reports").exists(), "a kernel ran or something was written"


@pytest.mark.parametrize("text", ['origin: "KOR"\n', "n_boot: 99\n"])
def test_a_params_file_named_for_another_origin_is_rejected(tmp_path, text):
    """04_estimates_DEU.yaml that runs KOR (set, or by default): its outputs would be named DEU,
    its results KOR's, and 04_estimates_DEU.json would never be written (make never settles)."""
    params = tmp_path / "04_estimates_DEU.yaml"
    params.write_text(text)
    res = _check_params(params)
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.returncode == 2 and len(lines) == 1, res.stdout + res.stderr
    assert str(params) in lines[0] and "'DEU'" in lines[0] and "'origin' is 'KOR'" in lines[0]
    assert "set origin: DEU" in lines[0] and "04_estimates_KOR.yaml" in lines[0], lines[0]
    params.write_text(text.replace("KOR", "DEU") if "origin" in text else 'origin: "DEU"\n' + text)
    assert config.check_params_file("04_estimates", params)["origin"] == "DEU"
