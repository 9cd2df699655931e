"""The SBML export solved by libRoadRunner agrees with our deterministic mode.

The same patients, scenario and 20-year horizon: libRoadRunner (CVODE, tight tolerances)
integrates the exported model, our deterministic mode its own ODE integrator; site cell
counts at yearly points and relapse times must agree within 1 %.
"""

from __future__ import annotations

import libsbml
import numpy as np
import pytest
import roadrunner
from cli_helpers import run_cli

from tumorsim import Cohort
from tumorsim.engine.simulate import prepare_run, run_chunk
from tumorsim.export.sbml import PATIENT_PARAMETERS, patient_values, scenario_sbml, write_sbml
from tumorsim.io.scenario_file import load_default_scenario
from tumorsim.model.anatomy import SITES

YEAR = 365.25
HORIZON_YEARS = 20
N_PATIENTS = 4

# every kind of event: surgery, chemotherapy cycles (AC->T), tamoxifen start and end, a
# CXCR2 inhibitor, an arsenic exposure that steps and is removed, a ROS quencher;
# dissemination lowered so that relapses come years after diagnosis, not at it; the
# relapse structure of docs/model.md 2.10 away from its defaults (colonisation speed by
# growth, deep dormancy reached by tamoxifen, dormancy entry by clone)
SCENARIO = load_default_scenario().with_changes(
    name="sbml agreement",
    numerics={"mode": "deterministic"},
    cohort={"horizon_years": HORIZON_YEARS, "trajectory_patients": N_PATIENTS,
            "record_every_days": YEAR},
    parameters={"dissemination_coefficient": 2e-14, "colonisation_growth_exponent": 1.5,
                "colonisation_threshold_cells": 1e5,
                "tamoxifen_deep_dormant_kill_per_day": 1e-3},
    sites={site: {"deep_dormancy_share": 0.3} for site in SITES[1:]},
    clones={"ERneg": {"dormancy_entry_multiplier": 0.5},
            "ERpos_PRneg": {"dormancy_entry_multiplier": 0.8}},
    treatment={
        "tamoxifen": {"start_day": 200.0, "duration_days": 5 * YEAR, "adherence": 0.9},
        "chemotherapy": {"regimen": "AC_T", "start_day": 28.0},
        "cxcr2_inhibitor": {"start_day": 28.0, "duration_days": 168.0, "inhibition": 0.9},
        "ros_quencher": {"start_day": 400.0, "duration_days": 365.0, "inhibition": 0.8},
        "exposure_removal": {"day": 3 * YEAR},
    },
    exposures={"arsenic": {"kind": "steps", "times_days": [-2000.0, 100.0],
                           "levels": [10.0, 30.0]}},
)


@pytest.fixture(scope="module")
def prepared():
    cohort = Cohort.sample(SCENARIO.population, N_PATIENTS, seed=11)
    run = prepare_run([SCENARIO], np.zeros(N_PATIENTS, dtype=np.int64), cohort, seed=11)
    return run, run_chunk(run, 0, N_PATIENTS)


def _simulate_patient(run, i):
    """libRoadRunner on patient ``i``'s own exported model, tight tolerances.

    (One model per patient: reusing one instance with ``init(...)`` values and
    ``resetAll()`` was slow or hung inside libRoadRunner 2.10 for some patients.)
    """
    rr = roadrunner.RoadRunner(scenario_sbml(run, i))
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-12
    rr.integrator.maximum_num_steps = 200_000
    t0 = rr["natural_history_days"]
    assert t0 == pytest.approx(patient_values(run, i)["natural_history_days"])
    times = [0.0, *(t0 + YEAR * k for k in range(HORIZON_YEARS + 1))]
    out = rr.simulate(times=times, selections=[f"cells_{s}" for s in SITES])
    relapse = {s: rr[f"relapse_{s}_days"] for s in SITES}
    return np.asarray(out)[1:], relapse, rr["death_days"]


def test_export_is_valid_sbml_with_the_patient_parameters(prepared):
    run, _ = prepared
    doc = libsbml.readSBMLFromString(scenario_sbml(run, 1))
    assert doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    model = doc.getModel()
    ids = {model.getParameter(k).getId() for k in range(model.getNumParameters())}
    assert set(PATIENT_PARAMETERS) <= ids
    events = {model.getEvent(k).getId() for k in range(model.getNumEvents())}
    assert {"diagnosis", "detect_bone", "detect_lung", "plan_boundary_0"} <= events
    assert model.getNumEvents() > 20  # one per boundary of the AC->T plan, at least


