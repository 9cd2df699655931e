"""A parameter ensemble: many values of the biology, each a draw of what we do not know.

An ensemble run spreads its patients over the draws (each patient under one draw, chosen
on her own random stream), so it costs what a point run of the same size costs, and every
statistic can carry an interval that includes parameter uncertainty
(:mod:`tumorsim.analysis.ensemble`). Draws come from a posterior (the calibration's
``posterior_draws.parquet``) or from priors (:meth:`Ensemble.from_priors`).

A draw sets values by name: registry parameters (``"myeloid_chemo_protection"``), site
attributes (``"sites.lung.deep_dormancy_share"``; ``"sites.deep_dormancy_share"`` for
every metastatic site but bone, as the calibration fits it) and clone attributes
(``"clones.ERneg.motility_multiplier"``); what a draw does not name keeps the base
scenario's value. A calibration's draws may also carry cohort selection effects
(``"cohort.transbig.dissemination_multiplier"``, :data:`COHORT_EFFECT_PREFIX`): they
describe a data set the calibration was fitted to, not the biology, so an ensemble read
from such a file leaves them out (:mod:`tumorsim.io.ensemble_file`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from tumorsim.model.anatomy import METASTATIC_SITES
from tumorsim.model.parameters import PARAMETERS
from tumorsim.model.scenario import Scenario

__all__ = ["COHORT_EFFECT_ATTRIBUTE", "COHORT_EFFECT_PREFIX", "Ensemble", "PriorRange",
           "parameters_text", "split_cohort_effects", "with_values"]

COHORT_EFFECT_PREFIX = "cohort."
"""Column names of cohort selection effects in a calibration's draws (not the biology)."""

COHORT_EFFECT_ATTRIBUTE = "dissemination_multiplier"
"""What a cohort selection effect multiplies: ``cohort.<data set>.dissemination_multiplier``."""


def split_cohort_effects(values: Mapping[str, float]
                         ) -> tuple[dict[str, float], dict[str, float]]:
    """``values`` split into the biology's values and the cohort selection effects (data
    set -> multiplier); a ``cohort.`` name of another form raises ``ValueError``."""
    biology: dict[str, float] = {}
    effects: dict[str, float] = {}
    for name, value in values.items():
        if not str(name).startswith(COHORT_EFFECT_PREFIX):
            biology[str(name)] = float(value)
            continue
        parts = str(name).split(".")
        if len(parts) != 3 or parts[2] != COHORT_EFFECT_ATTRIBUTE or not parts[1]:
            raise ValueError(f"{name}: not a cohort effect; allowed: "
                             f"{COHORT_EFFECT_PREFIX}<data set>.{COHORT_EFFECT_ATTRIBUTE}")
        effects[parts[1]] = float(value)
    return biology, effects


def with_values(base: Scenario, values: Mapping[str, float]) -> Scenario:
    """``base`` with values set by name (the names of the module docstring).

    ``sites.<attribute>`` sets every metastatic site but bone (the calibration fits bone,
    which favours deep dormancy, apart from the soft sites).
    """
    parameters: dict[str, float] = {}
    sites: dict[str, dict[str, float]] = {}
    clones: dict[str, dict[str, float]] = {}
    for name, value in values.items():
        parts = str(name).split(".")
        if parts[0] == "sites" and len(parts) == 3:
            sites.setdefault(parts[1], {})[parts[2]] = float(value)
        elif parts[0] == "sites" and len(parts) == 2:
            for site in METASTATIC_SITES:
                if site != "bone":
                    sites.setdefault(site, {})[parts[1]] = float(value)
        elif parts[0] == "clones":
            clones.setdefault(parts[1], {})[parts[2]] = float(value)
        else:
            parameters[str(name)] = float(value)
    return base.with_changes(parameters=parameters, sites=sites, clones=clones)


@dataclass(frozen=True)
class PriorRange:
    """A uniform prior on a scale over [low, high] (``"log"``: log-uniform)."""

    low: float
    high: float
    scale: Literal["linear", "log"] = "linear"

    def sample(self, u: np.ndarray) -> np.ndarray:
        """Values at the quantiles ``u`` (in [0, 1])."""
        if self.scale == "log":
            return np.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        return self.low + u * (self.high - self.low)


@dataclass(frozen=True)
class Ensemble:
    """Parameter draws (one row each) and where they come from.

    Attributes
    ----------
    draws : pandas.DataFrame
        One row per draw, one column per parameter name (see the module docstring).
    source : str
        Where the draws come from, printed with every ensemble result.
    """

    draws: pd.DataFrame
    source: str

    def __post_init__(self) -> None:
        if len(self.draws) < 1:
            raise ValueError("an ensemble needs at least one draw")
        for name in self.draws.columns:
            parts = name.split(".")
            if name not in PARAMETERS and not (len(parts) == 3
                                               and parts[0] in ("sites", "clones")) and not (
                    len(parts) == 2 and parts[0] == "sites"):
                raise ValueError(f"ensemble column {name!r}: not a parameter, "
                                 "sites.<site>.<attribute>, sites.<attribute> or "
                                 "clones.<clone>.<attribute>")

    def __len__(self) -> int:
        return len(self.draws)

    def sha256(self) -> str:
        """SHA-256 (hex) of the draws as CSV, header included: another posterior, another
        draw of the mechanism priors or another column order gives another digest; the
        source's name does not enter."""
        import hashlib

        return hashlib.sha256(self.draws.to_csv(index=False).encode()).hexdigest()

    def scenarios(self, base: Scenario) -> list[Scenario]:
        """``base`` under each draw."""
        return [with_values(base, row) for row in self.draws.to_dict("records")]

    def with_priors(self, priors: Mapping[str, PriorRange], seed: int,
                    what: str = "priors") -> Ensemble:
        """These draws with columns for ``priors`` added, one prior draw per row.

        The prior draws are a seeded Latin hypercube, independent of the existing columns
        (the parameters have independent priors). A name already in the draws is an error.
        """
        clash = sorted(set(priors) & set(self.draws.columns))
        if clash:
            raise ValueError(f"already in the ensemble: {', '.join(clash)}")
        added = Ensemble.from_priors(priors, len(self), seed, what)
        return Ensemble(pd.concat([self.draws.reset_index(drop=True), added.draws], axis=1),
                        f"{self.source}; {added.source}")

    def median(self) -> Ensemble:
        """One draw: the median of each column (a point run "at the ensemble median")."""
        return Ensemble(self.draws.median().to_frame().T.reset_index(drop=True),
                        f"the median of {self.source}")

    @classmethod
    def from_priors(cls, priors: Mapping[str, PriorRange], draws: int, seed: int,
                    source: str = "priors") -> Ensemble:
        """``draws`` draws from independent priors (a Latin hypercube, seeded)."""
        from scipy.stats import qmc

        names: Sequence[str] = list(priors)
        u = qmc.LatinHypercube(d=len(names), seed=np.random.default_rng(seed)).random(draws)
        table = pd.DataFrame({n: priors[n].sample(u[:, k]) for k, n in enumerate(names)})
        ranges = ", ".join(f"{n} {priors[n].scale} [{priors[n].low:g}, {priors[n].high:g}]"
                           for n in names)
        return cls(table, f"{source}: {ranges} ({draws} draws, seed {seed})")


def parameters_text(ensemble: Ensemble | None) -> str:
    """What parameters a run used, for its printed summary and its report."""
    if ensemble is None:
        return "the scenario's own values (--ensemble none): one set, no parameter uncertainty"
    if len(ensemble) == 1:
        return f"one set (point run): {ensemble.source}"
    return ensemble.source
