"""Deep-link validation: only sessions the catalog allows; no paths, URLs, traversal or junk numbers."""

from __future__ import annotations

import pytest

from glue_widgets.apps.listing import DefaultListing, MappingListing
from glue_widgets.apps.deeplink import binder_link, build_query, parse_query
from glue_widgets.apps.toy import TOY_URIS, toy_catalog
from glue_widgets.errors import InvalidInputError


@pytest.fixture
def cat():
    return toy_catalog()


def test_valid_link_accepted(cat):
    ok, err = parse_query({"source": [b"toy"], "session": [TOY_URIS[1].encode()], "start": [b"12.5"],
                           "window": [b"30"], "stream": [b"lfp"]}, cat)
    assert err == [] and ok == {"source": "toy", "session": TOY_URIS[1], "start": 12.5, "window": 30.0,
                                "stream": "lfp"}


def test_source_inferred_from_allowed_scheme(cat):
    ok, err = parse_query({"session": TOY_URIS[0]}, cat)
    assert ok["source"] == "toy" and not err


@pytest.mark.parametrize("bad", [
    "/etc/passwd", "../../../etc/passwd", "toy://lab-a/../../etc/passwd", "file:///etc/passwd",
    "https://evil.example/x.nwb", "http://127.0.0.1:22/", "toy://lab-a/m1/day9", "~/.ssh/id_rsa",
    "toy://lab-a/m1/day0\x00.nwb", "C:\\Windows\\win.ini", "x" * 1000, "",
])
def test_paths_urls_traversal_refused(cat, bad):
    ok, err = parse_query({"session": bad}, cat)
    assert "session" not in ok and err and "refused" in err[0]


@pytest.mark.parametrize("bad", ["dandi://000006/../../x.nwb", "dandi://6/x.nwb", "dandi://000006/x.nwb?y=1",
                                 "openneuro://ds004504/sub-001/eeg/x.exe", "dandi://000006/a//b.nwb"])
def test_archive_uri_forms_checked(bad):
    cat = MappingListing({"dandi": {}, "openneuro": {}})
    with pytest.raises(InvalidInputError):
        cat.check_uri(bad.split(":")[0], bad)


def test_archive_uri_form_accepted():
    cat = MappingListing({"dandi": {}})
    u = "dandi://000006@0.220126.1855/sub-anm369962/sub-anm369962_ses-20170309.nwb"
    assert cat.check_uri("dandi", u) == u


def test_foreign_source_refused(cat):
    ok, err = parse_query({"source": "s3", "session": "s3://bucket/x.nwb"}, cat)
    assert ok == {} and len(err) == 2


@pytest.mark.parametrize("key,val", [("start", "nan"), ("start", "-1"), ("start", "1e308"), ("start", "abc"),
                                     ("window", "0"), ("window", "inf"), ("window", "1;DROP"),
                                     ("start", ["1", "2"]), ("window", b"\xff\xfe")])
def test_malformed_numbers_refused(cat, key, val):
    ok, err = parse_query({key: val}, cat)
    assert key not in ok and err and err[0].startswith(key)


def test_unknown_keys_ignored_and_query_roundtrip(cat):
    ok, err = parse_query({"foo": "bar", "session": TOY_URIS[0]}, cat)
    assert "foo" not in ok and not err
    q = build_query(source="toy", session=TOY_URIS[0], start=1.25, window=10.0)
    from urllib.parse import parse_qs
    back, err = parse_query({k: v for k, v in parse_qs(q[1:]).items()}, cat)
    assert back == {"source": "toy", "session": TOY_URIS[0], "start": 1.25, "window": 10.0} and not err


def test_default_catalog_offers_demo():
    c = DefaultListing()
    assert "demo" in c.sources()
    with pytest.raises(InvalidInputError):
        c.check_uri("demo", "demo://../../etc/passwd")


def _what_the_dashboard_gets(binder_url: str) -> tuple[str, dict]:
    """Follow a Binder link: Binder decodes ``urlpath`` once and opens it under the user's Jupyter; the
    proxy hands the path's query to the Panel server, which decodes it into ``session_args``."""
    from urllib.parse import parse_qs, urlsplit
    urlpath = parse_qs(urlsplit(binder_url).query)["urlpath"][0]
    path, _, query = urlpath.partition("?")
    return path, {k: [v.encode() for v in vs] for k, vs in parse_qs(query).items()}


def test_binder_link_reaches_the_dashboard_with_its_query(cat):
    url = binder_link("browser", session=TOY_URIS[2], start=250.0, window=5.0)
    path, args = _what_the_dashboard_gets(url)
    assert path == "panel/browser"
    ok, err = parse_query(args, cat)
    assert not err and ok == {"source": "toy", "session": TOY_URIS[2], "start": 250.0, "window": 5.0}


def test_readme_binder_example_decodes_to_the_documented_link():
    from pathlib import Path
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    example = "?urlpath=panel/browser%3Fsession%3Ddemo://arbor/m01/day0%26start%3D100"
    assert example in readme  # the form the README documents
    path, args = _what_the_dashboard_gets("https://mybinder.org/v2/gh/o/r/main" + example)
    assert path == "panel/browser" and args == {"session": [b"demo://arbor/m01/day0"], "start": [b"100"]}
    ok, err = parse_query(args, DefaultListing())
    assert not err and ok["session"] == "demo://arbor/m01/day0" and ok["start"] == 100.0
