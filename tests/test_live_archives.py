"""Live checks against the real DANDI Archive and OpenNeuro S3 (deselected by default; ``-m network``).

They need internet access, which CI here does not have; run them by hand:
``pytest -m network tests/test_live_archives.py``.
"""

from __future__ import annotations

import pytest

import glue_widgets as gw

pytestmark = pytest.mark.network


@pytest.fixture(autouse=True)
def _real_archives(monkeypatch, tmp_path):
    monkeypatch.delenv("GLUE_DANDI_API_URL", raising=False)
    monkeypatch.delenv("GLUE_OPENNEURO_URL", raising=False)
    monkeypatch.setenv("GLUE_CACHE_DIR", str(tmp_path / "cache"))


def test_dandi_info_and_search():
    assert gw.dandi.info()["schema_version"]
    assert "000006" in set(gw.dandi.search("anm369962", limit=20).identifier) or len(gw.dandi.search("mouse")) > 0


def test_dandi_list_and_stream_a_window():
    assets = gw.dandi.list_assets("000006", glob="sub-anm369962/*.nwb")
    assert len(assets) >= 1
    s = gw.open(assets.uri.iloc[0], timeout=(10, 60))
    assert s.streams
    assert s.stats["bytes"] < 5_000_000  # opening reads metadata, not the file
    name = next(iter(s.streams))
    info = s.streams[name]
    x = s.read(name, info.start_s, min(info.stop_s, info.start_s + 10.0))
    assert x.sizes["time"] > 0


def test_dandi_missing_dandiset():
    with pytest.raises(gw.errors.NotFoundError):
        gw.open("dandi://999999/sub-x/sub-x.nwb", timeout=(10, 30))


def test_openneuro_list_find_rest_and_read():
    files = gw.openneuro.list_files("ds004504", "sub-001/")
    assert any(p.endswith("_eeg.set") for p in files.path)
    rest = gw.openneuro.find_rest_runs("ds004504")
    assert len(rest) > 0
    s = gw.open(rest.uri.iloc[0], timeout=(10, 60))
    x = s.read("eeg", 0.0, 10.0)
    assert x.sizes["channel"] > 0 and x.attrs["units"] == "V"
