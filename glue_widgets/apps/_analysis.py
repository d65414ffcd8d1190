"""Shared machinery of the analysis dashboards: pick sessions, press Run, see progress, see results.

Each dashboard subclasses :class:`AnalysisModel` (``compute`` calls the analysis layer; no science
here) and :class:`AnalysisView` (``render`` draws a result). Runs happen in a worker thread when
served (the page stays responsive and shows a progress bar), synchronously in tests and notebooks.

Every dashboard shows a result when it opens: the model runs once with its default sessions and
parameters (``autorun``), and that default result is computed once per process and shared read-only
(:func:`default_result`, ``pn.state.as_cached``); ``glue-widgets serve`` computes it at start-up
(:func:`warm_defaults`), so a workshop audience sees a figure before touching a control.
"""

from __future__ import annotations

from typing import Any

import panel as pn
import param
import xarray as xr

from ._common import detect_rest_cached, once_cached, timed
from ._html import escape_text
from ..model.resample import block_mean
from .listing import SOURCE_LABELS, SessionListing, DefaultListing

__all__ = ["AnalysisModel", "AnalysisView", "rest_segment", "neural_streams", "warm_defaults"]

MAX_FS = 50.0  # rest segments are block-averaged to at most this rate for the dashboards


def neural_streams(session) -> list[str]:
    return [n for n, s in session.streams.items() if s.modality not in ("behavior",)]




def rest_segment(catalog: SessionListing, uri: str, stream: str | None = None, max_fs: float = MAX_FS,
                 window: tuple[float, float] | None = None) -> xr.DataArray:
    """The rest window of ``uri`` (detected or from epochs) as a DataArray at ≤ ``max_fs`` Hz.

    Spike streams are binned at 40 ms (25 Hz). Cached per catalog/URI/stream/window (read-only result).
    """
    def compute():
        rest = detect_rest_cached(catalog, uri)
        s = catalog.open(uri)
        try:
            names = neural_streams(s)
            card = rest.get("card") or {}
            st = stream or (card.get("stream") if card.get("stream") in names else None) or (names[0] if names else None)
            if st is None:
                raise ValueError(f"{uri} has no neural stream")
            info = s.stream_info(st)
            if window is not None:
                a, b = window
            elif rest.get("start") is not None:
                a, b = rest["start"], rest["stop"]
            else:
                a, b = info.start_s, info.stop_s
            a, b = max(a, info.start_s), min(b, info.stop_s)
            kw = {"bin_width": 0.04} if info.kind == "events" else {}
            x = s.read(st, a, b, **kw)
            x = block_mean(x, max_fs)
            x.attrs.update(rest_method=rest.get("method"), uri=uri)
            if isinstance(rest.get("card"), dict):
                x.attrs["card"] = rest["card"]  # its metadata (lab, arousal, apparatus...) feeds attribution
            return x
        finally:
            s.close()

    scope = catalog.cache_scope() if hasattr(catalog, "cache_scope") else str(id(catalog))
    key = f"gw-seg:{type(catalog).__name__}:{scope}:{uri}:{stream}:{max_fs}:{window}"
    return pn.state.as_cached(key, compute)


