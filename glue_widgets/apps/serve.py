"""Serve every dashboard with one call (``glue-widgets serve`` and ``make demo`` use it).

``serve_all()`` starts a Panel/Bokeh server on http://localhost:5006 with an index page at ``/``
and one route per dashboard (``/browser``, ``/rest``, ...). Every page load builds fresh models, so
users never share state; each page closes its Sessions when the tab goes away.

On a hub or Binder, pass the public host to ``allow_websocket_origin`` (or ``"*"`` behind
jupyter-server-proxy / jupyter-panel-proxy, which already authenticates), and a ``prefix``.

Debug/benchmark only: with ``GLUE_WIDGETS_TIMINGS=1`` in the environment (or ``timings=True``)
the server records how long it spends on each browser interaction and serves the records as JSON
at ``/gw-debug/timings`` (``?clear=1`` empties them); see
:func:`glue_widgets.apps._common.enable_server_timings`. Off by default.
"""

from __future__ import annotations

import json
import os
from typing import Any, Sequence

__all__ = ["serve_all", "app_routes", "TIMINGS_ROUTE"]

TIMINGS_ROUTE = "/gw-debug/timings"


def _timings_handler():
    from tornado.web import RequestHandler

    from ._common import server_timings

    class TimingsHandler(RequestHandler):
        def get(self):
            clear = self.get_argument("clear", "0") == "1"
            self.set_header("Content-Type", "application/json")
            self.set_header("Cache-Control", "no-store")
            self.write(json.dumps({"pid": os.getpid(), "records": server_timings(clear=clear)}))

    return TimingsHandler


def app_routes(catalog=None, apps: Sequence[str] | None = None) -> dict:
    """``{slug: factory}`` for ``pn.serve``; ``catalog`` (default: demo/DANDI/OpenNeuro) is shared read-only."""
    from .registry import APPS, app_factory
    kw = {} if catalog is None else {"catalog": catalog}
    chosen = [a for a in APPS if apps is None or a.slug in apps]
    unknown = set(apps or ()) - {a.slug for a in APPS}
    if unknown:
        from ..errors import InvalidInputError
        raise InvalidInputError(f"unknown dashboards {sorted(unknown)}; choose from {[a.slug for a in APPS]}.")
    return {a.slug: app_factory(a, **kw) for a in chosen}


def serve_all(port: int = 5006, address: str = "localhost", allow_websocket_origin: str | Sequence[str] | None = None,
              show: bool = False, num_procs: int = 1, *, catalog=None, data_dirs: Sequence[str] | None = None,
              apps: Sequence[str] | None = None,
              prefix: str = "", threaded: bool = False, timings: bool | None = None, warm_results: bool = True,
              **kwargs: Any):
    """Serve all dashboards with an index page; blocks unless ``threaded=True``.

    Parameters
    ----------
    port, address : where to listen; ``address="localhost"`` keeps it private to this machine.
    allow_websocket_origin : host[:port] (or list) allowed to open the websocket; defaults to
        ``"{address}:{port}"``. Use the public host on a hub, ``"*"`` behind jupyter-server-proxy.
    show : open a browser tab.
    num_procs : Tornado worker processes (1 on 1–2 GB machines: each process holds its own memory).
        With more than one, dashboards are not pre-built (Bokeh forks only before app code ran), and
        a page's websocket may reach another process than its GET, which then builds the page again;
        on the 2-core benchmark machine 2 processes shortened the first render under 20 sessions but
        used ~1.4 x the server CPU per session (benchmarks/RESULTS.md,
        dashboards and dashboards_procs2).
    catalog : which sessions pages may open (default: the demo corpus, DANDI, OpenNeuro URIs).
    data_dirs : folders of the user's own recordings (``--data-dir``): every source menu gains
        "Local files" listing the NWB, BIDS/EDF/BDF, BrainVision and EEGLAB files under them, named
        ``local://<path relative to DIR>``; nothing outside them can be opened. Ignored with ``catalog``.
    apps : subset of slugs to serve (default all).
    prefix : URL prefix when served behind a proxy (e.g. ``"/panel"``).
    threaded : run the server in a thread and return it (tests, benchmarks); stop it with ``.stop()``.
    timings : record server-side interaction times and serve them at ``/gw-debug/timings``
        (debug/benchmarks; default: on only when ``GLUE_WIDGETS_TIMINGS=1``).
    warm_results : compute every analysis dashboard's default result at start-up (in a thread), so
        each page shows a result when it opens.
    **kwargs : passed to :func:`panel.serve` (e.g. ``liveness=True``, ``check_unused_sessions``).

    Returns
    -------
    The server (a ``StoppableThread`` when ``threaded``; otherwise returns when the server stops).

    Examples
    --------
    >>> from glue_widgets.apps import serve_all
    >>> serve_all(port=5006)                       # doctest: +SKIP
    """
    if not isinstance(num_procs, int) or num_procs < 0:
        from ..errors import InvalidInputError
        raise InvalidInputError(f"--num-procs must be 0 (one per core) or a positive count, got {num_procs!r}.")
    import panel as pn

    from ._common import enable_server_timings, timings_enabled_by_env
    from .index import write_index
    if catalog is None and data_dirs:
        from .listing import DefaultListing
        catalog = DefaultListing(data_dirs=list(data_dirs))
    routes = app_routes(catalog, apps)
    if allow_websocket_origin is None:
        hosts = {address, "localhost", "127.0.0.1"} if address in ("localhost", "127.0.0.1") else {address}
        allow_websocket_origin = [f"{h}:{port}" for h in sorted(hosts)]
    elif isinstance(allow_websocket_origin, str):
        allow_websocket_origin = [allow_websocket_origin]
    titles = {slug: f"glue_widgets · {slug}" for slug in routes}
    opts = dict(port=port, address=address, websocket_origin=list(allow_websocket_origin), show=show,
                title=titles, threaded=threaded, index=str(write_index()), liveness=True,
                # build every app once at start-up: imports, caches and the first session are warm,
                # so the first visitor does not pay for them (first render < 2 s)
                warm=True)
    if prefix:
        opts["prefix"] = prefix
    if num_procs != 1:
        # Bokeh refuses to fork once application code ran (warm=True builds every app first)
        opts["num_procs"], opts["warm"] = num_procs, False
    opts.update(kwargs)
    # rest detection runs in one worker process (see detect_rest_cached): start it with the server.
    # Not before Tornado forks num_procs processes: a forked copy of a running pool is broken (each
    # process then starts its own worker on first use)
    if num_procs == 1:
        from ._common import warm_rest_worker
        warm_rest_worker()
    if warm_results and num_procs == 1:
        # every dashboard's default result, computed once now (in a thread: the server starts at
        # once; a page opened before it is ready waits for this computation instead of starting one)
        import threading

        from ._analysis import warm_defaults
        threading.Thread(target=warm_defaults, args=(catalog, apps), daemon=True, name="gw-warm-defaults").start()
    if timings if timings is not None else timings_enabled_by_env():
        enable_server_timings()
        opts["extra_patterns"] = [*opts.get("extra_patterns", []), (TIMINGS_ROUTE, _timings_handler())]
    return pn.serve(routes, **opts)
