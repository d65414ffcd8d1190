"""Helpers every dashboard shares: finding an analysis, honest "not available yet" panes, timing."""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import threading
import time
from typing import Any, Iterator


__all__ = ["unavailable", "timed", "TIMING_LOGGER", "rest_window_of",
           "enable_server_timings", "server_timings", "TIMINGS_ENV", "once_cached", "hv_bokeh"]

TIMING_LOGGER = logging.getLogger("glue_widgets.apps.timing")
TIMINGS_ENV = "GLUE_WIDGETS_TIMINGS"  # "1": record server-side timings (debug/benchmark only)

# debug-only, per-process record of server-side timings (bounded; filled only once enabled)
_TIMINGS: collections.deque = collections.deque(maxlen=100_000)
_TIMINGS_LOCK = threading.Lock()


def unavailable(title: str, reason: str):
    """A visible pane that says a view is not available yet, and why."""
    import panel as pn

    from ._html import escape_text
    return pn.pane.Alert(f"**{escape_text(title)}: not available yet.** {escape_text(reason)}", alert_type="warning",
                         sizing_mode="stretch_width", css_classes=["gw-unavailable"])


@contextlib.contextmanager
def timed(what: str, sink: list | None = None, **fields: Any) -> Iterator[None]:
    """Time a server-side step; log it on ``glue_widgets.apps.timing`` and append ms to ``sink``."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        ms = (time.perf_counter() - t0) * 1e3
        if sink is not None:
            sink.append((what, ms))
        TIMING_LOGGER.info("%s %.1f ms", what, ms, extra={"gw_step": what, "gw_ms": ms, **fields})


def _record(kind: str, what: str, ms: float, **fields: Any) -> None:
    with _TIMINGS_LOCK:
        _TIMINGS.append({"kind": kind, "what": what, "ms": round(ms, 3), "t": time.time(), **fields})


class _StepHandler(logging.Handler):
    """Copies every :func:`timed` step into the timing record."""

    def emit(self, record: logging.LogRecord) -> None:
        step = getattr(record, "gw_step", None)
        if step is not None:
            _record("step", step, float(record.gw_ms), thread=record.threadName)


def enable_server_timings() -> None:
    """Record, per process, how long the server spends on every change a browser sends.

    Debug/benchmark only (``glue-widgets serve`` turns it on when ``GLUE_WIDGETS_TIMINGS=1``).
    One record = the server-side handling of one batch of client-side widget changes (or one
    Bokeh event): the widget's parameters are updated, the dashboard's watchers run (read the
    window, redraw) and the resulting Bokeh model changes are queued for the browser; network and
    browser paint are not included. It is read from Panel's public busy bookkeeping
    (``pn.state._busy_counter``: Panel adds an entry with its start time when it starts processing
    a change and removes it when done), so no Panel method is replaced. (Until 2026-12 this wrapped
    ``Syncable._change_event``; that monkeypatch is gone.) The :func:`timed` steps
    (``read_window``, ``redraw``...) are recorded too. Idempotent.
    """
    import panel as pn
    global _BUSY_WATCHER
    if _BUSY_WATCHER is None:
        def on_busy(event):
            now = time.monotonic()
            still = {eid for eid, _ in (event.new or [])}
            for eid, started in event.old or []:
                if eid in still or not str(eid).startswith(("events-", "bokeh-events-")):
                    continue
                doc = pn.state.curdoc
                _record("interaction", "bokeh event" if str(eid).startswith("bokeh") else "widget change",
                        (now - started) * 1e3, name="", changed=[], doc=id(doc) if doc is not None else None)

        _BUSY_WATCHER = pn.state.param.watch(on_busy, "_busy_counter")
    try:  # HoloViews may defer a plot refresh to a later tick: time every refresh on its own too
        from holoviews.plotting.plot import Plot
    except Exception:  # pragma: no cover - holoviews is a dependency
        Plot = None
    if Plot is not None and not getattr(Plot.refresh, "_gw_timed", False):
        original_refresh = Plot.refresh

        def refresh(self, **kwargs):
            t0 = time.perf_counter()
            try:
                return original_refresh(self, **kwargs)
            finally:
                doc = getattr(self, "document", None)
                _record("plot_refresh", type(self).__name__, (time.perf_counter() - t0) * 1e3,
                        doc=id(doc) if doc is not None else None, thread=threading.current_thread().name)

        refresh._gw_timed = True  # type: ignore[attr-defined]
        Plot.refresh = refresh
    if not any(isinstance(h, _StepHandler) for h in TIMING_LOGGER.handlers):
        TIMING_LOGGER.addHandler(_StepHandler())
        if TIMING_LOGGER.level == logging.NOTSET or TIMING_LOGGER.level > logging.INFO:
            TIMING_LOGGER.setLevel(logging.INFO)


_BUSY_WATCHER = None


def server_timings(clear: bool = False) -> list[dict]:
    """The timing records of this process (see :func:`enable_server_timings`); ``clear`` empties them."""
    with _TIMINGS_LOCK:
        out = list(_TIMINGS)
        if clear:
            _TIMINGS.clear()
    return out


def timings_enabled_by_env() -> bool:
    return os.environ.get(TIMINGS_ENV, "").strip() in ("1", "true", "yes")


_INFLIGHT: dict[str, threading.Lock] = {}
_INFLIGHT_LOCK = threading.Lock()
# one background rest detection at a time per server process: CPU-bound worker threads share the
# GIL with the server's event loop, and every extra one takes a further share from every page
_DETECT_SLOTS = threading.BoundedSemaphore(1)


def once_cached(key: str, compute):
    """``pn.state.as_cached(key, compute)``, computed once even when many sessions ask at the same time.

    ``as_cached`` alone lets every concurrent caller compute (20 visitors opening the same session
    would run the same rest detection 20 times, in 20 threads fighting for the GIL); here the
    first caller computes and the others wait for its result.
    """
    import panel as pn
    with _INFLIGHT_LOCK:
        lock = _INFLIGHT.setdefault(key, threading.Lock())
    with lock:
        return pn.state.as_cached(key, compute)


REST_WORKER_ENV = "GLUE_WIDGETS_REST_WORKER"  # "0": never detect rest windows in a worker process
_POOL = None
_POOL_LOCK = threading.Lock()


def _worker_enabled() -> bool:
    return os.environ.get(REST_WORKER_ENV, "1").strip() != "0"


def _detect_in_worker(catalog, uri: str) -> dict:
    """Runs in the worker process: ``rest_window_of`` with ``gw.extract_rest`` on a Session of its own."""
    s = catalog.open(uri)
    try:
        return rest_window_of(s, None, use_analysis=True)
    finally:
        s.close()


def _exit_with_parent(parent_pid: int) -> None:
    """Worker initializer: end this worker when the server process is gone (a SIGTERM'd server runs
    no atexit handler, and an orphaned worker would live on)."""
    def watch():
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(0)
    threading.Thread(target=watch, daemon=True, name="gw-parent-watch").start()


def _rest_pool():
    """One worker process for rest detections (spawned on first use, shared by every page)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            import concurrent.futures
            import multiprocessing
            _POOL = concurrent.futures.ProcessPoolExecutor(
                1, mp_context=multiprocessing.get_context("spawn"),
                initializer=_exit_with_parent, initargs=(os.getpid(),))
            # drop it while the interpreter is still whole (else the executor is collected during
            # module teardown and its weakref callback prints an ignored AttributeError at exit)
            import atexit
            atexit.register(_drop_rest_pool)
    return _POOL


