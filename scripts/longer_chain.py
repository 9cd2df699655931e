"""Is a calibration's posterior limited by the length of its final chain?

Usage (from the repository root)::

    .venv/bin/python scripts/longer_chain.py RUN_DIR --steps 40000 --out DIR
        [--burn-in 2000 8000] [--moves differential-evolution] [--seed N]

refits the run's emulator from its ``design.parquet`` as ``tumorsim calibrate-posterior``
did (:func:`tumorsim.calibration.run.run_emulator`; nothing is simulated), samples the
emulated posterior twice with the calibration's own sampler
(:func:`tumorsim.calibration.posterior.sample_posterior`, the run's seed and walkers):

1. at the run's own steps and burn-in, as a check that the chain was rebuilt: its 200
   draws must equal the run's ``posterior_draws.parquet`` (the largest difference is
   printed; anything but 0 stops the script with exit status 1);
2. at ``--steps``, the longer chain, with the run's proposals or those of ``--moves``
   (:data:`tumorsim.calibration.posterior.SAMPLER_MOVES`), seeded with the run's seed or
   ``--seed`` (a second seed tells a converged chain from one that depends on its start).

For every fitted parameter it prints and writes (``DIR/marginals.csv``) the median and the
5 % and 95 % quantiles of each chain's kept samples (every walker, every step after the
burn-in; the longer chain at each ``--burn-in``), in the parameter's own units, and the
shift of each from the run's chain in units of the run's posterior standard deviation.
``DIR/record.json`` holds both chains' acceptance, autocorrelation times and effective
sample sizes; ``DIR/posterior_draws.parquet`` the longer chain's 200 draws.

The rule, fixed before the first longer chain was run: the posterior is **not
chain-limited** when, for every parameter, the median moves by less than 0.1 and each 90 %
bound by less than 0.2 of the run's posterior standard deviation (about twice the Monte
Carlo error of a median and of a 5 % quantile at an effective sample size of 600); a
parameter beyond either is named as chain-limited. ``emcee`` advises chains of at least 50
autocorrelation times; the record says how many each chain has.

Exit status: 0 when the rule holds, 1 when a parameter is chain-limited or the rebuilt
chain differs from the run's, 2 on bad input (one line).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

MEDIAN_SHIFT = 0.1
"""The largest shift of a marginal median, in posterior standard deviations, that the rule
allows."""
BOUND_SHIFT = 0.2
"""The largest shift of a 5 % or 95 % quantile, in posterior standard deviations."""


def _kept_values(result, burn_in: int):  # type: ignore[no-untyped-def]
    """The kept samples of ``result``'s chain after ``burn_in`` steps, in parameter units
    (one column per fitted parameter)."""
    import pandas as pd

    chain = result.chain[burn_in:]
    u = chain.reshape(-1, chain.shape[-1])
    return pd.DataFrame({p.name: p.from_unit(u[:, k]) for k, p in enumerate(result.fitted)})


def _chain_record(result, burn_in: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    import numpy as np

    from tumorsim.calibration.posterior import chain_autocorrelation

    tau, ess = chain_autocorrelation(result.chain, burn_in)
    # a walker's acceptance: the share of its kept steps that moved it (a stuck walker,
    # far below the others, holds the chain's tails where the posterior has little mass)
    kept = result.chain[max(burn_in, 1) - 1:]
    moved = np.any(kept[1:] != kept[:-1], axis=-1).mean(axis=0)
    return {"walker_acceptance": {"min": float(np.min(moved)),
                                  "median": float(np.median(moved)),
                                  "max": float(np.max(moved)),
                                  "below_a_quarter_of_median":
                                      int(np.sum(moved < 0.25 * np.median(moved)))},
            "steps": int(result.chain.shape[0]), "burn_in_steps": burn_in,
            "walkers": int(result.chain.shape[1]),
            "acceptance_fraction": result.diagnostics["acceptance_fraction"],
            "largest_autocorrelation_steps": float(np.max(tau)),
            "kept_steps_per_largest_autocorrelation":
                float((result.chain.shape[0] - burn_in) / np.max(tau)),
            "effective_sample_size": ess,
            "autocorrelation_steps": {p.name: float(t)
                                      for p, t in zip(result.fitted, tau, strict=True)}}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--burn-in", type=int, nargs="+", default=None,
                        help="burn-ins of the longer chain (default: the run's)")
    parser.add_argument("--seed", type=int, default=None,
                        help="the longer chain's seed (default: the run's)")
    parser.add_argument("--moves", default="stretch",
                        help="the longer chain's proposals: stretch (the calibration's) or "
                             "differential-evolution")
    args = parser.parse_args(argv)

    from tumorsim.errors import TumorsimError

    try:
        from tumorsim.calibration.posterior import SAMPLER_MOVES
        from tumorsim.calibration.run import run_emulator

        if not (args.run / "posterior_draws.parquet").is_file():
            raise TumorsimError(f"{args.run}: no posterior_draws.parquet; allowed: a "
                                "tumorsim calibrate-posterior output directory")
        record = json.loads((args.run / "posterior.json").read_text(encoding="utf-8"))
        own_steps = int(record["diagnostics"]["steps"])
        own_burn_in = int(record["diagnostics"]["burn_in_steps"])
        burn_ins = args.burn_in or [own_burn_in]
        if args.steps <= own_steps or any(not 0 <= b < args.steps for b in burn_ins):
            raise TumorsimError(f"--steps {args.steps} --burn-in {burn_ins}: allowed: more "
                                f"steps than the run's {own_steps}, each burn-in from 0 to "
                                "fewer than the steps")
        if args.moves not in SAMPLER_MOVES:
            raise TumorsimError(f"--moves {args.moves}: allowed: {', '.join(SAMPLER_MOVES)}")
        if args.out.exists() and any(args.out.iterdir()):
            raise TumorsimError(f"--out {args.out}: not empty; allowed: a new or empty "
                                "directory")
    except (TumorsimError, OSError, ValueError, KeyError) as err:
        print(str(err).splitlines()[0] if str(err) else repr(err), file=sys.stderr)
        return 2

    import numpy as np
    import pandas as pd

    from tumorsim.calibration.posterior import sample_posterior, write_posterior

    started = time.perf_counter()
    try:
        refit = run_emulator(args.run)
    except TumorsimError as err:
        print(err, file=sys.stderr)
        return 2
    emulator_s = time.perf_counter() - started
    print(f"emulator refitted from {args.run}/design.parquet: {emulator_s:.0f} s", flush=True)
    seed = int(record["diagnostics"]["seed"])
    walkers = int(record["diagnostics"]["walkers"])
    draws = int(record["diagnostics"]["draws"])

    def sample(steps: int, burn_in: int, moves: str = "stretch",  # type: ignore[no-untyped-def]
               chain_seed: int = seed):
        return sample_posterior(refit.emulator, refit.targets, seed=chain_seed, walkers=walkers,
                                steps=steps, burn_in=burn_in, draws=draws,
                                fitted=refit.fitted, moves=moves).holding(refit.held)

    t = time.perf_counter()
    own = sample(own_steps, own_burn_in)
    own_s = time.perf_counter() - t
    shipped = pd.read_parquet(args.run / "posterior_draws.parquet", use_threads=False)
    columns = list(shipped.columns)
    difference = float(np.max(np.abs(own.draws[columns].to_numpy(float)
                                     - shipped[columns].to_numpy(float))))
    print(f"chain of {own_steps} steps rebuilt ({own_s:.0f} s): largest difference from "
          f"the run's draws {difference:g}", flush=True)
    if difference != 0.0:
        print("the rebuilt chain is not the run's; stopped", file=sys.stderr)
        return 1

    t = time.perf_counter()
    longer = sample(args.steps, min(burn_ins), args.moves,
                    seed if args.seed is None else args.seed)
    longer_s = time.perf_counter() - t
    print(f"chain of {args.steps} steps ({args.moves} moves): {longer_s:.0f} s", flush=True)

    reference = _kept_values(own, own_burn_in)
    quantiles = {"q05": 0.05, "median": 0.5, "q95": 0.95}
    base = f"{own_steps}_steps"
    labels = {b: f"{args.steps}_steps_burn_in_{b}" for b in burn_ins}
    kept = {base: reference, **{labels[b]: _kept_values(longer, b) for b in burn_ins}}
    table = pd.DataFrame({"parameter": reference.columns,
                          "posterior_sd": reference.std().to_numpy()})
    for label, values in kept.items():
        for q, p in quantiles.items():
            table[f"{q}_{label}"] = values.quantile(p).to_numpy()
    limited: list[str] = []
    for b in burn_ins:
        for q in ("median", "q05", "q95"):
            table[f"shift_{q}_{labels[b]}"] = ((table[f"{q}_{labels[b]}"] - table[f"{q}_{base}"])
                                              / table["posterior_sd"])
    print(f"\n| parameter | median ({own_steps}) | 90 % ({own_steps}) | "
          + " | ".join(f"shift median, q05, q95 ({args.steps}, burn-in {b}) [SD]"
                       for b in burn_ins) + " |")
    print("|---|---|---|" + "---|" * len(burn_ins))
    for r in table.to_dict("records"):
        cells = []
        for b in burn_ins:
            shifts = [r[f"shift_{q}_{labels[b]}"] for q in ("median", "q05", "q95")]
            if abs(shifts[0]) >= MEDIAN_SHIFT or max(abs(shifts[1]), abs(shifts[2])) >= BOUND_SHIFT:
                limited.append(f"{r['parameter']} (burn-in {b})")
            cells.append(", ".join(f"{s:+.3f}" for s in shifts))
        print(f"| {r['parameter']} | {r[f'median_{base}']:.4g} | "
              f"{r[f'q05_{base}']:.4g} to {r[f'q95_{base}']:.4g} | " + " | ".join(cells) + " |")

    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "marginals.csv", index=False)
    command = "python scripts/longer_chain.py " + shlex.join(argv)
    write_posterior(longer, args.out, command=command)
    chains = {"run": str(args.run), "command": command,
              "emulator_refit_seconds": round(emulator_s, 1),
              "rebuilt_chain": {**_chain_record(own, own_burn_in),
                                "largest_difference_from_run_draws": difference,
                                "wall_seconds": round(own_s, 1)},
              "longer_chain": [{**_chain_record(longer, b), "moves": args.moves,
                                "seed": seed if args.seed is None else args.seed,
                                "wall_seconds": round(longer_s, 1)} for b in burn_ins],
              "rule": {"median_shift_sd": MEDIAN_SHIFT, "bound_shift_sd": BOUND_SHIFT},
              "chain_limited": limited}
    (args.out / "record.json").write_text(json.dumps(chains, indent=2) + "\n",
                                          encoding="utf-8")
    for c in [chains["rebuilt_chain"], *chains["longer_chain"]]:
        print(f"\nchain {c['steps']} steps, burn-in {c['burn_in_steps']}: acceptance "
              f"{c['acceptance_fraction']:.3f}, largest tau "
              f"{c['largest_autocorrelation_steps']:.0f} steps, kept steps / tau "
              f"{c['kept_steps_per_largest_autocorrelation']:.1f}, "
              f"ESS {c['effective_sample_size']:.0f}; walkers' acceptance "
              f"{c['walker_acceptance']['min']:.3f}-{c['walker_acceptance']['max']:.3f}, "
              f"{c['walker_acceptance']['below_a_quarter_of_median']} below a quarter of "
              "the median")
    print("\nchain-limited: " + (", ".join(limited) if limited else "none (the rule holds)")
          + f"; {time.perf_counter() - started:.0f} s")
    return 1 if limited else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
