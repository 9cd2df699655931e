"""Calibration data sets: TRANSBIG and GSE2034 loaders, what is drawn, the splits, targets.

Held-out parts are only counted here (sizes, stratum counts); no statistic of their
outcomes is computed.
"""

from __future__ import annotations

import json
import socket

import numpy as np
import pandas as pd
import pytest

from tumorsim.analysis.dataset_targets import km_targets
from tumorsim.cohort import datasets
from tumorsim.cohort.data import load_gbsg2
from tumorsim.cohort.datasets import (
    DATASET_NAMES,
    ER_STATUS_FMOL,
    KM_TARGET_YEARS,
    SPLIT_DATASETS,
    DataSet,
    gse2034_population,
    gse2034_table,
    held_out_cohort,
    load_dataset,
    load_split,
    make_split,
    training_cohort,
    transbig_table,
    write_split_files,
)
from tumorsim.cohort.population import COVARIATE_COLUMNS, RECEPTOR_POSITIVE_FMOL, Cohort
from tumorsim.errors import TumorsimError
from tumorsim.model.scenario import PopulationSpec

SIZES = {"transbig": (198, 132, 66), "gse2034": (286, 190, 96)}
"""Women, training part, held-out part."""


@pytest.fixture(scope="module")
def transbig() -> DataSet:
    return load_dataset("transbig")


@pytest.fixture(scope="module")
def gse2034() -> DataSet:
    return load_dataset("gse2034")


def test_transbig_maps_units_and_the_untreated_node_negative_cohort(transbig: DataSet) -> None:
    raw = transbig_table()
    cov = transbig.cohort.covariates
    assert len(cov) == len(raw) == 198
    assert cov["patient_id"].tolist() == list(range(198))
    np.testing.assert_array_equal(cov["tumour_size_mm"], raw["size"].to_numpy() * 10.0)
    np.testing.assert_array_equal(cov["age_years"], raw["age"])
    np.testing.assert_array_equal(cov["follow_up_days"], raw["t.tdm"])  # already days
    np.testing.assert_array_equal(cov["relapse_event"], raw["e.tdm"])
    assert cov["relapse_event"].dtype == bool
    assert int(cov["relapse_event"].sum()) == 51  # scikit-survival's docstring: 51 events
    assert (cov["positive_nodes"] == 0).all()
    assert (cov["hormone_therapy"] == 0).all() and (cov["chemotherapy"] == 0).all()
    er_positive = (raw["er"] == "positive").to_numpy()
    np.testing.assert_array_equal(
        cov["er_fmol"],
        np.where(er_positive, ER_STATUS_FMOL["positive"], ER_STATUS_FMOL["negative"]),
    )
    assert ((cov["er_fmol"] >= RECEPTOR_POSITIVE_FMOL) == er_positive).all()
    np.testing.assert_array_equal(cov["er_status"], np.where(er_positive, "ER+", "ER-"))
    np.testing.assert_array_equal(cov["postmenopausal"], (raw["age"] >= 51).astype(int))
    assert transbig.endpoint == "dmfs" and transbig.event == "distant metastasis"
    assert list(cov.columns[: 1 + len(COVARIATE_COLUMNS)]) == ["patient_id", *COVARIATE_COLUMNS]


def test_transbig_pr_is_drawn_given_er_on_each_womans_stream_and_said(
    transbig: DataSet,
) -> None:
    cov = transbig.cohort.covariates
    assert cov["drawn_covariates"].str.contains("pr_fmol").all()
    assert "PR drawn from the population's distribution given ER (seed 2026)" in transbig.source
    assert any(note.startswith("pr_fmol: TRANSBIG has no PR; PR drawn") for note in transbig.notes)
    er_negative = cov["er_fmol"] < RECEPTOR_POSITIVE_FMOL
    # The default population has no ER-/PR+ women: ER- women are PR- (0-9 fmol/mg).
    assert (cov.loc[er_negative, "pr_fmol"] < RECEPTOR_POSITIVE_FMOL).all()
    # Woman k's PR is the default population's draw on her stream (seed, k), given ER+.
    positive_population = PopulationSpec(er_positive_fraction=1.0, node_negative_fraction=1.0)
    reference = Cohort.sample(positive_population, len(cov), 2026).covariates
    np.testing.assert_array_equal(
        cov.loc[~er_negative, "pr_fmol"], reference.loc[~er_negative, "pr_fmol"]
    )
    again = load_dataset("transbig", seed=2026).cohort.covariates
    pd.testing.assert_frame_equal(cov, again)
    other = load_dataset("transbig", seed=7).cohort.covariates
    assert not np.array_equal(other["pr_fmol"], cov["pr_fmol"])
    assert "(seed 7)" in load_dataset("transbig", seed=7).source


