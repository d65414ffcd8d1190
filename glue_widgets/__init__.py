"""glue_widgets: rest segments as adhesive dots to align, translate and compare neural recordings.

The public face (DESIGN §3)::

    import glue_widgets as gw
    s = gw.open("demo://...")                    # or dandi://, openneuro://, a path, an http(s) URL
    seg = gw.extract_rest(s)                     # DataArray with seg.attrs["card"]
    seg = gw.annotate_rest(s, 0.0, 600.0, state="eyes-closed rest")   # a window you name, same card
    al = gw.align.RestAligner(n_components=4).fit(rest_list)

Submodules and heavy names are imported on first use so ``import glue_widgets`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import errors
from .errors import GlueError
from .model.fragment import set_default_opener as _set_default_opener
from .sources import open  # noqa: A004

from ._version import __version__

# public name -> "module[:attribute]"; resolved lazily (PEP 562)
_LAZY: dict[str, str] = {
    "model": "glue_widgets.model",
    "demo": "glue_widgets.sources.demo",
    "dandi": "glue_widgets.sources.dandi",
    "openneuro": "glue_widgets.sources.openneuro",
    "align": "glue_widgets.align",
    "translate": "glue_widgets.translate",
    "evidence": "glue_widgets.evidence",
    "rest": "glue_widgets.rest",
    "extract_rest": "glue_widgets.rest:extract_rest",
    "annotate_rest": "glue_widgets.rest:annotate_rest",
    "find_rest_candidates": "glue_widgets.rest:find_rest_candidates",
    "broaden_rest": "glue_widgets.rest:broaden_rest",
    "compare_baselines": "glue_widgets.rest.baselines:compare_baselines",
    "baseline_corrected_effects": "glue_widgets.rest.baselines:baseline_corrected_effects",
    "Catalog": "glue_widgets.rest.catalog:Catalog",
    "errormap": "glue_widgets.errormap",
    "error_map": "glue_widgets.errormap.map:error_map",
    "CouplingLoop": "glue_widgets.errormap.loop:CouplingLoop",
    "simulate": "glue_widgets.simulate",
    "widgets": "glue_widgets.widgets",
    "apps": "glue_widgets.apps",
}

# lazy fragments (error map, coupling loop) are opened through the public door unless the caller passes one
_set_default_opener(open)

__all__ = ["GlueError", "errors", "open", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'glue_widgets' has no attribute {name!r}")
    module, _, attr = target.partition(":")
    obj = importlib.import_module(module)
    if attr:
        obj = getattr(obj, attr)
    globals()[name] = obj
    return obj


def __dir__() -> list[str]:
    return sorted(__all__)
