"""Browser dashboard, headless: drive the param model and the view, check state and plots update."""

from __future__ import annotations

import numpy as np
import pytest

pn = pytest.importorskip("panel")

from glue_widgets.apps.browser import Browser, BrowserModel, create_app  # noqa: E402
from glue_widgets.apps.listing import MappingListing  # noqa: E402
from glue_widgets.apps.toy import TOY_URIS, toy_catalog, toy_session  # noqa: E402


@pytest.fixture
def model():
    return BrowserModel(catalog=toy_catalog(), use_rest_analysis=False)


def _lines(view):
    """What the main plot draws: (time, y) of its one line of all channels."""
    d = view._traces.lines.data
    return np.asarray(d["time"], float), np.asarray(d["y"], float)


def test_first_session_opens_on_its_rest_window(model):
    assert model.uri == TOY_URIS[0] and model.stream == "lfp"
    assert model.rest["method"] == "epochs" and model.rest["start"] == pytest.approx(180.0)
    assert model.start == pytest.approx(180.0)
    x = model.data
    assert x.dims == ("time", "channel") and x.sizes["channel"] == 16
    assert x.time.values[0] >= 180.0 and x.time.values[-1] < 180.0 + model.window


def test_window_reads_only_that_window_and_plot_updates(model):
    view = Browser(model)
    fig = view._traces.main
    model.start = 300.0
    model.window = 5.0
    t = model.data.time.values
    assert 300.0 <= t[0] < 300.01 and t[-1] < 305.0
    tt, y = _lines(view)  # what the server sends on this redraw: one line of all channels
    assert np.isnan(y).sum() == 16  # 16 channels, each ended by a NaN (the line breaks there)
    assert 300.0 <= np.nanmin(tt) and np.nanmax(tt) < 305.0
    assert view._traces.main is fig  # the same figure: only its sources and ranges changed
    assert (fig.x_range.start, fig.x_range.end) == pytest.approx((300.0, t[-1]))
    steps = [s for s, _ in model.timings]
    assert steps.count("redraw") >= 2


def test_session_switch_updates_in_place_and_keeps_minmax_peaks(model):
    view = Browser(model)
    layout = view._plot.object
    model.uri = TOY_URIS[1]
    assert view._plot.object is layout  # the same Bokeh layout: only its data sources changed
    tt, _ = _lines(view)
    assert np.nanmin(tt) >= model.start - 1e-9
    # minmax-LTTB keeps each channel's extremes: the top trace's max is the channel's max (scaled)
    from glue_widgets.apps.browser import N_POINTS, stacked_traces
    paths, ticks = stacked_traces(model.data)
    assert [t for _, t in ticks] == [str(c) for c in model.data.channel.values]
    assert all(len(p["time"]) <= N_POINTS for p in paths)
    raw = model.data.values[:, 0]
    j = int(np.argmax(paths[0]["y"]))
    assert raw.max() == pytest.approx(np.interp(paths[0]["time"][j], model.data.time.values, raw))
    # one amplitude scale for every channel: the widest channel fills its band, none leaves it
    assert max(p["y"].max() - t for p, (t, _) in zip(paths, ticks)) == pytest.approx(0.45)
    assert all(p["y"].max() - t <= 0.45 + 1e-9 for p, (t, _) in zip(paths, ticks))
    # the y axis names the channels, first on top
    axis = view._traces.main.yaxis[0]
    assert axis.major_label_overrides[ticks[0][0]] == ticks[0][1]


def test_event_stream_draws_a_raster(model):
    view = Browser(model)
    model.stream = "units"
    assert model.data is None and len(model.spikes) == 12
    r = view._traces.raster.data
    assert len(r["x0"]) == sum(len(v) for v in model.spikes.values()) > 0
    assert len(view._traces.lines.data["time"]) == 0  # the traces of the previous stream are gone
    names = view._traces.main.yaxis[0].major_label_overrides
    assert sorted(names.values()) == sorted(map(str, model.spikes))
    assert names[max(names)] == str(next(iter(model.spikes)))  # first unit on top, as the first channel
    x_range = view._traces.main.x_range  # the raster spans the requested window, not its first/last spike
    assert (x_range.start, x_range.end) == pytest.approx((model.start, model.start + model.window))


