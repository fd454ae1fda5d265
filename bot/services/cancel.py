"""The owner withdraws a request (until it is resolved), with an optional reason.

One transaction: the status becomes ``cancelled`` (a conditional UPDATE from the status it
was read in), the offers are withdrawn, a ``cancelled`` event records who and why, and whoever
held it or had it on offer is told (#N, the reason) while their card is edited so that its
Accept / Resolve buttons go away. The chase (bot.services.sweep) reads only requests waiting
to be accepted or in work, so nothing chases a cancelled request.

Between the confirmation and the reason, the channel remembers the question (see
bot.channels.pending); the reason arrives here as an argument of `cancel`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.access import allows, relations
from bot.domain.identity import UpdateRef
from bot.domain.kinds import EventKind, MessageKind
from bot.domain.lifecycle import Action, IllegalTransition, transition
from bot.domain.models import Person, Request, RequestStatus
from bot.services.desk import NOTE_MAX, Desk, check_text
from bot.services.errors import Refusal, Refused
from bot.services.ports import Transaction

REASON_MIN = 1


@dataclass(frozen=True)
class Cancelled:
    request: Request
    told: tuple[Person, ...]  # the holder and whoever had it on offer


class Cancellation:
    """Withdrawing a request: authorise the tap, then cancel in one transaction."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    async def authorise(self, person_id: int, request_id: int) -> Request:
        """The request if this person owns it and may still withdraw it; else Refused."""
        async with self.desk.db.read() as tx:
            person = await _person(tx, person_id)
            return await _cancellable(tx, person, request_id)

    async def authorise_keep(self, person_id: int, request_id: int) -> Request:
        """The request if this person owns it (keeping it needs no particular state)."""
        async with self.desk.db.read() as tx:
            person = await _person(tx, person_id)
            request = await tx.request(request_id)
            if request is None:
                raise Refused(Refusal.NOT_FOUND, request_id=request_id)
            if not allows("withdraw_keep", relations(person, request)):
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
            return request

    async def cancel(
        self,
        person_id: int,
        request_id: int,
        reason: str | None,
        update: UpdateRef | None = None,
    ) -> Cancelled:
        """Withdraws #N; tells its holder or whoever has it on offer, and clears their buttons."""
        if reason is not None:
            reason = check_text(reason, "reason", REASON_MIN, NOTE_MAX)
        desk = self.desk
        async with desk.unit(update) as tx:
            person = await _person(tx, person_id)
            request = await _cancellable(tx, person, request_id)
            after = transition(request.status, Action.CANCEL)
            holder = await tx.person(request.holder_id) if request.holder_id else None
            offered = await desk.people_of(tx, await tx.offered(request_id))
            if not await tx.move(request_id, [request.status], after):
                raise Refused(Refusal.NOT_WORKING, request_id=request_id)
            await tx.withdraw_offers(request_id)
            await desk.record(
                tx,
                request_id,
                person,
                EventKind.CANCELLED,
                request.status,
                after,
                reason=reason,
                holder=holder.id if holder else None,
                offered=",".join(str(p.id) for p in offered) or None,
            )
            cancelled = await desk.request_of(tx, request_id)
            told = list({p.id: p for p in [*([holder] if holder else []), *offered]}.values())
            told = [p for p in told if p.id != person.id]
            # Their card loses its buttons; a new message says who withdrew it and why.
            await desk.notify(tx, told, MessageKind.CARD, cancelled, edit_key="card")
            await desk.notify(
                tx, told, MessageKind.CANCELLED, cancelled, owner=person.name, reason=reason
            )
            return Cancelled(cancelled, tuple(told))


async def _person(tx: Transaction, person_id: int) -> Person:
    person = await tx.person(person_id)
    if person is None or not person.active:
        raise Refused(Refusal.NOT_REGISTERED)
    return person


async def _cancellable(tx: Transaction, person: Person, request_id: int) -> Request:
    request = await tx.request(request_id)
    if request is None:
        raise Refused(Refusal.NOT_FOUND, request_id=request_id)
    if not allows("withdraw", relations(person, request)):
        raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
    if request.status == RequestStatus.CANCELLED:
        raise Refused(Refusal.CANCELLED, request_id=request_id)
    try:
        transition(request.status, Action.CANCEL)
    except IllegalTransition:
        raise Refused(Refusal.NOT_WORKING, request_id=request_id) from None
    return request
