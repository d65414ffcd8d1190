"""NWB files from the DANDI Archive: the archive's API through the ``dandi`` client, bytes by range reads.

``dandi://<id>[@<version>]/<asset path>`` is resolved with :class:`dandi.dandiapi.DandiAPIClient`
(dandisets, versions, assets by path, search, embargoed access): ``get_dandiset(id, version)``, then
``get_asset_by_path(path)``; the asset's download URL is followed here (so the API key never goes
to S3) and the NWB file is read lazily with :class:`~glue_widgets.sources.rangefile.RangeFile` + h5py:
only the HDF5 metadata and the chunks of the windows asked for travel.

Failing fast offline: the dandi client retries 12 times (~53 s) and asks the server's ``/info/``
without a timeout when it is built, so the archive's reachability is checked first with the
project's own HTTP client (``GET /info/``, connect timeout <= 2.5 s, one retry; remembered for a
minute), its session gets the session's timeouts, and dandi's version check on PyPI is switched
off (``DANDI_NO_ET=1``).

Base URL: ``$GLUE_DANDI_API_URL`` (default ``https://api.dandiarchive.org/api``). Embargoed
dandisets: ``$DANDI_API_KEY`` is given to the client as its token (sent to the API host only; never
to S3, never printed, logged, or put in a repr or an error message). Zarr-backed assets
(``.nwb.zarr``) are refused with :class:`~glue_widgets.errors.UnsupportedError`.

Offline: the resolution of a URI (content URL, size) and every block read are cached
(``$GLUE_CACHE_DIR``); when the archive cannot be reached, cached resolutions and blocks are used.

Examples
--------
>>> import glue_widgets as gw
>>> gw.dandi.search("mouse visual cortex")                          # doctest: +SKIP
>>> gw.dandi.list_assets("000006", glob="sub-anm369962/*.nwb")       # doctest: +SKIP
>>> s = gw.open("dandi://000006/sub-anm369962/sub-anm369962_ses-20170309.nwb")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import time
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from ..errors import GlueError, InvalidInputError, NetworkError, NotFoundError, UnsupportedError
from .cache import DiskCache, cache_key
from .http import AccessDeniedError, HttpClient, Meter
from .rangefile import DEFAULT_BLOCK_SIZE
from .remote_options import Archive, RemoteOptions, document_options

__all__ = ["open_dandi", "search", "list_assets", "info", "parse_uri", "api_url", "resolve"]

DEFAULT_API = "https://api.dandiarchive.org/api"
ARCHIVE = Archive("DANDI", "dandi", "GLUE_DANDI_API_URL", DEFAULT_API, r"(?i:DANDI:)?(\d{6})",
                  form="dandi://<6-digit id>[@<version>]/<asset path>",
                  example="dandi://000006/sub-anm369962/sub-anm369962_ses-20170309.nwb",
                  id_hint="6 digits, e.g. '000006'")
api_url = ARCHIVE.base_url
parse_uri = ARCHIVE.parse_uri
_check_id = ARCHIVE.check_id


def _make_client(options: RemoteOptions | dict[str, Any], meter: Meter | None = None
                 ) -> tuple[HttpClient, DiskCache, str]:
    """Our HTTP client (the key goes to the API host only), cache and base URL; ``options`` may be the keywords."""
    opts = options if isinstance(options, RemoteOptions) else RemoteOptions.pop_from(options)
    base = api_url()
    key = os.environ.get("DANDI_API_KEY", "").strip()
    headers = {"Authorization": f"token {key}"} if key else None
    return opts.client(meter, headers=headers, auth_host=urlsplit(base).netloc), opts.cache(), base


_REACHABLE: dict[str, dict[str, Any]] = {}  # bases whose /info/ answered in this process


def _reachable(client: HttpClient, base: str, *, force: bool = False) -> dict[str, Any]:
    """``GET {base}/info/`` with a short timeout (NetworkError within a few seconds when offline).

    Done once per process and base before the dandi client first asks the same route without a timeout
    (it remembers the answer); ``force`` asks again.
    """
    if base in _REACHABLE and not force:
        return _REACHABLE[base]
    quick = HttpClient(timeout=(min(client.timeout[0], 2.5), min(client.timeout[1], 10.0)),
                       retries=min(client.retries, 1), backoff=client.backoff, meter=client.meter)
    doc = quick.get_json(f"{base}/info/", what="DANDI info")
    _REACHABLE[base] = doc
    return doc


def _api(client: HttpClient, base: str):
    """A :class:`dandi.dandiapi.DandiAPIClient` for ``base`` that fails fast.

    Its session sends the client's timeouts, is metered in ``client.meter``, retries 5xx/429 at most
    ``client.retries`` times and turns connection failures into NetworkError at once (the dandi
    client's own 12 retries never start); ``DANDI_API_KEY`` becomes its token (checked by the
    server's ``/auth/token``).
    """
    import requests

    _reachable(client, base)
    os.environ.setdefault("DANDI_NO_ET", "1")  # no version check on PyPI from inside a library
    from dandi.dandiapi import DandiAPIClient

    key = os.environ.get("DANDI_API_KEY", "").strip() or None
    session_timeout, meter, retries, backoff = client.timeout, client.meter, client.retries, client.backoff

    def request(method, url, **kw):
        kw.setdefault("timeout", session_timeout)
        for attempt in range(retries + 1):
            meter.add("requests")
            meter.add("round_trips")
            try:
                resp = raw_request(method, url, **kw)
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt == retries:
                    raise NetworkError(f"the DANDI API at {base} cannot be reached ({type(exc).__name__}); "
                                       "check the connection. Cached resolutions and blocks stay usable "
                                       "offline.") from None
                time.sleep(min(4.0, backoff * 2 ** attempt))
                continue
            meter.add("bytes", int(resp.headers.get("Content-Length") or 0))
            if resp.status_code in (429, 500, 502, 503, 504) and attempt < retries:
                time.sleep(min(4.0, backoff * 2 ** attempt))
                continue
            if resp.status_code >= 500 or resp.status_code == 429:
                raise NetworkError(f"the DANDI API at {base} answered HTTP {resp.status_code}; retry later.")
            return resp
        raise AssertionError("unreachable")  # pragma: no cover

    with _dandi_errors(f"the DANDI API at {base}", key=bool(key)):
        try:
            api = DandiAPIClient(api_url=base)
        except RuntimeError as exc:  # the client could not read the server's /info/
            raise NetworkError(f"the DANDI API at {base} did not describe itself ({exc}).") from None
        sess = api.session
        sess.trust_env = False
        raw_request = sess.request
        sess.request = request  # type: ignore[method-assign]
        if key:
            api.authenticate(key)
    return api


@contextlib.contextmanager
def _dandi_errors(what: str, *, key: bool = False, dandiset: str | None = None):
    """Turn the dandi client's and requests' exceptions into GlueErrors that say what to do."""
    import requests

    try:
        yield
    except GlueError:
        raise
    except requests.HTTPError as exc:
        code = getattr(exc.response, "status_code", None)
        if code in (401, 403):
            raise AccessDeniedError(
                f"{what}: access denied (HTTP {code}). "
                + ("The DANDI_API_KEY set in the environment is not accepted or does not give access to it."
                   if key else "It is embargoed or private: put an API key with access in DANDI_API_KEY.")
            ) from None
        if code == 404:
            raise NotFoundError(f"{what} does not exist (HTTP 404); check the id, version or path "
                                "(gw.dandi.search(text) and gw.dandi.list_assets(id) list them).") from None
        raise NetworkError(f"{what} answered HTTP {code}; retry later.") from None
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise NetworkError(f"{what} cannot be reached ({type(exc).__name__}); check the connection. "
                           "Cached resolutions and blocks stay usable offline.") from None
    except Exception as exc:
        from dandi.exceptions import NotFoundError as DandiNotFound

        if isinstance(exc, DandiNotFound):
            raise NotFoundError(f"{what}: {exc}").with_traceback(None) from None
        raise


def info(**kw: Any) -> dict[str, Any]:
    """The archive's ``/info/`` document (server version, schema version)."""
    client, _, base = _make_client(kw)
    return _reachable(client, base, force=True)


def _get_dandiset(api, dandiset: str, version: str | None, key: bool):
    what = f"dandiset {dandiset}" + (f" version {version!r}" if version else "")
    with _dandi_errors(what, key=key):
        return api.get_dandiset(dandiset, version, lazy=False)


def list_assets(dandiset: str, version: str | None = None, glob: str | None = None, **kw: Any) -> pd.DataFrame:
    """Assets of a dandiset: columns path, size, asset_id, uri, zarr.

    Parameters
    ----------
    dandiset : str
        Six-digit id.
    version : str, optional
        Default: the most recent published version, else ``draft``.
    glob : str, optional
        Shell pattern on the asset path, e.g. ``"sub-*/*ecephys.nwb"``.

    Examples
    --------
    >>> gw.dandi.list_assets("000006", glob="*.nwb").head()   # doctest: +SKIP
    """
    dandiset = _check_id(dandiset)
    client, _, base = _make_client(kw)
    api = _api(client, base)
    key = bool(os.environ.get("DANDI_API_KEY", "").strip())
    ds = _get_dandiset(api, dandiset, version, key)
    from dandi.dandiapi import RemoteZarrAsset

    rows = []
    with _dandi_errors(f"the assets of dandiset {dandiset} version {ds.version_id}", key=key):
        for a in (ds.get_assets_by_glob(glob) if glob else ds.get_assets()):
            if glob and not fnmatch.fnmatchcase(a.path, glob):
                continue
            rows.append({"path": a.path, "size": a.size, "asset_id": a.identifier,
                         "uri": f"dandi://{dandiset}@{ds.version_id}/{a.path}",
                         "zarr": isinstance(a, RemoteZarrAsset)})
    return pd.DataFrame(rows, columns=["path", "size", "asset_id", "uri", "zarr"])


def search(text: str, *, limit: int = 50, **kw: Any) -> pd.DataFrame:
    """Dandisets whose name/description match ``text``: identifier, name, version, asset_count, size, embargo.

    Examples
    --------
    >>> gw.dandi.search("hippocampus")   # doctest: +SKIP
    """
    if not isinstance(text, str):
        raise InvalidInputError(f"text={text!r} must be a string.")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
        raise InvalidInputError(f"limit={limit!r} must be a positive integer.")
    client, _, base = _make_client(kw)
    api = _api(client, base)
    rows = []
    with _dandi_errors(f"DANDI search {text!r}"):
        for d in api.get_dandisets(search=text):
            v = d.version
            rows.append({"identifier": d.identifier, "name": v.name, "version": v.identifier,
                         "asset_count": v.asset_count, "size": v.size,
                         "embargo_status": getattr(d.embargo_status, "value", str(d.embargo_status))})
            if len(rows) >= limit:
                break
    return pd.DataFrame(rows, columns=["identifier", "name", "version", "asset_count", "size",
                                       "embargo_status"])


def resolve(uri: str, **kw: Any) -> dict[str, Any]:
    """Resolve a ``dandi://`` URI to ``{"url", "size", "asset_id", "version", ...}`` (cached for offline use)."""
    client = kw.pop("_client", None)
    if client is None:
        client, cache, base = _make_client(kw)
    else:
        cache, base = kw.pop("_cache"), kw.pop("_base")
    dandiset, version, path = parse_uri(uri)
    if not path:
        raise InvalidInputError(f"{uri!r} names a dandiset but no asset; add the asset path "
                                f"(gw.dandi.list_assets({dandiset!r}) lists them).")
    if path.endswith(".zarr") or ".nwb.zarr/" in path or path.endswith(".nwb.zarr"):
        raise UnsupportedError(f"{uri!r} is a Zarr-backed NWB asset; glue_widgets streams HDF5 NWB only. "
                               "Use hdmf_zarr.NWBZarrIO directly, or an HDF5 copy of the data.")
    ckey = cache_key("dandi-resolve", base, dandiset, version or "", path)
    key = bool(os.environ.get("DANDI_API_KEY", "").strip())
    try:
        api = _api(client, base)
        ds = _get_dandiset(api, dandiset, version, key)
        with _dandi_errors(f"asset {path!r} of dandiset {dandiset} version {ds.version_id}", key=key):
            asset = ds.get_asset_by_path(path)
        from dandi.dandiapi import RemoteZarrAsset

        if isinstance(asset, RemoteZarrAsset):
            raise UnsupportedError(f"{uri!r} is stored as Zarr (asset {asset.identifier}); glue_widgets "
                                   "streams HDF5 NWB only. Use hdmf_zarr.NWBZarrIO for Zarr assets.")
        content = client.resolve_redirect(asset.base_download_url, what="DANDI download")
        probe = HttpClient(timeout=client.timeout, retries=client.retries, meter=client.meter).probe(content)
        embargoed = getattr(ds.embargo_status, "value", str(ds.embargo_status)) != "OPEN"
        res = {"url": probe.url, "size": probe.size, "etag": probe.etag, "last_modified": probe.last_modified,
               "asset_id": asset.identifier, "dandiset": dandiset, "version": ds.version_id, "path": path,
               "embargoed": embargoed}
        if not embargoed:  # presigned embargoed URLs expire: do not keep them
            cache.put_json(ckey, res)
        return res
    except NetworkError:
        cached = cache.get_json(ckey)
        if cached is None:
            raise
        return cached


@document_options
def open_dandi(uri: str, **kw: Any):
    """Open an NWB asset of a dandiset lazily: ``dandi://<id>[@<version>]/<path>``.

    Parameters
    ----------
    uri : str
    {remote_options}
    **kw
        Passed to the NWB reader (for example ``bin_width``).

    Returns
    -------
    Session
        ``s.stats`` counts network bytes and requests (including the API calls of opening).
    """
    meter = Meter()
    opts = RemoteOptions.pop_from(kw)
    client, cache, base = _make_client(opts, meter)
    res = resolve(uri, _client=client, _cache=cache, _base=base)
    from .remote_nwb import open_range_nwb

    # the blob id is content-addressed on DANDI: a stable cache identity even if URLs are re-signed
    return open_range_nwb(res["url"], uri=uri, client=opts.client(meter), cache=cache, size=res["size"],
                          cache_id=f"dandi-asset|{res['asset_id']}|{res['size']}|{res.get('etag', '')}|"
                                   f"{res.get('last_modified', '')}",
                          etag=res.get("etag", ""), last_modified=res.get("last_modified", ""),
                          metadata={"dandiset": res["dandiset"], "version": res["version"], "asset": res["path"],
                                    "asset_id": res["asset_id"], "provider": "dandi"},
                          **opts.range_kw(DEFAULT_BLOCK_SIZE), **kw)
