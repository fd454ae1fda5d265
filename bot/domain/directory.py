"""The supervisors' roster of people (/roster): groups by role, pages, and a phone change's rules.

Pure rules (no I/O, no channel): which people a page holds is the storage's business; what a
page is, how a new phone is checked, and what each person's line says is decided here.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.models import Person, Role
from bot.domain.phones import normalise_phone
from bot.domain.roster import is_mobile

ROSTER_PAGE_SIZE = 8  # people a page: one button each

# The groups of /roster, in tab order, with the code a button carries.
GROUPS: tuple[Role, ...] = (Role.COMMISSIONER, Role.COMMITTEE, Role.SUPERVISOR, Role.OWNER)
CODES: dict[Role, str] = {
    Role.COMMISSIONER: "c",
    Role.COMMITTEE: "m",
    Role.SUPERVISOR: "s",
    Role.OWNER: "o",
}


@dataclass(frozen=True)
class RosterKey:
    """Names one page of one group: what a roster button carries (never who may see it)."""

    group: Role = Role.COMMISSIONER
    page: int = 0

    def at(self, page: int) -> RosterKey:
        return RosterKey(self.group, page)

    def encode(self) -> str:
        return f"{CODES[self.group]}.{self.page}"

    @staticmethod
    def decode(text: str | None) -> RosterKey | None:
        code, _, page = (text or "").partition(".")
        group = next((r for r, c in CODES.items() if c == code), None)
        if group is None or not page.isdigit() or len(page) > 5:
            return None
        return RosterKey(group, int(page))


@dataclass(frozen=True)
class PeoplePage:
    """One page of a roster group, in the group's order."""

    key: RosterKey
    people: tuple[Person, ...]
    total: int
    size: int = ROSTER_PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.key.page > 0

    @property
    def has_next(self) -> bool:
        return self.key.page + 1 < self.pages


class PersonState(StrEnum):
    """What a roster line says of someone, worst first."""

    UNREACHABLE = "unreachable"  # blocked the bot or their chat is gone
    AWAY = "away"
    NOT_ONBOARDED = "not_onboarded"  # never shared their phone: no address
    ONBOARDED = "onboarded"


def person_state(person: Person) -> PersonState:
    if not person.addresses:
        return PersonState.NOT_ONBOARDED
    if person.unreachable:
        return PersonState.UNREACHABLE
    if person.away:
        return PersonState.AWAY
    return PersonState.ONBOARDED


def new_phone(raw: str) -> str | None:
    """The normalised mobile number a supervisor typed (full-width digits, spaces, dashes and
    +86 allowed), or None if it is not one: people onboard by sharing a mobile number."""
    folded = unicodedata.normalize("NFKC", raw).strip()
    if any(ch.isalpha() for ch in folded) or not folded:
        return None
    phone = normalise_phone(folded)
    return phone if is_mobile(phone) else None
