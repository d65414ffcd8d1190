"""Dashboards as ipywidgets: native controls over the dashboards' own param models, Panel plots embedded.

``rest_explorer`` and ``dashboard`` build the same model a ``panel serve`` page builds
(``glue_widgets.apps.<slug>.create_app``), put two-way linked ipywidgets in front of it
(:func:`~glue_widgets.widgets.controls.controls`) and embed the Panel view's plots with
``pn.ipywidget`` (jupyter_bokeh), so the result lives in any ipywidgets layout (``Tab``, ``Accordion``,
Voilà). There is one state: the model.
"""

from __future__ import annotations

import os

from typing import Any

from ..errors import InvalidInputError
from .controls import _require_ipywidgets, controls

__all__ = ["rest_explorer", "dashboard", "session_catalog"]


class _Borrowed:
    """A user's Session lent to a dashboard: the dashboard may 'close' it, the user keeps it open."""

    def __init__(self, session: Any) -> None:
        self._s = session

    def close(self) -> None:  # the user opened it; the user closes it
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s, name)


def session_catalog(uri_or_session: Any, source: str = "notebook"):
    """A one-session catalog for a URI (opened with :func:`glue_widgets.open`) or an open Session.

    In a notebook the user chooses the data, so any URI :func:`glue_widgets.open` accepts is allowed
    here (served dashboards use the restricted :class:`~glue_widgets.apps.listing.DefaultListing`).

    Examples
    --------
    >>> from glue_widgets.apps.toy import toy_session
    >>> session_catalog(toy_session()).list("notebook")
    ['toy://lab-a/m1/day0']
    """
    from ..apps.listing import MappingListing
    from ..model import Session

    if isinstance(uri_or_session, Session):
        s = uri_or_session
        uri = str(getattr(s, "uri", None) or "session")
        return MappingListing({source: {uri: lambda: _Borrowed(s)}})
    if isinstance(uri_or_session, os.PathLike):
        uri_or_session = os.fspath(uri_or_session)
    if isinstance(uri_or_session, str) and uri_or_session.strip():
        uri = uri_or_session.strip()

        def factory(uri=uri):
            from .. import open as gw_open
            return gw_open(uri)
        factory().close()  # fail now, with the reader's own error, rather than inside a widget callback
        return MappingListing({source: {uri: factory}})
    raise InvalidInputError(f"expected a session URI (str) or an open Session, got {type(uri_or_session).__name__} "
                            f"{str(uri_or_session)[:60]!r}; e.g. rest_explorer('demo://arbor/m01/day0').")


def _panel():
    import panel as pn
    # offline-safe: JupyterLab without network shows blank Panel output unless resources are inlined
    if not getattr(pn.config, "inline", False):
        pn.config.inline = True
    return pn


def rest_explorer(uri_or_session: Any, *, catalog: Any = None, **params: Any):
    """The Rest dashboard as ipywidgets: pick the window with a ``FloatRangeSlider``, see timeline and card.

    Parameters
    ----------
    uri_or_session : str or Session
        ``"demo://arbor/m01/day0"``, any URI :func:`glue_widgets.open` accepts, or an open Session.
        With ``catalog`` given, a URI that catalog lists (the other sessions stay selectable).
    catalog : glue_widgets.apps.listing.SessionListing, optional
        Where sessions come from (default: just this one).
    **params
        Initial values of :class:`~glue_widgets.apps.rest.RestModel` parameters (e.g. ``window=(60, 660)``).

    Returns
    -------
    ipywidgets.VBox
        Children: the controls (session ``Dropdown``, window ``FloatRangeSlider``, a Broaden ``Button``)
        and the Panel view (summary, timeline, RestCard) as a jupyter_bokeh widget. ``box.model`` is the
        ``RestModel`` (the only state), ``box.widgets`` the controls by parameter name, ``box.view``
        the Panel view.

    Examples
    --------
    >>> box = rest_explorer("demo://arbor/m01/day0")        # doctest: +SKIP
    >>> box.widgets["window"].value = (120.0, 720.0)         # doctest: +SKIP
    >>> box.model.summary()["duration_s"]                    # doctest: +SKIP
    600.0
    """
    w = _require_ipywidgets()
    pn = _panel()
    from ..apps.rest import RestModel, RestView

    if catalog is None:
        catalog = session_catalog(uri_or_session)  # a URI, a local file path (str or Path) or a Session
        uri = catalog.list(catalog.sources()[0])[0]
        source = catalog.sources()[0]
    else:
        if not isinstance(uri_or_session, str):
            raise InvalidInputError("with a catalog, pass a session URI the catalog lists, not a Session object.")
        source = next((s for s in catalog.sources() if uri_or_session in catalog.list(s)), None)
        if source is None:
            raise InvalidInputError(f"{uri_or_session!r} is not listed by the catalog "
                                    f"(sources {catalog.sources()}); pass one of its sessions.")
        uri = uri_or_session
    model = RestModel(catalog=catalog, source=source, uri=uri, **params)
    view = RestView(model)
    box = controls(model, ["uri", "window", "broaden"])
    win = box.widgets["window"]
    win.description = "rest window (s)"
    win.layout = w.Layout(width="95%")
    box.widgets["broaden"].description = "Broaden (gw.broaden_rest)"

    _follow_span(model, win)
    plot = pn.ipywidget(view.output_panes())
    out = w.VBox([box, plot])
    out.model, out.view, out.widgets, out.controls, out.plot, out.error = model, view, box.widgets, box, plot, box.error
    return out


