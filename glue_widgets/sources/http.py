"""The one HTTP layer of glue_widgets: every remote byte (DANDI, OpenNeuro, any URL) goes through here.

:class:`HttpClient` reuses one ``requests.Session`` per thread (keep-alive), sets explicit
``(connect, read)`` timeouts on every request, retries a bounded number of times with exponential
backoff on 5xx, 429 and connection errors, resumes a range read that dropped mid-body from the byte
where it stopped, and counts bytes, requests and round trips in a :class:`Meter`.

Guarantees (each tested against fault-injecting loopback servers, ``tests/test_http_*`` and the fault
matrix ``tests/test_stream_fault_matrix.py``):

* **No wrong bytes.** A range answer is accepted only if it is ``206``, has no ``Content-Encoding``
  other than ``identity`` (``Accept-Encoding: identity`` is sent), its ``Content-Range`` names exactly
  the bytes asked for (and the known file size), its ``Content-Length`` (when sent) equals that length
  and the body is not longer. A rejected answer is discarded whole, before its body is read; only bytes
  of an accepted answer that dropped mid-body are kept and resumed after.
* **One file version per session.** The ``ETag`` / ``Last-Modified`` validators seen first are
  remembered (see :class:`RangeFile`); an answer with other validators raises
  :class:`RemoteChangedError` instead of mixing two versions of a file.
* **One total deadline per call.** ``read_range``, ``get``/``get_json``, ``probe`` each return or
  raise :class:`~glue_widgets.errors.NetworkError` within ``deadline`` seconds (default
  ``(retries + 1) * (connect + read * (2 + MB requested))`` plus the backoff sleeps), whatever the
  server does: a watchdog (:mod:`.http_deadline`) shuts the socket down when an attempt's share of the
  deadline passes, so a server dripping headers or body cannot keep a read alive.
* **Retry-After** on 429/503 is honoured up to ``max_retry_after`` seconds (default 10 s); a server
  asking for a longer wait, or for more than the deadline leaves, gets a NetworkError at once.

Secrets (``Authorization`` headers) live only in the session headers of the client they belong to;
they never appear in reprs, log lines or exception messages, and they are not sent to a redirect
target on another host (the DANDI download redirect goes to S3, which must not see the token).

This file is long because :class:`HttpClient` is one mechanism: its retry loop, deadline, response
validation and batching share one request state; the deadline watchdog lives in :mod:`.http_deadline`.
"""

from __future__ import annotations

import os
import email.utils
import functools
import math
import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import urljoin, urlsplit

import requests

from ..errors import AccessDeniedError, GlueError, InvalidInputError, NetworkError, NotFoundError
from .http_deadline import Deadline, mount_deadline_adapter

__all__ = ["HttpClient", "Meter", "AccessDeniedError", "DEFAULT_TIMEOUT", "DEFAULT_RETRIES", "RemoteInfo",
           "RemoteChangedError", "MAX_WORKERS"]

DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)
DEFAULT_RETRIES = 3
_USER_AGENT = "glue_widgets (+https://github.com/glue-widgets)"
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
MAX_WORKERS = 8  # concurrent range requests of one planned read (a bounded pool)
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


class RemoteChangedError(NetworkError):
    """The file changed on the server during a session (another ETag / Last-Modified / size): reopen it."""


class Meter(dict):
    """Thread-safe byte/request counter; a ``dict`` so it can serve directly as ``Session.stats``.

    Keys: ``bytes`` (payload bytes received from the network), ``requests`` (HTTP requests sent),
    ``retries`` (requests repeated after a failure), ``cache_bytes`` (bytes served from the cache),
    ``round_trips`` (waits on the network one after another: a request alone is one, a batch of
    concurrent requests is one per ``MAX_WORKERS`` of them). ``last_read`` (an attribute) holds the
    same counts for the latest window read of a session.
    """

    def __init__(self) -> None:
        super().__init__(bytes=0, requests=0, retries=0, cache_bytes=0, round_trips=0)
        self._lock = threading.Lock()
        self.last_read: dict[str, int] = {}

    def since(self, before: Mapping[str, int]) -> dict[str, int]:
        """Counts added since the snapshot ``before``."""
        now = self.snapshot()
        return {k: now[k] - int(before.get(k, 0)) for k in now}

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
    last_modified: str = ""

    @property
    def validator(self) -> dict[str, str]:
        return {"etag": self.etag, "last_modified": self.last_modified}


