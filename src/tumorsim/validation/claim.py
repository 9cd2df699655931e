"""What a claim is: a published finding, how the model is asked about it, and a pass rule.

A :class:`Claim` is data plus one small function. The data say what is claimed, where it
was published and what counts as reproducing it (one :class:`Check` per number); the
function, ``measure(context)``, runs the simulations the claim needs and returns one
:class:`Estimate` (a simulated value with its 95 % confidence interval, or an exact value)
per check. :func:`evaluate` applies each check's :class:`Band` to its estimate and gives
the :class:`CheckResult` rows of the scorecard.

Every check says what kind of evidence it is (:data:`EVIDENCE_KINDS`):

- ``"emergent"``: the statistic is not a parameter read back and its outcome is not fixed
  by the form of the equations; only these count in the scorecard's headline;
- ``"structural"``: true by construction of the equations for every parameter value in
  its allowed range (a sign or a value the equations fix); it tests the code, not the
  biology, and is listed apart;
- ``"calibration target"``: a number the parameters are (to be) fitted to; reported, but
  not validation.

Adding a claim is a few lines in one of the claim modules (``mechanism_claims``,
``clinical_claims``) and needs no change elsewhere: the registry
(:mod:`tumorsim.validation.registry`) collects every module-level ``Claim``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, get_args

from tumorsim.analysis.intervals import Z95
from tumorsim.model.scenario import Scenario

__all__ = [
    "EVIDENCE_KINDS",
    "Band",
    "Check",
    "CheckResult",
    "Claim",
    "ClaimContext",
    "Estimate",
    "EvidenceKind",
    "evaluate",
    "judge",
    "measure",
]


EvidenceKind = Literal["emergent", "structural", "calibration target"]
EVIDENCE_KINDS: Final[tuple[str, ...]] = get_args(EvidenceKind)


@dataclass(frozen=True)
class Estimate:
    """A simulated statistic with its 95 % confidence interval (Monte Carlo uncertainty).

    Attributes
    ----------
    value : float
        Point estimate (``nan`` when the simulation cannot produce it, e.g. no events).
    ci_low, ci_high : float
        95 % confidence interval of ``value`` over the simulated patients; ``nan`` for an
        exact value.
    note : str
        Supporting numbers shown with the result (counts, the arms compared).
    exact : bool, default False
        ``True`` when the value has no Monte Carlo uncertainty (expected values, or every
        simulated woman gives the same number): it is exact *given the parameters*
        (parameter-conditional), and carries no confidence interval.
    """

    value: float
    ci_low: float
    ci_high: float
    note: str = ""
    exact: bool = False

    @classmethod
    def exact_value(cls, value: float, note: str = "") -> Estimate:
        """A deterministic value: exact given the parameters, no interval."""
        return cls(float(value), math.nan, math.nan, note, exact=True)

    def interval(self) -> tuple[float, float]:
        """The range a whole-interval rule judges: the CI, or the value if exact."""
        return (self.value, self.value) if self.exact else (self.ci_low, self.ci_high)

    @classmethod
    def from_log_se(cls, log_value: float, se: float, note: str = "") -> Estimate:
        """An estimate of ``exp(log_value)`` whose log has standard error ``se``."""
        return cls(math.exp(log_value), math.exp(log_value - Z95 * se),
                   math.exp(log_value + Z95 * se), note)

    @classmethod
    def from_se(cls, value: float, se: float, note: str = "") -> Estimate:
        """A normal-approximation interval ``value +- 1.96 se``."""
        return cls(value, value - Z95 * se, value + Z95 * se, note)


@dataclass(frozen=True)
class Band:
    """The pass rule of a check: the simulated value must lie in ``[low, high]``.

    Either end may be open (``None``). With ``whole_interval=True`` the simulated 95 %
    confidence interval must lie inside the band, not just the point estimate: used for
    direction and size claims ("lowers", "most", "little"), so that Monte Carlo noise
    cannot pass them. A one-sided band must judge the whole interval (a point value
    against an open band is the rule this class refuses). An exact estimate is judged by
    its value.

    Attributes
    ----------
    low, high : float or None
    whole_interval : bool, default False
    reason : str
        Where the band comes from (the published 95 % CI, a stated tolerance, a direction).
    """

    low: float | None = None
    high: float | None = None
    whole_interval: bool = False
    reason: str = ""

    def __post_init__(self) -> None:
        if self.low is None and self.high is None:
            raise ValueError("a band needs at least one end")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"band low {self.low} > high {self.high}")
        if (self.low is None or self.high is None) and not self.whole_interval:
            raise ValueError("a one-sided band must judge the whole interval "
                             "(whole_interval=True), not a point value")

    def margin(self, estimate: Estimate) -> float:
        """Signed distance to the nearest edge: >= 0 passes, < 0 fails by that much."""
        lo, hi = estimate.interval() if self.whole_interval else (estimate.value,) * 2
        if any(math.isnan(x) for x in (lo, hi)):
            return math.nan
        distances = []
        if self.low is not None:
            distances.append(lo - self.low)
        if self.high is not None:
            distances.append(self.high - hi)
        return min(distances)

    def describe(self, exact: bool = False) -> str:
        """The rule as text, e.g. ``"value in [0.48, 0.57]"`` or ``"95 % CI above 1"``
        (``"exact value ..."`` for an exact estimate)."""
        what = "exact value" if exact else "95 % CI" if self.whole_interval else "value"
        if self.low is not None and self.high is not None:
            return f"{what} in [{self.low:.4g}, {self.high:.4g}]"
        if self.low is not None:
            return f"{what} above {self.low:.4g}"
        return f"{what} below {self.high:.4g}"


@dataclass(frozen=True)
class Check:
    """One published number of a claim and the band that counts as reproducing it.

    Attributes
    ----------
    label : str
        Names the check within its claim (e.g. ``"years 0-4"``); unique per claim.
    statistic : str
        What is measured, with its unit.
    published : float or None
        The published value (``None`` for a direction-only claim).
    published_ci : tuple of float, optional
        Its 95 % CI exactly as published (or, where only an SE was published, the
        interval derived from it: ``published_ci_note`` then says how).
    band : Band
        The pass rule.
    kind : {"emergent", "structural", "calibration target"}
        What kind of evidence the check is (module docstring).
    why_kind : str
        Why a check is structural or a calibration target (required for those).
    published_ci_note : str
        Where ``published_ci`` comes from when it is not printed in the source.
    mechanisms : tuple of str
        The mechanisms the check tests (keys of
        :data:`tumorsim.validation.dependencies.MECHANISMS`); a failing check lists the
        what-ifs and examples that depend on them.
    """

    label: str
    statistic: str
    published: float | None
    band: Band
    published_ci: tuple[float, float] | None = None
    kind: EvidenceKind = "emergent"
    why_kind: str = ""
    published_ci_note: str = ""
    mechanisms: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in EVIDENCE_KINDS:
            raise ValueError(f"check {self.label!r}: kind {self.kind!r} is not one of "
                             f"{EVIDENCE_KINDS}")
        if self.kind != "emergent" and not self.why_kind:
            raise ValueError(f"check {self.label!r}: a {self.kind} check needs why_kind")

    def published_text(self) -> str:
        if self.published is None:
            return "direction"
        text = f"{self.published:.4g}"
        if self.published_ci is not None:
            text += f" [{self.published_ci[0]:.4g}-{self.published_ci[1]:.4g}]"
            if self.published_ci_note:
                text += " (derived)"
        return text


@dataclass(frozen=True)
class ClaimContext:
    """What a claim's ``measure`` function is given.

    Attributes
    ----------
    scenario : Scenario
        The biology under test (the built-in default scenario unless the user gives one);
        each claim changes only its cohort, exposures and treatment.
    seed : int
        Master seed: a claim's arms share it (common random numbers).
    patients : int
        Patients per arm (or twins per woman for twin claims; see the claim's
        ``size_unit``).
    n_threads : int or None
        Numba threads (results do not depend on it).
    progress : callable or None
        ``progress(done, total)`` within the claim.
    cache : dict
        Shared by the claims of one run, for simulations several claims use (e.g. K4
        and K5); keys must include everything the cached result depends on.
    """

    scenario: Scenario
    seed: int
    patients: int
    n_threads: int | None = None
    progress: Callable[[int, int], None] | None = None
    cache: dict[object, object] = field(default_factory=dict)


Family = Literal["mechanism", "clinical"]


@dataclass(frozen=True)
class Claim:
    """An executable claim: a published finding and how the model is asked about it.

    Attributes
    ----------
    id : str
        ``"M1a"``, ``"K3"``, ...
    family : {"mechanism", "clinical"}
    statement : str
        The claim in words.
    citation : str
        Where it was published.
    checks : tuple of Check
        The numbers tested.
    measure : callable
        ``measure(context) -> {check label: Estimate}``.
    patients, fast_patients : int
        Patients per arm for the full suite and for ``--fast``.
    size_unit : str
        What ``patients`` counts ("patients per arm", "twins per woman").
    design : str
        How the claim is simulated: cohort, arms, horizon, statistic and its interval.
    """

    id: str
    family: Family
    statement: str
    citation: str
    checks: tuple[Check, ...]
    measure: Callable[[ClaimContext], Mapping[str, Estimate]]
    patients: int
    fast_patients: int
    design: str
    size_unit: str = "patients per arm"
    notes: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        labels = [c.label for c in self.checks]
        if len(set(labels)) != len(labels):
            raise ValueError(f"claim {self.id}: check labels must be unique, got {labels}")
        if not self.checks:
            raise ValueError(f"claim {self.id}: needs at least one check")


@dataclass(frozen=True)
class CheckResult:
    """One row of the scorecard.

    ``kind`` is the evidence kind (emergent, structural, calibration target) and
    ``family`` the claim family (mechanism, clinical). ``exact`` marks a value without
    Monte Carlo uncertainty (``ci_low`` and ``ci_high`` are then ``nan``). ``affects``
    lists, for a failing check only, the what-ifs and examples whose answer depends on a
    mechanism the check tests.

    Over an ensemble (:mod:`tumorsim.validation.over_draws`) ``simulated`` and the CI are
    the mean over ``draws`` parameter draws and its total interval, ``mc_low``/``mc_high``
    the Monte Carlo part, ``parameter_share`` the share of the variance due to the
    parameters and ``draws_holding`` the share of draws in which the check holds.
    ``status`` is ``"pass"``, ``"fail"`` or ``"uncertain"`` (a mechanism check that holds
    in some draws but in fewer than 95 %; not counted as passed).
    """

    claim_id: str
    label: str
    kind: str
    statement: str
    citation: str
    statistic: str
    published: float | None
    published_ci: tuple[float, float] | None
    published_text: str
    rule: str
    simulated: float
    ci_low: float
    ci_high: float
    passed: bool
    margin: float
    note: str
    patients: int
    size_unit: str
    seconds: float
    design: str = ""
    family: str = ""
    why_kind: str = ""
    exact: bool = False
    published_ci_note: str = ""
    mechanisms: tuple[str, ...] = ()
    affects: tuple[str, ...] = ()
    status: str = ""
    draws: int = 1
    mc_low: float = math.nan
    mc_high: float = math.nan
    parameter_share: float = 0.0
    draws_holding: float = math.nan
    interval_method: str = "Monte Carlo (one parameter set)"

    @property
    def id(self) -> str:
        """``"K3 T1N0"``: claim id and check label (just the claim id for one check)."""
        return self.claim_id if not self.label else f"{self.claim_id} {self.label}"


def measure(claim: Claim, context: ClaimContext) -> tuple[dict[str, Estimate], float]:
    """Run one claim's simulations: ``({check label: Estimate}, seconds)``.

    A check whose estimate is missing from ``measure``'s answer is an error in the claim,
    not a failure of the model, and raises ``KeyError``.
    """
    import time

    started = time.perf_counter()
    estimates = dict(claim.measure(context))
    seconds = time.perf_counter() - started
    unknown = set(estimates) - {c.label for c in claim.checks}
    if unknown:
        raise KeyError(f"claim {claim.id}: measure returned unknown checks {sorted(unknown)}")
    missing = {c.label for c in claim.checks} - set(estimates)
    if missing:
        raise KeyError(f"claim {claim.id}: measure gave no estimate for {sorted(missing)}")
    return estimates, seconds


def evaluate(claim: Claim, context: ClaimContext) -> list[CheckResult]:
    """Run one claim and judge each of its checks (:func:`measure`, then :func:`judge`)."""
    estimates, seconds = measure(claim, context)
    return judge(claim, context, estimates, seconds)


def judge(claim: Claim, context: ClaimContext, estimates: Mapping[str, Estimate],
          seconds: float) -> list[CheckResult]:
    """Each check of ``claim`` judged on its estimate by its band."""
    from tumorsim.validation.dependencies import depending_on

    rows = []
    for check in claim.checks:
        est = estimates[check.label]
        margin = check.band.margin(est)
        passed = bool(margin >= 0) if not math.isnan(margin) else False
        rows.append(CheckResult(
            claim_id=claim.id, label=check.label, kind=check.kind,
            statement=claim.statement, citation=claim.citation, statistic=check.statistic,
            published=check.published, published_ci=check.published_ci,
            published_text=check.published_text(), rule=check.band.describe(est.exact),
            simulated=est.value, ci_low=est.ci_low, ci_high=est.ci_high,
            passed=passed, margin=margin, note=est.note, patients=context.patients,
            size_unit=claim.size_unit, seconds=seconds / len(claim.checks),
            design=claim.design, family=claim.family, why_kind=check.why_kind,
            exact=est.exact, published_ci_note=check.published_ci_note,
            mechanisms=check.mechanisms,
            affects=() if passed else depending_on(check.mechanisms),
            status="pass" if passed else "fail", mc_low=est.ci_low, mc_high=est.ci_high,
        ))
    return rows
