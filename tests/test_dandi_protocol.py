"""DANDI over a local API-compatible server: resolution, browsing, auth, errors, NWB windows equal local reads."""

from __future__ import annotations

import numpy as np
import pytest

import glue_widgets as gw
from glue_widgets.errors import InvalidInputError, NotFoundError, UnsupportedError
from glue_widgets.sources.http import AccessDeniedError
from tests.servers.fixtures import DANDI_TOKEN

pytest_plugins = ["tests.servers.fixtures"]


def _nwb_reader():
    mod = pytest.importorskip("glue_widgets.sources.nwb", reason="local NWB reader not written yet")
    if not hasattr(mod, "open_nwb"):
        pytest.skip("glue_widgets.sources.nwb.open_nwb not available yet")
    return mod.open_nwb


def test_info_search_and_list_assets(dandi_env):
    assert gw.dandi.info()["schema_version"]
    found = gw.dandi.search("visual cortex")
    assert list(found.identifier) == ["000001"] and found.version.iloc[0] == "0.240101.0000"
    assert "000002" not in set(gw.dandi.search("").identifier)  # embargoed: invisible without a key
    df = gw.dandi.list_assets("000001")
    assert len(df) == 7  # 4 pages of 2: pagination followed to the end
    row = df[df.path == "sub-m1/sub-m1_ses-1_units.nwb"].iloc[0]
    assert row["size"] > 100_000 and row.uri == "dandi://000001@0.240101.0000/sub-m1/sub-m1_ses-1_units.nwb"
    nwb = gw.dandi.list_assets("000001", version="draft", glob="sub-m1/*.nwb")
    assert sorted(nwb.path) == [f"sub-m1/sub-m1_ses-1_{k}.nwb" for k in ("ecephys", "ophys", "units")]


@pytest.mark.parametrize("uri,err,words", [
    ("dandi://999999/sub-m1/sub-m1_ses-1_units.nwb", NotFoundError, "999999"),
    ("dandi://000001/sub-m1/nope.nwb", NotFoundError, "nope.nwb"),
    ("dandi://000001@9.999999.9999/sub-m1/sub-m1_ses-1_units.nwb", NotFoundError, "9.999999.9999"),
    ("dandi://000002/sub-x/sub-x_units.nwb", AccessDeniedError, "DANDI_API_KEY"),
    ("dandi://12/sub-m1/x.nwb", InvalidInputError, "dandi://"),
    ("dandi://000001", InvalidInputError, "asset"),
    ("dandi:/000001/x.nwb", Exception, "dandi"),
    ("dandi://000001/sub-m1/sub-m1_ses-2_ecephys.nwb.zarr", UnsupportedError, "Zarr"),
])
def test_clear_errors(dandi_env, uri, err, words):
    with pytest.raises(err) as info:
        gw.open(uri, timeout=(2, 5), retries=0)
    assert words.lower() in str(info.value).lower()
    assert isinstance(info.value, gw.GlueError)


def test_embargoed_with_key_and_token_secrecy(dandi_env, monkeypatch):
    open_nwb = _nwb_reader()  # noqa: F841 - skip while the reader is absent
    api, blobs = dandi_env
    monkeypatch.setenv("DANDI_API_KEY", DANDI_TOKEN)
    s = gw.open("dandi://000002/sub-x/sub-x_units.nwb")
    assert "units" in s.streams
    assert DANDI_TOKEN not in repr(s) and DANDI_TOKEN not in str(s.metadata)
    assert any("Authorization" in h for _, _, h in api.request_log)  # the API saw the token...
    assert not any("Authorization" in h for _, _, h in blobs.request_log)  # ...the blob store never did
    monkeypatch.setenv("DANDI_API_KEY", "wrong-key")
    with pytest.raises(AccessDeniedError) as info:
        gw.open("dandi://000002/sub-x/sub-x_units.nwb")
    assert "wrong-key" not in str(info.value) and "does not give access" in str(info.value)


def test_resolve_without_reader(dandi_env):
    res = gw.dandi.resolve("dandi://000001@draft/sub-m1/sub-m1_ses-1_ophys.nwb")
    assert res["url"].endswith("/blobs/sub-m1_ses-1_ophys.nwb") and res["version"] == "draft"
    assert res["size"] > 1_000_000


@pytest.mark.parametrize("kind", ["ecephys", "ophys", "units"])
def test_ten_minute_window_equals_local_read(dandi_env, nwb_files, kind):
    open_nwb = _nwb_reader()
    local = open_nwb(str(nwb_files[kind]))
    s = gw.open(f"dandi://000001/sub-m1/sub-m1_ses-1_{kind}.nwb")
    assert set(s.streams) == set(local.streams)
    opened = dict(s.stats)
    if kind == "units":
        # the NWB reader reads each unit's first/last spike at open; with 40 units these points touch
        # every chunk of spike_times, so opening costs the metadata plus that vector (see the benchmark)
        import h5py

        with h5py.File(nwb_files[kind], "r") as h:
            budget = 1_000_000 + h["units/spike_times"].id.get_storage_size()
        assert opened["bytes"] < budget
    else:
        assert opened["bytes"] < 1_000_000  # opening reads metadata only
    for name in local.streams:
        a = s.read(name, 30.0, 630.0)
        b = local.read(name, 30.0, 630.0)
        assert a.sizes["time"] > 0
        np.testing.assert_array_equal(a.values, b.values)
        np.testing.assert_array_equal(a.time.values, b.time.values)
        assert list(a.channel.values) == list(b.channel.values)
    if kind != "units":  # (units: opening already fetched every spike_times chunk)
        assert s.stats["bytes"] > opened["bytes"]
    # the same window again: from memory/disk cache, zero network bytes
    before = dict(s.stats)
    for name in local.streams:
        s.read(name, 30.0, 630.0)
    assert s.stats["bytes"] == before["bytes"] and s.stats["requests"] == before["requests"]
    assert s.metadata["dandiset"] == "000001" and s.metadata["asset"].endswith(f"{kind}.nwb")
    s.close()
    local.close()


def test_second_session_reads_window_from_disk_cache(dandi_env):
    _nwb_reader()
    uri = "dandi://000001/sub-m1/sub-m1_ses-1_ecephys.nwb"
    s1 = gw.open(uri)
    x1 = s1.read("ElectricalSeries", 100.0, 160.0)
    s1.close()
    s2 = gw.open(uri)
    before = dict(s2.stats)
    x2 = s2.read("ElectricalSeries", 100.0, 160.0)
    assert s2.stats["bytes"] == before["bytes"] and s2.stats["cache_bytes"] > 0
    np.testing.assert_array_equal(x1.values, x2.values)


def test_offline_open_from_cache(dandi_env):
    _nwb_reader()
    api, blobs = dandi_env
    uri = "dandi://000001/sub-m1/sub-m1_ses-1_units.nwb"
    x1 = gw.open(uri).read("units", 0.0, 100.0)
    for srv in (api, blobs):  # the archive goes down
        srv.faults.rate, srv.faults.kinds = 1.0, ("503",)
    s = gw.open(uri, timeout=(1, 1), retries=0)
    np.testing.assert_array_equal(s.read("units", 0.0, 100.0).values, x1.values)
