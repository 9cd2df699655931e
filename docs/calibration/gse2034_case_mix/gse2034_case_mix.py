"""GSE2034's Kaplan-Meier targets by ER under other (unrecorded) case mixes.

Usage: .venv/bin/python docs/calibration/gse2034_case_mix/gse2034_case_mix.py SCENARIO.toml
"""

import sys
import time

import numpy as np

from tumorsim.calibration.targets import (
    TrainingData,
    _km_by_er,
    observed_targets,
    untreated_m0,
)
from tumorsim.cohort.datasets import gse2034_population
from tumorsim.io.scenario_file import load_scenario
from tumorsim.model.scenario import PopulationSpec
from tumorsim.runner.simulate import run_plans

CASE_MIXES = [
    ("size20", {}),
    ("size28", {"tumour_size_median_mm": 28.0}),
    ("size35", {"tumour_size_median_mm": 35.0}),
    ("grade3_50", {"grade_probabilities": (0.1, 0.4, 0.5)}),
]

started = time.time()
data = TrainingData.load()
observed = observed_targets(data).set_index("target")
untreated = untreated_m0(load_scenario(sys.argv[1]))
keys = [k for k in observed.index if k.startswith("gse2034")]
print("observed", " ".join(f"{observed.value[k]:.3f}" for k in keys))
for label, changes in CASE_MIXES:
    runs = []
    for seed in (2026, 2027):
        pop = gse2034_population(3000, seed, population=PopulationSpec(**changes),
                                 er_positive_fraction=data.gse2034_er_positive_fraction)
        women = run_plans([untreated], np.zeros(len(pop), dtype=np.int64), pop,
                          seed=seed).patients
        runs.append(_km_by_er(women, "gse2034", "dmfs_days", "dmfs_event"))
    mean = {k: np.mean([r[k] for r in runs]) for k in keys}
    z = [(mean[k] - observed.value[k]) / observed.se[k] for k in keys]
    cells = " ".join(f"{mean[k]:.3f}({zk:+.1f})" for k, zk in zip(keys, z, strict=True))
    print(label, cells, f"sumz2={np.sum(np.square(z)):.1f}", f"{time.time() - started:.0f}s",
          flush=True)
