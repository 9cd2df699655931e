"""tumorsim: breast-cancer treatment resistance and metastasis in virtual patients.

Data flows one way: :class:`Scenario` -> per-patient parameters -> engine ->
:class:`SimulationResult` -> analysis -> report.

The top-level names are imported on first use, so that ``import tumorsim`` (and the
command line's ``--help``) does not load the engine (numba) or pandas.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Cohort", "Scenario", "SimulationResult", "simulate", "__version__"]

_LAZY: dict[str, str] = {
    "Cohort": "tumorsim.cohort.population",
    "Scenario": "tumorsim.model.scenario",
    "SimulationResult": "tumorsim.results",
    "simulate": "tumorsim.runner.simulate",
}
"""Top-level name -> the module that defines it."""

if TYPE_CHECKING:
    from tumorsim.cohort.population import Cohort
    from tumorsim.model.scenario import Scenario
    from tumorsim.results import SimulationResult
    from tumorsim.runner.simulate import simulate


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tumorsim' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
