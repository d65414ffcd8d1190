"""The baselines dashboard as a servable script: ``panel serve glue_widgets/apps/scripts/baselines.py``.

jupyter-panel-proxy serves it at ``/panel/baselines`` (Binder: ``?urlpath=panel/baselines``); see
binder/jupyter-panel-proxy.yml. Builds nothing unless a server runs it (one fresh page per session).
"""

from glue_widgets.apps._page import serve_script

page = serve_script("baselines", __name__)
