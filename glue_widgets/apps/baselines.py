"""Baselines: Spon.1 vs Spon.2 of one session (two rest states), then baseline-corrected task effects.

``gw.compare_baselines(seg_a, seg_b)`` says whether the two rest states differ (against its split-half
null); ``gw.baseline_corrected_effects(task, rest_a, task, rest_b)`` shows what the same task effect
looks like measured against each baseline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import panel as pn

from ._analysis import AnalysisModel, AnalysisView, make_create_app, neural_streams
from ._html import code, escape_text
from ..model.labels import classify_label
from ..model.resample import block_mean
from ..rest.baselines import compare_baselines

__all__ = ["BaselinesModel", "Baselines", "create_app"]

MAX_S = 300.0  # seconds read per state


class BaselinesModel(AnalysisModel):
    analysis = staticmethod(compare_baselines)
    min_sessions = 1
    max_sessions = 1

    def _window(self, s, stream, row):
        info = s.stream_info(stream)
        a, b = max(float(row["start"]), info.start_s), min(float(row["stop"]), info.stop_s, float(row["start"]) + MAX_S)
        kw = {"bin_width": 0.04} if info.kind == "events" else {}
        return block_mean(s.read(stream, a, b, **kw), 50.0)

    def compute(self, sessions):
        uri = sessions[0]
        s = self.catalog.open(uri)
        try:
            ep = s.epochs
            is_rest = ep["label"].map(lambda v: classify_label(v) == "rest")
            rest = ep[is_rest]
            labels = list(dict.fromkeys(rest["label"].astype(str)))
            if len(labels) < 2:
                raise ValueError(f"{uri} has {len(labels)} rest state(s) {labels}; Spon.1 vs Spon.2 needs two "
                                 "differently labelled rest epochs. Pick a session with two rest states.")
            stream = neural_streams(s)[0]
            longest = lambda lab: rest[rest["label"].astype(str) == lab].assign(d=lambda d: d.stop - d.start).sort_values("d").iloc[-1]
            self.set_progress(20, f"reading {labels[0]!r} and {labels[1]!r} from {stream}")
            a, b = self._window(s, stream, longest(labels[0])), self._window(s, stream, longest(labels[1]))
            self.set_progress(50, "compare_baselines (split-half null, permutation p)")
            cmp = self.analysis(a, b)
            effects = None
            task = ep[~is_rest]
            if len(task):
                from glue_widgets.rest.baselines import baseline_corrected_effects
                row = task.assign(d=lambda d: d.stop - d.start).sort_values("d").iloc[-1]
                self.set_progress(75, f"task effects of {row['label']!r} against each baseline")
                t = self._window(s, stream, row)
                effects = baseline_corrected_effects(t, a, t, b)
                effects["task_label"] = str(row["label"])
            return {"uri": uri, "labels": labels[:2], "stream": stream, "cmp": cmp, "effects": effects,
                    "units": str(a.attrs.get("units") or ""),
                    "settings": f"stream {stream!r}, ≤ {MAX_S:.0f} s per state, ≤ 50 Hz (spikes 40-ms bins); "
                                "compare_baselines defaults (8-20 blocks, OAS covariance, in-band Welch spectra, Holm p AND ratio rule)"}
        finally:
            s.close()


def _g(v, digits: int = 3) -> str:
    try:
        return f"{float(v):.{digits}g}"
    except (TypeError, ValueError):
        return "—"


def comparison_table(cmp: dict) -> pd.DataFrame:
    """``compare_baselines``' result as one row per measure: between, within, ratio, p, verdict (rounded)."""
    rows = []
    for key, what in (("covariance", "channel covariance (Riemannian distance)"),
                      ("spectral", "power spectrum (RMS log10 PSD difference)")):
        c = cmp.get(key)
        if not isinstance(c, dict):
            continue
        rows.append({"measure": what, "between states": _g(c.get("between")), "within a state (null)": _g(c.get("within")),
                     "ratio": _g(c.get("ratio")), "p": _g(c.get("p_value"), 2),
                     "verdict": "differ" if c.get("different") else "not distinguishable"})
    return pd.DataFrame(rows)


class Baselines(AnalysisView):
    title = "Baselines"
    intro = ("**Baselines** — compare the two rest states first (Spon.1 vs Spon.2); a task difference measured "
             "against two different baselines means little until the baselines themselves are compared.")

    def render(self, r):
        from ._common import hv_bokeh
        hv = hv_bokeh()  # hv.extension once per process
        c = r["cmp"]
        cov = c.get("covariance", {})
        la, lb = escape_text(r["labels"][0]), escape_text(r["labels"][1])
        head = (f"**Spon.1 = {la}** vs **Spon.2 = {lb}** in {code(r['uri'])}: "
                f"covariance ratio {cov.get('ratio', float('nan')):.2f} (between / within), "
                f"p = {cov.get('p_value', float('nan')):.2g} → "
                + ("**the baselines differ**" if c.get("different") else "not distinguishable from one state"))
        parts = [pn.pane.Markdown(head, css_classes=["gw-summary"]),
                 pn.pane.DataFrame(comparison_table(c), index=False, sizing_mode="stretch_width",
                                   css_classes=["gw-baselines-table"]),
                 pn.pane.Markdown("*Between states*: distance between the two rest states; *within a state*: the "
                                  "split-half null (distances between blocks of the same state); ratio > 1 and a small "
                                  "p mean the two baselines are different states.")]
        e = r["effects"]
        if e is not None:
            d1, d2 = e["delta1"], e["delta2"]
            key = "mean" if isinstance(d1, dict) and "mean" in d1 else None
            v1 = np.asarray(d1[key] if key else d1, float).ravel()
            v2 = np.asarray(d2[key] if key else d2, float).ravel()
            from ._traces import display_units
            f, unit = display_units(str(r.get("units") or ""))  # volts shown as µV
            v1, v2 = v1 * f, v2 * f
            sc = hv.Scatter((v1, v2), f"Δ1 = task − {r['labels'][0]} ({unit})",
                            f"Δ2 = task − {r['labels'][1]} ({unit})").opts(
                size=5, responsive=True, height=360,
                title=f"task {e['task_label']!r}: per-channel change of the mean against each baseline")
            lim = float(np.nanmax(np.abs(np.r_[v1, v2]))) if v1.size else 1.0
            parts.append(pn.pane.HoloViews(sc * hv.Curve([(-lim, -lim), (lim, lim)]).opts(color="gray", line_dash="dashed"),
                                           sizing_mode="stretch_width", css_classes=["gw-plot"]))
            parts.append(pn.pane.Markdown(f"**Can Δ1 and Δ2 be compared?** {'yes' if e.get('interpretable') else 'no'} — "
                                          f"{escape_text(e.get('reason', ''), None)}"))
        else:
            parts.append(pn.pane.Markdown("No task epoch in this session: task effects not shown."))
        parts.append(pn.pane.Markdown(f"*Settings:* {escape_text(r['settings'], None)}"))
        return pn.Column(*parts, sizing_mode="stretch_width")


create_app = make_create_app(BaselinesModel, Baselines, "Baselines")
