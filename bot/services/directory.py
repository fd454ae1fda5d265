"""The supervisors' roster of people (/roster): pages by role, a person's entry, a new phone.

Every call checks that the person asking is a supervisor (a button only names a page or a
person). A phone change is asked for, then typed: between the two, the channel remembers the
question (bot.channels.pending). The change itself is one transaction: the person's phone
(and the contact phone of the enterprises that list them), a ``phone_changed`` event.
"""

from __future__ import annotations

from bot.domain.directory import ROSTER_PAGE_SIZE, PeoplePage, RosterKey, new_phone
from bot.domain.identity import UpdateRef
from bot.domain.kinds import EventKind
from bot.domain.listing import clamp_page
from bot.domain.models import Person, Role
from bot.services.context import ServiceContext
from bot.services.errors import Refusal, Refused
from bot.services.ports import Transaction


class Directory(ServiceContext):
    """People by role for the supervisors, and changing someone's phone."""

    async def page(self, supervisor_id: int, key: RosterKey) -> PeoplePage:
        """One page of one group; a page past the end becomes the last one."""
        async with self.db.read() as tx:
            await _supervisor(tx, supervisor_id)
            for _ in range(2):
                people, total = await tx.people_page(
                    key.group, ROSTER_PAGE_SIZE, key.page * ROSTER_PAGE_SIZE
                )
                page = clamp_page(key.page, total, ROSTER_PAGE_SIZE)
                if page == key.page:
                    break
                key = key.at(page)
            return PeoplePage(key, tuple(people), total)

    async def entry(self, supervisor_id: int, person_id: int) -> Person:
        async with self.db.read() as tx:
            await _supervisor(tx, supervisor_id)
            person = await tx.person(person_id)
            if person is None or not person.active:
                raise Refused(Refusal.NOT_FOUND)
            return person

    async def change_phone(
        self,
        supervisor_id: int,
        person_id: int,
        raw: str,
        update: UpdateRef | None = None,
    ) -> tuple[Person, str]:
        """Gives the person the mobile number `raw`; (the person now, their old phone).

        Refused(BAD_INPUT, problem="not_mobile") for anything but a mobile number and
        Refused(BAD_INPUT, problem="taken", name=…) for a number someone else has.
        """
        phone = new_phone(raw)
        if phone is None:
            raise Refused(Refusal.BAD_INPUT, field="phone", problem="not_mobile")
        async with self.unit(update) as tx:
            supervisor = await _supervisor(tx, supervisor_id)
            person = await tx.person(person_id)
            if person is None or not person.active:
                raise Refused(Refusal.NOT_FOUND)
            holder = await tx.person_by_phone(phone)
            if holder is not None and holder.id != person.id:
                raise Refused(Refusal.BAD_INPUT, field="phone", problem="taken", name=holder.name)
            await tx.set_phone(person.id, phone)
            await self.record(
                tx,
                None,
                supervisor,
                EventKind.PHONE_CHANGED,
                person=person.id,
                previous=person.phone,
                phone=phone,
            )
            changed = await tx.person(person.id)
            assert changed is not None
            return changed, person.phone


async def _supervisor(tx: Transaction, person_id: int) -> Person:
    person = await tx.person(person_id)
    if person is None or not person.active:
        raise Refused(Refusal.NOT_REGISTERED)
    if not person.has(Role.SUPERVISOR):
        raise Refused(Refusal.NOT_ALLOWED)
    return person
