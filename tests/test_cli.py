import json
import subprocess
import sys

import pytest

from glue_widgets.cli import build_parser, main


def test_parser_knows_every_command():
    p = build_parser()
    assert p.parse_args(["serve"]).address == "localhost"
    assert p.parse_args(["serve", "--port", "6000"]).port == 6000
    assert p.parse_args(["serve"]).num_procs == 1
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


def test_serve_passes_its_options_to_serve_all(monkeypatch):
    import glue_widgets.apps.serve as serve
    seen = {}
    monkeypatch.setattr(serve, "serve_all", lambda **kw: seen.update(kw))
    assert main(["serve", "--port", "6001", "--num-procs", "2", "--prefix", "/panel"]) == 0
    assert seen["port"] == 6001 and seen["num_procs"] == 2 and seen["prefix"] == "/panel"
    assert seen["address"] == "localhost"


def test_serve_refuses_a_negative_process_count(capsys):
    assert main(["serve", "--num-procs", "-1"]) == 2
    assert "--num-procs" in capsys.readouterr().err
