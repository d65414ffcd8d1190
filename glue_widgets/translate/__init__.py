"""Translation between fragments (DESIGN §1.2): paired (calcium → spikes, ECoG → EEG) and unpaired mappings.

- :func:`infer_spikes` — calcium ΔF/F → expected spikes per frame (supervised model trained on the
  CASCADE ground truth, or OASIS); :func:`simulate_calcium` the reverse, for simulation.
- :class:`Translator`, :class:`ReducedRankRegression` — learned linear mappings X → Y with
  cross-validated regularization / rank; :func:`transfer_table` trains on one fragment, tests on others.
- :class:`EcogToEeg`, :func:`forward_baseline` — learned ECoG → EEG with prediction intervals, and
  the physics baseline (minimum-norm inverse of ECoG, MNE spherical-head forward to EEG).
- :class:`LatentDynamicsTranslator` — unpaired: a VAR learned in one fragment's aligned latents
  predicts another fragment through its readout.
"""

from .reverse import INDICATORS, simulate_calcium
from .spikes import infer_spikes, load_spike_model
from .supervised import SpikeModel

__all__ = ["infer_spikes", "load_spike_model", "SpikeModel", "simulate_calcium", "INDICATORS"]
