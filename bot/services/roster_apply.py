"""Applying a checked roster to storage: upserts, counts, --sync deactivation, the audit event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.domain.handoff import Why
from bot.domain.identity import Address
from bot.domain.kinds import EventKind
from bot.domain.models import Enterprise, Event, Person, Role
from bot.services.handoff import ask_supervisors, staff_requests
from bot.services.ports import Transaction
from bot.services.roster_check import EnterpriseRow, Parsed, PersonRow
from bot.services.roster_vocabulary import ROLES, Problem, RosterKind, RosterTable, RowError, error

_Change = Literal["created", "updated", "unchanged"]


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    contacts_deactivated: int = 0

    def count(self, change: _Change) -> None:
        setattr(self, change, getattr(self, change) + 1)


IMPORT_CHUNK = 1000
IMPORT_PAUSE = 0.02


class Rollback(Exception):
    """Raised inside a chunk's transaction to undo it (a dry run)."""


def imported(
    kind: RosterKind, table: RosterTable, tally: Tally, sync: bool, now: datetime
) -> Event:
    return Event(
        request_id=None,
        actor_id=None,
        kind=EventKind.ROSTER_IMPORTED,
        payload={
            "kind": kind.value,
            "file": table.name,
            "source": table.source.value if table.source else "",
            "created": tally.created,
            "updated": tally.updated,
            "unchanged": tally.unchanged,
            "deactivated": tally.deactivated,
            "sync": sync,
        },
        at=now,
    )


async def commissioners_in_db(
    tx: Transaction, refs: Sequence[tuple[int, str]]
) -> tuple[dict[str, int], list[RowError]]:
    """The ids of the referenced commissioners, and an error for each one that is not."""
    ids: dict[str, int] = {}
    errors: list[RowError] = []
    for line, phone in refs:
        if phone not in ids:
            person = await tx.person_by_phone(phone)
            if person is None or not person.has(Role.COMMISSIONER):
                errors.append(error(line, Problem.NO_COMMISSIONER, phone=phone))
                continue
            ids[phone] = person.id
    return ids, errors


async def other_people(tx: Transaction, kind: RosterKind, parsed: Parsed) -> list[RowError]:
    """An error for each phone the database gives to someone else, in another role.

    Upserting by phone would otherwise rename that person and add this roster's role to
    them. The same name in two rosters is one person (a commissioner who is also an
    enterprise's contact); a new name for someone who already holds this roster's role is
    a rename, done by the roster that lists them.
    """
    listed: dict[str, tuple[int, str]] = {}
    if kind is RosterKind.ENTERPRISES:
        role, column = Role.OWNER, "contact_phone"
        for e in parsed.enterprises:
            if e.contact_phone:
                listed.setdefault(e.contact_phone, (e.line, e.contact_name))
    else:
        role = ROLES[kind]
        column = "phone"
        listed = {p.phone: (p.line, p.name) for p in parsed.people}
    errors: list[RowError] = []
    phones = list(listed)
    for start in range(0, len(phones), IMPORT_CHUNK):
        known = await tx.names_and_roles(phones[start : start + IMPORT_CHUNK])
        for phone, (other_name, roles) in known.items():
            line, name = listed[phone]
            # Compared exactly: a near miss (黄 伟, 黄伟) would rename them silently.
            if roles and role not in roles and name != other_name:
                errors.append(
                    error(
                        line,
                        Problem.OTHER_PERSON,
                        column=column,
                        phone=phone,
                        name=name,
                        other_name=other_name,
                        roles=",".join(sorted(r.value for r in roles)),
                    )
                )
    return errors


def _person_change(
    before: Person | None,
    role: Role,
    name: str,
    addresses: Sequence[Address],
    teams: frozenset[str] | None,
) -> _Change:
    # Someone who did not hold the role (or held it inactive) is new to this roster.
    if before is None or not before.has(role):
        return "created"
    if (
        before.name != name
        or any(a not in before.addresses for a in addresses)
        or (teams is not None and before.teams != teams)
    ):
        return "updated"
    return "unchanged"


