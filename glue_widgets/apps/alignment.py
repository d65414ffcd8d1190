"""Alignment: latent trajectories before/after rest-only alignment, identifiability, decoder transfer.

Before: each session's rest segment reduced on its own (PCA, independent frames). After:
``gw.align.RestAligner(n_components=k).fit(rest_list)`` maps every session into the frame of the
first one. Identifiability comes from the aligner's ``identifiability_``. Everything shown is
computed by the analysis layer on the rest windows (block-averaged to ≤ 50 Hz, spikes binned 40 ms).
"""

from __future__ import annotations

import re

import numpy as np
import panel as pn
import param

from ._analysis import AnalysisModel, AnalysisView, make_create_app, rest_segment

__all__ = ["AlignmentModel", "Alignment", "create_app"]


class AlignmentModel(AnalysisModel):
    analysis_target = "glue_widgets.align:RestAligner"
    min_sessions = 2
    max_sessions = 6
    n_components = param.Integer(default=3, bounds=(2, 8), doc="Dimension of the shared latent frame.")

    def default_sessions(self, uris):
        # the same subject over days is the canonical use: the first subject with several sessions
        groups: dict[str, list[str]] = {}
        for u in uris:
            groups.setdefault(re.sub(r"/[^/]+$", "", u), []).append(u)
        for g in groups.values():
            if len(g) >= 2:
                return g[:3]
        return uris[:2]

    def compute(self, sessions):
        from sklearn.decomposition import PCA
        segs = []
        for i, u in enumerate(sessions):
            self.set_progress(5 + 60 * i // len(sessions), f"reading rest window of {u}")
            segs.append(rest_segment(self.catalog, u))
        n = min(s.sizes["time"] for s in segs)
        xs = [np.asarray(s.values[:n], float) for s in segs]
        k = min(self.n_components, *(x.shape[1] for x in xs))
        self.set_progress(70, f"fitting RestAligner(n_components={k}) on {len(xs)} rest segments")
        al = self.analysis(n_components=k).fit(xs)
        after = [np.asarray(al.transform(x, session=i)) for i, x in enumerate(xs)]
        before = []
        for x in xs:
            z = (x - x.mean(0)) / (x.std(0) + 1e-12)
            before.append(PCA(n_components=k).fit_transform(z))
        ident = getattr(al, "identifiability_", None)
        from glue_widgets.align.evaluate import linear_cka, procrustes_distance
        rows = []
        for i in range(1, len(xs)):
            rows.append({"session": sessions[i],
                         "procrustes_before": procrustes_distance(before[0], before[i]),
                         "procrustes_after": procrustes_distance(after[0], after[i]),
                         "cka_after": linear_cka(after[0], after[i])})
        fs = float(segs[0].attrs.get("fs") or 0)
        return {"sessions": sessions, "before": before, "after": after, "k": k, "fs": fs,
                "identifiability": str(ident) if ident is not None else "not reported", "table": rows,
                "settings": f"RestAligner(n_components={k}) on rest windows, {n} samples each at {fs:g} Hz "
                            f"(spikes binned 40 ms; continuous signals block-averaged to ≤ 50 Hz); "
                            "'before' = per-session PCA of z-scored channels."}


class Alignment(AnalysisView):
    title = "Alignment"
    intro = ("**Alignment** — rest-only alignment into one latent frame (no channel correspondence, no paired "
             "trials). Left: each session in its own PCA frame; right: after `RestAligner`.")

    def extra_controls(self):
        return [pn.widgets.IntSlider.from_param(self.model.param.n_components, name="Latent dimensions")]

    def render(self, r):
        from ._common import hv_bokeh
        hv = hv_bokeh()  # hv.extension once per process
        import pandas as pd

        def traj(zs, title):
            curves = []
            for name, z in zip(r["sessions"], zs):
                m = min(len(z), 1500)  # first 1500 samples: a readable trajectory
                curves.append(hv.Curve((z[:m, 0], z[:m, 1]), "latent 1", "latent 2", label=name.split("://")[-1])
                              .opts(alpha=0.7, line_width=1))
            return hv.Overlay(curves).opts(title=title, responsive=True, height=380, legend_position="bottom",
                                           aspect=None)

        plots = (traj(r["before"], "before: independent frames") + traj(r["after"], "after: RestAligner frame")
                 ).opts(shared_axes=False)
        table = pd.DataFrame(r["table"]).round(3)
        return pn.Column(pn.pane.HoloViews(plots, sizing_mode="stretch_width", css_classes=["gw-plot"]),
                         pn.pane.Markdown("**Distance to the reference session** (Procrustes, lower is closer; "
                                          "CKA, higher is closer):"),
                         pn.pane.DataFrame(table, index=False, css_classes=["gw-table"]),
                         pn.pane.Markdown(f"**Identifiability:** {r['identifiability']}"),
                         pn.pane.Markdown(f"*Settings:* {r['settings']}"),
                         sizing_mode="stretch_width")


create_app = make_create_app(AlignmentModel, Alignment, "Alignment")
