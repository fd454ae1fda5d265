"""Extensions (申请延期): the holder asks for a later deadline with a reason; a supervisor decides.

The ask, the decision and the new deadline are events (``extension_asked``,
``extension_approved`` with the new ``due_at``, ``extension_refused``); the resolution rate
then counts against the approved deadline (bot.domain.kpis).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.access import allows, relations
from bot.domain.clock import from_text, to_text
from bot.domain.identity import UpdateRef
from bot.domain.kinds import MessageKind
from bot.domain.lifecycle import WORKING
from bot.domain.models import Event, Person, Request
from bot.services.desk import NOTE_MAX, Desk, check_text
from bot.services.errors import Refusal, Refused
from bot.services.sla import EXTENSION_APPROVED, EXTENSION_ASKED, EXTENSION_REFUSED, SlaPolicy

MAX_EXTENSION_DAYS = 30
REASON_MIN = 2


@dataclass(frozen=True)
class ExtensionAsked:
    request: Request
    ask: int
    days: int
    new_due: datetime
    supervisors: int  # how many were asked


@dataclass(frozen=True)
class ExtensionDecided:
    request: Request
    ask: int
    approved: bool
    due: datetime | None


def asks(events: list[Event]) -> list[Event]:
    return [e for e in events if e.kind == EXTENSION_ASKED]


def decision(events: list[Event], ask: int) -> Event | None:
    return next(
        (
            e
            for e in events
            if e.kind in (EXTENSION_APPROVED, EXTENSION_REFUSED) and e.payload.get("ask") == ask
        ),
        None,
    )


def pending_ask(events: list[Event]) -> Event | None:
    """The ask still waiting for a supervisor, if any."""
    for e in asks(events):
        number = e.payload.get("ask")
        if isinstance(number, int) and decision(events, number) is None:
            return e
    return None


class Extensions:
    def __init__(self, desk: Desk, policy: SlaPolicy) -> None:
        self.desk = desk
        self.policy = policy

    async def ask(
        self,
        request_id: int,
        person_id: int,
        days: int,
        reason: str,
        update: UpdateRef | None = None,
    ) -> ExtensionAsked:
        """The holder asks, before the deadline, to move it `days` (working) days later."""
        desk = self.desk
        if not 1 <= days <= MAX_EXTENSION_DAYS:
            raise Refused(Refusal.BAD_INPUT, field="days", request_id=request_id)
        reason = check_text(reason, "reason", REASON_MIN, NOTE_MAX)
        now = desk.clock.now()
        async with desk.unit(update) as tx:
            person = await desk.person_of(tx, person_id)
            request = await desk.request_of(tx, request_id)
            if not allows("/extend", relations(person, request)):
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
            if request.status not in WORKING or request.due_at is None:
                raise Refused(Refusal.NOT_WORKING, request_id=request_id)
            if now >= request.due_at:
                raise Refused(Refusal.BAD_INPUT, field="past_due", request_id=request_id)
            events = await tx.events(request_id)
            if pending_ask(events) is not None:
                raise Refused(Refusal.BAD_INPUT, field="pending", request_id=request_id)
            number = len(asks(events)) + 1
            new_due = self.policy.extend(request.due_at, days)
            await desk.record(
                tx,
                request_id,
                person,
                EXTENSION_ASKED,
                ask=number,
                days=days,
                reason=reason,
                due_at=to_text(request.due_at),
                new_due_at=to_text(new_due),
            )
            supervisors = [s for s in await desk.supervisors_of(tx) if s.id != person.id]
            await desk.notify(
                tx,
                supervisors,
                MessageKind.EXTENSION_ASKED,
                request,
                ask=number,
                days=days,
                reason=reason,
                holder=person.name,
                due_at=to_text(request.due_at),
                new_due_at=to_text(new_due),
                working_days=self.policy.working_days,
            )
            reachable = sum(1 for s in supervisors if s.address is not None)
            return ExtensionAsked(request, number, days, new_due, reachable)

    async def decide(
        self,
        request_id: int,
        person_id: int,
        ask: int,
        approve: bool,
        update: UpdateRef | None = None,
    ) -> ExtensionDecided:
        """A supervisor approves or refuses an ask with one tap; the first tap decides."""
        desk = self.desk
        async with desk.unit(update) as tx:
            person = await desk.person_of(tx, person_id)
            if not allows("extension", relations(person)):
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
            request = await desk.request_of(tx, request_id)
            events = await tx.events(request_id)
            asked = next((e for e in asks(events) if e.payload.get("ask") == ask), None)
            if asked is None:
                raise Refused(Refusal.NOT_FOUND, request_id=request_id)
            earlier = decision(events, ask)
            if earlier is not None:
                by = await tx.person(earlier.actor_id) if earlier.actor_id else None
                raise Refused(
                    Refusal.DUPLICATE,
                    request_id=request_id,
                    by=by.name if by else None,
                    approved=int(earlier.kind == EXTENSION_APPROVED),
                )
            if request.status not in WORKING or request.due_at is None:
                raise Refused(Refusal.NOT_WORKING, request_id=request_id)
            new_due = from_text(str(asked.payload["new_due_at"]))
            due: datetime | None = None
            if approve:
                if not await tx.set_due(request_id, new_due, WORKING):
                    raise Refused(Refusal.NOT_WORKING, request_id=request_id)
                due = new_due
                await desk.record(
                    tx,
                    request_id,
                    person,
                    EXTENSION_APPROVED,
                    ask=ask,
                    due_at=to_text(new_due),
                    previous_due_at=to_text(request.due_at),
                )
            else:
                await desk.record(tx, request_id, person, EXTENSION_REFUSED, ask=ask)
            decided = await desk.request_of(tx, request_id)

            async def tell(
                people: list[Person | None], kind: MessageKind, key: str | None = None
            ) -> None:
                await desk.notify(
                    tx,
                    people,
                    kind,
                    decided,
                    edit_key=key,
                    ask=ask,
                    approved=approve,
                    by=person.name,
                    due_at=to_text(decided.due_at) if decided.due_at else None,
                    new_due_at=to_text(new_due),
                )

            holder = await tx.person(decided.holder_id) if decided.holder_id else None
            # Every supervisor's ask message now says who decided, without buttons.
            await tell(
                list(await desk.supervisors_of(tx)), MessageKind.EXTENSION_DECIDED, f"ext{ask}"
            )
            await tell([holder], MessageKind.EXTENSION_RESULT)
            if approve:
                await tell([await tx.person(decided.owner_id)], MessageKind.DEADLINE_EXTENDED)
                await desk.notify(tx, [holder], MessageKind.CARD, decided, edit_key="card")
            return ExtensionDecided(decided, ask, approve, due)
