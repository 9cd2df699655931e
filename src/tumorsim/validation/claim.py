"""What a claim is: a published finding, how the model is asked about it, and a pass rule.

A :class:`Claim` is data plus one small function. The data say what is claimed, where it
was published and what counts as reproducing it (one :class:`Check` per number); the
function, ``measure(context)``, runs the simulations the claim needs and returns one
:class:`Estimate` (a simulated value with its 95 % confidence interval) per check.
:func:`evaluate` applies each check's :class:`Band` to its estimate and gives the
:class:`CheckResult` rows of the scorecard.

Adding a claim is a few lines in one of the claim modules (``mechanism_claims``,
``clinical_claims``) and needs no change elsewhere: the registry
(:mod:`tumorsim.validation.registry`) collects every module-level ``Claim``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from tumorsim.model.scenario import Scenario

__all__ = [
    "Band",
    "Check",
    "CheckResult",
    "Claim",
    "ClaimContext",
    "Estimate",
    "evaluate",
]

Z95: Final[float] = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    """A simulated statistic with its 95 % confidence interval (Monte Carlo uncertainty).

    Attributes
    ----------
    value : float
        Point estimate (``nan`` when the simulation cannot produce it, e.g. no events).
    ci_low, ci_high : float
        95 % confidence interval of ``value`` over the simulated patients.
    note : str
        Supporting numbers shown with the result (counts, the arms compared).
    """

    value: float
    ci_low: float
    ci_high: float
    note: str = ""

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
    direction claims ("lowers", "raises"), so that Monte Carlo noise cannot pass them.

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

    def margin(self, estimate: Estimate) -> float:
        """Signed distance to the nearest edge: >= 0 passes, < 0 fails by that much."""
        lo = estimate.ci_low if self.whole_interval else estimate.value
        hi = estimate.ci_high if self.whole_interval else estimate.value
        if any(math.isnan(x) for x in (lo, hi)):
            return math.nan
        distances = []
        if self.low is not None:
            distances.append(lo - self.low)
        if self.high is not None:
            distances.append(self.high - hi)
        return min(distances)

    def describe(self) -> str:
        """The rule as text, e.g. ``"in [0.47, 0.59]"`` or ``"95 % CI above 0"``."""
        what = "95 % CI" if self.whole_interval else "value"
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
        Its published 95 % CI, where known.
    band : Band
        The pass rule.
    """

    label: str
    statistic: str
    published: float | None
    band: Band
    published_ci: tuple[float, float] | None = None

    def published_text(self) -> str:
        if self.published is None:
            return "direction"
        text = f"{self.published:.4g}"
        if self.published_ci is not None:
            text += f" [{self.published_ci[0]:.4g}-{self.published_ci[1]:.4g}]"
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


Kind = Literal["mechanism", "clinical"]


@dataclass(frozen=True)
class Claim:
    """An executable claim of MODEL.md section 5.

    Attributes
    ----------
    id : str
        ``"M1a"``, ``"K3"``, ...
    kind : {"mechanism", "clinical"}
    statement : str
        The claim in words.
    citation : str
        Where it was published (and the MODEL.md section).
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
    kind: Kind
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
    """One row of the scorecard."""

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

    @property
    def id(self) -> str:
        """``"K3 T1N0"``: claim id and check label (just the claim id for one check)."""
        return self.claim_id if not self.label else f"{self.claim_id} {self.label}"


def evaluate(claim: Claim, context: ClaimContext) -> list[CheckResult]:
    """Run one claim and judge each of its checks.

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
    rows = []
    for check in claim.checks:
        est = estimates[check.label]
        margin = check.band.margin(est)
        rows.append(CheckResult(
            claim_id=claim.id, label=check.label, kind=claim.kind,
            statement=claim.statement, citation=claim.citation, statistic=check.statistic,
            published=check.published, published_ci=check.published_ci,
            published_text=check.published_text(), rule=check.band.describe(),
            simulated=est.value, ci_low=est.ci_low, ci_high=est.ci_high,
            passed=bool(margin >= 0) if not math.isnan(margin) else False,
            margin=margin, note=est.note, patients=context.patients,
            size_unit=claim.size_unit, seconds=seconds / len(claim.checks),
            design=claim.design,
        ))
    return rows
