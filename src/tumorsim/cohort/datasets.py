"""Calibration data sets: GBSG2, TRANSBIG (GSE7390) and GSE2034, split once, with targets.

Three data sets of real women, all installable from PyPI and read from files inside the
installed packages (no network), become :class:`~tumorsim.cohort.population.Cohort`\\ s
through column maps like GBSG2's (:mod:`tumorsim.cohort.data`):

=========  ==============================  =====  ====================  =====================
name       source                          women  event                 covariates missing
=========  ==============================  =====  ====================  =====================
gbsg2      ``lifelines.datasets.           686    recurrence-free       none
           load_gbsg2``                           survival (RFS)
transbig   ``sksurv.datasets.              198    distant metastasis    PR (drawn), menopause
           load_breast_cancer``                   (DMFS)                (from age), ER fmol
           (GSE7390)                                                    (from status); grade
                                                                        of 2 women (drawn)
gse2034    ``oncodatasets.load_dataset(    286    distant relapse       age, size, grade, PR
           'breast_lymph_node')``                 (DMFS)                (all drawn), ER fmol
                                                                        (from status)
=========  ==============================  =====  ====================  =====================

TRANSBIG and GSE2034 are node-negative women without adjuvant systemic therapy, so
``positive_nodes = 0``, ``hormone_therapy = 0`` and ``chemotherapy = 0``. Their
``relapse_event`` is a **distant metastasis** (DMFS), unlike GBSG2's RFS event; compare
them with a simulation's ``dmfs_*`` columns (:attr:`DataSet.endpoint`).

What is drawn, and how it is said
---------------------------------
A covariate the data lacks is never set silently. It is drawn for each woman from a
:class:`~tumorsim.model.scenario.PopulationSpec` (the package default unless one is given)
**given her ER status**, with :meth:`Cohort.sample
<tumorsim.cohort.population.Cohort.sample>` on her own covariate stream
``(seed, patient_id, PURPOSE_COVARIATES)``: woman ``k`` gets the same draw whatever the
cohort size. The cohort's ``drawn_covariates`` column lists, per woman, what was drawn;
:attr:`DataSet.notes` says it in sentences (``"pr_fmol: PR drawn from the population's
distribution given ER ..."``) and :attr:`DataSet.source` ends with ``"PR drawn from ...
given ER"``. ER known only as a status is assigned :data:`ER_STATUS_FMOL` (documented
values, also in the notes).

Training and held-out parts
---------------------------
TRANSBIG and GSE2034 were split once, before any statistic was computed, into a training
part (2/3) and a held-out part (1/3), stratified by event and ER status with seed
:data:`SPLIT_SEED` (:func:`make_split`). The patient ids of each part are packaged in
``tumorsim/data/splits/<name>.json`` with the command that wrote them::

    python -m tumorsim.cohort.datasets write-splits src/tumorsim/data/splits

together with a fingerprint of the data, checked on load. :func:`training_cohort` and
:func:`km_targets` use the training part only; :func:`held_out_cohort` is for the final
check of a calibration. GBSG2's split is :func:`tumorsim.analysis.gbsg2.split_gbsg2`.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Final, Literal

import numpy as np
import pandas as pd

from tumorsim.cohort.data import ColumnMap, cohort_from_dataframe, load_gbsg2
from tumorsim.cohort.population import RECEPTOR_POSITIVE_FMOL, Cohort
from tumorsim.errors import TumorsimError
from tumorsim.model.scenario import PopulationSpec

__all__ = [
    "dataset_name",
    "DATASET_NAMES",
    "DRAW_SEED",
    "ER_STATUS_FMOL",
    "GSE2034_COLUMNS",
    "KM_TARGET_YEARS",
    "SPLIT_DATASETS",
    "SPLIT_SEED",
    "TRAIN_FRACTION",
    "TRANSBIG_COLUMNS",
    "DataSet",
    "Split",
    "gse2034_population",
    "gse2034_table",
    "held_out_cohort",
    "load_dataset",
    "load_gse2034",
    "load_nki70",
    "NKI70_COLUMNS",
    "NKI70_NODES",
    "NKI70_SIZE_MM",
    "nki70_table",
    "load_split",
    "load_transbig",
    "make_split",
    "training_cohort",
    "transbig_table",
    "write_split_files",
]

DatasetName = Literal["gbsg2", "transbig", "gse2034"]

DATASET_NAMES: Final[tuple[str, ...]] = ("gbsg2", "transbig", "gse2034")
"""Names :func:`load_dataset` accepts (``tumorsim twin --dataset NAME``)."""

SPLIT_DATASETS: Final[tuple[str, ...]] = ("transbig", "gse2034")
"""Data sets with a packaged training / held-out split."""

DRAW_SEED: Final[int] = 2026
"""Default master seed of the covariates drawn for women whose data lack them."""

SPLIT_SEED: Final[int] = 2026
"""Seed of the packaged training / held-out splits (fixed before any data was looked at)."""

TRAIN_FRACTION: Final[float] = 2 / 3
"""Share of each stratum (event x ER) in the training part."""

KM_TARGET_YEARS: Final[tuple[int, ...]] = (1, 3, 5, 10)
"""Years at which :func:`km_targets` reports Kaplan-Meier survival."""

ER_STATUS_FMOL: Final[dict[str, float]] = {"positive": 90.0, "negative": 5.0}
"""ER in fmol/mg given to a woman whose data record only her ER status.

