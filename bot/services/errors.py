"""What a use case can refuse, as values the channel turns into words."""

from __future__ import annotations

from enum import StrEnum


class Refusal(StrEnum):
    NOT_REGISTERED = "not_registered"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    ALREADY_TAKEN = "already_taken"
    NOT_CLAIMABLE = "not_claimable"
    NOT_WORKING = "not_working"
    DUPLICATE = "duplicate"
    NO_ENTERPRISE = "no_enterprise"
    BAD_INPUT = "bad_input"
    TOO_MANY_OPEN = "too_many_open"  # details: open, limit
    CANCELLED = "cancelled"  # the owner withdrew the request; details: request_id
    REOPEN_EXPIRED = "reopen_expired"  # too long after resolution; details: request_id, days


class Refused(Exception):
    """A use case said no; nothing was changed."""

    def __init__(self, reason: Refusal, **details: str | int | None) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.details = details
