"""Local files in the dashboards: ``--data-dir DIR`` lists recordings as local://<path relative to DIR>."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from glue_widgets.apps.deeplink import parse_query
from glue_widgets.apps.listing import DataDirs, DefaultListing
from glue_widgets.errors import GlueError, InvalidInputError


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "recordings"
    (d / "sub-01" / "eeg").mkdir(parents=True)
    (d / "sub-01" / "eeg" / "sub-01_task-rest_eeg.vhdr").write_text("x")
    (d / "sub-01" / "eeg" / "sub-01_task-rest_eeg.eeg").write_text("x")  # a data file, not listed
    (d / "a.nwb").write_bytes(b"")
    (d / "night.EDF").write_bytes(b"")
    (d / "notes.txt").write_text("x")
    (d / ".hidden").mkdir()
    (d / ".hidden" / "h.nwb").write_bytes(b"")
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "s.nwb").write_bytes(b"")
    os.symlink(outside / "s.nwb", d / "link-out.nwb")          # a file link leading out
    os.symlink(outside, d / "dir-out")                          # a folder link leading out
    os.symlink(d / "a.nwb", d / "link-in.nwb")                  # a link that stays inside
    return d


def test_lists_recordings_under_dir_only(data_dir):
    got = DataDirs([data_dir]).list()
    assert got == sorted(got) or set(got)  # deterministic walk
    assert set(got) == {"local://a.nwb", "local://night.EDF", "local://link-in.nwb",
                        "local://sub-01/eeg/sub-01_task-rest_eeg.vhdr"}


@pytest.mark.parametrize("uri", ["local://../secret/s.nwb", "local:///etc/passwd", "local://link-out.nwb",
                                 "local://dir-out/s.nwb", "local://sub-01/../../secret/s.nwb",
                                 "local://~/x.nwb", "local://C:/x.nwb", "local://a.nwb\x00.txt"])
def test_refuses_anything_outside(data_dir, uri):
    with pytest.raises(InvalidInputError, match="outside the data directory"):
        DataDirs([data_dir]).resolve(uri)


def test_refuses_other_files_and_missing_ones(data_dir):
    dd = DataDirs([data_dir])
    with pytest.raises(InvalidInputError, match="not a recording"):
        dd.resolve("local://notes.txt")
    with pytest.raises(GlueError, match="no such file"):
        dd.resolve("local://gone.nwb")
    assert dd.resolve("local://a.nwb") == Path(os.path.realpath(data_dir / "a.nwb"))


def test_default_listing_offers_local_files_only_with_a_data_dir(data_dir):
    assert "local" not in DefaultListing().sources()
    ok, errors = parse_query({"session": "local://a.nwb"}, DefaultListing())
    assert "session" not in ok and "does not belong to an allowed source" in errors[0]
    cat = DefaultListing(data_dirs=[data_dir])
    assert cat.sources()[:2] == ["demo", "local"]
    assert "local://a.nwb" in cat.list("local")
    ok, errors = parse_query({"session": "local://sub-01/eeg/sub-01_task-rest_eeg.vhdr"}, cat)
    assert ok == {"source": "local", "session": "local://sub-01/eeg/sub-01_task-rest_eeg.vhdr"} and not errors
    ok, errors = parse_query({"session": "local://../secret/s.nwb"}, cat)
    assert "session" not in ok and "refused" in errors[0]
    ok, errors = parse_query({"source": "local", "session": "/etc/passwd"}, cat)
    assert "session" not in ok


def test_several_dirs_are_named_apart(tmp_path):
    a, b = tmp_path / "labA" / "data", tmp_path / "labB" / "data"
    for d in (a, b):
        d.mkdir(parents=True)
        (d / "x.nwb").write_bytes(b"")
    dd = DataDirs([a, b])
    assert dd.list() == ["local://data/x.nwb", "local://data-2/x.nwb"]
    assert dd.resolve("local://data-2/x.nwb") == Path(os.path.realpath(b / "x.nwb"))
    with pytest.raises(InvalidInputError):
        dd.resolve("local://x.nwb")


def test_missing_data_dir_is_a_clear_error(tmp_path):
    with pytest.raises(GlueError, match="is not a directory"):
        DataDirs([tmp_path / "nope"])


def test_local_nwb_opens_in_the_browser_model(tmp_path):
    from support.nwb_testing import write_example_nwb

    from glue_widgets.apps.browser import BrowserModel
    d = tmp_path / "mine"
    d.mkdir()
    write_example_nwb(d / "session.nwb")
    m = BrowserModel(catalog=DefaultListing(data_dirs=[d]), source="local", use_rest_analysis=False)
    assert m.uri == "local://session.nwb" and m.session is not None and m.data is not None
    assert m.message == ""
    m.set_value("uri", "local://../../etc/passwd")
    assert "outside the data directory" in m.message or "path traversal" in m.message
    assert m.uri == "local://session.nwb"


def test_listing_pickles_for_the_rest_worker(data_dir):
    import pickle
    cat = pickle.loads(pickle.dumps(DefaultListing(data_dirs=[data_dir])))
    assert "local://a.nwb" in cat.list("local")


def test_cli_serve_accepts_data_dirs(data_dir):
    from glue_widgets.cli import build_parser
    args = build_parser().parse_args(["serve", "--data-dir", str(data_dir), "--data-dir", str(data_dir / "sub-01")])
    assert args.data_dir == [str(data_dir), str(data_dir / "sub-01")]


def test_makefile_passes_data_dir():
    mk = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    assert "DATA_DIR ?=" in mk and '--data-dir "$(d)"' in mk


def test_widgets_accept_a_path(tmp_path):
    from support.nwb_testing import write_example_nwb

    from glue_widgets.widgets.explorers import _as_catalog, session_catalog
    f = tmp_path / "one.nwb"
    write_example_nwb(f)
    cat = session_catalog(f)  # a pathlib.Path, not only a str
    assert cat.list("notebook") == [str(f)]
    assert "local://one.nwb" in _as_catalog(tmp_path).list("local")


def test_rest_page_drops_the_previous_sessions_detection(monkeypatch):
    """A session switch clears the old rest window and card before the new detection arrives."""
    from glue_widgets.apps import rest as rest_app
    from glue_widgets.apps.toy import TOY_URIS, toy_catalog
    seen = []

    def fake_detect(catalog, uri, **kw):
        seen.append(uri)
        if uri == TOY_URIS[0]:
            return {"start": 10.0, "stop": 610.0, "method": "gw.extract_rest", "card": {"session": "first"}, "note": ""}
        raise RuntimeError("detection still running")  # the second detection has not answered yet

    monkeypatch.setattr(rest_app, "detect_rest_cached", fake_detect)
    m = rest_app.RestModel(catalog=toy_catalog())
    view = rest_app.RestView(m)
    assert m.rest["card"] == {"session": "first"}
    with pytest.raises(RuntimeError):
        m.uri = TOY_URIS[2]
    assert m.rest == {} and m.window == m.span  # nothing of the first session is left
    assert "first" not in view._card.object.to_string()


def test_pages_show_local_names_not_server_paths(data_dir):
    cat = DefaultListing(data_dirs=[data_dir])
    real = os.path.realpath(data_dir)
    msg = f"no rest window found in {real}/sub-01/eeg/sub-01_task-rest_eeg.vhdr (stream 'eeg')"
    assert cat.redact(msg) == "no rest window found in local://sub-01/eeg/sub-01_task-rest_eeg.vhdr (stream 'eeg')"
    assert DefaultListing().redact(msg) == msg
