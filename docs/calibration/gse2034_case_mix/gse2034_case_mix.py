import sys, time, numpy as np
from tumorsim.calibration.targets import TrainingData, observed_targets, untreated_m0, _km_by_er
from tumorsim.cohort.datasets import gse2034_population
from tumorsim.runner.simulate import run_plans
from tumorsim.io.scenario_file import load_scenario
from tumorsim.model.scenario import PopulationSpec
t0=time.time()
data = TrainingData.load()
obs = observed_targets(data).set_index("target")
scen = load_scenario(sys.argv[1])
un = untreated_m0(scen)
keys=[k for k in obs.index if k.startswith("gse2034")]
print("obs", " ".join(f"{obs.value[k]:.3f}" for k in keys))
for label, upd in [("size20",{}),("size28",{"tumour_size_median_mm":28.0}),("size35",{"tumour_size_median_mm":35.0}),
                   ("grade3_50",{"grade_probabilities":(0.1,0.4,0.5)})]:
    vals=[]
    for s in (2026,2027):
        pop = gse2034_population(3000, s, population=PopulationSpec(**upd), er_positive_fraction=data.gse2034_er_positive_fraction)
        g = run_plans([un], np.zeros(len(pop), dtype=np.int64), pop, seed=s).patients
        vals.append(_km_by_er(g, "gse2034", "dmfs_days", "dmfs_event"))
    m={k: np.mean([v[k] for v in vals]) for k in keys}
    z=[(m[k]-obs.value[k])/obs.se[k] for k in keys]
    print(label, " ".join(f"{m[k]:.3f}({zz:+.1f})" for k,zz in zip(keys,z)), f"sumz2={np.sum(np.square(z)):.1f}", f"{time.time()-t0:.0f}s", flush=True)
