"""The one HTTP layer of glue_widgets: every remote byte (DANDI, OpenNeuro, any URL) goes through here.

:class:`HttpClient` reuses one ``requests.Session`` (keep-alive), sets explicit ``(connect, read)``
timeouts on every request, retries a bounded number of times with exponential backoff on 5xx and
connection errors, resumes a range read that dropped mid-body from the byte where it stopped,
checks every ``206`` answer (``Content-Range`` must name exactly the bytes asked for, the body must
have exactly that length) and counts bytes and requests in a :class:`Meter`.

Wrong data is never returned: an answer that does not match the request is retried, and after the
allowed retries a :class:`~glue_widgets.errors.NetworkError` is raised. The worst-case wait of one
call is bounded: each attempt waits at most the connect timeout, then the read timeout per stalled
socket read and ``read_timeout * (4 + MB requested)`` for the whole body (a server dripping bytes
never trips a socket timeout), and there are ``retries + 1`` attempts plus backoff.

Secrets (``Authorization`` headers) live only in the session headers of the client they belong to;
they never appear in reprs, log lines or exception messages, and they are not sent to a redirect
target on another host (the DANDI download redirect goes to S3, which must not see the token).
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import urljoin, urlsplit

import requests

from ..errors import AccessDeniedError, GlueError, InvalidInputError, NetworkError, NotFoundError

__all__ = ["HttpClient", "Meter", "AccessDeniedError", "DEFAULT_TIMEOUT", "DEFAULT_RETRIES", "RemoteInfo"]

DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)
DEFAULT_RETRIES = 3
_USER_AGENT = "glue_widgets (+https://github.com/glue-widgets)"
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


class Meter(dict):
    """Thread-safe byte/request counter; a ``dict`` so it can serve directly as ``Session.stats``.

    Keys: ``bytes`` (payload bytes received from the network), ``requests`` (HTTP requests sent),
    ``retries`` (requests repeated after a failure), ``cache_bytes`` (bytes served from the cache).
    """

    def __init__(self) -> None:
        super().__init__(bytes=0, requests=0, retries=0, cache_bytes=0)
        self._lock = threading.Lock()

    def add(self, key: str, n: int = 1) -> None:
        with self._lock:
            self[key] = self.get(key, 0) + int(n)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self)


@dataclass(frozen=True)
class RemoteInfo:
    """What a probe learns about a remote file: final URL (after redirects), size and ETag."""

    url: str
    size: int
    etag: str = ""


def _check_timeout(timeout: Any) -> tuple[float, float]:
    if isinstance(timeout, (int, float)):
        timeout = (float(timeout), float(timeout))
    try:
        c, r = (float(timeout[0]), float(timeout[1]))
    except (TypeError, ValueError, IndexError):
        raise InvalidInputError(
            f"timeout={timeout!r} must be seconds or a (connect, read) pair of seconds."
        ) from None
    if not (c > 0 and r > 0):
        raise InvalidInputError(f"timeout={timeout!r} must be positive seconds.")
    return c, r


def _redact(url: str) -> str:
    """Drop the query (presigned S3 URLs carry signatures there) for messages."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + ("?..." if parts.query else "")


