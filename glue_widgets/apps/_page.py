"""One page per browser tab: header, deep-link handling, clean-up when the tab closes."""

from __future__ import annotations

from typing import Any

import panel as pn

from .deeplink import build_query, parse_query

__all__ = ["page", "apply_deeplink", "session_args", "in_server", "serve_script"]

_CSS = """
.gw-header { background: #1f3b57; color: white; padding: 4px 16px; border-radius: 4px; }
.gw-header a { color: #cfe3ff; }
"""


def in_server() -> bool:
    """True while building a page for a server session (``pn.state.served`` only detects scripts)."""
    doc = pn.state.curdoc
    return doc is not None and getattr(doc, "session_context", None) is not None


def session_args() -> dict:
    """The page's query arguments when served, ``{}`` in a notebook or a test."""
    try:
        return dict(pn.state.session_args or {}) if pn.state.curdoc is not None else {}
    except Exception:
        return {}


def apply_deeplink(model, query: dict | None = None) -> list[str]:
    """Apply validated ``source``/``session``/``stream``/``start``/``window`` from the URL to ``model``.

    Returns the messages for refused parameters (also put on ``model.message``).
    """
    args = session_args() if query is None else query
    if not args:
        return []
    ok, errors = parse_query(args, model.catalog)
    if "source" in ok and ok["source"] != model.source:
        model.source = ok["source"]
    if "session" in ok and ok["session"] != model.uri:
        model.set_value("uri", ok["session"])
    if "stream" in ok and ok["stream"] != model.stream:
        if model.session is not None and ok["stream"] in model.session.streams:
            model.stream = ok["stream"]
        else:
            errors.append(f"stream refused: {ok['stream'][:40]!r} is not a stream of {model.uri}.")
    if "window" in ok:
        hi = model.param.window.bounds[1]
        model.set_value("window", ok["window"] if hi is None else min(ok["window"], hi))  # the model clamps with a notice
    if "start" in ok:
        t0, t1 = model.span
        if t0 <= ok["start"] < t1:
            model.start = ok["start"]
        else:
            errors.append(f"start refused: {ok['start']} s is outside the stream [{t0:.1f}, {t1:.1f}) s.")
    if errors:
        model.message = "Link parameters refused: " + " | ".join(errors)
    return errors


def _sync_url(model) -> None:
    """Write the current choice back into the address bar (so a page can be bookmarked/shared)."""
    loc = pn.state.location
    if loc is None:
        return

    names = [n for n in ("source", "uri", "stream", "start", "window") if n in model.param]

    def update(*_):
        vals = {"session" if n == "uri" else n: getattr(model, n) for n in names}
        vals = {k: v for k, v in vals.items() if not isinstance(v, tuple)}  # ranges are not deep-linked
        q = build_query(**vals)
        try:
            loc.search = q
        except Exception:  # location not yet attached: harmless
            pass

    model.param.watch(update, names)


def page(title: str, view: Any, model: Any = None, notices: list[str] | None = None,
         closers: list | None = None, periodic: list | None = None) -> pn.viewable.Viewable:
    """Wrap a dashboard view in a small, offline-safe page and register its clean-up.

    When served, the page registers ``pn.state.on_session_destroyed``: when the tab is gone (Bokeh
    destroys the session after its websocket closed), ``model.close()`` and every callable in
    ``closers`` run (closing the Sessions/files the page opened), every periodic callback in
    ``periodic`` is stopped, and the page drops its references to model and view, so the session's
    memory can be collected (``tests/test_apps_sessions.py`` checks it with weak references).
    """
    from ._html import escape_text
    header = pn.pane.HTML(f'<h2 style="margin:6px 0">glue_widgets · {escape_text(title)}</h2>'
                          '<a href="./">all dashboards</a>', css_classes=["gw-header"],
                          stylesheets=[_CSS], sizing_mode="stretch_width")
    closers = list(closers or [])
    if model is not None and hasattr(model, "close"):
        closers.append(model.close)
    col = pn.Column(header, view, sizing_mode="stretch_width", css_classes=["gw-page"])
    col.gw_model, col.gw_view = model, view  # handles for tests and notebooks
    if in_server():
        if model is not None and "uri" in getattr(model, "param", {}):
            _sync_url(model)
        state = {"closers": closers, "periodic": list(periodic or []), "page": col}

        def _release(session_context, state=state):
            for cb in state.pop("periodic", []):
                try:
                    cb.stop()
                except Exception:
                    pass
            for c in state.pop("closers", []):
                try:
                    c()
                except Exception:  # a failing close must not keep the other resources alive
                    pass
            p = state.pop("page", None)
            if p is not None:
                p.gw_model = p.gw_view = None

        pn.state.on_session_destroyed(_release)
    return col


def serve_script(slug: str, module_name: str, catalog=None):
    """Build and ``.servable()`` the page of dashboard ``slug`` when a Panel/Bokeh server runs the script.

    The one-line scripts in ``glue_widgets/apps/scripts/`` call this with their ``__name__``: Bokeh
    runs a served script as a module named ``bokeh_app_<id>``, once per browser session, so each
    tab gets fresh models. Imported any other way (tests, ``python -m``, an IDE), nothing is built
    and ``None`` is returned.

    Examples
    --------
    >>> serve_script("browser", "__main__") is None
    True
    """
    from .registry import APPS, app_factory
    spec = next((a for a in APPS if a.slug == slug), None)
    if spec is None:
        from ..errors import InvalidInputError
        raise InvalidInputError(f"unknown dashboard {slug!r}; choose from {[a.slug for a in APPS]}.")
    if not module_name.startswith("bokeh_app"):
        return None
    kw = {} if catalog is None else {"catalog": catalog}
    return app_factory(spec, **kw)().servable(title=f"glue_widgets · {spec.title}")
