"""Coupling loop: alignment → translation → error-map iterations, convergence and attribution.

Runs ``gw.CouplingLoop(...).run(fragments)`` on the chosen sessions' rest windows and shows the
iteration history (held-out error per iteration), whether it converged, and the confound attribution.
"""

from __future__ import annotations

import numpy as np
import panel as pn
import param

from ._analysis import AnalysisModel, AnalysisView, make_create_app, rest_segment
from ..errormap.loop import CouplingLoop

__all__ = ["LoopModel", "Loop", "create_app"]


class LoopModel(AnalysisModel):
    analysis = CouplingLoop
    min_sessions = 3
    max_sessions = 10
    n_components = param.Integer(default=3, bounds=(2, 8))
    max_iter = param.Integer(default=3, bounds=(1, 10))

    def default_sessions(self, uris):
        return uris[:4]

    def compute(self, sessions):
        frags = {}
        for i, u in enumerate(sessions):
            self.set_progress(5 + 40 * i // len(sessions), f"reading rest window of {u}")
            x = rest_segment(self.catalog, u)
            frags[u.split("://", 1)[-1]] = x
        n = min(x.sizes["time"] for x in frags.values())
        frags = {k: np.asarray(v.values[:n], float) for k, v in frags.items()}
        self.set_progress(50, f"running CouplingLoop(n_components={self.n_components}, max_iter={self.max_iter})")
        res = self.analysis(n_components=self.n_components, max_iter=self.max_iter).run(frags)
        return {"res": res, "settings": f"gw.CouplingLoop(n_components={self.n_components}, "
                                         f"max_iter={self.max_iter}) on rest windows ({n} samples each)"}


class Loop(AnalysisView):
    title = "Coupling loop"
    intro = "**Coupling loop** — alignment → translation → error-map refinement until it settles."

    def extra_controls(self):
        return [pn.widgets.IntSlider.from_param(self.model.param.n_components, name="Latent dimensions"),
                pn.widgets.IntSlider.from_param(self.model.param.max_iter, name="Max iterations")]

    def render(self, r):
        from ._common import hv_bokeh
        hv = hv_bokeh()  # hv.extension once per process
        res = r["res"]
        hist = res.history.reset_index()
        curve = hv.Curve(hist, "index", "heldout_error").opts(
            responsive=True, height=300, title=f"held-out error per iteration (converged={res.converged})",
            xlabel="iteration") * hv.Scatter(hist, "index", "heldout_error").opts(size=8)
        out = [pn.pane.HoloViews(curve, sizing_mode="stretch_width", css_classes=["gw-plot"]),
               pn.pane.Markdown(f"**Improvement over a single pass:** {res.improvement:.4f}"),
               pn.pane.Markdown("**Failure attribution**: share of the pair errors' variance left by the clusters "
                                "that each confound explains (unique = beyond the others; commonality analysis), "
                                "p from Freedman–Lane permutations of whole fragments within clusters:"),
               pn.pane.DataFrame(res.attribution.round(3) if not res.attribution.empty else res.attribution),
               pn.pane.Markdown(f"```\n{res.summary()}\n```"),
               pn.pane.Markdown(f"*Settings:* {r['settings']}")]
        return pn.Column(*out, sizing_mode="stretch_width")


create_app = make_create_app(LoopModel, Loop, "Coupling loop")
