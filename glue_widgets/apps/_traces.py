"""The Browser's plots in plain Bokeh: the window (stacked traces or a spike raster, epochs behind) and a minimap.

Why not HoloViews here: a served Browser page is built for every visitor and redrawn on every
window move. Building the same two plots through HoloViews cost ~0.35 s of server CPU per page
and a deferred full refresh after the page loaded; under 20 concurrent visitors on a 2-core
server that queued first renders to ~18 s (benchmarks/RESULTS.md, dashboards). Here every model
is made once per page and a redraw only replaces the data of three ``ColumnDataSource``s and the
two ranges. The downsampling is the one HoloViews uses for ``downsample1d(algorithm="minmax-lttb")``
(tsdownsample's ``MinMaxLTTBDownsampler``), called directly.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

__all__ = ["N_POINTS", "stacked_traces", "TracePlot", "STATE_COLORS", "state_class", "display_units"]

N_POINTS = 1200  # points per channel after minmax-LTTB (about one per screen pixel)
TRACE_COLOR = "#1f3b57"
EPOCH_COLORS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c"]
REST_COLOR = "#2ca02c"
# one colour per state class, the same in every session and on every page (rest, task, stimulus, other)
STATE_COLORS = {"rest": "#55a868", "task": "#c44e52", "stimulus": "#dd8452", "other": "#8c8c8c"}


def state_class(label: object) -> str:
    """``rest``, ``task``, ``stimulus`` or ``other`` (:func:`glue_widgets.model.labels.classify_label`)."""
    from ..model.labels import classify_label
    return classify_label(label)


def display_units(data) -> tuple[float, str]:
    """``(factor, unit)`` to show a stream's values in (``data``: a DataArray or its units text):
    volts and millivolts become µV, anything else is kept.

    Examples
    --------
    >>> import xarray as xr
    >>> display_units(xr.DataArray([[1.0]], dims=("time", "channel"), attrs={"units": "V"}))
    (1000000.0, 'µV')
    """
    u = data if isinstance(data, str) else (getattr(data, "attrs", {}) or {}).get("units")
    u = str(u or "").strip()
    if u.lower() in ("v", "volt", "volts"):
        return 1e6, "µV"
    if u.lower() in ("mv", "millivolt", "millivolts"):
        return 1e3, "µV"
    if u.lower() in ("uv", "µv", "μv", "microvolt", "microvolts"):
        return 1.0, "µV"
    return 1.0, u or "a.u."


def stacked_traces(data, x_range: tuple | None = None, n_out: int = N_POINTS):
    """Channels of ``data`` downsampled with minmax-LTTB and stacked, first channel on top.

    Returns ``(paths, ticks)``: one ``{"time", "y", "channel"}`` dict per channel, each scaled into
    a band of height 0.9 around its offset (``n_channels - 1 - j``), and the y ticks
    ``[(offset, channel id)]``. Only samples inside ``x_range`` are kept (a zoom re-downsamples the
    visible part at full resolution).
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
    # one amplitude scale for all channels of the window (so a band height means one amplitude)
    with np.errstate(all="ignore"):
        win = v[a:b].astype(np.float64)
        lo_all, hi_all = np.nanmin(win, 0) if win.size else np.zeros(n), np.nanmax(win, 0) if win.size else np.zeros(n)
        half_all = np.nan_to_num((hi_all - lo_all) / 2)
    common = float(half_all.max()) if half_all.size and half_all.max() > 0 else 1.0
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
            y = off + 0.45 * (y - (lo + hi) / 2) / common
        paths.append({"time": tt, "y": y, "channel": ch})
        ticks.append((off, ch))
    return paths, ticks


def amplitude_band(data, x_range: tuple | None = None) -> str:
    """What one channel band's height means in the window, e.g. ``"one band = 250 µV"``."""
    v = np.asarray(data.values, dtype=np.float64)
    if x_range is not None and None not in x_range:
        t = np.asarray(data.time.values, float)
        v = v[(t >= x_range[0]) & (t <= x_range[1])]
    if not v.size:
        return ""
    with np.errstate(all="ignore"):
        full = float(np.nanmax(np.nanmax(v, 0) - np.nanmin(v, 0)))
    if not np.isfinite(full) or full <= 0:
        return ""
    f, unit = display_units(data)
    v = full / 0.9 * f
    if unit == "µV" and v >= 1000:
        v, unit = v / 1000, "mV"
    return f"channel spacing = {v:.3g} {unit}"


def _epoch_colors(epochs: pd.DataFrame) -> dict[str, str]:
    labels = list(dict.fromkeys(epochs["label"].astype(str)))
    return {lab: STATE_COLORS[state_class(lab)] for lab in labels}


