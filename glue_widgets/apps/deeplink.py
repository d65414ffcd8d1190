"""Deep links: the URL query parameters ``source``, ``session``, ``stream``, ``start``, ``window``.

Everything in a query string is untrusted. :func:`parse_query` accepts only sources and sessions the
page's :class:`~glue_widgets.apps.listing.SessionListing` allows (so ``?session=/etc/passwd`` or
``?session=https://evil.example/x.nwb`` is refused) and finite, bounded numbers; what it refuses is
returned as messages the page shows.
"""

from __future__ import annotations

import math
from typing import Any, Mapping
from urllib.parse import quote, urlencode

from ..errors import InvalidInputError

__all__ = ["parse_query", "build_query", "binder_link", "QUERY_KEYS"]

BINDER_BASE = "https://mybinder.org/v2/gh/glue-widgets/glue_widgets/main"

QUERY_KEYS = ("source", "session", "stream", "start", "window")
_MAX_VALUE_LEN = 300
_MAX_SECONDS = 1e7  # ~115 days: beyond any recording, catches "1e308" and friends


def _first(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        if len(v) != 1:
            raise InvalidInputError(f"expected one value, got {len(v)}.")
        v = v[0]
    if isinstance(v, bytes):
        v = v.decode("utf-8", errors="strict")
    if not isinstance(v, str):
        raise InvalidInputError(f"value {v!r} is not text.")
    if len(v) > _MAX_VALUE_LEN:
        raise InvalidInputError(f"value of {len(v)} characters is too long.")
    return v


def _seconds(v: str, name: str, positive: bool) -> float:
    try:
        x = float(v)
    except ValueError:
        raise InvalidInputError(f"{name}={v[:30]!r} is not a number of seconds.") from None
    if not math.isfinite(x) or abs(x) > _MAX_SECONDS or x < 0 or (positive and x == 0):
        raise InvalidInputError(f"{name}={v[:30]!r} is out of range (finite, {'> 0' if positive else '>= 0'} s).")
    return x


def parse_query(args: Mapping[str, Any], catalog) -> tuple[dict, list[str]]:
    """Validate deep-link arguments against ``catalog``.

    Parameters
    ----------
    args : mapping
        ``pn.state.session_args`` (values are lists of bytes) or a plain ``{key: str}`` mapping.
    catalog : SessionListing

    Returns
    -------
    accepted : dict
        Subset of ``source`` (str), ``session`` (str), ``stream`` (str), ``start``, ``window`` (float).
    errors : list of str
        One readable message per refused parameter.

    Examples
    --------
    >>> from glue_widgets.apps.toy import toy_catalog
    >>> parse_query({"source": "toy", "session": "/etc/passwd"}, toy_catalog())[1][0][:24]
    'session refused: session'
    """
    out: dict = {}
    errors: list[str] = []
    raw: dict[str, str] = {}
    for key in QUERY_KEYS:
        if key in args:
            try:
                raw[key] = _first(args[key])
            except (InvalidInputError, UnicodeDecodeError) as exc:
                errors.append(f"{key} refused: {exc}")
    if "source" in raw:
        try:
            out["source"] = catalog.check_source(raw["source"])
        except InvalidInputError as exc:
            errors.append(f"source refused: {exc}")
    if "session" in raw:
        source = out.get("source")
        if source is None:
            # infer the source from the URI scheme, but only among the allowed ones
            scheme = raw["session"].split("://", 1)[0] if "://" in raw["session"] else ""
            source = scheme if scheme in catalog.sources() else None
            if source is None and raw["session"] in {u for s in catalog.sources() for u in catalog.list(s)}:
                source = next(s for s in catalog.sources() if raw["session"] in catalog.list(s))
        try:
            if source is None:
                raise InvalidInputError(
                    f"session {raw['session'][:60]!r} does not belong to an allowed source {catalog.sources()}; "
                    "file paths and URLs are not accepted.")
            out["session"] = catalog.check_uri(source, raw["session"])
            out.setdefault("source", source)
        except InvalidInputError as exc:
            errors.append(f"session refused: {exc}")
    if "stream" in raw:
        s = raw["stream"]
        if s and s.isprintable() and len(s) <= 120:
            out["stream"] = s  # checked against the opened session's streams later
        else:
            errors.append(f"stream refused: {s[:30]!r} is not a stream name.")
    for key, positive in (("start", False), ("window", True)):
        if key in raw:
            try:
                out[key] = _seconds(raw[key], key, positive)
            except InvalidInputError as exc:
                errors.append(f"{key} refused: {exc}")
    return out, errors


def build_query(**values: Any) -> str:
    """``?source=..&session=..`` for the given values (None dropped); floats rounded to ms."""
    clean = {k: (f"{v:.3f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v))
             for k, v in values.items() if v is not None and k in QUERY_KEYS}
    return "?" + urlencode(clean) if clean else ""


def binder_link(app: str, base: str = BINDER_BASE, **values: Any) -> str:
    """A Binder URL that opens dashboard ``app`` (served by jupyter-panel-proxy) with a deep link.

    Binder decodes the ``urlpath`` parameter once and opens ``<jupyter>/<urlpath>``, so the inner
    ``?`` and ``&`` of the dashboard's own query are encoded one level deeper than the URL itself.

    Examples
    --------
    >>> binder_link("browser", session="demo://arbor/m01/day0", start=100.0)  # doctest: +ELLIPSIS
    'https://mybinder.org/v2/gh/.../main?urlpath=panel/browser%3Fsession%3Ddemo%253A%252F%252Farbor...'
    """
    return f"{base}?urlpath=" + quote(f"panel/{app}{build_query(**values)}", safe="/")
