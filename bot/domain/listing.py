"""Lists of requests and a request's history as people see them: pages, filters, what owners see.

Pure rules (no I/O, no channel): how a list is cut into pages, what the supervisors' /open
filters mean, how old a request is, and which steps of a request's history its owner sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.kinds import EventKind
from bot.domain.lifecycle import CLAIMABLE, OPEN_STATUSES, WORKING
from bot.domain.models import RequestStatus, Urgency

PAGE_SIZE = 8  # list items a page: one button each, fits a phone screen

# Statuses that may still be withdrawn by their owner (until it is resolved).
CANCELLABLE: frozenset[RequestStatus] = OPEN_STATUSES
# What "unaccepted" means for the supervisors' filter: nobody holds it yet.
UNACCEPTED: frozenset[RequestStatus] = CLAIMABLE | {RequestStatus.SUBMITTED}

# The steps an owner sees in a timeline: what happened to their request, not the internal
# chasing, escalation, reassignment or the staff's messages among themselves.
OWNER_STEPS: frozenset[EventKind] = frozenset(
    {
        EventKind.SUBMITTED,
        EventKind.ACCEPTED,
        EventKind.NOTED,
        EventKind.EXTENSION_APPROVED,
        EventKind.RESOLVED,
        EventKind.RATED,
        EventKind.CANCELLED,
        EventKind.COMMENTED,
        EventKind.REOPENED,
        EventKind.CLOSED,
    }
)


class ListKind(StrEnum):
    """Which list a page belongs to."""

    MY = "my"  # an owner's own requests, every status
    MINE = "mine"  # what a commissioner (or supervisor) holds and what is on offer to them
    OPEN = "open"  # the supervisors' view of every open request, filtered
    # An industry chain's requests: a committee member's own chains (chain None, every
    # status), or one chain's open ones (chain: its place among the chains, in order).
    CHAIN = "chain"


class OpenFilter(StrEnum):
    """The supervisors' filters on /open."""

    ALL = "all"
    OVERDUE = "late"
    UNACCEPTED = "new"
    TEAM = "team"


@dataclass(frozen=True)
class ListKey:
    """Names one page of one list: what a list button carries (never who may see it)."""

    kind: ListKind
    page: int = 0
    filter: OpenFilter = OpenFilter.ALL
    team: str | None = None
    chain: int | None = None

    def at(self, page: int) -> ListKey:
        return ListKey(self.kind, page, self.filter, self.team, self.chain)


@dataclass(frozen=True)
class RequestLine:
    """One request in a list: what its button shows."""

    id: int
    status: RequestStatus
    created_at: datetime
    urgency: Urgency
    due_at: datetime | None = None

    def overdue(self, now: datetime) -> bool:
        return self.status in WORKING and self.due_at is not None and self.due_at < now


@dataclass(frozen=True)
class Page:
    """One page of a list, newest first."""

    key: ListKey
    items: tuple[RequestLine, ...]
    total: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.key.page > 0

    @property
    def has_next(self) -> bool:
        return self.key.page + 1 < self.pages


def clamp_page(page: int, total: int, size: int = PAGE_SIZE) -> int:
    """A page number that exists (the last one if the list has shrunk since the tap)."""
    last = max(0, -(-total // size) - 1)
    return min(max(0, page), last)


class AgeUnit(StrEnum):
    MINUTES = "m"
    HOURS = "h"
    DAYS = "d"


def age(since: datetime, now: datetime) -> tuple[int, AgeUnit]:
    """How long ago, in the largest whole unit: (3, DAYS), (5, HOURS), (12, MINUTES)."""
    elapsed = max(now - since, timedelta(0))
    if elapsed >= timedelta(days=1):
        return elapsed // timedelta(days=1), AgeUnit.DAYS
    if elapsed >= timedelta(hours=1):
        return elapsed // timedelta(hours=1), AgeUnit.HOURS
    return elapsed // timedelta(minutes=1), AgeUnit.MINUTES