def _drop_rest_pool() -> None:
    global _POOL
    with _POOL_LOCK:
        pool, _POOL = _POOL, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def _warm_worker() -> bool:
    from .. import rest  # noqa: F401 - import the analysis in the worker now, not on the first page

    return True


def warm_rest_worker() -> None:
    """Start the rest-detection worker and import the analysis there now (serve start-up), not on the
    first visitor's page. Returns at once; does nothing with ``GLUE_WIDGETS_REST_WORKER=0``."""
    if _worker_enabled():
        _rest_pool().submit(_warm_worker)


def _picklable(obj) -> bool:
    import pickle
    try:
        pickle.dumps(obj)
        return True
    except Exception:  # lambdas in a MappingListing (tests, toy data): stay in this process
        return False


def detect_rest_cached(catalog, uri: str, *, worker: bool = False) -> dict:
    """``rest_window_of`` with ``gw.extract_rest`` on a Session of its own, cached per catalog and URI.

    The result (a plain dict) is shared read-only between pages through ``pn.state.as_cached``,
    so the second visitor of a session does not wait for the detection again (and concurrent
    visitors wait for one detection instead of each running their own).

    ``worker=True`` (the served Browser) runs the detection in one worker process instead of a
    thread of the server: a CPU-bound thread holds the GIL about half the time and slows every page's
    event handling; a process uses the other core. Falls back to this process when the catalog cannot
    be pickled, when ``GLUE_WIDGETS_REST_WORKER=0``, or when the worker fails.
    """
    def compute():
        with _DETECT_SLOTS:
            if worker and _worker_enabled() and _picklable(catalog):
                try:
                    return _rest_pool().submit(_detect_in_worker, catalog, uri).result()
                except Exception as exc:  # broken pool, unpicklable result: detect here instead
                    TIMING_LOGGER.warning("rest detection worker failed (%s); detecting in-process", exc)
            return _detect_in_worker(catalog, uri)

    scope = catalog.cache_scope() if hasattr(catalog, "cache_scope") else str(id(catalog))
    return once_cached(f"gw-rest:{type(catalog).__name__}:{scope}:{uri}", compute)


def rest_window_of(session, stream: str | None = None, *, use_analysis: bool = True) -> dict:
    """``glue_widgets.rest.window.rest_window`` (keys start, stop, method, card, note, coverage, window)."""
    from ..rest.window import rest_window

    return rest_window(session, stream, use_extract=use_analysis)


def hv_bokeh():
    """``holoviews`` with the Bokeh backend active; ``hv.extension("bokeh")`` runs only when it is not yet.

    ``hv.extension`` re-registers every option builder of the backend (~0.2 s of CPU a call); calling
    it on every draw made each window move of a dashboard 3 × slower. Once per process is enough
    (again only if something switched the backend away, e.g. ``hv.output(backend="matplotlib")``).
    """
    import holoviews as hv
    global _HV_EXTENDED
    # importing holoviews.plotting.bokeh registers the renderer but not the option builders
    # (hv.opts.Curve...): the first call here always runs hv.extension
    if not _HV_EXTENDED or hv.Store.current_backend != "bokeh":
        hv.extension("bokeh", logo=False)
        _HV_EXTENDED = True
    return hv


_HV_EXTENDED = False
