"""A threaded HTTP/1.1 server on 127.0.0.1:0 with pluggable apps and on-demand fault injection.

Apps are callables ``app(handler, path, query) -> bool`` (True = handled). :class:`Faults` decides,
per data request, whether to misbehave: drop the connection mid-body, answer 503, stall before
(or in the middle of) the body, truncate the body, or send a wrong ``Content-Range``.
"""

from __future__ import annotations

import os
import random
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

FAULT_KINDS = ("drop", "503", "slow", "stall", "truncate", "bad_range", "short_length")
# opt-in kinds (not in the default mix):
# "drip": the body trickles out in small pieces, each gap shorter than a socket read timeout, so only a
#   whole-call deadline catches it; "drip_headers": the same for the status line and headers;
# "gzip": the range body gzip-compressed (Content-Encoding: gzip, Content-Length of the compressed body);
# "ignore_range": 200 with the whole file; "extra": correct headers, then junk after the body;
# "long_length": Content-Length larger than the range, the body padded with the next file bytes;
# "429": Too Many Requests with ``Retry-After: <Faults.retry_after>``
MORE_FAULT_KINDS = ("drip", "drip_headers", "gzip", "ignore_range", "extra", "long_length", "429")


@dataclass
class Faults:
    """Fault plan. ``rate`` = probability that a data request misbehaves; ``kinds`` to pick from.

    ``burst_503`` > 0 makes the next N requests of any kind answer 503. ``slow_s`` is how long a
    slow/stalled answer waits (make it longer than the client's read timeout).
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    slow_s: float = 1.5
    retry_after: str = "0"
    drip_s: float = 0.05
    burst_503: int = 0
    script: list = field(default_factory=list)  # faults for the next requests, in order (None = behave)
    seed: int = 0
    counts: dict = field(default_factory=dict)
    _rng: random.Random = field(default=None, repr=False)  # type: ignore[assignment]
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self):
        self._rng = random.Random(self.seed)

    def draw(self) -> str | None:
        with self._lock:
            if self.script:
                kind = self.script.pop(0)
                if kind is None:
                    return None
            elif self.burst_503 > 0:
                self.burst_503 -= 1
                kind = "503"
            elif self.rate > 0 and self._rng.random() < self.rate:
                kind = self._rng.choice(self.kinds)
            else:
                return None
            self.counts[kind] = self.counts.get(kind, 0) + 1
            return kind

    def clear(self) -> None:
        with self._lock:
            self.rate = 0.0
            self.burst_503 = 0
            self.script = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else every small range answer stalls ~40 ms (delayed ACK)
    server: "LocalServer"

    def log_message(self, *args):  # keep pytest output clean
        pass

    def _dispatch(self, head: bool):
        self.server.request_log.append((self.command, self.path, dict(self.headers)))
        self.server.arrivals.append((time.monotonic(), self.path))
        if self.server.latency_s:
            time.sleep(self.server.latency_s)
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        self.is_head = head
        try:
            for app in self.server.apps:
                if app(self, unquote(parts.path), query):
                    return
            self.send_simple(404, b"not found")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self):
        self._dispatch(False)

    def do_HEAD(self):
        self._dispatch(True)

    # helpers used by apps
    def send_simple(self, code: int, body: bytes, ctype: str = "text/plain", headers: dict | None = None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if not self.is_head:
            self.wfile.write(body)

    def kill_connection(self):
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, apps=(), faults: Faults | None = None, validators=("etag", "last_modified"),
                 latency_s: float = 0.0):
        super().__init__(("127.0.0.1", 0), Handler)
        self.apps = list(apps)
        self.validators = tuple(validators)  # which of ETag / Last-Modified file answers carry
        self.latency_s = latency_s  # added before every answer (a far-away server's round trip)
        self.faults = faults or Faults()
        self.request_log: list = []
        self.arrivals: list = []  # (time.monotonic(), path) of every request
        self._thread: threading.Thread | None = None

    def handle_error(self, request, client_address):  # clients dropping sockets is expected here
        pass

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> "LocalServer":
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(5)


_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


class StaticFiles:
    """Serve files under ``root`` at ``prefix`` with Range support (206 + Content-Range) and faults."""

    def __init__(self, root: str | os.PathLike, prefix: str = "/files/"):
        self.root = Path(root)
        self.prefix = prefix

    def __call__(self, h: Handler, path: str, query: dict) -> bool:
        if not path.startswith(self.prefix):
            return False
        rel = path[len(self.prefix):]
        f = (self.root / rel).resolve()
        if not str(f).startswith(str(self.root.resolve())) or not f.is_file():
            h.send_simple(404, b"no such file")
            return True
        serve_file(h, f)
        return True


def _drip_headers(h: Handler, code: int, headers: list[tuple[str, str]], pause: float) -> None:
    h.wfile.write(f"HTTP/1.1 {code} OK\r\n".encode())
    h.wfile.flush()
    for k, v in headers:
        time.sleep(pause)
        h.wfile.write(f"{k}: {v}\r\n".encode())
        h.wfile.flush()
    for _ in range(400):  # keep dripping harmless headers (each gap shorter than a read timeout)
        time.sleep(pause)
        h.wfile.write(b"X-Drip: 1\r\n")
        h.wfile.flush()
    h.kill_connection()


def serve_file(h: Handler, f: Path, etag: str | None = None) -> None:
    import email.utils
    import gzip

    st = f.stat()
    size = st.st_size
    etag = etag or f'"{size}-{st.st_mtime_ns}"'
    validators = {}
    if "etag" in h.server.validators:
        validators["ETag"] = etag
    if "last_modified" in h.server.validators:
        validators["Last-Modified"] = email.utils.formatdate(st.st_mtime, usegmt=True)
    fault = h.server.faults.draw()
    if fault == "503":
        h.send_simple(503, b"slow down", headers={"Retry-After": "0"})
        return
    if fault == "429":
        h.send_simple(429, b"too many requests", headers={"Retry-After": h.server.faults.retry_after})
        return
    if fault == "slow":
        time.sleep(h.server.faults.slow_s)
    rng = h.headers.get("Range")
    start, end, code = 0, size - 1, 200
    if rng:
        m = _RANGE.match(rng.strip())
        if not m or not (m.group(1) or m.group(2)):
            h.send_simple(416, b"bad range", headers={"Content-Range": f"bytes */{size}"})
            return
        if not m.group(1):  # suffix range "bytes=-N": the last N bytes
            start, end = max(0, size - int(m.group(2))), size - 1
        else:
            start = int(m.group(1))
            end = min(size - 1, int(m.group(2))) if m.group(2) else size - 1
        if start >= size:
            h.send_simple(416, b"range not satisfiable", headers={"Content-Range": f"bytes */{size}"})
            return
        code = 206
    if fault == "ignore_range":
        start, end, code = 0, size - 1, 200
    shift = 0
    if fault == "bad_range" and code == 206:
        shift = 7 if end + 7 < size else -min(7, start)
    with open(f, "rb") as fh:
        fh.seek(start + shift)
        body = fh.read(end - start + 1)
        if fault == "long_length":
            body += fh.read(100)
    if fault == "gzip":
        body = gzip.compress(body)
    declared = len(body)
    if fault == "short_length":
        declared = max(0, len(body) // 2)
        body = body[:declared]
    headers = [("Content-Type", "application/octet-stream"), ("Accept-Ranges", "bytes"), *validators.items(),
               ("Content-Length", str(declared))]
    if fault == "gzip":
        headers.append(("Content-Encoding", "gzip"))
    if code == 206:
        headers.append(("Content-Range", f"bytes {start + shift}-{end + shift}/{size}"))
    if fault == "drip_headers":
        _drip_headers(h, code, headers, h.server.faults.drip_s * 4)
        return
    h.send_response(code)
    for k, v in headers:
        h.send_header(k, v)
    h.end_headers()
    if h.is_head:
        return
    if fault == "extra":
        h.wfile.write(body + b"JUNK" * 64)
        h.wfile.flush()
        h.kill_connection()
        return
    if fault in ("drop", "truncate", "stall") and len(body) > 1:
        half = body[: len(body) // 2]
        h.wfile.write(half)
        if fault == "stall":
            h.wfile.flush()
            time.sleep(h.server.faults.slow_s)
        h.kill_connection()
        return
    if fault == "drip":
        for i in range(0, len(body), 512):
            h.wfile.write(body[i:i + 512])
            h.wfile.flush()
            time.sleep(h.server.faults.drip_s)
        return
    h.wfile.write(body)
