"""Loopback helpers shared by the browser tests: a free port, and waiting for a served app to be live.

A plain module (not a conftest import): ``conftest.py`` and the test files import it by name, which
works because pytest puts this directory on ``sys.path`` (rootdir-relative "prepend" import mode).
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_live(url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None,
              poll: float = 0.2) -> None:
    """Wait until ``url + "/liveness"`` answers 200, or raise ``RuntimeError`` after ``timeout`` s.

    With ``proc`` (a server subprocess with piped stdout), stop waiting as soon as it exits, kill it on
    failure and put its output in the error.
    """
    t0 = time.time()
    while time.time() - t0 < timeout and (proc is None or proc.poll() is None):
        try:
            with urllib.request.urlopen(url + "/liveness", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(poll)
    if proc is None:
        raise RuntimeError(f"server at {url} not live after {timeout} s")
    proc.kill()
    output = proc.stdout.read() if proc.stdout is not None else ""
    raise RuntimeError(f"server at {url} did not come up:\n{output or ''}")