async def apply_people(
    tx: Transaction,
    kind: RosterKind,
    rows: Sequence[PersonRow],
    tally: Tally,
    now: datetime,
) -> None:
    role = ROLES[kind]
    with_teams = kind is RosterKind.COMMISSIONERS
    for row in rows:
        before = await tx.person_by_phone(row.phone)
        teams = row.teams if with_teams else None
        change = _person_change(before, role, row.name, row.addresses, teams)
        if change == "unchanged" and before is not None and before.chains != row.chains:
            change = "updated"
        tally.count(change)
        first = row.addresses[0] if row.addresses else None
        person_id = await tx.upsert_person(row.name, row.phone, role, first, now)
        for address in row.addresses[1:]:
            await tx.bind_address(person_id, address, None)
        if teams is not None:
            await tx.set_teams(person_id, teams)
        if kind is RosterKind.COMMITTEES:
            await tx.set_chains(person_id, row.chains)


async def apply_enterprises(
    tx: Transaction,
    rows: Sequence[EnterpriseRow],
    commissioners: Mapping[str, int],
    tally: Tally,
    now: datetime,
    contacts_seen: set[str],
) -> None:
    # Read and written a chunk at a time, set-wise: a roster of 100,000 enterprises must not
    # take minutes of round trips.
    contacts = await tx.owner_states(r.contact_phone for r in rows if r.contact_phone)
    befores = await tx.enterprises_by_codes(r.credit_code for r in rows)
    wanted: list[Enterprise] = []
    for row in rows:
        contact_changed = False
        if row.contact_phone and row.contact_phone not in contacts_seen:
            contacts_seen.add(row.contact_phone)
            known = contacts.get(row.contact_phone)
            contact_changed = known is None or not known[1] or known[0] != row.contact_name
        before = befores.get(row.credit_code)
        enterprise = Enterprise(
            id=before.id if before else 0,
            name=row.name,
            credit_code=row.credit_code,
            industry=row.industry,
            chain=row.chain,
            contact_name=row.contact_name,
            contact_phone=row.contact_phone,
            commissioner_id=commissioners.get(row.commissioner_phone),
            active=True,
        )
        wanted.append(enterprise)
        if before is None:
            tally.count("created")
        elif before != enterprise or contact_changed:
            tally.count("updated")
        else:
            tally.count("unchanged")
    await tx.upsert_owners(
        ((r.contact_name, r.contact_phone) for r in rows if r.contact_phone), now
    )
    await tx.upsert_enterprises(wanted)


async def deactivate_missing(
    tx: Transaction, kind: RosterKind, parsed: Parsed, tally: Tally, now: datetime
) -> None:
    """--sync: whoever the file no longer lists is deactivated (never deleted).

    A commissioner's open requests are never orphaned: each goes to the supervisors with
    one-tap pickers (bot.services.handoff), and their offers are withdrawn.
    """
    if kind is RosterKind.ENTERPRISES:
        rows = parsed.enterprises
        tally.deactivated = await tx.deactivate_enterprises_except(r.credit_code for r in rows)
        # Owners exist only as enterprise contacts; one no longer listed has nothing to ask for.
        tally.contacts_deactivated = await tx.deactivate_role_except(
            Role.OWNER, {r.contact_phone for r in rows if r.contact_phone}
        )
    else:
        role = ROLES[kind]
        keep = {r.phone for r in parsed.people}
        leaving = [p for p in await tx.people_with_role(role) if p.phone not in keep]
        tally.deactivated = await tx.deactivate_role_except(role, keep)
        if role in (Role.COMMISSIONER, Role.COMMITTEE):
            for person in leaving:
                for request in await staff_requests(tx, person):
                    await tx.withdraw_offers(request.id, person.id)
                    await ask_supervisors(
                        tx, now, request, None, Why.DEACTIVATED, about=person.name
                    )
