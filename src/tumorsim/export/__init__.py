"""The model handed to other tools: SBML (ODE tools) and PhysiCell cell rules."""
