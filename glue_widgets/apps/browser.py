"""Browser: pick a source and a session, preview a stream window, see epochs and the rest window.

State lives in :class:`BrowserModel` (testable without a browser); :class:`Browser` is the Panel
view. Only the visible window is read (``session.read(stream, start, stop)``); long traces are
downsampled with minmax-LTTB and stacked, one band per channel; a minimap of the whole session
(epochs + rest window) carries a range tool over the main plot. The plots are plain Bokeh
(:mod:`glue_widgets.apps._traces`), built once per page and updated in place.
"""

from __future__ import annotations

from typing import Any

import panel as pn
import param

from ..errors import GlueError
from ._common import detect_rest_cached, rest_window_of, timed
from ._html import code, escape_text
from ._traces import N_POINTS, TracePlot, stacked_traces
from .listing import SOURCE_LABELS, SessionListing, DefaultListing

__all__ = ["BrowserModel", "Browser", "create_app", "N_POINTS", "stacked_traces"]

MAX_WINDOW_S = 300.0


class BrowserModel(param.Parameterized):
    """Which session, stream and window are shown; the data of that window.

    Examples
    --------
    >>> from glue_widgets.apps.toy import toy_catalog
    >>> m = BrowserModel(catalog=toy_catalog())
    >>> m.uri, m.stream, m.data.sizes["time"] > 0
    ('toy://lab-a/m1/day0', 'lfp', True)
    """

    source = param.Selector(objects=[], doc="Where sessions come from (demo, dandi, openneuro).")
    uri = param.Selector(default=None, objects=[], allow_None=True, doc="The session's URI.")
    stream = param.Selector(default=None, objects=[], allow_None=True)
    start = param.Number(default=0.0, bounds=(0, None), doc="Window start (s).")
    # no upper bound on the parameter: a widget bound would clamp silently in the browser; the
    # model clamps instead and says so (notice)
    window = param.Number(default=10.0, bounds=(0.01, None),
                          doc=f"Window length (s); longer requests are cut to {MAX_WINDOW_S:g} s with a notice.")
    max_channels = param.Integer(default=32, bounds=(1, 256), doc="Channels drawn at most (first N).")
    data = param.Parameter(default=None, doc="DataArray of the current window (read-only).")
    spikes = param.Parameter(default=None, doc="{unit: spike times} of the current window, event streams.")
    rest = param.Dict(default={}, doc="Rest window: start, stop, method, card, note.")
    message = param.String(default="", doc="Errors shown on the page (red).")
    notice = param.String(default="", doc="Notes shown on the page (source notes, a clamped window).")
    busy = param.Boolean(default=False)
    loaded = param.Event(doc="Fires when a new session/stream has been opened and its first window read.")
    rest_busy = param.Boolean(default=False, doc="True while gw.extract_rest runs in the background.")

    def __init__(self, catalog: SessionListing | None = None, *, use_rest_analysis: bool = True,
                 background: bool = False, **params: Any):
        self.catalog = catalog if catalog is not None else DefaultListing()
        self.background = background
        self.session = None
        self.use_rest_analysis = use_rest_analysis
        self.timings: list[tuple[str, float]] = []
        self._extra_uris: list[str] = []
        self._stream_loads = 0  # counts _on_stream runs (a session switch must load its stream once)
        self._placing = False   # True while _on_stream places the window (one read, not one per parameter)
        sources = self.catalog.sources()
        super().__init__()
        self.param.source.objects = sources
        self.param.watch(self._on_source, "source")
        self.param.watch(self._on_uri, "uri")
        self.param.watch(self._on_stream, "stream")
        self.param.watch(self._on_window, ["start", "window", "max_channels"])
        first = params.pop("source", sources[0] if sources else None)
        if first is not None:
            self.source = first
            if self.source == first:  # watcher did not fire when first equals the default
                self._on_source()
        for key in ("uri", "stream", "start", "window"):
            if key in params:
                self.set_value(key, params.pop(key))
        self.param.update(**params)

    # -- public helpers ------------------------------------------------------------------------
    @property
    def info(self):
        return None if self.session is None or self.stream is None else self.session.stream_info(self.stream)

    @property
    def span(self) -> tuple[float, float]:
        info = self.info
        return (0.0, 1.0) if info is None else (info.start_s, info.stop_s)

    def set_value(self, key: str, value: Any) -> bool:
        """Set a parameter from user input; on a refused value show a message instead of raising."""
        try:
            if key == "uri":
                value = self.catalog.check_uri(self.source, value)
                if value not in self.param.uri.objects:
                    self._extra_uris = [value]
                    self.param.uri.objects = self.catalog.list(self.source) + self._extra_uris
            setattr(self, key, value)
            return True
        except (GlueError, ValueError) as exc:
            self.message = f"{key} refused: {exc}"
            return False

    def close(self) -> None:
        """Close the open Session and drop the window's data (called when the page closes)."""
        if self.session is not None:
            try:
                self.session.close()
            finally:
                self.session = None
        self.data = None
        self.spikes = None

    async def _detect_rest_async(self, doc=None):
        import asyncio
        uri = self.uri
        doc = doc if doc is not None else pn.state.curdoc
        self.rest_busy = True
        try:
            with timed("rest_window", self.timings, uri=uri):
                res = await asyncio.to_thread(detect_rest_cached, self.catalog, uri, worker=True)
        except Exception as exc:  # shown, never raised into the event loop
            res = dict(self.rest, note=f"gw.extract_rest failed: {exc}")

        def apply():
            # only the detection of the session shown ends the spinner: an older one (a deep link
            # replaced the first session while its detection ran) must not hide it, nor leave it on
            if self.uri == uri:
                self.rest = res
                self.rest_busy = False

        # the page's plots change with it: on a server, under the Document lock (next tick)
        if doc is not None and getattr(doc, "session_context", None) is not None:
            doc.add_next_tick_callback(apply)
        else:
            apply()

    # -- watchers ------------------------------------------------------------------------------
    def _on_source(self, *_):
        self._extra_uris = []
        self.message = ""  # an error of the previous source does not belong to this one
        uris = self.catalog.list(self.source)
        self.param.uri.objects = uris
        # explained in place, beside the list (why it is empty, what to type), never as a red error
        self.notice = self.catalog.note(self.source) if (self.source != "demo" or not uris) else ""
        if uris:
            self.uri = uris[0]
        else:
            self.uri = None
            self.close()

    def _on_uri(self, *_):
        self.close()
        self.rest_busy = False  # a detection for the session left behind no longer shows
        if self.uri is None:
            return
        self.busy = True
        try:
            with timed("open_session", self.timings, uri=self.uri):
                self.session = self.catalog.open(self.uri)
            names = list(self.session.streams)
            # prefer a continuous multichannel stream for the first view
            order = sorted(names, key=lambda n: (self.session.streams[n].kind == "events",
                                                  self.session.streams[n].modality == "behavior"))
            # epochs first (instant); gw.extract_rest replaces it when it is done (it can take seconds)
            self.rest = rest_window_of(self.session, None, use_analysis=False)
            if self.use_rest_analysis:
                if self.background:
                    # the page's Document now (the coroutine may start where curdoc is another one)
                    doc = pn.state.curdoc

                    async def detect(doc=doc):
                        await self._detect_rest_async(doc)
                    pn.state.execute(detect)
                else:
                    with timed("rest_window", self.timings, uri=self.uri):
                        self.rest = detect_rest_cached(self.catalog, self.uri)
            self.message = ""
        except (GlueError, OSError, ValueError) as exc:
            self.session = None
            self.param.stream.objects = []
            self.stream = None
            self.rest = {}
            self.message = f"could not open {self.uri}: {exc}"
            return
        finally:
            self.busy = False
        loads = self._stream_loads
        self.param.stream.objects = order  # a linked Select widget may already pick order[0] here
        if self.stream != order[0]:
            self.stream = order[0]
        elif self._stream_loads == loads:  # same stream name as before: nothing fired, load it now
            self._on_stream()

    def _on_stream(self, *_):
        self._stream_loads += 1
        if self.stream is None or self.session is None:
            self.data = None
            return
        t0, t1 = self.span
        rest = self.rest or {}
        # open on the rest window when there is one: it is what this suite is about
        start = rest.get("start") if rest.get("start") is not None else t0
        window = float(min(self.window, t1 - t0, MAX_WINDOW_S))
        start = float(min(max(start, t0), max(t0, t1 - window)))
        # the widgets must follow (no discard_events: "Window start" stayed at 0 while the plot
        # jumped to the rest window); _on_window skips its reads while the window is placed
        self._placing = True
        try:
            self.param.start.bounds = (t0, t1)
            self.param.update(start=start, window=window)
        finally:
            self._placing = False
        self._read()
        self.param.trigger("loaded")

    def _on_window(self, *_):
        if self._placing:
            return
        if self.window > MAX_WINDOW_S:
            asked = self.window
            self.notice = (f"Window length is limited to {MAX_WINDOW_S:g} s (asked {asked:g} s); showing "
                           f"{MAX_WINDOW_S:g} s. Read longer spans in a notebook with session.read(stream, start, stop).")
            self.window = MAX_WINDOW_S  # fires _on_window again, which reads
            return
        t0, t1 = self.span
        if self.info is not None and self.window > t1 - t0:
            self.notice = f"Window length cut to the stream's {t1 - t0:g} s."
            self.window = float(t1 - t0)
            return
        self._read()

    def _read(self):
        info = self.info
        if info is None:
            return
        t0, t1 = self.span
        stop = min(self.start + self.window, t1)
        start = max(t0, min(self.start, stop - 1e-6))
        try:
            with timed("read_window", self.timings, uri=self.uri, stream=self.stream):
                if info.kind == "events" and hasattr(self.session, "spike_times"):
                    sp = self.session.spike_times(self.stream, start, stop)
                    keys = list(sp)[: self.max_channels]
                    self.spikes = {k: sp[k] for k in keys}
                    self.data = None
                else:
                    x = self.session.read(self.stream, start, stop)
                    if x.sizes["channel"] > self.max_channels:
                        x = x.isel(channel=slice(0, self.max_channels))
                    self.spikes = None
                    self.data = x
            if self.message.startswith("window"):
                self.message = ""
        except (GlueError, ValueError) as exc:
            self.message = f"window [{start:.2f}, {stop:.2f}) s could not be read: {exc}"


