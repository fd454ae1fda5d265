"""The use cases of the request loop: onboarding, intake, dispatch, accept, decline, resolve."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.clock import to_text
from bot.domain.kinds import EventKind, MessageKind
from bot.domain.lifecycle import CLAIMABLE, OPEN_STATUSES, WORKING, Action, sources, transition
from bot.domain.models import (
    Catalog,
    Draft,
    Enterprise,
    Event,
    LengthProblem,
    Message,
    Outcome,
    Person,
    Request,
    RequestStatus,
    Role,
    Urgency,
    length_problem,
    text_length,
    visible_length,
)
from bot.domain.phones import normalise_phone
from bot.domain.routing import Tier, route
from bot.services.errors import Refusal, Refused
from bot.services.ports import Clock, DeadlinePolicy, Transaction, UnitOfWork, Wakeup

DESCRIPTION_MIN = 5
DESCRIPTION_MAX = 2000
MAX_ATTACHMENTS = 10
NOTE_MAX = 2000
REASON_MIN = 2  # a decline reason, a resolution summary
MAX_OPEN_REQUESTS = 20  # per owner; ONCALL_LIMITS__MAX_OPEN_REQUESTS
INTAKE = "intake"
PENDING_FLOWS = ("decline", "resolve", "note")


@dataclass(frozen=True)
class Onboarded:
    person: Person
    enterprises: tuple[Enterprise, ...]


@dataclass(frozen=True)
class Submitted:
    request: Request
    tier: Tier
    recipients: tuple[Person, ...]


@dataclass(frozen=True)
class Accepted:
    request: Request
    holder: Person
    again: bool  # the same person tapped Accept a second time


@dataclass(frozen=True)
class RequestView:
    """A request with the names a renderer needs."""

    request: Request
    enterprise: Enterprise
    owner: Person
    holder: Person | None
    offered: tuple[Person, ...]


class ExportReads:
    """An export's reads, each chunk in its own short read, so a long export never keeps the
    bot's other reads waiting for the reader connection."""

    def __init__(self, db: UnitOfWork) -> None:
        self.db = db

    async def export_rows(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        after_id: int = 0,
        limit: int = -1,
    ) -> list[dict[str, Any]]:
        async with self.db.read() as tx:
            return await tx.export_rows(since, until, after_id, limit)

    async def export_events(self, request_ids: Sequence[int]) -> list[dict[str, Any]]:
        async with self.db.read() as tx:
            return await tx.export_events(request_ids)


