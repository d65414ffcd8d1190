"""Panel dashboards: one module per dashboard, served together by :func:`serve_all`.

Each dashboard module exposes ``create_app(catalog=None, **params)`` returning a Panel object (one
page; fresh state) and its state model (a ``param.Parameterized``) and view (a ``pn.viewable.Viewer``),
so the same components work in a notebook (``pn.extension(inline=True)`` then display the view)
and under ``panel serve``.
"""

from __future__ import annotations

from .registry import APPS
from .serve import app_routes, serve_all

__all__ = ["APPS", "serve_all", "app_routes"]
