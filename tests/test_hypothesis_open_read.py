"""Property-based tests of the doors: ``gw.open`` and ``Session.read`` with generated bad input (issue #20).

Property: a valid result or a ``GlueError`` — never another exception type, never a hang.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given
from hypothesis import strategies as st

import glue_widgets as gw
from glue_widgets.model import ArraySession, make_timeseries
from tests.support.hypo import fast, junk, mostly, number_or_junk, outcome

pytestmark = pytest.mark.timeout(180)

# inputs that once escaped gw.open with a raw exception (found by this suite): regression cases
KNOWN_URI = {
    "http://[::1": "HTTP layer: urlsplit's ValueError('Invalid IPv6 URL') escapes gw.open",
    "http://127.0.0.1:9/\udcff": "HTTP layer: a lone surrogate in the URL raises UnicodeEncodeError",
    "dandi://000006/\udcff": "DANDI source: a lone surrogate in the asset path raises UnicodeEncodeError",
}


@pytest.fixture(autouse=True)
def _offline_archives(monkeypatch):
    # archive URIs must fail fast and locally: point the archives at a closed port
    monkeypatch.setenv("GLUE_DANDI_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.setenv("GLUE_OPENNEURO_URL", "http://127.0.0.1:9/openneuro")


def _uris():
    schemes = st.sampled_from(["http", "https", "dandi", "openneuro", "demo", "file", "s3", "ftp", "", "HTTP",
                               "dandi+http", "local"])
    rest = st.one_of(st.text(max_size=24), st.sampled_from(
        ["", "/", "..", "../../etc/passwd", "000006", "000006@draft/x.nwb", "999999/sub-1/x.nwb", "ds000001",
         "ds004504@1.0.0/sub-001/eeg/x.set", "127.0.0.1:9/x.nwb", "[::1", "[::1]:9/x.nwb", "%00", "x.nwb?a=b",
         "arbor/m01/day0/../..", "\udcff", "a" * 300]))
    built = st.builds(lambda s, r: f"{s}://{r}", schemes, rest)
    plain = st.one_of(st.text(max_size=30), st.sampled_from(
        ["", ".", "..", "/", "~", "/dev/null", "/etc/passwd", "x.nwb", "x.edf", "x.vhdr", "x.set", "x.bdf",
         "/proc/self/environ.nwb", "nul\x00.nwb", "ünïcødé.nwb", "a.nwb.zarr", "/tmp"]))
    return st.one_of(built, plain, junk, st.binary(max_size=20))


ISSUE_EXAMPLES = ["file://", "..", "", b"x.nwb", 12, None, "http://", "http://127.0.0.1:99999/x", "http://[::1]:9/x",
                  "dandi://", "dandi://000006", "dandi://abc/x.nwb", "openneuro://", "openneuro://ds000001",
                  "demo://", "demo://nope", "s3://bucket/x.nwb", "nul\x00.nwb", "\udcff.nwb", "/dev/null", "/tmp",
                  "ünïcødé.nwb", "a.nwb.zarr", "file://../../etc/passwd"]


def _with_examples(test):
    for u in ISSUE_EXAMPLES:
        test = hypothesis.example(uri=u)(test)
    return test


@fast(60)
@_with_examples
@given(uri=_uris())
def test_open_any_uri(uri):
    ok, s = outcome(gw.open, uri, timeout=(0.5, 0.5), retries=0) if isinstance(uri, str) and "://" in uri \
        else outcome(gw.open, uri)
    if ok:
        try:
            assert isinstance(s, gw.model.Session) and isinstance(s.streams, dict)
        finally:
            s.close()


@pytest.mark.parametrize("uri", sorted(KNOWN_URI))
def test_open_former_failures(uri):
    outcome(gw.open, uri)


@fast(20)
@given(kw=st.dictionaries(st.sampled_from(["bin_width", "timeout", "retries", "cache_dir", "keep_alive", "x"]),
                          number_or_junk, max_size=2))
def test_open_local_nwb_with_any_options(nwb_file, kw):
    ok, s = outcome(gw.open, str(nwb_file), **kw)
    if ok:
        s.close()


# -- Session.read -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mem_session():
    t = np.arange(500) / 50.0
    x = make_timeseries(np.random.default_rng(0).normal(size=(500, 3)), t, ["1", "2", "12"], modality="lfp",
                        fs=50.0)
    spikes = {"u1": np.array([0.5, 1.0, 8.0]), "u2": np.array([2.0, 9.5]), "u3": np.array([])}
    return ArraySession("mem://hyp", signals={"lfp": x}, spikes={"units": spikes})


@pytest.fixture(scope="module")
def nwb_file(tmp_path_factory):
    pytest.importorskip("pynwb")
    from tests.support.nwb_testing import write_example_nwb

    path = tmp_path_factory.mktemp("hyp_nwb") / "example.nwb"
    write_example_nwb(path)
    return path


@pytest.fixture(scope="module")
def nwb_session(nwb_file):
    s = gw.open(str(nwb_file))
    yield s
    s.close()


window = mostly(st.one_of(st.none(), st.floats(0, 9), st.integers(0, 9)),
                st.one_of(st.floats(-5, 40), st.integers(-5, 40), number_or_junk))
channels = mostly(st.one_of(st.none(), st.sampled_from(["1", "2", "12"]),
                            st.lists(st.sampled_from(["1", "2", "12"]), min_size=1, max_size=3)),
                  st.one_of(st.text(max_size=3), st.lists(st.sampled_from(["1", "2", "12", "0", "7", "x"]), max_size=3),
                            st.lists(st.integers(-2, 12), max_size=3), junk))
bin_width = mostly(st.floats(1e-3, 2.0),
                   st.one_of(st.sampled_from([0, -1, 1e-9, 1e-12, float("nan"), float("inf")]), junk))


def _read_property(session, stream, start, stop, chans, bw):
    kw = {} if bw is _ABSENT else {"bin_width": bw}
    ok, x = outcome(session.read, stream, start, stop, channels=chans, **kw)
    if ok:
        assert isinstance(x, xr.DataArray) and x.dims == ("time", "channel")
        t = x.time.values
        assert np.all(np.diff(t) > 0)
        if isinstance(chans, str):
            assert x.channel.values.tolist() == [chans]
        elif chans is not None:
            assert x.channel.values.tolist() == [str(c) for c in chans]
        assert x.size <= 2**28


_ABSENT = object()


@fast(80)
@given(stream=mostly(st.sampled_from(["lfp", "units"]), junk), start=window, stop=window, chans=channels,
       bw=mostly(st.just(_ABSENT), bin_width))
def test_read_array_session(mem_session, stream, start, stop, chans, bw):
    _read_property(mem_session, stream, start, stop, chans, bw)


@fast(60)
@given(data=st.data(), start=window, stop=window, bw=mostly(st.just(_ABSENT), bin_width))
def test_read_local_nwb(nwb_session, data, start, stop, bw):
    names = sorted(nwb_session.streams)
    stream = data.draw(mostly(st.sampled_from(names), junk), label="stream")
    ids = []
    if isinstance(stream, str) and stream in nwb_session.streams:
        ex = nwb_session.streams[stream].extra.get("channels")
        ids = [str(c) for c in (ex if ex is not None else range(nwb_session.streams[stream].n_channels))][:4]
    chans = data.draw(mostly(st.one_of(st.none(), st.lists(st.sampled_from(ids or ["0"]), min_size=1, max_size=2)),
                             st.one_of(st.lists(st.sampled_from(ids + ["nope", "0"]), max_size=2), channels)),
                      label="channels")
    _read_property(nwb_session, stream, start, stop, chans, bw)
