"""Virtual populations drawn from data: empirical resampling and Allen-style selection.

Three ways to get a virtual cohort, from the least to the most data-driven:

- parametric: :meth:`Cohort.sample <tumorsim.cohort.population.Cohort.sample>` draws every
  covariate from a :class:`~tumorsim.model.scenario.PopulationSpec` distribution;
- empirical: :func:`sample_empirical` resamples whole rows of a data cohort (the
  bootstrap), which keeps the joint distribution of the covariates — age with menopause,
  ER with PR, size with nodes — exactly as in the data, at the price of never producing
  a combination the data lacks;
- staged: :func:`sample_stage` draws parametric patients and keeps those of a given T
  and N make-up (tumour size and positive-node ranges), for cohorts such as "T1N1-3"
  (docs/model.md §5, claim K3);
- selected: :func:`select_virtual_population` takes a large *plausible* cohort (sampled
  either way) and keeps each patient with a probability that turns its covariate
  distribution into a *target* one (Allen, Rieger & Musante 2016, CPT Pharmacometrics
  Syst Pharmacol 5:140), e.g. to match another trial's tumour-size and node mix.

Everything is deterministic for a seed; draws are made per patient on her own random
stream (as in :meth:`Cohort.sample`), so patient ``k``'s draw does not depend on how many
patients are drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tumorsim.cohort.population import Cohort
from tumorsim.engine.random import PURPOSE_COVARIATES, patient_uniforms
from tumorsim.errors import CohortError
from tumorsim.model.scenario import PopulationSpec

__all__ = [
    "PURPOSE_SELECTION",
    "TargetHistogram",
    "sample_empirical",
    "sample_stage",
    "select_virtual_population",
]

PURPOSE_SELECTION: Final[int] = 101
"""Stream used to accept or reject a plausible patient in :func:`select_virtual_population`
(kept clear of the engine's purposes 1-3)."""

_MAX_RAKING_ITERATIONS: Final[int] = 1000
_RAKING_TOLERANCE: Final[float] = 1e-10
_RAKING_GIVE_UP: Final[float] = 1e-4


class TargetHistogram(BaseModel):
    """A target distribution of one covariate as a histogram.

    Bins are ``[edges[i], edges[i+1])``, the last one closed: ``[edges[-2], edges[-1]]``.
    Weights are relative (normalised to sum 1). For a categorical covariate put each
    category in its own bin, e.g. grade: ``edges = (0.5, 1.5, 2.5, 3.5)``.

    Attributes
    ----------
    edges : tuple of float
        Strictly increasing, at least two.
    weights : tuple of float
        One per bin, >= 0, not all zero.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    edges: tuple[float, ...] = Field(min_length=2)
    weights: tuple[float, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> TargetHistogram:
        if len(self.weights) != len(self.edges) - 1:
            raise ValueError(
                f"{len(self.edges)} edges make {len(self.edges) - 1} bins but "
                f"{len(self.weights)} weights were given"
            )
        if any(b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
            raise ValueError("edges must be strictly increasing")
        if not all(np.isfinite(self.edges)):
            raise ValueError("edges must be finite")
        if any(w < 0 or not np.isfinite(w) for w in self.weights) or sum(self.weights) <= 0:
            raise ValueError("weights must be finite, >= 0 and not all zero")
        return self

    @property
    def probabilities(self) -> np.ndarray:
        """Weights normalised to sum 1, shape (bins,)."""
        w = np.asarray(self.weights, dtype=float)
        return w / w.sum()

    def bin_of(self, values: np.ndarray) -> np.ndarray:
        """Bin index of each value; -1 outside ``[edges[0], edges[-1]]`` (or NaN)."""
        x = np.asarray(values, dtype=float)
        edges = np.asarray(self.edges)
        index = np.searchsorted(edges, x, side="right") - 1
        index = np.where(x == edges[-1], len(edges) - 2, index)
        inside = (x >= edges[0]) & (x <= edges[-1])
        return np.where(inside, index, -1).astype(np.int64)


def sample_empirical(cohort: Cohort, n: int, seed: int, first_id: int = 0) -> Cohort:
    """Resample whole patients (rows) of a data cohort, with replacement.

    Each virtual patient copies every column of one real patient, so the joint
    distribution of the covariates (and of recorded treatment, outcome and extra
    columns) is the data's: correlations such as ER with PR or size with nodes are kept,
    and no unseen combination appears. Use it when the data cohort is the population of
    interest; use :meth:`Cohort.sample` to extrapolate, or
    :func:`select_virtual_population` to re-weight towards another population.

    Parameters
    ----------
    cohort : Cohort
        The data cohort (at least one patient).
    n : int
        Virtual patients to draw, >= 0.
    seed : int
        Master seed. Virtual patient ``k`` picks her row with a uniform from her own
        covariate stream ``(seed, first_id + k)``, so the first ``m`` patients are the
        same whatever ``n`` is.
    first_id : int, default 0
        ``patient_id`` of the first virtual patient.

    Returns
    -------
    Cohort
        ``n`` rows with ``patient_id = first_id .. first_id + n - 1`` (new ids: repeated
        draws of one woman are different virtual patients, on different random streams)
        and ``source_row``, the 0-based row drawn; all other columns are copied (the
        real patient's own id in ``source_patient_id``).
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if len(cohort) == 0:
        raise ValueError("cannot resample an empty cohort")
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    u = patient_uniforms(seed, ids, 1, PURPOSE_COVARIATES)[:, 0]
    rows = np.minimum((u * len(cohort)).astype(np.int64), len(cohort) - 1)
    frame = cohort.covariates.iloc[rows].reset_index(drop=True)
    frame = frame.rename(columns={"patient_id": "source_patient_id"})
    frame = frame.drop(columns=["source_row"], errors="ignore")
    frame.insert(0, "source_row", rows)
    frame.insert(0, "patient_id", ids)
    return Cohort(frame)


def sample_stage(
    population: PopulationSpec,
    n: int,
    seed: int,
    *,
    tumour_size_mm: tuple[float, float],
    positive_nodes: tuple[int, int],
) -> Cohort:
    """Parametric patients of one T and N make-up, by acceptance-rejection.

    Plausible patients are drawn with :meth:`Cohort.sample` from ``population`` with its
    node distribution restricted to the wanted side (all node-negative when
    ``positive_nodes == (0, 0)``, all node-positive otherwise); a patient is kept when
    her tumour size lies in ``(low, high]`` mm and her positive nodes in ``[low, high]``.
    Within the ranges the population's distributions (size, nodes, age, grade, ER, PR)
    are kept, truncated.

    Parameters
    ----------
    population : PopulationSpec
    n : int
        Patients wanted, >= 1.
    seed : int
        Master seed; plausible patient ``k`` is drawn on stream ``(seed, k)`` and keeps
        ``patient_id = k``, so the result is the same for a seed whatever ``n`` and
        batching.
    tumour_size_mm : (float, float)
        ``(low, high]``, e.g. ``(0, 20)`` for T1.
    positive_nodes : (int, int)
        ``[low, high]``, e.g. ``(1, 3)``.

    Returns
    -------
    Cohort
        ``n`` patients, ``patient_id`` increasing (not contiguous).

    Raises
    ------
    CohortError
        If the ranges are empty or fewer than one plausible patient in 1000 is kept.
    """
    size_low, size_high = tumour_size_mm
    nodes_low, nodes_high = positive_nodes
    if n < 1 or size_low >= size_high or nodes_low > nodes_high or nodes_low < 0:
        raise CohortError("sample_stage", f"n = {n}, tumour_size_mm = {tumour_size_mm}, "
                          f"positive_nodes = {positive_nodes}: empty request",
                          "n >= 1, size low < high, 0 <= nodes low <= high")
    plausible_population = population.model_copy(
        update={"node_negative_fraction": 1.0 if nodes_high == 0 else 0.0})
    batch = max(4 * n, 1000)
    kept: list[pd.DataFrame] = []
    total = 0
    first = 0
    while total < n:
        if first >= 1000 * n + batch:
            raise CohortError("sample_stage", f"fewer than 1 in 1000 plausible patients have "
                              f"tumour size in {tumour_size_mm} mm and nodes in "
                              f"{positive_nodes}", "wider ranges or another population")
        cov = Cohort.sample(plausible_population, batch, seed, first_id=first).covariates
        size = cov["tumour_size_mm"].to_numpy(float)
        nodes = cov["positive_nodes"].to_numpy()
        keep = ((size > size_low) & (size <= size_high)
                & (nodes >= nodes_low) & (nodes <= nodes_high))
        kept.append(cov[keep])
        total += int(keep.sum())
        first += batch
    return Cohort(pd.concat(kept, ignore_index=True).iloc[:n].reset_index(drop=True))


def select_virtual_population(
    plausible: Cohort,
    target: Mapping[str, TargetHistogram | Mapping[str, Any]],
    seed: int,
) -> Cohort:
    """Select a virtual population whose covariates follow target histograms.

    The acceptance-rejection step of Allen, Rieger & Musante (2016): plausible patient
    ``i`` is kept with probability

        p_i = beta * rho_target(x_i) / rho_plausible(x_i)

    where the densities are over the joint bins of the targeted covariates and ``beta``
    is the largest value with every ``p_i <= 1`` (``beta = 1 / max ratio``: the most
    patients without distorting the distribution; Allen et al. tune ``beta`` by a
    goodness-of-fit search instead). Kept patients then follow ``rho_target`` bin by bin,
    and keep the plausible population's distribution within a bin and of every covariate
    not targeted.

    Bins: each targeted covariate is binned by its :class:`TargetHistogram` edges; a
    joint bin is one combination of bins (``prod(bins)`` cells).
    ``rho_plausible`` is the fraction of plausible patients in each joint bin.
    ``rho_target`` is the joint distribution closest to the plausible one (least
    Kullback-Leibler divergence) whose marginals are the target histograms, found by
    iterative proportional fitting (raking) over the joint bins: with one covariate it
    is just the target histogram; with several it keeps the plausible population's
    associations between them (e.g. ER with PR) instead of assuming independence.

    Parameters
    ----------
    plausible : Cohort
        Candidates, e.g. :meth:`Cohort.sample` or :func:`sample_empirical` with many
        patients (the selection keeps roughly ``n * mean(p)``).
    target : mapping of str to TargetHistogram (or its fields as a dict)
        Column name -> target histogram, e.g.
        ``{"tumour_size_mm": {"edges": [0, 20, 50, 200], "weights": [0.5, 0.4, 0.1]}}``.
    seed : int
        Master seed; patient ``i`` accepts with a uniform from her stream
        ``(seed, patient_id, PURPOSE_SELECTION)``, so the decision for a patient does not
        depend on the rest of the cohort.

    Returns
    -------
    Cohort
        The accepted patients, in plausible order, with all their columns and their own
        ``patient_id`` (hence their own random streams) unchanged.

    Raises
    ------
    tumorsim.errors.CohortError
        A target column is missing or not numeric, a target histogram is invalid, or a
        target bin with weight > 0 holds no plausible patient (no selection can reach
        it: sample a wider plausible population). Patients outside a target's edges are
        never accepted.
    """
    from pydantic import ValidationError

    if not target:
        raise CohortError(None, "no target histograms given", "at least one column",
                          label="expected")
    covariates = plausible.covariates
    histograms: dict[str, TargetHistogram] = {}
    for column, spec in target.items():
        if column not in covariates:
            raise CohortError("plausible cohort", "not found",
                              ", ".join(map(str, covariates.columns)), column=column,
                              label="columns present")
        try:
            histograms[column] = (spec if isinstance(spec, TargetHistogram)
                                  else TargetHistogram.model_validate(spec))
        except ValidationError as exc:
            message = exc.errors(include_url=False)[0].get("msg", str(exc))
            raise CohortError("target histogram", str(message),
                              "edges (increasing) and one weight >= 0 per bin",
                              column=column, label="expected") from None

    n = len(plausible)
    bins: list[np.ndarray] = []
    inside = np.ones(n, dtype=bool)
    for column, histogram in histograms.items():
        try:
            values = covariates[column].to_numpy(dtype=float)
        except (TypeError, ValueError):
            raise CohortError("plausible cohort", "not numeric", "a numeric column",
                              column=column, label="expected") from None
        b = histogram.bin_of(values)
        bins.append(b)
        inside &= b >= 0

    weights = np.where(inside, 1.0, 0.0)
    for column, histogram, b in zip(histograms, histograms.values(), bins, strict=True):
        counts = np.bincount(b[inside], minlength=len(histogram.weights))
        empty = (counts == 0) & (histogram.probabilities > 0)
        if empty.any():
            i = int(np.argmax(empty))
            raise CohortError(
                "plausible cohort", f"no patient in target bin [{histogram.edges[i]:g}, "
                f"{histogram.edges[i + 1]:g}] (target weight "
                f"{histogram.probabilities[i]:.3g})",
                "plausible patients in every bin with target weight > 0",
                column=column, label="expected",
            )
    if not inside.any():  # pragma: no cover - the bin check above catches it
        return Cohort(covariates.iloc[:0].reset_index(drop=True))

    # Raking: scale the weights until every weighted marginal equals its target.
    for _ in range(_MAX_RAKING_ITERATIONS):
        worst = 0.0
        for histogram, b in zip(histograms.values(), bins, strict=True):
            p = histogram.probabilities
            current = np.bincount(b[inside], weights=weights[inside], minlength=len(p))
            current = current / current.sum()
            worst = max(worst, float(np.abs(current - p).max()))
            factor = np.divide(p, current, out=np.zeros_like(p), where=current > 0)
            weights[inside] *= factor[b[inside]]
        if worst < _RAKING_TOLERANCE:
            break
    if worst > _RAKING_GIVE_UP:
        raise CohortError(
            "target histograms", f"cannot be met together by this plausible population "
            f"(marginals off by up to {worst:.2g} after {_MAX_RAKING_ITERATIONS} sweeps)",
            "targets that some mix of the plausible joint bins can reach", label="expected",
        )

    # weights[i] = rho_target / rho_plausible of i's joint bin (up to a constant).
    accept_probability = weights / weights.max()
    u = patient_uniforms(seed, plausible.patient_ids, 1, PURPOSE_SELECTION)[:, 0]
    keep = u < accept_probability
    return Cohort(covariates.loc[keep].reset_index(drop=True))
