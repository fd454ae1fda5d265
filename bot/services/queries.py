"""Reads: who an address is, a request with its names, a person's lists, what a message is about."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.identity import Address
from bot.domain.models import (
    Enterprise,
    Event,
    Person,
    Request,
)
from bot.services.context import PEOPLE_SEEN, ServiceContext
from bot.services.ports import Transaction


@dataclass(frozen=True)
class RequestView:
    """A request with the names a renderer needs."""

    request: Request
    enterprise: Enterprise
    owner: Person
    holder: Person | None
    offered: tuple[Person, ...]


class Queries(ServiceContext):
    """Read-only use cases; each reads one snapshot that never waits for writers."""

    async def whoami(self, address: Address) -> Person | None:
        """Whoever is bound to this address (a channel resolves its user once, here)."""
        seen = PEOPLE_SEEN.get()
        if seen is not None and address in seen:
            return seen[address]
        async with self.db.read() as tx:
            person = await tx.person_at(address)
        if seen is not None:
            seen[address] = person
        return person

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

    async def enterprises_of(self, person_id: int) -> list[Enterprise]:
        async with self.db.read() as tx:
            person = await self.person_of(tx, person_id)
            return await tx.enterprises_of_contact(person.phone)

    async def request_for_message(self, at: Address, message_ref: str) -> int | None:
        """The request the message `message_ref` at this address is about, if it is known."""
        async with self.db.read() as tx:
            return await tx.request_of_message(at, message_ref)
