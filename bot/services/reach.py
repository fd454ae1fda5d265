"""Who cannot be reached in the chat: marked on a permanent send failure, cleared when they write.

When Telegram answers for good that a message cannot reach someone (403: they blocked the bot
or deleted their account; 400: chat not found), the bot stops pretending. In one transaction
with giving that message up it

* marks the person unreachable (``people.unreachable_at``) and logs ``person_unreachable``;
* tells the other side of each of their open requests the truth: the holder (or whoever the
  request waits with) that the owner cannot be reached and the phone number to call; the owner
  that their commissioner cannot be reached and that the service center will follow up;
* passes a request that waited only for them (at the commissioner's stage) on to the team,
  as it would if they were away — routing passes them over from now on;
* tells the supervisors once, naming the #N of the open requests affected.

While they stay unreachable, later failures tell nobody again, except that whoever's relayed
message did not arrive is told so. Any update from them (they wrote to the bot) or a message
that gets through clears the mark (``person_reachable``).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.kinds import EventKind, MessageKind
from bot.domain.lifecycle import OPEN_STATUSES
from bot.domain.models import Message, Person, Request, RequestStatus, Role
from bot.domain.routing import Tier
from bot.services.desk import Desk
from bot.services.ports import Transaction

# Event kinds (request_id NULL; payload: person, and why / how).
PERSON_UNREACHABLE = EventKind.PERSON_UNREACHABLE
PERSON_REACHABLE = EventKind.PERSON_REACHABLE

# Outbox kinds (bot.domain.kinds.MessageKind documents their params).
PARTY_UNREACHABLE = MessageKind.PARTY_UNREACHABLE
RELAY_UNDELIVERED = MessageKind.RELAY_UNDELIVERED
UNREACHABLE_REPORT = MessageKind.UNREACHABLE_REPORT

# The `reason` of a dispatch made because the one person it waited for cannot be reached.
UNREACHABLE = "reach:unreachable"

# Outbox kinds that carry someone's own words, and the param naming who wrote them.
_AUTHORED = {MessageKind.RELAY: "sender_id", MessageKind.NOTE: "holder_id"}


@dataclass(frozen=True)
class Marked:
    """What a permanent failure did: whether it was news, and the requests it concerned."""

    person: Person
    newly: bool
    requests: tuple[int, ...] = ()


class Reachability:
    """Marks people unreachable and reachable again; each method is one transaction."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    async def undeliverable(
        self, outbox_id: int | None, message: Message, why: str
    ) -> Marked | None:
        """A message that can never reach its recipient: given up, and the truth told."""
        async with self.desk.unit() as tx:
            if outbox_id is not None:
                await tx.mark_failed(outbox_id, why)
            person = await tx.person(message.recipient_id)
            if person is None:
                return None
            return await self._mark(tx, person, why, message)

    async def blocked(self, person_id: int, why: str) -> Marked | None:
        """The channel said this person blocked the bot (before any message failed)."""
        async with self.desk.unit() as tx:
            person = await tx.person(person_id)
            if person is None:
                return None
            return await self._mark(tx, person, why, None)

    async def wrote(self, person_id: int) -> bool:
        """This person just wrote to the bot: reachable again; false if they were not marked."""
        async with self.desk.unit() as tx:
            if not await tx.mark_reachable(person_id):
                return False
            await self.desk.record(tx, None, None, PERSON_REACHABLE, person=person_id, how="wrote")
        return True

    async def delivered(self, person_id: int) -> bool:
        """A message got through to someone marked unreachable: they unblocked the bot."""
        async with self.desk.unit() as tx:
            if not await tx.mark_reachable(person_id):
                return False
            await self.desk.record(
                tx, None, None, PERSON_REACHABLE, person=person_id, how="delivered"
            )
        return True

    # ---- inside the transaction -----------------------------------------------------------

    async def _mark(
        self, tx: Transaction, person: Person, why: str, failed: Message | None
    ) -> Marked:
        desk = self.desk
        author = _author(failed)
        newly = await tx.mark_unreachable(person.id, desk.clock.now())
        told: set[int] = set()  # who heard about the failed message's request just now
        affected: list[int] = []
        if newly:
            await desk.record(tx, None, None, PERSON_UNREACHABLE, person=person.id, why=why[:300])
            for request in await tx.requests_involving(person.id, OPEN_STATUSES):
                affected.append(request.id)
                heard = await self._tell_other_side(tx, person, request, failed, author)
                if failed is not None and failed.request_id == request.id:
                    told |= heard
            await self._tell_supervisors(tx, person, affected)
        if (
            failed is not None
            and failed.request_id is not None
            and author is not None
            and author not in told
            and author != person.id
        ):
            # Their own words did not arrive: they must not think they did.
            writer = await tx.person(author)
            about = await tx.request(failed.request_id)
            await desk.notify(
                tx, [writer], RELAY_UNDELIVERED, about, name=person.name, phone=person.phone
            )
        return Marked(person, newly, tuple(affected))

    async def _tell_other_side(
        self,
        tx: Transaction,
        person: Person,
        request: Request,
        failed: Message | None,
        author: int | None,
    ) -> set[int]:
        """Tells whoever works with `person` on `request`; returns who was told."""
        desk = self.desk
        if request.owner_id == person.id:
            role = "owner"
            ids = [request.holder_id] if request.holder_id else await tx.offered(request.id)
        elif request.holder_id == person.id:
            role = "holder"
            ids = [request.owner_id]
        else:
            await self._pass_on(tx, person, request)
            return set()
        others = [p for p in await desk.people_of(tx, ids) if p.id != person.id]
        for other in others:
            undelivered = (
                failed is not None and failed.request_id == request.id and author == other.id
            )
            await desk.notify(
                tx,
                [other],
                PARTY_UNREACHABLE,
                request,
                role=role,
                name=person.name,
                phone=person.phone,
                undelivered=undelivered,
            )
        return {p.id for p in others}

    async def _pass_on(self, tx: Transaction, person: Person, request: Request) -> None:
        """A request offered to `person` at the commissioner's stage goes on to the team now,
        unless someone else reachable still has the offer."""
        if request.status != RequestStatus.DISPATCHED:
            return  # a team or supervisors' offer stands; the chase reports it if nobody acts
        offered = await self.desk.people_of(tx, await tx.offered(request.id))
        if any(not p.unreachable for p in offered if p.id != person.id):
            return
        await self.desk.dispatch(
            tx, request.id, None, request.status, start=Tier.TEAM, reason=UNREACHABLE
        )

    async def _tell_supervisors(self, tx: Transaction, person: Person, affected: list[int]) -> None:
        staff = person.has(Role.COMMISSIONER) or person.has(Role.SUPERVISOR)
        if not affected and not staff:
            return  # an owner with nothing open: the digest lists them
        supervisors = [s for s in await self.desk.supervisors_of(tx) if s.id != person.id]
        await self.desk.notify(
            tx,
            supervisors,
            UNREACHABLE_REPORT,
            None,
            name=person.name,
            phone=person.phone,
            roles=",".join(sorted(r.value for r in person.roles)),
            requests=",".join(str(n) for n in affected),
        )


def _author(message: Message | None) -> int | None:
    """Who wrote the words a relay or note carries (None for the bot's own messages)."""
    if message is None:
        return None
    raw = message.params.get(_AUTHORED.get(message.kind, ""))
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else None
