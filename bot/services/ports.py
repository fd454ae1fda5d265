"""What the use cases need from the outside, as protocols: the unit of work and its repositories.

One Protocol per aggregate, with the methods the services (and the channels, which are handed
the same unit of work) call; `Transaction` is all of them over one transaction. The SQLite
implementation (bot/storage/sqlite/) is checked against these by mypy; a fake can be too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.domain.clock import Clock
from bot.domain.identity import Address
from bot.domain.kinds import EventKind
from bot.domain.kpis import (
    Counts,
    Cut,
    Durations,
    LowRating,
    OverdueLine,
    Period,
    Rates,
    Tally,
)
from bot.domain.listing import RequestLine
from bot.domain.models import (
    Attachment,
    Enterprise,
    Event,
    Message,
    Person,
    Request,
    RequestStatus,
    Role,
    Urgency,
)

__all__ = [
    "ChatNoticeRepository",
    "Clock",
    "DeadLetterRepository",
    "DeadlinePolicy",
    "DeliveryRepository",
    "DraftRepository",
    "EnterpriseRepository",
    "EventRepository",
    "HealthRepository",
    "InboxRepository",
    "ListRepository",
    "MessageRefRepository",
    "OutboxRepository",
    "OutboxRow",
    "PeopleRepository",
    "ReportRepository",
    "RequestRepository",
    "RetentionRepository",
    "Transaction",
    "UnitOfWork",
    "Wakeup",
]


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A pending outgoing message as the sender sees it."""

    id: int
    address: Address
    attempts: int
    edit_key: str | None
    urgent: bool
    message: Message


class PeopleRepository(Protocol):
    """People, their roles and teams, their language, and whether they can be reached."""

    async def person(self, person_id: int) -> Person | None: ...

    async def person_at(self, address: Address) -> Person | None:
        """Whoever is reached at this address (bound to it), if anyone."""
        ...

    async def person_by_phone(self, phone: str) -> Person | None: ...

    async def people_with_role(self, role: Role) -> list[Person]: ...

    async def bind_address(self, person_id: int, address: Address, language: str | None) -> None:
        """Binds the address to the person (replacing their address in that channel); an
        address belongs to one person, so it leaves anyone it was bound to before."""
        ...

    async def set_language(self, person_id: int, language: str) -> None: ...

    async def set_away(
        self,
        person_id: int,
        away: bool,
        until: datetime | None = None,
        reason: str | None = None,
    ) -> None: ...

    async def away_ended(self, now: datetime) -> list[int]:
        """The people whose away period ends at or before `now`."""
        ...

    async def upsert_person(
        self, name: str, phone: str, role: Role, address: Address | None, now: datetime
    ) -> int: ...

    async def set_teams(self, person_id: int, teams: Iterable[str]) -> None: ...

    async def set_chains(self, person_id: int, chains: Iterable[str]) -> None:
        """The industry chains whose committee this person sits on (replacing the old ones)."""
        ...

    async def deactivate_role_except(self, role: Role, keep_phones: Iterable[str]) -> int: ...

    async def people_page(self, role: Role, limit: int, offset: int) -> tuple[list[Person], int]:
        """Active holders of `role` (commissioners by their first team, then by name)."""
        ...

    async def set_phone(self, person_id: int, phone: str) -> None:
        """A new phone for a person, and for the enterprises that list them as contact."""
        ...

    async def owner_states(self, phones: Iterable[str]) -> dict[str, tuple[str, bool]]:
        """(name, holds the owner role) of the people with these phones, by phone."""
        ...

    async def names_and_roles(
        self, phones: Iterable[str]
    ) -> dict[str, tuple[str, frozenset[Role]]]:
        """(name, active roles) of the people with these phones, by phone (one query)."""
        ...

    async def upsert_owners(self, people: Iterable[tuple[str, str]], now: datetime) -> None:
        """Inserts or updates (by phone) many enterprise contacts, as active owners."""
        ...

    async def mark_unreachable(self, person_id: int, now: datetime) -> bool:
        """Marks someone unreachable; false if they already were (so they are told of once)."""
        ...

    async def mark_reachable(self, person_id: int) -> bool:
        """Clears the mark; false (and nothing written) if they were not marked."""
        ...

    async def unreachable_people(self) -> list[tuple[Person, datetime]]:
        """Active people marked unreachable, with since when, longest first."""
        ...


