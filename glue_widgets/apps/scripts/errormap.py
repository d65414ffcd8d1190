"""The errormap dashboard as a servable script: ``panel serve glue_widgets/apps/scripts/errormap.py``.

jupyter-panel-proxy serves it at ``/panel/errormap`` (Binder: ``?urlpath=panel/errormap``); see
binder/jupyter-panel-proxy.yml. Builds nothing unless a server runs it (one fresh page per session).
"""

from glue_widgets.apps._page import serve_script

page = serve_script("errormap", __name__)
