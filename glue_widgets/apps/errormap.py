"""Error map: cross-prediction error between fragments (rest windows), heatmap + embedding; click a cell.

Calls ``gw.error_map`` on the chosen sessions' rest windows; clicking a heatmap cell shows that
(source, target) pair with links that open both sessions in the Browser.
"""

from __future__ import annotations

import numpy as np
import panel as pn
import param

from ._analysis import AnalysisModel, AnalysisView, make_create_app, rest_segment
from ._html import code, escape_text
from .deeplink import build_query
from ..errormap.map import error_map

__all__ = ["ErrorMapModel", "ErrorMap", "create_app"]


class ErrorMapModel(AnalysisModel):
    analysis = staticmethod(error_map)
    min_sessions = 2
    max_sessions = 10
    n_components = param.Integer(default=3, bounds=(2, 8))
    selected = param.Tuple(default=None, allow_None=True, length=2, doc="(source, target) of the clicked cell.")

    def default_sessions(self, uris):
        return uris[:4]

    def compute(self, sessions):
        frags = {}
        for i, u in enumerate(sessions):
            self.set_progress(5 + 50 * i // len(sessions), f"reading rest window of {u}")
            frags[u.split("://", 1)[-1]] = rest_segment(self.catalog, u)
        n = min(x.sizes["time"] for x in frags.values())
        frags = {k: np.asarray(v.values[:n], float) for k, v in frags.items()}
        self.set_progress(60, "computing the error map (lagged-covariance latents, IV dynamics, 3-fold CV)")
        E = self.analysis(frags, cv=3, n_boot=20, n_components=self.n_components)
        return {"E": E, "uris": dict(zip(frags, sessions)),
                "settings": f"gw.error_map(model='auto', cv=3, n_boot=20, n_components={self.n_components}) "
                            f"on rest windows ({n} samples each, ≤ 50 Hz; spikes binned 40 ms)"}


class ErrorMap(AnalysisView):
    title = "Error map"
    intro = ("**Error map** — how well each fragment predicts each other one through the shared frame "
             "(lower = closer). Click a cell to open that pair.")

    def extra_controls(self):
        return [pn.widgets.IntSlider.from_param(self.model.param.n_components, name="Latent dimensions")]

    def render(self, r):
        from ._common import hv_bokeh
        hv = hv_bokeh()  # hv.extension once per process
        E = r["E"]
        dims = list(E.dims)
        src, tgt = E.coords[dims[0]].values.tolist(), E.coords[dims[1]].values.tolist()
        vals = np.asarray(E.values, float)
        rows = [(str(s), str(t), vals[i, j]) for i, s in enumerate(src) for j, t in enumerate(tgt)]
        # x = the source (the fragment that predicts), y = the target (the fragment predicted)
        heat = hv.HeatMap(rows, [dims[0], dims[1]], "error").opts(
            cmap="viridis", colorbar=True, tools=["hover", "tap"], xrotation=45, responsive=True, height=420,
            xlabel=f"{dims[0]} (predicts)", ylabel=f"{dims[1]} (is predicted)",
            title="cross-prediction error: column (x) predicts row (y)")
        # 2-D embedding of fragments from the symmetrised error (classical MDS)
        D = np.nan_to_num((vals + vals.T) / 2)
        n = len(D)
        J = np.eye(n) - 1 / n
        B = -0.5 * J @ (D ** 2) @ J
        w, V = np.linalg.eigh(B)
        Y = V[:, ::-1][:, :2] * np.sqrt(np.maximum(w[::-1][:2], 0))
        # labels just above their dots: the offset is a fraction of the embedding's own extent
        span = max(float(np.ptp(Y[:, 0])), float(np.ptp(Y[:, 1]))) or 1.0
        emb = (hv.Points((Y[:, 0], Y[:, 1]), ["MDS 1", "MDS 2"]).opts(size=10)
               * hv.Labels((Y[:, 0], Y[:, 1], [str(s) for s in src]), ["MDS 1", "MDS 2"], "name"))
        emb = emb.opts(hv.opts.Points(responsive=True, height=420, padding=0.15,
                                      title="embedding (MDS of the symmetrised error)"),
                       hv.opts.Labels(text_font_size="9pt", yoffset=0.06 * span, text_baseline="bottom"))
        pair = pn.pane.Markdown("Click a cell of the heatmap to open that pair.", css_classes=["gw-pair"])
        tap = hv.streams.Tap(source=heat)

        def on_tap(x=None, y=None, **_):
            if x is None or y is None:
                return
            a, b = str(x), str(y)
            self.model.selected = (a, b)
            ua, ub = r["uris"].get(a, a), r["uris"].get(b, b)
            pair.object = (f"**Pair:** {code(a)} predicts {code(b)}, error {float(E.sel({dims[0]: a, dims[1]: b})):.3f}. "
                           f'<a href="./browser{escape_text(build_query(session=ua), None)}">open {escape_text(a)}</a> · '
                           f'<a href="./browser{escape_text(build_query(session=ub), None)}">open {escape_text(b)}</a>')

        tap.add_subscriber(on_tap)
        return pn.Column(pn.pane.HoloViews((heat + emb).opts(shared_axes=False), sizing_mode="stretch_width",
                                           css_classes=["gw-plot"]), pair,
                         pn.pane.Markdown(f"*Settings:* {escape_text(r['settings'], None)}"), sizing_mode="stretch_width")


create_app = make_create_app(ErrorMapModel, ErrorMap, "Error map")
