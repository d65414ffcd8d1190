"""The alignment dashboard as a servable script: ``panel serve glue_widgets/apps/scripts/alignment.py``.

jupyter-panel-proxy serves it at ``/panel/alignment`` (Binder: ``?urlpath=panel/alignment``); see
binder/jupyter-panel-proxy.yml. Builds nothing unless a server runs it (one fresh page per session).
"""

from glue_widgets.apps._page import serve_script

page = serve_script("alignment", __name__)
