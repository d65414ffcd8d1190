"""Rest extraction: find the spontaneous-activity window of a session and label it with a RestCard.

``extract_rest`` returns the best window; ``find_rest_candidates`` lists every window with its
evidence; ``broaden_rest`` grows a window while the state stays the same.
"""

from .broaden import broaden_rest
from .candidates import choose_stream, find_rest_candidates
from .card import ShortRestWarning
from .extract import annotate_segment, extract_rest
from .labels import classify_label, state_from_label

__all__ = ["extract_rest", "find_rest_candidates", "broaden_rest", "ShortRestWarning", "choose_stream",
           "annotate_segment", "classify_label", "state_from_label"]