def _check_timeout(timeout: Any) -> tuple[float, float]:
    if isinstance(timeout, (int, float)):
        timeout = (float(timeout), float(timeout))
    try:
        c, r = (float(timeout[0]), float(timeout[1]))
    except (TypeError, ValueError, IndexError):
        raise InvalidInputError(
            f"timeout={timeout!r} must be seconds or a (connect, read) pair of seconds."
        ) from None
    if not (c > 0 and r > 0) or not (math.isfinite(c) and math.isfinite(r)):
        raise InvalidInputError(f"timeout={timeout!r} must be positive, finite seconds.")
    return c, r


def _redact(url: str) -> str:
    """Drop the query (presigned S3 URLs carry signatures there) for messages."""
    try:
        parts = urlsplit(url)
    except ValueError:  # malformed (e.g. an unclosed IPv6 bracket): show the part before any query
        return str(url).split("?", 1)[0][:200]
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
    deadline : float, optional
        Total seconds one call (all attempts, sleeps included) may take. Default
        ``(retries + 1) * (connect + read * (2 + MB requested))`` plus the backoff sleeps.
    max_retry_after : float
        Longest ``Retry-After`` (seconds) honoured; a server asking for more gets a NetworkError.

    Examples
    --------
    >>> c = HttpClient(timeout=(2, 10), retries=2)
    >>> c.deadline_for(1_000_000) > 0
    True
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
        deadline: float | None = None,
        max_retry_after: float = 10.0,
    ) -> None:
        self.timeout = _check_timeout(timeout)
        if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
            raise InvalidInputError(f"retries={retries!r} must be a non-negative integer.")
        self.retries = retries
        self.backoff = _check_seconds("backoff", backoff, allow_zero=True)
        self.deadline = None if deadline is None else _check_seconds("deadline", deadline)
        self.max_retry_after = _check_seconds("max_retry_after", max_retry_after, allow_zero=True)
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
            mount_deadline_adapter(s)
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

    def attempt_budget(self, nbytes: int = 0) -> float:
        """Seconds one attempt moving ``nbytes`` may take: connect + read * (2 + MB)."""
        return self.timeout[0] + self.timeout[1] * (2.0 + max(0, nbytes) / 1e6)

    def deadline_for(self, nbytes: int = 0) -> float:
        """The total deadline of one call moving ``nbytes`` (see the class docstring)."""
        if self.deadline is not None:
            return self.deadline
        sleeps = sum(min(4.0, self.backoff * 2 ** k) * 1.25 for k in range(self.retries))
        return (self.retries + 1) * self.attempt_budget(nbytes) + sleeps

    def _send(self, method: str, url: str, *, headers=None, params=None, stream=False,
              allow_redirects=True) -> requests.Response:
        self.meter.add("requests")
        if not getattr(self._local, "in_batch", False):
            self.meter.add("round_trips")
        try:
            return self.session.request(
                method, url, headers=self._headers_for(url, headers), params=params, stream=stream,
                timeout=self.timeout, allow_redirects=allow_redirects,
            )
        except requests.exceptions.InvalidURL as exc:
            raise InvalidInputError(f"URL {_redact(url)!r} is not valid: {type(exc).__name__}.") from None
        except requests.exceptions.MissingSchema:
            raise InvalidInputError(f"URL {_redact(url)!r} has no http(s):// scheme.") from None
        except (ValueError, requests.exceptions.InvalidSchema) as exc:  # e.g. 'http://[::1' (bad IPv6)
            raise InvalidInputError(f"URL {_redact(url)!r} is not valid ({exc}).") from None

    def _retrying(self, what: str, url: str, attempt_fn: Callable[[int], Any], nbytes: int = 0) -> Any:
        """Run ``attempt_fn(attempt)`` until it returns, retrying transient failures, within one deadline."""
        total = Deadline(self.deadline_for(nbytes))
        last = ""
        retry_after: float | None = None  # what the previous answer asked for (429/503 Retry-After)
        for attempt in range(self.retries + 1):
            if attempt:
                self.meter.add("retries")
                if getattr(self._local, "in_batch", False):
                    self.meter.add("round_trips")  # a retry inside a batch delays it by one round trip
                wait = min(4.0, self.backoff * (2 ** (attempt - 1))) * (1.0 + 0.25 * random.random())
                if retry_after is not None:
                    if retry_after > self.max_retry_after:
                        last += f" (the server asked to retry after {retry_after:g} s, more than the " \
                                f"max_retry_after={self.max_retry_after:g} s cap)"
                        break
                    wait = max(wait, retry_after)
                if wait >= total.remaining():
                    last += " (no time left before the deadline)"
                    break
                time.sleep(wait)
                retry_after = None
            budget = min(total.remaining(), self.attempt_budget(nbytes))
            if budget <= 0:
                break
            d = Deadline(budget)
            try:
                with d.armed():
                    return attempt_fn(attempt)
            except _Transient as exc:
                last = str(exc)
                retry_after = exc.retry_after
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                    requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
                last = f"{type(exc).__name__}"
            except Exception as exc:
                if isinstance(exc, GlueError) or not _is_socket_failure(exc):
                    raise
                last = type(exc).__name__
            if d.expired:
                last = f"too slow: no complete answer within this attempt's {budget:.1f} s ({last})"
        n = attempt + 1
        raise NetworkError(
            f"{what} {_redact(url)!r} failed after {n} attempt{'s' if n != 1 else ''} "
            f"(timeout={self.timeout} s, deadline {self.deadline_for(nbytes):.1f} s); "
            f"last problem: {last}. Check the connection or retry later; cached data stay usable offline."
        )

    @staticmethod
    def _raise_for_status(resp: requests.Response, url: str, what: str) -> None:
        code = resp.status_code
        if code in _RETRY_STATUS:
            ra = _retry_after(resp.headers.get("Retry-After"))
            resp.close()
            raise _Transient(f"HTTP {code}", retry_after=ra)
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
        """GET a (small) resource, body read completely, with retries, within the call's deadline.

        ``expect_len``: the size the body must have (a shorter/longer body is retried). A body sent
        with a ``Content-Encoding`` is decoded by ``requests``; its length is checked after decoding.
        """

        def attempt(_: int) -> requests.Response:
            resp = self._send("GET", url, params=params, headers=headers, stream=True)
            self._raise_for_status(resp, url, what)
            try:
                body = resp.content  # read inside the retry loop and the deadline: a drop mid-body is retried
            finally:
                resp.close()
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
                resp = self._send("GET", u, headers={"Range": "bytes=0-0", "Accept-Encoding": "identity"},
                                  allow_redirects=False, stream=True)
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

    def probe(self, url: str, *, head: int = 1) -> RemoteInfo:
        """Size and validators of a remote file via a range GET of its first ``head`` bytes.

        (HEAD is not always allowed.) With ``head > 1`` the bytes read are kept in ``info.head``-less
        form: use :meth:`probe_head` to get them.
        """
        return self.probe_head(url, head)[0]

    def probe_head(self, url: str, head: int = 1) -> tuple[RemoteInfo, bytes]:
        """``(RemoteInfo, first bytes)``: one range GET of ``bytes=0-(head-1)`` that also tells the size."""
        head = max(1, int(head))
        holder: list[RemoteInfo] = []

        def on_headers(resp: requests.Response, total: int) -> None:
            holder[:] = [RemoteInfo(resp.url, total, resp.headers.get("ETag", ""),
                                    resp.headers.get("Last-Modified", ""))]

        data = self.read_range(url, 0, head, _size_unknown=True, _on_headers=on_headers, what="probe")
        return holder[0], data

    def probe_ends(self, url: str, head: int, tail: int) -> tuple[RemoteInfo, bytes, bytes]:
        """Size, validators, the first ``head`` and the last ``tail`` bytes of a file in one round trip
        (two concurrent range GETs; the second is a suffix range ``bytes=-tail``)."""
        holder: list[RemoteInfo] = []

        def on_headers(resp: requests.Response, total: int) -> None:
            holder[:] = [RemoteInfo(resp.url, total, resp.headers.get("ETag", ""),
                                    resp.headers.get("Last-Modified", ""))]

        pinned: dict[str, str] = {"etag": "", "last_modified": ""}
        self.meter.add("round_trips")
        futs = [_pool().submit(self._in_batch, self.read_range, url, 0, max(1, head), validator=pinned,
                               _size_unknown=True, _on_headers=on_headers, what="probe"),
                _pool().submit(self._in_batch, self.read_range, url, 0, max(1, tail), validator=pinned,
                               _suffix=True, what="probe (end of file)")]
        head_b = futs[0].result()
        try:
            tail_b = futs[1].result()
        except GlueError:  # a server without suffix ranges: the reader fetches what it needs later
            tail_b = b""
        return holder[0], head_b, tail_b

    def _in_batch(self, fn, *args, **kw):
        self._local.in_batch = True
        try:
            return fn(*args, **kw)
        finally:
            self._local.in_batch = False

    def read_range(self, url: str, start: int, length: int, *, expect_size: int | None = None,
                   validator: dict[str, str] | None = None, what: str = "range read",
                   _size_unknown: bool = False, _on_headers=None, _suffix: bool = False) -> bytes:
        """Return exactly ``length`` bytes of ``url`` from ``start`` (fewer only past the end of a file
        of unknown size); resumes a dropped body, never splices a rejected one.

        Parameters
        ----------
        expect_size : int, optional
            The file's size; an answer naming another total raises :class:`RemoteChangedError`.
        validator : dict, optional
            ``{"etag": ..., "last_modified": ...}`` of the version being read; an answer with another
            non-empty ETag or Last-Modified raises :class:`RemoteChangedError`. Empty values are filled
            in from the first accepted answer (so resumed pieces all come from one version).

        Raises :class:`NetworkError` when the bytes cannot be had within the retries and the deadline.
        """
        if length <= 0:
            return b""
        buf = bytearray()
        end = start + length - 1
        # the validators are pinned in place: a RangeFile passes its own dict and so learns them once
        pinned = validator if validator is not None else {"etag": "", "last_modified": ""}
        suffix = [length] if _suffix else []  # "bytes=-N" until the first answer tells the size

        def attempt(_: int) -> bytes:
            nonlocal end, start
            pos = start + len(buf)  # resume after what earlier accepted answers delivered
            rng = f"bytes=-{suffix[0]}" if suffix else f"bytes={pos}-{end}"
            resp = self._send("GET", url, headers={"Range": rng, "Accept-Encoding": "identity"}, stream=True)
            try:
                self._raise_for_status(resp, url, what)
                if resp.status_code != 206:
                    raise _Transient(f"status {resp.status_code} instead of 206 for a range request "
                                     "(the server ignored Range; glue_widgets needs HTTP range requests "
                                     "to stream windows)")
                enc = resp.headers.get("Content-Encoding", "identity").strip().lower()
                if enc not in ("", "identity"):
                    raise _Transient(f"Content-Encoding {enc!r} although identity was asked for")
                m = _CONTENT_RANGE.fullmatch(resp.headers.get("Content-Range", "").strip())
                if m and suffix and m.group(3) != "*":
                    total = int(m.group(3))
                    if expect_size is not None and total != expect_size:
                        raise RemoteChangedError(f"{_redact(url)!r} changed size on the server ({total} bytes, "
                                                 f"expected {expect_size}); reopen it.")
                    start, end = max(0, total - suffix[0]), total - 1
                    pos = start
                    suffix.clear()
                last = end
                if m and _size_unknown and m.group(3) != "*":
                    last = min(end, int(m.group(3)) - 1)  # a file shorter than the probe asked
                if not m or int(m.group(1)) != pos or int(m.group(2)) != last:
                    raise _Transient(f"Content-Range {resp.headers.get('Content-Range')!r} does not match "
                                     f"bytes {pos}-{end}")
                if expect_size is not None and m.group(3) != "*" and int(m.group(3)) != expect_size:
                    raise RemoteChangedError(
                        f"{_redact(url)!r} changed size on the server ({m.group(3)} bytes, expected "
                        f"{expect_size}); reopen it."
                    )
                _check_validators(resp, pinned, url)
                want = last - pos + 1
                clen = resp.headers.get("Content-Length")
                if clen is not None and (not clen.strip().isdigit() or int(clen) != want):
                    raise _Transient(f"Content-Length {clen!r} does not match the {want} bytes of the range")
                if _on_headers is not None:
                    _on_headers(resp, int(m.group(3)) if m.group(3) != "*" else last + 1)
                end = last
                got = 0
                try:
                    while got < want:
                        # read1: whatever has arrived (read(n) would block until n bytes came); the
                        # attempt's deadline watchdog cuts a dripping body
                        chunk = resp.raw.read1(min(1 << 20, want - got), decode_content=False)
                        if not chunk:
                            break
                        buf.extend(chunk)  # accepted answer: its bytes are right, keep them for a resume
                        got += len(chunk)
                        self.meter.add("bytes", len(chunk))
                except Exception as exc:
                    if _is_socket_failure(exc):
                        raise _Transient(f"connection lost after {got} of {want} bytes "
                                         f"({type(exc).__name__})") from None
                    raise
                if got < want:
                    raise _Transient(f"body ended after {got} of {want} bytes")
                if resp.raw.read(1, decode_content=False):
                    del buf[len(buf) - got:]  # longer than announced: distrust the whole answer
                    raise _Transient("body longer than the requested range")
                return bytes(buf)
            except Exception as exc:
                # urllib3 raises its own errors when a socket dies
                if _is_socket_failure(exc):
                    raise _Transient(type(exc).__name__) from None
                raise
            finally:
                resp.close()

        return self._retrying(what, url, attempt, nbytes=length)

    def concurrently(self, calls: list[Callable[[], Any]], *, max_workers: int = MAX_WORKERS) -> list[Any]:
        """Run independent request-making ``calls`` at once (a bounded pool); their results in order.

        Counts ``ceil(len(calls) / max_workers)`` round trips (the calls' own requests count none). The
        first exception is raised after every call has finished.
        """
        if not calls:
            return []
        workers = max(1, min(int(max_workers), MAX_WORKERS, len(calls)))
        self.meter.add("round_trips", math.ceil(len(calls) / workers))
        futures = [_pool().submit(self._in_batch, c) for c in calls]
        out, first_exc = [], None
        for f in futures:
            try:
                out.append(f.result())
            except BaseException as exc:  # noqa: BLE001 - re-raised below, after the others finished
                first_exc = first_exc or exc
                out.append(None)
        if first_exc is not None:
            raise first_exc
        return out

    def read_ranges(self, url: str, ranges: list[tuple[int, int]], *, expect_size: int | None = None,
                    validator: dict[str, str] | None = None, max_workers: int = MAX_WORKERS) -> list[bytes]:
        """Read several ``(start, length)`` ranges concurrently (a bounded pool); one list of bytes.

        Counts ``ceil(len(ranges) / max_workers)`` round trips. The first failure is raised after
        every range has finished (no request is left running).
        """
        if not ranges:
            return []
        if len(ranges) == 1:
            return [self.read_range(url, ranges[0][0], ranges[0][1], expect_size=expect_size,
                                    validator=validator)]
        calls = [functools.partial(self.read_range, url, r[0], r[1], expect_size=expect_size, validator=validator)
                 for r in ranges]
        return self.concurrently(calls, max_workers=max_workers)

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
    """A failure worth retrying (internal); ``retry_after``: seconds the server asked to wait."""

    def __init__(self, msg: str, retry_after: float | None = None) -> None:
        super().__init__(msg)
        self.retry_after = retry_after


