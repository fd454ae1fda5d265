"""People and enterprises in memory (bot.storage.sqlite.people, .enterprises)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.domain.identity import Address
from bot.domain.models import (
    Enterprise,
    Person,
    Role,
)
from tests.services.fakes.state import (
    PersonRow,
    Tables,
)


class FakePeople(Tables):
    """People, their addresses, roles and teams; enterprises."""

    # ---- people ------------------------------------------------------------------------------

    def _person(self, row: PersonRow | None) -> Person | None:
        if row is None:
            return None
        return Person(
            id=row.id,
            name=row.name,
            phone=row.phone,
            addresses=tuple(a for pid, a in self.s.addresses if pid == row.id),
            language=row.language,
            roles=frozenset(r for (pid, r), on in self.s.roles.items() if pid == row.id and on),
            teams=self.s.teams.get(row.id, frozenset()),
            chains=self.s.chains.get(row.id, frozenset()),
            active=row.active,
            away=row.away,
            away_until=row.away_until,
            away_reason=row.away_reason,
            unreachable=row.unreachable_at is not None,
        )

    def _by_phone(self, phone: str) -> PersonRow | None:
        return next((p for p in self.s.people.values() if p.phone == phone), None)

    def _update_person(self, person_id: int, **changes: Any) -> bool:
        row = self.s.people.get(person_id)
        if row is None:
            return False
        self.s.people[person_id] = replace(row, **changes)
        return True

    async def person(self, person_id: int) -> Person | None:
        return self._person(self.s.people.get(person_id))

    async def names_of(self, person_ids: Iterable[int]) -> dict[int, str]:
        found = {i: self.s.people.get(i) for i in set(person_ids)}
        return {i: row.name for i, row in found.items() if row is not None}

    async def person_at(self, address: Address) -> Person | None:
        owner = next((pid for pid, a in self.s.addresses if a == address), None)
        return self._person(self.s.people.get(owner)) if owner is not None else None

    async def person_by_phone(self, phone: str) -> Person | None:
        return self._person(self._by_phone(phone))

    async def people_with_role(self, role: Role) -> list[Person]:
        found = [
            self._person(p)
            for pid, p in sorted(self.s.people.items())
            if p.active and self.s.roles.get((pid, role), False)
        ]
        return [p for p in found if p is not None]

    async def bind_address(self, person_id: int, address: Address, language: str | None) -> None:
        self.s.addresses = [
            (pid, a)
            for pid, a in self.s.addresses
            if not (a == address and pid != person_id)
            and not (pid == person_id and a.channel == address.channel and a != address)
        ]
        if (person_id, address) not in self.s.addresses:
            self.s.addresses.append((person_id, address))
        row = self.s.people.get(person_id)
        if row is not None and row.language is None:
            self._update_person(person_id, language=language)

    async def set_language(self, person_id: int, language: str) -> None:
        self._update_person(person_id, language=language)

    async def set_away(
        self,
        person_id: int,
        away: bool,
        until: datetime | None = None,
        reason: str | None = None,
    ) -> None:
        self._update_person(
            person_id,
            away=away,
            away_until=until if away else None,
            away_reason=reason if away else None,
        )

    async def set_chains(self, person_id: int, chains: Iterable[str]) -> None:
        self.s.chains[person_id] = frozenset(chains)

    async def people_page(self, role: Role, limit: int, offset: int) -> tuple[list[Person], int]:
        rows = [
            p for p in self.s.people.values() if p.active and self.s.roles.get((p.id, role), False)
        ]

        def order(p: PersonRow) -> tuple[str, str, int]:
            first = min(self.s.teams.get(p.id, frozenset()), default="")
            return (first if role == Role.COMMISSIONER else "", p.name, p.id)

        rows.sort(key=order)
        page = [self._person(p) for p in rows[offset : offset + limit]]
        return [p for p in page if p is not None], len(rows)

    async def set_phone(self, person_id: int, phone: str) -> None:
        row = self.s.people.get(person_id)
        if row is None:
            return
        for eid, e in list(self.s.enterprises.items()):
            if e.contact_phone == row.phone:
                self.s.enterprises[eid] = e.model_copy(update={"contact_phone": phone})
        self._update_person(person_id, phone=phone)

    async def away_ended(self, now: datetime) -> list[int]:
        return sorted(
            p.id
            for p in self.s.people.values()
            if p.away and p.away_until is not None and p.away_until <= now
        )

    async def upsert_person(
        self, name: str, phone: str, role: Role, address: Address | None, now: datetime
    ) -> int:
        row = self._by_phone(phone)
        if row is None:
            person_id = self.s.next_id("people")
            self.s.people[person_id] = PersonRow(person_id, name, phone, now)
        else:
            person_id = row.id
            self._update_person(person_id, name=name, active=True)
        if address is not None:
            await self.bind_address(person_id, address, None)
        self.s.roles[(person_id, role)] = True
        return person_id

    async def set_teams(self, person_id: int, teams: Iterable[str]) -> None:
        self.s.teams[person_id] = frozenset(teams)

    async def deactivate_role_except(self, role: Role, keep_phones: Iterable[str]) -> int:
        keep = set(keep_phones)
        changed = 0
        for (pid, r), on in list(self.s.roles.items()):
            if r == role and on and self.s.people[pid].phone not in keep:
                self.s.roles[(pid, r)] = False
                changed += 1
        return changed

    async def owner_states(self, phones: Iterable[str]) -> dict[str, tuple[str, bool]]:
        wanted = set(phones)
        return {
            p.phone: (p.name, self.s.roles.get((p.id, Role.OWNER), False))
            for p in self.s.people.values()
            if p.phone in wanted
        }

    async def names_and_roles(
        self, phones: Iterable[str]
    ) -> dict[str, tuple[str, frozenset[Role]]]:
        wanted = set(phones)
        return {
            p.phone: (
                p.name,
                frozenset(r for (pid, r), on in self.s.roles.items() if pid == p.id and on)
                if p.active
                else frozenset(),
            )
            for p in self.s.people.values()
            if p.phone in wanted
        }

    async def upsert_owners(self, people: Iterable[tuple[str, str]], now: datetime) -> None:
        for name, phone in people:
            await self.upsert_person(name, phone, Role.OWNER, None, now)

    async def mark_unreachable(self, person_id: int, now: datetime) -> bool:
        row = self.s.people.get(person_id)
        if row is None or row.unreachable_at is not None:
            return False
        return self._update_person(person_id, unreachable_at=now)

    async def mark_reachable(self, person_id: int) -> bool:
        row = self.s.people.get(person_id)
        if row is None or row.unreachable_at is None:
            return False
        return self._update_person(person_id, unreachable_at=None)

    async def unreachable_people(self) -> list[tuple[Person, datetime]]:
        rows = sorted(
            (p for p in self.s.people.values() if p.unreachable_at is not None and p.active),
            key=lambda p: (p.unreachable_at, p.id),
        )
        out: list[tuple[Person, datetime]] = []
        for row in rows:
            person = self._person(row)
            assert person is not None and row.unreachable_at is not None
            out.append((person, row.unreachable_at))
        return out

    # ---- enterprises -------------------------------------------------------------------------

    def _enterprise_by_code(self, code: str) -> Enterprise | None:
        return next((e for e in self.s.enterprises.values() if e.credit_code == code), None)

    async def enterprise(self, enterprise_id: int) -> Enterprise | None:
        return self.s.enterprises.get(enterprise_id)

    async def enterprises_of_contact(self, phone: str) -> list[Enterprise]:
        return [
            e
            for _, e in sorted(self.s.enterprises.items())
            if e.contact_phone == phone and e.active
        ]

    async def upsert_enterprise(self, e: Enterprise) -> int:
        found = self._enterprise_by_code(e.credit_code)
        enterprise_id = found.id if found else self.s.next_id("enterprises")
        self.s.enterprises[enterprise_id] = e.model_copy(
            update={"id": enterprise_id, "active": True}
        )
        return enterprise_id

    async def enterprises_by_codes(self, codes: Iterable[str]) -> dict[str, Enterprise]:
        wanted = set(codes)
        return {e.credit_code: e for e in self.s.enterprises.values() if e.credit_code in wanted}

    async def upsert_enterprises(self, enterprises: Iterable[Enterprise]) -> None:
        for e in enterprises:
            await self.upsert_enterprise(e)

    async def deactivate_enterprises_except(self, keep_codes: Iterable[str]) -> int:
        keep = set(keep_codes)
        gone = [e for e in self.s.enterprises.values() if e.active and e.credit_code not in keep]
        for e in gone:
            self.s.enterprises[e.id] = e.model_copy(update={"active": False})
        return len(gone)