class Browser(pn.viewable.Viewer):
    """The Browser dashboard: controls on the left, the window, its minimap and the rest window.

    The Bokeh figures (:class:`~glue_widgets.apps._traces.TracePlot`) are made once per page; a
    window move, a session switch or a late rest window only replace the data of their sources
    and the ranges, which Bokeh sends to the browser as small patches. Panning or zooming past the
    loaded window reads the window the user moved to; zooming inside it redraws the visible part
    at full minmax-LTTB resolution. Clicking the minimap centres the window there.
    """

    model = param.ClassSelector(class_=BrowserModel)

    def __init__(self, model: BrowserModel | None = None, **params):
        super().__init__(model=model or BrowserModel(), **params)
        m = self.model
        self._source = pn.widgets.Select.from_param(m.param.source, name="Source",
                                                    options={SOURCE_LABELS.get(s, s): s for s in m.param.source.objects})
        self._session = pn.widgets.Select.from_param(m.param.uri, name="Session", size=8)
        self._uri_input = pn.widgets.TextInput(name="Open a URI from this source", placeholder="dandi://...")
        self._uri_input.param.watch(lambda e: m.set_value("uri", e.new.strip()), "value")
        self._stream = pn.widgets.Select.from_param(m.param.stream, name="Stream")
        self._start = pn.widgets.FloatInput.from_param(m.param.start, name="Window start (s)", step=1.0)
        self._window = pn.widgets.FloatInput.from_param(m.param.window, name="Window length (s)", step=1.0)
        self._to_rest = pn.widgets.Button(name="Go to rest window", button_type="primary")
        self._to_rest.on_click(self._go_rest)
        self._progress = pn.indicators.Progress(active=False, bar_color="primary", sizing_mode="stretch_width",
                                                visible=False)
        m.param.watch(self._busy, "busy")
        self._rest_progress = pn.Row(pn.indicators.LoadingSpinner(value=True, size=20),
                                     pn.pane.Markdown("detecting the rest window with `gw.extract_rest`…"),
                                     visible=False, css_classes=["gw-rest-progress"])
        m.param.watch(lambda e: setattr(self._rest_progress, "visible", e.new), "rest_busy")
        self._message = pn.pane.Alert("", alert_type="danger", visible=False, css_classes=["gw-message"],
                                      sizing_mode="stretch_width")
        self._notice = pn.pane.Alert("", alert_type="info", visible=False, css_classes=["gw-notice"],
                                     sizing_mode="stretch_width")
        m.param.watch(self._on_notice, "notice")
        self._rest_md = pn.pane.Markdown("", css_classes=["gw-rest"], sizing_mode="stretch_width")
        self._title = pn.pane.Markdown("", css_classes=["gw-plot-title"], sizing_mode="stretch_width",
                                       margin=(0, 10))
        # (bound methods of the view: the figures are the page's own, dropped with it)
        self._traces = TracePlot(on_tap=self._on_tap, on_range=self._on_range)
        self._plot = pn.pane.Bokeh(self._traces.layout, sizing_mode="stretch_width", min_height=540)
        # (loading is shown on this box: a Bokeh pane does not pass `loading` on to its model)
        self._plot_box = pn.Column(self._plot, css_classes=["gw-plot"], sizing_mode="stretch_width")
        self._mini_for = None   # (uri, stream, rest) the minimap shows
        m.param.watch(self._on_message, "message")
        m.param.watch(self._on_data, ["data", "spikes"])
        m.param.watch(self._on_rest, "rest")
        self._on_data()
        self._on_message()
        self._on_notice()

    # -- callbacks -----------------------------------------------------------------------------
    def _busy(self, event):
        self._progress.active = event.new
        self._progress.visible = event.new
        self._plot_box.loading = event.new
        if not event.new and self.model.session is None:
            self._clear()  # the session could not be opened: no stale plot of the previous one

    def _go_rest(self, *_):
        r = self.model.rest or {}
        if r.get("start") is not None:
            self.model.start = float(r["start"])

    def _on_message(self, *_):
        self._message.object = escape_text(self.model.catalog.redact(self.model.message), 2000)
        self._message.visible = bool(self.model.message)

    def _on_notice(self, *_):
        self._notice.object = escape_text(self.model.notice, 2000)
        self._notice.visible = bool(self.model.notice)

    def _on_tap(self, x: float) -> None:
        """A click on the minimap centres the window there (reads that window)."""
        m = self.model
        t0, t1 = m.span
        m.start = float(min(max(x - m.window / 2, t0), max(t0, t1 - m.window)))

    def _on_range(self, x0: float, x1: float) -> None:
        """The user panned or zoomed the main plot to ``[x0, x1]``."""
        m = self.model
        if m.session is None or m.stream is None or x1 <= x0:
            return
        t0, t1 = m.span
        lo, hi = max(x0, t0), min(x1, t1)
        if hi <= lo:
            return
        if m.start - 1e-6 <= lo and hi <= m.start + m.window + 1e-6:
            if m.data is not None:  # inside the loaded window: redraw the visible part at full resolution
                with timed("zoom", m.timings, uri=m.uri):
                    self._traces.show_window(m.data, None, None, x_range=(lo, hi))
                    self._push()
            return
        # past the loaded window: read the one the user moved to (one update of start and window)
        window = float(min(hi - lo, MAX_WINDOW_S))
        m.param.update(start=float(min(lo, max(t0, t1 - window))), window=window)

    def _on_rest(self, *_):
        self._update_rest_md()
        m = self.model
        if m.data is not None or m.spikes is not None:
            self._update_minimap()  # a late rest detection: only the minimap changes
            self._push()

    def _on_data(self, *_):
        m = self.model
        self._update_rest_md()
        if m.session is None or m.stream is None:
            if m.uri is None:
                self._clear()
            return  # else mid-switch: the old session was closed, the new one is being opened
        if m.data is None and m.spikes is None:
            return  # mid-switch (old session closed, new window not read yet): wait for the new data
        info = m.info
        shown = f", first {m.max_channels} shown" if info.n_channels > m.max_channels else ""
        self._title.object = (f"**{code(m.uri)}** · {escape_text(m.stream)} ({escape_text(info.modality)}, "
                              f"{info.n_channels} ch{shown})")
        with timed("redraw", m.timings, uri=m.uri):
            self._update_minimap()
            self._traces.show_window(m.data, m.spikes, m.session.epochs, window=(m.start, m.start + m.window))
            self._push()

    def _push(self):
        """In a notebook, send the changed Bokeh models to the page (a server sends them by itself)."""
        if self._plot._models:
            pn.io.push_notebook(self._plot)

    def _clear(self):
        self._title.object = ""
        self._mini_for = None
        self._traces.show_window(None, None, None)
        self._traces.show_session(None, (0.0, 1.0), None)
        self._push()

    def _update_minimap(self):
        m = self.model
        want = (m.uri, m.stream, id(m.rest))
        if want != self._mini_for:
            self._mini_for = want
            self._traces.show_session(m.session.epochs, m.span, m.rest)

    def _update_rest_md(self):
        m = self.model
        r = m.rest or {}
        if m.session is None:
            self._rest_md.object = ""
            return
        if r.get("start") is None:
            self._rest_md.object = f"**Rest window:** none found. {escape_text(m.catalog.redact(r.get('note', '')))}"
            return
        how = ("detected by `gw.extract_rest`" if r["method"] == "gw.extract_rest"
               else f"from the epochs table ({escape_text(m.catalog.redact(r.get('note', '').strip()))}; "
                  "`gw.extract_rest` not used)")
        self._rest_md.object = (f"**Rest window:** {r['start']:.1f}–{r['stop']:.1f} s "
                                f"({(r['stop'] - r['start']) / 60:.1f} min), {how}.")

    def __panel__(self):
        side = pn.Column(
            "### Session", self._source, self._notice, self._session, self._uri_input, self._stream,
            "### Window", self._start, self._window, self._to_rest, self._progress,
            width=320,
        )
        main = pn.Column(self._message, self._rest_md, self._rest_progress, self._title,
                         self._plot_box,
                         sizing_mode="stretch_width")
        return pn.Row(side, main, sizing_mode="stretch_width")


def create_app(catalog: SessionListing | None = None, query: dict | None = None, **params) -> pn.viewable.Viewable:
    """Build one page of the Browser (one model per page: sessions never share state)."""
    from ._page import apply_deeplink, in_server, page
    params.setdefault("background", in_server())
    model = BrowserModel(catalog=catalog, **params)
    view = Browser(model)
    notices = apply_deeplink(model, query)
    return page("Browser", view, model, notices)
