"""The fake database's tables: immutable rows in plain containers, copied per transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.domain.clock import to_text
from bot.domain.identity import Address
from bot.domain.models import (
    Enterprise,
    Event,
    Message,
    Request,
    Role,
)

# "Plan this request at the next sweep" (bot.storage.sqlite.requests.PLAN_AT_ONCE).
PLAN_AT_ONCE = datetime(1970, 1, 1, tzinfo=UTC)
# The channel whose integer update ids the inbox methods take (bot.storage.sqlite.inbox).

DATE_COLUMNS = frozenset({"dispatched_at", "accepted_at", "resolved_at", "closed_at", "due_at"})
MOVABLE = DATE_COLUMNS | {"holder_id", "outcome", "resolution", "rating"}


@dataclass(frozen=True)
class PersonRow:
    id: int
    name: str
    phone: str
    created_at: datetime
    language: str | None = None
    active: bool = True
    away: bool = False
    unreachable_at: datetime | None = None
    away_until: datetime | None = None
    away_reason: str | None = None


@dataclass(frozen=True)
class RequestRow:
    """A request as stored: the domain model and the columns it does not carry."""

    request: Request
    dispatched_at: datetime | None = None
    closed_at: datetime | None = None
    next_step_at: datetime | None = PLAN_AT_ONCE


@dataclass(frozen=True)
class OfferRow:
    tier: str
    offered_at: datetime
    active: bool = True


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    message: Message
    address: Address
    created_at: datetime
    not_before: datetime
    status: str = "pending"  # pending | sent | failed
    attempts: int = 0
    sent_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class InboxEntry:
    seq: int
    payload: str
    received_at: datetime
    processed_at: datetime | None = None
    attempts: int = 0


@dataclass(frozen=True)
class HealthRow:
    restarts: int = 0
    last_error: str | None = None
    last_restart_at: datetime | None = None
    heartbeat_at: datetime | None = None


@dataclass
class FakeState:
    """Every table, as containers of immutable values."""

    people: dict[int, PersonRow] = field(default_factory=dict)
    roles: dict[tuple[int, Role], bool] = field(default_factory=dict)  # → active
    teams: dict[int, frozenset[str]] = field(default_factory=dict)
    chains: dict[int, frozenset[str]] = field(default_factory=dict)  # committee members'
    addresses: list[tuple[int, Address]] = field(default_factory=list)  # in binding order
    enterprises: dict[int, Enterprise] = field(default_factory=dict)
    requests: dict[int, RequestRow] = field(default_factory=dict)
    offers: dict[tuple[int, int], OfferRow] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    outbox: dict[int, OutboxEntry] = field(default_factory=dict)
    refs: dict[tuple[int, int, str], tuple[Address, str]] = field(default_factory=dict)
    inbox: dict[tuple[str, str], InboxEntry] = field(default_factory=dict)
    dead_letters: dict[tuple[str, str], tuple[str, str, datetime]] = field(default_factory=dict)
    drafts: dict[tuple[Address, str], tuple[str, str, datetime]] = field(default_factory=dict)
    health: dict[str, HealthRow] = field(default_factory=dict)
    chat_notices: dict[int, datetime] = field(default_factory=dict)
    last_id: dict[str, int] = field(default_factory=dict)

    def copy(self) -> FakeState:
        return FakeState(
            people=dict(self.people),
            roles=dict(self.roles),
            teams=dict(self.teams),
            chains=dict(self.chains),
            addresses=list(self.addresses),
            enterprises=dict(self.enterprises),
            requests=dict(self.requests),
            offers=dict(self.offers),
            events=list(self.events),
            outbox=dict(self.outbox),
            refs=dict(self.refs),
            inbox=dict(self.inbox),
            dead_letters=dict(self.dead_letters),
            drafts=dict(self.drafts),
            health=dict(self.health),
            chat_notices=dict(self.chat_notices),
            last_id=dict(self.last_id),
        )

    def next_id(self, table: str) -> int:
        self.last_id[table] = self.last_id.get(table, 0) + 1
        return self.last_id[table]


def text_or_none(when: datetime | None) -> str | None:
    return to_text(when) if when is not None else None


class Tables:
    """What every aggregate's fake shares: the state of one transaction."""

    def __init__(self, state: FakeState) -> None:
        self.s = state
