"""People: who they are, their roles and teams, and whether they can be reached."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import aiosqlite

from bot.domain.clock import from_text, to_text
from bot.domain.identity import Address
from bot.domain.models import Person, Role
from bot.storage.sqlite.base import Statements, in_list

# A person's row with their roles, teams and addresses, read in one statement (a person is
# loaded for nearly every use case and every message sent). Addresses keep the order they were
# bound in: the first is where messages go. ASCII unit and record separators join them.
PERSON = (
    "SELECT p.*, "
    "(SELECT group_concat(role, ',') FROM person_roles r "
    " WHERE r.person_id = p.id AND r.active = 1) AS role_list, "
    "(SELECT group_concat(team, ',') FROM team_members t WHERE t.person_id = p.id) AS team_list, "
    "(SELECT group_concat(chain, char(31)) FROM committee_chains c WHERE c.person_id = p.id) "
    " AS chain_list, "
    "(SELECT group_concat(channel || char(31) || address, char(30)) FROM "
    " (SELECT channel, address FROM person_addresses a WHERE a.person_id = p.id ORDER BY rowid)"
    ") AS address_list "
    "FROM people p "
)


def _split(value: str | None, sep: str) -> list[str]:
    return value.split(sep) if value else []


class PeopleSql(Statements):
    """The people, person_addresses, person_roles and team_members tables."""

    async def _person(self, row: aiosqlite.Row | None) -> Person | None:
        """The person of a row read with PERSON (async for the callers' sake)."""
        if row is None:
            return None
        addresses = [a.split("\x1f", 1) for a in _split(row["address_list"], "\x1e")]
        return Person(
            id=row["id"],
            name=row["name"],
            phone=row["phone"],
            addresses=tuple(Address(channel, value) for channel, value in addresses),
            language=row["language"],
            roles=frozenset(Role(r) for r in _split(row["role_list"], ",")),
            teams=frozenset(_split(row["team_list"], ",")),
            chains=frozenset(_split(row["chain_list"], "\x1f")),
            active=bool(row["active"]),
            away=bool(row["away"]),
            away_until=from_text(row["away_until"]) if row["away_until"] else None,
            away_reason=row["away_reason"],
            unreachable=row["unreachable_at"] is not None,
        )

    async def person(self, person_id: int) -> Person | None:
        return await self._person(await self._one(PERSON + "WHERE p.id = ?", (person_id,)))

    async def names_of(self, person_ids: Iterable[int]) -> dict[int, str]:
        marks, wanted = in_list(set(person_ids))
        if not wanted:
            return {}
        rows = await self._all(f"SELECT id, name FROM people WHERE id IN ({marks})", wanted)
        return {int(r["id"]): str(r["name"]) for r in rows}

    async def person_at(self, address: Address) -> Person | None:
        row = await self._one(
            PERSON + "JOIN person_addresses b ON b.person_id = p.id "
            "WHERE b.channel = ? AND b.address = ?",
            (address.channel, address.value),
        )
        return await self._person(row)

    async def person_by_phone(self, phone: str) -> Person | None:
        return await self._person(await self._one(PERSON + "WHERE p.phone = ?", (phone,)))

    async def people_with_role(self, role: Role) -> list[Person]:
        rows = await self._all(
            PERSON + "JOIN person_roles pr ON pr.person_id = p.id "
            "WHERE pr.role = ? AND pr.active = 1 AND p.active = 1 ORDER BY p.id",
            (role.value,),
        )
        return [p for p in [await self._person(r) for r in rows] if p is not None]

    async def bind_address(self, person_id: int, address: Address, language: str | None) -> None:
        # An address belongs to one person: a re-bound account leaves its old person; and a
        # person has one address per channel: a new account replaces the old one.
        await self._run(
            "DELETE FROM person_addresses WHERE (channel = ? AND address = ? AND person_id != ?) "
            "OR (person_id = ? AND channel = ? AND address != ?)",
            (address.channel, address.value, person_id, person_id, address.channel, address.value),
        )
        await self._run(
            "INSERT OR IGNORE INTO person_addresses (person_id, channel, address) VALUES (?, ?, ?)",
            (person_id, address.channel, address.value),
        )
        await self._run(
            "UPDATE people SET language = COALESCE(language, ?) WHERE id = ?",
            (language, person_id),
        )

    async def set_language(self, person_id: int, language: str) -> None:
        await self._run("UPDATE people SET language = ? WHERE id = ?", (language, person_id))

    async def set_away(
        self,
        person_id: int,
        away: bool,
        until: datetime | None = None,
        reason: str | None = None,
    ) -> None:
        await self._run(
            "UPDATE people SET away = ?, away_until = ?, away_reason = ? WHERE id = ?",
            (
                int(away),
                to_text(until) if away and until else None,
                reason if away else None,
                person_id,
            ),
        )

    async def away_ended(self, now: datetime) -> list[int]:
        """The people whose away period ends at or before `now` (by the partial index)."""
        rows = await self._all(
            "SELECT id FROM people WHERE away_until IS NOT NULL AND away_until <= ? AND away = 1 "
            "ORDER BY id",
            (to_text(now),),
        )
        return [int(r["id"]) for r in rows]

    async def upsert_person(
        self, name: str, phone: str, role: Role, address: Address | None, now: datetime
    ) -> int:
        row = await self._one("SELECT id FROM people WHERE phone = ?", (phone,))
        if row is None:
            person_id = await self._insert(
                "INSERT INTO people (name, phone, created_at) VALUES (?, ?, ?)",
                (name, phone, to_text(now)),
            )
        else:
            person_id = int(row["id"])
            await self._run(
                "UPDATE people SET name = ?, active = 1 WHERE id = ?", (name, person_id)
            )
        if address is not None:
            await self.bind_address(person_id, address, None)
        await self._run(
            "INSERT INTO person_roles (person_id, role, active) VALUES (?, ?, 1) "
            "ON CONFLICT (person_id, role) DO UPDATE SET active = 1",
            (person_id, role.value),
        )
        return person_id

    async def set_teams(self, person_id: int, teams: Iterable[str]) -> None:
        await self._run("DELETE FROM team_members WHERE person_id = ?", (person_id,))
        for team in sorted(set(teams)):
            await self._run(
                "INSERT INTO team_members (person_id, team) VALUES (?, ?)", (person_id, team)
            )

    async def set_chains(self, person_id: int, chains: Iterable[str]) -> None:
        """The industry chains whose committee this person sits on (replacing the old ones)."""
        await self._run("DELETE FROM committee_chains WHERE person_id = ?", (person_id,))
        for chain in sorted(set(chains)):
            await self._run(
                "INSERT INTO committee_chains (person_id, chain) VALUES (?, ?)", (person_id, chain)
            )

    async def people_page(self, role: Role, limit: int, offset: int) -> tuple[list[Person], int]:
        """Active holders of `role`, by their first team (commissioners), then by name."""
        where = (
            "JOIN person_roles pr ON pr.person_id = p.id "
            "WHERE pr.role = ? AND pr.active = 1 AND p.active = 1 "
        )
        count = await self._one(f"SELECT COUNT(*) AS n FROM people p {where}", (role.value,))
        order = (
            "ORDER BY (SELECT min(team) FROM team_members t WHERE t.person_id = p.id), p.name, p.id"
            if role == Role.COMMISSIONER
            else "ORDER BY p.name, p.id"
        )
        rows = await self._all(
            f"{PERSON}{where}{order} LIMIT ? OFFSET ?",
            (role.value, limit, offset),
        )
        people = [p for p in [await self._person(r) for r in rows] if p is not None]
        return people, int(count["n"]) if count else 0

    async def set_phone(self, person_id: int, phone: str) -> None:
        """A new phone for a person, and for the enterprises that list them as contact."""
        row = await self._one("SELECT phone FROM people WHERE id = ?", (person_id,))
        if row is None:
            return
        await self._run(
            "UPDATE enterprises SET contact_phone = ? WHERE contact_phone = ?",
            (phone, row["phone"]),
        )
        await self._run("UPDATE people SET phone = ? WHERE id = ?", (phone, person_id))

    async def deactivate_role_except(self, role: Role, keep_phones: Iterable[str]) -> int:
        marks, phones = in_list(keep_phones)
        return await self._run(
            "UPDATE person_roles SET active = 0 WHERE role = ? AND active = 1 AND person_id IN "
            f"(SELECT id FROM people WHERE phone NOT IN ({marks}))",
            (role.value, *phones),
        )

    async def owner_states(self, phones: Iterable[str]) -> dict[str, tuple[str, bool]]:
        """(name, holds the owner role) of the people with these phones, by phone."""
        marks, wanted = in_list(set(phones))
        if not wanted:
            return {}
        rows = await self._all(
            "SELECT p.phone, p.name, EXISTS (SELECT 1 FROM person_roles r WHERE "
            "r.person_id = p.id AND r.role = 'owner' AND r.active = 1) AS owner "
            f"FROM people p WHERE p.phone IN ({marks})",
            wanted,
        )
        return {r["phone"]: (r["name"], bool(r["owner"])) for r in rows}

    async def names_and_roles(
        self, phones: Iterable[str]
    ) -> dict[str, tuple[str, frozenset[Role]]]:
        """(name, active roles) of the people with these phones, by phone (one query)."""
        marks, wanted = in_list(set(phones))
        if not wanted:
            return {}
        rows = await self._all(
            "SELECT p.phone, p.name, r.role FROM people p LEFT JOIN person_roles r "
            "ON r.person_id = p.id AND r.active = 1 AND p.active = 1 "
            f"WHERE p.phone IN ({marks})",
            wanted,
        )
        found: dict[str, tuple[str, set[Role]]] = {}
        for row in rows:
            _name, roles = found.setdefault(row["phone"], (row["name"], set()))
            if row["role"] is not None:
                roles.add(Role(row["role"]))
        return {phone: (name, frozenset(roles)) for phone, (name, roles) in found.items()}

    async def upsert_owners(self, people: Iterable[tuple[str, str]], now: datetime) -> None:
        """Inserts or updates (by phone) many enterprise contacts, as active owners."""
        pairs = list(people)
        await self.begin_now()
        await self.conn.executemany(
            "INSERT INTO people (name, phone, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (phone) DO UPDATE SET name = excluded.name, active = 1",
            [(name, phone, to_text(now)) for name, phone in pairs],
        )
        await self.conn.executemany(
            "INSERT INTO person_roles (person_id, role, active) "
            "SELECT id, 'owner', 1 FROM people WHERE phone = ? "
            "ON CONFLICT (person_id, role) DO UPDATE SET active = 1",
            [(phone,) for _name, phone in pairs],
        )

    async def mark_unreachable(self, person_id: int, now: datetime) -> bool:
        """Marks someone unreachable; false if they already were (so they are told of once)."""
        changed = await self._run(
            "UPDATE people SET unreachable_at = ? WHERE id = ? AND unreachable_at IS NULL",
            (to_text(now), person_id),
        )
        return changed == 1

    async def mark_reachable(self, person_id: int) -> bool:
        """Clears the mark; false (and nothing written) if they were not marked."""
        changed = await self._run(
            "UPDATE people SET unreachable_at = NULL WHERE id = ? AND unreachable_at IS NOT NULL",
            (person_id,),
        )
        return changed == 1

    async def unreachable_people(self) -> list[tuple[Person, datetime]]:
        """Active people marked unreachable, with since when, longest first."""
        rows = await self._all(
            PERSON + "WHERE p.unreachable_at IS NOT NULL AND p.active = 1 "
            "ORDER BY p.unreachable_at, p.id"
        )
        out: list[tuple[Person, datetime]] = []
        for row in rows:
            person = await self._person(row)
            if person is not None:
                out.append((person, from_text(row["unreachable_at"])))
        return out
