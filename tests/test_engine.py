"""Engine invariants, birth-death numerics, reproducibility and the step-size check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tumorsim import Cohort, Scenario, simulate
from tumorsim.engine.kernel import grow_colonies
from tumorsim.model.anatomy import METASTATIC_SITES, SITES

DEFAULT = Scenario(treatment={"tamoxifen": {"adherence": 0.9}})


@pytest.fixture(scope="module")
def big_run():
    """10,000 patients for 20 years with the default ER+ scenario."""
    return simulate(DEFAULT, patients=10_000, seed=2024)


def test_no_negative_or_nan_counts(big_run):
    p = big_run.patients
    counts = p[[c for c in p if c.startswith(("cells_at_end_", "cells_at_diagnosis_"))]]
    assert counts.notna().all().all()
    assert (counts.to_numpy() >= 0).all()
    assert np.isfinite(p["natural_history_days"]).all()
    assert (p["disseminated_cells"] >= 0).all()
    # something actually happens in this cohort
    assert 0.05 < p["dmfs_event"].mean() < 0.95


def test_no_negative_counts_in_trajectories():
    s = DEFAULT.with_changes(cohort={"trajectory_patients": 300})
    r = simulate(s, patients=300, seed=5)
    assert r.trajectories is not None
    assert (r.trajectories["cells"] >= 0).all()
    assert r.trajectories["cells"].notna().all()
    # small compartments hold whole cells in the stochastic mode
    small = r.trajectories["cells"][r.trajectories["cells"] < 1e4]
    assert np.allclose(small, np.round(small))


def test_small_compartments_hold_whole_cells_when_chemotherapy_shrinks_large_ones():
    # Large metastases (followed in expected values) shrinking under chemotherapy cross
    # below n_switch; from then on they must hold whole cells (a fraction of a cell used to
    # reach the gamma sampler and never return).
    s = DEFAULT.with_changes(
        cohort={"trajectory_patients": 300, "record_every_days": 7, "horizon_years": 2.0},
        parameters={"metastasis_growth_multiplier": 4.5, "dissemination_coefficient": 2e-8},
        treatment={"chemotherapy": {"regimen": "AC_T", "start_day": 28}},
    )
    r = simulate(s, patients=300, seed=11)
    assert r.trajectories is not None
    cells = r.trajectories["cells"]
    small = cells[cells < s.numerics.stochastic_threshold_cells]
    assert (small >= 0).all()
    assert np.array_equal(small, np.floor(small))
    # some compartments did cross from large to small
    assert (r.patients["cells_at_diagnosis_bone"] > s.numerics.stochastic_threshold_cells).any()


def test_gamma_variates_have_the_right_mean_also_below_shape_one():
    from tumorsim.engine.random import gamma

    state = np.array([7], dtype=np.uint64)
    for shape in (0.1, 0.5, 2.0):
        x = np.array([gamma(state, shape) for _ in range(40_000)])
        assert abs(x.mean() - shape) < 4 * np.sqrt(shape / x.size), (shape, x.mean())


def test_no_relapse_at_a_site_that_never_had_a_cell(big_run):
    p = big_run.patients
    for site in METASTATIC_SITES:
        relapsed = p[f"distant_{site}_days"].notna()
        assert relapsed.any(), site
        # a detected site holds cells at detection and ends with cells unless the patient
        # died with it; it can only have had cells if something arrived
        assert (p.loc[relapsed, "disseminated_cells"] > 0).all()
        assert (p.loc[relapsed, f"cells_at_end_{site}"] > 0).all()
    never_seeded = p["disseminated_cells"] == 0
    assert never_seeded.any()
    for site in METASTATIC_SITES:
        assert p.loc[never_seeded, f"distant_{site}_days"].isna().all()
        assert (p.loc[never_seeded, f"cells_at_end_{site}"] == 0).all()


def test_event_times_are_consistent(big_run):
    p = big_run.patients
    horizon = DEFAULT.cohort.horizon_years * 365.25
    times = p[["local_relapse_days"] + [f"distant_{s}_days" for s in METASTATIC_SITES]]
    values = times.to_numpy()
    values = values[~np.isnan(values)]
    assert values.size > 0
    assert (values >= 0).all() and (values <= horizon).all()
    first = times.min(axis=1, skipna=True)
    np.testing.assert_allclose(p["first_event_days"].dropna(), first.dropna())
    # death only after a distant relapse
    died = p["death_days"].notna()
    assert (p.loc[died, "death_days"] >= p.loc[died, "dmfs_days"]).all()
    assert p.loc[died, "dmfs_event"].all()
    fractions = p[[c for c in p if c.startswith("first_event_fraction_")]].dropna()
    np.testing.assert_allclose(fractions.sum(axis=1), 1.0, atol=1e-9)


def test_no_dissemination_no_distant_relapse():
    s = DEFAULT.with_changes(mechanisms={"dissemination": False})
    p = simulate(s, patients=10_000, seed=2024).patients
    assert not p["dmfs_event"].any()
    assert (p["disseminated_cells"] == 0).all()
    for site in METASTATIC_SITES:
        assert (p[f"cells_at_end_{site}"] == 0).all()
    # local relapses still happen: the switch removes only dissemination
    assert p["local_relapse_days"].notna().any()


@pytest.mark.parametrize("step_days", [1.0, 7.0])
def test_single_cell_founds_colony_with_birth_death_probability(step_days):
    """P(lasting colony from one cell) = 1 - d/b; tolerance 3 standard errors."""
    birth, death, n = 0.024, 0.01, 40_000
    cells = grow_colonies(11, n, 1.0, birth, death, step_days, 1500.0, 1e4)
    expected = 1.0 - death / birth
    # after 1500 days a surviving colony is ~1e9 cells: extinction later is negligible
    observed = np.mean(cells > 0)
    se = np.sqrt(expected * (1 - expected) / n)
    assert abs(observed - expected) < 3 * se, (observed, expected, se)
    assert np.min(cells[cells > 0]) > 1e4


def test_single_cell_mean_growth_matches_theory():
    birth, death, n, days = 0.03, 0.01, 40_000, 200.0
    cells = grow_colonies(3, n, 1.0, birth, death, 7.0, days, 1e4)
    expected = np.exp((birth - death) * days)
    variance = (birth + death) / (birth - death) * expected * (expected - 1.0)
    assert abs(cells.mean() - expected) < 3 * np.sqrt(variance / n)


def test_same_seed_same_results_across_threads_and_chunks():
    s = DEFAULT.with_changes(cohort={"trajectory_patients": 5})
    a = simulate(s, patients=3000, seed=99, n_threads=1, chunk_size=3000)
    b = simulate(s, patients=3000, seed=99, n_threads=2, chunk_size=700)
    c = simulate(s, patients=3000, seed=99, n_threads=2, chunk_size=1)
    pd.testing.assert_frame_equal(a.patients, b.patients)
    pd.testing.assert_frame_equal(a.patients, c.patients)
    pd.testing.assert_frame_equal(a.trajectories, b.trajectories)
    d = simulate(s, patients=3000, seed=100)
    assert not d.patients["rfs_days"].equals(a.patients["rfs_days"])
    assert not d.patients["age_years"].equals(a.patients["age_years"])


def test_patient_does_not_depend_on_cohort_size():
    a = simulate(DEFAULT, patients=500, seed=8).patients
    b = simulate(DEFAULT, patients=200, seed=8).patients
    pd.testing.assert_frame_equal(a.iloc[:200].reset_index(drop=True), b)


def test_given_cohort_is_simulated_as_given():
    cohort = Cohort.sample(DEFAULT.population, 400, seed=1)
    r = simulate(DEFAULT, cohort, seed=3)
    np.testing.assert_array_equal(r.patients["patient_id"], cohort.patient_ids)
    np.testing.assert_array_equal(r.patients["tumour_size_mm"],
                                  cohort.covariates["tumour_size_mm"])


def _rate(p: pd.DataFrame, column: str, days: float) -> tuple[float, float]:
    x = (p[column] <= days).to_numpy() & p[column.replace("_days", "_event")].to_numpy()
    return x.mean(), x.std() / np.sqrt(len(x))


def test_long_untreated_step_agrees_with_one_day_step():
    """7-day untreated steps vs 1-day steps everywhere: endpoint rates agree within
    3.5 standard errors of the difference (independent samples; 8 comparisons)."""
    base = DEFAULT.with_changes(parameters={"dissemination_coefficient": 4e-9})
    one_day = base.with_changes(numerics={"untreated_step_days": 1.0})
    n = 6000
    a = simulate(base, patients=n, seed=31).patients
    b = simulate(one_day, patients=n, seed=32).patients
    for column in ("rfs_days", "dmfs_days"):
        for years in (5, 10, 15, 20):
            ra, sa = _rate(a, column, years * 365.25)
            rb, sb = _rate(b, column, years * 365.25)
            z = (ra - rb) / np.hypot(sa, sb)
            assert abs(z) < 3.5, (column, years, ra, rb, z)
    # occult burden at diagnosis (pre-diagnosis uses untreated steps)
    for site in ("bone", "lung"):
        xa = (a[f"cells_at_diagnosis_{site}"] > 0).mean()
        xb = (b[f"cells_at_diagnosis_{site}"] > 0).mean()
        se = np.sqrt(xa * (1 - xa) / n + xb * (1 - xb) / n)
        assert abs(xa - xb) < 3.5 * se, (site, xa, xb)


def test_deterministic_mode_makes_no_draws():
    """Without trait noise, a deterministic run does not depend on the seed at all."""
    s = DEFAULT.with_changes(
        numerics={"mode": "deterministic"},
        parameters={"growth_rate_lognormal_sigma": 0.0, "dissemination_lognormal_sigma": 0.0,
                    "cxcl_high_prevalence": 0.0},
    )
    cohort = Cohort.sample(s.population, 300, seed=1)
    a = simulate(s, cohort, seed=1).patients
    b = simulate(s, cohort, seed=2).patients
    pd.testing.assert_frame_equal(a, b)
    stochastic = simulate(s.with_changes(numerics={"mode": "stochastic"}), cohort, seed=1)
    assert not stochastic.patients["cells_at_end_bone"].equals(a["cells_at_end_bone"])
    # expected values: fractional cells appear in the metastatic sites
    frac = a[[f"cells_at_diagnosis_{x}" for x in SITES[1:]]].to_numpy()
    assert np.any((frac > 0) & (frac < 1))


@pytest.mark.parametrize("name", [
    "er_positive_tamoxifen", "er_positive_tamoxifen_arsenic", "act_chemotherapy",
    "act_chemotherapy_cxcr2", "cisplatin", "cisplatin_drp1_nrf2",
])
def test_every_example_simulates(name):
    from pathlib import Path

    from tumorsim.io import load_scenario

    path = Path(__file__).parent.parent / "examples" / f"{name}.toml"
    result = simulate(load_scenario(path), patients=200, seed=1)
    assert len(result.patients) == 200
    assert result.patients["rfs_days"].notna().all()


def test_conditioning_on_no_metastasis_at_diagnosis_redraws_natural_histories():
    """An adjuvant population has no detectable distant disease at diagnosis."""
    heavy = DEFAULT.with_changes(parameters={"dissemination_coefficient": 5e-8,
                                             "metastasis_growth_multiplier": 3.0},
                                 cohort={"horizon_years": 2})
    free = heavy.with_changes(cohort={"metastasis_free_at_diagnosis": True})
    a = simulate(heavy, patients=2000, seed=4).patients
    b = simulate(free, patients=2000, seed=4).patients
    assert (a["dmfs_days"] == 0).mean() > 0.02  # the unconditioned cohort has some
    assert (a["natural_history_redraws"] == 0).all()
    kept = b["natural_history_redraws"] < 100
    assert (b.loc[kept, "dmfs_days"] > 0).all()
    assert (b["natural_history_redraws"] > 0).any()
    # patients never at risk of it are untouched (same stream, no redraw)
    untouched = b["natural_history_redraws"] == 0
    pd.testing.assert_frame_equal(a[untouched].drop(columns="arm"),
                                  b[untouched].drop(columns="arm"))
