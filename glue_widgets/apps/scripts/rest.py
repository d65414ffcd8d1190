"""The rest dashboard as a servable script: ``panel serve glue_widgets/apps/scripts/rest.py``.

jupyter-panel-proxy serves it at ``/panel/rest`` (Binder: ``?urlpath=panel/rest``); see
binder/jupyter-panel-proxy.yml. Builds nothing unless a server runs it (one fresh page per session).
"""

from glue_widgets.apps._page import serve_script

page = serve_script("rest", __name__)