def test_transbig_unknown_grades_are_drawn_and_listed(transbig: DataSet) -> None:
    raw = transbig_table()
    cov = transbig.cohort.covariates
    unknown = (raw["grade"] == "unkown").to_numpy()
    assert unknown.sum() == 2
    assert (cov.loc[unknown, "drawn_covariates"] == "grade, pr_fmol").all()
    assert (cov.loc[~unknown, "drawn_covariates"] == "pr_fmol").all()
    assert cov.loc[unknown, "grade"].isin([1, 2, 3]).all()
    known = raw.loc[~unknown, "grade"].map(
        {"well differentiated": 1, "intermediate": 2, "poorly differentiated": 3}
    )
    np.testing.assert_array_equal(cov.loc[~unknown, "grade"], known)


def test_gse2034_maps_months_to_days_and_says_what_is_drawn(gse2034: DataSet) -> None:
    raw = gse2034_table()
    cov = gse2034.cohort.covariates
    assert list(raw.columns) == ["ER", "ESR1", "ERBB2", "time_survival", "event_survival"]
    assert len(cov) == 286
    np.testing.assert_allclose(cov["follow_up_days"], raw["time_survival"] * 365.25 / 12)
    np.testing.assert_array_equal(cov["relapse_event"], raw["event_survival"] == 1)
    assert (cov["positive_nodes"] == 0).all()
    assert (cov["hormone_therapy"] == 0).all() and (cov["chemotherapy"] == 0).all()
    np.testing.assert_array_equal(cov["er_status"], np.where(raw["ER"] == "pos", "ER+", "ER-"))
    assert (
        cov["drawn_covariates"] == "age_years, postmenopausal, tumour_size_mm, grade, pr_fmol"
    ).all()
    assert "age, size, grade and PR drawn" in gse2034.source
    assert gse2034.endpoint == "dmfs"
    np.testing.assert_array_equal(cov["postmenopausal"], (cov["age_years"] >= 51).astype(int))


def test_gbsg2_by_name_is_load_gbsg2_with_nothing_drawn() -> None:
    data = load_dataset("GBSG2")
    pd.testing.assert_frame_equal(data.cohort.covariates, load_gbsg2().covariates)
    assert data.notes == () and data.seed is None and data.endpoint == "rfs"


@pytest.mark.parametrize("name", ["xyz", "", "transbig2"])
def test_unknown_data_set_is_a_one_line_error(name: str) -> None:
    with pytest.raises(TumorsimError) as info:
        load_dataset(name)
    assert str(info.value) == f"{name!r} given; allowed: gbsg2, transbig, gse2034"
    assert DATASET_NAMES == ("gbsg2", "transbig", "gse2034")


def test_split_names_exclude_gbsg2() -> None:
    with pytest.raises(TumorsimError, match="'gbsg2' given; allowed: transbig, gse2034"):
        load_split("gbsg2")


@pytest.mark.parametrize("name", SPLIT_DATASETS)
def test_packaged_split_is_reproducible_disjoint_and_complete(name: str, tmp_path) -> None:
    packaged = load_split(name)
    remade = make_split(name)
    assert remade.training_ids == packaged.training_ids
    assert remade.held_out_ids == packaged.held_out_ids
    assert remade.data_sha256 == packaged.data_sha256
    assert packaged.seed == 2026 and packaged.command.startswith("python -m tumorsim")
    women, training, held_out = SIZES[name]
    assert (len(packaged.training_ids), len(packaged.held_out_ids)) == (training, held_out)
    assert not set(packaged.training_ids) & set(packaged.held_out_ids)
    assert sorted(packaged.training_ids + packaged.held_out_ids) == list(range(women))
    # The command's output equals the packaged file.
    write_split_files(tmp_path)
    record = json.loads((tmp_path / f"{name}.json").read_text())
    assert record["training_ids"] == list(packaged.training_ids)
    assert record["held_out_ids"] == list(packaged.held_out_ids)


