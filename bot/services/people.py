"""People: onboarding (binding an address) and their preferences (language, away)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.access import allows, relations
from bot.domain.identity import Address, UpdateRef
from bot.domain.kinds import EventKind, MessageKind
from bot.domain.models import (
    Enterprise,
    Person,
)
from bot.domain.phones import normalise_phone
from bot.services.context import ServiceContext
from bot.services.errors import Refusal, Refused


@dataclass(frozen=True)
class Onboarded:
    person: Person
    enterprises: tuple[Enterprise, ...]


class People(ServiceContext):
    """Onboarding and preferences."""

    async def onboard(
        self, address: Address, phone: str, language: str | None, update: UpdateRef | None = None
    ) -> Onboarded | None:
        """Binds the address whose own contact carries a rostered phone; None if none."""
        normalised = normalise_phone(phone)
        async with self.unit(update) as tx:
            person = await tx.person_by_phone(normalised)
            if person is None or not person.active or not person.roles:
                return None
            previous = person.address_in(address.channel)
            await tx.bind_address(person.id, address, language)
            await self.record(
                tx,
                None,
                person,
                EventKind.PERSON_BOUND,
                channel=address.channel,
                address=address.value,
            )
            bound = await tx.person(person.id)
            assert bound is not None
            if previous is not None and previous != address:
                # A new account (a new phone, a reinstalled Telegram): the old one has lost
                # access with the binding, and the supervisors should know.
                await self.record(
                    tx,
                    None,
                    person,
                    EventKind.PERSON_REBOUND,
                    channel=address.channel,
                    address=address.value,
                    previous=previous.value,
                )
                watchers = [s for s in await self.supervisors_of(tx) if s.id != person.id]
                await self.notify(
                    tx,
                    watchers,
                    MessageKind.PERSON_REBOUND,
                    name=person.name,
                    phone=person.phone,
                    roles=",".join(sorted(r.value for r in person.roles)),
                )
            return Onboarded(bound, tuple(await tx.enterprises_of_contact(bound.phone)))

    async def set_language(self, person_id: int, language: str) -> None:
        async with self.unit() as tx:
            person = await self.person_of(tx, person_id)
            await tx.set_language(person.id, language)

    async def set_away(self, person_id: int, away: bool) -> Person:
        async with self.unit() as tx:
            person = await self.person_of(tx, person_id)
            if not allows("/away" if away else "/back", relations(person)):
                raise Refused(Refusal.NOT_ALLOWED)
            await tx.set_away(person.id, away)
            await self.record(tx, None, person, EventKind.AWAY_SET if away else EventKind.BACK_SET)
            updated = await tx.person(person.id)
            assert updated is not None
            return updated