class AnalysisModel(param.Parameterized):
    """Sessions to analyse, a Run event, and the result (or the error) of the last run."""

    source = param.Selector(objects=[])
    sessions = param.ListSelector(default=[], objects=[])
    run = param.Event(doc="Run the analysis on the chosen sessions.")
    running = param.Boolean(default=False)
    progress = param.Integer(default=0, bounds=(0, 100))
    status = param.String(default="")
    result = param.Parameter(default=None)
    error = param.String(default="")
    autorun = param.Boolean(default=True, doc="Show a result on open: run once with the default sessions "
                                              "(that default result is computed once per process and cached).")

    #: the analysis function or estimator class this dashboard calls (imported directly by each subclass)
    analysis: Any = None
    min_sessions: int = 1
    max_sessions: int = 8

    def __init__(self, catalog: SessionListing | None = None, background: bool = False, **params):
        self.catalog = catalog if catalog is not None else DefaultListing()
        self.background = background
        self.timings: list[tuple[str, float]] = []
        super().__init__()
        self.param.source.objects = self.catalog.sources()
        self.param.watch(self._on_source, "source")
        self.param.watch(self._on_run, "run")
        self.source = params.pop("source", self.param.source.objects[0] if self.param.source.objects else None)
        self._on_source()
        self.param.update(**params)
        if self.autorun and self.sessions and not self._check():
            self._start(cache_key=self.default_key())

    def default_key(self) -> str:
        """Cache key of this model's current run: class, catalog, sessions and every parameter value."""
        skip = {"name", "source", "sessions", "run", "running", "progress", "status", "result", "error", "autorun"}
        vals = tuple((k, repr(v)) for k, v in sorted(self.param.values().items()) if k not in skip)
        scope = self.catalog.cache_scope() if hasattr(self.catalog, "cache_scope") else str(id(self.catalog))
        return f"gw-default:{type(self).__name__}:{type(self.catalog).__name__}:{scope}:{tuple(self.sessions)}:{vals}"

    def default_sessions(self, uris: list[str]) -> list[str]:
        return uris[: self.min_sessions]

    def _on_source(self, *_):
        uris = self.catalog.list(self.source) if self.source else []
        self.param.sessions.objects = uris
        self.sessions = self.default_sessions(uris)

    def set_progress(self, pct: int, status: str = "") -> None:
        self.progress = int(max(0, min(100, pct)))
        if status:
            self.status = status

    def compute(self, sessions: list[str]) -> Any:
        raise NotImplementedError

    def _check(self) -> str:
        n = len(self.sessions)
        if n < self.min_sessions or n > self.max_sessions:
            return f"choose {self.min_sessions}–{self.max_sessions} sessions (now {n})."
        return ""

    def _on_run(self, *_):
        problem = self._check()
        if problem:
            self.error = problem
            return
        if self.running:
            return
        self._start()

    def _start(self, cache_key: str | None = None):
        if self.background:
            async def run(cache_key=cache_key):
                await self._run_async(cache_key)
            pn.state.execute(run)
        else:
            self._run_sync(cache_key)

    def _compute(self, sessions: list[str], cache_key: str | None):
        if cache_key is None:
            return self.compute(sessions)
        return once_cached(cache_key, lambda: self.compute(sessions))

    def _begin(self, cache_key: str | None) -> None:
        self.running, self.error, self.progress = True, "", 0
        if cache_key is not None:
            self.status = "computing the default example (once per server)…"

    def _end(self, result: Any = None, exc: BaseException | None = None) -> None:
        if exc is None:
            self.result = result
            self.set_progress(100, "done")
        else:
            self.error = _readable(exc)
            self.status = "failed"
        self.running = False

    def _run_sync(self, cache_key: str | None = None):
        self._begin(cache_key)
        try:
            with timed(f"{type(self).__name__}.compute", self.timings):
                res = self._compute(list(self.sessions), cache_key)
        except Exception as exc:
            self._end(exc=exc)
        else:
            self._end(res)

    async def _run_async(self, cache_key: str | None = None):
        import asyncio
        self._begin(cache_key)
        sessions = list(self.sessions)
        try:
            with timed(f"{type(self).__name__}.compute", self.timings):
                res = await asyncio.to_thread(self._compute, sessions, cache_key)
        except Exception as exc:
            self._end(exc=exc)
        else:
            self._end(res)


