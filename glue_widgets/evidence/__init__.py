"""Evidence beyond prediction: directed dependence, effective connectivity, shared axes, interventions.

- :func:`transfer_entropy` (Gaussian closed form or KSG, nats, permutation null) and
  :func:`var1_transfer_entropy` (closed form for a Gaussian VAR(1));
- :func:`granger` (conditional Granger causality of a VAR, BIC order, F-tests, FDR);
- :class:`RegressionDCM` (regression DCM: effective connectivity of ``dx/dt = A x + C u``, ARD sparsity);
- :func:`compression` (variance of all fragments on k shared axes), :func:`reexpress` (one fragment's
  representation in another's coordinates), :func:`intervention_alignment` and :func:`epoch_responses`
  (predicted vs observed perturbation responses).

Networks with known coupling for validation: :mod:`glue_widgets.simulate` (``random_network``,
``simulate_linear_network``, ``simulate_var``).
"""

from ._common import TestResult
from .dcm import RegressionDCM
from .granger import GrangerResult, fdr_bh, granger, select_var_order
from .interventions import InterventionAlignment, epoch_responses, intervention_alignment
from .shared_axes import CompressionResult, ReexpressResult, compression, reexpress
from .transfer_entropy import gaussian_cmi, ksg_cmi, transfer_entropy, var1_transfer_entropy

__all__ = [
    "TestResult", "transfer_entropy", "var1_transfer_entropy", "gaussian_cmi", "ksg_cmi",
    "granger", "GrangerResult", "select_var_order", "fdr_bh", "RegressionDCM",
    "compression", "CompressionResult", "reexpress", "ReexpressResult",
    "intervention_alignment", "InterventionAlignment", "epoch_responses",
]
