"""Dispatching: offering a request to the next tier that has someone, and telling them."""

from __future__ import annotations

from bot.domain.clock import to_text
from bot.domain.kinds import EventKind, MessageKind
from bot.domain.lifecycle import Action, transition
from bot.domain.models import (
    Person,
    RequestStatus,
    Role,
    Route,
)
from bot.domain.routing import (
    FIRST_TIERS,
    Tier,
    commissioner_takes,
    committee_members,
    own_commissioner,
    route,
    route_chain,
)
from bot.services.context import ServiceContext
from bot.services.errors import Refusal, Refused
from bot.services.ports import Transaction


class Dispatching(ServiceContext):
    """The routing step submit, decline and the sweep share (inside their transaction)."""

    async def dispatch(
        self,
        tx: Transaction,
        request_id: int,
        actor: Person | None,
        before: RequestStatus,
        start: Tier = Tier.COMMISSIONER,
        reason: str | None = None,
    ) -> tuple[Tier, list[Person]]:
        """Offers the request to the next tier that has someone, and tells them."""
        request = await self.request_of(tx, request_id)
        enterprise = await tx.enterprise(request.enterprise_id)
        commissioner = own_commissioner(
            (
                await tx.person(enterprise.commissioner_id)
                if enterprise and enterprise.commissioner_id
                else None
            ),
            enterprise,
        )
        category = self.catalog.category(request.category)
        team = category.team if category else "relief"
        chained = category is not None and category.route == Route.CHAIN
        declined = frozenset(
            e.actor_id
            for e in await tx.events(request_id)
            if e.kind == EventKind.DECLINED and e.actor_id
        )
        # The staff are read only when a tier beyond the commissioner may be needed: at a
        # city's or a province's size they are thousands, read on every submit otherwise.
        if chained:
            roles: tuple[Role, ...] = (Role.COMMITTEE, Role.SUPERVISOR)
        elif commissioner_takes(commissioner, declined, start):
            roles = ()
        else:
            roles = (Role.COMMISSIONER, Role.SUPERVISOR)
        staff = {p.id: p for role in roles for p in await tx.people_with_role(role)}
        everyone = list(staff.values())
        if chained:
            committee = committee_members(
                everyone,
                enterprise.chain if enterprise else "",
                declined,
                enterprise.contact_phone if enterprise else "",
            )
            tier, recipients = route_chain(committee, everyone, declined, start)
        else:
            # Nobody is offered their own enterprise's request, in no tier that can avoid it.
            contact = enterprise.contact_phone if enterprise else ""
            own = frozenset(p.id for p in everyone if contact and p.phone == contact)
            tier, recipients = route(commissioner, everyone, team, declined | own, start)
        if tier == Tier.SUPERVISORS and not recipients:
            recipients = []
        action = Action.DISPATCH if tier in FIRST_TIERS else Action.ESCALATE
        if before == RequestStatus.DISPATCHED and action == Action.DISPATCH:
            action = Action.REASSIGN
        after = transition(before, action)
        now = self.clock.now()
        if not await tx.move(request_id, [before], after, dispatched_at=to_text(now)):
            raise Refused(Refusal.NOT_CLAIMABLE, request_id=request_id)
        await tx.withdraw_offers(request_id)
        await tx.offer(request_id, [p.id for p in recipients], tier.value, now)
        await self.record(
            tx,
            request_id,
            actor,
            EventKind.DISPATCHED if action != Action.ESCALATE else EventKind.ESCALATED,
            before,
            after,
            tier=tier.value,
            to=",".join(str(p.id) for p in recipients),
            reason=reason,
        )
        moved = await self.request_of(tx, request_id)
        await self.notify(tx, recipients, MessageKind.CARD, moved, edit_key=None, fresh=True)
        for attachment in moved.attachments:
            await self.notify(
                tx,
                recipients,
                MessageKind.ATTACHMENT,
                moved,
                file_id=attachment.ref,
                file_kind=attachment.kind,
                file_name=attachment.file_name,
            )
        if tier not in FIRST_TIERS:
            # Supervisors hear of every request that left its commissioner's hands.
            watchers = [s for s in await self.supervisors_of(tx) if s not in recipients]
            await self.notify(
                tx, watchers, MessageKind.ESCALATED, moved, tier=tier.value, reason=reason
            )
        return tier, recipients