def _readable(exc: BaseException) -> str:
    """An error for the page (no traceback): the package's errors speak for themselves."""
    from ..errors import GlueError
    if isinstance(exc, (GlueError, ValueError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def warm_defaults(catalog: SessionListing | None = None, apps=None) -> None:
    """Compute every analysis dashboard's default result now (serve start-up), in this thread.

    The pages opened later find it in the cache (or wait for the computation already running).
    A failure is kept off the log: the page shows it when it opens.
    """
    import importlib

    from .registry import APPS
    for spec in APPS:
        if apps is not None and spec.slug not in apps:
            continue
        mod = importlib.import_module(f".{spec.module}", __package__)
        model_cls = getattr(getattr(mod, "create_app", None), "model_cls", None)
        if model_cls is None:
            continue
        try:
            model_cls(catalog=catalog, background=False)
        except Exception as exc:  # pragma: no cover - shown on the page instead
            TIMING_WARN(f"default {spec.slug} result not computed: {exc}")


def TIMING_WARN(msg: str) -> None:
    import logging
    logging.getLogger("glue_widgets.apps").info(msg)


class AnalysisView(pn.viewable.Viewer):
    """Controls (source, sessions, Run), a progress bar, the error line, and ``render(result)``."""

    model = param.ClassSelector(class_=AnalysisModel)
    title = "Analysis"
    intro = ""

    def __init__(self, model: AnalysisModel, **params):
        super().__init__(model=model, **params)
        m = model
        self._controls = [pn.widgets.Select.from_param(m.param.source, name="Source",
                                                       options={SOURCE_LABELS.get(s, s): s for s in m.param.source.objects}),
                          pn.widgets.MultiSelect.from_param(m.param.sessions, name="Sessions", size=10)]
        self._controls += self.extra_controls()
        self._run = pn.widgets.Button(name="Run", button_type="primary", css_classes=["gw-run"])
        self._run.on_click(lambda e: m.param.trigger("run"))
        self._progress = pn.indicators.Progress(value=0, max=100, visible=False, sizing_mode="stretch_width",
                                                css_classes=["gw-progress"])
        self._status = pn.pane.Markdown("", css_classes=["gw-status"])
        self._error = pn.pane.Alert("", alert_type="danger", visible=False, css_classes=["gw-message"],
                                    sizing_mode="stretch_width")
        self._out = pn.Column(sizing_mode="stretch_width", css_classes=["gw-result"])
        m.param.watch(self._on_state, ["running", "progress", "status", "error"])
        m.param.watch(self._on_result, "result")
        self._out[:] = [pn.pane.Markdown("Choose sessions and press **Run**.", css_classes=["gw-empty"])]
        self._on_state()
        if m.result is not None:
            self._on_result()

    def extra_controls(self) -> list:
        return []

    def _on_state(self, *_):
        m = self.model
        self._progress.visible = m.running
        self._progress.value = m.progress if m.progress else -1 if m.running else 0
        self._progress.active = m.running and not m.progress
        self._run.disabled = m.running
        self._status.object = ("running… " if m.running else "") + escape_text(m.status or "")
        self._error.object = escape_text(m.error, 2000)
        self._error.visible = bool(m.error)

    def _on_result(self, *_):
        if self.model.result is None:
            return
        try:
            with timed(f"{type(self).__name__}.render", self.model.timings):
                self._out[:] = [self.render(self.model.result)]
        except Exception as exc:
            self.model.error = f"could not draw the result: {type(exc).__name__}: {exc}"

    def render(self, result: Any):
        return pn.pane.JSON(result)

    def __panel__(self):
        side = pn.Column(*self._controls, self._run, self._progress, self._status, width=340)
        main = pn.Column(pn.pane.Markdown(self.intro), self._error, self._out, sizing_mode="stretch_width")
        return pn.Row(side, main, sizing_mode="stretch_width")


def make_create_app(model_cls, view_cls, title):
    """``create_app`` of a dashboard; ``create_app.model_cls`` lets :func:`warm_defaults` find its model."""
    def create_app(catalog: SessionListing | None = None, **params):
        from ._page import in_server, page
        params.setdefault("background", in_server())
        model = model_cls(catalog=catalog, **params)
        return page(title, view_cls(model), model)
    create_app.__doc__ = f"Build one page of the {title} dashboard (fresh state per page)."
    create_app.model_cls = model_cls
    return create_app
