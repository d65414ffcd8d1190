"""The rest segment, the adhesive dot: find it, label it, compare it, keep it.

``extract_rest`` returns the best window; ``annotate_rest`` builds the same segment and card from a
window the user names; ``rest_window`` says where the window is and how it covers the 10-min target;
``find_rest_candidates`` lists every window with its evidence; ``broaden_rest`` grows a window while the state stays the same; ``compare_baselines``
compares two rest states (Spon.1 vs Spon.2) against a null; :class:`Catalog` accumulates segments
and their RestCards on disk.
"""

from .broaden import broaden_rest
from .candidates import choose_stream, find_rest_candidates
from .card import ShortRestWarning
from .extract import extract_rest
from .annotate import annotate_rest
from .window import rest_window
from ..model.labels import classify_label, is_rest_label, state_from_label
from .baselines import baseline_corrected_effects, compare_baselines
from .catalog import Catalog

__all__ = ["extract_rest", "find_rest_candidates", "broaden_rest", "ShortRestWarning", "choose_stream",
           "annotate_rest", "rest_window", "classify_label", "is_rest_label", "state_from_label", "compare_baselines",
           "baseline_corrected_effects", "Catalog"]
