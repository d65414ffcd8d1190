"""ipywidgets face of the dashboards, for notebook users (``gw.widgets``).

Native ipywidgets controls over the SAME ``param`` models the Panel dashboards use (no second
state), with the dashboards' plots embedded through ``pn.ipywidget`` (jupyter_bokeh):

- :func:`controls` — ipywidgets for any ``param.Parameterized``, two-way linked;
- :func:`rest_explorer` — the Rest dashboard for one session (URI or open Session);
- :func:`dashboard` — any dashboard of ``glue_widgets.apps.APPS`` by slug.

Examples
--------
>>> import glue_widgets as gw
>>> box = gw.widgets.rest_explorer("demo://arbor/m01/day0")   # doctest: +SKIP
>>> box                                                        # doctest: +SKIP
"""

from .controls import controls, link, widget_for
from .explorers import dashboard, rest_explorer, session_catalog

__all__ = ["controls", "link", "widget_for", "rest_explorer", "dashboard", "session_catalog"]
