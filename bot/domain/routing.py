"""Who gets a dispatch: the commissioner, else the category's team, else the supervisors.

A chain-routed category (产业链对接) goes to the enterprise's chain committee instead, and
from there straight to the supervisors (the team tier does not apply to it).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from bot.domain.models import Enterprise, Person, Role


class Tier(StrEnum):
    COMMISSIONER = "commissioner"
    COMMITTEE = "committee"  # the enterprise's chain committee (a first tier, like COMMISSIONER)
    TEAM = "team"
    SUPERVISORS = "supervisors"


def reachable(person: Person) -> bool:
    """Someone a dispatch can go to now: active, not away, with an address, and not known to
    have blocked the bot (an unreachable commissioner is passed over as if away)."""
    return person.active and not person.away and not person.unreachable and bool(person.addresses)


def team_members(people: Sequence[Person], team: str, exclude: frozenset[int]) -> list[Person]:
    return [
        p
        for p in people
        if p.has(Role.COMMISSIONER) and team in p.teams and reachable(p) and p.id not in exclude
    ]


def supervisors(people: Sequence[Person]) -> list[Person]:
    """The supervisors with an address; those known to be unreachable only if nobody else is."""
    bound = [p for p in people if p.has(Role.SUPERVISOR) and p.addresses]
    return [p for p in bound if not p.unreachable] or bound


FIRST_TIERS = frozenset({Tier.COMMISSIONER, Tier.COMMITTEE})


def own_commissioner(commissioner: Person | None, enterprise: Enterprise | None) -> Person | None:
    """The enterprise's commissioner, unless they are also its contact (its owner): nobody is
    dispatched requests of their own enterprise; those go to the team."""
    if commissioner is None or enterprise is None:
        return commissioner
    if enterprise.contact_phone and enterprise.contact_phone == commissioner.phone:
        return None
    return commissioner


def committee_members(
    people: Sequence[Person], chain: str, exclude: frozenset[int], contact_phone: str = ""
) -> list[Person]:
    """The reachable members of `chain`'s committee, but not the enterprise's own contact."""
    if not chain:
        return []
    return [
        p
        for p in people
        if p.has(Role.COMMITTEE)
        and chain in p.chains
        and reachable(p)
        and p.id not in exclude
        and not (contact_phone and p.phone == contact_phone)
    ]


def route_chain(
    committee: Sequence[Person],
    people: Sequence[Person],
    exclude: frozenset[int] = frozenset(),
    start: Tier = Tier.COMMISSIONER,
) -> tuple[Tier, list[Person]]:
    """A chain-routed request: the chain committee (`committee`: its reachable members) first
    (from a first-tier `start`), then the supervisors."""
    members = [p for p in committee if p.id not in exclude]
    if start in FIRST_TIERS and members:
        return Tier.COMMITTEE, members
    return Tier.SUPERVISORS, supervisors(people)


def commissioner_takes(
    commissioner: Person | None, exclude: frozenset[int], start: Tier = Tier.COMMISSIONER
) -> bool:
    """The enterprise's commissioner gets the request, whoever else there is (so the caller
    need not read the team and the supervisors)."""
    return (
        start == Tier.COMMISSIONER
        and commissioner is not None
        and commissioner.has(Role.COMMISSIONER)
        and reachable(commissioner)
        and commissioner.id not in exclude
    )


def route(
    commissioner: Person | None,
    people: Sequence[Person],
    team: str,
    exclude: frozenset[int] = frozenset(),
    start: Tier = Tier.COMMISSIONER,
) -> tuple[Tier, list[Person]]:
    """Picks the first tier, from `start` on, that has someone to take the request.

    `exclude` holds people who already declined it. Supervisors are the last resort and are
    returned even when empty so the caller can record that nobody could be reached.
    """
    if commissioner is not None and commissioner_takes(commissioner, exclude, start):
        return Tier.COMMISSIONER, [commissioner]
    if start in (Tier.COMMISSIONER, Tier.TEAM):
        members = team_members(people, team, exclude)
        if members:
            return Tier.TEAM, members
    return Tier.SUPERVISORS, supervisors(people)
