"""Wall-clock deadlines for HTTP requests that hold against servers dripping headers or bodies.

A socket read timeout bounds each *stalled* read only: a server sending one byte every 0.4 s keeps a
read with a 0.5-s timeout alive forever. :class:`Deadline` is a watchdog: while it is armed, every
socket the current thread's requests use is registered with it (through the connection classes
installed by :func:`mount_deadline_adapter`), and when the time is up the watchdog shuts those
sockets down, which makes the blocked read return at once. The request then fails and the caller
raises a :class:`~glue_widgets.errors.NetworkError` that says the deadline passed.

Examples
--------
>>> d = Deadline(5.0)
>>> with d.armed():
...     pass
>>> d.expired
False
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Iterator

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection

__all__ = ["Deadline", "mount_deadline_adapter"]

_CURRENT = threading.local()


class Deadline:
    """An absolute time (``time.monotonic()`` + ``seconds``) after which armed sockets are shut down."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + max(0.0, float(seconds))
        self.expired = False
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def add(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if self.expired:
                _shutdown(sock)
            else:
                self._socks.append(sock)

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            socks, self._socks = self._socks, []
        for s in socks:
            _shutdown(s)

    @contextlib.contextmanager
    def armed(self) -> Iterator["Deadline"]:
        """Register this thread's sockets with the watchdog until the block ends."""
        prev = getattr(_CURRENT, "deadline", None)
        _CURRENT.deadline = self
        timer = threading.Timer(max(0.0, self.remaining()), self._fire)
        timer.daemon = True
        timer.start()
        try:
            yield self
        finally:
            timer.cancel()
            _CURRENT.deadline = prev
            with self._lock:
                self._socks = []
            if self.remaining() <= 0:
                self.expired = True


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _register(conn: HTTPConnection) -> None:
    d = getattr(_CURRENT, "deadline", None)
    if d is not None:
        d.add(getattr(conn, "sock", None))


class _Conn(HTTPConnection):
    def getresponse(self, *a, **kw):  # the socket exists once the request is sent
        _register(self)
        return super().getresponse(*a, **kw)


class _SConn(HTTPSConnection):
    def getresponse(self, *a, **kw):
        _register(self)
        return super().getresponse(*a, **kw)


class _Pool(urllib3.HTTPConnectionPool):
    ConnectionCls = _Conn


class _SPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _SConn


class _Adapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _SPool}


def mount_deadline_adapter(session: requests.Session) -> None:
    """Make ``session``'s connections register their sockets with the armed :class:`Deadline`."""
    for prefix in ("http://", "https://"):
        session.mount(prefix, _Adapter(max_retries=0))
