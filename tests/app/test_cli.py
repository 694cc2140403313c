"""The ``autotariffs`` command: one entry point, one line per known error, logging not print.

Issue 16: "one ``autotariffs`` command (``[project.scripts]``) with subcommands for what
``python -m`` entry points do today"; "a params typo or a known data error prints one line naming
the file and the fix, exit non-zero, no traceback on the terminal"; "the standard logging module
instead of print callbacks".
"""

from __future__ import annotations

import ast
import logging
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from autotariffs import cli, paths

SRC = Path(cli.__file__).parent
SUBCOMMANDS = {"run", "check-params", "raw", "build-data", "replicate", "fetch", "refresh-notebook"}


def _cli(*args: str, cwd: Path = paths.ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autotariffs", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_one_command_is_declared_and_lists_every_subcommand():
    meta = tomllib.loads((paths.ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["scripts"] == {"autotariffs": "autotariffs.cli:main"}
    res = _cli("--help")
    assert res.returncode == 0, res.stderr
    listed = {w.strip(",{}") for w in res.stdout.split()}
    assert SUBCOMMANDS <= listed, res.stdout


def test_no_module_keeps_its_own_main_block():
    """``python -m autotariffs.<module>`` entry points went into the command: the only
    ``if __name__ == "__main__"`` left in the package is ``autotariffs/__main__.py``."""
    found = []
    for f in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
                    and isinstance(node.test.left, ast.Name) and node.test.left.id == "__name__"):
                found.append(f.relative_to(SRC).as_posix())
    assert found == ["__main__.py"], found


def test_no_print_in_the_package():
    """Progress and results go through logging (autotariffs.logs), never print()."""
    calls = [f"{f.relative_to(SRC)}:{n.lineno}" for f in sorted(SRC.rglob("*.py"))
             for n in ast.walk(ast.parse(f.read_text(encoding="utf-8")))
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"]
    assert calls == [], calls


def test_a_params_typo_is_one_line_naming_the_file_and_the_fix(tmp_path):
    bad = tmp_path / "04_estimates_KOR.yaml"
    bad.write_text("orgin: KOR\n")  # typo of 'origin'
    res = _cli("check-params", "04_estimates", str(bad))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert str(bad) in lines[0] and "did you mean 'origin'?" in lines[0]
    assert lines[0].endswith("fix the params file"), lines[0]
    assert "Traceback" not in res.stdout + res.stderr


def test_a_known_data_error_is_one_line_without_traceback(tmp_path):
    """A ChecksumError (an AutotariffsError) from a subcommand: one [fail] line, exit 1."""
    res = _cli("raw", "rehash", "data/raw/trade/no_such_file.csv", "--reason", "test")
    assert res.returncode == 1, res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("[fail] raw: ChecksumError: "), res.stderr
    assert "no_such_file.csv" in lines[0] and "FILE=" in lines[0]
    assert "Traceback" not in res.stdout + res.stderr


def test_raw_verify_reports_through_logging(capsys):
    assert cli.main(["raw", "verify"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[raw ] data/raw matches SHA256SUMS (") and out.count("\n") == 1


def test_the_data_stage_logs_its_progress(caplog, tmp_path):
    """build_all reports through the module logger (no print callback any more)."""
    from autotariffs.data.build import build_all

    with caplog.at_level(logging.INFO, logger="autotariffs"):
        build_all(paths.RAW, tmp_path, verify=False)
    msgs = [r.getMessage() for r in caplog.records if r.name == "autotariffs.data.build"]
    assert any(m.startswith("flows: ") for m in msgs), msgs
    assert any(m.startswith("wrote 5 files") for m in msgs), msgs


def test_fetch_rejects_an_unknown_source_in_one_line():
    res = _cli("fetch", "--only", "censuss", "--out", "data/raw/fetched")
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [
        "[fail] fetch: unknown source censuss; use --only with one of census, comtrade, fred"]


@pytest.mark.parametrize("argv", [["raw", "verify"], ["check-params", "06_report",
                                                     "notebooks/params/06_report.yaml"]])
def test_logger_level_is_restored_after_a_call(argv):
    logger = logging.getLogger("autotariffs")
    before = logger.level
    assert cli.main(argv) == 0
    assert logger.level == before
