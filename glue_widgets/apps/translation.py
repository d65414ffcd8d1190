"""Translation: calcium ΔF/F vs spikes inferred by ``gw.translate.infer_spikes`` vs the true spikes.

True spikes come from ``gw.demo.truth(uri)`` (evaluation only) when the session is a demo session
that has them. ECoG → EEG (``gw.translate.EcogToEeg``) is not drawn in this view yet.
"""

from __future__ import annotations

import numpy as np
import panel as pn
import param

from ._analysis import AnalysisModel, AnalysisView, make_create_app

__all__ = ["TranslationModel", "Translation", "create_app"]


def _true_spikes(uri: str):
    try:
        from glue_widgets.sources import demo
        t = demo.truth(uri)
    except Exception:
        return None
    for k in ("spike_times", "true_spikes", "spikes"):
        if isinstance(t, dict) and k in t:
            return t[k]
    return None


class TranslationModel(AnalysisModel):
    analysis_target = "glue_widgets.translate:infer_spikes"
    min_sessions = 1
    max_sessions = 1
    seconds = param.Number(default=60.0, bounds=(5, 300), doc="Seconds of calcium shown.")
    n_cells = param.Integer(default=4, bounds=(1, 12))

    def default_sessions(self, uris):
        cal = [u for u in uris if any(w in u for w in ("birch", "calcium", "ophys"))]
        return (cal or uris)[:1]

    def compute(self, sessions):
        uri = sessions[0]
        s = self.catalog.open(uri)
        try:
            cal = s.streams_of("calcium")
            if not cal:
                raise ValueError(f"{uri} has no calcium stream (streams: {sorted(s.streams)}); pick a calcium session.")
            info = s.stream_info(cal[0])
            a = info.start_s
            b = min(info.stop_s, a + self.seconds)
            self.set_progress(20, f"reading {cal[0]} [{a:.0f}, {b:.0f}) s")
            x = s.read(cal[0], a, b).isel(channel=slice(0, self.n_cells))
            fs = float(x.attrs.get("fs") or info.fs)
            self.set_progress(50, f"infer_spikes(fs={fs:g})")
            r = self.analysis(x, fs)
            truth = _true_spikes(uri)
            return {"uri": uri, "stream": cal[0], "x": x, "r": r, "truth": truth, "fs": fs,
                    "settings": f"infer_spikes(method='supervised') on {self.n_cells} cells, {b - a:.0f} s at {fs:g} Hz"}
        finally:
            s.close()


class Translation(AnalysisView):
    title = "Translation"
    intro = ("**Translation** — calcium ΔF/F → expected spikes per frame (`gw.translate.infer_spikes`), with "
             "the demo's true spikes where known (evaluation only). ECoG → EEG is not drawn here yet.")

    def extra_controls(self):
        return [pn.widgets.IntSlider.from_param(self.model.param.n_cells, name="Cells"),
                pn.widgets.FloatSlider.from_param(self.model.param.seconds, name="Seconds")]

    def render(self, res):
        import holoviews as hv
        hv.extension("bokeh", logo=False)
        x, r = res["x"], res["r"]
        t = x.time.values
        plots = []
        for j, ch in enumerate(x.channel.values):
            dff = hv.Curve((t, x.values[:, j]), "time", "ΔF/F", label="ΔF/F").opts(color="#2ca02c")
            inf = hv.Curve((t, np.asarray(r)[:, j]), "time", "spikes/frame", label="inferred").opts(color="#d62728")
            plots.append((dff + inf).opts(shared_axes=True))
        lay = hv.Layout([p for pair in plots for p in pair]).cols(2).opts(
            hv.opts.Curve(responsive=True, height=150), hv.opts.Layout(shared_axes=True))
        note = ("True spikes: available in `gw.demo.truth` (not drawn per cell in this view yet)."
                if res["truth"] is not None else "True spikes: not available for this session.")
        return pn.Column(pn.pane.HoloViews(lay, sizing_mode="stretch_width", css_classes=["gw-plot"]),
                         pn.pane.Markdown(note), pn.pane.Markdown(f"*Settings:* {res['settings']}"),
                         sizing_mode="stretch_width")


create_app = make_create_app(TranslationModel, Translation, "Translation")
