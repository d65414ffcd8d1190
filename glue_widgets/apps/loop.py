"""Coupling loop: alignment → translation → error-map iterations, convergence and attribution.

Runs ``gw.CouplingLoop(...).run(fragments)`` on the chosen sessions' rest windows and shows the
iteration history (held-out error per iteration), whether it converged, and the confound attribution.
"""

from __future__ import annotations

import numpy as np
import panel as pn
import param

from ._analysis import AnalysisModel, AnalysisView, make_create_app, rest_segment
from ._html import escape_text, preformatted
from ..errormap.loop import CouplingLoop

__all__ = ["LoopModel", "Loop", "create_app"]


class LoopModel(AnalysisModel):
    analysis = CouplingLoop
    min_sessions = 3
    max_sessions = 10
    n_components = param.Integer(default=3, bounds=(2, 8))
    max_iter = param.Integer(default=3, bounds=(1, 10))

    def default_sessions(self, uris):
        # fragments from different labs and animals (the attribution needs confounds that vary):
        # the first session of each lab, then the next ones, up to 5
        by_lab: dict[str, list[str]] = {}
        for u in uris:
            by_lab.setdefault(u.split("://", 1)[-1].split("/", 1)[0], []).append(u)
        pick: list[str] = []
        for depth in range(3):
            for lab, us in by_lab.items():
                if lab != "real" and len(us) > depth and len(pick) < 5:
                    pick.append(us[depth])
        return pick if len(pick) >= self.min_sessions else uris[:4]

    def compute(self, sessions):
        frags = {}
        for i, u in enumerate(sessions):
            self.set_progress(5 + 40 * i // len(sessions), f"reading rest window of {u}")
            x = rest_segment(self.catalog, u)
            frags[u.split("://", 1)[-1]] = x
        n = min(x.sizes["time"] for x in frags.values())
        # DataArrays with their attrs (and RestCard): the lab, species, arousal... the attribution uses
        frags = {k: v.isel(time=slice(0, n)).astype(float) for k, v in frags.items()}
        self.set_progress(50, f"running CouplingLoop(n_components={self.n_components}, max_iter={self.max_iter})")
        res = self.analysis(n_components=self.n_components, max_iter=self.max_iter).run(frags)
        varying = {}
        for key in ("lab", "species", "apparatus", "state", "subject"):
            vals = {str((v.attrs.get("card") or {}).get(key, v.attrs.get(key))) for v in frags.values()}
            varying[key] = len(vals - {"None"}) > 1
        return {"res": res, "varying": varying, "settings": f"gw.CouplingLoop(n_components={self.n_components}, "
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
        its = [int(i) for i in hist["index"]]
        err = np.asarray(hist["heldout_error"], float)
        top = float(np.nanmax(err)) if err.size and np.isfinite(err).any() else 1.0
        # honest y-range: from 0 (a 0.0003 change must not look steep), integer iteration ticks
        curve = (hv.Curve((its, err), "iteration", "held-out error") * hv.Scatter((its, err), "iteration",
                                                                                 "held-out error").opts(size=8)).opts(
            hv.opts.Curve(responsive=True, height=300, xticks=its, ylim=(0, 1.15 * top if top > 0 else 1.0),
                          title="held-out error per iteration (y from 0)"))
        rel = (err[-1] - err[0]) / err[0] * 100 if err.size and err[0] else float("nan")
        trend = "lower, better" if rel < 0 else "higher, worse" if rel > 0 else "unchanged"
        summary = (f"**{'Converged' if res.converged else 'Not converged'}** after {len(its) - 1} refinement "
                   f"iteration(s); held-out error {err[0]:.4f} → {err[-1]:.4f} ({rel:+.1f} %, {trend}; lower is better); "
                   f"improvement over a single pass: {res.improvement:.4f}." if err.size else "No iteration ran.")
        out = [pn.pane.HoloViews(curve, sizing_mode="stretch_width", css_classes=["gw-plot"]),
               pn.pane.Markdown(summary, css_classes=["gw-loop-summary"]),
               pn.pane.Markdown("**Failure attribution**: share of the pair errors' variance left by the clusters "
                                "that each confound explains (unique = beyond the others; commonality analysis), "
                                "p from Freedman–Lane (QAP) permutations of whole fragments within clusters:")]
        if res.attribution.empty:
            out.append(pn.pane.Alert(escape_text(_why_no_attribution(r), None), alert_type="info",
                                     css_classes=["gw-attribution-empty"], sizing_mode="stretch_width"))
        else:
            out.append(pn.pane.DataFrame(res.attribution.round(3), sizing_mode="stretch_width",
                                         css_classes=["gw-attribution"]))
        out += [pn.pane.Markdown("**Report**"), pn.pane.Markdown(preformatted(res.summary()), css_classes=["gw-report"]),
                pn.pane.Markdown(f"*Settings:* {escape_text(r['settings'], None)}")]
        return pn.Column(*out, sizing_mode="stretch_width")


def _why_no_attribution(r) -> str:
    varying = r.get("varying") or {}
    vary = [k for k, v in varying.items() if v]
    same = [k for k, v in varying.items() if not v]
    return ("No failure attribution: it needs confounds that differ between the fragments (lab, species, "
            "apparatus, state, arousal measurements in their RestCards). "
            + (f"Varying here: {', '.join(vary)}. " if vary else "None varies among these fragments. ")
            + (f"The same for all: {', '.join(same)}. " if same else "")
            + "Choose sessions from several labs or animals (notebook 06 shows a filled table).")


create_app = make_create_app(LoopModel, Loop, "Coupling loop")
