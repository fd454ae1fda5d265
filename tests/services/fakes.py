"""In-memory fakes of bot/services/ports.py: a UnitOfWork whose transactions keep the state in
dicts, so service tests run without SQLite (milliseconds each).

`FakeTx` implements every repository Protocol of `Transaction` (mypy checks `_implements` below,
run by tests/services/test_fakes.py). Each method does what the SQL of bot/storage/sqlite does,
including its conditional writes (a move or claim from a status the request left changes
nothing and returns False) and `next_step_at` set to "plan at once" by every write that changes
a request's status, holder, offers or deadline.

Transactions: `tx()` works on a copy of the state and puts it in place only when the block ends
without an exception (copy-on-write: every stored value is immutable, so a shallow copy of the
containers is enough); writers take turns on a lock, as on SQLite's one writer connection.
`read()` is a snapshot whose changes are dropped.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from bot.domain.clock import from_text, to_text
from bot.domain.identity import Address
from bot.domain.kinds import EventKind
from bot.domain.lifecycle import OPEN_STATUSES
from bot.domain.listing import RequestLine
from bot.domain.models import (
    Attachment,
    Enterprise,
    Event,
    Message,
    Outcome,
    Person,
    Request,
    RequestStatus,
    Role,
    Urgency,
)
from bot.services.ports import OutboxRow, Transaction, UnitOfWork

# "Plan this request at the next sweep" (bot.storage.sqlite.requests.PLAN_AT_ONCE).
PLAN_AT_ONCE = datetime(1970, 1, 1, tzinfo=UTC)
# The channel whose integer update ids the inbox methods take (bot.storage.sqlite.inbox).
UPDATES_CHANNEL = "telegram"

_DATES = frozenset({"dispatched_at", "accepted_at", "resolved_at", "closed_at", "due_at"})
_MOVABLE = _DATES | {"holder_id", "outcome", "resolution", "rating"}


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
    addresses: list[tuple[int, Address]] = field(default_factory=list)  # in binding order
    enterprises: dict[int, Enterprise] = field(default_factory=dict)
    requests: dict[int, RequestRow] = field(default_factory=dict)
    offers: dict[tuple[int, int], OfferRow] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    outbox: dict[int, OutboxEntry] = field(default_factory=dict)
    refs: dict[tuple[int, int, str], tuple[Address, str]] = field(default_factory=dict)
    inbox: dict[tuple[str, str], InboxEntry] = field(default_factory=dict)
    dead_letters: dict[int, tuple[str, str, datetime]] = field(default_factory=dict)
    drafts: dict[tuple[Address, str], tuple[str, str, datetime]] = field(default_factory=dict)
    health: dict[str, HealthRow] = field(default_factory=dict)
    chat_notices: dict[int, datetime] = field(default_factory=dict)
    last_id: dict[str, int] = field(default_factory=dict)

    def copy(self) -> FakeState:
        return FakeState(
            people=dict(self.people),
            roles=dict(self.roles),
            teams=dict(self.teams),
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


def _text(when: datetime | None) -> str | None:
    return to_text(when) if when is not None else None


class FakeTx:
    """Every repository of bot.services.ports over one FakeState (one transaction)."""

    def __init__(self, state: FakeState) -> None:
        self.s = state

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
            active=row.active,
            away=row.away,
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

    async def set_away(self, person_id: int, away: bool) -> None:
        self._update_person(person_id, away=away)

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

    # ---- requests and offers -----------------------------------------------------------------

    def _rows(self, statuses: Iterable[RequestStatus]) -> list[RequestRow]:
        wanted = set(statuses)
        return [r for _, r in sorted(self.s.requests.items()) if r.request.status in wanted]

    def _has_offer(self, request_id: int, person_id: int) -> bool:
        offer = self.s.offers.get((request_id, person_id))
        return offer is not None and offer.active

    def _plan_at_once(self, request_id: int) -> None:
        row = self.s.requests.get(request_id)
        if row is not None:
            self.s.requests[request_id] = replace(row, next_step_at=PLAN_AT_ONCE)

    async def request(self, request_id: int) -> Request | None:
        row = self.s.requests.get(request_id)
        return row.request if row else None

    async def insert_request(
        self,
        enterprise_id: int,
        owner_id: int,
        category: str,
        description: str,
        urgency: Urgency,
        attachments: Sequence[Attachment],
        now: datetime,
    ) -> int:
        assert enterprise_id in self.s.enterprises and owner_id in self.s.people  # foreign keys
        request_id = self.s.next_id("requests")
        self.s.requests[request_id] = RequestRow(
            Request(
                id=request_id,
                enterprise_id=enterprise_id,
                owner_id=owner_id,
                category=category,
                description=description,
                urgency=urgency,
                status=RequestStatus.SUBMITTED,
                created_at=now,
                attachments=tuple(attachments),
            )
        )
        return request_id

    async def move(
        self,
        request_id: int,
        sources: Iterable[RequestStatus],
        target: RequestStatus,
        **fields: str | int | None,
    ) -> bool:
        assert set(fields) <= _MOVABLE, f"not a request column: {set(fields) - _MOVABLE}"
        row = self.s.requests.get(request_id)
        if row is None or row.request.status not in set(sources):
            return False
        values: dict[str, Any] = {}
        for name, value in fields.items():
            if name in _DATES:
                values[name] = from_text(str(value)) if value is not None else None
            elif name == "outcome":
                values[name] = Outcome(str(value)) if value is not None else None
            else:
                values[name] = value
        extra = {k: values.pop(k) for k in ("dispatched_at", "closed_at") if k in values}
        request = row.request.model_copy(update={"status": target, **values})
        self.s.requests[request_id] = replace(
            row, request=request, next_step_at=PLAN_AT_ONCE, **extra
        )
        return True

    async def claim(
        self,
        request_id: int,
        person_id: int,
        sources: Iterable[RequestStatus],
        now: datetime,
        due_at: datetime,
    ) -> bool:
        row = self.s.requests.get(request_id)
        if row is None or row.request.status not in set(sources):
            return False
        if not self._has_offer(request_id, person_id):
            return False
        request = row.request.model_copy(
            update={
                "status": RequestStatus.ACCEPTED,
                "holder_id": person_id,
                "accepted_at": now,
                "due_at": due_at,
            }
        )
        self.s.requests[request_id] = replace(row, request=request, next_step_at=PLAN_AT_ONCE)
        return True

    async def requests_where(
        self, column: str, person_id: int, statuses: Iterable[RequestStatus]
    ) -> list[Request]:
        assert column in ("owner_id", "holder_id")
        return [r.request for r in self._rows(statuses) if getattr(r.request, column) == person_id]

    async def requests_offered_to(
        self, person_id: int, statuses: Iterable[RequestStatus]
    ) -> list[Request]:
        return [r.request for r in self._rows(statuses) if self._has_offer(r.request.id, person_id)]

    async def requests_with_status(self, statuses: Iterable[RequestStatus]) -> list[Request]:
        return [r.request for r in self._rows(statuses)]

    async def requests_involving(
        self, person_id: int, statuses: Iterable[RequestStatus]
    ) -> list[Request]:
        return [
            r.request
            for r in self._rows(statuses)
            if person_id in (r.request.owner_id, r.request.holder_id)
            or self._has_offer(r.request.id, person_id)
        ]

    async def set_due(
        self, request_id: int, due_at: datetime, sources: Iterable[RequestStatus]
    ) -> bool:
        row = self.s.requests.get(request_id)
        if row is None or row.request.status not in set(sources):
            return False
        request = row.request.model_copy(update={"due_at": due_at})
        self.s.requests[request_id] = replace(row, request=request, next_step_at=PLAN_AT_ONCE)
        return True

    async def requests_due(self, now: datetime) -> list[int]:
        return sorted(
            rid
            for rid, r in self.s.requests.items()
            if r.next_step_at is not None and r.next_step_at <= now
        )

    async def set_next_step(self, request_id: int, at: datetime | None) -> None:
        row = self.s.requests.get(request_id)
        if row is not None:
            self.s.requests[request_id] = replace(row, next_step_at=at)

    async def export_rows(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for rid, row in sorted(self.s.requests.items()):
            r = row.request
            if (since and r.created_at < since) or (until and r.created_at >= until):
                continue
            enterprise = self.s.enterprises[r.enterprise_id]
            holder = self.s.people.get(r.holder_id) if r.holder_id else None
            rows.append(
                {
                    "id": rid,
                    "enterprise_id": r.enterprise_id,
                    "owner_id": r.owner_id,
                    "category": r.category,
                    "description": r.description,
                    "urgency": r.urgency.value,
                    "status": r.status.value,
                    "holder_id": r.holder_id,
                    "created_at": to_text(r.created_at),
                    "dispatched_at": _text(row.dispatched_at),
                    "accepted_at": _text(r.accepted_at),
                    "resolved_at": _text(r.resolved_at),
                    "closed_at": _text(row.closed_at),
                    "due_at": _text(r.due_at),
                    "outcome": r.outcome.value if r.outcome else None,
                    "resolution": r.resolution,
                    "rating": r.rating,
                    "next_step_at": _text(row.next_step_at),
                    "enterprise": enterprise.name,
                    "credit_code": enterprise.credit_code,
                    "owner": self.s.people[r.owner_id].name,
                    "holder": holder.name if holder else None,
                }
            )
        return rows

    async def offer(self, request_id: int, people: Iterable[int], tier: str, now: datetime) -> None:
        for person_id in people:
            self.s.offers[(request_id, person_id)] = OfferRow(tier, now)
        self._plan_at_once(request_id)

    async def offered(self, request_id: int, active_only: bool = True) -> list[int]:
        found = [
            (o.offered_at, pid)
            for (rid, pid), o in self.s.offers.items()
            if rid == request_id and (o.active or not active_only)
        ]
        return [pid for _, pid in sorted(found)]

    async def withdraw_offers(self, request_id: int, person_id: int | None = None) -> None:
        for (rid, pid), o in list(self.s.offers.items()):
            if rid == request_id and person_id in (None, pid):
                self.s.offers[(rid, pid)] = replace(o, active=False)
        self._plan_at_once(request_id)

    # ---- lists -------------------------------------------------------------------------------

    @staticmethod
    def _page(rows: list[RequestRow], limit: int, offset: int) -> tuple[list[RequestLine], int]:
        newest = sorted(rows, key=lambda r: r.request.id, reverse=True)
        lines = [
            RequestLine(
                id=r.request.id,
                status=r.request.status,
                created_at=r.request.created_at,
                urgency=r.request.urgency,
                due_at=r.request.due_at,
            )
            for r in newest[offset : offset + limit]
        ]
        return lines, len(rows)

    async def owner_lines(
        self, owner_id: int, limit: int, offset: int
    ) -> tuple[list[RequestLine], int]:
        rows = [r for r in self.s.requests.values() if r.request.owner_id == owner_id]
        return self._page(rows, limit, offset)

    async def staff_lines(
        self,
        person_id: int,
        working: Iterable[RequestStatus],
        claimable: Iterable[RequestStatus],
        limit: int,
        offset: int,
    ) -> tuple[list[RequestLine], int]:
        work, claim = set(working), set(claimable)
        rows = [
            r
            for r in self.s.requests.values()
            if (r.request.holder_id == person_id and r.request.status in work)
            or (r.request.status in claim and self._has_offer(r.request.id, person_id))
        ]
        return self._page(rows, limit, offset)

    async def open_lines(
        self,
        statuses: Iterable[RequestStatus],
        limit: int,
        offset: int,
        due_before: datetime | None = None,
        categories: Sequence[str] | None = None,
    ) -> tuple[list[RequestLine], int]:
        rows = [
            r
            for r in self._rows(statuses)
            if (
                due_before is None
                or (r.request.due_at is not None and r.request.due_at < due_before)
            )
            and (categories is None or r.request.category in categories)
        ]
        return self._page(rows, limit, offset)

    # ---- events ------------------------------------------------------------------------------

    async def append(self, event: Event) -> None:
        # Stored as the SQL stores it: the payload through JSON.
        payload = json.loads(json.dumps(event.payload, ensure_ascii=False, sort_keys=True))
        self.s.events.append(event.model_copy(update={"payload": payload}))

    async def events(self, request_id: int | None = None) -> list[Event]:
        return [e for e in self.s.events if request_id is None or e.request_id == request_id]

    async def events_of_kind(self, kind: EventKind, since: datetime) -> list[Event]:
        return [e for e in self.s.events if e.kind == kind and e.at >= since]

    async def report_events(self, since: datetime) -> list[Event]:
        involved = {e.request_id for e in self.s.events if e.at >= since}
        involved |= {
            rid
            for rid, r in self.s.requests.items()
            if r.request.status in OPEN_STATUSES
            or (r.request.due_at is not None and r.request.due_at >= since)
        }
        return [e for e in self.s.events if e.request_id is not None and e.request_id in involved]

    # ---- outbox, delivery and message references ---------------------------------------------

    async def enqueue(self, message: Message, to: Address, now: datetime) -> int:
        outbox_id = self.s.next_id("outbox")
        params = json.loads(json.dumps(message.params, ensure_ascii=False, sort_keys=True))
        stored = message.model_copy(update={"params": params})
        self.s.outbox[outbox_id] = OutboxEntry(outbox_id, stored, to, now, now)
        return outbox_id

    def _heads(self) -> list[OutboxEntry]:
        """The oldest pending row of each address."""
        heads: dict[Address, OutboxEntry] = {}
        for _, row in sorted(self.s.outbox.items()):
            if row.status == "pending" and row.address not in heads:
                heads[row.address] = row
        return sorted(heads.values(), key=lambda r: r.id)

    async def due_messages(self, now: datetime, limit: int) -> list[OutboxRow]:
        return [
            OutboxRow(
                id=row.id,
                address=row.address,
                attempts=row.attempts,
                edit_key=row.message.edit_key,
                urgent=row.message.urgent,
                message=row.message,
            )
            for row in self._heads()
            if row.not_before <= now
        ][:limit]

    async def next_head_due_at(self) -> datetime | None:
        return min((row.not_before for row in self._heads()), default=None)

    def _update_outbox(self, outbox_id: int, **changes: Any) -> None:
        row = self.s.outbox[outbox_id]
        self.s.outbox[outbox_id] = replace(row, attempts=row.attempts + 1, **changes)

    async def mark_sent(self, outbox_id: int, now: datetime) -> None:
        self._update_outbox(outbox_id, status="sent", sent_at=now)

    async def mark_failed(self, outbox_id: int, error: str) -> None:
        self._update_outbox(outbox_id, status="failed", last_error=error[:500])

    async def defer(self, outbox_id: int, not_before: datetime, error: str) -> None:
        self._update_outbox(outbox_id, not_before=not_before, last_error=error[:500])

    async def save_ref(
        self, person_id: int, request_id: int, key: str, at: Address, message_ref: str
    ) -> None:
        self.s.refs[(person_id, request_id, key)] = (at, message_ref)

    async def ref(self, person_id: int, request_id: int, key: str) -> tuple[Address, str] | None:
        return self.s.refs.get((person_id, request_id, key))

    async def delete_ref(self, person_id: int, request_id: int, key: str) -> None:
        self.s.refs.pop((person_id, request_id, key), None)

    async def request_of_message(self, at: Address, message_ref: str) -> int | None:
        return next(
            (rid for (_, rid, _), found in self.s.refs.items() if found == (at, message_ref)),
            None,
        )

    # ---- inbox and dead letters --------------------------------------------------------------

    async def store_updates(self, updates: Iterable[tuple[int, str]], now: datetime) -> list[int]:
        stored: list[int] = []
        for update_id, payload in updates:
            key = (UPDATES_CHANNEL, str(update_id))
            if key not in self.s.inbox:
                self.s.inbox[key] = InboxEntry(update_id, payload, now)
                stored.append(update_id)
        return stored

    async def unprocessed_updates(self) -> list[tuple[int, str]]:
        return sorted(
            (row.seq, row.payload)
            for (channel, _), row in self.s.inbox.items()
            if channel == UPDATES_CHANNEL and row.processed_at is None
        )

    async def last_update_id(self) -> int | None:
        return max(
            (row.seq for (channel, _), row in self.s.inbox.items() if channel == UPDATES_CHANNEL),
            default=None,
        )

    async def mark_processed(self, update_id: int, now: datetime) -> bool:
        key = (UPDATES_CHANNEL, str(update_id))
        row = self.s.inbox.setdefault(key, InboxEntry(update_id, "{}", now))
        if row.processed_at is not None:
            return False
        self.s.inbox[key] = replace(row, processed_at=now)
        return True

    async def start_handling(self, update_id: int) -> int | None:
        key = (UPDATES_CHANNEL, str(update_id))
        row = self.s.inbox.get(key)
        if row is None:
            return 1
        if row.processed_at is not None:
            return None
        self.s.inbox[key] = replace(row, attempts=row.attempts + 1)
        return row.attempts + 1

    async def add_dead_letter(
        self, update_id: int, payload: str, reason: str, now: datetime
    ) -> bool:
        added = update_id not in self.s.dead_letters
        if added:
            self.s.dead_letters[update_id] = (payload, reason[:1000], now)
        await self.mark_processed(update_id, now)
        return added

    # ---- drafts ------------------------------------------------------------------------------

    async def draft(self, at: Address, flow: str) -> tuple[str, dict[str, Any]] | None:
        found = self.s.drafts.get((at, flow))
        return (found[0], json.loads(found[1])) if found else None

    async def save_draft(
        self, at: Address, flow: str, step: str, data: dict[str, Any], now: datetime
    ) -> None:
        self.s.drafts[(at, flow)] = (step, json.dumps(data, ensure_ascii=False), now)

    async def delete_draft(self, at: Address, flow: str | None = None) -> None:
        for key in [k for k in self.s.drafts if k[0] == at and flow in (None, k[1])]:
            del self.s.drafts[key]

    async def delete_drafts_of(self, person_id: int, flow: str) -> None:
        mine = {a for pid, a in self.s.addresses if pid == person_id}
        for key in [k for k in self.s.drafts if k[1] == flow and k[0] in mine]:
            del self.s.drafts[key]

    async def drafts(self, flow: str) -> list[tuple[Address, str]]:
        return [(at, found[0]) for (at, f), found in self.s.drafts.items() if f == flow]

    # ---- health and chat notices -------------------------------------------------------------

    async def record_restart(self, component: str, error: str, now: datetime) -> None:
        row = self.s.health.get(component, HealthRow())
        self.s.health[component] = replace(
            row, restarts=row.restarts + 1, last_error=error[:1000], last_restart_at=now
        )

    async def heartbeat(self, component: str, now: datetime) -> None:
        self.s.health[component] = replace(
            self.s.health.get(component, HealthRow()), heartbeat_at=now
        )

    async def claim_chat_notice(self, chat_id: int, now: datetime, since: datetime) -> bool:
        last = self.s.chat_notices.get(chat_id)
        if last is not None and last > since:
            return False
        self.s.chat_notices[chat_id] = now
        return True


class FakeUnitOfWork:
    """The fake database: transactions on a copy, put in place on success; one writer at a time."""

    def __init__(self, state: FakeState | None = None) -> None:
        self.state = state or FakeState()
        self._lock = asyncio.Lock()
        self.commits = 0
        self.rollbacks = 0

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[Transaction]:
        async with self._lock:
            working = self.state.copy()
            try:
                yield FakeTx(working)
            except BaseException:
                self.rollbacks += 1
                raise
            self.state = working
            self.commits += 1

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Transaction]:
        """A snapshot of the last commit; whatever is written to it is dropped."""
        yield FakeTx(self.state.copy())

    # ---- what tests look at (the committed state) --------------------------------------------

    def outbox(self, status: str | None = None) -> list[OutboxEntry]:
        return [r for _, r in sorted(self.state.outbox.items()) if status in (None, r.status)]

    def events(self, request_id: int | None = None) -> list[Event]:
        return [e for e in self.state.events if request_id is None or e.request_id == request_id]

    def row(self, request_id: int) -> RequestRow:
        return self.state.requests[request_id]


def _implements(tx: FakeTx, uow: FakeUnitOfWork) -> tuple[Transaction, UnitOfWork]:
    # mypy checks here that the fakes have every method of every Protocol, typed alike.
    return tx, uow