ER+ gets 90 fmol/mg, the median ER+ level of the package's population (``exp(4.5)``,
:attr:`PopulationSpec.receptor_fmol_log_median`); ER- gets 5 fmol/mg, the middle of the
ER- range 0-9 fmol/mg. The model reads ER only as positive (>= 10 fmol/mg) or not, so the
values only need to fall on the right side of the cut."""

_DAYS_PER_YEAR: Final[float] = 365.25
_DAYS_PER_MONTH: Final[float] = 365.25 / 12
_SPLIT_DIRECTORY: Final[tuple[str, ...]] = ("data", "splits")
_SPLIT_COMMAND: Final[str] = "python -m tumorsim.cohort.datasets write-splits {directory}"
_TRANSBIG_GRADES: Final[dict[str, int]] = {
    "well differentiated": 1,
    "intermediate": 2,
    "poorly differentiated": 3,
}
_GRADE_LABEL: Final[dict[int, str]] = {v: k for k, v in _TRANSBIG_GRADES.items()}
_CLINICAL_TRANSBIG: Final[tuple[str, ...]] = ("age", "size", "grade", "er")


TRANSBIG_COLUMNS: Final[ColumnMap] = ColumnMap(
    name="TRANSBIG",
    age_years="age",
    postmenopausal="postmenopausal_from_age",
    tumour_size_mm="size_mm",
    grade="grade",
    positive_nodes="positive_nodes",
    er_fmol="er",
    pr_fmol="pr_fmol",
    hormone_therapy="hormone_therapy",
    chemotherapy="chemotherapy",
    follow_up_days="t.tdm",
    relapse_event="e.tdm",
    values={
        "grade": {k: float(v) for k, v in _TRANSBIG_GRADES.items()},
        "er_fmol": dict(ER_STATUS_FMOL),
    },
)
"""The map of :func:`transbig_table`: scikit-survival's columns (``age`` in years,
``grade``, ``er``, ``t.tdm`` in days, ``e.tdm``) plus the columns the table adds
(``size_mm`` = ``size`` in cm x 10, ``postmenopausal_from_age``, ``positive_nodes`` = 0,
no therapy, and the drawn ``pr_fmol``)."""

GSE2034_COLUMNS: Final[ColumnMap] = ColumnMap(
    name="GSE2034",
    age_years="age_years",
    postmenopausal="postmenopausal",
    tumour_size_mm="tumour_size_mm",
    grade="grade",
    positive_nodes="positive_nodes",
    er_fmol="ER",
    pr_fmol="pr_fmol",
    hormone_therapy="hormone_therapy",
    chemotherapy="chemotherapy",
    follow_up_days="time_survival",
    follow_up_unit="months",
    relapse_event="event_survival",
    values={"er_fmol": {"pos": ER_STATUS_FMOL["positive"], "neg": ER_STATUS_FMOL["negative"]}},
)
"""The map of :func:`gse2034_table`: oncodatasets' ``ER`` (``pos``/``neg``),
``time_survival`` (months, converted to days at 365.25 / 12 days a month) and
``event_survival`` (1 = distant metastasis), plus the drawn covariates."""


# --- what a loader returns ---------------------------------------------------------------------


@dataclass(frozen=True)
class DataSet:
    """A calibration data set as a cohort, with what was drawn or assigned said in words.

    Attributes
    ----------
    name : str
        ``"gbsg2"``, ``"transbig"`` or ``"gse2034"``.
    cohort : Cohort
        One row per woman, ``patient_id`` = row position in the source package's order;
        covariates, ``hormone_therapy``, ``chemotherapy`` (TRANSBIG, GSE2034),
        ``follow_up_days`` (days), ``relapse_event`` (bool, the event of ``endpoint``),
        ``er_status`` and ``drawn_covariates`` (comma-separated, empty when nothing was
        drawn for her; TRANSBIG, GSE2034).
    source : str
        Where the data come from, with the package version, and what was drawn
        (``"...; PR drawn from the population's distribution given ER (seed 2026)"``).
    endpoint : {"rfs", "dmfs"}
        Which simulated endpoint ``relapse_event`` corresponds to.
    event : str
        The event in words.
    notes : tuple of str
        One sentence per drawn or assigned covariate; print them with the results.
    seed : int or None
        Master seed of the draws (``None`` when nothing was drawn).
    """

    name: str
    cohort: Cohort
    source: str
    endpoint: Literal["rfs", "dmfs"]
    event: str
    notes: tuple[str, ...]
    seed: int | None

    def __len__(self) -> int:
        return len(self.cohort)


def load_dataset(
    name: str, *, seed: int = DRAW_SEED, population: PopulationSpec | None = None
) -> DataSet:
    """A calibration data set by name, as a cohort with what was drawn.

    Parameters
    ----------
    name : {"gbsg2", "transbig", "gse2034"}
        Case-insensitive.
    seed : int, default :data:`DRAW_SEED`
        Master seed of the covariates drawn where the data lack them (TRANSBIG's PR;
        GSE2034's age, size, grade and PR). Unused for GBSG2.
    population : PopulationSpec, optional
        The population the draws come from, given each woman's ER; default
        ``PopulationSpec()``. Its node and ER distributions are not used.

    Returns
    -------
    DataSet

    Raises
    ------
    tumorsim.errors.TumorsimError
        Unknown name: ``"'xyz' given; allowed: gbsg2, transbig, gse2034"``.
    """
    key = dataset_name(name, DATASET_NAMES)
    if key == "gbsg2":
        return DataSet(
            name="gbsg2",
            cohort=load_gbsg2(),
            source=f"GBSG2 (lifelines {_version('lifelines')} load_gbsg2)",
            endpoint="rfs",
            event="recurrence-free survival event (recurrence or death)",
            notes=(),
            seed=None,
        )
    if key == "transbig":
        return load_transbig(seed=seed, population=population)
    return load_gse2034(seed=seed, population=population)


def dataset_name(name: str, allowed: Sequence[str]) -> str:
    key = str(name).strip().lower()
    if key not in allowed:
        raise TumorsimError(f"{name!r} given; allowed: {', '.join(allowed)}")
    return key


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:  # pragma: no cover - installed with tumorsim
        return "unknown version"


# --- TRANSBIG (GSE7390, scikit-survival) -------------------------------------------------------


def transbig_table() -> pd.DataFrame:
    """TRANSBIG's clinical columns and outcome as scikit-survival gives them.

    Returns
    -------
    pandas.DataFrame
        198 rows in scikit-survival's order: ``age`` (years), ``size`` (cm), ``grade``
        (``"well differentiated"``, ``"intermediate"``, ``"poorly differentiated"``, or
        ``"unkown"`` [sic] for 2 women), ``er`` (``"positive"``/``"negative"``), ``t.tdm``
        (days to distant metastasis or censoring) and ``e.tdm`` (bool, distant metastasis).
        The 76 gene-expression columns are left out.
    """
    from sksurv.datasets import load_breast_cancer

    features, outcome = load_breast_cancer()
    frame = pd.DataFrame(
        {
            c: features[c].astype(object if c in ("grade", "er") else float)
            for c in _CLINICAL_TRANSBIG
        }
    )
    frame["t.tdm"] = np.asarray(outcome["t.tdm"], dtype=float)
    frame["e.tdm"] = np.asarray(outcome["e.tdm"], dtype=bool)
    return frame.reset_index(drop=True)


def load_transbig(*, seed: int = DRAW_SEED, population: PopulationSpec | None = None) -> DataSet:
    """TRANSBIG / GSE7390 (198 node-negative women, no adjuvant therapy) as a cohort.

    Mapped with :data:`TRANSBIG_COLUMNS`: size cm -> mm; ``postmenopausal`` = age >= the
    population's menopause age (51 years by default; the data have no menopausal
    status); ``positive_nodes = 0``; no hormone therapy, no chemotherapy; ER status ->
    :data:`ER_STATUS_FMOL`; ``follow_up_days`` = ``t.tdm`` (already days);
    ``relapse_event`` = ``e.tdm``, a **distant metastasis** (not RFS).

    TRANSBIG has no PR: every woman's ``pr_fmol`` is drawn from the population's
    distribution given her ER (see the module docstring), and so is the grade of the 2
    women whose grade is ``"unkown"``. Both are listed in ``drawn_covariates`` and
    :attr:`DataSet.notes`.

    Parameters
    ----------
    seed : int, default :data:`DRAW_SEED`
        Master seed of the draws.
    population : PopulationSpec, optional
        Default ``PopulationSpec()``.

    Returns
    -------
    DataSet
    """
    population = PopulationSpec() if population is None else population
    frame = transbig_table()
    er_positive = (frame["er"] == "positive").to_numpy()
    drawn = _draw_given_er(er_positive, seed, population)
    unknown_grade = ~frame["grade"].isin(list(_TRANSBIG_GRADES)).to_numpy()
    grade = frame["grade"].to_numpy(dtype=object).copy()
    grade[unknown_grade] = [_GRADE_LABEL[int(g)] for g in drawn["grade"][unknown_grade]]

    table = pd.DataFrame(
        {
            "age": frame["age"],
            "postmenopausal_from_age": (
                frame["age"].to_numpy(float) >= population.menopause_age_years
            ).astype(np.int64),
            "size_mm": frame["size"].to_numpy(float) * 10.0,
            "grade": grade,
            "positive_nodes": 0,
            "er": frame["er"],
            "pr_fmol": drawn["pr_fmol"].to_numpy(float),
            "hormone_therapy": 0,
            "chemotherapy": 0,
            "t.tdm": frame["t.tdm"],
            "e.tdm": frame["e.tdm"],
            "er_status": np.where(er_positive, "ER+", "ER-"),
            "drawn_covariates": np.where(unknown_grade, "grade, pr_fmol", "pr_fmol"),
        }
    )
    source = (
        f"TRANSBIG / GSE7390 (scikit-survival {_version('scikit-survival')} "
        f"load_breast_cancer); PR drawn from the population's distribution given ER "
        f"(seed {seed})"
    )
    cohort = cohort_from_dataframe(table, TRANSBIG_COLUMNS, source=source)
    n = len(table)
    notes = (
        f"pr_fmol: TRANSBIG has no PR; PR drawn for all {n} women from the population's "
        f"distribution given ER (seed {seed}, each woman's covariate stream): "
        f"{_pr_rule(population)}",
        f"grade: recorded as 'unkown' for {int(unknown_grade.sum())} women; drawn from the "
        f"population's grade distribution {_grade_rule(population)} (same stream)",
        f"er_fmol: TRANSBIG records ER status only; ER+ -> {ER_STATUS_FMOL['positive']:g} "
        f"fmol/mg, ER- -> {ER_STATUS_FMOL['negative']:g} fmol/mg",
        f"postmenopausal: not recorded; 1 where age >= {population.menopause_age_years:g} years",
        "relapse_event: distant metastasis (t.tdm, e.tdm), not RFS; positive_nodes = 0, "
        "no adjuvant therapy (node-negative, untreated cohort)",
    )
    return DataSet(
        name="transbig",
        cohort=cohort,
        source=source,
        endpoint="dmfs",
        event="distant metastasis",
        notes=notes,
        seed=seed,
    )


# --- GSE2034 (oncodatasets 'breast_lymph_node', from R's beeswarm::breast) ---------------------


def gse2034_table() -> pd.DataFrame:
    """GSE2034 as oncodatasets gives it (R's ``beeswarm::breast``).

    Returns
    -------
    pandas.DataFrame
        286 rows in the package's order: ``ER`` (``"pos"``/``"neg"``), ``ESR1`` and
        ``ERBB2`` (RMA microarray expression), ``time_survival`` (months to distant
        metastasis or last follow-up, whole numbers) and ``event_survival`` (1 = distant
        metastasis, 0 = censored). No patient or GEO sample ids.
    """
    from oncodatasets import load_dataset as oncodatasets_load

    return oncodatasets_load("breast_lymph_node").reset_index(drop=True)


def load_gse2034(*, seed: int = DRAW_SEED, population: PopulationSpec | None = None) -> DataSet:
    """GSE2034 (286 node-negative women, no adjuvant therapy) as a cohort of twins-to-be.

    GSE2034 records only ER status, time to distant metastasis (months) and the event.
    It is a population-level target (:func:`km_targets` against :func:`gse2034_population`);
    this cohort exists so that ``tumorsim twin`` can run on it, and most of each woman's
    covariates are drawn: age, tumour size, grade and PR from the population given her ER
    (menopause from the drawn age), listed in ``drawn_covariates`` and
    :attr:`DataSet.notes`. Mapped with :data:`GSE2034_COLUMNS`: months -> days,
    ``positive_nodes = 0``, no hormone therapy, no chemotherapy, ER status ->
    :data:`ER_STATUS_FMOL`, ``relapse_event`` = distant metastasis.

    Parameters
    ----------
    seed : int, default :data:`DRAW_SEED`
    population : PopulationSpec, optional
        Default ``PopulationSpec()``.

    Returns
    -------
    DataSet
    """
    population = PopulationSpec() if population is None else population
    frame = gse2034_table()
    er_positive = (frame["ER"] == "pos").to_numpy()
    drawn = _draw_given_er(er_positive, seed, population)
    table = pd.DataFrame(
        {
            "ER": frame["ER"],
            "age_years": drawn["age_years"].to_numpy(float),
            "postmenopausal": drawn["postmenopausal"].to_numpy(np.int64),
            "tumour_size_mm": drawn["tumour_size_mm"].to_numpy(float),
            "grade": drawn["grade"].to_numpy(np.int64),
            "positive_nodes": 0,
            "pr_fmol": drawn["pr_fmol"].to_numpy(float),
            "hormone_therapy": 0,
            "chemotherapy": 0,
            "time_survival": frame["time_survival"],
            "event_survival": frame["event_survival"],
            "ESR1": frame["ESR1"],
            "ERBB2": frame["ERBB2"],
            "er_status": np.where(er_positive, "ER+", "ER-"),
            "drawn_covariates": "age_years, postmenopausal, tumour_size_mm, grade, pr_fmol",
        }
    )
    source = (
        f"GSE2034 (oncodatasets {_version('oncodatasets')} 'breast_lymph_node'); age, "
        f"size, grade and PR drawn from the population's distribution given ER "
        f"(seed {seed})"
    )
    cohort = cohort_from_dataframe(table, GSE2034_COLUMNS, source=source)
    n = len(table)
    notes = (
        f"age_years, tumour_size_mm, grade, pr_fmol: GSE2034 records none of them; drawn "
        f"for all {n} women from the population's distribution given ER (seed {seed}, each "
        f"woman's covariate stream): {_population_rule(population)}; PR: "
        f"{_pr_rule(population)}",
        f"postmenopausal: 1 where the drawn age >= {population.menopause_age_years:g} years",
        f"er_fmol: GSE2034 records ER status only; ER+ -> {ER_STATUS_FMOL['positive']:g} "
        f"fmol/mg, ER- -> {ER_STATUS_FMOL['negative']:g} fmol/mg",
        "follow_up_days: months x 365.25 / 12; relapse_event: distant metastasis, not RFS; "
        "positive_nodes = 0, no adjuvant therapy (node-negative, untreated cohort)",
    )
    return DataSet(
        name="gse2034",
        cohort=cohort,
        source=source,
        endpoint="dmfs",
        event="distant metastasis",
        notes=notes,
        seed=seed,
    )


def gse2034_population(
    patients: int,
    seed: int,
    *,
    population: PopulationSpec | None = None,
    er_positive_fraction: float | None = None,
    first_id: int = 0,
) -> Cohort:
    """A simulated population to compare with GSE2034's Kaplan-Meier curves by ER.

    Node-negative women without adjuvant therapy, with the ER mix of GSE2034's training
    part; every other covariate is drawn from ``population`` by :meth:`Cohort.sample`
    (GSE2034 records none of them).

    Parameters
    ----------
    patients : int
        Virtual women.
    seed : int
        Master seed (patient ``k`` uses her covariate stream ``(seed, first_id + k)``).
    population : PopulationSpec, optional
        Age, size, grade and receptor distributions; default ``PopulationSpec()``. Its
        ``node_negative_fraction`` is replaced by 1 and its ``er_positive_fraction`` by
        ``er_positive_fraction``.
    er_positive_fraction : float, optional
        Default: the share of ER+ women in GSE2034's training part.
    first_id : int, default 0

    Returns
    -------
    Cohort
        Covariates (``positive_nodes = 0``) plus ``hormone_therapy = 0``,
        ``chemotherapy = 0`` and ``er_status`` (``"ER+"``/``"ER-"``).
    """
    population = PopulationSpec() if population is None else population
    if er_positive_fraction is None:
        train = training_cohort("gse2034").covariates
        er_positive_fraction = float((train["er_fmol"] >= RECEPTOR_POSITIVE_FMOL).mean())
    if not 0.0 <= er_positive_fraction <= 1.0:
        raise TumorsimError(f"er_positive_fraction = {er_positive_fraction!r}: allowed: 0 to 1")
    spec = population.model_copy(
        update={"node_negative_fraction": 1.0, "er_positive_fraction": er_positive_fraction}
    )
    frame = Cohort.sample(spec, patients, seed, first_id=first_id).covariates
    frame = frame.assign(
        hormone_therapy=np.zeros(len(frame), dtype=np.int64),
        chemotherapy=np.zeros(len(frame), dtype=np.int64),
        er_status=np.where(frame["er_fmol"] >= RECEPTOR_POSITIVE_FMOL, "ER+", "ER-"),
    )
    return Cohort(frame)


# --- NKI70 (oncodatasets 'breast_cancer_nki70', from R's penalized::nki70): external only -------

NKI70_SIZE_MM: Final[dict[str, float]] = {"<=2cm": 16.0, ">2cm": 30.0}
"""Tumour size given to an NKI70 woman from her size category: the median diameter of
GBSG2's training women in the same category (split seed 2026; checked by a test)."""

NKI70_NODES: Final[dict[str, float]] = {"1-3": 1.0, ">=4": 7.0}
"""Positive nodes given to an NKI70 woman from her node category: the median of GBSG2's
training women in the same category (split seed 2026; checked by a test)."""

NKI70_COLUMNS: Final[ColumnMap] = ColumnMap(
    name="NKI70",
    age_years="Age",
    postmenopausal="postmenopausal_from_age",
    tumour_size_mm="Diam",
    grade="Grade",
    positive_nodes="N",
    er_fmol="ER",
    pr_fmol="pr_fmol",
    hormone_therapy="hormone_therapy",
    chemotherapy="chemotherapy",
    follow_up_days="time",
    follow_up_unit="years",
    relapse_event="event",
    values={
        "tumour_size_mm": dict(NKI70_SIZE_MM),
        "positive_nodes": dict(NKI70_NODES),
        "grade": {"Well diff": 1.0, "Intermediate": 2.0, "Poorly diff": 3.0},
        "er_fmol": {"Positive": ER_STATUS_FMOL["positive"],
                    "Negative": ER_STATUS_FMOL["negative"]},
    },
)
"""The map of :func:`load_nki70`: oncodatasets' clinical columns (``time`` read as years,
``event`` metastasis or death, categories mapped as :data:`NKI70_SIZE_MM`,
:data:`NKI70_NODES`, grade and :data:`ER_STATUS_FMOL`) plus the columns the loader adds."""


def nki70_table() -> pd.DataFrame:
    """NKI70's clinical columns and outcome as oncodatasets gives them (the 70 gene
    columns left out): ``time``, ``event`` (1 = metastasis or death), ``Diam``, ``N``,
    ``ER``, ``Grade``, ``Age``; 144 rows in the package's order."""
    from oncodatasets import load_dataset as oncodatasets_load

    frame = oncodatasets_load("breast_cancer_nki70")
    return frame[["time", "event", "Diam", "N", "ER", "Grade", "Age"]].reset_index(drop=True)


def load_nki70(*, seed: int = DRAW_SEED, population: PopulationSpec | None = None,
               chemotherapy: bool = True) -> DataSet:
    """NKI70 (144 node-positive women younger than 53, van de Vijver et al. 2002) as a
    cohort: an **external** cohort, never used by a calibration or its held-out checks.

    ``time`` is read as years (the source's documentation says months, but follow-up of
    up to 17.7 with a third of the women metastatic is years); ``event`` is metastasis or
    death, compared with the twins' distant metastasis (``dmfs``). Size and nodes are
    recorded as categories and become :data:`NKI70_SIZE_MM` and :data:`NKI70_NODES`; ER
    status becomes :data:`ER_STATUS_FMOL`; ``postmenopausal`` is age >= the population's
    menopause age; PR is drawn given ER as for TRANSBIG. Adjuvant treatment is not
    recorded: ``chemotherapy`` (default True) gives every woman chemotherapy and no
    hormone therapy, ``False`` neither; both are assumptions, said in the notes.

    Parameters
    ----------
    seed : int, default :data:`DRAW_SEED`
        Master seed of the PR draws.
    population : PopulationSpec, optional
        Default ``PopulationSpec()``.
    chemotherapy : bool, default True

    Returns
    -------
    DataSet
    """
    population = PopulationSpec() if population is None else population
    frame = nki70_table()
    er_positive = (frame["ER"] == "Positive").to_numpy()
    drawn = _draw_given_er(er_positive, seed, population)
    table = frame.assign(
        postmenopausal_from_age=(frame["Age"].to_numpy(float)
                                 >= population.menopause_age_years).astype(np.int64),
        pr_fmol=drawn["pr_fmol"].to_numpy(float),
        hormone_therapy=0,
        chemotherapy=int(chemotherapy),
        er_status=np.where(er_positive, "ER+", "ER-"),
        drawn_covariates="pr_fmol",
    )
    treatment = ("chemotherapy (CMF) for every woman, no hormone therapy" if chemotherapy
                 else "no adjuvant therapy")
    source = (f"NKI70 (oncodatasets {_version('oncodatasets')} 'breast_cancer_nki70'); PR "
              f"drawn from the population's distribution given ER (seed {seed}); assumed "
              f"{treatment}")
    cohort = cohort_from_dataframe(table, NKI70_COLUMNS, source=source)
    notes = (
        f"pr_fmol: NKI70 has no PR; drawn for all {len(table)} women given ER (seed {seed}): "
        f"{_pr_rule(population)}",
        "tumour_size_mm, positive_nodes: recorded as categories; each woman gets the "
        f"median of GBSG2's training women in hers (size {NKI70_SIZE_MM}, nodes "
        f"{NKI70_NODES})",
        f"er_fmol: ER status only; ER+ -> {ER_STATUS_FMOL['positive']:g} fmol/mg, ER- -> "
        f"{ER_STATUS_FMOL['negative']:g} fmol/mg",
        f"postmenopausal: not recorded; 1 where age >= {population.menopause_age_years:g} "
        "years",
        f"treatment: not recorded; assumed {treatment}",
        "follow_up_days: time read as years (x 365.25); relapse_event: metastasis or death, "
        "compared with the twins' distant metastasis (dmfs)",
    )
    return DataSet(name="nki70", cohort=cohort, source=source, endpoint="dmfs",
                   event="metastasis or death", notes=notes, seed=seed)


# --- draws given ER ----------------------------------------------------------------------------


def _draw_given_er(er_positive: np.ndarray, seed: int, population: PopulationSpec) -> pd.DataFrame:
    """Covariates of women ``0..n-1`` drawn from ``population`` given their ER status.

    :meth:`Cohort.sample` is run twice on the same streams, once with every woman ER+ and
    once ER-; ER decides only the ER and PR draws (age, size, grade and nodes use other
    uniforms of the stream), so taking each woman's row from the run of her own status is
    a draw from the population conditional on her ER. Nodes are fixed at 0.
    """
    n = int(er_positive.size)
    node_negative = {"node_negative_fraction": 1.0}
    positive = Cohort.sample(
        population.model_copy(update={**node_negative, "er_positive_fraction": 1.0}), n, seed
    ).covariates
    negative = Cohort.sample(
        population.model_copy(update={**node_negative, "er_positive_fraction": 0.0}), n, seed
    ).covariates
    return pd.DataFrame(
        {
            column: np.where(er_positive, positive[column], negative[column])
            for column in positive.columns
        }
    )


def _pr_rule(population: PopulationSpec) -> str:
    median = float(np.exp(population.receptor_fmol_log_median))
    return (
        f"if ER+, PR+ with probability {population.pr_positive_fraction_if_er_positive:g} "
        f"(lognormal, median {median:.0f} fmol/mg, log sd "
        f"{population.receptor_fmol_log_sd:g}, at least "
        f"{RECEPTOR_POSITIVE_FMOL:g}) else PR- (uniform whole numbers 0-9 fmol/mg); if "
        "ER-, PR- (this population has no ER-/PR+ women)"
    )


def _grade_rule(population: PopulationSpec) -> str:
    p1, p2, p3 = population.grade_probabilities
    return f"(grade 1/2/3 with probability {p1:g}/{p2:g}/{p3:g})"


def _population_rule(population: PopulationSpec) -> str:
    p = population
    return (
        f"age normal {p.age_mean_years:g} +/- {p.age_sd_years:g} years clipped to "
        f"{p.age_min_years:g}-{p.age_max_years:g}; size lognormal median "
        f"{p.tumour_size_median_mm:g} mm (log sd {p.tumour_size_log_sd:g}) clipped to "
        f"{p.tumour_size_min_mm:g}-{p.tumour_size_max_mm:g} mm; grade "
        f"{_grade_rule(p)}"
    )


# --- splits ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """A training / held-out split of a data set, as patient ids.

    Attributes
    ----------
    name : str
        ``"transbig"`` or ``"gse2034"``.
    training_ids, held_out_ids : tuple of int
        ``patient_id`` values (row positions in the source package's order), increasing.
    seed : int
        Seed of the permutation within each stratum.
    train_fraction : float
        Share of each stratum in the training part.
    stratified_by : tuple of str
        ``("relapse_event", "er_status")``.
    data_sha256 : str
        Fingerprint of the ids, follow-up, events and ER status the split was made on.
    command : str
        The command that wrote the packaged file.
    """

    name: str
    training_ids: tuple[int, ...]
    held_out_ids: tuple[int, ...]
    seed: int
    train_fraction: float
    stratified_by: tuple[str, ...]
    data_sha256: str
    command: str

    def to_json(self) -> str:
        """The split as JSON text (what the packaged file holds)."""
        record = {
            "data_set": self.name,
            "command": self.command,
            "seed": self.seed,
            "train_fraction": self.train_fraction,
            "stratified_by": list(self.stratified_by),
            "method": "within each stratum (sorted by event, then ER status), ids permuted "
            "with numpy.random.default_rng(seed) (one generator for all strata, "
            "in order); the first floor(train_fraction * n + 0.5) go to training",
            "ids": "patient_id = row position in the source package's order",
            "data_sha256": self.data_sha256,
            "training_patients": len(self.training_ids),
            "held_out_patients": len(self.held_out_ids),
            "training_ids": "@training_ids@",
            "held_out_ids": "@held_out_ids@",
        }
        text = json.dumps(record, indent=1)
        # Id lists on one line each: the file stays short and diffs stay readable.
        for key, ids in (("training_ids", self.training_ids), ("held_out_ids", self.held_out_ids)):
            text = text.replace(f'"@{key}@"', json.dumps(list(ids)))
        return text + "\n"


def _split_frame(name: str) -> pd.DataFrame:
    """Ids, follow-up, event and ER status: all a split reads (no draws involved)."""
    if name == "transbig":
        raw = transbig_table()
        er, time, event = raw["er"] == "positive", raw["t.tdm"], raw["e.tdm"]
    else:
        raw = gse2034_table()
        er, time, event = raw["ER"] == "pos", raw["time_survival"], raw["event_survival"]
    return pd.DataFrame(
        {
            "patient_id": np.arange(len(raw), dtype=np.int64),
            "time": time.to_numpy(float),
            "relapse_event": event.to_numpy().astype(bool),
            "er_status": np.where(er.to_numpy(), "ER+", "ER-"),
        }
    )


def _fingerprint(frame: pd.DataFrame) -> str:
    text = "\n".join(
        f"{i},{t:.10g},{int(e)},{s}"
        for i, t, e, s in frame[["patient_id", "time", "relapse_event", "er_status"]].itertuples(
            index=False
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()


def make_split(
    name: str,
    *,
    seed: int = SPLIT_SEED,
    train_fraction: float = TRAIN_FRACTION,
    directory: str = "src/tumorsim/data/splits",
) -> Split:
    """Split a data set into training and held-out parts, stratified by event and ER.

    Strata are the four combinations of ``relapse_event`` (False, True) and ER status
    (``"ER+"``, ``"ER-"``), taken in sorted order; one ``numpy.random.default_rng(seed)``
    permutes each stratum's ids in turn and the first ``floor(train_fraction * n + 0.5)``
    go to training. Only ids, events and ER status are read; nothing is computed on
    either part.

    Parameters
    ----------
    name : {"transbig", "gse2034"}
    seed : int, default :data:`SPLIT_SEED`
    train_fraction : float, default 2/3
    directory : str
        Written into :attr:`Split.command`.

    Returns
    -------
    Split
    """
    key = dataset_name(name, SPLIT_DATASETS)
    if not 0.0 < train_fraction < 1.0:
        raise TumorsimError(f"train_fraction = {train_fraction!r}: allowed: between 0 and 1")
    frame = _split_frame(key)
    rng = np.random.default_rng(seed)
    training: list[int] = []
    for _, stratum in frame.groupby(["relapse_event", "er_status"], sort=True):
        ids = stratum["patient_id"].to_numpy(np.int64)
        keep = int(np.floor(train_fraction * ids.size + 0.5))
        training.extend(rng.permutation(ids)[:keep].tolist())
    training_set = set(training)
    held_out = [int(i) for i in frame["patient_id"] if int(i) not in training_set]
    return Split(
        name=key,
        training_ids=tuple(sorted(training)),
        held_out_ids=tuple(held_out),
        seed=seed,
        train_fraction=train_fraction,
        stratified_by=("relapse_event", "er_status"),
        data_sha256=_fingerprint(frame),
        command=_SPLIT_COMMAND.format(directory=directory),
    )


def write_split_files(directory: str | Path) -> list[Path]:
    """Write ``<name>.json`` for every data set of :data:`SPLIT_DATASETS`.

    Parameters
    ----------
    directory : str or pathlib.Path
        Where to write (the packaged place is ``src/tumorsim/data/splits``).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SPLIT_DATASETS:
        path = out / f"{name}.json"
        path.write_text(make_split(name, directory=str(directory)).to_json())
        written.append(path)
    return written


def load_split(name: str, *, check_data: bool = True) -> Split:
    """The packaged training / held-out split of a data set.

    Parameters
    ----------
    name : {"transbig", "gse2034"}
    check_data : bool, default True
        Check that the installed data still have the fingerprint the split was made on
        (same women in the same order, same follow-up, events and ER).

    Returns
    -------
    Split

    Raises
    ------
    tumorsim.errors.TumorsimError
        Unknown name, or the installed data differ from the data the split was made on.
    """
    key = dataset_name(name, SPLIT_DATASETS)
    resource = resources.files("tumorsim").joinpath(*_SPLIT_DIRECTORY, f"{key}.json")
    record = json.loads(resource.read_text())
    split = Split(
        name=key,
        training_ids=tuple(int(i) for i in record["training_ids"]),
        held_out_ids=tuple(int(i) for i in record["held_out_ids"]),
        seed=int(record["seed"]),
        train_fraction=float(record["train_fraction"]),
        stratified_by=tuple(record["stratified_by"]),
        data_sha256=str(record["data_sha256"]),
        command=str(record["command"]),
    )
    if check_data:
        found = _fingerprint(_split_frame(key))
        if found != split.data_sha256:
            raise TumorsimError(
                f"tumorsim/data/splits/{key}.json: the installed {key} data differ from those "
                f"the split was made on (sha256 {found[:12]}..., split made on "
                f"{split.data_sha256[:12]}...); expected: the data of the package version "
                "the split records, or a new split made with its command before anything "
                "is looked at"
            )
    return split


def _part(
    name: str, part: Literal["training", "held_out"], seed: int, population: PopulationSpec | None
) -> Cohort:
    data = load_dataset(dataset_name(name, SPLIT_DATASETS), seed=seed, population=population)
    split = load_split(data.name)
    ids = split.training_ids if part == "training" else split.held_out_ids
    covariates = data.cohort.covariates
    return Cohort(covariates[covariates["patient_id"].isin(ids)].reset_index(drop=True))


def training_cohort(
    name: str, *, seed: int = DRAW_SEED, population: PopulationSpec | None = None
) -> Cohort:
    """The training part of TRANSBIG or GSE2034 (see :func:`load_dataset` for the draws).

    Parameters
    ----------
    name : {"transbig", "gse2034"}
    seed : int, default :data:`DRAW_SEED`
    population : PopulationSpec, optional

    Returns
    -------
    Cohort
        The women of :attr:`Split.training_ids`, in data order, ``patient_id`` kept.
    """
    return _part(name, "training", seed, population)


def held_out_cohort(
    name: str, *, seed: int = DRAW_SEED, population: PopulationSpec | None = None
) -> Cohort:
    """The held-out part of TRANSBIG or GSE2034: for a calibration's final check only.

    A held-out part is never looked at while choosing structure or parameters
    (docs/model.md §6).

    Parameters
    ----------
    name : {"transbig", "gse2034"}
    seed : int, default :data:`DRAW_SEED`
    population : PopulationSpec, optional

    Returns
    -------
    Cohort
        The women of :attr:`Split.held_out_ids`, in data order, ``patient_id`` kept.
    """
    return _part(name, "held_out", seed, population)


# --- command -----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tumorsim.cohort.datasets write-splits DIRECTORY``: (re)write the splits."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] != "write-splits":
        print("usage: python -m tumorsim.cohort.datasets write-splits DIRECTORY", file=sys.stderr)
        return 2
    for path in write_split_files(args[1]):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
