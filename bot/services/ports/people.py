"""The people and enterprises the use cases read and write."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from bot.domain.identity import Address
from bot.domain.models import (
    Enterprise,
    Person,
    Role,
)


class PeopleRepository(Protocol):
    """People, their roles and teams, their language, and whether they can be reached."""

    async def person(self, person_id: int) -> Person | None: ...

    async def names_of(self, person_ids: Iterable[int]) -> dict[int, str]:
        """The names of the people with these ids, by id (one query; unknown ids left out)."""
        ...

    async def person_at(self, address: Address) -> Person | None:
        """Whoever is reached at this address (bound to it), if anyone."""
        ...

    async def person_by_phone(self, phone: str) -> Person | None: ...

    async def people_with_role(self, role: Role) -> list[Person]: ...

    async def bind_address(self, person_id: int, address: Address, language: str | None) -> None:
        """Binds the address to the person (replacing their address in that channel); an
        address belongs to one person, so it leaves anyone it was bound to before."""
        ...

    async def set_language(self, person_id: int, language: str) -> None: ...

    async def set_away(
        self,
        person_id: int,
        away: bool,
        until: datetime | None = None,
        reason: str | None = None,
    ) -> None: ...

    async def away_ended(self, now: datetime) -> list[int]:
        """The people whose away period ends at or before `now`."""
        ...

    async def upsert_person(
        self, name: str, phone: str, role: Role, address: Address | None, now: datetime
    ) -> int: ...

    async def set_teams(self, person_id: int, teams: Iterable[str]) -> None: ...

    async def set_chains(self, person_id: int, chains: Iterable[str]) -> None:
        """The industry chains whose committee this person sits on (replacing the old ones)."""
        ...

    async def deactivate_role_except(self, role: Role, keep_phones: Iterable[str]) -> int: ...

    async def people_page(self, role: Role, limit: int, offset: int) -> tuple[list[Person], int]:
        """Active holders of `role` (commissioners by their first team, then by name)."""
        ...

    async def set_phone(self, person_id: int, phone: str) -> None:
        """A new phone for a person, and for the enterprises that list them as contact."""
        ...

    async def owner_states(self, phones: Iterable[str]) -> dict[str, tuple[str, bool]]:
        """(name, holds the owner role) of the people with these phones, by phone."""
        ...

    async def names_and_roles(
        self, phones: Iterable[str]
    ) -> dict[str, tuple[str, frozenset[Role]]]:
        """(name, active roles) of the people with these phones, by phone (one query)."""
        ...

    async def upsert_owners(self, people: Iterable[tuple[str, str]], now: datetime) -> None:
        """Inserts or updates (by phone) many enterprise contacts, as active owners."""
        ...

    async def mark_unreachable(self, person_id: int, now: datetime) -> bool:
        """Marks someone unreachable; false if they already were (so they are told of once)."""
        ...

    async def mark_reachable(self, person_id: int) -> bool:
        """Clears the mark; false (and nothing written) if they were not marked."""
        ...

    async def unreachable_people(self) -> list[tuple[Person, datetime]]:
        """Active people marked unreachable, with since when, longest first."""
        ...


class EnterpriseRepository(Protocol):
    """Enterprises and their contacts, one at a time or a whole roster at once."""

    async def enterprise(self, enterprise_id: int) -> Enterprise | None: ...

    async def enterprises_of_contact(self, phone: str) -> list[Enterprise]: ...

    async def upsert_enterprise(self, e: Enterprise) -> int: ...

    async def chains(self) -> list[str]:
        """The industry chains the active enterprises belong to, in order."""
        ...

    async def enterprises_in_chain(self, chain: str) -> list[Enterprise]: ...

    async def enterprises_by_codes(self, codes: Iterable[str]) -> dict[str, Enterprise]:
        """The enterprises with these credit codes (one query), by code."""
        ...

    async def upsert_enterprises(self, enterprises: Iterable[Enterprise]) -> None:
        """Inserts or updates (by credit code) many enterprises at once, reactivating them."""
        ...

    async def deactivate_enterprises_except(self, keep_codes: Iterable[str]) -> int: ...
