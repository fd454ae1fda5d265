"""Requests, their lists and their events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from bot.domain.kinds import EventKind
from bot.domain.listing import RequestLine
from bot.domain.models import (
    Attachment,
    Event,
    Request,
    RequestStatus,
    Urgency,
)


class RequestRepository(Protocol):
    """Requests (their conditional status changes and lists) and the offers of them."""

    async def request(self, request_id: int) -> Request | None: ...

    async def insert_request(
        self,
        enterprise_id: int,
        owner_id: int,
        category: str,
        description: str,
        urgency: Urgency,
        attachments: Sequence[Attachment],
        now: datetime,
    ) -> int: ...

    async def move(
        self,
        request_id: int,
        sources: Iterable[RequestStatus],
        target: RequestStatus,
        **fields: str | int | None,
    ) -> bool:
        """Conditional status change: true only if the request was in one of `sources`."""
        ...

    async def claim(
        self,
        request_id: int,
        person_id: int,
        sources: Iterable[RequestStatus],
        now: datetime,
        due_at: datetime,
    ) -> bool:
        """Makes `person_id` the holder if the request is still claimable and offered to them."""
        ...

    async def requests_where(
        self, column: str, person_id: int, statuses: Iterable[RequestStatus]
    ) -> list[Request]: ...

    async def replan_requests_of(self, person_id: int) -> None:
        """Plans at once the open requests this person holds or has on offer."""
        ...

    async def requests_involving(
        self, person_id: int, statuses: Iterable[RequestStatus]
    ) -> list[Request]:
        """Requests in `statuses` this person owns, holds, or has an active offer of."""
        ...

    async def set_due(
        self, request_id: int, due_at: datetime, sources: Iterable[RequestStatus]
    ) -> bool:
        """Moves the deadline of a request still in one of `sources` (an approved extension)."""
        ...

    async def requests_due(self, now: datetime) -> list[int]:
        """Ids of the requests whose next chase step is due at `now` (by index), in id order."""
        ...

    async def set_next_step(self, request_id: int, at: datetime | None) -> None:
        """Stores when the request's next chase step falls due (None: nothing to chase).

        Every other write that changes a request's status, holder, offers or deadline marks it
        to be planned at the next sweep, in the same transaction.
        """
        ...

    async def export_rows(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        after_id: int = 0,
        limit: int = -1,
    ) -> list[dict[str, Any]]:
        """Requests submitted in [since, until) (when given), with the names a sheet shows, in
        id order: the `limit` next after `after_id` (-1: all), so an export reads in chunks."""
        ...

    async def export_events(self, request_ids: Sequence[int]) -> list[dict[str, Any]]:
        """The events of these requests, with their actor's name, by request then in order."""
        ...

    async def offer(
        self, request_id: int, people: Iterable[int], tier: str, now: datetime
    ) -> None: ...

    async def offered(self, request_id: int, active_only: bool = True) -> list[int]: ...

    async def withdraw_offers(self, request_id: int, person_id: int | None = None) -> None: ...


class ListRepository(Protocol):
    """Pages of requests for the lists people browse (bot.services.browse), newest first."""

    async def owner_lines(
        self, owner_id: int, limit: int, offset: int
    ) -> tuple[list[RequestLine], int]: ...

    async def staff_lines(
        self,
        person_id: int,
        working: Iterable[RequestStatus],
        claimable: Iterable[RequestStatus],
        limit: int,
        offset: int,
    ) -> tuple[list[RequestLine], int]: ...

    async def open_lines(
        self,
        statuses: Iterable[RequestStatus],
        limit: int,
        offset: int,
        due_before: datetime | None = None,
        categories: Sequence[str] | None = None,
    ) -> tuple[list[RequestLine], int]: ...

    async def chain_lines(
        self,
        chains: Iterable[str],
        statuses: Iterable[RequestStatus] | None,
        limit: int,
        offset: int,
    ) -> tuple[list[RequestLine], int]:
        """Requests of the enterprises of these chains (in `statuses`; None: every status)."""
        ...


class EventRepository(Protocol):
    """The append-only event log and the reads reports and chasing need of it."""

    async def append(self, event: Event) -> None: ...

    async def events(self, request_id: int | None = None) -> list[Event]: ...

    async def events_of_kind(self, kind: EventKind, since: datetime) -> list[Event]: ...
