"""A researcher's first hour (issue 15): a movable project, sandboxed interactive runs, `make lab`,
one-line failures, parameters checked against the data, `make rehash-raw`.

Each test works on a small copy of the project (Makefile, src/, notebooks/, data/raw/, lock) in a
temporary folder with a stand-in ``.venv`` (a stamp plus the folder it was "built" for) and
``PY=<this interpreter>``, so no environment is built; the notebook steps run on the real
``autotariffs`` kernel with ``PYTHONPATH`` pointing at the copy's (or the original's) ``src``.
A test that needs a built project uses the run's one shared build (``built_project``,
tests/project/conftest.py) and clones it before changing anything.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from support import ROOT
from support.project import clean_env, copy_project, fake_venv, run_make, tree_digest

TIMEOUT = 300

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make not installed")


def _env(src: Path | None = None, **extra: str) -> dict[str, str]:
    """No variable of the outer build (AUTOTARIFFS_*, make's); PYTHONPATH = ``src`` if given."""
    pythonpath = {} if src is None else {"PYTHONPATH": str(src)}
    return clean_env(("AUTOTARIFFS_", "MAKE", "MFLAGS"), **{**pythonpath, **extra})


def _make(proj: Path, *args: str, src: Path | None = None, cwd: Path | None = None,
          **extra: str) -> subprocess.CompletedProcess[str]:
    return run_make(proj, *args, env=_env(src, **extra), timeout=TIMEOUT, cwd=cwd)


def _outputs(proj: Path) -> dict[str, str]:
    return {**{f"reports/{k}": v for k, v in tree_digest(proj / "reports").items()},
            **{f"data/processed/{k}": v for k, v in tree_digest(proj / "data" / "processed").items()},
            **{f"scratch/{k}": v for k, v in tree_digest(proj / "scratch").items()}}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """One copy of the project's sources, copied again (cp -a style) by each test."""
    return copy_project(tmp_path_factory.mktemp("pristine") / "autotariffs")


def _clone(pristine: Path, dest: Path) -> Path:
    shutil.copytree(pristine, dest, symlinks=True, copy_function=shutil.copy2)
    return dest


# ---- 1. movable and self-healing ------------------------------------------------------------------


def test_every_recipe_gets_the_makefiles_own_folder_as_root(pristine, tmp_path):
    proj = _clone(pristine, tmp_path / "moved-here")
    probe = 'probe: ; @echo "root=$$AUTOTARIFFS_ROOT"'
    inside = _make(proj, "--eval", probe, "probe", AUTOTARIFFS_ROOT="/somewhere/else")
    outside = _make(proj, "-f", str(proj / "Makefile"), "--eval", probe, "probe", cwd=tmp_path)
    for res in (inside, outside):
        assert res.returncode == 0, res.stderr
        assert f"root={proj}" in res.stdout.splitlines(), res.stdout + res.stderr


def test_a_venv_built_for_another_folder_is_rebuilt(pristine, tmp_path):
    proj = _clone(pristine, tmp_path / "copy")
    fake_venv(proj, built_for=tmp_path / "original")
    stale = _make(proj, "-q", ".venv/.installed")
    assert stale.returncode == 1, "a moved .venv (kernel spec, editable install) must be stale"
    plan = _make(proj, "-n", "env")
    assert "rm -rf .venv" in plan.stdout and f"'{tmp_path / 'original'}'" in plan.stdout, plan.stdout
    fake_venv(proj, built_for=proj)
    fresh = _make(proj, "-q", ".venv/.installed")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "rm -rf" not in _make(proj, "-n", "env").stdout


def test_a_copied_project_builds_into_itself_and_converges(built_project):
    """`cp -a` of a project, then `make` in the copy while the code still comes from the original
    (as with the original's editable install): outputs land in the copy only, and a second make
    has nothing to do. The copy is the run's shared build (support.project.shared_build: the
    sources copied to ``original``, then to ``root``, and `make data tariffs` in ``root`` with
    PYTHONPATH at original's src)."""
    orig, copy = built_project.original, built_project.root
    assert _outputs(orig) == {}, "the copy's make wrote into the original project"
    # quiet (issue 21): each step says what it does in one tagged line ([raw ], [run ], [ ok ]);
    # no recipe echo (`python -m autotariffs run ...`), no kernel-transport or interrupt noise
    lines = [ln for ln in built_project.log.splitlines() if ln.strip()]
    assert lines and all(ln.startswith("[") for ln in lines), built_project.log
    made = _outputs(copy)
    assert made == built_project.outputs, "a test changed the shared build (clone it first)"
    for f in ("data/processed/tariffs_monthly.parquet", "reports/results/02_tariff_schedule.json",
              "reports/notebooks/02_tariff_schedule.ipynb", "data/processed/flows.parquet",
              "reports/results/01_build_data.json", "reports/notebooks/01_build_data.ipynb"):
        assert f in made, (f, sorted(made))
    assert not (copy / "scratch").exists(), "a make step wrote to scratch/"
    again = _make(copy, "-q", *built_project.targets, src=orig / "src")
    assert again.returncode == 0, "second make in the copy is not a no-op"


# ---- 2. interactive runs are sandboxed ------------------------------------------------------------


def _run_like_jupyterlab(nb_path: Path, timeout: int = TIMEOUT) -> nbformat.NotebookNode:
    """Execute a notebook as JupyterLab / `jupyter nbconvert --execute` do: its own defaults, the
    project kernel, cwd = the notebook's folder, no build marker and no output root."""
    from nbclient import NotebookClient

    nb = nbformat.read(nb_path, as_version=4)
    NotebookClient(nb, kernel_name="autotariffs", timeout=timeout,
                   resources={"metadata": {"path": str(nb_path.parent)}}).execute()
    return nb


def test_a_notebook_run_outside_make_changes_no_build_output(built_project, tmp_path,
                                                               monkeypatch):
    proj = built_project.clone(tmp_path / "proj")  # a built project: what make published
    before = {k: v for k, v in _outputs(proj).items() if not k.startswith("scratch/")}
    assert "data/processed/tariffs_monthly.parquet" in before
    for key in [k for k in os.environ if k.startswith("AUTOTARIFFS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PYTHONPATH", str(proj / "src"))  # the project's own (editable) package

    nb = _run_like_jupyterlab(proj / "notebooks" / "02_tariff_schedule.ipynb")

    after = {k: v for k, v in _outputs(proj).items() if not k.startswith("scratch/")}
    assert after == before, "an interactive run changed the published build"
    scratch = proj / "scratch"
    assert (scratch / "reports" / "results" / "02_tariff_schedule.json").is_file()
    assert (scratch / "data" / "processed" / "tariffs_monthly.parquet").stat().st_size > 100
    first = next(o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "scratch" in first.get("text", ""), f"first output must name the sandbox: {first}"
    stderr = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []) if o.get("name") == "stderr")
    assert "TqdmWarning" not in stderr and "IProgress" not in stderr, stderr


def test_scratch_is_git_ignored():
    res = subprocess.run(["git", "check-ignore", "-q", "scratch/x.json"], cwd=ROOT)
    if res.returncode == 128:
        pytest.skip("not a git work tree")
    assert res.returncode == 0, "scratch/ must be git-ignored"


# ---- 3. make lab -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lines_until(proc: subprocess.Popen, pattern: re.Pattern[str], seconds: float,
                 seen: list[str]) -> re.Match[str] | None:
    """Read ``proc``'s merged output line by line (appending to ``seen``) until a line matches
    ``pattern``; None if the process ends or ``seconds`` pass first."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            return None
        seen.append(line)
        if m := pattern.search(line):
            return m
    return None


def test_make_lab_streams_its_url_and_opens_at_the_project_root(pristine, tmp_path):
    """`make lab` prints JupyterLab's URL with its token while the server runs (no output sync
    holding it back), serves the project root (notebooks/ and scratch/), with LAB_ARGS passed
    through and the project kernel as default, as this user."""
    requests = pytest.importorskip("requests")
    pytest.importorskip("jupyterlab")
    proj = _clone(pristine, tmp_path / "proj")
    fake_venv(proj, built_for=proj)
    port = _free_port()
    args = f"--no-browser --ServerApp.ip=127.0.0.1 --port={port} --ServerApp.port_retries=0"
    env = _env(proj / "src", JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"), JUPYTER_PLATFORM_DIRS="1")
    proc = subprocess.Popen(["make", f"PY={sys.executable}", "lab", f"LAB_ARGS={args}"], cwd=proj,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    seen: list[str] = []
    url = re.compile(rf"(http://127\.0\.0\.1:{port}/\S*)\?token=([0-9a-f]+)")
    try:
        m = _lines_until(proc, url, 30, seen)
        assert m, f"no URL with a token within 30 s:\n{''.join(seen)}"
        assert any("scratch/" in line for line in seen), "make lab does not say where runs write"
        base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"token {m[2]}"}
        deadline = time.monotonic() + 60  # (the URL is printed as the server starts listening)
        while True:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{base}/api/status", headers=headers, timeout=5).ok:
                    break
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail(f"lab did not answer with the printed token:\n{''.join(seen)}")
            time.sleep(0.5)
        specs = requests.get(f"{base}/api/kernelspecs", headers=headers, timeout=10).json()
        assert specs["default"] == "autotariffs"
        assert requests.get(f"{base}/lab", headers=headers, timeout=30).ok
        contents = requests.get(f"{base}/api/contents", headers=headers, timeout=10).json()
        names = {c["name"] for c in contents["content"]}
        assert {"notebooks", "scratch"} <= names, names
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    text = "".join(seen)
    assert "Running as root is not recommended" not in text, text


# ---- 4. one-line failures, make rehash-raw ----------------------------------------------------------


def test_changed_raw_file_fails_once_in_one_line_and_rehash_raw_records_it(pristine, tmp_path):
    proj = _clone(pristine, tmp_path / "proj")
    fake_venv(proj, built_for=proj)
    raw = proj / "data" / "raw"
    rel = "trade/" + sorted(p.name for p in (raw / "trade").glob("*.csv"))[0]
    with (raw / rel).open("a") as fh:
        fh.write("\n")  # a deliberate one-byte change

    res = _make(proj, "data", "tariffs", src=proj / "src")
    text = res.stdout + res.stderr
    assert res.returncode != 0, text
    fails = [line for line in text.splitlines() if "ChecksumError" in line]
    assert len(fails) == 1, text
    assert rel in fails[0] and "rehash-raw" in fails[0], fails[0]
    assert "Traceback" not in text and "[run ]" not in text, text

    refused = _make(proj, "rehash-raw", src=proj / "src")
    assert refused.returncode != 0 and "FILE=" in refused.stderr, refused.stderr

    old = hashlib.sha256((ROOT / "data" / "raw" / rel).read_bytes()).hexdigest()
    new = hashlib.sha256((raw / rel).read_bytes()).hexdigest()
    done = _make(proj, "rehash-raw", f"FILE=data/raw/{rel}", "REASON=trailing newline test",
                 src=proj / "src")
    assert done.returncode == 0, done.stdout + done.stderr
    sums = (raw / "SHA256SUMS").read_text()
    assert f"{new}  {rel}\n" in sums and old not in sums
    prov = (raw / "trade" / "PROVENANCE.md").read_text()
    today = time.strftime("%Y-%m-%d", time.gmtime())
    tail = prov[prov.rindex("\n## "):]
    assert today in tail and rel in tail and old in tail and new in tail
    assert "trailing newline test" in tail
    ok = _make(proj, "check-raw", src=proj / "src")
    assert ok.returncode == 0, ok.stdout + ok.stderr  # PROVENANCE.md re-hashed too


def test_known_error_in_a_notebook_is_one_line_and_the_notebook_keeps_the_traceback(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('title = "t"', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "from autotariffs.errors import DataContractError\n"
            "raise DataContractError('data/raw/x.csv', 'value_usd', 'value >= 0', values=[-3])"),
    ])
    nb.metadata["kernelspec"] = {"name": "autotariffs", "display_name": "p", "language": "python"}
    src = tmp_path / "06_report.ipynb"
    nbformat.write(nb, src)
    (tmp_path / "p.yaml").write_text('title: "t"\n')
    out = tmp_path / "out" / "06_report.ipynb"
    res = subprocess.run([sys.executable, "-m", "autotariffs", "run", str(src), str(tmp_path / "p.yaml"),
                          str(out)], env=_env(AUTOTARIFFS_OUTPUT_ROOT=str(tmp_path)),
                         capture_output=True, text=True, timeout=TIMEOUT)
    assert res.returncode == 1
    err = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(err) == 1, res.stderr
    assert "DataContractError" in err[0] and "data/raw/x.csv" in err[0] and "-3" in err[0]
    assert not out.exists()
    kept = out.with_name("06_report.failed.ipynb")
    assert "Traceback" in kept.read_text() or "DataContractError" in kept.read_text()


def test_runner_kernel_prints_no_transport_warning(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('title = "t"', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print('hello')"),
    ])
    nb.metadata["kernelspec"] = {"name": "autotariffs", "display_name": "p", "language": "python"}
    nbformat.write(nb, tmp_path / "06_report.ipynb")
    (tmp_path / "p.yaml").write_text('title: "t"\n')
    res = subprocess.run([sys.executable, "-m", "autotariffs", "run", str(tmp_path / "06_report.ipynb"),
                          str(tmp_path / "p.yaml"), str(tmp_path / "o.ipynb")],
                         env=_env(AUTOTARIFFS_OUTPUT_ROOT=str(tmp_path)),
                         capture_output=True, text=True, timeout=TIMEOUT)
    assert res.returncode == 0, res.stderr
    assert "WARNING" not in res.stderr and "without encryption" not in res.stderr, res.stderr


# ---- 5. parameters checked against the data before a kernel starts ---------------------------------


def _flows(root: Path) -> None:
    """A processed flows file: snapshot rows for five origins, 2020-01..2025-07."""
    months = pd.period_range("2020-01", "2025-07", freq="M").to_timestamp()
    rows = [{"reporter": "USA", "partner": o, "hs_code": "8703", "freq": "M", "month": m,
             "value_usd": 1.0, "quantity": 1.0, "flow": "import", "source": "comtrade_m_8703"}
            for o in ("CAN", "DEU", "JPN", "KOR", "MEX") for m in months]
    out = root / "data" / "processed"
    out.mkdir(parents=True)
    pd.DataFrame(rows).to_parquet(out / "flows.parquet")


@pytest.mark.parametrize("bad, expect", [
    ('controls: ["CAM", "CAN"]\n',
     "parameter 'controls': origin 'CAM' is not in the data (have CAN, DEU, JPN, KOR, MEX)"),
    ('end: "2026-06"\n', "parameter 'end': month '2026-06' is outside the data (2020-01 to 2025-07"),
    ('start: "2019-06"\n', "parameter 'start': month '2019-06' is outside the data"),
])
def test_params_outside_the_data_fail_in_one_line_before_a_kernel(tmp_path, bad, expect):
    _flows(tmp_path)
    params = tmp_path / "04_estimates_KOR.yaml"
    params.write_text('origin: "KOR"\n' + bad)
    out = tmp_path / "reports" / "notebooks" / "04_estimates_KOR.ipynb"
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "autotariffs", "run", str(ROOT / "notebooks" /
                          "04_estimates.ipynb"), str(params), str(out)],
                         env=_env(AUTOTARIFFS_OUTPUT_ROOT=str(tmp_path)),
                         capture_output=True, text=True, timeout=TIMEOUT)
    err = [line for line in res.stderr.splitlines() if line.strip()]
    assert res.returncode == 2, res.stderr
    assert len(err) == 1 and "Traceback" not in res.stderr, res.stderr
    assert str(params) in err[0] and expect in err[0] and err[0].endswith("fix the params file")
    assert not out.parent.exists(), "nothing is executed or written"
    assert time.perf_counter() - t0 < 60


def test_check_against_data_accepts_the_shipped_params(tmp_path):
    from autotariffs.config import check_params_file

    _flows(tmp_path)
    from autotariffs.config import check_against_data

    for f in sorted((ROOT / "notebooks" / "params").glob("0[345]_*.yaml")):
        name = "04_estimates" if f.stem.startswith("04_") else f.stem
        check_against_data(name, check_params_file(name, f), tmp_path / "data" / "processed" /
                           "flows.parquet")


def test_outside_make_the_default_output_root_is_scratch():
    """The build marker is the runner's alone: importing the package sets nothing."""
    env = _env()
    out = subprocess.run([sys.executable, "-c", "import os, autotariffs.run, autotariffs.paths as p;"
                          "print(os.environ.get('AUTOTARIFFS_BUILD'), p.OUT.name)"],
                         env=env, capture_output=True, text=True, check=True).stdout.split()
    assert out == ["None", "scratch"], out
