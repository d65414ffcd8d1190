"""ipywidgets for the parameters of a ``param.Parameterized``, kept in sync both ways (no second state).

The dashboards keep their state in ``param.Parameterized`` models (``glue_widgets.apps``). A notebook
user who prefers ipywidgets gets native controls *over the same model*: moving a slider sets the
parameter (so the Panel views, which watch the model, redraw) and setting the parameter in code
moves the slider. The model stays the single source of truth.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable

from ..errors import InvalidInputError

__all__ = ["controls", "widget_for", "link"]


def _require_ipywidgets():
    try:
        import ipywidgets
    except ImportError as exc:  # pragma: no cover - ipywidgets is part of the stack
        raise InvalidInputError("glue_widgets.widgets needs ipywidgets: `pip install ipywidgets jupyter_bokeh`.") from exc
    return ipywidgets


def _check_model(model: Any):
    import param
    if not isinstance(model, param.Parameterized):
        raise InvalidInputError(
            f"expected a param.Parameterized model (e.g. a dashboard's RestModel), got {type(model).__name__}; "
            "build one with glue_widgets.apps.<dashboard>.create_app(...).gw_model.")
    return model


def _finite(v) -> bool:
    return v is not None and math.isfinite(float(v))


def _number_step(lo: float, hi: float, p) -> float:
    step = getattr(p, "step", None)
    if step:
        return float(step)
    return max((hi - lo) / 200.0, 1e-9)


def _label(model, name: str) -> str:
    p = model.param[name]
    return p.label if getattr(p, "label", None) else name.replace("_", " ")


def _options(p) -> list:
    objs = p.objects
    items = list(objs.items()) if isinstance(objs, dict) else [(str(o), o) for o in (objs or [])]
    return items


def widget_for(model: Any, name: str, **kwargs: Any):
    """One ipywidget for the parameter ``name`` of ``model`` (not yet linked: see :func:`link`).

    ``Number``/``Integer`` with finite bounds → ``FloatSlider``/``IntSlider`` (else ``FloatText``/``IntText``),
    ``Selector`` → ``Dropdown``, ``ListSelector`` → ``SelectMultiple``, ``Boolean`` → ``Checkbox``,
    ``Range`` → ``FloatRangeSlider`` (limits from its bounds, else around its value), ``String`` → ``Text``,
    ``Event`` → ``Button``. Other parameter types raise :class:`~glue_widgets.errors.InvalidInputError`.

    Examples
    --------
    >>> import param
    >>> class M(param.Parameterized):
    ...     gain = param.Number(1.0, bounds=(0, 10))
    >>> widget_for(M(), "gain").max
    10.0
    """
    import param
    w = _require_ipywidgets()
    _check_model(model)
    if name not in model.param:
        raise InvalidInputError(f"{type(model).__name__} has no parameter {name!r}; "
                                f"parameters are {sorted(n for n in model.param if n != 'name')}.")
    p = model.param[name]
    value = getattr(model, name)
    desc = kwargs.pop("description", _label(model, name))
    common = dict(description=desc, style={"description_width": "initial"}, **kwargs)
    if isinstance(p, param.Event):
        return w.Button(description=desc, **kwargs)
    if isinstance(p, param.Boolean):
        return w.Checkbox(value=bool(value), **common)
    if isinstance(p, param.Range):  # before Number/Tuple checks: Range is a NumericTuple
        lo, hi = p.bounds if p.bounds is not None else (None, None)
        a, b = value if value is not None else (0.0, 1.0)
        lo = float(lo) if _finite(lo) else float(min(a, b))
        hi = float(hi) if _finite(hi) else float(max(a, b, lo + 1.0))
        return w.FloatRangeSlider(value=(float(a), float(b)), min=lo, max=hi, step=_number_step(lo, hi, p),
                                  continuous_update=False, **common)
    if isinstance(p, param.Integer):
        lo, hi = p.bounds if p.bounds is not None else (None, None)
        if _finite(lo) and _finite(hi):
            return w.IntSlider(value=int(value), min=int(lo), max=int(hi), continuous_update=False, **common)
        return w.IntText(value=int(value or 0), **common)
    if isinstance(p, param.Number):
        lo, hi = p.bounds if p.bounds is not None else (None, None)
        if _finite(lo) and _finite(hi):
            return w.FloatSlider(value=float(value), min=float(lo), max=float(hi),
                                 step=_number_step(float(lo), float(hi), p), continuous_update=False, **common)
        return w.FloatText(value=float(value or 0.0), **common)
    if isinstance(p, param.ListSelector):
        opts = _options(p)
        return w.SelectMultiple(options=opts, value=tuple(value or ()), rows=min(8, max(2, len(opts))), **common)
    if isinstance(p, param.Selector):
        opts = _options(p)
        if p.allow_None and all(v is not None for _, v in opts):
            opts = [("—", None)] + opts
        return w.Dropdown(options=opts, value=value, **common)
    if isinstance(p, param.String):
        return w.Text(value=str(value or ""), continuous_update=False, **common)
    raise InvalidInputError(f"parameter {name!r} is a {type(p).__name__}; glue_widgets.widgets makes controls for "
                            "Number, Integer, Boolean, Selector, ListSelector, Range, String and Event parameters.")


def _to_param(widget, value):
    import ipywidgets as w
    if isinstance(widget, w.FloatRangeSlider):
        return (float(value[0]), float(value[1]))
    if isinstance(widget, w.SelectMultiple):
        return list(value)
    return value


def _to_widget(widget, value):
    import ipywidgets as w
    if isinstance(widget, w.FloatRangeSlider):
        a, b = (float(v) for v in value)
        # widen the slider before moving it: ipywidgets clips values to [min, max]
        if a < widget.min:
            widget.min = a
        if b > widget.max:
            widget.max = b
        return (a, b)
    if isinstance(widget, w.SelectMultiple):
        return tuple(value or ())
    if isinstance(widget, (w.FloatSlider, w.FloatText)):
        return float(value)
    if isinstance(widget, w.Text):
        return str(value or "")
    return value


def link(model: Any, name: str, widget, on_error: Callable[[str], None] | None = None) -> Callable[[], None]:
    """Keep ``widget.value`` and ``model.<name>`` equal, both ways; returns a function that unlinks.

    A widget value the parameter refuses (out of bounds, wrong type) is put back to the model's value
    and the reason goes to ``on_error`` (default: raise :class:`~glue_widgets.errors.InvalidInputError`).
    For ``Selector`` parameters the dropdown's options follow the parameter's ``objects``.

    Examples
    --------
    >>> import param, ipywidgets
    >>> class M(param.Parameterized):
    ...     gain = param.Number(1.0, bounds=(0, 10))
    >>> m, s = M(), ipywidgets.FloatSlider(min=0, max=10)
    >>> unlink = link(m, "gain", s)
    >>> s.value = 3.0; m.gain
    3.0
    >>> m.gain = 5.0; s.value
    5.0
    """
    import ipywidgets as w
    import param
    _check_model(model)
    p = model.param[name]
    busy = [False]  # re-entrancy guard: widget→param→watcher→widget must stop there

    if isinstance(p, param.Event):
        def click(_):
            model.param.trigger(name)
        widget.on_click(click)
        return lambda: widget.on_click(click, remove=True)

    def report(msg: str):
        if on_error is not None:
            on_error(msg)
        else:
            raise InvalidInputError(msg)

    def from_widget(change):
        if busy[0]:
            return
        busy[0] = True
        try:
            try:
                setattr(model, name, _to_param(widget, change["new"]))
            except Exception as exc:  # param refuses: put the widget back, say why
                widget.value = _to_widget(widget, getattr(model, name))
                report(f"{name}={change['new']!r} refused by {type(model).__name__}: {exc}")
        finally:
            busy[0] = False

    def from_param(event):
        if busy[0]:
            return
        busy[0] = True
        try:
            widget.value = _to_widget(widget, event.new)
        finally:
            busy[0] = False

    def objects_changed(event):
        if isinstance(widget, (w.Dropdown, w.SelectMultiple)):
            busy[0] = True
            try:
                opts = _options(p)
                if isinstance(widget, w.Dropdown) and p.allow_None and all(v is not None for _, v in opts):
                    opts = [("—", None)] + opts
                widget.options = opts
                cur = getattr(model, name)
                widget.value = tuple(cur or ()) if isinstance(widget, w.SelectMultiple) else cur
            except Exception:  # current value not (yet) among the new options: the param watcher fixes it
                pass
            finally:
                busy[0] = False

    widget.observe(from_widget, names="value")
    watchers = [model.param.watch(from_param, name)]
    if isinstance(p, param.Selector):
        watchers.append(model.param.watch(objects_changed, name, what="objects"))

    def unlink():
        widget.unobserve(from_widget, names="value")
        for wt in watchers:
            model.param.unwatch(wt)
    return unlink


def _default_names(model) -> list[str]:
    import param
    kinds = (param.Number, param.Boolean, param.Selector, param.Range, param.Event, param.String)
    out = []
    for n, p in model.param.objects("existing").items():
        if n == "name" or p.constant or p.readonly or getattr(p, "precedence", None) is not None and p.precedence < 0:
            continue
        if isinstance(p, kinds):
            out.append(n)
    return out


def controls(model: Any, parameters: Iterable[str] | None = None, *, on_error: Callable[[str], None] | None = None):
    """ipywidgets for ``model``'s parameters, two-way linked; returns an ``ipywidgets.VBox``.

    Parameters
    ----------
    model : param.Parameterized
        A dashboard state model (``RestModel``, ``TranslationModel``...) or any Parameterized.
    parameters : iterable of str, optional
        Which parameters (default: every Number, Integer, Boolean, Selector, Range, String and Event
        parameter that is not constant, read-only or hidden).
    on_error : callable(str), optional
        Receives the reason when a widget value is refused (the widget goes back to the model's
        value). By default the VBox shows it in an ``HTML`` line (``box.error``).

    Returns
    -------
    ipywidgets.VBox
        ``box.widgets`` maps parameter name → widget; ``box.unlink()`` removes every link.

    Examples
    --------
    >>> import param
    >>> class M(param.Parameterized):
    ...     gain = param.Number(1.0, bounds=(0, 10))
    ...     mode = param.Selector(objects=["a", "b"])
    >>> m = M()
    >>> box = controls(m)
    >>> box.widgets["mode"].value = "b"; m.mode
    'b'
    >>> m.gain = 2.5; box.widgets["gain"].value
    2.5
    """
    w = _require_ipywidgets()
    _check_model(model)
    names = _default_names(model) if parameters is None else list(parameters)
    if isinstance(parameters, str):
        raise InvalidInputError(f"parameters must be a list of names, not the string {parameters!r}.")
    error = w.HTML("")
    if on_error is None:
        def on_error(msg: str):
            import html
            error.value = f'<span style="color:#b00">{html.escape(msg)}</span>'
    widgets, unlinks = {}, []
    for n in names:
        wd = widget_for(model, n)
        unlinks.append(link(model, n, wd, on_error=on_error))
        widgets[n] = wd
    box = w.VBox([*widgets.values(), error])
    box.widgets, box.error, box.model = widgets, error, model
    box.unlink = lambda: [u() for u in unlinks]
    return box
