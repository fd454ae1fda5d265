"""Internal notes: staff coordinate on a request without its owner reading along.

Who may write one: the holder, whoever has or had it on offer, the enterprise's commissioner,
the members of the category's team and the supervisors (never the owner as such). It reaches
the holder, the supervisors, whoever has it on offer now and whoever wrote an internal note on
it before, never its author and never the owner; event ``internal_note``. A supervisor's reply
to a relayed message is one too, unless they then choose to share it with the owner
(`share_with_owner`, which relays the same words or file once).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.access import allows, relations
from bot.domain.identity import UpdateRef
from bot.domain.kinds import EventKind, MessageKind
from bot.domain.lifecycle import CLAIMABLE
from bot.domain.models import Person, Request
from bot.services.access import standing
from bot.services.context import NOTE_MAX, ServiceContext, check_text
from bot.services.errors import Refusal, Refused
from bot.services.ports import Transaction


@dataclass(frozen=True)
class InternalNote:
    """A note kept among staff: who it reached, and its place in the request's log."""

    request_id: int
    step: int  # its index in the request's events: the key "also send to the owner" names
    recipients: list[Person]


class Notes(ServiceContext):
    """Internal notes, and sharing one with the owner afterwards."""

    async def _may_note(self, tx: Transaction, request: Request, person: Person) -> bool:
        # Whoever had it on offer counts too (bot.domain.access: "internal_note").
        found = await standing(tx, self.catalog, person, request, was_offered=True)
        return allows("internal_note", found)

    async def authorise_internal(self, request_id: int, person_id: int) -> Request:
        """The request, if this person may write an internal note on it."""
        async with self.db.read() as tx:
            person = await self.person_of(tx, person_id)
            request = await self.request_of(tx, request_id)
            if not await self._may_note(tx, request, person):
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
            return request

    async def internal_note(
        self,
        request_id: int,
        person_id: int,
        text: str | None,
        file_id: str | None = None,
        file_kind: str | None = None,
        file_name: str | None = None,
        update: UpdateRef | None = None,
    ) -> InternalNote:
        """Records a staff-only note (words, a file or both) and passes it to the staff on it."""
        if file_id is None:
            text = check_text(text or "", "note", 1, NOTE_MAX)
        async with self.unit(update) as tx:
            person = await self.person_of(tx, person_id)
            request = await self.request_of(tx, request_id)
            if not await self._may_note(tx, request, person):
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
            return await self._internal(tx, request, person, text, file_id, file_kind, file_name)

    async def _internal(
        self,
        tx: Transaction,
        request: Request,
        person: Person,
        text: str | None,
        file_id: str | None,
        file_kind: str | None,
        file_name: str | None,
    ) -> InternalNote:
        events = await tx.events(request.id)
        ids: list[int] = [s.id for s in await self.supervisors_of(tx)]
        if request.holder_id is not None:
            ids.insert(0, request.holder_id)
        if request.status in CLAIMABLE:
            ids += await tx.offered(request.id)
        ids += [
            e.actor_id
            for e in events
            if e.kind == EventKind.INTERNAL_NOTE and e.actor_id is not None
        ]
        unique = [i for n, i in enumerate(ids) if i not in ids[:n]]
        excluded = {person.id, request.owner_id}
        recipients = [p for p in await self.people_of(tx, unique) if p.id not in excluded]
        await self.record(
            tx,
            request.id,
            person,
            EventKind.INTERNAL_NOTE,
            text=(text or "")[:NOTE_MAX],
            to=",".join(str(p.id) for p in recipients),
            file=file_kind,
            file_id=file_id,
            file_name=file_name,
        )
        await self.notify(
            tx,
            [p for p in recipients if not p.unreachable],
            MessageKind.INTERNAL_NOTE,
            request,
            sender=person.name,
            sender_id=person.id,
            text=text,
            file_id=file_id,
            file_kind=file_kind,
            file_name=file_name,
        )
        return InternalNote(request.id, len(events), recipients)

    async def share_with_owner(
        self, request_id: int, person_id: int, step: int, update: UpdateRef | None = None
    ) -> Person:
        """Relays an internal note of this person's to the owner after all (once)."""
        async with self.unit(update) as tx:
            person = await self.person_of(tx, person_id)
            request = await self.request_of(tx, request_id)
            events = await tx.events(request_id)
            note = events[step] if 0 <= step < len(events) else None
            if (
                note is None
                or note.kind != EventKind.INTERNAL_NOTE
                or note.actor_id != person.id
                or not allows("share_with_owner", relations(person, request))
            ):
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
            if any(e.kind == EventKind.RELAYED and e.payload.get("of") == step for e in events):
                raise Refused(Refusal.DUPLICATE, request_id=request_id)
            owner = await self.person_of(tx, request.owner_id)
            p = note.payload
            text = str(p["text"]) if p.get("text") else None
            file_id = str(p["file_id"]) if p.get("file_id") else None
            file_kind = str(p["file"]) if p.get("file") else None
            await self.record(
                tx,
                request_id,
                person,
                EventKind.RELAYED,
                text=text or "",
                file=file_kind,
                to=str(owner.id),
                of=step,
                unreachable=str(owner.id) if owner.unreachable else None,
            )
            if not owner.unreachable:
                await self.notify(
                    tx,
                    [owner],
                    MessageKind.RELAY,
                    request,
                    sender=person.name,
                    sender_id=person.id,
                    text=text,
                    file_id=file_id,
                    file_kind=file_kind,
                    file_name=str(p["file_name"]) if p.get("file_name") else None,
                )
            return owner