# SI size of each registry unit, written out independently of the export's table
_SI_FACTOR = {"1/day": 1 / 86400, "1/year": 1 / (365.25 * 86400), "day": 86400.0,
              "month": 30.4375 * 86400, "cells": 1.0, "cells/mm^3": 1e9,
              "fmol/mg": 1e-15 / 1e-6, "1/(ug/L)": 1e-3 / 1e-9,
              "1/(ug/dL)": 1e-4 / 1e-9, "kPa": 1e3}


def test_export_declares_units_for_time_and_every_registry_parameter(prepared):
    from tumorsim.model.parameters import PARAMETER_SPECS

    run, _ = prepared
    model = libsbml.readSBMLFromString(scenario_sbml(run, 0)).getModel()
    assert model.getTimeUnits() == "day"
    undeclared = []
    for spec in PARAMETER_SPECS:
        units = model.getParameter(spec.name).getUnits()
        if spec.unit == "1":
            assert units == "dimensionless", spec.name
            continue
        if not units:
            undeclared.append(spec.name)
            continue
        definition = model.getUnitDefinition(units)
        si = libsbml.UnitDefinition.convertToSI(definition)
        factor = np.prod([(si.getUnit(k).getMultiplier() * 10.0 ** si.getUnit(k).getScale())
                          ** si.getUnit(k).getExponent() for k in range(si.getNumUnits())])
        assert factor == pytest.approx(_SI_FACTOR[spec.unit], rel=1e-12), spec.name
    # only the unit whose exponent is itself a parameter stays undeclared
    assert undeclared == ["dissemination_coefficient"]


def test_roadrunner_agrees_with_deterministic_mode(prepared):
    run, ours = prepared
    relapses_compared = 0
    for i in range(N_PATIENTS):
        pid = ours.patients.patient_id.iloc[i]
        row = ours.patients.iloc[i]
        traj = ours.trajectories[ours.trajectories.patient_id == pid]
        counts = (traj.groupby(["time_days", "site"], observed=True)["cells"].sum()
                  .unstack()[list(SITES)])
        theirs, relapse, death = _simulate_patient(run, i)
        death_day = row["death_days"] if np.isfinite(row["death_days"]) else np.inf
        assert death == pytest.approx(-1.0 if death_day == np.inf else death_day, rel=0.01)
        # yearly site counts while she is alive (our run stops at death)
        alive = counts.index.to_numpy() <= death_day
        ours_counts = counts.to_numpy()[alive]
        assert len(ours_counts) >= 2
        np.testing.assert_allclose(ours_counts, theirs[: len(ours_counts)], rtol=0.01,
                                   atol=1e-6)
        for s, site in enumerate(SITES):
            column = "local_relapse_days" if s == 0 else f"distant_{site}_days"
            mine = row[column]
            if np.isnan(mine):
                assert relapse[site] < 0 or relapse[site] >= death_day, (i, site)
            else:
                assert relapse[site] == pytest.approx(mine, rel=0.01, abs=1e-6), (i, site)
                relapses_compared += int(mine > 0)
    assert relapses_compared >= 3  # the check is about real relapse times, not zeros


def test_write_sbml_file(tmp_path):
    path = write_sbml(SCENARIO, tmp_path / "patient.xml", patient=2)
    assert path.read_text().startswith("<?xml")
    doc = libsbml.readSBMLFromFile(str(path))
    assert doc.getModel().getId() == "tumorsim_patient"


def test_sbml_command(tmp_path):
    out = tmp_path / "model.xml"
    outcome = run_cli("sbml", "--out", out, "--patient", "1")
    assert outcome.returncode == 0, outcome.stderr
    assert "patient 1" in outcome.stdout
    model = libsbml.readSBMLFromFile(str(out)).getModel()
    assert model.getParameter("natural_history_days").getValue() > 0


def test_one_patient_alone_is_that_patient_of_the_whole_cohort(tmp_path):
    # write_sbml samples and prepares only the patient asked for (her own random
    # streams); the text equals patient k's of a prepared cohort of k + 1 women
    scenario = load_default_scenario()
    k = 6
    cohort = Cohort.sample(scenario.population, k + 1, 11)
    whole = prepare_run([scenario], np.zeros(k + 1, dtype=np.int64), cohort, seed=11)
    alone = write_sbml(scenario, tmp_path / "p6.xml", patient=k, seed=11)
    assert alone.read_text() == scenario_sbml(whole, k)
    assert f"patient {k}" in alone.read_text()
