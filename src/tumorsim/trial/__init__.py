"""In-silico trials: arms given to one virtual cohort with common random numbers.

- :class:`Arm`, :class:`Trial` (``design``): what is compared and reported.
- :func:`run_trial`, :class:`TrialResult` (``run``): every patient under every arm, and
  survival, hazard ratios, RMST and site relapse per arm.
- :func:`load_trial` (``file``): a scenario TOML file with ``[arms.<name>]`` tables.
- :func:`endpoint_table` (``endpoints``): an endpoint as duration / event columns.
- :func:`save_trial_results`, :func:`load_trial_results` (``output``): a results directory
  with the trial's summaries as CSV files; :func:`save_hazard_ratio_intervals` adds the
  ensemble intervals.
"""

from tumorsim.trial.design import DEFAULT_ENDPOINTS, ENDPOINTS, Arm, EndpointName, Trial
from tumorsim.trial.endpoints import endpoint_table, site_endpoint
from tumorsim.trial.file import load_trial
from tumorsim.trial.output import (
    INTERVALS_FILE,
    SUMMARY_FILES,
    TRIAL_FILES,
    check_trial_dir,
    load_trial_results,
    save_hazard_ratio_intervals,
    save_trial_results,
)
from tumorsim.trial.run import DEFAULT_TIMES_YEARS, TrialResult, run_trial

__all__ = [
    "DEFAULT_ENDPOINTS",
    "DEFAULT_TIMES_YEARS",
    "ENDPOINTS",
    "INTERVALS_FILE",
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
    "save_hazard_ratio_intervals",
    "save_trial_results",
    "site_endpoint",
]
