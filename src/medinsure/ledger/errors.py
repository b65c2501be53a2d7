"""Errors of the ledger; each derives from :class:`~medinsure.errors.MedinsureError`."""

from __future__ import annotations

from medinsure.errors import MedinsureError

__all__ = ["ClaimConflict", "ClaimReversed", "LedgerError", "UnknownClaim"]


class LedgerError(MedinsureError):
    """The ledger cannot be opened, read or written (no such file, no server, wrong schema)."""


class ClaimConflict(LedgerError):
    """A claim id already in the ledger, given again with different content.

    ``differences`` lists ``(field, stored, given)`` for each field that differs (person ids
    masked unless the ledger shows ids).
    """

    def __init__(self, claim_id: str, differences: list[tuple[str, str, str]]) -> None:
        self.claim_id = claim_id
        self.differences = differences
        shown = "; ".join(f"{field}: stored {stored}, given {given}" for field, stored, given in differences[:3])
        more = f"; and {len(differences) - 3} more" if len(differences) > 3 else ""
        super().__init__(
            f"claim.id={claim_id!r}: already in the ledger with different content ({shown}{more});"
            " use a new claim id, or correct the claim"
        )


class ClaimReversed(LedgerError):
    """A claim that was reversed, given again (to settle, correct or reverse)."""

    def __init__(self, claim_id: str, event_id: int) -> None:
        self.claim_id = claim_id
        self.event_id = event_id
        super().__init__(
            f"claim.id={claim_id!r}: reversed by ledger event {event_id}; a reversed claim is not settled,"
            " corrected or reversed again (give the claim a new id)"
        )


class UnknownClaim(LedgerError, LookupError):
    """A claim id that the ledger does not hold."""

    def __init__(self, claim_id: str) -> None:
        self.claim_id = claim_id
        super().__init__(f"claim.id={claim_id!r}: not in the ledger")