class HttpClient:
    """A small, strict HTTP client for range reads and JSON/XML APIs.

    Parameters
    ----------
    timeout : float or (float, float)
        ``(connect, read)`` seconds; the read timeout bounds each stalled socket read.
    retries : int
        How many times a failed request (connection error, timeout, 5xx, 429, a body that does not
        match the request) is repeated before :class:`NetworkError` is raised.
    backoff : float
        First backoff delay in seconds; doubles each retry (with up to 25 % jitter), capped at 4 s.
    headers : mapping, optional
        Extra headers for every request (for example ``Authorization``). Never shown anywhere.
    meter : Meter, optional
        Where bytes and requests are counted (a new one if omitted).
    auth_host : str, optional
        Host (``netloc``) that may receive the extra headers; requests elsewhere go without them.

    Examples
    --------
    >>> c = HttpClient(timeout=(2, 10), retries=2)
    >>> data = c.read_range("https://example.org/file.nwb", 0, 512)  # doctest: +SKIP
    >>> c.meter["bytes"]                                              # doctest: +SKIP
    512
    """

    def __init__(
        self,
        *,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = 0.1,
        headers: Mapping[str, str] | None = None,
        meter: Meter | None = None,
        auth_host: str | None = None,
    ) -> None:
        self.timeout = _check_timeout(timeout)
        if not isinstance(retries, int) or retries < 0:
            raise InvalidInputError(f"retries={retries!r} must be a non-negative integer.")
        self.retries = retries
        self.backoff = float(backoff)
        self.meter = meter if meter is not None else Meter()
        self._secret_headers = dict(headers or {})
        self._auth_host = auth_host
        self._local = threading.local()  # one requests.Session per thread (Session is not thread-safe)

    def __repr__(self) -> str:  # never show headers: they may hold a token
        auth = ", authenticated" if self._secret_headers else ""
        return f"<HttpClient timeout={self.timeout} retries={self.retries}{auth}>"

    # -- plumbing -------------------------------------------------------------------------------
    @property
    def session(self) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = requests.Session()
            s.headers["User-Agent"] = _USER_AGENT
            s.trust_env = False  # no .netrc: credentials come only from what the caller passes
            self._local.session = s
        return s

    def close(self) -> None:
        s = getattr(self._local, "session", None)
        if s is not None:
            s.close()
            self._local.session = None

    def _headers_for(self, url: str, extra: Mapping[str, str] | None) -> dict[str, str]:
        h: dict[str, str] = {}
        if self._secret_headers and (self._auth_host is None or urlsplit(url).netloc == self._auth_host):
            h.update(self._secret_headers)
        if extra:
            h.update(extra)
        return h

    def _sleep(self, attempt: int) -> None:
        delay = min(4.0, self.backoff * (2 ** attempt))
        time.sleep(delay * (1.0 + 0.25 * random.random()))

    def _send(self, method: str, url: str, *, headers=None, params=None, stream=False,
              allow_redirects=True) -> requests.Response:
        self.meter.add("requests")
        try:
            return self.session.request(
                method, url, headers=self._headers_for(url, headers), params=params, stream=stream,
                timeout=self.timeout, allow_redirects=allow_redirects,
            )
        except requests.exceptions.InvalidURL as exc:
            raise InvalidInputError(f"URL {_redact(url)!r} is not valid: {type(exc).__name__}.") from None
        except requests.exceptions.MissingSchema:
            raise InvalidInputError(f"URL {_redact(url)!r} has no http(s):// scheme.") from None

    def _retrying(self, what: str, url: str, attempt_fn: Callable[[int], Any]) -> Any:
        """Run ``attempt_fn(attempt)`` until it returns, retrying transient failures."""
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.meter.add("retries")
                self._sleep(attempt - 1)
            try:
                return attempt_fn(attempt)
            except _Transient as exc:
                last = str(exc)
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                    requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
                last = f"{type(exc).__name__}"
        raise NetworkError(
            f"{what} {_redact(url)!r} failed after {self.retries + 1} attempts "
            f"(timeout={self.timeout} s); last problem: {last}. Check the connection or retry later; "
            "cached data stay usable offline."
        )

    @staticmethod
    def _raise_for_status(resp: requests.Response, url: str, what: str) -> None:
        code = resp.status_code
        if code in _RETRY_STATUS:
            resp.close()
            raise _Transient(f"HTTP {code}")
        if code in (401, 403):
            resp.close()
            raise AccessDeniedError(
                f"{what} {_redact(url)!r} answered HTTP {code}: access denied. If it is embargoed or "
                "private, set the credential in the environment (DANDI_API_KEY for DANDI)."
            )
        if code == 404:
            resp.close()
            raise NotFoundError(f"{what} {_redact(url)!r} does not exist (HTTP 404); check the address.")
        if code == 416:
            resp.close()
            raise InvalidInputError(f"{what} {_redact(url)!r}: requested range is beyond the end of the file.")
        if code >= 400:
            resp.close()
            raise NetworkError(f"{what} {_redact(url)!r} answered HTTP {code}.")

    # -- API calls ------------------------------------------------------------------------------
    def get(self, url: str, *, params: Mapping[str, Any] | None = None, headers=None,
            what: str = "GET", expect_len: int | None = None) -> requests.Response:
        """GET a (small) resource, body read completely, with retries; errors are GlueErrors.

        ``expect_len``: the size the body must have (a shorter/longer body is retried).
        """

        def attempt(_: int) -> requests.Response:
            resp = self._send("GET", url, params=params, headers=headers)
            self._raise_for_status(resp, url, what)
            body = resp.content  # read inside the retry loop: a drop mid-body is retried
            self.meter.add("bytes", len(body))
            if expect_len is not None and len(body) != expect_len:
                raise _Transient(f"body of {len(body)} bytes, expected {expect_len}")
            return resp

        return self._retrying(what, url, attempt)

    def get_json(self, url: str, *, params: Mapping[str, Any] | None = None, what: str = "GET") -> Any:
        resp = self.get(url, params=params, headers={"Accept": "application/json"}, what=what)
        try:
            return resp.json()
        except ValueError:
            raise NetworkError(f"{what} {_redact(url)!r} did not answer JSON (status {resp.status_code}).") from None

    def resolve_redirect(self, url: str, *, what: str = "resolve") -> str:
        """Follow redirects by hand (so credentials stay on their host); return the final URL."""
        current = url
        for _hop in range(5):
            def attempt(_: int, u=current) -> requests.Response:
                resp = self._send("GET", u, headers={"Range": "bytes=0-0"}, allow_redirects=False, stream=True)
                if resp.is_redirect or resp.status_code in (301, 302, 303, 307, 308):
                    resp.close()
                    return resp
                self._raise_for_status(resp, u, what)
                resp.close()
                return resp

            resp = self._retrying(what, current, attempt)
            loc = resp.headers.get("Location")
            if not loc or resp.status_code not in (301, 302, 303, 307, 308):
                return current
            current = urljoin(current, loc)
        raise NetworkError(f"{what} {_redact(url)!r}: more than 5 redirects.")

    def probe(self, url: str) -> RemoteInfo:
        """Size and ETag of a remote file via a 1-byte range GET (HEAD is not always allowed)."""

        def attempt(_: int) -> RemoteInfo:
            resp = self._send("GET", url, headers={"Range": "bytes=0-0"}, stream=True)
            self._raise_for_status(resp, url, "probe")
            try:
                body = resp.raw.read(2, decode_content=False)
            finally:
                resp.close()
            self.meter.add("bytes", len(body))
            etag = resp.headers.get("ETag", "")
            if resp.status_code == 206:
                m = _CONTENT_RANGE.fullmatch(resp.headers.get("Content-Range", "").strip())
                if not m or m.group(3) == "*" or int(m.group(1)) != 0:
                    raise _Transient("bad Content-Range on probe")
                return RemoteInfo(resp.url, int(m.group(3)), etag)
            raise NetworkError(
                f"{_redact(url)!r} does not support HTTP range requests (status {resp.status_code}); "
                "glue_widgets needs ranges to stream windows."
            )

        return self._retrying("probe", url, attempt)

    def read_range(self, url: str, start: int, length: int, *, expect_size: int | None = None) -> bytes:
        """Return exactly ``length`` bytes of ``url`` from ``start``; resumes a dropped body.

        Raises :class:`NetworkError` when the bytes cannot be had within the retries.
        """
        if length <= 0:
            return b""
        buf = bytearray()
        end = start + length - 1

        def attempt(_: int) -> bytes:
            pos = start + len(buf)  # resume after what earlier attempts delivered
            resp = self._send("GET", url, headers={"Range": f"bytes={pos}-{end}",
                                                  "Accept-Encoding": "identity"}, stream=True)
            try:
                self._raise_for_status(resp, url, "range read")
                if resp.status_code != 206:
                    raise _Transient(f"status {resp.status_code} instead of 206 for a range request")
                m = _CONTENT_RANGE.fullmatch(resp.headers.get("Content-Range", "").strip())
                if not m or int(m.group(1)) != pos or int(m.group(2)) != end:
                    raise _Transient(f"Content-Range {resp.headers.get('Content-Range')!r} does not match "
                                     f"bytes {pos}-{end}")
                if expect_size is not None and m.group(3) != "*" and int(m.group(3)) != expect_size:
                    raise NetworkError(
                        f"{_redact(url)!r} changed size on the server ({m.group(3)} bytes, expected "
                        f"{expect_size}); reopen it."
                    )
                want = end - pos + 1
                got = 0
                # a server dripping bytes never trips the socket timeout: bound the whole body too
                deadline = time.monotonic() + self.timeout[1] * (4.0 + want / 1e6)
                while got < want:
                    if time.monotonic() > deadline:
                        raise _Transient(f"body too slow ({got} of {want} bytes by the deadline)")
                    # read1: whatever has arrived (read(n) would block until n bytes came)
                    chunk = resp.raw.read1(min(1 << 20, want - got), decode_content=False)
                    if not chunk:
                        break
                    buf.extend(chunk)
                    got += len(chunk)
                    self.meter.add("bytes", len(chunk))
                if got < want:
                    raise _Transient(f"body ended after {got} of {want} bytes")
                if resp.raw.read(1, decode_content=False):
                    del buf[len(buf) - got:]  # longer than announced: distrust the whole answer
                    raise _Transient("body longer than the requested range")
                return bytes(buf)
            except Exception as exc:
                # urllib3 raises its own errors when a socket dies mid-body
                if _is_socket_failure(exc):
                    raise _Transient(type(exc).__name__) from None
                raise
            finally:
                resp.close()

        return self._retrying("range read", url, attempt)

    def download(self, url: str, dest: str | os.PathLike, *, progress: bool | Callable[[int, int], None] = False,
                 chunk: int = 8 << 20, size: int | None = None) -> int:
        """Download ``url`` to ``dest`` (written to a temp file, then renamed) with resumable ranges.

        ``progress`` is ``True`` for a tqdm bar or a callable ``(done, total)``. Returns the size.
        """
        info = self.probe(url) if size is None else RemoteInfo(url, size)
        total = info.size
        bar = None
        if progress is True:
            from tqdm.auto import tqdm
            bar = tqdm(total=total, unit="B", unit_scale=True, desc=os.path.basename(str(dest)))
        tmp = f"{os.fspath(dest)}.part-{os.getpid()}-{threading.get_ident()}"
        try:
            with open(tmp, "wb") as fh:
                done = 0
                while done < total:
                    n = min(chunk, total - done)
                    fh.write(self.read_range(info.url, done, n, expect_size=total))
                    done += n
                    if bar is not None:
                        bar.update(n)
                    elif callable(progress):
                        progress(done, total)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, dest)
        finally:
            if bar is not None:
                bar.close()
            if os.path.exists(tmp):
                os.remove(tmp)
        return total


class _Transient(Exception):
    """A failure worth retrying (internal)."""


def _is_socket_failure(exc: BaseException) -> bool:
    import urllib3.exceptions as ue

    return isinstance(exc, (ue.HTTPError, OSError, requests.exceptions.ConnectionError,
                            requests.exceptions.Timeout)) and not isinstance(exc, (GlueError, _Transient))
