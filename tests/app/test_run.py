"""Unit tests for autotariffs.run.strip_volatile and refresh_source on hand-built notebooks.

Expected results follow from what must be stable between two runs of the same notebook
(timings, paths, progress bars are not; results, real warnings and parameters are) and from what
nbval needs in a stored source notebook (outputs + execution counts only on checked cells).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import (
    new_code_cell,
    new_markdown_cell,
    new_notebook,
    new_output,
)

from autotariffs import paths
from autotariffs.cli import main
from autotariffs.config import ParameterError
from autotariffs.run import KERNEL, check_params, refresh_source, strip_volatile

TQDM = "100%|" + "\u2588" * 10 + "| 50/50 [00:01<00:00, 41.2it/s]\n"
TQDM_SLOW = "\r  0%|          | 0/3 [00:00<?, ?it/s]\r 33%|###3      | 1/3 [00:02<00:04, 2.01s/it]"
WARNING = (
    "/opt/venv/lib/python3.11/site-packages/statsmodels/regression/linear_model.py:1884: "
    "RuntimeWarning: divide by zero encountered in divide\n"
    "  return np.sqrt(eigvals[0]/eigvals[-1])\n"
)


def _executed() -> nbformat.NotebookNode:
    """An executed notebook as papermill writes it (paths and times are made up)."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["papermill"] = {
        "start_time": "2026-01-02T03:04:05.000001",
        "end_time": "2026-01-02T03:04:09.5",
        "duration": 4.49,
        "input_path": "/srv/researcher-a/autotariffs/notebooks/04_estimates.ipynb",
        "output_path": "/srv/researcher-a/autotariffs/reports/notebooks/.04_estimates_KOR.ipynb.x1.ipynb",
        "environment_variables": {"HOME": "/srv/researcher-a"},
        "version": "2.6.0",
        "parameters": {"origin": "KOR", "n_boot": 999},
        "default_parameters": {},
        "exception": None,
    }
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    timing = {
        "start_time": "2026-01-02T03:04:06",
        "end_time": "2026-01-02T03:04:07",
        "duration": 1.0,
        "exception": False,
        "status": "completed",
    }
    exec_meta = {"iopub.execute_input": "2026-01-02T03:04:06.1", "shell.execute_reply": "x"}

    params = new_code_cell('origin = "KOR"', metadata={"tags": ["parameters"]})
    injected = new_code_cell(
        'origin = "KOR"\nn_boot = 999\n', metadata={"tags": ["injected-parameters"]}
    )
    progress = new_code_cell(
        "fit()",
        outputs=[
            new_output("stream", name="stderr", text=TQDM),
            new_output("stream", name="stderr", text=TQDM_SLOW),
            new_output(
                "display_data",
                data={
                    "application/vnd.jupyter.widget-view+json": {
                        "model_id": "ab12",
                        "version_major": 2,
                    },
                    "text/plain": "HBox(children=(FloatProgress(value=0.0),))",
                },
            ),
            new_output("stream", name="stderr", text=WARNING),
            new_output("stream", name="stdout", text="elasticity -1.23\n"),
        ],
    )
    checked = new_code_cell(
        "summary",
        metadata={"tags": ["nbval-check-output"]},
        outputs=[
            new_output("stream", name="stdout", text="n = 804\n"),
            new_output("stream", name="stderr", text="a warning nbval should not compare\n"),
            new_output("execute_result", data={"text/plain": "0.5"}, execution_count=7),
        ],
    )
    plain = new_code_cell("x = 1", outputs=[new_output("stream", name="stdout", text="1\n")])
    note = new_markdown_cell("## Results")
    nb.cells = [params, injected, progress, checked, plain, note]
    for i, cell in enumerate(nb.cells):
        cell.metadata["papermill"] = dict(timing)
        cell.metadata["execution"] = dict(exec_meta)
        if cell.cell_type == "code":
            cell.execution_count = i + 1
    return nb


# ---- strip_volatile ------------------------------------------------------------------------------


def test_strip_volatile_removes_papermill_timings_paths_and_environment():
    nb = strip_volatile(_executed())
    pm = nb.metadata["papermill"]
    for key in (
        "start_time",
        "end_time",
        "duration",
        "input_path",
        "output_path",
        "environment_variables",
        "version",
    ):
        assert key not in pm
    assert pm["parameters"] == {"origin": "KOR", "n_boot": 999}, "parameters are results: keep"
    assert "widgets" not in nb.metadata
    text = json.dumps(nb)
    assert "/srv/researcher-a" not in text and "2026-01-02" not in text
    for cell in nb.cells:
        assert "execution" not in cell.metadata
        assert set(cell.metadata.get("papermill", {})) == set()


def test_strip_volatile_drops_progress_bars_but_keeps_warnings_and_stdout():
    outs = strip_volatile(_executed()).cells[2].outputs
    texts = [o.get("text") for o in outs]
    assert TQDM not in texts and TQDM_SLOW not in texts
    assert not any("widget-view" in json.dumps(o) for o in outs)
    assert texts == [WARNING, "elasticity -1.23\n"]


