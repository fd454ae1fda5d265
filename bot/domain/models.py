"""Domain models: people, enterprises, requests and the vocabulary they share."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from bot.domain.identity import Address
from bot.domain.kinds import EventKind, MessageKind


def text_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


# Characters that show nothing on their own: formatting (Cf: zero-width spaces and joiners,
# direction marks, the soft hyphen, U+FEFF), controls, separators, unassigned and private-use
# code points, combining marks without a base, and the "filler" letters that render blank.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Zs", "Zl", "Zp", "Mn", "Me"})
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f")


def visible_length(text: str) -> int:
    """How many characters of `text` a reader can see: what minimum lengths count.

    A text made only of zero-width or other invisible characters has visible length 0, however
    long it is (maximum lengths still count every character, see `text_length`).
    """
    return sum(
        1
        for ch in text
        if ch not in _BLANK_LETTERS and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES
    )


class LengthProblem(StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"


def length_problem(text: str, minimum: int, maximum: int) -> LengthProblem | None:
    """Whether `text` is too short (visible characters) or too long (as Telegram counts)."""
    if visible_length(text) < minimum:
        return LengthProblem.TOO_SHORT
    if text_length(text) > maximum:
        return LengthProblem.TOO_LONG
    return None


class Role(StrEnum):
    OWNER = "owner"
    COMMISSIONER = "commissioner"
    SUPERVISOR = "supervisor"
    COMMITTEE = "committee"  # a member of an industry chain's party committee (行业党委)


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class RequestStatus(StrEnum):
    SUBMITTED = "submitted"
    DISPATCHED = "dispatched"
    ESCALATED = "escalated"
    ACCEPTED = "accepted"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Outcome(StrEnum):
    SOLVED = "solved"
    PARTLY = "partly"
    REFERRED = "referred"
    UNSOLVABLE = "unsolvable"


class Language(StrEnum):
    ZH = "zh"
    EN = "en"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Route(StrEnum):
    """Where a category's requests go first."""

    COMMISSIONER = "commissioner"  # the enterprise's commissioner, then the team, supervisors
    CHAIN = "chain"  # the enterprise's chain committee, then the supervisors


class Category(Frozen):
    key: str
    zh: str
    en: str
    team: str
    route: Route = Route.COMMISSIONER

    def label(self, lang: str) -> str:
        return self.en if lang == Language.EN else self.zh


class Team(Frozen):
    key: str
    zh: str
    en: str

    def label(self, lang: str) -> str:
        return self.en if lang == Language.EN else self.zh


class Center(Frozen):
    """The service center, named to people the rosters do not know."""

    name_zh: str = "县民营企业服务中心"
    name_en: str = "the county's private-enterprise service center"
    phone: str = ""

    def name(self, lang: str) -> str:
        return self.name_en if lang == Language.EN else self.name_zh


class Catalog(Frozen):
    """The categories and teams an operator configures (config/catalog.toml)."""

    categories: tuple[Category, ...]
    teams: tuple[Team, ...]
    center: Center = Center()

    def category(self, key: str) -> Category | None:
        return next((c for c in self.categories if c.key == key), None)

    def team(self, key: str) -> Team | None:
        return next((t for t in self.teams if t.key == key), None)


class Person(Frozen):
    id: int
    name: str
    phone: str
    # Where they can be reached, first the one messages go to (none: not bound to any channel).
    addresses: tuple[Address, ...] = ()
    language: str | None = None
    roles: frozenset[Role] = frozenset()
    teams: frozenset[str] = frozenset()
    # The industry chains whose party committee they sit on (committee members only).
    chains: frozenset[str] = frozenset()
    active: bool = True
    away: bool = False
    # The end of an away period (UTC; None: until /back) and why they are away.
    away_until: datetime | None = None
    away_reason: str | None = None
    # Blocked the bot or their chat is gone (a permanent send failure), until they next write.
    unreachable: bool = False

    def has(self, role: Role) -> bool:
        return self.active and role in self.roles

    @property
    def address(self) -> Address | None:
        """Where messages to this person go; None if they have bound no channel yet."""
        return self.addresses[0] if self.addresses else None

    def address_in(self, channel: str) -> Address | None:
        return next((a for a in self.addresses if a.channel == channel), None)


class Enterprise(Frozen):
    id: int
    name: str
    credit_code: str
    industry: str = ""
    chain: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    commissioner_id: int | None = None
    active: bool = True


class Attachment(Frozen):
    """A file someone sent: `ref` is how its channel finds it again (Telegram's file_id)."""

    kind: str  # one of bot.domain.content.ATTACHMENT_KINDS
    channel: str
    ref: str
    file_name: str | None = None


class Request(Frozen):
    id: int
    enterprise_id: int
    owner_id: int
    category: str
    description: str
    urgency: Urgency
    status: RequestStatus
    holder_id: int | None = None
    created_at: datetime
    accepted_at: datetime | None = None
    resolved_at: datetime | None = None
    due_at: datetime | None = None
    outcome: Outcome | None = None
    resolution: str | None = None
    rating: int | None = None
    attachments: tuple[Attachment, ...] = ()


class Draft(Frozen):
    """An owner's request in the making, saved at every intake step, in the conversation at
    `at` (the address the owner writes from)."""

    at: Address
    step: str
    enterprise_id: int | None = None
    category: str | None = None
    description: str | None = None
    urgency: Urgency | None = None
    attachments: tuple[Attachment, ...] = Field(default_factory=tuple)
    # The update that made the last step: a replay of it after a crash must not step again.
    last_update: int | None = None


class Event(Frozen):
    """One entry of the append-only audit log."""

    request_id: int | None
    actor_id: int | None
    kind: EventKind
    from_status: RequestStatus | None = None
    to_status: RequestStatus | None = None
    payload: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    at: datetime


class Message(Frozen):
    """An outbox entry: who is told what about which request; rendered at send time."""

    recipient_id: int
    kind: MessageKind
    request_id: int | None = None
    params: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    # Edit the message this person was shown earlier for the request under this key, if any.
    edit_key: str | None = None
    urgent: bool = False
