"""The dashboards, in the order the index page lists them: slug -> (title, factory, description)."""

from __future__ import annotations

import importlib
from typing import Callable, NamedTuple

__all__ = ["AppSpec", "APPS", "app_factory"]


class AppSpec(NamedTuple):
    slug: str
    title: str
    target: str  # "module:create_app"
    description: str


APPS: tuple[AppSpec, ...] = (
    AppSpec("browser", "Browser", "glue_widgets.apps.browser:create_app",
            "Pick a session (demo, DANDI, OpenNeuro), preview streams with epochs, a minimap and the rest window."),
    AppSpec("rest", "Rest", "glue_widgets.apps.rest:create_app",
            "The detected rest window on the timeline: adjust it, read its card, quality and broadening."),
    AppSpec("baselines", "Baselines", "glue_widgets.apps.baselines:create_app",
            "Spon.1 vs Spon.2 with its null, then baseline-corrected task effects."),
    AppSpec("alignment", "Alignment", "glue_widgets.apps.alignment:create_app",
            "Latent trajectories before/after rest-only alignment, identifiability, decoder transfer."),
    AppSpec("translation", "Translation", "glue_widgets.apps.translation:create_app",
            "Calcium vs inferred vs true spikes; EEG predicted from ECoG vs measured."),
    AppSpec("errormap", "Error map", "glue_widgets.apps.errormap:create_app",
            "Cross-prediction error between fragments: heatmap and embedding; click a cell to open the pair."),
    AppSpec("loop", "Coupling loop", "glue_widgets.apps.loop:create_app",
            "Alignment → translation → error-map iterations, convergence and attribution."),
)


def app_factory(spec: AppSpec, **kwargs) -> Callable:
    """A zero-argument callable building one page of ``spec`` (imported lazily, per page)."""
    def factory():
        module, func = spec.target.split(":")
        return getattr(importlib.import_module(module), func)(**kwargs)
    factory.__name__ = f"create_{spec.slug}"
    return factory
