"""The options and URI parsing shared by the dandi://, openneuro:// and http(s):// openers."""

from __future__ import annotations

import pytest

from glue_widgets.errors import InvalidInputError
from glue_widgets.sources import dandi, openneuro, remote_nwb
from glue_widgets.sources.remote_options import OPTIONS_DOC, RemoteOptions, parse_archive_uri


def test_pop_from_takes_only_the_options(tmp_path):
    kw = {"timeout": (1.0, 2.0), "retries": 0, "cache_dir": tmp_path, "bin_width": 0.01}
    opts = RemoteOptions.pop_from(kw)
    assert kw == {"bin_width": 0.01}
    assert (opts.timeout, opts.retries, opts.backoff) == ((1.0, 2.0), 0, 0.1)
    c = opts.client()
    assert (c.timeout, c.retries) == ((1.0, 2.0), 0)
    assert opts.range_kw(4096) == {"block_size": 4096, "memory_bytes": 64 << 20}
    assert RemoteOptions(block_size=1024).range_kw(4096)["block_size"] == 1024
    assert str(opts.cache().directory).startswith(str(tmp_path))


@pytest.mark.parametrize("opener", [dandi.open_dandi, openneuro.open_openneuro, remote_nwb.open_url])
def test_every_opener_documents_the_shared_options(opener):
    assert "{remote_options}" not in opener.__doc__
    assert OPTIONS_DOC in opener.__doc__


@pytest.mark.parametrize("uri, expected", [
    ("dandi://000006/sub-1/a.nwb", ("000006", None, "sub-1/a.nwb")),
    ("DANDI://DANDI:000006@0.220126.1903/a.nwb/", ("000006", "0.220126.1903", "a.nwb")),
    ("dandi://000006", ("000006", None, "")),
])
def test_dandi_uris(uri, expected):
    assert dandi.parse_uri(uri) == expected


@pytest.mark.parametrize("uri, expected", [
    ("openneuro://ds004504/sub-001/eeg/x.set", ("ds004504", None, "sub-001/eeg/x.set")),
    ("openneuro://ds000001@1.0.0/sub-01/eeg/x.edf", ("ds000001", "1.0.0", "sub-01/eeg/x.edf")),
])
def test_openneuro_uris(uri, expected):
    assert openneuro.parse_uri(uri) == expected


@pytest.mark.parametrize("uri", ["dandi://6/x.nwb", "dandi:/000006/x", "openneuro://000006/x", None,
                                 "dandi://000006@bad version/x"])
def test_malformed_uris_name_the_value_and_the_form(uri):
    with pytest.raises(InvalidInputError, match=r"expected .*://<") as e:
        parse_archive_uri(uri, "dandi", r"(\d{6})", form="dandi://<id>/<path>") if uri is None else (
            openneuro.parse_uri(uri) if "openneuro" in uri else dandi.parse_uri(uri))
    assert repr(uri) in str(e.value)


def test_archives_share_one_spec(monkeypatch):
    monkeypatch.setenv("GLUE_DANDI_API_URL", "http://127.0.0.1:9/api/")
    assert dandi.api_url() == "http://127.0.0.1:9/api"
    monkeypatch.delenv("GLUE_OPENNEURO_URL", raising=False)
    assert openneuro.base_url() == openneuro.DEFAULT_URL
    assert dandi.ARCHIVE.check_id("DANDI:000006") == "000006"
    with pytest.raises(InvalidInputError, match="6 digits"):
        dandi.list_assets("12")
    with pytest.raises(InvalidInputError, match="ds004504"):
        openneuro.list_files("004504")
