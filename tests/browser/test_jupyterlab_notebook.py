"""Notebook 00 in JupyterLab, headless Chromium, offline: run all cells from the Run menu and check that an
ipywidget and a Panel/Bokeh component render (Panel needs ``pn.extension(inline=True)`` offline).

JupyterLab runs on 127.0.0.1 on a free port without a token, rooted at a temporary copy of ``notebooks/``;
every request off the loopback host is blocked by the ``page`` fixture (tests/browser/conftest.py) and listed.
The screenshot goes to test-artifacts/screenshots/jupyterlab_nb00.png.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


REPO = Path(__file__).resolve().parents[2]
NB = "00_overview_and_data_access.ipynb"


def free_port() -> int:
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        return sk.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"jupyter lab not answering at {url} after {timeout} s")


@pytest.fixture
def jupyter_lab(tmp_path):
    pytest.importorskip("jupyterlab")
    root = tmp_path / "notebooks"
    shutil.copytree(REPO / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               JUPYTER_CONFIG_DIR=str(tmp_path / "jcfg"), JUPYTER_RUNTIME_DIR=str(tmp_path / "jrt"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "jlab-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "jlab-ws"))
    env.pop("MPLBACKEND", None)  # the notebook uses %matplotlib inline
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--ServerApp.root_dir={root}", "--IdentityProvider.token=", "--ServerApp.password=",
           "--ServerApp.disable_check_xsrf=True", "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers and CI often run as root
    log = open(tmp_path / "jupyter.log", "w")
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            _wait_http(url + "/api/status", proc)
        except RuntimeError as e:
            log.flush()
            raise RuntimeError(f"{e}\n{(tmp_path / 'jupyter.log').read_text()[-3000:]}") from None
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.mark.timeout(900)
def test_notebook00_runs_and_renders_widgets(page, jupyter_lab, shot):
    page.goto(f"{jupyter_lab}/lab/tree/{NB}", wait_until="domcontentloaded")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=180_000)
    # wait for the kernel to be idle before running (status shown in the toolbar/status bar)
    page.wait_for_function(
        "() => !!document.querySelector('.jp-NotebookPanel') && "
        "!document.querySelector('.jp-Toolbar-kernelStatus[data-status=\"starting\"]')",
        timeout=180_000)
    page.wait_for_timeout(2000)
    # Run menu -> Run All Cells
    page.locator(".jp-NotebookPanel .jp-Cell").first.click()  # focus the notebook so Run targets it
    try:
        page.locator(".lm-MenuBar-item", has=page.locator(".lm-MenuBar-itemLabel", has_text="Run")).first.click()
        page.get_by_role("menuitem", name="Run All Cells").first.click(timeout=30_000)
    except Exception:
        shot(page, "jupyterlab_nb00_menu_failure")
        raise
    # wait until every cell has run (no "[*]" prompt left, the last code cell has its execution count)
    page.wait_for_function(
        "() => { const p = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];"
        " return p.length > 0 && p.every(e => !e.textContent.includes('*')) && /\\d/.test(p[p.length - 1].textContent); }",
        timeout=600_000)
    # an ipywidget and a Panel/Bokeh root must render in the outputs
    widget = page.locator(".jp-OutputArea .widget-dropdown, .jp-OutputArea .widget-slider").first
    widget.wait_for(state="visible", timeout=120_000)
    last_out = page.locator(".jp-CodeCell").last.locator(".jp-OutputArea")
    panel_root = last_out.locator(".bk-Column, [data-root-id], .bk-root").first
    panel_root.wait_for(state="attached", timeout=120_000)
    page.wait_for_timeout(3000)  # let bokeh finish laying out
    last_out.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(1000)
    path = shot(page, "jupyterlab_nb00")
    assert path.exists() and path.stat().st_size > 10_000
    assert page.locator(".jp-OutputArea .widget-dropdown select, .jp-OutputArea .widget-dropdown").count() >= 1
    box = last_out.bounding_box()
    assert box and box["height"] > 100, f"the Panel Browser output is empty: {box}"
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'] .ansi-red-fg, "
                          ".jp-OutputArea-output .jp-RenderedText[data-mime-type='application/vnd.jupyter.error']")
    assert errors.count() == 0, "a cell raised an error"
    # Off-host requests are blocked (and the page still renders); list them so a regression is visible.
    offhost = [u for u in page.external if "cdn.bokeh.org" not in u and "cdn.holoviz.org" not in u]
    assert offhost == [], f"requests left the machine: {offhost}"
