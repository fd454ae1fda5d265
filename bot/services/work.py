"""Work on a request: accept, decline, resolve, note, rate (each text arrives as an argument)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.access import allows, relations
from bot.domain.clock import to_text
from bot.domain.identity import UpdateRef
from bot.domain.kinds import EventKind, MessageKind
from bot.domain.lifecycle import CLAIMABLE, WORKING, Action, sources, transition
from bot.domain.models import (
    Outcome,
    Person,
    Request,
    RequestStatus,
)
from bot.domain.routing import Tier
from bot.services.access import authorise
from bot.services.context import NOTE_MAX, REASON_MIN, check_text
from bot.services.dispatching import Dispatching
from bot.services.errors import Refusal, Refused

LOW_RATING = 2  # a rating of this many stars or fewer alerts the supervisors at once


@dataclass(frozen=True)
class Accepted:
    request: Request
    holder: Person
    again: bool  # the same person tapped Accept a second time


class Work(Dispatching):
    """What the people offered or holding a request do with it."""

    async def accept(
        self, request_id: int, person_id: int, update: UpdateRef | None = None
    ) -> Accepted:
        """One tap takes the request: a conditional UPDATE makes exactly one winner."""
        now = self.clock.now()
        async with self.unit(update) as tx:
            person = await self.person_of(tx, person_id)
            request = await self.request_of(tx, request_id)
            if request.holder_id == person.id and request.status in WORKING:
                return Accepted(request, person, again=True)
            if request.status in WORKING or request.status in (
                RequestStatus.RESOLVED,
                RequestStatus.CLOSED,
            ):
                holder = await tx.person(request.holder_id) if request.holder_id else None
                raise Refused(
                    Refusal.ALREADY_TAKEN,
                    request_id=request_id,
                    holder=holder.name if holder else None,
                )
            if request.status == RequestStatus.CANCELLED:  # a stale Accept after a withdrawal
                raise Refused(Refusal.CANCELLED, request_id=request_id)
            await authorise(tx, self.catalog, "accept", person, request)
            due = self.deadlines.resolve_due(now, request.urgency)
            if not await tx.claim(request_id, person.id, sources(Action.ACCEPT), now, due):
                raise Refused(Refusal.NOT_CLAIMABLE, request_id=request_id)
            others = [p for p in await tx.offered(request_id) if p != person.id]
            await tx.withdraw_offers(request_id)
            await self.record(
                tx,
                request_id,
                person,
                EventKind.ACCEPTED,
                request.status,
                RequestStatus.ACCEPTED,
                due_at=to_text(due),
            )
            accepted = await self.request_of(tx, request_id)
            owner = await tx.person(accepted.owner_id)
            await self.notify(tx, [person], MessageKind.CARD, accepted, edit_key="card")
            await self.notify(
                tx, await self.people_of(tx, others), MessageKind.CARD, accepted, edit_key="card"
            )
            await self.notify(tx, [owner], MessageKind.ACCEPTED, accepted, holder=person.name)
            return Accepted(accepted, person, again=False)

    async def decline(
        self, request_id: int, person_id: int, reason: str, update: UpdateRef | None = None
    ) -> tuple[Tier, list[Person]]:
        """The recipient gives it back with a reason; it goes on to the team, then supervisors."""
        reason = check_text(reason, "reason", REASON_MIN, NOTE_MAX)
        async with self.unit(update) as tx:
            person = await self.person_of(tx, person_id)
            request = await self.request_of(tx, request_id)
            if request.status not in CLAIMABLE:
                holder = await tx.person(request.holder_id) if request.holder_id else None
                raise Refused(
                    Refusal.ALREADY_TAKEN if holder else Refusal.NOT_CLAIMABLE,
                    request_id=request_id,
                    holder=holder.name if holder else None,
                )
            offered = await tx.offered(request_id)
            await authorise(tx, self.catalog, "decline", person, request)
            await self.record(
                tx,
                request_id,
                person,
                EventKind.DECLINED,
                request.status,
                request.status,
                reason=reason,
            )
            await tx.withdraw_offers(request_id, person.id)
            await self.notify(tx, [person], MessageKind.CARD, request, edit_key="card")
            remaining = [p for p in offered if p != person.id]
            if remaining:
                # Others on the same tier still hold the offer; nothing moves yet.
                return Tier.TEAM, await self.people_of(tx, remaining)
            first = (RequestStatus.DISPATCHED, RequestStatus.REOPENED)
            start = Tier.TEAM if request.status in first else Tier.SUPERVISORS
            return await self.dispatch(
                tx, request_id, person, request.status, start=start, reason=reason
            )

    async def resolve(
        self,
        request_id: int,
        person_id: int,
        outcome: Outcome,
        summary: str,
        update: UpdateRef | None = None,
    ) -> Request:
        summary = check_text(summary, "summary", REASON_MIN, NOTE_MAX)
        now = self.clock.now()
        async with self.unit(update) as tx:
            person = await self.person_of(tx, person_id)
            request = await self.request_of(tx, request_id)
            if not allows("resolve", relations(person, request)):
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
            after = transition(request.status, Action.RESOLVE)
            if not await tx.move(
                request_id,
                [request.status],
                after,
                resolved_at=to_text(now),
                outcome=outcome.value,
                resolution=summary,
            ):
                raise Refused(Refusal.NOT_WORKING, request_id=request_id)
            await self.record(
                tx,
                request_id,
                person,
                EventKind.RESOLVED,
                request.status,
                after,
                outcome=outcome.value,
                summary=summary,
            )
            resolved = await self.request_of(tx, request_id)
            owner = await tx.person(resolved.owner_id)
            await self.notify(tx, [person], MessageKind.CARD, resolved, edit_key="card")
            await self.notify(tx, [owner], MessageKind.RESOLVED, resolved, holder=person.name)
            return resolved

    async def note(
        self, request_id: int, person_id: int, text: str, update: UpdateRef | None = None
    ) -> Person | None:
        """A progress note from the holder, kept in the log and passed to the owner.

        Returns the owner; one known to have blocked the bot is not sent it (see `unreachable`).
        """
        text = check_text(text, "note", 1, NOTE_MAX)
        async with self.unit(update) as tx:
            person = await self.person_of(tx, person_id)
            request = await self.request_of(tx, request_id)
            if not allows("note", relations(person, request)) or request.status not in WORKING:
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
            await self.record(tx, request_id, person, EventKind.NOTED, text=text)
            owner = await tx.person(request.owner_id)
            if owner is not None and not owner.unreachable:
                await self.notify(
                    tx,
                    [owner],
                    MessageKind.NOTE,
                    request,
                    holder=person.name,
                    holder_id=person.id,
                    text=text,
                )
            return owner

    async def rate(
        self, request_id: int, person_id: int, stars: int, update: UpdateRef | None = None
    ) -> Request:
        if not 1 <= stars <= 5:
            raise Refused(Refusal.BAD_INPUT, field="rating")
        now = self.clock.now()
        async with self.unit(update) as tx:
            person = await self.person_of(tx, person_id)
            request = await self.request_of(tx, request_id)
            if not allows("rate", relations(person, request)):
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
            if request.status != RequestStatus.RESOLVED:
                raise Refused(Refusal.NOT_WORKING, request_id=request_id)
            after = transition(request.status, Action.CLOSE)
            await tx.move(request_id, [request.status], after, rating=stars, closed_at=to_text(now))
            await self.record(
                tx, request_id, person, EventKind.RATED, request.status, after, stars=stars
            )
            closed = await self.request_of(tx, request_id)
            holder = await tx.person(closed.holder_id) if closed.holder_id else None
            await self.notify(tx, [person], MessageKind.RATED, closed, edit_key="rate", stars=stars)
            await self.notify(tx, [holder], MessageKind.RATED_HOLDER, closed, stars=stars)
            if stars <= LOW_RATING:
                # Supervisors hear of a poor rating at once (its comment follows if one comes).
                await self.notify(
                    tx,
                    await self.supervisors_of(tx),
                    MessageKind.LOW_RATING,
                    closed,
                    stars=stars,
                    holder=holder.name if holder else None,
                )
            return closed

    # ---- authorising a tap before its text is asked for (asked again when it comes) ------

    async def authorise_holder(
        self, request_id: int, person_id: int, action: str = "resolve"
    ) -> Request:
        """The request, if the policy lets this person use `action` on it and it is in work."""
        async with self.db.read() as tx:
            person = await self.person_of(tx, person_id)
            request = await self.request_of(tx, request_id)
            if not allows(action, relations(person, request)):
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
            if request.status not in WORKING:
                raise Refused(Refusal.NOT_WORKING, request_id=request_id)
            return request

    async def authorise_offered(
        self, request_id: int, person_id: int, action: str = "decline"
    ) -> Request:
        """The request, if it is still on offer and the policy lets this person use `action`."""
        async with self.db.read() as tx:
            person = await self.person_of(tx, person_id)
            request = await self.request_of(tx, request_id)
            if request.status not in CLAIMABLE:
                holder = await tx.person(request.holder_id) if request.holder_id else None
                raise Refused(
                    Refusal.ALREADY_TAKEN if holder else Refusal.NOT_CLAIMABLE,
                    request_id=request_id,
                    holder=holder.name if holder else None,
                )
            await authorise(tx, self.catalog, action, person, request)
            return request
