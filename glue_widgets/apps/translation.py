"""Translation: calcium → spikes (inferred vs TRUE) and ECoG → EEG (predicted vs measured, held-out window).

Two paired translations (README, "What it is for"), one dashboard, a ``mode`` switch:

- **calcium → spikes**: ΔF/F, the spikes ``gw.translate.infer_spikes`` expects per frame, and the true
  spikes where a simulation knows them (``gw.demo.truth(uri)["true_spike_counts"]``, read for
  display/evaluation only, never to fit) with Pearson r per cell at 100-ms bins (inferred vs truth, and
  ΔF/F vs truth as the do-nothing reference).
- **ECoG → EEG**: on simultaneous ECoG and EEG (one session with both, or a ``.../ieeg`` run and its
  ``.../eeg`` sibling), :func:`glue_widgets.translate.ecog_eeg_eval.evaluate_ecog_to_eeg` fits the learned
  mapping on the first part of the recording and scores it, the physics baseline and the baseline with
  one least-squares gain on the later, held-out window. R² per EEG channel.

No science here: the dashboard reads, splits and calls the analysis layer.

This file is a little long because it holds two modes of one page (calcium → spikes, ECoG → EEG)
that share its controls; the science of both lives in :mod:`glue_widgets.translate`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import panel as pn
import param

from ._analysis import AnalysisModel, AnalysisView, make_create_app
from ._html import code, escape_text
from ._traces import display_units
from ..translate.spikes import infer_spikes

__all__ = ["TranslationModel", "Translation", "create_app", "MODES", "toy_ecog_eeg_session", "true_spike_counts",
           "recorded_spike_counts", "ground_truth_session"]

MODES = ("calcium → spikes", "ECoG → EEG")
EVAL_BIN_S = 0.1  # calcium evaluation bin (s): CASCADE-style correlation at 100 ms
_ECOG = ("ecog", "ieeg", "seeg")


def true_spike_counts(uri: str):
    """True spikes per frame of a simulated session (``gw.demo.truth``) or ``None``: evaluation only."""
    try:
        from glue_widgets.sources import demo
        t = demo.truth(uri)
    except Exception:
        return None
    c = t.get("true_spike_counts") if isinstance(t, dict) else None
    return c if c is not None and hasattr(c, "dims") else None


def recorded_spike_counts(session, x, fs: float):
    """Spikes recorded with the calcium (an events stream whose unit ids are the ROI ids), per frame.

    Returns ``(counts (time × cell), description)`` or ``None``. This is real ground truth, e.g. the
    cell-attached spikes of the CASCADE database (:func:`ground_truth_session`).
    """
    chans = [str(c) for c in x.channel.values]
    t = np.asarray(x.time.values, float)
    edges = np.r_[t - 0.5 / fs, t[-1] + 0.5 / fs]
    for name, info in session.streams.items():
        if info.kind != "events":
            continue
        try:
            y = session.read(name, float(edges[0]), float(edges[-1]), bin_width=1.0 / fs)
        except Exception:  # an events stream this reader cannot bin: not ground truth for us
            continue
        if not set(chans) <= set(map(str, y.channel.values)):
            continue
        # bins of one frame from half a frame before the first frame centre: bin centres = frame times
        counts = np.asarray(y.sel(channel=chans).sel(time=t, method="nearest").values, float)
        return counts, f"recorded ({name}, simultaneous electrophysiology)"
    return None


def ground_truth_session(segment, uri: str | None = None):
    """A Session with ΔF/F (``dff``) and the spikes recorded with it (``ephys``) from a CASCADE segment.

    ``segment`` is a :class:`glue_widgets.translate.groundtruth.GTSegment` (``load_cascade_gt``). The
    shipped supervised spike model was trained on the whole CASCADE database, so its scores on these
    cells are in-sample; ``method="oasis"`` is not trained on them (the dashboard says so).

    Examples
    --------
    >>> from glue_widgets.translate.groundtruth import load_cascade_gt
    >>> seg = load_cascade_gt("/work/shared/data/cascade_gt", ["DS09"])[0]   # doctest: +SKIP
    >>> sorted(ground_truth_session(seg).streams)                           # doctest: +SKIP
    ['dff', 'ephys']
    """
    from glue_widgets.model import ArraySession, make_timeseries
    cell = str(segment.neuron)
    x = make_timeseries(np.asarray(segment.dff, float)[:, None], np.asarray(segment.t, float), channels=[cell],
                        modality="calcium", fs=float(segment.fs), units="dF/F")
    uri = uri or f"cascade://{segment.dataset}/{cell}"
    return ArraySession(uri, signals={"dff": x}, spikes={"ephys": {cell: np.asarray(segment.spikes, float)}},
                        metadata={"lab": segment.dataset, "subject": cell, "ground_truth": "ephys",
                                  "spike_model_caveat": "the shipped supervised spike model was trained on the "
                                  "CASCADE database, these cells included: its score here is in-sample; "
                                  "method='oasis' is not trained on them.",
                                  "citation": "Rupprecht et al. 2021 Nat Neurosci 24:1324 (CASCADE ground truth)"})


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def _bin_sum(v: np.ndarray, k: int) -> np.ndarray:
    n = v.shape[0] // k * k
    return v[:n].reshape(-1, k, *v.shape[1:]).sum(1)


def _positions(session, names) -> np.ndarray | None:
    """Electrode positions (m) in the order of ``names`` from the session's BIDS electrodes table."""
    el = {str(e.get("name")): e for e in (getattr(session, "metadata", {}) or {}).get("electrodes") or []}
    try:
        pos = np.array([[float(el[str(n)][k]) for k in ("x", "y", "z")] for n in names])
    except (KeyError, TypeError, ValueError):
        return None
    return pos if np.isfinite(pos).all() else None


