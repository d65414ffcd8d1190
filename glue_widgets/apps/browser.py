"""Browser: pick a source and a session, preview a stream window, see epochs and the rest window.

State lives in :class:`BrowserModel` (testable without a browser); :class:`Browser` is the Panel
view. Only the visible window is read (``session.read(stream, start, stop)``); long traces are drawn
with ``downsample1d(algorithm="minmax-lttb")`` and stacked with ``subcoordinate_y``; a minimap of the
whole session (epochs + rest window) drives the main plot through a ``RangeToolLink``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import panel as pn
import param

from ..errors import GlueError
from ._common import detect_rest_cached, find_analysis, hv_bokeh, rest_window_of, timed
from .catalog import SOURCE_LABELS, Catalog, DefaultCatalog

__all__ = ["BrowserModel", "Browser", "create_app"]

MAX_WINDOW_S = 300.0
_TRACE_COLOR = "#1f3b57"
_EPOCH_COLORS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c"]


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
    window = param.Number(default=10.0, bounds=(0.01, MAX_WINDOW_S), doc="Window length (s).")
    max_channels = param.Integer(default=32, bounds=(1, 256), doc="Channels drawn at most (first N).")
    data = param.Parameter(default=None, doc="DataArray of the current window (read-only).")
    spikes = param.Parameter(default=None, doc="{unit: spike times} of the current window, event streams.")
    rest = param.Dict(default={}, doc="Rest window: start, stop, method, card, note.")
    message = param.String(default="", doc="Errors and notices shown on the page.")
    busy = param.Boolean(default=False)
    loaded = param.Event(doc="Fires when a new session/stream has been opened and its first window read.")
    rest_busy = param.Boolean(default=False, doc="True while gw.extract_rest runs in the background.")

    def __init__(self, catalog: Catalog | None = None, *, use_rest_analysis: bool = True,
                 background: bool = False, **params: Any):
        self.catalog = catalog if catalog is not None else DefaultCatalog()
        self.background = background
        self.session = None
        self.use_rest_analysis = use_rest_analysis
        self.timings: list[tuple[str, float]] = []
        self._extra_uris: list[str] = []
        self._stream_loads = 0  # counts _on_stream runs (a session switch must load its stream once)
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

    async def _detect_rest_async(self):
        import asyncio
        uri = self.uri
        self.rest_busy = True
        try:
            with timed("rest_window", self.timings, uri=uri):
                res = await asyncio.to_thread(detect_rest_cached, self.catalog, uri, worker=True)
        except Exception as exc:  # shown, never raised into the event loop
            res = dict(self.rest, note=f"gw.extract_rest failed: {exc}")
        finally:
            self.rest_busy = False
        if self.uri == uri:
            self.rest = res

    # -- watchers ------------------------------------------------------------------------------
    def _on_source(self, *_):
        self._extra_uris = []
        uris = self.catalog.list(self.source)
        self.param.uri.objects = uris
        note = self.catalog.note(self.source)
        if uris:
            self.uri = uris[0]
        else:
            self.uri = None
            self.close()
            self.message = note

    def _on_uri(self, *_):
        self.close()
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
            if self.use_rest_analysis and find_analysis("glue_widgets.rest:extract_rest")[0] is not None:
                if self.background:
                    pn.state.execute(self._detect_rest_async)
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
        start = float(min(max(start, t0), max(t0, t1 - self.window)))
        with param.parameterized.discard_events(self):
            self.param.start.bounds = (t0, t1)
            self.start = start
            if self.window > t1 - t0:
                self.window = float(t1 - t0)
        self._read()
        self.param.trigger("loaded")

    def _on_window(self, *_):
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


# -- plotting --------------------------------------------------------------------------------------


N_POINTS = 1200  # points per channel after minmax-LTTB (about one per screen pixel)


def stacked_traces(data, x_range: tuple | None = None, n_out: int = N_POINTS):
    """Channels of ``data`` downsampled with minmax-LTTB and stacked, first channel on top.

    Returns ``(paths, ticks)``: one ``{"time", "y", "channel"}`` dict per channel, each scaled into
    a band of height 0.9 around its offset (``n_channels - 1 - j``), and the y ticks
    ``[(offset, channel id)]``. Only samples inside ``x_range`` are kept (a zoom re-downsamples the
    visible part). The downsampling is tsdownsample's ``MinMaxLTTBDownsampler``, the algorithm of
    ``holoviews.operation.downsample1d(algorithm="minmax-lttb")``, called directly on the numpy
    arrays: one HoloViews element for all channels instead of one per channel (a page switch then
    patches one data source instead of re-creating a plot per channel).
    """
    from tsdownsample import MinMaxLTTBDownsampler
    t = np.ascontiguousarray(data.time.values, dtype=np.float64)
    v = np.asarray(data.values)
    a, b = 0, len(t)
    if x_range is not None and None not in x_range and len(t):
        a = int(np.searchsorted(t, float(x_range[0]), "left"))
        b = int(np.searchsorted(t, float(x_range[1]), "right"))
        a, b = max(0, a - 1), min(len(t), b + 1)  # keep one sample beyond each edge
    t = t[a:b]
    n = v.shape[1]
    paths, ticks = [], []
    ds = MinMaxLTTBDownsampler()
    for j, ch in enumerate(map(str, data.channel.values)):
        y = np.ascontiguousarray(v[a:b, j], dtype=np.float64)
        tt = t
        finite = np.isfinite(y)
        if not finite.all():
            tt, y = tt[finite], y[finite]
        if len(y) > n_out:
            idx = ds.downsample(tt, y, n_out=n_out)
            tt, y = tt[idx], y[idx]
        off = float(n - 1 - j)
        if len(y):
            lo, hi = float(y.min()), float(y.max())
            half = (hi - lo) / 2 or 1.0
            y = off + 0.45 * (y - (lo + hi) / 2) / half
        paths.append({"time": tt, "y": y, "channel": ch})
        ticks.append((off, ch))
    return paths, ticks


class _ChannelTicks:
    """A HoloViews hook: y ticks at the channel offsets, labelled with the channel ids.

    Changes the ticks of the plot's existing ticker in place: a ``yticks`` option makes HoloViews
    create a new Bokeh ticker on every redraw, and each new model makes Bokeh re-walk the whole
    Document (~0.1-0.3 s per window move on a busy server). The DynamicMap callback stores the ticks
    of the frame it draws here just before the hook runs; it holds no reference to the page.
    """

    def __init__(self):
        self.ticks: list[tuple[float, str]] = []

    def __call__(self, plot, element):
        from bokeh.models import FixedTicker
        axis = plot.state.yaxis[0]
        pos = [float(p) for p, _ in self.ticks]
        names = {float(p): str(n) for p, n in self.ticks}
        if isinstance(axis.ticker, FixedTicker):
            if list(axis.ticker.ticks) != pos:
                axis.ticker.ticks = pos
        else:
            axis.ticker = FixedTicker(ticks=pos)
        if dict(axis.major_label_overrides) != names:
            axis.major_label_overrides = names


def traces_element(data, spikes, epochs: pd.DataFrame | None, title: str = "", x_range: tuple | None = None,
                   ticks: _ChannelTicks | None = None, styled: bool = True):
    """An overlay of the window: stacked channels (one line, minmax-LTTB) or a spike raster, epochs behind.

    Always two layers (epochs, then traces or raster), so a DynamicMap of it is updated in place.
    All channels are one ``hv.Curve`` (channels separated by NaN: one Bokeh line, one data source).
    Each frame sets its own ``xlim`` (the window): HoloViews' framewise ranges of this stream-driven
    DynamicMap otherwise kept (or merged in) the first window's x-range on a window move. With
    ``ticks`` (a :class:`_ChannelTicks` hook on the plot) the channel names go there instead of a
    ``yticks`` option; ``styled=False`` leaves styling to options set once on the DynamicMap.
    """
    hv = hv_bokeh()
    ylim = None
    if spikes is not None:
        xs = [np.asarray(t, float) for t in spikes.values()]
        ys = [np.full(len(t), i, float) for i, t in enumerate(xs)]
        x = np.concatenate(xs) if xs else np.zeros(0)
        y = np.concatenate(ys) if ys else np.zeros(0)
        lo, hi = (float(x.min()), float(x.max())) if x.size else (0.0, 1.0)
        el = hv.Segments((x, y - 0.4, x, y + 0.4), kdims=["time", "unit", "time2", "unit2"]).opts(
            color="black", line_width=1, yticks=[(i, str(k)) for i, k in enumerate(spikes)], ylabel="unit")
    elif data is not None and data.sizes["time"]:
        paths, tick_list = stacked_traces(data, x_range)
        t = data.time.values
        lo, hi = float(t[0]), float(t[-1])
        if x_range is not None and None not in x_range:
            lo, hi = max(lo, float(x_range[0])), min(hi, float(x_range[1]))
        gap = np.array([np.nan])
        tt = np.concatenate([np.concatenate([p["time"], gap]) for p in paths]) if paths else np.zeros(0)
        yy = np.concatenate([np.concatenate([p["y"], gap]) for p in paths]) if paths else np.zeros(0)
        el = hv.Curve((tt, yy), "time", hv.Dimension("y", label="channel"))
        if ticks is not None:
            ticks.ticks = tick_list
        else:
            el = el.opts(yticks=tick_list)
        if styled:
            el = el.opts(color=_TRACE_COLOR, line_width=1)
        ylim = (-0.6, len(tick_list) - 0.4)
    else:
        return hv.Overlay([hv.VSpans([]), hv.Curve([], "time", "y")]).opts(title=title)
    lims = {"xlim": (lo, hi)} if ylim is None else {"xlim": (lo, hi), "ylim": ylim}
    return hv.Overlay([epoch_spans(epochs, lo, hi, styled=styled), el]).opts(title=title, **lims)


def epoch_spans(epochs: pd.DataFrame | None, lo: float, hi: float, styled: bool = True):
    """Epochs overlapping ``[lo, hi]`` as translucent vertical spans colored by label."""
    hv = hv_bokeh()
    if epochs is None or not len(epochs):
        return hv.VSpans([])
    labels = list(dict.fromkeys(epochs["label"].astype(str)))
    ep = epochs[(epochs["stop"] > lo) & (epochs["start"] < hi)]
    colors = {lab: _EPOCH_COLORS[i % len(_EPOCH_COLORS)] for i, lab in enumerate(labels)}
    df = pd.DataFrame({"x0": ep["start"].clip(lower=lo).astype(float), "x1": ep["stop"].clip(upper=hi).astype(float),
                       "label": ep["label"].astype(str)})
    df["color"] = df["label"].map(colors)
    el = hv.VSpans(df, kdims=["x0", "x1"], vdims=["label", "color"])
    return el.opts(color="color", alpha=0.12) if styled else el


def minimap_element(epochs: pd.DataFrame | None, span: tuple[float, float]):
    """The whole session's epochs as colored blocks (x extents: the session's span)."""
    hv = hv_bokeh()
    t0, t1 = float(span[0]), float(span[1])
    rows = [] if epochs is None else [(float(r.start), 0.0, float(r.stop), 1.0, str(r.label))
                                      for r in epochs.itertuples()]
    return hv.Rectangles(rows or [(t0, 0.0, t0, 1.0, "")], vdims=["label"], extents=(t0, 0.0, t1, 1.4)).opts(
        color="label", cmap=_EPOCH_COLORS, alpha=0.6, line_alpha=0, responsive=True, height=110,
        yaxis=None, xlim=(t0, t1), ylim=(0, 1.4), title="", toolbar=None, show_legend=True, framewise=True,
        legend_position="right", default_tools=[], xlabel="session time (s)")


def rest_marker(rest: dict | None):
    """The rest window above the minimap: a green box and its method (both empty when there is none)."""
    hv = hv_bokeh()
    rest = rest or {}
    has = rest.get("start") is not None
    box = hv.Rectangles([(rest["start"], 1.05, rest["stop"], 1.35)] if has else [], group="Rest").opts(
        color="#2ca02c", line_color="#2ca02c", alpha=0.9)
    txt = hv.Labels([((rest["start"] + rest["stop"]) / 2, 1.2, f"rest ({rest['method']})")] if has else [],
                    kdims=["x", "y"], vdims=["text"], group="Rest").opts(text_color="white", text_font_size="9pt")
    return box * txt


def _structure(data, spikes) -> str | None:
    """Which element the main plot draws: a redraw in place is possible while this stays the same."""
    if spikes is not None:
        return "events"
    if data is not None and data.sizes["time"]:
        return "traces"
    return None


class Browser(pn.viewable.Viewer):
    """The Browser dashboard: controls on the left, the window, its minimap and the rest window.

    The HoloViews layout is built once per page and then updated in place: a window move, a session
    switch to a session with the same channels, or a new rest window only push new data through
    ``hv.streams.Pipe`` streams (HoloViews then patches the existing Bokeh data sources). The layout
    is rebuilt only when the layers change (another stream kind or another set of channels/units).
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
        self._rest_md = pn.pane.Markdown("", css_classes=["gw-rest"], sizing_mode="stretch_width")
        self._title = pn.pane.Markdown("", css_classes=["gw-plot-title"], sizing_mode="stretch_width",
                                       margin=(0, 10))
        self._plot = pn.pane.HoloViews(None, sizing_mode="stretch_width", min_height=520,
                                       css_classes=["gw-plot"], linked_axes=False)
        self._dmap = self._ds = self._pipe = self._mini_pipe = self._rx = None
        self._key = None        # _structure() of what the built layout draws
        self._mini_for = None   # (uri, stream, rest) the minimap shows
        m.param.watch(self._on_message, "message")
        m.param.watch(self._on_data, ["data", "spikes"])
        m.param.watch(self._on_rest, "rest")
        self._on_data()
        self._on_message()

    # -- callbacks -----------------------------------------------------------------------------
    def _busy(self, event):
        self._progress.active = event.new
        self._progress.visible = event.new
        self._plot.loading = event.new
        if not event.new and self.model.session is None:
            self._clear()  # the session could not be opened: no stale plot of the previous one

    def _go_rest(self, *_):
        r = self.model.rest or {}
        if r.get("start") is not None:
            self.model.start = float(r["start"])

    def _on_message(self, *_):
        self._message.object = self.model.message
        self._message.visible = bool(self.model.message)

    def _on_tap(self, x=None, **_):
        """A click on the minimap centres the window there (reads that window)."""
        if x is None:
            return
        m = self.model
        t0, t1 = m.span
        m.start = float(min(max(float(x) - m.window / 2, t0), max(t0, t1 - m.window)))

    def _on_rest(self, *_):
        self._update_rest_md()
        m = self.model
        if self._dmap is not None and (m.data is not None or m.spikes is not None):
            self._update_minimap()  # a late rest detection: only the minimap changes

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
        self._title.object = f"**{m.uri}** · {m.stream} ({info.modality}, {info.n_channels} ch{shown})"
        key = _structure(m.data, m.spikes)
        if self._dmap is None or key is None or key != self._key:
            with timed("rebuild", m.timings, uri=m.uri):
                self._build(key)
            return
        with timed("redraw", m.timings, uri=m.uri):
            self._update_minimap()
            # a new window is drawn whole: forget the zoom of the old one. Only the Pipe triggers: a
            # triggering range stream tells HoloViews the user set the range, and it would then keep
            # the old x-range instead of following the new window (framewise)
            self._rx.update(x_range=None)
            self._pipe.send((m.data, m.spikes, m.session.epochs))

    def _clear(self):
        self._plot.object = None
        self._title.object = ""
        self._dmap = self._ds = self._pipe = self._mini_pipe = self._rx = self._key = self._mini_for = None

    def _update_minimap(self):
        m = self.model
        want = (m.uri, m.stream, id(m.rest))
        if self._mini_pipe is not None and want != self._mini_for:
            self._mini_for = want
            self._mini_pipe.send((m.session.epochs, m.span, m.rest))

    def _build(self, key):
        m = self.model
        hv = hv_bokeh()
        from holoviews.plotting.links import RangeToolLink
        self._key = key
        self._pipe = hv.streams.Pipe(data=(m.data, m.spikes, m.session.epochs))
        # a zoom (or the minimap's range tool) redraws the visible part at full minmax-LTTB resolution
        self._rx = hv.streams.RangeX()
        ticks = _ChannelTicks()  # (a local: the callback must not hold the page)
        dmap = hv.DynamicMap(lambda data, x_range: traces_element(*data, x_range=x_range, ticks=ticks,
                                                                  styled=False),
                             streams=[self._pipe, self._rx])
        self._ds = dmap
        main = dmap.opts(hv.opts.Overlay(responsive=True, height=420, xlabel="time (s)", show_legend=False,
                                         framewise=True),
                         hv.opts.Segments(responsive=True, height=420, framewise=True),
                         hv.opts.VSpans(color="color", alpha=0.12),
                         hv.opts.Curve(responsive=True, height=420, tools=["xwheel_zoom"], framewise=True,
                                       color=_TRACE_COLOR, line_width=1, hooks=[ticks]))
        self._mini_for = (m.uri, m.stream, id(m.rest))
        self._mini_pipe = hv.streams.Pipe(data=(m.session.epochs, m.span, m.rest))
        blocks = hv.DynamicMap(lambda data: minimap_element(data[0], data[1]), streams=[self._mini_pipe])
        marker = hv.DynamicMap(lambda data: rest_marker(data[2]), streams=[self._mini_pipe])
        RangeToolLink(blocks, main, axes=["x"], boundsx=(m.start, m.start + m.window))
        tap = hv.streams.Tap(source=blocks)
        tap.add_subscriber(self._on_tap)
        self._dmap = main
        self._plot.object = (main + (blocks * marker)).cols(1).opts(shared_axes=False)

    def _update_rest_md(self):
        m = self.model
        r = m.rest or {}
        if m.session is None:
            self._rest_md.object = ""
            return
        if r.get("start") is None:
            self._rest_md.object = f"**Rest window:** none found. {r.get('note', '')}"
            return
        how = ("detected by `gw.extract_rest`" if r["method"] == "gw.extract_rest"
               else f"from the epochs table ({r.get('note', '').strip()}; `gw.extract_rest` not used)")
        self._rest_md.object = (f"**Rest window:** {r['start']:.1f}–{r['stop']:.1f} s "
                                f"({(r['stop'] - r['start']) / 60:.1f} min), {how}.")

    def __panel__(self):
        side = pn.Column(
            "### Session", self._source, self._session, self._uri_input, self._stream,
            "### Window", self._start, self._window, self._to_rest, self._progress,
            width=320,
        )
        main = pn.Column(self._message, self._rest_md, self._rest_progress, self._title, self._plot,
                         sizing_mode="stretch_width")
        return pn.Row(side, main, sizing_mode="stretch_width")


def create_app(catalog: Catalog | None = None, query: dict | None = None, **params) -> pn.viewable.Viewable:
    """Build one page of the Browser (one model per page: sessions never share state)."""
    from ._page import apply_deeplink, in_server, page
    params.setdefault("background", in_server())
    model = BrowserModel(catalog=catalog, **params)
    view = Browser(model)
    notices = apply_deeplink(model, query)
    return page("Browser", view, model, notices)
