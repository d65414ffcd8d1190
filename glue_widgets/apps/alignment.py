"""Alignment: latent trajectories before/after rest-only alignment, identifiability, decoder transfer.

Before: each session's rest segment reduced on its own (PCA, independent frames). After:
``gw.align.RestAligner(n_components=k).fit(rest_list)`` maps every session into the frame of the
first one. Identifiability comes from the aligner's ``identifiability_``, the plain-words account of
what rest and anchors fixed from ``summary()``, the forecast from ``forecast_``; sessions that mix
modality families (spikes + EEG) are refused by ``gw.align.compatibility.check_alignable`` before any
fit. Decoder transfer (``gw.align.transfer.decoder_transfer``, the protocol notebook 03 runs): a ridge
decoder of the behaviour (``velocity``) from the latents of the first session's task epoch, frozen and
applied to the other sessions in their own PCA frames (before) and in the aligned frame (after); the
task and the behaviour are never used to fit the alignment. Rest segments of different sessions are
not time-matched, so no sample-by-sample distance between them is shown. Everything is computed by
the analysis layer (block-averaged to ≤ 50 Hz, spikes binned 40 ms).
"""

from __future__ import annotations

import re

import numpy as np
import panel as pn
import param

from ._html import escape_text
from ._analysis import AnalysisModel, AnalysisView, make_create_app, rest_segment
from ..align import RestAligner
from ..align.compatibility import check_alignable
from ..align.transfer import decoder_transfer

__all__ = ["AlignmentModel", "Alignment", "create_app"]

BEHAVIOUR = "velocity"  # the behaviour stream decoded for the transfer test (demo and many DANDI sets)


