"""Relay: a message about #N passed to the other side of it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.identity import UpdateRef
from bot.domain.kinds import EventKind, MessageKind
from bot.domain.models import (
    Person,
)
from bot.services.context import NOTE_MAX
from bot.services.errors import Refusal, Refused
from bot.services.notes import Notes


@dataclass(frozen=True)
class Relayed:
    """Who a relayed message reaches; `internal` (its log step) when it stayed among staff."""

    recipients: list[Person]
    internal: int | None = None


class Relay(Notes):
    """Replies about a request reach its owner, its holder (or those offered it) and supervisors.

    A supervisor's reply (neither owner nor holder) stays among staff, as an internal note,
    unless `to_owner`; they may still share it with the owner afterwards (Notes).
    """

    async def relay(
        self,
        request_id: int,
        person_id: int,
        text: str | None,
        file_id: str | None = None,
        file_kind: str | None = None,
        update: UpdateRef | None = None,
        file_name: str | None = None,
        to_owner: bool = False,
    ) -> list[Person]:
        """Passes a message about #N to the other side of it; returns who receives it."""
        relayed = await self.relay_message(
            request_id, person_id, text, file_id, file_kind, update, file_name, to_owner
        )
        return relayed.recipients

    async def relay_message(
        self,
        request_id: int,
        person_id: int,
        text: str | None,
        file_id: str | None = None,
        file_kind: str | None = None,
        update: UpdateRef | None = None,
        file_name: str | None = None,
        to_owner: bool = False,
    ) -> Relayed:
        """Passes a message about #N to the other side of it (see the class)."""
        async with self.unit(update) as tx:
            person = await self.person_of(tx, person_id)
            request = await self.request_of(tx, request_id)
            supervisors = await self.supervisors_of(tx)
            parties = {request.owner_id, request.holder_id} | {s.id for s in supervisors}
            if person.id not in parties:
                raise Refused(Refusal.NOT_ALLOWED, request_id=request_id)
            if person.id not in (request.owner_id, request.holder_id) and not to_owner:
                note = await self._internal(
                    tx, request, person, text, file_id, file_kind, file_name
                )
                return Relayed(note.recipients, note.step)
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
                file_name=file_name,
            )
            return Relayed(recipients)
