"""Calibration: what is fitted (priors), to what (training targets), and the posterior."""