@pytest.mark.parametrize("name", SPLIT_DATASETS)
def test_split_is_stratified_by_event_and_er(name: str) -> None:
    cov = load_dataset(name).cohort.covariates
    training = set(load_split(name).training_ids)
    for _, stratum in cov.groupby(["relapse_event", "er_status"]):
        ids = stratum["patient_id"].tolist()
        in_training = sum(i in training for i in ids)
        assert in_training == int(np.floor(2 / 3 * len(ids) + 0.5))


def test_split_refuses_data_that_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    original = transbig_table()
    monkeypatch.setattr(
        datasets, "transbig_table", lambda: original.iloc[::-1].reset_index(drop=True)
    )
    with pytest.raises(TumorsimError, match="differ from those the split was made on"):
        load_split("transbig")


@pytest.mark.parametrize("name", SPLIT_DATASETS)
def test_parts_have_the_split_sizes(name: str) -> None:
    """Sizes only: nothing of the held-out part is computed."""
    _, training, held_out = SIZES[name]
    train = training_cohort(name)
    held = held_out_cohort(name)
    assert (len(train), len(held)) == (training, held_out)
    assert not set(train.patient_ids) & set(held.patient_ids)


@pytest.mark.parametrize("name", SPLIT_DATASETS)
def test_km_targets_are_training_part_tables_by_er(name: str) -> None:
    table = km_targets(name)
    assert list(table.columns) == [
        "data_set",
        "er_status",
        "patients",
        "events",
        "time_years",
        "time_days",
        "dmfs_fraction",
        "ci_lower_95",
        "ci_upper_95",
        "at_risk_patients",
    ]
    assert table["er_status"].tolist() == ["ER+"] * 4 + ["ER-"] * 4
    assert table["time_years"].tolist() == list(KM_TARGET_YEARS) * 2
    np.testing.assert_allclose(table["time_days"], table["time_years"] * 365.25)
    assert table.groupby("er_status")["patients"].first().sum() == SIZES[name][1]
    ok = table.dropna()
    assert (
        (ok["ci_lower_95"] <= ok["dmfs_fraction"]) & (ok["dmfs_fraction"] <= ok["ci_upper_95"])
    ).all()
    assert ok["dmfs_fraction"].between(0, 1).all()


def test_gse2034_population_is_node_negative_untreated_with_the_training_er_mix() -> None:
    train = training_cohort("gse2034").covariates
    er_positive_share = float((train["er_fmol"] >= RECEPTOR_POSITIVE_FMOL).mean())
    population = gse2034_population(4000, seed=11)
    cov = population.covariates
    assert len(cov) == 4000
    assert (cov["positive_nodes"] == 0).all()
    assert (cov["hormone_therapy"] == 0).all() and (cov["chemotherapy"] == 0).all()
    # Binomial sd of the share at n = 4000 is < 0.008; tolerance 0.03.
    assert abs(float((cov["er_status"] == "ER+").mean()) - er_positive_share) < 0.03
    pd.testing.assert_frame_equal(cov, gse2034_population(4000, seed=11).covariates)
    none_positive = gse2034_population(50, seed=11, er_positive_fraction=0.0).covariates
    assert (none_positive["er_status"] == "ER-").all()
    with pytest.raises(TumorsimError, match="er_positive_fraction = 1.5"):
        gse2034_population(5, seed=1, er_positive_fraction=1.5)


def test_loaders_need_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network used")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert len(transbig_table()) == 198
    assert len(gse2034_table()) == 286


def test_write_splits_command_usage() -> None:
    assert datasets.main(["write-splits"]) == 2
