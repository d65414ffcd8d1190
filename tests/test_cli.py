import json
import subprocess
import sys

import numpy as np
import pytest

from glue_widgets.cli import build_parser, main


def test_parser_knows_every_command():
    p = build_parser()
    assert p.parse_args(["serve"]).address == "localhost"
    assert p.parse_args(["serve", "--port", "6000"]).port == 6000
    assert p.parse_args(["demo", "build", "--size", "small"]).size == "small"
    assert p.parse_args(["info", "x.nwb", "--json"]).json


def test_info_reports_a_clear_error_for_a_missing_file(tmp_path, capsys):
    rc = main(["info", str(tmp_path / "nope.nwb")])
    assert rc == 2
    assert "no file" in capsys.readouterr().err


def test_info_on_a_real_nwb_file(shared_data, capsys):
    pytest.importorskip("glue_widgets.sources.nwb")
    path = shared_data / "pynapple_nwb" / "A8604-211122.nwb"
    assert main(["info", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["streams"], "a units stream is expected"
    assert any(s["kind"] == "events" for s in out["streams"].values())


def test_console_script_module_runs():
    r = subprocess.run([sys.executable, "-m", "glue_widgets.cli", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "glue-widgets" in r.stdout
