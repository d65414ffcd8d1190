"""The error map and the coupling loop: cross-prediction between fragments, and what explains it.

- :mod:`.map` — :func:`error_map`, the (source, target) map of held-out cross-prediction error;
- :mod:`.predict` — the translators and the per-source task behind it;
- :mod:`.cluster` — dissimilarity, MDS and the rules that cut clusters;
- :mod:`.loop` — :class:`CouplingLoop`, align → translate → refine until the map settles (its result types in
  :mod:`.loop_result`);
- :mod:`.attribution` — which confounds (lab, arousal, apparatus...) explain the errors;
- :mod:`.tasks` — the dask task runner with progress.
"""

from .attribution import attribute_fragments, attribute_pairs, commonality, confound_blocks
from .cluster import ci_clusters, ci_excess, classical_mds, cluster_map, dissimilarity
from .loop import CouplingLoop, LoopIteration, LoopResult, variance_partition
from .map import align_latents, canonical_frame, error_map, map_from_latents, reduce_fragment
from .tasks import compute

__all__ = ["error_map", "map_from_latents", "reduce_fragment", "align_latents", "canonical_frame",
           "dissimilarity", "classical_mds", "cluster_map", "ci_clusters", "ci_excess",
           "CouplingLoop", "LoopIteration", "LoopResult", "variance_partition",
           "attribute_fragments", "attribute_pairs", "commonality", "confound_blocks", "compute"]