def _short(method: str) -> str:
    return method.split(" (")[0]


class TranslationModel(AnalysisModel):
    """State of the Translation dashboard (one session per run; ``mode`` picks the translation)."""

    analysis = staticmethod(infer_spikes)
    min_sessions = 1
    max_sessions = 1
    mode = param.Selector(default=MODES[0], objects=list(MODES), doc="Which paired translation to show.")
    method = param.Selector(default="auto", objects=["auto", "supervised", "oasis", "ensemble"],
                            doc="Calcium: infer_spikes method (auto: the supervised network with OASIS mixed in, "
                                "as gw.translate.infer_spikes does by default; or either alone, or the ensemble).")
    seconds = param.Number(default=60.0, bounds=(5, 300), doc="Calcium: seconds shown and evaluated.")
    n_cells = param.Integer(default=4, bounds=(1, 12), doc="Calcium: cells shown.")
    train_fraction = param.Number(default=0.7, bounds=(0.3, 0.9), step=0.05,
                                  doc="ECoG → EEG: leading fraction of the recording used to fit; the rest is held out.")
    max_seconds = param.Number(default=300.0, bounds=(20, 1200), doc="ECoG → EEG: seconds read (from the start).")
    n_show = param.Integer(default=3, bounds=(1, 8), doc="ECoG → EEG: EEG channels drawn.")
    show_seconds = param.Number(default=10.0, bounds=(2, 60), doc="ECoG → EEG: seconds of the held-out window drawn.")

    def __init__(self, catalog=None, background: bool = False, **params):
        mode = params.pop("mode", None)
        super().__init__(catalog=catalog, background=background, **params)
        self.param.watch(self._on_mode, "mode")
        if mode is not None:
            self.mode = mode

    def _on_mode(self, *_):
        self.result = None
        self.error = ""
        self.sessions = self.default_sessions(list(self.param.sessions.objects))
        if self.autorun and self.sessions and not self._check() and not self.running:
            self._start(cache_key=self.default_key())  # this mode's default result, cached like the first

    def default_sessions(self, uris):
        if self.mode == MODES[1]:
            words = ("ieeg", "ecog")
            pick = [u for u in uris if any(w in u.lower() for w in words)]
            rest = [u for u in pick if "rest" in u.lower()]
            return (rest or pick or uris)[:1]
        cal = [u for u in uris if any(w in u for w in ("birch", "calcium", "ophys"))]
        return (cal or uris)[:1]

    def compute(self, sessions):
        return self._ecog_eeg(sessions[0]) if self.mode == MODES[1] else self._calcium(sessions[0])

    # -- calcium → spikes ------------------------------------------------------------------------
    def _calcium(self, uri: str) -> dict:
        s = self.catalog.open(uri)
        try:
            cal = s.streams_of("calcium")
            if not cal:
                raise ValueError(f"{uri} has no calcium stream (streams: {sorted(s.streams)}); pick a calcium session "
                                 "or switch the mode to ECoG → EEG.")
            info = s.stream_info(cal[0])
            a = info.start_s
            b = min(info.stop_s, a + self.seconds)
            self.set_progress(20, f"reading {cal[0]} [{a:.0f}, {b:.0f}) s")
            x = s.read(cal[0], a, b).isel(channel=slice(0, self.n_cells))
            fs = float(x.attrs.get("fs") or info.fs)
            recorded = recorded_spike_counts(s, x, fs)
            caveat = str((getattr(s, "metadata", {}) or {}).get("spike_model_caveat") or "")
        finally:
            s.close()
        self.set_progress(50, f"infer_spikes(fs={fs:g}, method={self.method!r})")
        r = np.asarray(self.analysis(x, fs, method=self.method), float)
        self.set_progress(80, "comparing with the true spikes (evaluation only)")
        truth, scores, truth_source = None, None, None
        chans = [str(c) for c in x.channel.values]
        counts = true_spike_counts(uri)
        if counts is not None and set(chans) <= set(map(str, counts.channel.values)):
            truth = np.asarray(counts.sel(channel=chans).sel(time=x.time.values, method="nearest").values, float)
            truth_source = "simulated (gw.demo.truth, evaluation only)"
        elif recorded is not None:
            truth, truth_source = recorded
        if truth is not None:
            k = max(1, int(round(EVAL_BIN_S * fs)))
            tb, rb, xb = _bin_sum(truth, k), _bin_sum(np.nan_to_num(r), k), _bin_sum(np.nan_to_num(x.values), k)
            scores = pd.DataFrame({"cell": chans,
                                   "r_inferred": [_pearson(rb[:, j], tb[:, j]) for j in range(len(chans))],
                                   "r_dff": [_pearson(xb[:, j], tb[:, j]) for j in range(len(chans))],
                                   "true_spikes": tb.sum(0).astype(int)})
        return {"mode": MODES[0], "uri": uri, "stream": cal[0], "x": x, "r": r, "truth": truth, "scores": scores,
                "truth_source": truth_source, "caveat": caveat if truth_source and self.method != "oasis" else "",
                "fs": fs, "settings": (f"infer_spikes(method={self.method!r}) on {x.sizes['channel']} cells, "
                                       f"{b - a:.0f} s at {fs:g} Hz; Pearson r at {EVAL_BIN_S * 1e3:.0f}-ms bins "
                                       f"against the true spikes ({truth_source or 'none known'})")}

    # -- ECoG → EEG ------------------------------------------------------------------------------
    def _paired(self, uri: str, s):
        """(ecog_session, ecog_stream, eeg_session, eeg_stream, eeg_uri); the caller closes both sessions."""
        ecog = [n for n, i in s.streams.items() if i.modality in _ECOG]
        if not ecog:
            raise ValueError(f"{uri} has no ECoG/iEEG stream (streams: {sorted(s.streams)}); pick an ieeg session "
                             "or switch the mode to calcium → spikes.")
        eeg = [n for n, i in s.streams.items() if i.modality == "eeg"]
        if eeg:
            return s, ecog[0], s, eeg[0], uri
        base = uri.rstrip("/")
        sib = [base[: -len(w)] + "eeg" for w in ("ieeg", "ecog") if base.endswith(w)]
        listed = {u for src in self.catalog.sources() for u in self.catalog.list(src)}
        sib = [u for u in sib if u in listed]
        if not sib:
            raise ValueError(f"{uri} has ECoG but no simultaneous EEG: no 'eeg' stream and no sibling EEG run "
                             "(…/ieeg → …/eeg) in this catalog.")
        s2 = self.catalog.open(sib[0])
        eeg = [n for n, i in s2.streams.items() if i.modality == "eeg"]
        if not eeg:
            s2.close()
            raise ValueError(f"{sib[0]} has no EEG stream (streams: {sorted(s2.streams)}).")
        return s, ecog[0], s2, eeg[0], sib[0]

    def _ecog_eeg(self, uri: str) -> dict:
        from glue_widgets.translate.ecog_eeg_eval import evaluate_ecog_to_eeg

        s = self.catalog.open(uri)
        s2 = None
        try:
            s, st_x, s2, st_y, eeg_uri = self._paired(uri, s)
            ix, iy = s.stream_info(st_x), s2.stream_info(st_y)
            if abs(ix.fs - iy.fs) > 1e-6 * ix.fs:
                raise ValueError(f"ECoG fs={ix.fs:g} Hz and EEG fs={iy.fs:g} Hz differ; this view needs one rate.")
            a = max(ix.start_s, iy.start_s)
            b = min(ix.stop_s, iy.stop_s, a + self.max_seconds)
            self.set_progress(15, f"reading {st_x} and {st_y} [{a:.0f}, {b:.0f}) s")
            x, y = s.read(st_x, a, b), s2.read(st_y, a, b)
            pos_x = _positions(s, x.channel.values)
            pos_y = _positions(s2, y.channel.values)
        finally:
            s.close()
            if s2 is not None and s2 is not s:
                s2.close()
        self.set_progress(35, "evaluate_ecog_to_eeg: fit on the leading part, score on the held-out window")
        res = evaluate_ecog_to_eeg(x.values, y.values, train_fraction=self.train_fraction, time=x.time.values,
                                   ecog_positions=pos_x, eeg_positions=pos_y,
                                   eeg_names=[str(c) for c in y.channel.values])
        return {"mode": MODES[1], "uri": uri, "eeg_uri": eeg_uri, "ecog_stream": st_x, "eeg_stream": st_y,
                "t": res["t"], "y": res["y"], "preds": res["preds"], "r2": res["r2"], "channels": res["channels"],
                "table": res["table"], "fs": float(ix.fs), "units": str(y.attrs.get("units") or ""),
                "settings": f"at {ix.fs:g} Hz: " + res["settings"]
                            + " (gw.translate.ecog_eeg_eval.evaluate_ecog_to_eeg)"}


