"""tumorsim: breast-cancer treatment resistance and metastasis in virtual patients.

Data flows one way: :class:`Scenario` -> per-patient parameters -> engine ->
:class:`SimulationResult` -> analysis -> report.
"""

from tumorsim.cohort.population import Cohort
from tumorsim.engine.simulate import simulate
from tumorsim.model.scenario import Scenario
from tumorsim.results import SimulationResult

__version__ = "0.1.0"

__all__ = ["Cohort", "Scenario", "SimulationResult", "simulate", "__version__"]
