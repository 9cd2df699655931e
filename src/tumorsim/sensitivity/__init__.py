"""Global sensitivity analysis (SALib): which parameters an answer hangs on.

:func:`morris` screens, :func:`sobol` gives first-order and total indices with bootstrap
intervals, both over the parameters' documented ranges with common random numbers, for a
scenario, a trial (an arm contrast) or a Python model function; the result is a
:class:`SensitivityResult` of DataFrames (docs/sensitivity.md). It sits above the trial
and validation layers, whose simulations and statistics it ranks.
"""

from tumorsim.sensitivity.indices import (
    SENSITIVITY_FILES,
    ModelFunction,
    SensitivityResult,
    define_problem,
    load_sensitivity,
    morris,
    sobol,
)

__all__ = [
    "SENSITIVITY_FILES",
    "ModelFunction",
    "SensitivityResult",
    "define_problem",
    "load_sensitivity",
    "morris",
    "sobol",
]