class Translation(AnalysisView):
    title = "Translation"
    intro = ("**Translation** — *calcium → spikes*: ΔF/F, the spikes `gw.translate.infer_spikes` expects per frame, "
             "and the simulation's true spikes (evaluation only). *ECoG → EEG*: the learned mapping "
             "(`gw.translate.EcogToEeg`) and the physics baseline (`gw.translate.forward_baseline`) predict the EEG "
             "of a held-out window; R² of each.")

    def extra_controls(self):
        p = self.model.param
        self._ctl_cal = [pn.widgets.Select.from_param(p.method, name="infer_spikes method"),
                         pn.widgets.IntSlider.from_param(p.n_cells, name="Cells"),
                         pn.widgets.FloatSlider.from_param(p.seconds, name="Seconds")]
        self._ctl_eeg = [pn.widgets.FloatSlider.from_param(p.train_fraction, name="Training fraction"),
                         pn.widgets.FloatSlider.from_param(p.max_seconds, name="Seconds read"),
                         pn.widgets.IntSlider.from_param(p.n_show, name="EEG channels drawn"),
                         pn.widgets.FloatSlider.from_param(p.show_seconds, name="Held-out seconds drawn")]
        self.model.param.watch(self._show_controls, "mode")
        self.model.param.watch(self._redraw, ["n_show", "show_seconds"])  # drawing choices: no recompute
        self._show_controls()
        mode = pn.widgets.RadioButtonGroup.from_param(p.mode, name="Translation", css_classes=["gw-mode"])
        return [mode, *self._ctl_cal, *self._ctl_eeg]

    def _show_controls(self, *_):
        eeg = self.model.mode == MODES[1]
        for w in self._ctl_cal:
            w.visible = not eeg
        for w in self._ctl_eeg:
            w.visible = eeg
        if self.model.result is None and getattr(self, "_out", None) is not None:
            self._out[:] = [pn.pane.Markdown("Choose a session and press **Run**.", css_classes=["gw-empty"])]

    def _redraw(self, *_):
        res = self.model.result
        if res is not None and res.get("mode") == MODES[1]:
            self._on_result()

    def output_panes(self) -> pn.Column:
        """Status, error and result (no controls): what ``gw.widgets`` embeds."""
        return pn.Column(self._status, self._error, self._out, sizing_mode="stretch_width")

    def render(self, res):
        return self._render_ecog(res) if res.get("mode") == MODES[1] else self._render_calcium(res)

    def _render_calcium(self, res):
        from ._common import hv_bokeh
        hv = hv_bokeh()  # hv.extension once per process
        x, r, truth = res["x"], np.asarray(res["r"]), res["truth"]
        t = x.time.values
        # spikes drawn at the evaluation bins (100 ms): the inferred expected count and the true count
        # per bin share one scale (per frame, the inferred values are a sliver under the true spikes)
        k = max(1, int(round(EVAL_BIN_S * res["fs"])))
        tb = _bin_sum(t[:, None], k)[:, 0] / k
        rb = _bin_sum(np.nan_to_num(r), k)
        unit = f"spikes per {EVAL_BIN_S * 1e3:.0f} ms"
        plots = []
        for j, ch in enumerate(map(str, x.channel.values)):
            dff = hv.Curve((t, x.values[:, j]), "time (s)", "ΔF/F", label="ΔF/F").opts(
                color="#2ca02c", title=f"cell {ch}: calcium")
            sp = hv.Histogram((np.r_[tb - EVAL_BIN_S / 2, tb[-1] + EVAL_BIN_S / 2] if len(tb) else [0, 1],
                               rb[:, j] if len(tb) else [0]), kdims=["time (s)"], vdims=[unit], label="inferred").opts(
                color="#d62728", alpha=0.6, line_alpha=0)
            if truth is not None:
                tru = _bin_sum(truth[:, j:j + 1], k)[:, 0]
                sp = sp * hv.Curve((tb, tru), "time (s)", unit, label="true").opts(
                    color="black", line_width=1.5, interpolation="steps-mid")
            plots += [dff, sp.opts(title=f"cell {ch}: spikes")]
        lay = hv.Layout(plots).cols(2).opts(hv.opts.Curve(responsive=True, height=160),
                                            hv.opts.Histogram(responsive=True, height=160),
                                            hv.opts.Overlay(legend_position="right"))
        parts = [pn.pane.HoloViews(lay, sizing_mode="stretch_width", css_classes=["gw-plot", "gw-calcium"])]
        if res["scores"] is not None:
            sc = res["scores"]
            if res.get("caveat"):
                parts.append(pn.pane.Alert(escape_text(res["caveat"], None), alert_type="warning",
                                           sizing_mode="stretch_width"))
            parts.append(pn.pane.Markdown(
                f"**Inferred vs true spikes** (truth: {escape_text(res['truth_source'])}): median Pearson r = "
                f"{np.nanmedian(sc.r_inferred):.2f} "
                f"(ΔF/F itself vs true: {np.nanmedian(sc.r_dff):.2f}) over {len(sc)} cells, "
                f"{EVAL_BIN_S * 1e3:.0f}-ms bins.", css_classes=["gw-scores"]))
            parts.append(pn.pane.DataFrame(sc.round(3), index=False, sizing_mode="stretch_width"))
        else:
            parts.append(pn.pane.Markdown("True spikes: not known for this session (simulated sessions and sessions "
                                          "with spikes recorded alongside the calcium have them), so the inference "
                                          "is shown without a score."))
        parts.append(pn.pane.Markdown(f"*Settings:* {escape_text(res['settings'], None)}"))
        return pn.Column(*parts, sizing_mode="stretch_width")

    def _render_ecog(self, res):
        from ._common import hv_bokeh
        hv = hv_bokeh()  # hv.extension once per process
        m = self.model
        t, y = res["t"], res["y"]
        f, unit = display_units(res.get("units") or "V")
        ylab = f"EEG ({unit})"
        k = min(len(t), int(round(m.show_seconds * res["fs"])))
        colors = ["#d62728", "#1f77b4", "#17becf", "#ff7f0e"]
        # draw the channels the learned mapping predicts best and worst, not an arbitrary first few
        r2l = next(iter(res["r2"].values()))
        order = np.argsort(np.nan_to_num(r2l, nan=-np.inf))[::-1]
        pick = list(order[: max(1, m.n_show - 1)]) + ([order[-1]] if m.n_show > 1 else [])
        plots = []
        for j in dict.fromkeys(int(i) for i in pick):
            ov = hv.Curve((t[:k], f * y[:k, j]), "time (s)", ylab, label="measured").opts(color="black", line_width=1.5)
            for c, (name, p) in zip(colors, res["preds"].items()):
                ov = ov * hv.Curve((t[:k], f * np.asarray(p)[:k, j]), "time (s)", ylab, label=_short(name)).opts(
                    color=c, line_width=1)
            ttl = f"{res['channels'][j]} · " + " · ".join(f"R² {_short(nm)} {v[j]:.2f}" for nm, v in res["r2"].items())
            # legend outside the plot area: it covered the traces
            plots.append(ov.opts(title=ttl, legend_position="right", responsive=True, height=200))
        bars = hv.Bars(res["table"][["method", "r2_mean"]].assign(method=lambda d: d.method.map(_short)),
                       "method", "r2_mean").opts(responsive=True, height=200, ylabel="mean R² (held-out)",
                                                 title="held-out R², mean over EEG channels", color="#444")
        lay = hv.Layout([bars, *plots]).cols(1)
        best = res["table"].sort_values("r2_mean", ascending=False).iloc[0]
        return pn.Column(
            pn.pane.HoloViews(lay, sizing_mode="stretch_width", css_classes=["gw-plot", "gw-eeg"]),
            pn.pane.Markdown(f"**EEG predicted vs measured** ({code(res['uri'])} → {code(res['eeg_uri'])}), "
                             "held-out window: "
                             + " · ".join(f"{r.method}: R² = {r.r2_mean:.3f}" for r in res["table"].itertuples())
                             + f". Best: {best.method}.", css_classes=["gw-scores"]),
            pn.pane.DataFrame(res["table"].round(3), index=False, sizing_mode="stretch_width"),
            pn.pane.Markdown(f"*Settings:* {escape_text(res['settings'], None)}"), sizing_mode="stretch_width")


