"""Supervision: a supervisor reassigns a request or exports them all."""

from __future__ import annotations

from bot.domain.access import allows, relations
from bot.domain.clock import to_text
from bot.domain.identity import UpdateRef
from bot.domain.kinds import EventKind, MessageKind
from bot.domain.lifecycle import Action, IllegalTransition, transition
from bot.domain.models import (
    Person,
    Role,
)
from bot.domain.phones import normalise_phone
from bot.services.context import ServiceContext
from bot.services.errors import Refusal, Refused


class Supervision(ServiceContext):
    """What supervisors do beyond the digest and the extension decisions."""

    async def reassign(
        self, request_id: int, person_id: int, phone: str, update: UpdateRef | None = None
    ) -> Person:
        """A supervisor gives #N to someone else; it waits for their one-tap Accept."""
        async with self.unit(update) as tx:
            supervisor = await self.person_of(tx, person_id)
            if not allows("/reassign", relations(supervisor)):
                raise Refused(Refusal.NOT_ALLOWED)
            request = await self.request_of(tx, request_id)
            target = await tx.person_by_phone(normalise_phone(phone))
            if (
                target is None
                or not target.addresses
                or not (target.has(Role.COMMISSIONER) or target.has(Role.SUPERVISOR))
            ):
                raise Refused(Refusal.BAD_INPUT, field="phone", request_id=request_id)
            try:
                after = transition(request.status, Action.REASSIGN)
            except IllegalTransition:  # resolved, closed or withdrawn: nothing to hand on
                raise Refused(Refusal.NOT_WORKING, request_id=request_id) from None
            previous = await tx.person(request.holder_id) if request.holder_id else None
            offered = await self.people_of(tx, await tx.offered(request_id))
            now = self.clock.now()
            if not await tx.move(
                request_id,
                [request.status],
                after,
                holder_id=None,
                accepted_at=None,
                due_at=None,
                dispatched_at=to_text(now),
            ):
                raise Refused(Refusal.NOT_WORKING, request_id=request_id)
            await tx.withdraw_offers(request_id)
            await tx.offer(request_id, [target.id], "reassigned", now)
            await self.record(
                tx,
                request_id,
                supervisor,
                EventKind.REASSIGNED,
                request.status,
                after,
                to=target.id,
                previous=previous.id if previous else None,
            )
            moved = await self.request_of(tx, request_id)
            # Whoever had it sees their message change; the new person gets a fresh card.
            others = [p for p in [previous, *offered] if p is not None and p.id != target.id]
            await self.notify(tx, others, MessageKind.CARD, moved, edit_key="card")
            await self.notify(tx, [target], MessageKind.CARD, moved, fresh=True)
            for attachment in moved.attachments:
                await self.notify(
                    tx,
                    [target],
                    MessageKind.ATTACHMENT,
                    moved,
                    file_id=attachment.ref,
                    file_kind=attachment.kind,
                    file_name=attachment.file_name,
                )
            return target

    async def may_export(self, person_id: int) -> None:
        """Refuses anyone the access policy does not let export (the file is built elsewhere:
        bot.export.process)."""
        async with self.db.read() as tx:
            person = await self.person_of(tx, person_id)
        if not allows("/export", relations(person)):
            raise Refused(Refusal.NOT_ALLOWED)
