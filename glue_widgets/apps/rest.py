"""Rest: the detected rest window on the session timeline; adjust it, read its card, quality, broaden it.

Detection is ``gw.extract_rest`` (cached per session); the adjusted window is the user's choice,
compared with the detection and the 10-minute target; "Broaden" calls ``gw.broaden_rest``.
"""

from __future__ import annotations

import pandas as pd
import panel as pn
import param

from ._common import detect_rest_cached, timed
from ._html import escape_text
from ._traces import STATE_COLORS, state_class
from ..rest import broaden_rest, extract_rest
from .listing import SOURCE_LABELS, SessionListing, DefaultListing

__all__ = ["RestModel", "RestView", "create_app"]

TARGET_S = 600.0
WINDOW_COLOR, BROADENED_COLOR = "black", "#f0027f"  # (magenta: no state class uses it)


def card_table(card: dict | None) -> "pd.DataFrame":
    """A RestCard as a two-column table (field, value): nested fields dotted, numbers rounded.

    Examples
    --------
    >>> card_table({"duration_s": 75.46666666666667, "arousal": {"pupil": None}}).values.tolist()
    [['duration_s', '75.47'], ['arousal.pupil', '—']]
    """
    import pandas as pd

    rows: list[tuple[str, str]] = []

    def walk(d, prefix=""):
        for k, v in d.items():
            key = f"{prefix}{k}"
            if isinstance(v, dict):
                walk(v, key + ".") if v else rows.append((key, "—"))
            elif isinstance(v, float):
                rows.append((key, f"{v:.4g}" if abs(v) < 1e4 else f"{v:.6g}"))
            elif isinstance(v, (list, tuple)):
                txt = ", ".join(f"{x:.4g}" if isinstance(x, float) else str(x) for x in v[:12])
                rows.append((key, txt + (f", … ({len(v)} in all)" if len(v) > 12 else "")))
            else:
                rows.append((key, "—" if v is None else str(v)))

    walk(card or {})
    return pd.DataFrame(rows, columns=["field", "value"])


class RestModel(param.Parameterized):
    source = param.Selector(objects=[])
    uri = param.Selector(default=None, objects=[], allow_None=True)
    rest = param.Dict(default={})
    window = param.Range(default=(0.0, 1.0), doc="The adjusted rest window (s).")
    span = param.Range(default=(0.0, 1.0), doc="Extent of the session (s).")
    broadened = param.Range(default=None, allow_None=True)
    broaden = param.Event()
    busy = param.Boolean(default=False)
    message = param.String(default="")

    def __init__(self, catalog: SessionListing | None = None, background: bool = False, **params):
        self.catalog = catalog if catalog is not None else DefaultListing()
        self.background = background
        self.timings: list = []
        self.epochs = None
        super().__init__()
        self.extract, self.reason = extract_rest, ""
        self.param.source.objects = self.catalog.sources()
        self.param.watch(self._on_source, "source")
        self.param.watch(self._on_uri, "uri")
        self.param.watch(self._on_broaden, "broaden")
        self.source = params.pop("source", self.param.source.objects[0])
        self._on_source()
        self.param.update(**params)

    def _on_source(self, *_):
        uris = self.catalog.list(self.source)
        self.param.uri.objects = uris
        if uris and self.uri != uris[0]:
            self.uri = uris[0]
        elif uris:
            self._on_uri()

    def _on_uri(self, *_):
        if self.uri is None:
            return
        self.broadened = None
        self.rest = {}      # the previous session's detection and card never show under this one
        self.message = ""
        s = self.catalog.open(self.uri)
        try:
            self.epochs = s.epochs
            infos = [i for i in s.streams.values() if i.modality != "behavior"] or list(s.streams.values())
            self.span = (min(i.start_s for i in infos), max(i.stop_s for i in infos))
            self.window = self.span
        finally:
            s.close()
        if self.extract is None:
            self.message = self.reason
            return
        if self.background:
            pn.state.execute(self._detect_async)
        else:
            with timed("rest_detect", self.timings):
                self._set_rest(detect_rest_cached(self.catalog, self.uri))

    async def _detect_async(self):
        import asyncio
        uri = self.uri
        self.busy = True
        try:
            res = await asyncio.to_thread(detect_rest_cached, self.catalog, uri)
        except Exception as exc:  # shown on the page, never raised into the event loop
            res = {"start": None, "stop": None, "method": "none", "card": None,
                   "note": f"rest detection failed: {exc}"}
        if uri == self.uri:
            self._set_rest(res)
            self.busy = False

    def _set_rest(self, res):
        self.rest = res
        if res.get("start") is not None:
            self.window = (float(res["start"]), float(res["stop"]))
        self.message = res.get("note", "") if res.get("method") != "gw.extract_rest" else ""

    def _on_broaden(self, *_):
        fn = broaden_rest
        self.busy = True
        s = self.catalog.open(self.uri)
        try:
            with timed("rest_broaden", self.timings):
                seg = self.extract(s)
                out = fn(s, seg)
            t = out.time.values
            card = out.attrs.get("card") or {}
            self.broadened = (float(card.get("start", t[0])), float(card.get("stop", t[-1])))
        except Exception as exc:
            self.message = f"broaden_rest failed: {type(exc).__name__}: {exc}"
        finally:
            s.close()
            self.busy = False

    def summary(self) -> dict:
        a, b = self.window
        det = (self.rest.get("start"), self.rest.get("stop"))
        ov = 0.0
        if det[0] is not None:
            ov = max(0.0, min(b, det[1]) - max(a, det[0]))
        return {"duration_s": b - a, "target_s": TARGET_S, "coverage": (b - a) / TARGET_S,
                "overlap_with_detected_s": ov}


