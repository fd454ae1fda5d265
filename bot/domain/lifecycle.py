"""The request lifecycle: one explicit state machine; an illegal transition raises."""

from __future__ import annotations

from enum import StrEnum

from bot.domain.models import RequestStatus as S


class Action(StrEnum):
    SUBMIT = "submit"
    DISPATCH = "dispatch"
    ESCALATE = "escalate"
    ACCEPT = "accept"
    DECLINE = "decline"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"
    CANCEL = "cancel"
    REASSIGN = "reassign"


class IllegalTransition(Exception):
    """An action that the request's current status does not allow."""

    def __init__(self, status: S | None, action: Action) -> None:
        super().__init__(f"cannot {action} a request that is {status or 'new'}")
        self.status = status
        self.action = action


# (from-status, action) → to-status. Anything absent is illegal.
TRANSITIONS: dict[tuple[S | None, Action], S] = {
    (None, Action.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, Action.DISPATCH): S.DISPATCHED,
    (S.SUBMITTED, Action.ESCALATE): S.ESCALATED,
    (S.SUBMITTED, Action.CANCEL): S.CANCELLED,
    (S.DISPATCHED, Action.ACCEPT): S.ACCEPTED,
    (S.DISPATCHED, Action.DECLINE): S.ESCALATED,
    (S.DISPATCHED, Action.ESCALATE): S.ESCALATED,
    (S.DISPATCHED, Action.REASSIGN): S.DISPATCHED,
    (S.DISPATCHED, Action.CANCEL): S.CANCELLED,
    (S.ESCALATED, Action.ACCEPT): S.ACCEPTED,
    (S.ESCALATED, Action.DECLINE): S.ESCALATED,
    (S.ESCALATED, Action.ESCALATE): S.ESCALATED,
    (S.ESCALATED, Action.REASSIGN): S.DISPATCHED,
    (S.ESCALATED, Action.CANCEL): S.CANCELLED,
    (S.ACCEPTED, Action.RESOLVE): S.RESOLVED,
    (S.ACCEPTED, Action.REASSIGN): S.DISPATCHED,
    (S.ACCEPTED, Action.CANCEL): S.CANCELLED,
    (S.RESOLVED, Action.CLOSE): S.CLOSED,
    (S.RESOLVED, Action.REOPEN): S.REOPENED,
    # The owner reopens within ONCALL_LIFECYCLE__REOPEN_DAYS, rated (closed) or not: it is
    # offered to its last holder again, who accepts it (a new deadline) or declines it.
    (S.CLOSED, Action.REOPEN): S.REOPENED,
    (S.REOPENED, Action.ACCEPT): S.ACCEPTED,
    (S.REOPENED, Action.DECLINE): S.ESCALATED,
    (S.REOPENED, Action.DISPATCH): S.DISPATCHED,  # the holder is gone: routed as a new request
    (S.REOPENED, Action.ESCALATE): S.ESCALATED,
    (S.REOPENED, Action.REASSIGN): S.DISPATCHED,
    (S.REOPENED, Action.CANCEL): S.CANCELLED,
}

OPEN_STATUSES: frozenset[S] = frozenset(
    {S.SUBMITTED, S.DISPATCHED, S.ESCALATED, S.ACCEPTED, S.REOPENED}
)
# Statuses in which someone may still take the request with one tap.
# A reopened request waits for its holder's Accept like an offer.
CLAIMABLE: frozenset[S] = frozenset({S.DISPATCHED, S.ESCALATED, S.REOPENED})
# Statuses in which the holder works the request.
WORKING: frozenset[S] = frozenset({S.ACCEPTED})
# Statuses an owner may reopen from (within the reopen window).
REOPENABLE: frozenset[S] = frozenset({S.RESOLVED, S.CLOSED})


def transition(status: S | None, action: Action) -> S:
    """Returns the status that `action` leads to from `status`, or raises IllegalTransition."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise IllegalTransition(status, action) from None


def sources(action: Action) -> frozenset[S]:
    """The statuses from which `action` is legal (for conditional UPDATEs)."""
    return frozenset(s for (s, a) in TRANSITIONS if a == action and s is not None)
