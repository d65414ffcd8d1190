"""Translation between fragments (DESIGN §1.2): paired (calcium → spikes, ECoG → EEG) and unpaired mappings.

- :func:`infer_spikes` — calcium (any units) → expected spikes per frame: a supervised model trained on the
  20 CASCADE ground-truth datasets, OASIS, or (default) their mix by a rule tuned leave-one-dataset-out, with a
  training-range check (:class:`SpikeDomainWarning`); :func:`simulate_calcium` the reverse, with the kinetics of
  the one indicator table (:mod:`glue_widgets.model.indicators`).
- :class:`Translator`, :class:`ReducedRankRegression` — learned linear mappings X → Y with
  blocked-CV regularization / rank and prediction intervals; :func:`transfer_table` trains on one
  fragment and tests on others.
- :class:`EcogToEeg`, :func:`forward_baseline` — learned ECoG → EEG, and the physics baseline
  (minimum-norm inverse of ECoG, MNE spherical-head forward to EEG).
- :class:`LatentVAR`, :class:`LatentDynamicsTranslator` — unpaired: a VAR learned in one fragment's
  aligned latents predicts another fragment through its readout.
"""

from .ecog_eeg import (ContactPhysicsEcogToEeg, EcogToEeg, SourceSpaceEcogToEeg, contact_source_space,
                       forward_baseline, physics_operator)
from .reverse import INDICATORS, simulate_calcium
from .rrr import ReducedRankRegression
from .spike_domain import SpikeDomainWarning
from .spikes import infer_spikes, load_spike_model
from .supervised import SpikeModel
from .transfer import transfer_table
from .translator import Translator
from .unpaired import LatentDynamicsTranslator, LatentVAR

__all__ = ["ContactPhysicsEcogToEeg", "contact_source_space", "infer_spikes", "load_spike_model", "SpikeModel", "SpikeDomainWarning", "simulate_calcium", "INDICATORS",
           "Translator", "ReducedRankRegression", "transfer_table", "EcogToEeg", "SourceSpaceEcogToEeg", "forward_baseline",
           "physics_operator", "LatentVAR", "LatentDynamicsTranslator"]