class EnterpriseRepository(Protocol):
    """Enterprises and their contacts, one at a time or a whole roster at once."""

    async def enterprise(self, enterprise_id: int) -> Enterprise | None: ...

    async def enterprises_of_contact(self, phone: str) -> list[Enterprise]: ...

    async def upsert_enterprise(self, e: Enterprise) -> int: ...

    async def chains(self) -> list[str]:
        """The industry chains the active enterprises belong to, in order."""
        ...

    async def enterprises_in_chain(self, chain: str) -> list[Enterprise]: ...

    async def enterprises_by_codes(self, codes: Iterable[str]) -> dict[str, Enterprise]:
        """The enterprises with these credit codes (one query), by code."""
        ...

    async def upsert_enterprises(self, enterprises: Iterable[Enterprise]) -> None:
        """Inserts or updates (by credit code) many enterprises at once, reactivating them."""
        ...

    async def deactivate_enterprises_except(self, keep_codes: Iterable[str]) -> int: ...


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

    async def requests_offered_to(
        self, person_id: int, statuses: Iterable[RequestStatus]
    ) -> list[Request]: ...

    async def requests_with_status(self, statuses: Iterable[RequestStatus]) -> list[Request]: ...

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

    async def report_events(self, since: datetime) -> list[Event]:
        """Every event of the requests a report from `since` on can involve, in log order."""
        ...


class ReportRepository(Protocol):
    """Report figures computed by indexed queries (definitions: bot.domain.kpis).

    Each groups by a cut (the county total is the one group ""); run them in `read()`.
    """

    async def report_counts(
        self, period: Period, by: Cut = Cut.COUNTY, overdue: bool = True
    ) -> dict[str, Counts]:
        """Received, accepted, resolved, escalated in `period`; overdue at its last instant."""
        ...

    async def report_rates(
        self, period: Period, accept_within: timedelta, by: Cut = Cut.COUNTY
    ) -> dict[str, Rates]:
        """Response, resolution and satisfaction rates and MTTA/MTTR over `period`."""
        ...

    async def report_durations(self, period: Period, by: Cut = Cut.COUNTY) -> dict[str, Durations]:
        """Median and p90 of time to accept and to resolve over `period`."""
        ...

    async def report_resolved(self, period: Period, by: Cut) -> dict[str, int]:
        """Distinct requests with a resolution in `period`, by group."""
        ...

    async def report_tally(self, period: Period, by: Cut = Cut.COUNTY) -> dict[str, Tally]:
        """Cancelled, reopened and resolved by outcome in `period`; open now."""
        ...

    async def report_low_ratings(self, period: Period, most: int = 2) -> list[LowRating]:
        """Ratings of at most `most` stars given in `period`, oldest first."""
        ...

    async def report_overdue(self, when: datetime, limit: int | None = None) -> list[OverdueLine]:
        """Requests being worked on past their deadline at `when`, most late first, named;
        the first `limit` of them (all without)."""
        ...

    async def report_overdue_count(self, when: datetime) -> int:
        """How many requests were being worked on past their deadline at `when`."""
        ...


class RetentionRepository(Protocol):
    """Pruning what is only kept for a while: handled updates, sent and failed messages."""

    async def prune_inbox(self, before: datetime, limit: int) -> int:
        """Deletes up to `limit` updates handled before `before` (never the newest one)."""
        ...

    async def prune_outbox(self, before: datetime, limit: int) -> int:
        """Deletes up to `limit` sent or failed messages queued and settled before `before`."""
        ...


class OutboxRepository(Protocol):
    """Messages queued in the transaction that decided them, and those that failed."""

    async def enqueue(self, message: Message, to: Address, now: datetime) -> int: ...

    async def mark_failed(self, outbox_id: int, error: str) -> None: ...