create_app = make_create_app(TranslationModel, Translation, "Translation")


# ------------------------------------------------------------------------------------------------
# toy:// simultaneous ECoG + EEG (tests, notebooks, trying the view without the demo corpus)
# ------------------------------------------------------------------------------------------------
@lru_cache(maxsize=2)
def _toy_ecog_eeg_arrays(seed: int, duration: float, fs: float):
    from glue_widgets.translate import physics_operator
    rng = np.random.default_rng(seed)
    # EEG caps: 24 electrodes on the upper head sphere (r = 9 cm); ECoG: a 4 × 4 grid over the left cortex
    k = np.arange(60)
    z = 1 - (k + 0.5) / 60
    phi = k * np.pi * (3 - np.sqrt(5))
    cap = np.c_[np.sqrt(1 - z**2) * np.cos(phi), np.sqrt(1 - z**2) * np.sin(phi), z][::2][:24] * 0.09
    u, v = np.meshgrid(np.linspace(-0.3, 0.3, 4), np.linspace(-0.3, 0.3, 4))
    d = np.c_[-np.ones(16), u.ravel(), 0.5 + v.ravel()]
    grid = d / np.linalg.norm(d, axis=1, keepdims=True) * 0.08  # ~1 cm above the source shell
    op = physics_operator(grid, cap, n_sources=120)
    m = op["G_eeg"].shape[1]
    n = int(duration * fs)
    # sources: smooth AR(1) activity (a few shared rhythms), projected through the leadfields + sensor noise
    e = rng.standard_normal((n, m))
    S = np.empty_like(e)
    S[0] = e[0]
    for i in range(1, n):
        S[i] = 0.95 * S[i - 1] + e[i]
    S *= 1e-9
    ecog = S @ op["G_ecog"].T
    eeg = S @ op["G_eeg"].T
    ecog += rng.standard_normal(ecog.shape) * 0.05 * ecog.std()
    eeg += rng.standard_normal(eeg.shape) * 0.2 * eeg.std()
    return grid, cap, ecog.astype(np.float32), eeg.astype(np.float32)


