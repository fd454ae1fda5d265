"""What every use case shares: the unit of work, the clock, recording events, notifying people."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from contextvars import ContextVar

from bot.domain.identity import Address, UpdateRef
from bot.domain.kinds import EventKind, MessageKind
from bot.domain.models import (
    Catalog,
    Event,
    LengthProblem,
    Message,
    Person,
    Request,
    RequestStatus,
    Role,
    Urgency,
    length_problem,
    text_length,
    visible_length,
)
from bot.services.errors import Refusal, Refused
from bot.services.ports import Clock, DeadlinePolicy, Transaction, UnitOfWork, Wakeup

NOTE_MAX = 2000
REASON_MIN = 2  # a decline reason, a resolution summary
MAX_OPEN_REQUESTS = 20  # per owner; ONCALL_LIMITS__MAX_OPEN_REQUESTS

RECORDED_UPDATES: ContextVar[set[UpdateRef] | None] = ContextVar("recorded_updates", default=None)
"""The updates committed units of work recorded as handled, while the channel's processor
handles one (a set it puts here, shared with any task the handler starts): the processor then
needs no transaction of its own to mark it."""

PEOPLE_SEEN: ContextVar[dict[Address, Person | None] | None] = ContextVar(
    "people_seen", default=None
)
"""Who is at an address, as read while handling one update (the gate, the menu and the handler
each ask): set to an empty dict by the channel's processor for each update, emptied whenever a
unit of work commits (a write may have changed who someone is)."""


class ServiceContext:
    """The small context the use-case families share: every use case is one transaction
    (state + events + outbox rows) opened by `unit`, records with `record` and tells people
    with `notify`; `person_of` and `request_of` load what a use case acts on or refuse."""

    def __init__(
        self,
        db: UnitOfWork,
        clock: Clock,
        catalog: Catalog,
        deadlines: DeadlinePolicy,
        wakeup: Wakeup | None = None,
        max_open_requests: int = MAX_OPEN_REQUESTS,
    ) -> None:
        self.db = db
        self.clock = clock
        self.catalog = catalog
        self.deadlines = deadlines
        self._wakeup = wakeup or (lambda: None)
        self.max_open_requests = max_open_requests

    # ---- building blocks shared by every use case (here, sweep, extensions) ---------------

    @asynccontextmanager
    async def unit(self, update: UpdateRef | None = None) -> AsyncIterator[Transaction]:
        """A unit of work that also records the update it handles, refusing a redelivery."""
        async with self.db.tx() as tx:
            if update is not None and not await tx.mark_processed(update, self.clock.now()):
                raise Refused(Refusal.DUPLICATE)
            yield tx
        recorded = RECORDED_UPDATES.get()
        if update is not None and recorded is not None:
            recorded.add(update)
        seen = PEOPLE_SEEN.get()
        if seen:
            seen.clear()
        self._wakeup()

    async def notify(
        self,
        tx: Transaction,
        people: Iterable[Person | None],
        kind: MessageKind,
        request: Request | None = None,
        edit_key: str | None = None,
        **params: str | int | float | bool | None,
    ) -> None:
        now = self.clock.now()
        for person in people:
            if person is None or person.address is None:
                continue
            message = Message(
                recipient_id=person.id,
                kind=kind,
                request_id=request.id if request else None,
                params=params,
                edit_key=edit_key,
                urgent=bool(request and request.urgency == Urgency.URGENT),
            )
            await tx.enqueue(message, person.address, now)

    async def record(
        self,
        tx: Transaction,
        request_id: int | None,
        actor: Person | None,
        kind: EventKind,
        before: RequestStatus | None = None,
        after: RequestStatus | None = None,
        **payload: str | int | float | bool | None,
    ) -> None:
        await tx.append(
            Event(
                request_id=request_id,
                actor_id=actor.id if actor else None,
                kind=kind,
                from_status=before,
                to_status=after,
                payload=payload,
                at=self.clock.now(),
            )
        )

    async def person_of(self, tx: Transaction, person_id: int) -> Person:
        """The person acting: refused as not registered if unknown or no longer active."""
        person = await tx.person(person_id)
        if person is None or not person.active:
            raise Refused(Refusal.NOT_REGISTERED)
        return person

    async def request_of(self, tx: Transaction, request_id: int) -> Request:
        request = await tx.request(request_id)
        if request is None:
            raise Refused(Refusal.NOT_FOUND, request_id=request_id)
        return request

    async def people_of(self, tx: Transaction, ids: Iterable[int]) -> list[Person]:
        return [p for p in [await tx.person(i) for i in ids] if p is not None]

    async def supervisors_of(self, tx: Transaction) -> list[Person]:
        return await tx.people_with_role(Role.SUPERVISOR)


def check_text(text: str, field: str, minimum: int, maximum: int) -> str:
    """The text stripped, or Refused(BAD_INPUT) saying whether it is too short or too long.

    Invisible characters (zero-width spaces and the like) do not count toward `minimum`.
    """
    text = text.strip()
    problem = length_problem(text, minimum, maximum)
    if problem is not None:
        short = problem == LengthProblem.TOO_SHORT
        raise Refused(
            Refusal.BAD_INPUT,
            field=field,
            problem=problem.value,
            length=visible_length(text) if short else text_length(text),
            min=minimum,
            max=maximum,
        )
    return text
