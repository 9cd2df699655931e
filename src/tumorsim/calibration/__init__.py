"""Calibration: the model's C parameters fitted to GBSG2 (target K1), alone or jointly with
the tamoxifen claims K2 and K3 (:mod:`tumorsim.calibration.fit`, whose docstring says what
is fitted, why and how).

It sits above validation: a joint fit measures claims with the claims' own functions. What
the calibration and claim K1 both measure (the GBSG2 split, the fit statistics, the
held-out fit) is :mod:`tumorsim.analysis.gbsg2`.

The Bayesian calibration (a posterior ensemble over the data-constrained parameters, fitted
to GBSG2, TRANSBIG, GSE2034 and the claims K2 and K7) is :mod:`tumorsim.calibration.priors`
(what is fitted), :mod:`tumorsim.calibration.targets` (to what),
:mod:`tumorsim.calibration.posterior` (emulators and sampler) and
:mod:`tumorsim.calibration.run` (end to end).
"""

from tumorsim.calibration.fit import (
    CALIBRATED_PARAMETERS,
    CLAIM_PARAMETERS,
    CLAIM_TARGETS,
    CalibratedParameter,
    CalibrationResult,
    calibrate,
    calibrated_value,
    claim_objective,
    claim_sizes,
    objective,
    scenario_changes,
    write_parameter_file,
    write_record,
)

__all__ = [
    "CALIBRATED_PARAMETERS",
    "CLAIM_PARAMETERS",
    "CLAIM_TARGETS",
    "CalibratedParameter",
    "CalibrationResult",
    "calibrate",
    "calibrated_value",
    "claim_objective",
    "claim_sizes",
    "objective",
    "scenario_changes",
    "write_parameter_file",
    "write_record",
]