class DeliveryRepository(Protocol):
    """The sender's side of the outbox: what is due, and how each try went."""

    async def due_messages(self, now: datetime, limit: int) -> list[OutboxRow]:
        """The oldest pending message of each address, where it is due: each keeps its order."""
        ...

    async def next_head_due_at(self) -> datetime | None:
        """When the earliest first-in-line message of any address is due."""
        ...

    async def mark_sent(self, outbox_id: int, now: datetime) -> None: ...

    async def defer(self, outbox_id: int, not_before: datetime, error: str) -> None: ...


class MessageRefRepository(Protocol):
    """Which message shows what to whom, for later edits and replies."""

    async def save_ref(
        self, person_id: int, request_id: int, key: str, at: Address, message_ref: str
    ) -> None:
        """Remembers that message `message_ref` at address `at` shows `key` of the request."""
        ...

    async def ref(self, person_id: int, request_id: int, key: str) -> tuple[Address, str] | None:
        """(address, message reference) of what this person was shown under `key`."""
        ...

    async def delete_ref(self, person_id: int, request_id: int, key: str) -> None: ...

    async def request_of_message(self, at: Address, message_ref: str) -> int | None: ...


class InboxRepository(Protocol):
    """The durable inbox: updates stored on arrival, each marked once handled."""

    async def store_updates(self, updates: Iterable[tuple[int, str]], now: datetime) -> list[int]:
        """Stores updates not seen before; returns their ids (a redelivery is not among them)."""
        ...

    async def unprocessed_updates(self) -> list[tuple[int, str]]: ...

    async def last_update_id(self) -> int | None: ...

    async def mark_processed(self, update_id: int, now: datetime) -> bool:
        """Marks an update handled; false if it already was (a redelivery)."""
        ...

    async def start_handling(self, update_id: int) -> int | None:
        """Counts one more start of handling an update; None if it was handled already."""
        ...


class DeadLetterRepository(Protocol):
    """Updates set aside for good after failing too often."""

    async def add_dead_letter(
        self, update_id: int, payload: str, reason: str, now: datetime
    ) -> bool:
        """Sets an update aside for good (and marks it handled); false if it already was."""
        ...


class DraftRepository(Protocol):
    """A conversation's answers so far, saved at each step."""

    async def draft(self, at: Address, flow: str) -> tuple[str, dict[str, Any]] | None: ...

    async def save_draft(
        self, at: Address, flow: str, step: str, data: dict[str, Any], now: datetime
    ) -> None: ...

    async def delete_draft(self, at: Address, flow: str | None = None) -> None: ...

    async def drafts(self, flow: str) -> list[tuple[Address, str]]: ...


class HealthRepository(Protocol):
    """The watchdog's record of heartbeats and restarts."""

    async def record_restart(self, component: str, error: str, now: datetime) -> None: ...

    async def heartbeat(self, component: str, now: datetime) -> None: ...


class ChatNoticeRepository(Protocol):
    """When a group or channel was last told that the bot works in private chats."""

    async def claim_chat_notice(self, chat_id: int, now: datetime, since: datetime) -> bool:
        """Records a notice to a group or channel now, unless one was recorded after `since`."""
        ...


class Transaction(
    PeopleRepository,
    EnterpriseRepository,
    RequestRepository,
    ListRepository,
    EventRepository,
    ReportRepository,
    OutboxRepository,
    DeliveryRepository,
    MessageRefRepository,
    InboxRepository,
    RetentionRepository,
    DeadLetterRepository,
    DraftRepository,
    HealthRepository,
    ChatNoticeRepository,
    Protocol,
):
    """Every repository, over one transaction: a use case's state, events and outbox rows."""


class UnitOfWork(Protocol):
    def tx(self) -> AbstractAsyncContextManager[Transaction]:
        """A read-write transaction: commits when the block ends, rolls back if it raises."""
        ...

    def read(self) -> AbstractAsyncContextManager[Transaction]:
        """A read-only snapshot that does not wait for writers."""
        ...


class DeadlinePolicy(Protocol):
    def resolve_due(self, accepted_at: datetime, urgency: Urgency) -> datetime: ...

    @property
    def reopen_within(self) -> timedelta: ...


Wakeup = Callable[[], None]
"""Called after a commit that queued messages, so the sender looks at once."""
