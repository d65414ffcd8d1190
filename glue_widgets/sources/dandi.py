"""NWB files from the DANDI Archive, streamed through the REST API and HTTP range reads.

``dandi://<id>[@<version>]/<asset path>`` is resolved with the archive's REST routes (no ``dandi``
client, whose 12 retries take ~53 s to fail): ``GET /dandisets/{id}/`` (existence, embargo, latest
published version), ``GET /dandisets/{id}/versions/{v}/assets/?path=...`` (paginated; the exact
path is matched here), then ``GET /assets/{asset_id}/download/``, whose redirect gives the content
URL (S3). The NWB file is read lazily with :class:`~glue_widgets.sources.rangefile.RangeFile` +
h5py: only the HDF5 metadata and the chunks of the windows asked for travel.

Base URL: ``$GLUE_DANDI_API_URL`` (default ``https://api.dandiarchive.org/api``). Embargoed
dandisets: ``$DANDI_API_KEY`` is sent as ``Authorization: token ...`` to the API host only (never to
S3, never printed, logged, or put in a repr or an error message). Zarr-backed assets
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

import fnmatch
import os
from typing import Any
from urllib.parse import quote, urlsplit

import pandas as pd

from ..errors import InvalidInputError, NetworkError, NotFoundError, UnsupportedError
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
    """API client (the key goes to the API host only), cache and base URL; ``options`` may be the keywords."""
    opts = options if isinstance(options, RemoteOptions) else RemoteOptions.pop_from(options)
    base = api_url()
    key = os.environ.get("DANDI_API_KEY", "").strip()
    headers = {"Authorization": f"token {key}"} if key else None
    return opts.client(meter, headers=headers, auth_host=urlsplit(base).netloc), opts.cache(), base


def info(**kw: Any) -> dict[str, Any]:
    """The archive's ``/info/`` document (server version, schema version)."""
    client, _, base = _make_client(kw)
    return client.get_json(f"{base}/info/", what="DANDI info")


def _dandiset(client: HttpClient, base: str, dandiset: str) -> dict[str, Any]:
    try:
        return client.get_json(f"{base}/dandisets/{dandiset}/", what="DANDI dandiset")
    except AccessDeniedError:
        has_key = "Authorization" in client._secret_headers
        raise AccessDeniedError(
            f"dandiset {dandiset} is embargoed or private and "
            + ("the DANDI_API_KEY set in the environment does not give access to it."
               if has_key else "no DANDI_API_KEY is set; put an API key with access in the environment.")
        ) from None
    except NotFoundError:
        raise NotFoundError(f"dandiset {dandiset} does not exist at {base}; check the id "
                            "(gw.dandi.search(text) lists dandisets).") from None


def _pick_version(meta: dict[str, Any], dandiset: str, version: str | None) -> str:
    if version:
        return version
    pub = meta.get("most_recent_published_version")
    if pub and pub.get("version"):
        return pub["version"]
    draft = meta.get("draft_version")
    if draft and draft.get("version"):
        return draft["version"]
    raise NotFoundError(f"dandiset {dandiset} has neither a published nor a draft version.")


def _iter_assets(client: HttpClient, base: str, dandiset: str, version: str, *, path: str | None = None,
                 glob: str | None = None, page_size: int = 200):
    url: str | None = f"{base}/dandisets/{dandiset}/versions/{quote(version)}/assets/"
    params: dict[str, Any] | None = {"page_size": page_size}
    if path:
        params["path"] = path
    if glob:
        params["glob"] = glob
    try:
        while url:
            page = client.get_json(url, params=params, what="DANDI assets")
            yield from page.get("results", [])
            url, params = page.get("next"), None  # "next" carries the query already
    except NotFoundError:
        raise NotFoundError(f"dandiset {dandiset} has no version {version!r}; versions are 'draft' or "
                            "published ones like '0.230101.1234'.") from None


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
    meta = _dandiset(client, base, dandiset)
    version = _pick_version(meta, dandiset, version)
    rows = []
    for a in _iter_assets(client, base, dandiset, version, glob=glob):
        p = a.get("path", "")
        if glob and not fnmatch.fnmatchcase(p, glob):
            continue
        rows.append({"path": p, "size": a.get("size"), "asset_id": a.get("asset_id"),
                     "uri": f"dandi://{dandiset}@{version}/{p}", "zarr": bool(a.get("zarr"))})
    return pd.DataFrame(rows, columns=["path", "size", "asset_id", "uri", "zarr"])


def search(text: str, *, limit: int = 50, **kw: Any) -> pd.DataFrame:
    """Dandisets whose name/description match ``text``: identifier, name, version, asset_count, size, embargo.

    Examples
    --------
    >>> gw.dandi.search("hippocampus")   # doctest: +SKIP
    """
    if not isinstance(text, str):
        raise InvalidInputError(f"text={text!r} must be a string.")
    client, _, base = _make_client(kw)
    url: str | None = f"{base}/dandisets/"
    params: dict[str, Any] | None = {"search": text, "page_size": min(limit, 100)}
    rows = []
    while url and len(rows) < limit:
        page = client.get_json(url, params=params, what="DANDI search")
        for d in page.get("results", []):
            v = d.get("most_recent_published_version") or d.get("draft_version") or {}
            rows.append({"identifier": d.get("identifier"), "name": v.get("name"), "version": v.get("version"),
                         "asset_count": v.get("asset_count"), "size": v.get("size"),
                         "embargo_status": d.get("embargo_status")})
        url, params = page.get("next"), None
    return pd.DataFrame(rows[:limit], columns=["identifier", "name", "version", "asset_count", "size",
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
    try:
        meta = _dandiset(client, base, dandiset)
        v = _pick_version(meta, dandiset, version)
        asset = None
        for a in _iter_assets(client, base, dandiset, v, path=path):
            if a.get("path") == path:
                asset = a
                break
        if asset is None:
            raise NotFoundError(f"dandiset {dandiset} version {v} has no asset {path!r}; "
                                f"gw.dandi.list_assets({dandiset!r}, glob=...) lists the paths.")
        if asset.get("zarr") or (asset.get("blob") is None and "zarr" in asset):
            raise UnsupportedError(f"{uri!r} is stored as Zarr (asset {asset.get('asset_id')}); glue_widgets "
                                   "streams HDF5 NWB only. Use hdmf_zarr.NWBZarrIO for Zarr assets.")
        content = client.resolve_redirect(f"{base}/assets/{asset['asset_id']}/download/", what="DANDI download")
        probe = HttpClient(timeout=client.timeout, retries=client.retries, meter=client.meter).probe(content)
        res = {"url": probe.url, "size": probe.size, "etag": probe.etag, "asset_id": asset["asset_id"],
               "dandiset": dandiset, "version": v, "path": path, "embargoed": meta.get("embargo_status") != "OPEN"}
        if not res["embargoed"]:  # presigned embargoed URLs expire: do not keep them
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
                          cache_id=f"dandi-asset|{res['asset_id']}|{res['size']}|{res.get('etag', '')}",
                          metadata={"dandiset": res["dandiset"], "version": res["version"], "asset": res["path"],
                                    "asset_id": res["asset_id"], "provider": "dandi"},
                          **opts.range_kw(DEFAULT_BLOCK_SIZE), **kw)