def _follow_span(model, win) -> None:
    """Keep a window slider's limits on the session's extent (``model.span``, a model parameter too)."""
    def fit_span(*_):
        a, b = (float(v) for v in model.span)
        b = max(b, a + 1.0)
        if a > win.max:  # ipywidgets checks min <= max on every assignment: order them
            win.max, win.min = b, a
        else:
            win.min, win.max = a, b
    fit_span()
    model.param.watch(fit_span, "span")


def dashboard(slug: str, *, catalog: Any = None, **params: Any):
    """Any dashboard of ``glue_widgets.apps.APPS`` as ipywidgets controls over its model + its Panel view.

    Parameters
    ----------
    slug : str
        ``"browser"``, ``"rest"``, ``"baselines"``, ``"alignment"``, ``"translation"``, ``"errormap"``, ``"loop"``.
    catalog : SessionListing, str or path, optional
        Sessions offered (default: the demo corpus). A folder path offers the demo corpus plus
        "Local files" (every NWB, BIDS/EDF, BrainVision, EEGLAB recording under it); a file path or
        a URI offers just that recording.
    **params
        Initial model parameters (e.g. ``sessions=[...]``).

    Returns
    -------
    ipywidgets.VBox
        Controls for the model's parameters (a Run ``Button`` for analysis dashboards) above the Panel
        view (``pn.ipywidget``); ``box.model``, ``box.view``, ``box.widgets`` as in :func:`rest_explorer`.

    Examples
    --------
    >>> from glue_widgets.apps.toy import toy_catalog
    >>> box = dashboard("translation", catalog=toy_catalog())    # doctest: +SKIP
    >>> box.widgets["run"].click()                                # doctest: +SKIP
    """
    w = _require_ipywidgets()
    pn = _panel()
    from ..apps.registry import APPS, app_factory

    spec = next((a for a in APPS if a.slug == slug), None)
    if spec is None:
        raise InvalidInputError(f"no dashboard {slug!r}; choose one of {[a.slug for a in APPS]}.")
    page = app_factory(spec, catalog=_as_catalog(catalog), background=False, **params)()
    model, view = page.gw_model, page.gw_view
    skip = {"busy", "running", "progress", "status", "error", "message", "result", "rest", "span", "broadened"}
    names = [n for n in _control_names(model) if n not in skip]
    box = controls(model, names)
    for n, wd in box.widgets.items():
        if hasattr(wd, "layout") and n in ("sessions", "uri", "window"):
            wd.layout = w.Layout(width="95%")
    if "window" in box.widgets and "span" in model.param and isinstance(box.widgets["window"], w.FloatRangeSlider):
        _follow_span(model, box.widgets["window"])
    if hasattr(view, "output_panes"):
        body = view.output_panes()
    elif all(hasattr(view, a) for a in ("_status", "_error", "_out")):  # AnalysisView: outputs without its Panel controls
        body = pn.Column(view._status, view._error, view._out, sizing_mode="stretch_width")
    else:
        body = view
    plot = pn.ipywidget(body)
    out = w.VBox([box, plot])
    out.model, out.view, out.widgets, out.controls, out.plot, out.error = model, view, box.widgets, box, plot, box.error
    return out


def _as_catalog(catalog: Any):
    """A SessionListing from what a notebook user passes: None, a listing, a folder, a file path or a URI."""
    if isinstance(catalog, os.PathLike):
        catalog = os.fspath(catalog)
    if isinstance(catalog, str):
        from ..apps.listing import DefaultListing
        if os.path.isdir(os.path.expanduser(catalog)):
            return DefaultListing(data_dirs=[catalog])
        return session_catalog(catalog)
    return catalog


def _control_names(model) -> list[str]:
    from .controls import _default_names
    return _default_names(model)