def test_strip_volatile_keeps_a_warning_whose_path_contains_s_slash_it():
    warn = (
        "/src/autotariffs/models/iterative.py:88: ConvergenceWarning: PPML did not "
        "converge in 100 iterations\n"
    )
    nb = new_notebook(
        cells=[new_code_cell("x", outputs=[new_output("stream", name="stderr", text=warn)])]
    )
    assert strip_volatile(nb).cells[0].outputs[0]["text"] == warn


def test_strip_volatile_pins_the_random_id_of_the_injected_cell():
    a, b = _executed(), _executed()
    a.cells[1]["id"], b.cells[1]["id"] = "aa8d763c", "8fa904db"  # as papermill left them
    assert strip_volatile(a).cells[1]["id"] == strip_volatile(b).cells[1]["id"]


def test_strip_volatile_is_idempotent():
    once = strip_volatile(_executed())
    twice = strip_volatile(nbformat.from_dict(json.loads(json.dumps(once))))
    assert json.dumps(once, sort_keys=True) == json.dumps(twice, sort_keys=True)


# ---- refresh_source ------------------------------------------------------------------------------


def _refresh(tmp_path: Path) -> tuple[dict, str]:
    executed = tmp_path / "executed.ipynb"
    nbformat.write(strip_volatile(_executed()), executed)
    source = tmp_path / "source.ipynb"
    refresh_source(executed, source)
    text = source.read_text(encoding="utf-8")
    return json.loads(text), text


def test_refresh_source_keeps_outputs_only_on_checked_cells(tmp_path):
    nb, _ = _refresh(tmp_path)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert ["".join(c["source"]) for c in code] == ['origin = "KOR"', "fit()", "summary", "x = 1"]
    checked = code[2]
    assert checked["execution_count"] == 1, "first (only) checked cell is numbered 1 for nbval"
    assert [o["output_type"] for o in checked["outputs"]] == ["stream", "execute_result"]
    # stderr is not compared by nbval: dropped
    assert "".join(checked["outputs"][0]["text"]) == "n = 804\n"
    assert checked["outputs"][1]["execution_count"] == 1
    for cell in (code[0], code[1], code[3]):
        assert cell["outputs"] == [] and cell["execution_count"] is None
    assert nb["cells"][-1]["cell_type"] == "markdown"


def test_refresh_source_drops_injected_cell_and_run_metadata(tmp_path):
    nb, _ = _refresh(tmp_path)
    assert not any("injected-parameters" in c["metadata"].get("tags", []) for c in nb["cells"])
    assert sum("parameters" in c["metadata"].get("tags", []) for c in nb["cells"]) == 1
    assert "papermill" not in nb["metadata"]
    for cell in nb["cells"]:
        assert "papermill" not in cell["metadata"] and "execution" not in cell["metadata"]


def test_refresh_source_sets_project_kernel_and_writes_stable_text(tmp_path):
    nb, text = _refresh(tmp_path)
    assert nb["metadata"]["kernelspec"] == {
        "display_name": "Python (autotariffs)",
        "language": "python",
        "name": KERNEL,
    }
    assert KERNEL == "autotariffs"
    assert text.endswith("}\n") and not text.endswith("\n\n")
    nbformat.validate(nbformat.reads(text, as_version=4))
    # refreshing its own output again changes nothing (idempotent, byte for byte)
    again = tmp_path / "again.ipynb"
    refresh_source(tmp_path / "source.ipynb", again)
    assert again.read_text(encoding="utf-8") == text


def test_refresh_source_numbers_several_checked_cells_consecutively(tmp_path):
    nb = new_notebook(
        cells=[
            new_code_cell(
                "a",
                metadata={"tags": ["nbval-check-output"]},
                execution_count=5,
                outputs=[new_output("execute_result", data={"text/plain": "1"}, execution_count=5)],
            ),
            new_code_cell("b", execution_count=6),
            new_code_cell(
                "c",
                metadata={"tags": ["nbval-check-output"]},
                execution_count=9,
                outputs=[new_output("stream", name="stdout", text="c\n")],
            ),
        ]
    )
    executed, source = tmp_path / "e.ipynb", tmp_path / "s.ipynb"
    nbformat.write(nb, executed)
    refresh_source(executed, source)
    cells = json.loads(source.read_text())["cells"]
    assert [c["execution_count"] for c in cells] == [1, None, 2]
    assert cells[0]["outputs"][0]["execution_count"] == 1


# ---- CLI: params errors are reported before papermill runs ---------------------------------------


