"""Hand-backs (退单) and supervisors' one-tap routing: to a team, to a person, back to the holder.

A holder hands an accepted request back with a reason; an away period or a deactivation puts
the person's open requests in front of the supervisors the same way. Each is a question (a
``handoff_asked`` event numbered ``ask``) sent to every supervisor with pickers; the first
supervisor's tap answers it (``handoff_decided``) and edits every supervisor's message, so the
other buttons go away; a later tap is refused with who decided. The request stays with its
holder until then, so it is never orphaned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.clock import to_text
from bot.domain.handoff import Reason, Why, decision, is_open, next_ask, pending
from bot.domain.identity import UpdateRef
from bot.domain.kinds import EventKind, MessageKind
from bot.domain.lifecycle import CLAIMABLE, WORKING, Action, sources, transition
from bot.domain.models import Event, Message, Person, Request, Role, Urgency
from bot.domain.routing import reachable, team_members
from bot.services.context import NOTE_MAX, REASON_MIN, check_text
from bot.services.dispatching import Dispatching
from bot.services.errors import Refusal, Refused
from bot.services.ports import Transaction

PEOPLE_PAGE = 8  # people a page of the supervisors' person picker


@dataclass(frozen=True)
class Choice:
    """Where a supervisor sends a request: a team (key), a person (id), or back to the holder."""

    kind: str  # "team" | "person" | "holder"
    value: str = ""


def check_reason(reason: str) -> str:
    """A reason button's code as it is, or free text within the limits."""
    if reason in set(Reason) and reason != Reason.OTHER:
        return reason
    return check_text(reason, "reason", REASON_MIN, NOTE_MAX)


async def ask_supervisors(
    tx: Transaction,
    now: datetime,
    request: Request,
    actor: Person | None,
    why: Why,
    reason: str | None = None,
    about: str | None = None,
) -> int:
    """Asks every supervisor where `request` goes (one tap each); the question's number.

    Usable inside any transaction (the roster import's too); an open question is reused.
    """
    events = await tx.events(request.id)
    open_ask = pending(events)
    if open_ask is not None:
        return int(str(open_ask.payload["ask"]))
    ask = next_ask(events)
    holder = await tx.person(request.holder_id) if request.holder_id else None
    await tx.append(
        Event(
            request_id=request.id,
            actor_id=actor.id if actor else None,
            kind=EventKind.HANDOFF_ASKED,
            payload={"ask": ask, "why": why.value, "reason": reason, "about": about},
            at=now,
        )
    )
    params: dict[str, str | int | float | bool | None] = {
        "ask": ask,
        "why": why.value,
        "by": actor.name if actor else None,
        "holder": holder.name if holder else None,
        "reason": reason,
        "about": about,  # whom it was with (a deactivated commissioner)
    }
    for supervisor in await tx.people_with_role(Role.SUPERVISOR):
        if supervisor.address is None or (actor is not None and supervisor.id == actor.id):
            continue
        message = Message(
            recipient_id=supervisor.id,
            kind=MessageKind.HANDOFF,
            request_id=request.id,
            params=params,
            edit_key=f"ho{ask}",
            urgent=request.urgency == Urgency.URGENT,
        )
        await tx.enqueue(message, supervisor.address, now)
    return ask


async def staff_requests(tx: Transaction, person: Person) -> list[Request]:
    """The open requests a staff member holds or has on offer (not those they own)."""
    found = await tx.requests_involving(person.id, WORKING | CLAIMABLE)
    return [r for r in found if r.owner_id != person.id]


