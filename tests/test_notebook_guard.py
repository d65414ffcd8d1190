"""The notebook guards in the repository's conftest.py work: a stalled cell is interrupted and its
notebook run again with a fresh kernel; an ordinary error in a cell fails at once, without reruns; kernels use IPC sockets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_stalled_cell_is_interrupted_and_rerun_but_errors_are_not(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbmake")
    pytest.importorskip("pytest_rerunfailures")
    from nbformat.v4 import new_code_cell, new_notebook

    nbformat.write(new_notebook(cells=[new_code_cell("import time\ntime.sleep(120)  # stalls")]),
                   tmp_path / "stall.ipynb")
    transport = ("import json\nfrom ipykernel.connect import get_connection_info\n"
                 "assert json.loads(get_connection_info())['transport'] == 'ipc'")
    nbformat.write(new_notebook(cells=[new_code_cell(transport), new_code_cell("raise ValueError('an ordinary bug')")]),
                   tmp_path / "bug.ipynb")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)  # the child needs nbmake and rerunfailures
    # -p conftest loads the repository's conftest.py as a plugin for notebooks outside the checkout
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "stall.ipynb", "bug.ipynb", "--nbmake", "--nbmake-timeout=3",
         "-p", "conftest", "-p", "no:cacheprovider", "-v", "--rootdir", str(tmp_path), "-o", "addopts="],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert out.count("stall.ipynb::stall.ipynb RERUN") == 2, out  # a stall: two more tries
    assert "bug.ipynb::bug.ipynb RERUN" not in out, out  # an ordinary error: no retry
    assert "KeyboardInterrupt" in out and "time.sleep(120)" in out, out  # where the kernel hung
    assert "an ordinary bug" in out, out  # (so the kernel did run on IPC sockets: the cell before passed)
