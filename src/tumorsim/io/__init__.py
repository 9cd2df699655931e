"""Reading and writing tumorsim's files: scenario TOML files, JSON interchange, results."""

from tumorsim.io.results_file import load_results, save_results
from tumorsim.io.scenario_file import (
    load_default_scenario,
    load_scenario,
    scenario_from_json,
    scenario_to_json,
)

__all__ = [
    "load_default_scenario",
    "load_results",
    "load_scenario",
    "save_results",
    "scenario_from_json",
    "scenario_to_json",
]
