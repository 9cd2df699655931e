"""Executable claims: the model checked against its published targets in one scorecard.

- :mod:`~tumorsim.validation.claim`: what a claim is (checks, bands, estimates);
- :mod:`~tumorsim.validation.mechanism_claims` (M1a-M3b) and
  :mod:`~tumorsim.validation.clinical_claims` (K1-K7): the claims;
- :mod:`~tumorsim.validation.registry`: every claim by id;
- :mod:`~tumorsim.validation.dependencies`: the what-ifs and examples each mechanism
  carries, so that a failing check says what it touches;
- :mod:`~tumorsim.validation.scorecard`: running claims, the table, ``claims.json`` and
  the HTML section of the demo report. The headline counts *emergent* checks only;
  structural checks and calibration targets are listed apart.

``tumorsim validate`` is the command line.
"""

from tumorsim.validation.claim import Band, Check, Claim, ClaimContext, Estimate, evaluate
from tumorsim.validation.registry import all_claims, select_claims
from tumorsim.validation.scorecard import Scorecard, run_claims, write_scorecard

__all__ = [
    "Band",
    "Check",
    "Claim",
    "ClaimContext",
    "Estimate",
    "Scorecard",
    "all_claims",
    "evaluate",
    "run_claims",
    "select_claims",
    "write_scorecard",
]
