"""In-silico trials: arms given to one virtual cohort with common random numbers.

- :class:`Arm`, :class:`Trial` (``design``): what is compared and reported.
- :func:`run_trial`, :class:`TrialResult` (``run``): every patient under every arm, and
  survival, hazard ratios, RMST and site relapse per arm.
- :func:`load_trial` (``file``): a scenario TOML file with ``[arms.<name>]`` tables.
- :func:`endpoint_table` (``endpoints``): an endpoint as duration / event columns.
- :func:`save_trial_results`, :func:`load_trial_results` (``output``): a results directory
  with the trial's summaries as CSV files.
"""

from tumorsim.trial.design import DEFAULT_ENDPOINTS, ENDPOINTS, Arm, EndpointName, Trial
from tumorsim.trial.endpoints import endpoint_table, site_endpoint
from tumorsim.trial.file import load_trial
from tumorsim.trial.output import (
    SUMMARY_FILES,
    TRIAL_FILES,
    check_trial_dir,
    load_trial_results,
    save_trial_results,
)
from tumorsim.trial.run import DEFAULT_TIMES_YEARS, TrialResult, run_trial

__all__ = [
    "DEFAULT_ENDPOINTS",
    "DEFAULT_TIMES_YEARS",
    "ENDPOINTS",
    "SUMMARY_FILES",
    "TRIAL_FILES",
    "Arm",
    "EndpointName",
    "Trial",
    "TrialResult",
    "check_trial_dir",
    "endpoint_table",
    "load_trial",
    "load_trial_results",
    "run_trial",
    "save_trial_results",
    "site_endpoint",
]