class RestView(pn.viewable.Viewer):
    model = param.ClassSelector(class_=RestModel)

    def __init__(self, model: RestModel, **params):
        super().__init__(model=model, **params)
        m = model
        self._source = pn.widgets.Select.from_param(m.param.source, name="Source",
                                                    options={SOURCE_LABELS.get(s, s): s for s in m.param.source.objects})
        self._uri = pn.widgets.Select.from_param(m.param.uri, name="Session", size=8)
        self._slider = pn.widgets.RangeSlider(name="Adjust the rest window (s)", start=0.0, end=1.0, step=1.0,
                                              value=(0.0, 1.0), css_classes=["gw-window"], sizing_mode="stretch_width")
        self._from_slider = False
        self._slider.param.watch(self._window_from_slider, "value_throttled")
        self._broaden = pn.widgets.Button(name="Broaden (gw.broaden_rest)", css_classes=["gw-broaden"])
        self._broaden.on_click(lambda e: m.param.trigger("broaden"))
        self._spinner = pn.indicators.LoadingSpinner(value=False, size=24, visible=False)
        self._msg = pn.pane.Alert("", alert_type="warning", visible=False, sizing_mode="stretch_width")
        self._head = pn.pane.Markdown("", css_classes=["gw-rest"])
        self._plot = pn.pane.HoloViews(None, sizing_mode="stretch_width", css_classes=["gw-plot"])
        self._card = pn.pane.DataFrame(card_table({}), index=False, name="card", css_classes=["gw-card"],
                                       sizing_mode="stretch_width", max_rows=200)
        self._card_note = pn.pane.Markdown("", css_classes=["gw-card-note"])
        # the slider follows the model's window too (detection sets it after ``rest``; code may set it)
        m.param.watch(self._sync_slider, ["span", "rest", "window"])
        m.param.watch(self._draw, ["window", "rest", "broadened", "span"])
        m.param.watch(lambda e: (setattr(self._spinner, "value", e.new), setattr(self._spinner, "visible", e.new)), "busy")
        m.param.watch(lambda e: (setattr(self._msg, "object", escape_text(m.catalog.redact(e.new), 2000)),
                                 setattr(self._msg, "visible", bool(e.new))), "message")
        m.param.watch(self._draw, "busy")  # the card's "detecting…" note follows the detection
        if m.extract is None:
            self._msg.object, self._msg.visible = escape_text(m.reason), True
        self._sync_slider()
        self._draw()

    def _window_from_slider(self, event):
        # The browser owns the slider while the user drags or presses keys: echoing this (already
        # stale) value back would snap a slider that has moved on since (keyboard steps arrive as
        # value, value, ..., then a late value_throttled).
        self._from_slider = True
        try:
            self.model.window = tuple(map(float, event.new))
        finally:
            self._from_slider = False

    def _sync_slider(self, *_):
        m = self.model
        a, b = m.span
        bounds = dict(start=float(a), end=float(max(b, a + 1)))
        if not self._from_slider:
            bounds["value"] = tuple(map(float, m.window))
        self._slider.param.update(**bounds)

    def _draw(self, *_):
        from ._common import hv_bokeh
        hv = hv_bokeh()  # hv.extension once per process
        m = self.model
        with timed("rest_redraw", m.timings):
            ep = m.epochs
            # one colour per state class (rest, task, stimulus, other) in every session; raw label in the hover
            rows = ([(float(r.start), 0, float(r.stop), 1, str(r.label), f"{state_class(r.label)} epochs")
                     for r in ep.itertuples()] if ep is not None else [])
            el = hv.Rectangles(rows, vdims=["label", "state class"]).opts(
                color="state class", cmap={f"{k} epochs": v for k, v in STATE_COLORS.items()}, alpha=0.5,
                line_alpha=0, show_legend=True, legend_position="right", tools=["hover"])
            r = m.rest or {}
            if r.get("start") is not None:
                el = el * hv.Rectangles([(r["start"], 1.05, r["stop"], 1.3)]).opts(color="#2ca02c", alpha=0.9)
            a, b = m.window
            # the window as a dashed outline (a Path: the dash of a Rectangles outline was drawn solid)
            el = el * hv.Path([[(a, -0.1), (b, -0.1), (b, 1.4), (a, 1.4), (a, -0.1)]]).opts(
                color=WINDOW_COLOR, line_width=2, line_dash="dashed")
            if m.broadened is not None:
                el = el * hv.Rectangles([(m.broadened[0], 1.32, m.broadened[1], 1.45)]).opts(color=BROADENED_COLOR)
            self._plot.object = el.opts(responsive=True, height=260, yaxis=None, xlabel="session time (s)",
                                        xlim=m.span, ylim=(-0.15, 1.5),
                                        title="epochs · green bar: detected rest · dashed: your window · "
                                              "magenta bar: broadened")
            s = m.summary()
            how = r.get("method", "none")
            self._head.object = (f"**Detected** ({escape_text(how)}): "
                                 + (f"{r['start']:.1f}–{r['stop']:.1f} s" if r.get("start") is not None else "none")
                                 + f" · **your window** {a:.1f}–{b:.1f} s = {s['duration_s'] / 60:.1f} min "
                                 f"({100 * s['coverage']:.0f} % of the 10-min target), "
                                 f"{s['overlap_with_detected_s']:.0f} s overlap with the detection"
                                 + (f" · **broadened** {m.broadened[0]:.1f}–{m.broadened[1]:.1f} s" if m.broadened else ""))
            card = r.get("card")
            table = card_table(card)
            self._card.object = table.assign(value=table["value"].map(m.catalog.redact)) if len(table) else table
            if card:
                self._card_note.object = ""
            elif m.busy or not r:
                self._card_note.object = "*The RestCard appears when the rest detection (`gw.extract_rest`) is done…*"
            else:
                self._card_note.object = ("No RestCard: `gw.extract_rest` did not find a rest window here "
                                          f"({escape_text(m.catalog.redact(r.get('note', '')))}).")

    def output_panes(self) -> pn.Column:
        """The view's outputs without its controls (summary, timeline, card): what ``gw.widgets`` embeds."""
        return pn.Column(self._spinner, self._msg, self._head, self._plot,
                         "#### RestCard (quality, arousal, provenance)", self._card_note, self._card,
                         sizing_mode="stretch_width")

    def __panel__(self):
        side = pn.Column(self._source, self._uri, self._broaden, self._spinner, width=320)
        main = pn.Column(self._msg, self._head, self._plot, self._slider, "#### RestCard (quality, arousal, provenance)",
                         self._card_note, self._card, sizing_mode="stretch_width")
        return pn.Row(side, main, sizing_mode="stretch_width")


def create_app(catalog: SessionListing | None = None, **params):
    """Build one page of the Rest dashboard (fresh state per page)."""
    from ._page import in_server, page
    params.setdefault("background", in_server())
    model = RestModel(catalog=catalog, **params)
    return page("Rest", RestView(model), model)