def toy_ecog_eeg_session(uri: str = "toy://ecog-eeg/sub-01", *, duration: float = 60.0, fs: float = 100.0):
    """A toy session with simultaneous ``ecog`` (16 contacts) and ``eeg`` (24) streams and electrode positions.

    AR(1) sources on a 120-dipole cortical shell are projected by the leadfields of the physics model
    (MNE sphere forward for EEG, dipole-in-a-conductor for ECoG; the grid sits ~1 cm above the shell);
    the physics baseline uses its own generic 400-dipole shell, so it is right in kind but not in
    detail, as with a real head. ECoG sees the grid's patch, EEG the whole shell: what no mapping can
    recover is what ECoG does not see. Labelled ``toy://``: not the demo corpus.

    Examples
    --------
    >>> s = toy_ecog_eeg_session()            # doctest: +SKIP
    >>> sorted(s.streams)                     # doctest: +SKIP
    ['ecog', 'eeg']
    """
    from glue_widgets.model import ArraySession, make_timeseries
    seed = sum(map(ord, uri)) % 1000
    grid, cap, ecog, eeg = _toy_ecog_eeg_arrays(seed, float(duration), float(fs))
    t = np.arange(ecog.shape[0]) / fs
    xn = [f"G{i + 1:02d}" for i in range(grid.shape[0])]
    yn = [f"E{i + 1:02d}" for i in range(cap.shape[0])]
    x = make_timeseries(ecog, t, channels=xn, modality="ecog", fs=fs, units="V")
    y = make_timeseries(eeg, t, channels=yn, modality="eeg", fs=fs, units="V")
    el = [{"name": nm, "x": str(p[0]), "y": str(p[1]), "z": str(p[2])} for nm, p in zip(xn + yn, np.r_[grid, cap])]
    ep = pd.DataFrame({"start": [0.0], "stop": [float(duration)], "label": ["rest"]})
    return ArraySession(uri, signals={"ecog": x, "eeg": y}, epochs=ep,
                        metadata={"electrodes": el, "species": "Homo sapiens", "lab": "toy", "subject": "sub-01"})
