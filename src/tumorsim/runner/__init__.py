"""How a cohort is run: in process, chunk by chunk into a results directory (checkpoints,
resume), on a Dask cluster, and as stochastic twins of real patients.

The engine (:mod:`tumorsim.engine.simulate`) simulates the patients it is given; this
layer decides who they are (sampling a cohort when none is given), how they are cut into
chunks and where the chunks run. Each module is imported on use:

- :mod:`tumorsim.runner.simulate`: :func:`simulate`, :func:`run_plans` (in process);
- :mod:`tumorsim.runner.directory`: :func:`simulate_to_directory` (``tumorsim simulate``);
- :mod:`tumorsim.runner.dask_backend`: chunks as dask.distributed tasks;
- :mod:`tumorsim.runner.twins`: :func:`run_twin` (``tumorsim twin``).
"""
