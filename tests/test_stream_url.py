"""gw.open("http(s)://...nwb"): the same streaming path as DANDI, straight from a URL."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import glue_widgets as gw
from glue_widgets.errors import CorruptFileError, InvalidInputError, NotFoundError, UnsupportedError

pytest_plugins = ["tests.servers.fixtures"]


@pytest.fixture
def served(static_server, nwb_files, monkeypatch, tmp_path):
    monkeypatch.setenv("GLUE_CACHE_DIR", str(tmp_path / "cache"))
    shutil.copy(nwb_files["ophys"], static_server.root / "ophys.nwb")
    (static_server.root / "fake.nwb").write_bytes(b"PK\x03\x04 this is a zip, not HDF5" * 50)
    return static_server


def test_url_window_equals_local(served, nwb_files):
    nwb = pytest.importorskip("glue_widgets.sources.nwb", reason="local NWB reader not written yet")
    url = f"{served.url}/files/ophys.nwb"
    s = gw.open(url, timeout=(2, 10))
    local = nwb.open_nwb(str(nwb_files["ophys"]))
    np.testing.assert_array_equal(s.read("dff", 100.0, 400.0).values, local.read("dff", 100.0, 400.0).values)
    assert s.metadata["url"] == url and s.stats["requests"] > 0
    # a second session over the same cache: the window costs no network
    s2 = gw.open(url)
    before = dict(s2.stats)
    s2.read("dff", 100.0, 400.0)
    assert s2.stats["bytes"] == before["bytes"]
    # the server gone: the cached resolution and blocks still serve that window
    served.faults.rate, served.faults.kinds = 1.0, ("503",)
    s3 = gw.open(url, timeout=(1, 1), retries=0)
    np.testing.assert_array_equal(s3.read("dff", 100.0, 400.0).values, local.read("dff", 100.0, 400.0).values)


def test_url_errors(served):
    with pytest.raises(NotFoundError):
        gw.open(f"{served.url}/files/missing.nwb", retries=0)
    with pytest.raises(CorruptFileError):
        gw.open(f"{served.url}/files/fake.nwb")
    with pytest.raises(UnsupportedError):
        gw.open(f"{served.url}/files/x.nwb.zarr")
    from glue_widgets.sources.remote_nwb import open_url

    with pytest.raises(InvalidInputError):
        open_url("ftp://example.org/x.nwb")
