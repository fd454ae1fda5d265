"""Who gets a dispatch: the commissioner, else the category's team, else the supervisors."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from bot.domain.models import Person, Role


class Tier(StrEnum):
    COMMISSIONER = "commissioner"
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
    if (
        start == Tier.COMMISSIONER
        and commissioner is not None
        and commissioner.has(Role.COMMISSIONER)
        and reachable(commissioner)
        and commissioner.id not in exclude
    ):
        return Tier.COMMISSIONER, [commissioner]
    if start in (Tier.COMMISSIONER, Tier.TEAM):
        members = team_members(people, team, exclude)
        if members:
            return Tier.TEAM, members
    return Tier.SUPERVISORS, supervisors(people)