class AlignmentModel(AnalysisModel):
    analysis = RestAligner
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
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        segs = []
        for i, u in enumerate(sessions):
            self.set_progress(5 + 60 * i // len(sessions), f"reading rest window of {u}")
            segs.append(rest_segment(self.catalog, u))
        check = check_alignable(segs)  # mouse spikes + human EEG: refused before any fit
        if not check.ok:
            return {"sessions": sessions, "refused": check.message}
        n = min(s.sizes["time"] for s in segs)
        xs = [np.asarray(s.values[:n], float) for s in segs]
        k = min(self.n_components, *(x.shape[1] for x in xs))
        self.set_progress(70, f"fitting RestAligner(n_components={k}) on {len(xs)} rest segments")
        al = self.analysis(n_components=k).fit(xs)
        after = [np.asarray(al.transform(x, session=i)) for i, x in enumerate(xs)]
        pcas = [make_pipeline(StandardScaler(), PCA(n_components=k)).fit(x) for x in xs]  # own frame per session
        before = [p.transform(x) for p, x in zip(pcas, xs)]
        ident = getattr(al, "identifiability_", None)
        self.set_progress(85, "decoder transfer on the task epochs")
        decoder = self._decoder_transfer(sessions, segs, al, pcas)
        fs = float(segs[0].attrs.get("fs") or 0)
        return {"sessions": sessions, "before": before, "after": after, "k": k, "fs": fs,
                "identifiability": str(ident) if ident is not None else "not reported",
                "decoder": decoder, "check": check.message if check.level == "warn" else "",
                "fixed": al.summary(),
                "settings": f"RestAligner(n_components={k}) on rest windows, {n} samples each at {fs:g} Hz "
                            f"(spikes binned 40 ms; continuous signals block-averaged to ≤ 50 Hz); "
                            "'before' = per-session PCA of z-scored channels."}

    def _decoder_transfer(self, sessions, segs, al, pcas) -> dict:
        """Ridge decoder of the behaviour from latents, trained on the first session's task epoch and
        applied frozen to the others (before: each session's own PCA frame; after: the aligned frame).

        The task epochs and the behaviour are never used to fit the alignment, so this is out of sample.
        """
        zb, za, ys = [], [], []
        for i, (u, seg) in enumerate(zip(sessions, segs)):
            s = self.catalog.open(u)
            try:
                ep = s.epochs
                task = ep[ep["label"].astype(str).str.startswith("task")]
                lacks = "no task epoch" if task.empty else "" if BEHAVIOUR in s.streams else f"no '{BEHAVIOUR}' stream"
                if lacks:
                    return {"available": False, "why": f"decoder transfer needs a 'task' epoch and a '{BEHAVIOUR}' "
                                                       f"stream in every session; {u} has {lacks}."}
                a, b = float(task["start"].iloc[0]), float(task["stop"].iloc[0])
                beh = s.read(BEHAVIOUR, a, b)
            finally:
                s.close()
            x = rest_segment(self.catalog, u, stream=seg.attrs.get("stream"), window=(a, b))
            xv = np.asarray(x.values, float)
            t = np.asarray(x["time"].values, float)
            bv = np.asarray(beh.values, float).reshape(len(beh), -1)
            ys.append(np.column_stack([np.interp(t, beh["time"].values, bv[:, j]) for j in range(bv.shape[1])]))
            zb.append(pcas[i].transform(xv))
            za.append(np.asarray(al.transform(xv, session=i)))
        out = decoder_transfer(zb, za, ys, names=sessions, forecast=getattr(al, "forecast_", None))
        return {"available": True, "table": out["table"],
                "settings": f"'{BEHAVIOUR}' on the first task epoch; " + out["settings"]}


class Alignment(AnalysisView):
    title = "Alignment"
    intro = ("**Alignment** — rest-only alignment into one latent frame (no channel correspondence, no paired "
             "trials). Left: each session in its own PCA frame; right: after `RestAligner`.")

    def extra_controls(self):
        return [pn.widgets.IntSlider.from_param(self.model.param.n_components, name="Latent dimensions")]

    def render(self, r):
        if r.get("refused"):
            return pn.Column(pn.pane.Alert(f"**Not aligned.** {escape_text(r['refused'], None)}", alert_type="danger"),
                             sizing_mode="stretch_width")
        from ._common import hv_bokeh
        hv = hv_bokeh()  # hv.extension once per process
        import pandas as pd

        fs = float(r.get("fs") or 0)
        win = int(round(fs)) if fs > 1 else 1  # 1-s boxcar: the slow trajectory, not sample noise
        span = int(60 * fs) if fs > 0 else 1500  # the first minute of rest

        def traj(zs, title):
            curves = []
            for name, z in zip(r["sessions"], zs):
                z = np.asarray(z, float)[:span]
                if win > 1 and len(z) > win:
                    kern = np.ones(win) / win
                    z = np.column_stack([np.convolve(z[:, j], kern, mode="valid") for j in range(2)])[::max(1, win // 4)]
                curves.append(hv.Curve((z[:, 0], z[:, 1]), "latent 1", "latent 2", label=name.split("://")[-1])
                              .opts(alpha=0.8, line_width=1.5))
            return hv.Overlay(curves).opts(title=title, responsive=True, height=380, legend_position="bottom",
                                           aspect=None)

        plots = (traj(r["before"], "before: independent frames (first minute, 1-s smoothing)")
                 + traj(r["after"], "after: RestAligner frame (first minute, 1-s smoothing)")
                 ).opts(shared_axes=False)
        dec = r.get("decoder") or {"available": False, "why": "not computed"}
        if dec["available"]:
            dec_parts = [pn.pane.Markdown("**Decoder transfer** (R² of a decoder frozen on the reference session; "
                                          "before: independent frames, after: the aligned frame):"),
                         pn.pane.DataFrame(pd.DataFrame(dec["table"]).round(3), index=False,
                                           css_classes=["gw-table", "gw-decoder"]),
                         pn.pane.Markdown(f"*Decoder:* {escape_text(dec['settings'], None)}")]
        else:
            dec_parts = [pn.pane.Markdown(f"**Decoder transfer:** not available — {escape_text(dec['why'], None)}")]
        warn = ([pn.pane.Alert(f"**Check.** {escape_text(r['check'], None)}", alert_type="warning")]
                if r.get("check") else [])
        fixed = pn.pane.Markdown("**What rest fixed and what anchors fixed** (forecast = the aligner's own "
                                 "estimate of the transfer, made before any behaviour was seen):\n\n"
                                 + "\n".join(f"- {escape_text(ln, None)}" for ln in r.get("fixed", "").splitlines()))
        head, *rest = r["identifiability"].splitlines() or [""]
        items = [ln.strip() for ln in rest if not re.fullmatch(r"session \d+:", ln.strip())]  # no notes: skip
        ident = "\n".join([f"**Identifiability.** {escape_text(head, None)}", ""]
                          + [f"- {escape_text(ln, None)}" for ln in items])
        return pn.Column(*warn, pn.pane.HoloViews(plots, sizing_mode="stretch_width", css_classes=["gw-plot"]),
                         *dec_parts, fixed,
                         pn.pane.Markdown(ident),
                         pn.pane.Markdown(f"*Settings:* {escape_text(r['settings'], None)}"),
                         sizing_mode="stretch_width")


create_app = make_create_app(AlignmentModel, Alignment, "Alignment")
