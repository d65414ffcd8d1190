"""Evidence beyond prediction: directed dependence, effective connectivity, shared axes, interventions.

- :func:`transfer_entropy` (Gaussian closed form or KSG, nats, permutation null) and
  :func:`var1_transfer_entropy` (closed form for a Gaussian VAR(1));
- :func:`granger` (conditional Granger causality of a VAR, BIC order, F-test p-values);
- :class:`RegressionDCM` (model-based effective connectivity of a linear continuous-time system);
- :func:`compression`, :func:`reexpress`, :func:`intervention_alignment`.
"""

from ._common import TestResult
from .transfer_entropy import gaussian_cmi, ksg_cmi, transfer_entropy, var1_transfer_entropy

__all__ = ["TestResult", "transfer_entropy", "var1_transfer_entropy", "gaussian_cmi", "ksg_cmi"]
