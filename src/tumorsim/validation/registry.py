"""Every claim of the scorecard, by id.

To add a claim, define a :class:`~tumorsim.validation.claim.Claim` in
``mechanism_claims`` (add it to ``MECHANISM_CLAIMS``) or in ``clinical_claims`` (add it to
the tuple :func:`~tumorsim.validation.clinical_claims.clinical_claims` returns); nothing
else changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from tumorsim.errors import TumorsimError
from tumorsim.validation.claim import Claim
from tumorsim.validation.clinical_claims import clinical_claims
from tumorsim.validation.mechanism_claims import MECHANISM_CLAIMS

__all__ = ["all_claims", "select_claims"]


def all_claims() -> tuple[Claim, ...]:
    """Mechanism claims M1a-M3b, then clinical claims K1-K7."""
    claims = MECHANISM_CLAIMS + clinical_claims()
    ids = [c.id for c in claims]
    if len(set(ids)) != len(ids):
        raise RuntimeError(f"duplicate claim ids: {ids}")
    return claims


def select_claims(ids: Sequence[str] | None, claims: Sequence[Claim] | None = None
                  ) -> list[Claim]:
    """The claims named in ``ids`` (case-insensitive), in registry order; all if ``None``.

    Raises
    ------
    TumorsimError
        For an unknown id, naming it and the known ones.
    """
    known = list(claims if claims is not None else all_claims())
    if ids is None:
        return known
    by_id = {c.id.lower(): c for c in known}
    wanted = [i.strip() for i in ids if i.strip()]
    unknown = [i for i in wanted if i.lower() not in by_id]
    if unknown or not wanted:
        raise TumorsimError(
            f"--claims = {','.join(ids)!r}: unknown claim id(s) {unknown}; allowed: "
            f"{', '.join(c.id for c in known)}" if unknown else
            "--claims is empty; allowed: " + ", ".join(c.id for c in known))
    chosen = {i.lower() for i in wanted}
    return [c for c in known if c.id.lower() in chosen]