def test_main_reports_bad_params_file_by_name_with_exit_code_2(tmp_path, capsys):
    params = tmp_path / "06_report.yaml"
    params.write_text("title: 5\n")
    out = tmp_path / "out" / "06_report.ipynb"
    rc = main(["run", str(tmp_path / "06_report.ipynb"), str(params), str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    assert str(params) in err and "'title'" in err and "str" in err
    assert not out.parent.exists(), "params are checked before any output folder is created"


def test_strip_volatile_merges_stream_chunks():
    def nb(chunks):
        return new_notebook(cells=[new_code_cell("x", outputs=[
            new_output("stream", name="stdout", text=t) for t in chunks])])

    a = strip_volatile(nb(["read a\n", "read b\nread c\n"])).cells[0].outputs
    b = strip_volatile(nb(["read a\nread b\n", "read c\n"])).cells[0].outputs
    assert a == b


def test_executed_notebooks_do_not_depend_on_the_project_folder():
    """No absolute path of the project or its venv in the build's executed notebooks (tqdm.auto's
    'IProgress not found' warning carried .venv/lib/...: a build in another folder differed)."""

    executed = sorted(paths.EXECUTED.glob("*.ipynb"))
    assert executed, f"no executed notebooks in {paths.EXECUTED}: run make first"
    for nb in executed:
        text = nb.read_text(encoding="utf-8")
        assert str(paths.ROOT) not in text and "/.venv/" not in text, nb.name


# ---- cell_times (the build profile) ---------------------------------------------------------------


def test_cell_times_splits_kernel_start_imports_and_cells():
    """Kernel start = the run's call to the first cell's start; imports = the code cells before
    the ``parameters`` cell; cells = the parameters cell and everything after it."""
    import datetime as dt

    from autotariffs.run import cell_times

    nb = new_notebook()
    spans = [("import pandas", [], "2026-01-02T03:04:06+00:00", 1.5),
             ("origin = 'KOR'", ["parameters"], "2026-01-02T03:04:07.5+00:00", 0.25),
             ("origin = 'JPN'", ["injected-parameters"], "2026-01-02T03:04:07.75+00:00", 0.25),
             ("fit()", [], "2026-01-02T03:04:08+00:00", 2.0)]
    for src, tags, start, dur in spans:
        end = dt.datetime.fromisoformat(start) + dt.timedelta(seconds=dur)
        nb.cells.append(new_code_cell(src, metadata={"tags": tags, "papermill": {
            "start_time": start, "end_time": end.isoformat(), "duration": dur}}))
    nb.cells.append(new_markdown_cell("## no timing"))
    called = dt.datetime(2026, 1, 2, 3, 4, 5, 250000, tzinfo=dt.UTC)
    t = cell_times(nb, called)
    assert (t["kernel_start_s"], t["imports_s"], t["cells_s"]) == (0.75, 1.5, 2.5)
    assert t["after_cells_s"] > 0  # now is after the last cell's end
    assert cell_times(new_notebook(), called) == {}


def test_params_check_leaves_the_runner_without_the_models(tmp_path):
    """The check of 04 imports the models and builds a panel: done in a forked child, so the
    runner does not hold that memory while its kernel runs; a bad file still raises here."""
    params = paths.NOTEBOOKS / "params" / "04_estimates_KOR.yaml"
    code = ("import sys; from pathlib import Path; from autotariffs.run import check_params; "
            f"p = check_params(Path({str(params)!r}), '04_estimates'); "
            "print(p['origin'], 'autotariffs.models.requirements' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-2:] == ["KOR", "False"]

    bad = tmp_path / "04_estimates_KOR.yaml"
    bad.write_text(params.read_text(encoding="utf-8") + "\nno_such_parameter: 1\n")
    with pytest.raises(ParameterError, match="no_such_parameter"):
        check_params(bad, "04_estimates")


def _dies() -> None:
    import os

    os._exit(3)


def test_in_child_returns_raises_and_reports_a_dead_child():
    from autotariffs.run import in_child

    assert in_child(divmod, 7, 2) == (3, 1)
    with pytest.raises(ParameterError, match="bad month"):
        in_child(_raise, ParameterError("bad month"))
    with pytest.raises(RuntimeError, match="_dies died in its child process"):
        in_child(_dies)


def _raise(exc: BaseException) -> None:
    raise exc


def test_the_runner_server_and_pytest_skip_the_optional_iri_checker():
    """jsonschema's optional ``rfc3987_syntax`` (a grammar compiled on import) is blocked in the
    runner, the fork server and every pytest process (addopts loads the blocker before nbval
    imports nbformat); nbformat still validates notebooks without it."""
    from autotariffs import optional_imports

    assert "rfc3987_syntax" in optional_imports.SKIPPED
    assert "rfc3987_syntax" in sys.modules and sys.modules["rfc3987_syntax"] is None  # this process
    for mod in ("autotariffs.run", "autotariffs.forkserver"):
        out = subprocess.run(
            [sys.executable, "-c", f"import sys, {mod}, nbformat; "
             "print(repr(sys.modules.get('rfc3987_syntax', 'absent')))"],
            capture_output=True, text=True, timeout=120, check=True).stdout.strip()
        assert out == "None", (mod, out)
    nbformat.validate(new_notebook(cells=[new_code_cell("1")]))