def _retry_after(value: str | None) -> float | None:
    """Seconds of a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent/unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time()) if when is not None else None


def _check_validators(resp: requests.Response, pinned: dict[str, str], url: str) -> None:
    """Refuse an answer from another version of the file; pin the validators of the first answer."""
    for key, header in (("etag", "ETag"), ("last_modified", "Last-Modified")):
        got = resp.headers.get(header, "")
        want = pinned.get(key, "")
        if got and want and got != want:
            resp.close()
            raise RemoteChangedError(
                f"{_redact(url)!r} changed on the server during this session ({header} {want!r} -> {got!r}); "
                "blocks of two versions are never mixed. Open it again to read the new version."
            )
        if got and not want:
            pinned[key] = got


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="glue-http")
        return _POOL


def _check_seconds(name: str, value: Any, allow_zero: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name}={value!r} must be a number of seconds.") from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise InvalidInputError(f"{name}={value!r} must be a finite, {'non-negative' if allow_zero else 'positive'} "
                                "number of seconds.")
    return v


def _is_socket_failure(exc: BaseException) -> bool:
    import urllib3.exceptions as ue

    return isinstance(exc, (ue.HTTPError, OSError, requests.exceptions.ConnectionError,
                            requests.exceptions.Timeout)) and not isinstance(exc, (GlueError, _Transient))
