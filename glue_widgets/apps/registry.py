"""The dashboards, in the order the index page lists them: slug -> (title, factory, description)."""

from __future__ import annotations

import importlib
from typing import Callable, NamedTuple

__all__ = ["AppSpec", "APPS", "app_factory"]


class AppSpec(NamedTuple):
    slug: str
    title: str
    module: str  # the module of this package that defines ``create_app`` (imported per page, lazily)
    description: str


APPS: tuple[AppSpec, ...] = (
    AppSpec("browser", "Browser", "browser",
            "Pick a session (demo, DANDI, OpenNeuro), preview streams with epochs, a minimap and the rest window."),
    AppSpec("rest", "Rest", "rest",
            "The detected rest window on the timeline: adjust it, read its card, quality and broadening."),
    AppSpec("baselines", "Baselines", "baselines",
            "Spon.1 vs Spon.2 with its null, then baseline-corrected task effects."),
    AppSpec("alignment", "Alignment", "alignment",
            "Latent trajectories before/after rest-only alignment, identifiability, decoder transfer."),
    AppSpec("translation", "Translation", "translation",
            "Calcium vs inferred vs true spikes; EEG predicted from ECoG vs measured."),
    AppSpec("errormap", "Error map", "errormap",
            "Cross-prediction error between fragments: heatmap and embedding; click a cell to open the pair."),
    AppSpec("loop", "Coupling loop", "loop",
            "Alignment → translation → error-map iterations, convergence and attribution."),
)


def app_factory(spec: AppSpec, **kwargs) -> Callable:
    """A zero-argument callable building one page of ``spec`` (imported lazily, per page)."""
    def factory():
        return importlib.import_module(f".{spec.module}", __package__).create_app(**kwargs)
    factory.__name__ = f"create_{spec.slug}"
    return factory