class Desk:
    """The service desk: every method is one transaction (state + events + outbox)."""

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
    async def unit(self, update_id: int | None = None) -> AsyncIterator[Transaction]:
        """A unit of work that also records the update it handles, refusing a redelivery."""
        async with self.db.tx() as tx:
            if update_id is not None and not await tx.mark_processed(update_id, self.clock.now()):
                raise Refused(Refusal.DUPLICATE)
            yield tx
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
            if person is None or person.telegram_id is None:
                continue
            message = Message(
                recipient_id=person.id,
                kind=kind,
                request_id=request.id if request else None,
                params=params,
                edit_key=edit_key,
                urgent=bool(request and request.urgency == Urgency.URGENT),
            )
            await tx.enqueue(message, person.telegram_id, now)

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

    async def person_of(self, tx: Transaction, telegram_id: int) -> Person:
        person = await tx.person_by_telegram(telegram_id)
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

    # ---- reads ----------------------------------------------------------------------------

    async def whoami(self, telegram_id: int) -> Person | None:
        async with self.db.read() as tx:
            return await tx.person_by_telegram(telegram_id)

    async def view(self, request_id: int) -> RequestView | None:
        async with self.db.read() as tx:
            return await self._view(tx, request_id)

    async def _view(self, tx: Transaction, request_id: int) -> RequestView | None:
        request = await tx.request(request_id)
        if request is None:
            return None
        enterprise = await tx.enterprise(request.enterprise_id)
        owner = await tx.person(request.owner_id)
        assert enterprise is not None and owner is not None
        holder = await tx.person(request.holder_id) if request.holder_id else None
        offered = await self.people_of(tx, await tx.offered(request_id))
        return RequestView(request, enterprise, owner, holder, tuple(offered))

    async def events(self, request_id: int) -> list[Event]:
        """The audit log of one request, oldest first."""
        async with self.db.read() as tx:
            return await tx.events(request_id)

    async def owner_requests(self, telegram_id: int) -> list[Request]:
        async with self.db.read() as tx:
            person = await self.person_of(tx, telegram_id)
            statuses = [*OPEN_STATUSES, RequestStatus.RESOLVED]
            return await tx.requests_where("owner_id", person.id, statuses)

    async def commissioner_requests(self, telegram_id: int) -> tuple[list[Request], list[Request]]:
        """(held and open, offered and waiting for a tap)."""
        async with self.db.read() as tx:
            person = await self.person_of(tx, telegram_id)
            held = await tx.requests_where("holder_id", person.id, WORKING)
            waiting = await tx.requests_offered_to(person.id, CLAIMABLE)
            return held, waiting

    async def enterprises_of(self, telegram_id: int) -> list[Enterprise]:
        async with self.db.read() as tx:
            person = await self.person_of(tx, telegram_id)
            return await tx.enterprises_of_contact(person.phone)

    # ---- onboarding and preferences -------------------------------------------------------

    async def onboard(
        self, telegram_id: int, phone: str, language: str | None, update_id: int | None = None
    ) -> Onboarded | None:
        """Binds the Telegram account whose own contact carries a rostered phone; None if none."""
        normalised = normalise_phone(phone)
        async with self.unit(update_id) as tx:
            person = await tx.person_by_phone(normalised)
            if person is None or not person.active or not person.roles:
                return None
            await tx.bind_telegram(person.id, telegram_id, language)
            await self.record(tx, None, person, EventKind.PERSON_BOUND, telegram_id=telegram_id)
            bound = await tx.person(person.id)
            assert bound is not None
            return Onboarded(bound, tuple(await tx.enterprises_of_contact(bound.phone)))

    async def set_language(self, telegram_id: int, language: str) -> None:
        async with self.unit() as tx:
            person = await self.person_of(tx, telegram_id)
            await tx.set_language(person.id, language)

    async def set_away(self, telegram_id: int, away: bool) -> Person:
        async with self.unit() as tx:
            person = await self.person_of(tx, telegram_id)
            if not person.has(Role.COMMISSIONER):
                raise Refused(Refusal.NOT_ALLOWED)
            await tx.set_away(person.id, away)
            await self.record(tx, None, person, EventKind.AWAY_SET if away else EventKind.BACK_SET)
            updated = await tx.person(person.id)
            assert updated is not None
            return updated

    # ---- intake (the draft is saved at every step) -----------------------------------------

    async def draft(self, telegram_id: int) -> Draft | None:
        async with self.db.read() as tx:
            found = await tx.draft(telegram_id, INTAKE)
        return Draft(user_id=telegram_id, step=found[0], **found[1]) if found else None

    async def save_draft(self, draft: Draft) -> None:
        data: dict[str, Any] = draft.model_dump(mode="json", exclude={"user_id", "step"})
        async with self.unit() as tx:
            await tx.save_draft(draft.user_id, INTAKE, draft.step, data, self.clock.now())

    async def drop_draft(self, telegram_id: int, flow: str = INTAKE) -> bool:
        async with self.unit() as tx:
            existed = await tx.draft(telegram_id, flow) is not None
            await tx.delete_draft(telegram_id, flow)
            return existed

    async def intake_steps(self) -> dict[int, str]:
        """Every owner's current intake step, for the conversation handler after a restart."""
        async with self.db.read() as tx:
            return dict(await tx.drafts(INTAKE))

    @staticmethod
    def check_description(text: str) -> str:
        return check_text(text, "description", DESCRIPTION_MIN, DESCRIPTION_MAX)

    async def check_can_file(self, telegram_id: int) -> None:
        """Refuses (TOO_MANY_OPEN) an owner who already has the most open requests allowed."""
        async with self.db.read() as tx:
            await self._check_open_limit(tx, await self.person_of(tx, telegram_id))

    async def _check_open_limit(self, tx: Transaction, owner: Person) -> None:
        count = len(await tx.requests_where("owner_id", owner.id, OPEN_STATUSES))
        if count >= self.max_open_requests:
            raise Refused(Refusal.TOO_MANY_OPEN, open=count, limit=self.max_open_requests)

    async def submit(self, telegram_id: int, update_id: int | None = None) -> Submitted:
        """Turns the owner's finished draft into request #N and dispatches it."""
        now = self.clock.now()
        async with self.unit(update_id) as tx:
            owner = await self.person_of(tx, telegram_id)
            found = await tx.draft(telegram_id, INTAKE)
            if found is None:
                raise Refused(Refusal.NOT_FOUND)
            draft = Draft(user_id=telegram_id, step=found[0], **found[1])
            if draft.category is None or draft.description is None or draft.urgency is None:
                raise Refused(Refusal.BAD_INPUT, field="draft")
            # Checked again here: other requests may have been filed since /new.
            await self._check_open_limit(tx, owner)
            enterprises = await tx.enterprises_of_contact(owner.phone)
            enterprise = next(
                (e for e in enterprises if e.id == draft.enterprise_id),
                enterprises[0] if enterprises else None,
            )
            if enterprise is None:
                raise Refused(Refusal.NO_ENTERPRISE)
            request_id = await tx.insert_request(
                enterprise.id,
                owner.id,
                draft.category,
                draft.description,
                draft.urgency,
                draft.attachments,
                now,
            )
            submitted = transition(None, Action.SUBMIT)
            await self.record(
                tx,
                request_id,
                owner,
                EventKind.SUBMITTED,
                None,
                submitted,
                category=draft.category,
                urgency=draft.urgency.value,
                attachments=len(draft.attachments),
            )
            await tx.delete_draft(telegram_id, INTAKE)
            tier, recipients = await self.dispatch(tx, request_id, owner, RequestStatus.SUBMITTED)
            request = await self.request_of(tx, request_id)
            await self.notify(
                tx,
                [owner],
                MessageKind.RECEIVED,
                request,
                tier=tier.value,
                names="\n".join(p.name for p in recipients),  # one a line; the renderer joins
            )
            return Submitted(request, tier, tuple(recipients))

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
        commissioner = (
            await tx.person(enterprise.commissioner_id)
            if enterprise and enterprise.commissioner_id
            else None
        )
        category = self.catalog.category(request.category)
        team = category.team if category else "relief"
        staff = {
            p.id: p
            for role in (Role.COMMISSIONER, Role.SUPERVISOR)
            for p in await tx.people_with_role(role)
        }
        everyone = list(staff.values())
        declined = frozenset(
            e.actor_id
            for e in await tx.events(request_id)
            if e.kind == EventKind.DECLINED and e.actor_id
        )
        tier, recipients = route(commissioner, everyone, team, declined, start)
        if tier == Tier.SUPERVISORS and not recipients:
            recipients = []
        action = Action.DISPATCH if tier == Tier.COMMISSIONER else Action.ESCALATE
        if before == RequestStatus.DISPATCHED and action == Action.DISPATCH:
            action = Action.REASSIGN
        after = transition(before, action)
        now = self.clock.now()
        if not await tx.move(request_id, [before], after, dispatched_at=_text(now)):
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
                file_id=attachment.file_id,
                file_kind=attachment.kind,
                file_name=attachment.file_name,
            )
        if tier != Tier.COMMISSIONER:
            # Supervisors hear of every request that left its commissioner's hands.
            watchers = [s for s in await self.supervisors_of(tx) if s not in recipients]
            await self.notify(
                tx, watchers, MessageKind.ESCALATED, moved, tier=tier.value, reason=reason
            )
        return tier, recipients

    # ---- commissioner actions -------------------------------------------------------------

    async def accept(
        self, request_id: int, telegram_id: int, update_id: int | None = None
    ) -> Accepted:
        """One tap takes the request: a conditional UPDATE makes exactly one winner."""
        now = self.clock.now()
        async with self.unit(update_id) as tx:
            person = await self.person_of(tx, telegram_id)
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
            if person.id not in await tx.offered(request_id):
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
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
                due_at=_text(due),
            )
            accepted = await self.request_of(tx, request_id)
            owner = await tx.person(accepted.owner_id)
            await self.notify(tx, [person], MessageKind.CARD, accepted, edit_key="card")
            await self.notify(
                tx, await self.people_of(tx, others), MessageKind.CARD, accepted, edit_key="card"
            )
            await self.notify(tx, [owner], MessageKind.ACCEPTED, accepted, holder=person.name)
            return Accepted(accepted, person, again=False)

    async def _offered_or_holder(self, tx: Transaction, request: Request, person: Person) -> None:
        if request.holder_id == person.id:
            return
        if person.id in await tx.offered(request.id) and request.status in CLAIMABLE:
            return
        raise Refused(Refusal.NOT_ALLOWED, request_id=request.id)

    async def decline(
        self, request_id: int, telegram_id: int, reason: str, update_id: int | None = None
    ) -> tuple[Tier, list[Person]]:
        """The recipient gives it back with a reason; it goes on to the team, then supervisors."""
        reason = check_text(reason, "reason", REASON_MIN, NOTE_MAX)
        async with self.unit(update_id) as tx:
            person = await self.person_of(tx, telegram_id)
            request = await self.request_of(tx, request_id)
            if request.status not in CLAIMABLE:
                holder = await tx.person(request.holder_id) if request.holder_id else None
                raise Refused(
                    Refusal.ALREADY_TAKEN if holder else Refusal.NOT_CLAIMABLE,
                    request_id=request_id,
                    holder=holder.name if holder else None,
                )
            offered = await tx.offered(request_id)
            if person.id not in offered:
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
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
            await tx.delete_draft(telegram_id, "decline")
            await self.notify(tx, [person], MessageKind.CARD, request, edit_key="card")
            remaining = [p for p in offered if p != person.id]
            if remaining:
                # Others on the same tier still hold the offer; nothing moves yet.
                return Tier.TEAM, await self.people_of(tx, remaining)
            start = Tier.TEAM if request.status == RequestStatus.DISPATCHED else Tier.SUPERVISORS
            return await self.dispatch(
                tx, request_id, person, request.status, start=start, reason=reason
            )

    async def resolve(
        self,
        request_id: int,
        telegram_id: int,
        outcome: Outcome,
        summary: str,
        update_id: int | None = None,
    ) -> Request:
        summary = check_text(summary, "summary", REASON_MIN, NOTE_MAX)
        now = self.clock.now()
        async with self.unit(update_id) as tx:
            person = await self.person_of(tx, telegram_id)
            request = await self.request_of(tx, request_id)
            if request.holder_id != person.id:
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
            after = transition(request.status, Action.RESOLVE)
            if not await tx.move(
                request_id,
                [request.status],
                after,
                resolved_at=_text(now),
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
            await tx.delete_draft(telegram_id, "resolve")
            resolved = await self.request_of(tx, request_id)
            owner = await tx.person(resolved.owner_id)
            await self.notify(tx, [person], MessageKind.CARD, resolved, edit_key="card")
            await self.notify(tx, [owner], MessageKind.RESOLVED, resolved, holder=person.name)
            return resolved

    async def note(
        self, request_id: int, telegram_id: int, text: str, update_id: int | None = None
    ) -> Person | None:
        """A progress note from the holder, kept in the log and passed to the owner.

        Returns the owner; one known to have blocked the bot is not sent it (see `unreachable`).
        """
        text = check_text(text, "note", 1, NOTE_MAX)
        async with self.unit(update_id) as tx:
            person = await self.person_of(tx, telegram_id)
            request = await self.request_of(tx, request_id)
            if request.holder_id != person.id or request.status not in WORKING:
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
            await self.record(tx, request_id, person, EventKind.NOTED, text=text)
            await tx.delete_draft(telegram_id, "note")
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
        self, request_id: int, telegram_id: int, stars: int, update_id: int | None = None
    ) -> Request:
        if not 1 <= stars <= 5:
            raise Refused(Refusal.BAD_INPUT, field="rating")
        now = self.clock.now()
        async with self.unit(update_id) as tx:
            person = await self.person_of(tx, telegram_id)
            request = await self.request_of(tx, request_id)
            if request.owner_id != person.id:
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
            if request.status != RequestStatus.RESOLVED:
                raise Refused(Refusal.NOT_WORKING, request_id=request_id)
            after = transition(request.status, Action.CLOSE)
            await tx.move(request_id, [request.status], after, rating=stars, closed_at=_text(now))
            await self.record(
                tx, request_id, person, EventKind.RATED, request.status, after, stars=stars
            )
            closed = await self.request_of(tx, request_id)
            holder = await tx.person(closed.holder_id) if closed.holder_id else None
            await self.notify(tx, [person], MessageKind.RATED, closed, edit_key="rate", stars=stars)
            await self.notify(tx, [holder], MessageKind.RATED_HOLDER, closed, stars=stars)
            return closed

    # ---- supervision ----------------------------------------------------------------------

    async def reassign(
        self, request_id: int, telegram_id: int, phone: str, update_id: int | None = None
    ) -> Person:
        """A supervisor gives #N to someone else; it waits for their one-tap Accept."""
        async with self.unit(update_id) as tx:
            supervisor = await self.person_of(tx, telegram_id)
            if not supervisor.has(Role.SUPERVISOR):
                raise Refused(Refusal.NOT_ALLOWED)
            request = await self.request_of(tx, request_id)
            target = await tx.person_by_phone(normalise_phone(phone))
            if (
                target is None
                or target.telegram_id is None
                or not (target.has(Role.COMMISSIONER) or target.has(Role.SUPERVISOR))
            ):
                raise Refused(Refusal.BAD_INPUT, field="phone", request_id=request_id)
            after = transition(request.status, Action.REASSIGN)
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
                dispatched_at=_text(now),
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
                    file_id=attachment.file_id,
                    file_kind=attachment.kind,
                    file_name=attachment.file_name,
                )
            return target

    @asynccontextmanager
    async def export_reader(self, telegram_id: int | None) -> AsyncIterator[ExportReads]:
        """What an export reads, chunk by chunk (bot.export); over Telegram, for supervisors
        only."""
        if telegram_id is not None:
            async with self.db.read() as tx:
                person = await self.person_of(tx, telegram_id)
                if not person.has(Role.SUPERVISOR):
                    raise Refused(Refusal.NOT_ALLOWED)
        yield ExportReads(self.db)

    # ---- pending inputs (a reason, a summary, a note: the next text the person sends) -------

    async def expect(
        self, telegram_id: int, flow: str, request_id: int, **data: str | int | None
    ) -> None:
        async with self.unit() as tx:
            # One question at a time: a new prompt replaces any unanswered one.
            for other in PENDING_FLOWS:
                await tx.delete_draft(telegram_id, other)
            await tx.save_draft(
                telegram_id, flow, "text", {"request_id": request_id, **data}, self.clock.now()
            )

    async def expected(self, telegram_id: int) -> tuple[str, dict[str, Any]] | None:
        """The input this person was last asked for (decline reason, resolve summary, note)."""
        async with self.db.read() as tx:
            for flow in PENDING_FLOWS:
                found = await tx.draft(telegram_id, flow)
                if found:
                    return flow, found[1]
        return None

    async def authorise_holder(self, request_id: int, telegram_id: int) -> Request:
        async with self.db.read() as tx:
            person = await self.person_of(tx, telegram_id)
            request = await self.request_of(tx, request_id)
            if request.holder_id != person.id:
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
            if request.status not in WORKING:
                raise Refused(Refusal.NOT_WORKING, request_id=request_id)
            return request

    async def authorise_offered(self, request_id: int, telegram_id: int) -> Request:
        async with self.db.read() as tx:
            person = await self.person_of(tx, telegram_id)
            request = await self.request_of(tx, request_id)
            if request.status not in CLAIMABLE:
                holder = await tx.person(request.holder_id) if request.holder_id else None
                raise Refused(
                    Refusal.ALREADY_TAKEN if holder else Refusal.NOT_CLAIMABLE,
                    request_id=request_id,
                    holder=holder.name if holder else None,
                )
            if person.id not in await tx.offered(request_id):
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
            return request

    # ---- relay ----------------------------------------------------------------------------

    async def relay(
        self,
        request_id: int,
        telegram_id: int,
        text: str | None,
        file_id: str | None = None,
        file_kind: str | None = None,
        update_id: int | None = None,
    ) -> list[Person]:
        """Passes a message about #N to the other side of it; returns who receives it."""
        async with self.unit(update_id) as tx:
            person = await self.person_of(tx, telegram_id)
            request = await self.request_of(tx, request_id)
            supervisors = await self.supervisors_of(tx)
            parties = {request.owner_id, request.holder_id} | {s.id for s in supervisors}
            if person.id not in parties:
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
            if person.id == request.owner_id:
                targets = [request.holder_id] if request.holder_id else await tx.offered(request_id)
            elif person.id == request.holder_id:
                targets = [request.owner_id]
            else:
                targets = [request.owner_id, *([request.holder_id] if request.holder_id else [])]
            recipients = [p for p in await self.people_of(tx, targets) if p.id != person.id]
            if not recipients:
                raise Refused(Refusal.NOT_CLAIMABLE, request_id=request_id)
            # Someone known to have blocked the bot would not get it: it is not queued for
            # them, and the sender is told so (the caller sees `unreachable` on the person).
            await self.record(
                tx,
                request_id,
                person,
                EventKind.RELAYED,
                text=(text or "")[:NOTE_MAX],
                file=file_kind,
                to=",".join(str(p.id) for p in recipients),
                unreachable=",".join(str(p.id) for p in recipients if p.unreachable) or None,
            )
            await self.notify(
                tx,
                [p for p in recipients if not p.unreachable],
                MessageKind.RELAY,
                request,
                sender=person.name,
                sender_id=person.id,
                text=text,
                file_id=file_id,
                file_kind=file_kind,
            )
            return recipients

    async def request_for_message(self, chat_id: int, message_id: int) -> int | None:
        async with self.db.read() as tx:
            return await tx.request_of_message(chat_id, message_id)


def _text(when: datetime) -> str:
    return to_text(when)


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
