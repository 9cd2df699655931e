"""Virtual cohorts: one row of covariates per patient.

A :class:`Cohort` is a table with a global ``patient_id`` and the covariates of
docs/model.md §1 (age, menopausal status, tumour size, grade, positive nodes, ER and PR
in fmol/mg). Cohorts are sampled from a :class:`~tumorsim.model.scenario.PopulationSpec`;
each patient's covariates come from her own random stream, so patient 17 is the same
woman whatever the cohort size or chunking. Cohorts of real patients come from a table
through :func:`tumorsim.cohort.data.cohort_from_dataframe` (column maps and checks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
from scipy.special import ndtri

from tumorsim.engine.random import PURPOSE_COVARIATES, patient_uniforms
from tumorsim.model.scenario import PopulationSpec

COVARIATE_COLUMNS: Final[tuple[str, ...]] = (
    "age_years",
    "postmenopausal",
    "tumour_size_mm",
    "grade",
    "positive_nodes",
    "er_fmol",
    "pr_fmol",
)
"""Covariates every cohort carries, in this order, after ``patient_id``."""

RECEPTOR_POSITIVE_FMOL: Final[float] = 10.0
"""ER or PR positive at >= 10 fmol/mg (the GBSG2 convention, docs/model.md §5)."""


@dataclass(frozen=True)
class Cohort:
    """Covariates of a virtual cohort.

    Attributes
    ----------
    covariates : pandas.DataFrame
        Columns ``patient_id`` (int64, global and unique) and :data:`COVARIATE_COLUMNS`;
        extra columns are kept and ignored by the engine.
    """

    covariates: pd.DataFrame

    def __post_init__(self) -> None:
        missing = [c for c in ("patient_id", *COVARIATE_COLUMNS) if c not in self.covariates]
        if missing:
            raise ValueError(f"cohort is missing column(s) {', '.join(missing)}")

    def __len__(self) -> int:
        return len(self.covariates)

    @property
    def patient_ids(self) -> np.ndarray:
        """Global patient identifiers, shape (n,)."""
        return self.covariates["patient_id"].to_numpy(np.int64)

    def slice(self, start: int, stop: int) -> Cohort:
        """Patients at positions ``start:stop`` (a chunk)."""
        return Cohort(self.covariates.iloc[start:stop].reset_index(drop=True))

    @classmethod
    def sample(
        cls, population: PopulationSpec, patients: int, seed: int, first_id: int = 0
    ) -> Cohort:
        """Sample ``patients`` virtual women from parametric covariate distributions.

        Parameters
        ----------
        population : PopulationSpec
            Distributions (see its docstring).
        patients : int
            Number of patients.
        seed : int
            Master seed; patient ``k`` uses stream ``(seed, first_id + k)``.
        first_id : int, default 0
            Identifier of the first patient.

        Returns
        -------
        Cohort
        """
        ids = np.arange(first_id, first_id + patients, dtype=np.int64)
        u = patient_uniforms(seed, ids, 9, PURPOSE_COVARIATES)
        pop = population
        age = np.clip(pop.age_mean_years + pop.age_sd_years * ndtri(u[:, 0]),
                      pop.age_min_years, pop.age_max_years)
        size = np.clip(np.exp(np.log(pop.tumour_size_median_mm)
                              + pop.tumour_size_log_sd * ndtri(u[:, 1])),
                       pop.tumour_size_min_mm, pop.tumour_size_max_mm)
        p1, p2, _ = pop.grade_probabilities
        grade = 1 + (u[:, 2] >= p1).astype(np.int64) + (u[:, 2] >= p1 + p2).astype(np.int64)
        nodes = np.zeros(patients, dtype=np.int64)
        positive = u[:, 3] >= pop.node_negative_fraction
        extra_mean = pop.nodes_mean_if_positive - 1.0
        if extra_mean > 0:
            # geometric on 0, 1, 2... with mean extra_mean
            q = extra_mean / (1.0 + extra_mean)
            extra = np.floor(np.log(u[:, 4]) / np.log(q)).astype(np.int64)
        else:
            extra = np.zeros(patients, dtype=np.int64)
        nodes[positive] = 1 + extra[positive]
        er_pos = u[:, 5] < pop.er_positive_fraction
        pr_pos = er_pos & (u[:, 7] < pop.pr_positive_fraction_if_er_positive)
        er = _receptor_fmol(er_pos, u[:, 6], pop)
        pr = _receptor_fmol(pr_pos, u[:, 8], pop)
        frame = pd.DataFrame(
            {
                "patient_id": ids,
                "age_years": age,
                "postmenopausal": (age >= pop.menopause_age_years).astype(np.int64),
                "tumour_size_mm": size,
                "grade": grade,
                "positive_nodes": nodes,
                "er_fmol": er,
                "pr_fmol": pr,
            }
        )
        return cls(frame)


def _receptor_fmol(positive: np.ndarray, u: np.ndarray, pop: PopulationSpec) -> np.ndarray:
    """Lognormal above the cut-off when positive, uniform below it when negative."""
    pos = np.maximum(np.exp(pop.receptor_fmol_log_median + pop.receptor_fmol_log_sd * ndtri(u)),
                     RECEPTOR_POSITIVE_FMOL)
    neg = np.floor(u * RECEPTOR_POSITIVE_FMOL)
    return np.where(positive, pos, neg)
