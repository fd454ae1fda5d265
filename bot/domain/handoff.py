"""Hand-backs: the reasons a request is given back, and which supervisors' question is open.

A hand-back (退单), an away period or a deactivation asks the supervisors where a request goes
next (a ``handoff_asked`` event numbered ``ask``); the first supervisor's answer (a
``handoff_decided`` event with the same ``ask``) settles it, and later taps are refused.
"""

from __future__ import annotations

from enum import StrEnum

from bot.domain.kinds import EventKind
from bot.domain.models import Event


class Reason(StrEnum):
    """The reasons offered as buttons on Decline and Hand back; OTHER asks for free text."""

    NOT_MINE = "not_mine"
    OTHER_TEAM = "other_team"
    DUPLICATE = "duplicate"
    CANNOT = "cannot"
    OTHER = "other"


class Why(StrEnum):
    """Why the supervisors are asked where a request goes."""

    HANDBACK = "handback"
    AWAY = "away"
    DEACTIVATED = "deactivated"
    REASSIGN = "reassign"


def asks(events: list[Event]) -> list[Event]:
    return [e for e in events if e.kind == EventKind.HANDOFF_ASKED]


def decision(events: list[Event], ask: int) -> Event | None:
    """The answer to question `ask`, if a supervisor gave one."""
    return next(
        (e for e in events if e.kind == EventKind.HANDOFF_DECIDED and e.payload.get("ask") == ask),
        None,
    )


def next_ask(events: list[Event]) -> int:
    return len(asks(events)) + 1


# Events that move a request on: a question asked before one of them is out of date.
MOVES = frozenset(
    {
        EventKind.DISPATCHED,
        EventKind.ESCALATED,
        EventKind.ACCEPTED,
        EventKind.REASSIGNED,
        EventKind.RESOLVED,
        EventKind.CANCELLED,
    }
)


def is_open(events: list[Event], ask: int) -> bool:
    """Whether question `ask` still waits: not answered, and the request has not moved since."""
    at = next(
        (
            i
            for i, e in enumerate(events)
            if e.kind == EventKind.HANDOFF_ASKED and e.payload.get("ask") == ask
        ),
        None,
    )
    if at is None or decision(events, ask) is not None:
        return False
    # Events come in the order they were written (one clock tick may hold several).
    return not any(e.kind in MOVES for e in events[at + 1 :])


def pending(events: list[Event]) -> Event | None:
    """The latest question still open, if any."""
    for e in reversed(asks(events)):
        number = e.payload.get("ask")
        if isinstance(number, int) and is_open(events, number):
            return e
    return None
