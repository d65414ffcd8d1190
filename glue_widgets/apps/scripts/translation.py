"""The translation dashboard as a servable script: ``panel serve glue_widgets/apps/scripts/translation.py``.

jupyter-panel-proxy serves it at ``/panel/translation`` (Binder: ``?urlpath=panel/translation``); see
binder/jupyter-panel-proxy.yml. Builds nothing unless a server runs it (one fresh page per session).
"""

from glue_widgets.apps._page import serve_script

page = serve_script("translation", __name__)