def test_zoom_inside_the_window_redraws_visible_part_at_full_resolution(model):
    view = Browser(model)
    model.window = 60.0
    start = model.start
    coarse = np.diff(_lines(view)[0][:50]).mean()
    view._traces._ranges_update(type("E", (), {"x0": start + 10.0, "x1": start + 12.0})())
    tt, _ = _lines(view)
    assert model.start == start and model.window == 60.0  # nothing read again
    assert start + 9.9 <= np.nanmin(tt) and np.nanmax(tt) <= start + 12.1
    assert np.nanmedian(np.diff(tt[:50])) < coarse / 5  # finer than the whole-window drawing


def test_pan_past_the_window_reads_where_the_user_went(model):
    view = Browser(model)
    start, window = model.start, model.window
    view._traces._ranges_update(type("E", (), {"x0": start + 50.0, "x1": start + 50.0 + window})())
    assert model.start == pytest.approx(start + 50.0) and model.window == pytest.approx(window)
    assert np.nanmin(_lines(view)[0]) >= start + 50.0 - 1e-6
    view._traces._tap(type("E", (), {"x": 500.0})())  # a click on the minimap centres the window there
    assert model.start == pytest.approx(500.0 - window / 2)


def test_switching_session_closes_the_old_one():
    opened = []

    def factory(u):
        def make():
            s = toy_session(u)
            opened.append(s)
            s.closed = False
            orig = s.close
            s.close = lambda: (setattr(s, "closed", True), orig())
            return s
        return make

    cat = MappingListing({"toy": {u: factory(u) for u in TOY_URIS}})
    m = BrowserModel(catalog=cat, use_rest_analysis=False)
    m.uri = TOY_URIS[2]
    assert opened[0].closed and not opened[-1].closed
    m.close()
    assert opened[-1].closed and m.data is None


def test_refused_uri_shows_message(model):
    assert not model.set_value("uri", "/etc/passwd")
    assert "refused" in model.message and model.uri == TOY_URIS[0]


def test_two_pages_are_independent():
    a = create_app(catalog=toy_catalog(), query={})
    b = create_app(catalog=toy_catalog(), query={})
    a.gw_model.uri = TOY_URIS[1]
    a.gw_model.start = 400.0
    assert b.gw_model.uri == TOY_URIS[0] and b.gw_model.start != 400.0
    assert a.gw_model.session is not b.gw_model.session


def test_deeplink_applied_and_refused_parts_reported():
    app = create_app(catalog=toy_catalog(), query={"session": TOY_URIS[2], "start": "250", "window": "5",
                                                   "stream": "nope"})
    m = app.gw_model
    assert m.uri == TOY_URIS[2] and m.start == 250.0 and m.window == 5.0
    assert "stream refused" in m.message


def test_empty_source_is_honest():
    cat = MappingListing({"demo": {}}, notes={"demo": "demo corpus not available: builder missing"})
    m = BrowserModel(catalog=cat)
    assert m.uri is None and "not available" in m.notice and m.message == ""
    Browser(m)  # renders without a session


def test_rendered_plot_follows_the_window_and_the_session(model):
    """The Bokeh x-range of the main plot moves with the window (it once stayed on the first window)."""
    from bokeh.document import Document
    from bokeh.models import Plot, Range1d
    from panel.io.state import set_curdoc

    view = Browser(model)
    doc = Document()
    with set_curdoc(doc):
        root = pn.panel(view).get_root(doc)

        def main_range():
            ranges = [(p.x_range.start, p.x_range.end) for p in root.select({"type": Plot})
                      if isinstance(p.x_range, Range1d) and p.x_range.end - p.x_range.start < 100]
            assert len(ranges) == 1  # the main plot (the minimap spans the whole session)
            return ranges[0]

        assert main_range()[0] == pytest.approx(model.start, abs=0.01)
        from bokeh.models import FixedTicker
        axes = [p.yaxis[0] for p in root.select({"type": Plot}) if isinstance(p.yaxis[0].ticker, FixedTicker)]
        assert sorted(axes[0].major_label_overrides.values()) == sorted(map(str, model.data.channel.values))
        model.start = 400.0
        assert main_range() == pytest.approx((400.0, 400.0 + model.window), abs=0.01)
        model.uri = TOY_URIS[2]
        lo, hi = main_range()
        assert lo == pytest.approx(model.start, abs=0.01) and hi <= model.start + model.window + 0.01