def epoch_columns(epochs: pd.DataFrame | None, lo: float, hi: float) -> dict:
    """Epochs overlapping ``[lo, hi]``, clipped to it, with one color per label (session-wide)."""
    if epochs is None or not len(epochs):
        return {"x0": [], "x1": [], "label": [], "color": []}
    colors = _epoch_colors(epochs)
    ep = epochs[(epochs["stop"] > lo) & (epochs["start"] < hi)]
    labels = ep["label"].astype(str)
    return {"x0": ep["start"].clip(lower=lo).to_numpy(float), "x1": ep["stop"].clip(upper=hi).to_numpy(float),
            "label": labels.tolist(), "color": [colors[x] for x in labels]}


class TracePlot:
    """The two Bokeh figures of a Browser page and the data sources behind them.

    ``main`` shows the window: all channels as one line (channels separated by NaN), or a spike
    raster, with the epochs as translucent strips; its y axis names the channels. ``mini`` shows
    the whole session's epochs, the rest window (green, labelled with its method) and a range tool
    over the main plot's x-range. ``on_tap(x)`` is called with the time of a click on the minimap;
    ``on_range(x0, x1)`` after the user panned or zoomed the main plot (Bokeh's ``RangesUpdate``:
    once at the end of a gesture, not on every mouse move).

    Examples
    --------
    >>> from glue_widgets.apps.toy import toy_session
    >>> s = toy_session("toy://lab-a/m1/day0")
    >>> p = TracePlot()
    >>> p.show_window(s.read("lfp", 100, 110), None, s.epochs)
    >>> p.main.x_range.start, len(p.lines.data["time"]) > 0
    (100.0, True)
    """

    def __init__(self, on_tap: Callable[[float], None] | None = None,
                 on_range: Callable[[float, float], None] | None = None):
        from bokeh.events import RangesUpdate, Tap
        from bokeh.layouts import column
        from bokeh.models import ColumnDataSource, FixedTicker, HoverTool, Legend, LegendItem, Range1d, RangeTool
        from bokeh.plotting import figure
        from bokeh.core.property.vectorization import field

        self.on_tap, self.on_range = on_tap, on_range
        self.epochs = ColumnDataSource({"x0": [], "x1": [], "label": [], "color": []})
        self.lines = ColumnDataSource({"time": [], "y": []})
        self.raster = ColumnDataSource({"x0": [], "y0": [], "x1": [], "y1": []})
        self.blocks = ColumnDataSource({"start": [], "stop": [], "label": [], "color": [], "cls": []})
        self.rest = ColumnDataSource({"start": [], "stop": [], "x": [], "text": []})

        main = figure(height=420, sizing_mode="stretch_width", x_range=Range1d(0, 1), y_range=Range1d(-0.6, 0.6),
                      tools="xpan,xwheel_zoom,xbox_zoom,reset,save", active_drag="xpan",
                      active_scroll="xwheel_zoom", x_axis_label="time (s)", y_axis_label="channel",
                      min_border_left=60)
        main.vstrip(x0="x0", x1="x1", color="color", alpha=0.12, source=self.epochs)
        main.line("time", "y", source=self.lines, color=TRACE_COLOR, line_width=1)
        main.segment("x0", "y0", "x1", "y1", source=self.raster, color="black", line_width=1)
        main.yaxis.ticker = FixedTicker(ticks=[])
        main.ygrid.visible = False
        main.toolbar.logo = None
        main.on_event(RangesUpdate, self._ranges_update)

        mini = figure(height=130, sizing_mode="stretch_width", x_range=Range1d(0, 1), y_range=Range1d(0, 1.4),
                      tools="", toolbar_location=None, x_axis_label="session time (s)", min_border_left=60,
                      min_border_right=40)  # (the width of the main plot's toolbar)
        blocks = mini.quad(left="start", right="stop", bottom=0, top=1, color="color", alpha=0.6, line_alpha=0,
                           source=self.blocks)
        # above, not right: the two plots keep the same width, so their time axes line up
        # legend by state class (one colour per class in every session), the raw label in the tooltip
        mini.add_layout(Legend(items=[LegendItem(label=field("cls"), renderers=[blocks])],
                               orientation="horizontal", label_text_font_size="8pt", spacing=8, padding=2,
                               margin=0, border_line_alpha=0, glyph_height=10, glyph_width=14), "above")
        mini.quad(left="start", right="stop", bottom=1.05, top=1.35, color=REST_COLOR, source=self.rest)
        mini.text(x="x", y=1.2, text="text", source=self.rest, text_color="white", text_font_size="9pt",
                  text_align="center", text_baseline="middle")
        mini.add_tools(HoverTool(renderers=[blocks], tooltips="@label (@cls): @start{0.0}–@stop{0.0} s"))
        mini.yaxis.visible = False
        mini.ygrid.visible = False
        tool = RangeTool(x_range=main.x_range)
        tool.overlay.fill_color, tool.overlay.fill_alpha = "navy", 0.15
        mini.add_tools(tool)
        mini.on_event(Tap, self._tap)

        self.main, self.mini = main, mini
        self.layout = column(main, mini, sizing_mode="stretch_width")

    # -- events from the page --------------------------------------------------------------------
    def _tap(self, event) -> None:
        if self.on_tap is not None and event.x is not None:
            self.on_tap(float(event.x))

    def _ranges_update(self, event) -> None:
        if self.on_range is not None and event.x0 is not None and event.x1 is not None:
            self.on_range(float(event.x0), float(event.x1))

    # -- updates ---------------------------------------------------------------------------------
    def show_window(self, data, spikes: dict | None, epochs: pd.DataFrame | None,
                    x_range: tuple[float, float] | None = None, window: tuple[float, float] | None = None) -> None:
        """Draw a window: ``data`` (time × channel DataArray) as stacked traces, or ``spikes`` as a raster.

        Both are drawn first row on top. ``window`` is the requested ``(start, stop)`` (the x-range of
        a raster; traces span their samples). With ``x_range`` only the visible part of the same
        window is drawn again (a zoom), and the ranges are left as the user set them.
        """
        ticks: list[tuple[float, str]] = []
        empty_raster = {"x0": [], "y0": [], "x1": [], "y1": []}
        if spikes is not None:
            n = len(spikes)
            xs = [np.asarray(t, float) for t in spikes.values()]
            x = np.concatenate(xs) if xs else np.zeros(0)
            y = np.concatenate([np.full(len(t), n - 1 - i, float) for i, t in enumerate(xs)]) if xs else np.zeros(0)
            self.raster.data = {"x0": x, "y0": y - 0.4, "x1": x, "y1": y + 0.4}
            self.lines.data = {"time": [], "y": []}
            ticks = [(float(n - 1 - i), str(k)) for i, k in enumerate(spikes)]
            if window is not None:
                lo, hi = float(window[0]), float(window[1])
            else:
                lo, hi = (float(x.min()), float(x.max())) if x.size else (0.0, 1.0)
            self.main.yaxis[0].axis_label = "unit (one row per unit, a tick per spike)"
        elif data is not None and data.sizes["time"]:
            paths, ticks = stacked_traces(data, x_range)
            gap = np.array([np.nan])
            self.lines.data = {"time": np.concatenate([np.concatenate([p["time"], gap]) for p in paths]),
                               "y": np.concatenate([np.concatenate([p["y"], gap]) for p in paths])}
            if self.raster.data["x0"] is not None and len(self.raster.data["x0"]):
                self.raster.data = empty_raster
            t = data.time.values
            lo, hi = float(t[0]), float(t[-1])
            band = amplitude_band(data)
            self.main.yaxis[0].axis_label = f"channel ({band})" if band else "channel"
        else:
            self.lines.data = {"time": [], "y": []}
            self.raster.data = empty_raster
            self.epochs.data = {"x0": [], "x1": [], "label": [], "color": []}
            self._set_ticks([])
            return
        if x_range is not None:
            return  # a zoom: the user's ranges stay, epochs and ticks are those of the window
        self._set_ticks(ticks)
        self.main.y_range.update(start=-0.6, end=max(len(ticks), 1) - 0.4)
        self.main.x_range.update(start=lo, end=hi, reset_start=lo, reset_end=hi)
        self.epochs.data = epoch_columns(epochs, lo, hi)

    def _set_ticks(self, ticks: list[tuple[float, str]]) -> None:
        pos = [p for p, _ in ticks]
        axis = self.main.yaxis[0]
        if list(axis.ticker.ticks) != pos:  # unchanged ticks: no patch sent to the browser
            axis.ticker.ticks = pos
        names = {p: n for p, n in ticks}
        if dict(axis.major_label_overrides) != names:
            axis.major_label_overrides = names

    def show_session(self, epochs: pd.DataFrame | None, span: tuple[float, float], rest: dict | None) -> None:
        """Draw the whole session in the minimap: its epochs and its rest window."""
        t0, t1 = float(span[0]), float(span[1])
        if epochs is None or not len(epochs):
            self.blocks.data = {"start": [], "stop": [], "label": [], "color": [], "cls": []}
        else:
            colors = _epoch_colors(epochs)
            labels = epochs["label"].astype(str)
            self.blocks.data = {"start": epochs["start"].to_numpy(float), "stop": epochs["stop"].to_numpy(float),
                                "label": labels.tolist(), "color": [colors[x] for x in labels],
                                "cls": [f"{state_class(x)} epochs" for x in labels]}
        self.mini.x_range.update(start=t0, end=t1, reset_start=t0, reset_end=t1)
        rest = rest or {}
        if rest.get("start") is not None:
            a, b = float(rest["start"]), float(rest["stop"])
            self.rest.data = {"start": [a], "stop": [b], "x": [(a + b) / 2], "text": [f"rest ({rest['method']})"]}
        else:
            self.rest.data = {"start": [], "stop": [], "x": [], "text": []}
