"""The laws of :mod:`tumorsim.model.laws`, compiled for the kernels.

For every law ``f(input..., parameter...)`` this module holds a numba function of the same
name, ``f(params, input...)``, inlined where it is called: the arguments named after
registry parameters are read from the scenario's parameter array (``params``, in
:data:`tumorsim.model.parameters.PARAMETER_SPECS` order) and the inputs are passed in the
order they appear in the law. The stochastic kernel (:mod:`tumorsim.engine.kernel`) and
the deterministic right-hand side (:mod:`tumorsim.engine.ode`) call these and nothing
else for the biology, so a law edited in :mod:`tumorsim.model.laws` changes both.

Compiled kernels are cached on disk by numba; :class:`EngineCacheLocator` makes that
cache stale whenever any file the kernels are compiled from changes (numba's own stamp
covers only the file of the cached function).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba as nb
from numba.core import caching

from tumorsim.model.laws import LAWS, Law
from tumorsim.model.parameters import PARAMETER_INDEX

__all__ = ["EngineCacheLocator", "compiled_law"]


def _bind(law: Law) -> Callable[..., float]:
    core = nb.njit(inline="always")(law.function)
    call = ", ".join(f"params[{PARAMETER_INDEX[a]}]" if a in PARAMETER_INDEX else a
                     for a in law.arguments)
    inputs = "".join(f", {a}" for a in law.inputs)
    source = f"def {law.name}(params{inputs}):\n    return _law({call})\n"
    namespace: dict[str, Any] = {"_law": core}
    exec(compile(source, f"<tumorsim law {law.name}>", "exec"), namespace)
    return nb.njit(inline="always")(namespace[law.name])


_COMPILED: dict[str, Callable[..., float]] = {name: _bind(x) for name, x in LAWS.items()}


def compiled_law(name: str) -> Callable[..., float]:
    """The compiled ``f(params, input...)`` of law ``name``."""
    return _COMPILED[name]


site_gompertz_rate = _COMPILED["site_gompertz_rate"]
growth_cap = _COMPILED["growth_cap"]
capped_gompertz_rate = _COMPILED["capped_gompertz_rate"]
clone_growth_rate = _COMPILED["clone_growth_rate"]
proliferation_rate = _COMPILED["proliferation_rate"]
tamoxifen_level = _COMPILED["tamoxifen_level"]
patient_clone_tamoxifen_effect = _COMPILED["patient_clone_tamoxifen_effect"]
tamoxifen_effect = _COMPILED["tamoxifen_effect"]
proliferating_kill_rate = _COMPILED["proliferating_kill_rate"]
awakening_rate = _COMPILED["awakening_rate"]
dormant_death_rate = _COMPILED["dormant_death_rate"]
dormancy_entry_fraction = _COMPILED["dormancy_entry_fraction"]
deep_dormancy_fraction = _COMPILED["deep_dormancy_fraction"]
deep_awakening_rate = _COMPILED["deep_awakening_rate"]
deep_dormant_death_rate = _COMPILED["deep_dormant_death_rate"]
dissemination_rate = _COMPILED["dissemination_rate"]
destination_weight = _COMPILED["destination_weight"]
clone_tropism_weight = _COMPILED["clone_tropism_weight"]
other_cause_death_hazard = _COMPILED["other_cause_death_hazard"]
other_cause_cumulative_hazard = _COMPILED["other_cause_cumulative_hazard"]
internal_dose_rate = _COMPILED["internal_dose_rate"]
ros_index = _COMPILED["ros_index"]
pr_loss_hazard = _COMPILED["pr_loss_hazard"]
pr_regain_hazard = _COMPILED["pr_regain_hazard"]
cxcl_signal = _COMPILED["cxcl_signal"]
myeloid_recruitment = _COMPILED["myeloid_recruitment"]
myeloid_niche_rate = _COMPILED["myeloid_niche_rate"]
myeloid_protection = _COMPILED["myeloid_protection"]
colonisation_boost = _COMPILED["colonisation_boost"]
antioxidant_capacity = _COMPILED["antioxidant_capacity"]
antioxidant_protection = _COMPILED["antioxidant_protection"]


# --- cache freshness ---------------------------------------------------------------------------

_PACKAGE = Path(__file__).resolve().parents[1]
_SOURCES = (sorted((_PACKAGE / "engine").glob("*.py"))
            + [_PACKAGE / "model" / "laws.py", _PACKAGE / "model" / "parameters.py"])



def _numba_caching(*names: str) -> Any:
    """The first of ``names`` numba's caching module has (public since numba 0.62)."""
    for name in names:
        if hasattr(caching, name):
            return getattr(caching, name)
    raise ImportError(f"numba.core.caching has none of {names}")


_LOCATORS = _numba_caching("CacheImpl", "_CacheImpl")
_IN_TREE = _numba_caching("InTreeCacheLocator", "_InTreeCacheLocator")


class EngineCacheLocator(_IN_TREE):  # type: ignore[misc, valid-type]
    """numba's in-tree cache for the engine, stamped with every file it compiles from."""

    def get_source_stamp(self) -> str:
        digest = hashlib.sha256()
        for path in _SOURCES:
            digest.update(path.read_bytes())
        return digest.hexdigest()

    @classmethod
    def from_function(cls, py_func: Any, py_file: str) -> Any:
        if Path(py_file).resolve().parent != _PACKAGE / "engine":
            return None
        return super().from_function(py_func, py_file)


if EngineCacheLocator not in _LOCATORS._locator_classes:
    _LOCATORS._locator_classes.insert(0, EngineCacheLocator)