class Handoffs(Dispatching):
    """Hand-backs and the supervisors' routing decisions."""

    async def hand_back(
        self, request_id: int, person_id: int, reason: str, update: UpdateRef | None = None
    ) -> int:
        """The holder gives an accepted request back; the supervisors decide where it goes.

        Returns how many supervisors were asked.
        """
        reason = check_reason(reason)
        async with self.unit(update) as tx:
            person = await self.person_of(tx, person_id)
            request = await self.request_of(tx, request_id)
            if request.holder_id != person.id:
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
            if request.status not in WORKING:
                raise Refused(Refusal.NOT_WORKING, request_id=request_id)
            if pending(await tx.events(request_id)) is not None:
                raise Refused(Refusal.DUPLICATE, request_id=request_id)
            await ask_supervisors(tx, self.clock.now(), request, person, Why.HANDBACK, reason)
            return sum(1 for s in await self.supervisors_of(tx) if s.address is not None)

    async def authorise_handback(self, request_id: int, person_id: int) -> Request:
        """The holder may hand it back while working it and no hand-back is waiting."""
        async with self.db.read() as tx:
            person = await self.person_of(tx, person_id)
            request = await self.request_of(tx, request_id)
            if request.holder_id != person.id:
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
            if request.status not in WORKING:
                raise Refused(Refusal.NOT_WORKING, request_id=request_id)
            if pending(await tx.events(request_id)) is not None:
                raise Refused(Refusal.DUPLICATE, request_id=request_id)
            return request

    async def ask_route(
        self, request_id: int, supervisor_id: int, update: UpdateRef | None = None
    ) -> tuple[int, Request]:
        """/reassign #N without a phone: a question the supervisor answers from the pickers."""
        async with self.unit(update) as tx:
            supervisor = await self.person_of(tx, supervisor_id)
            if not supervisor.has(Role.SUPERVISOR):
                raise Refused(Refusal.NOT_ALLOWED)
            request = await self.request_of(tx, request_id)
            if request.status not in sources(Action.REASSIGN):
                raise Refused(Refusal.NOT_WORKING, request_id=request_id)
            ask = await ask_supervisors(tx, self.clock.now(), request, supervisor, Why.REASSIGN)
            return ask, request

    async def handed_back_by(self, request_id: int, ask: int) -> str | None:
        """The holder's name if question `ask` is their open hand-back (for "Back to …")."""
        async with self.db.read() as tx:
            events = await tx.events(request_id)
            request = await tx.request(request_id)
            asked = next(
                (
                    e
                    for e in events
                    if e.kind == EventKind.HANDOFF_ASKED and e.payload.get("ask") == ask
                ),
                None,
            )
            if asked is None or asked.payload.get("why") != Why.HANDBACK or request is None:
                return None
            if not is_open(events, ask) or request.holder_id != asked.actor_id:
                return None
            holder = await tx.person(request.holder_id) if request.holder_id else None
            return holder.name if holder else None

    async def route_people(self, supervisor_id: int, page: int) -> tuple[list[Person], bool]:
        """A page of the people a supervisor can give a request to, and whether more follow."""
        async with self.db.read() as tx:
            supervisor = await self.person_of(tx, supervisor_id)
            if not supervisor.has(Role.SUPERVISOR):
                raise Refused(Refusal.NOT_ALLOWED)
            people = [p for p in await tx.people_with_role(Role.COMMISSIONER) if reachable(p)]
        start = max(page, 0) * PEOPLE_PAGE
        return people[start : start + PEOPLE_PAGE], len(people) > start + PEOPLE_PAGE

    async def decide_route(
        self,
        request_id: int,
        supervisor_id: int,
        ask: int,
        choice: Choice,
        update: UpdateRef | None = None,
    ) -> str:
        """The first supervisor's tap sends the request on; returns the name it went to."""
        now = self.clock.now()
        async with self.unit(update) as tx:
            supervisor = await self.person_of(tx, supervisor_id)
            if not supervisor.has(Role.SUPERVISOR):
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
            request = await self.request_of(tx, request_id)
            events = await tx.events(request_id)
            asked = next(
                (
                    e
                    for e in events
                    if e.kind == EventKind.HANDOFF_ASKED and e.payload.get("ask") == ask
                ),
                None,
            )
            if asked is None:
                raise Refused(Refusal.NOT_FOUND, request_id=request_id)
            earlier = decision(events, ask)
            if earlier is not None:
                by = await tx.person(earlier.actor_id) if earlier.actor_id else None
                raise Refused(
                    Refusal.DUPLICATE,
                    request_id=request_id,
                    by=by.name if by else None,
                    to=str(earlier.payload.get("to_name") or ""),
                )
            if not is_open(events, ask) or request.status not in sources(Action.REASSIGN):
                raise Refused(Refusal.DUPLICATE, request_id=request_id)  # moved on since
            handed_back_by = (
                await tx.person(asked.actor_id)
                if asked.payload.get("why") == Why.HANDBACK and asked.actor_id
                else None
            )
            holder = await tx.person(request.holder_id) if request.holder_id else None
            if choice.kind == "holder":
                if (
                    holder is None
                    or handed_back_by is None
                    or holder.id != handed_back_by.id
                    or request.status not in WORKING
                ):
                    raise Refused(Refusal.NOT_WORKING, request_id=request_id)
                recipients: list[Person] = []
                to, to_name = "holder", holder.name
            elif choice.kind == "team":
                team = self.catalog.team(choice.value)
                people = await tx.people_with_role(Role.COMMISSIONER)
                exclude = frozenset({handed_back_by.id}) if handed_back_by else frozenset()
                recipients = team_members(people, choice.value, exclude) if team else []
                if team is None or not recipients:
                    raise Refused(Refusal.BAD_INPUT, field="team", request_id=request_id)
                to, to_name = f"team:{team.key}", team.zh
            else:
                target = await tx.person(int(choice.value)) if choice.value.isdigit() else None
                if (
                    target is None
                    or not reachable(target)
                    or not (target.has(Role.COMMISSIONER) or target.has(Role.SUPERVISOR))
                ):
                    raise Refused(Refusal.BAD_INPUT, field="person", request_id=request_id)
                recipients = [target]
                to, to_name = f"person:{target.id}", target.name
            await self.record(
                tx,
                request_id,
                supervisor,
                EventKind.HANDOFF_DECIDED,
                ask=ask,
                to=to,
                to_name=to_name,
            )
            if recipients:
                await self._move(tx, request, supervisor, recipients, to, now)
            moved = await self.request_of(tx, request_id)
            await self.notify(
                tx,
                await self.supervisors_of(tx),
                MessageKind.HANDOFF_DECIDED,
                moved,
                edit_key=f"ho{ask}",
                ask=ask,
                by=supervisor.name,
                to=to,
                to_name=to_name,
            )
            told = handed_back_by or (holder if holder and holder.id != supervisor.id else None)
            await self.notify(
                tx,
                [told],
                MessageKind.HANDOFF_RESULT,
                moved,
                by=supervisor.name,
                to=to,
                to_name=to_name,
            )
            return to_name

    async def _move(
        self,
        tx: Transaction,
        request: Request,
        supervisor: Person,
        recipients: list[Person],
        to: str,
        now: datetime,
    ) -> None:
        """Offers the request to `recipients` (a reassignment: it waits for their Accept)."""
        after = transition(request.status, Action.REASSIGN)
        previous = await tx.person(request.holder_id) if request.holder_id else None
        offered = await self.people_of(tx, await tx.offered(request.id))
        if not await tx.move(
            request.id,
            [request.status],
            after,
            holder_id=None,
            accepted_at=None,
            due_at=None,
            dispatched_at=to_text(now),
        ):
            raise Refused(Refusal.NOT_WORKING, request_id=request.id)
        tier = "team" if to.startswith("team:") else "reassigned"
        await tx.withdraw_offers(request.id)
        await tx.offer(request.id, [p.id for p in recipients], tier, now)
        await self.record(
            tx,
            request.id,
            supervisor,
            EventKind.REASSIGNED,
            request.status,
            after,
            tier=tier,
            to=",".join(str(p.id) for p in recipients),
            previous=previous.id if previous else None,
        )
        moved = await self.request_of(tx, request.id)
        ids = {p.id for p in recipients}
        others = [p for p in [previous, *offered] if p is not None and p.id not in ids]
        await self.notify(tx, others, MessageKind.CARD, moved, edit_key="card")
        await self.notify(tx, recipients, MessageKind.CARD, moved, fresh=True)
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
