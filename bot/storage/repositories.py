"""SQL per aggregate. The only module (with db.py and uow.py) that speaks SQL."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from bot.domain.clock import from_text, to_text
from bot.domain.kinds import EventKind, MessageKind
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

_MOVABLE = frozenset(
    {
        "holder_id",
        "dispatched_at",
        "accepted_at",
        "resolved_at",
        "closed_at",
        "due_at",
        "outcome",
        "resolution",
        "rating",
    }
)


def _ts(when: datetime | None) -> str | None:
    return to_text(when) if when is not None else None


def _dt(text: str | None) -> datetime | None:
    return from_text(text) if text else None


def _in(values: Iterable[str]) -> tuple[str, list[str]]:
    items = sorted(values)
    return ",".join("?" for _ in items), items


class OutboxRow:
    """A pending outgoing message as the sender sees it."""

    __slots__ = ("attempts", "chat_id", "edit_key", "id", "message", "urgent")

    def __init__(self, row: aiosqlite.Row) -> None:
        self.id: int = row["id"]
        self.chat_id: int = row["chat_id"]
        self.attempts: int = row["attempts"]
        self.edit_key: str | None = row["edit_key"]
        self.urgent = bool(row["urgent"])
        self.message = Message(
            recipient_id=row["recipient_id"],
            kind=MessageKind(row["kind"]),
            request_id=row["request_id"],
            params=json.loads(row["params"]),
            edit_key=row["edit_key"],
            urgent=bool(row["urgent"]),
        )


class Tx:
    """The statements of one unit of work, all on one connection inside one transaction."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        async with self.conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        async with self.conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self.conn.execute(sql, params) as cur:
            return cur.rowcount

    async def _insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self.conn.execute(sql, params) as cur:
            assert cur.lastrowid is not None
            return cur.lastrowid

    # ---- people -------------------------------------------------------------------------

    async def _person(self, row: aiosqlite.Row | None) -> Person | None:
        if row is None:
            return None
        roles = await self._all(
            "SELECT role FROM person_roles WHERE person_id = ? AND active = 1", (row["id"],)
        )
        teams = await self._all("SELECT team FROM team_members WHERE person_id = ?", (row["id"],))
        return Person(
            id=row["id"],
            name=row["name"],
            phone=row["phone"],
            telegram_id=row["telegram_id"],
            language=row["language"],
            roles=frozenset(Role(r["role"]) for r in roles),
            teams=frozenset(t["team"] for t in teams),
            active=bool(row["active"]),
            away=bool(row["away"]),
            unreachable=row["unreachable_at"] is not None,
        )

    async def person(self, person_id: int) -> Person | None:
        return await self._person(
            await self._one("SELECT * FROM people WHERE id = ?", (person_id,))
        )

    async def person_by_telegram(self, telegram_id: int) -> Person | None:
        row = await self._one("SELECT * FROM people WHERE telegram_id = ?", (telegram_id,))
        return await self._person(row)

    async def person_by_phone(self, phone: str) -> Person | None:
        return await self._person(await self._one("SELECT * FROM people WHERE phone = ?", (phone,)))

    async def people_with_role(self, role: Role) -> list[Person]:
        rows = await self._all(
            "SELECT p.* FROM people p JOIN person_roles r ON r.person_id = p.id "
            "WHERE r.role = ? AND r.active = 1 AND p.active = 1 ORDER BY p.id",
            (role.value,),
        )
        return [p for p in [await self._person(r) for r in rows] if p is not None]

    async def bind_telegram(self, person_id: int, telegram_id: int, language: str | None) -> None:
        # A Telegram account belongs to one person: a re-bound account leaves its old row.
        await self._run(
            "UPDATE people SET telegram_id = NULL WHERE telegram_id = ? AND id != ?",
            (telegram_id, person_id),
        )
        await self._run(
            "UPDATE people SET telegram_id = ?, language = COALESCE(language, ?) WHERE id = ?",
            (telegram_id, language, person_id),
        )

    async def set_language(self, person_id: int, language: str) -> None:
        await self._run("UPDATE people SET language = ? WHERE id = ?", (language, person_id))

    async def set_away(self, person_id: int, away: bool) -> None:
        await self._run("UPDATE people SET away = ? WHERE id = ?", (int(away), person_id))

    async def upsert_person(
        self, name: str, phone: str, role: Role, telegram_id: int | None, now: datetime
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
        if telegram_id is not None:
            await self.bind_telegram(person_id, telegram_id, None)
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

    async def deactivate_role_except(self, role: Role, keep_phones: Iterable[str]) -> int:
        marks, phones = _in(keep_phones)
        return await self._run(
            "UPDATE person_roles SET active = 0 WHERE role = ? AND active = 1 AND person_id IN "
            f"(SELECT id FROM people WHERE phone NOT IN ({marks}))",
            (role.value, *phones),
        )

    # ---- enterprises ----------------------------------------------------------------------

    @staticmethod
    def _enterprise(row: aiosqlite.Row) -> Enterprise:
        return Enterprise(
            id=row["id"],
            name=row["name"],
            credit_code=row["credit_code"],
            industry=row["industry"],
            chain=row["chain"],
            contact_name=row["contact_name"],
            contact_phone=row["contact_phone"],
            commissioner_id=row["commissioner_id"],
            active=bool(row["active"]),
        )

    async def enterprise(self, enterprise_id: int) -> Enterprise | None:
        row = await self._one("SELECT * FROM enterprises WHERE id = ?", (enterprise_id,))
        return self._enterprise(row) if row else None

    async def enterprise_by_code(self, credit_code: str) -> Enterprise | None:
        """The enterprise with this credit code, active or not."""
        row = await self._one("SELECT * FROM enterprises WHERE credit_code = ?", (credit_code,))
        return self._enterprise(row) if row else None

    async def enterprises_of_contact(self, phone: str) -> list[Enterprise]:
        rows = await self._all(
            "SELECT * FROM enterprises WHERE contact_phone = ? AND active = 1 ORDER BY id",
            (phone,),
        )
        return [self._enterprise(r) for r in rows]

    async def upsert_enterprise(self, e: Enterprise) -> int:
        row = await self._one("SELECT id FROM enterprises WHERE credit_code = ?", (e.credit_code,))
        values = (
            e.name,
            e.industry,
            e.chain,
            e.contact_name,
            e.contact_phone,
            e.commissioner_id,
        )
        if row is None:
            return await self._insert(
                "INSERT INTO enterprises (name, industry, chain, contact_name, contact_phone, "
                "commissioner_id, credit_code) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*values, e.credit_code),
            )
        await self._run(
            "UPDATE enterprises SET name = ?, industry = ?, chain = ?, contact_name = ?, "
            "contact_phone = ?, commissioner_id = ?, active = 1 WHERE id = ?",
            (*values, row["id"]),
        )
        return int(row["id"])

    async def enterprises_by_codes(self, codes: Iterable[str]) -> dict[str, Enterprise]:
        """The enterprises with these credit codes (one query), by code."""
        marks, wanted = _in(set(codes))
        if not wanted:
            return {}
        rows = await self._all(f"SELECT * FROM enterprises WHERE credit_code IN ({marks})", wanted)
        return {r["credit_code"]: self._enterprise(r) for r in rows}

    async def upsert_enterprises(self, enterprises: Iterable[Enterprise]) -> None:
        """Inserts or updates (by credit code) many enterprises at once, reactivating them."""
        await self.conn.executemany(
            "INSERT INTO enterprises (name, industry, chain, contact_name, contact_phone, "
            "commissioner_id, credit_code) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (credit_code) DO UPDATE SET name = excluded.name, "
            "industry = excluded.industry, chain = excluded.chain, "
            "contact_name = excluded.contact_name, contact_phone = excluded.contact_phone, "
            "commissioner_id = excluded.commissioner_id, active = 1",
            [
                (
                    e.name,
                    e.industry,
                    e.chain,
                    e.contact_name,
                    e.contact_phone,
                    e.commissioner_id,
                    e.credit_code,
                )
                for e in enterprises
            ],
        )

    async def owner_states(self, phones: Iterable[str]) -> dict[str, tuple[str, bool]]:
        """(name, holds the owner role) of the people with these phones, by phone."""
        marks, wanted = _in(set(phones))
        if not wanted:
            return {}
        rows = await self._all(
            "SELECT p.phone, p.name, EXISTS (SELECT 1 FROM person_roles r WHERE "
            "r.person_id = p.id AND r.role = 'owner' AND r.active = 1) AS owner "
            f"FROM people p WHERE p.phone IN ({marks})",
            wanted,
        )
        return {r["phone"]: (r["name"], bool(r["owner"])) for r in rows}

    async def upsert_owners(self, people: Iterable[tuple[str, str]], now: datetime) -> None:
        """Inserts or updates (by phone) many enterprise contacts, as active owners."""
        pairs = list(people)
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

    async def deactivate_enterprises_except(self, keep_codes: Iterable[str]) -> int:
        marks, codes = _in(keep_codes)
        return await self._run(
            f"UPDATE enterprises SET active = 0 WHERE active = 1 AND credit_code NOT IN ({marks})",
            codes,
        )

    # ---- requests -------------------------------------------------------------------------

    async def _request(self, row: aiosqlite.Row | None) -> Request | None:
        if row is None:
            return None
        files = await self._all(
            "SELECT kind, file_id, file_name FROM attachments WHERE request_id = ? ORDER BY id",
            (row["id"],),
        )
        return Request(
            id=row["id"],
            enterprise_id=row["enterprise_id"],
            owner_id=row["owner_id"],
            category=row["category"],
            description=row["description"],
            urgency=Urgency(row["urgency"]),
            status=RequestStatus(row["status"]),
            holder_id=row["holder_id"],
            created_at=from_text(row["created_at"]),
            accepted_at=_dt(row["accepted_at"]),
            resolved_at=_dt(row["resolved_at"]),
            due_at=_dt(row["due_at"]),
            outcome=Outcome(row["outcome"]) if row["outcome"] else None,
            resolution=row["resolution"],
            rating=row["rating"],
            attachments=tuple(
                Attachment(kind=f["kind"], file_id=f["file_id"], file_name=f["file_name"])
                for f in files
            ),
        )

    async def request(self, request_id: int) -> Request | None:
        row = await self._one("SELECT * FROM requests WHERE id = ?", (request_id,))
        return await self._request(row)

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
        request_id = await self._insert(
            "INSERT INTO requests (enterprise_id, owner_id, category, description, urgency, "
            "status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                enterprise_id,
                owner_id,
                category,
                description,
                urgency.value,
                RequestStatus.SUBMITTED.value,
                to_text(now),
            ),
        )
        for a in attachments:
            await self._run(
                "INSERT INTO attachments (request_id, kind, file_id, file_name) "
                "VALUES (?, ?, ?, ?)",
                (request_id, a.kind, a.file_id, a.file_name),
            )
        return request_id

    async def move(
        self,
        request_id: int,
        sources: Iterable[RequestStatus],
        target: RequestStatus,
        **fields: str | int | None,
    ) -> bool:
        """Conditional status change: true only if the request was in one of `sources`."""
        assert set(fields) <= _MOVABLE, f"not a request column: {set(fields) - _MOVABLE}"
        marks, states = _in(s.value for s in sources)
        sets = "".join(f", {name} = ?" for name in fields)
        changed = await self._run(
            f"UPDATE requests SET status = ?{sets} WHERE id = ? AND status IN ({marks})",
            (target.value, *fields.values(), request_id, *states),
        )
        return changed == 1

    async def claim(
        self,
        request_id: int,
        person_id: int,
        sources: Iterable[RequestStatus],
        now: datetime,
        due_at: datetime,
    ) -> bool:
        """Makes `person_id` the holder if the request is still claimable and offered to them."""
        marks, states = _in(s.value for s in sources)
        changed = await self._run(
            "UPDATE requests SET status = 'accepted', holder_id = ?, accepted_at = ?, due_at = ? "
            f"WHERE id = ? AND status IN ({marks}) AND EXISTS (SELECT 1 FROM offers o "
            "WHERE o.request_id = requests.id AND o.person_id = ? AND o.active = 1)",
            (person_id, to_text(now), to_text(due_at), request_id, *states, person_id),
        )
        return changed == 1

    async def requests_where(
        self, column: str, person_id: int, statuses: Iterable[RequestStatus]
    ) -> list[Request]:
        assert column in ("owner_id", "holder_id")
        marks, states = _in(s.value for s in statuses)
        rows = await self._all(
            f"SELECT * FROM requests WHERE {column} = ? AND status IN ({marks}) ORDER BY id",
            (person_id, *states),
        )
        return [r for r in [await self._request(row) for row in rows] if r is not None]

    async def requests_offered_to(
        self, person_id: int, statuses: Iterable[RequestStatus]
    ) -> list[Request]:
        marks, states = _in(s.value for s in statuses)
        rows = await self._all(
            "SELECT r.* FROM requests r JOIN offers o ON o.request_id = r.id "
            f"WHERE o.person_id = ? AND o.active = 1 AND r.status IN ({marks}) ORDER BY r.id",
            (person_id, *states),
        )
        return [r for r in [await self._request(row) for row in rows] if r is not None]

    async def export_rows(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Every request (submitted in [since, until) when given) with the names a spreadsheet
        shows, oldest first."""
        rows = await self._all(
            "SELECT r.*, e.name AS enterprise, e.credit_code, o.name AS owner, "
            "h.name AS holder FROM requests r "
            "JOIN enterprises e ON e.id = r.enterprise_id "
            "JOIN people o ON o.id = r.owner_id "
            "LEFT JOIN people h ON h.id = r.holder_id "
            "WHERE (?1 IS NULL OR r.created_at >= ?1) AND (?2 IS NULL OR r.created_at < ?2) "
            "ORDER BY r.id",
            (to_text(since) if since else None, to_text(until) if until else None),
        )
        return [dict(r) for r in rows]

    # ---- offers ---------------------------------------------------------------------------

    async def offer(self, request_id: int, people: Iterable[int], tier: str, now: datetime) -> None:
        for person_id in people:
            await self._run(
                "INSERT INTO offers (request_id, person_id, tier, offered_at, active) "
                "VALUES (?, ?, ?, ?, 1) ON CONFLICT (request_id, person_id) "
                "DO UPDATE SET active = 1, tier = excluded.tier, offered_at = excluded.offered_at",
                (request_id, person_id, tier, to_text(now)),
            )

    async def offered(self, request_id: int, active_only: bool = True) -> list[int]:
        rows = await self._all(
            "SELECT person_id FROM offers WHERE request_id = ?"
            + (" AND active = 1" if active_only else "")
            + " ORDER BY offered_at, person_id",
            (request_id,),
        )
        return [int(r["person_id"]) for r in rows]

    async def withdraw_offers(self, request_id: int, person_id: int | None = None) -> None:
        if person_id is None:
            await self._run("UPDATE offers SET active = 0 WHERE request_id = ?", (request_id,))
        else:
            await self._run(
                "UPDATE offers SET active = 0 WHERE request_id = ? AND person_id = ?",
                (request_id, person_id),
            )

    # ---- events ---------------------------------------------------------------------------

    async def append(self, event: Event) -> None:
        await self._run(
            "INSERT INTO events (request_id, actor_id, kind, from_status, to_status, payload, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                event.request_id,
                event.actor_id,
                event.kind.value,
                event.from_status.value if event.from_status else None,
                event.to_status.value if event.to_status else None,
                json.dumps(event.payload, ensure_ascii=False, sort_keys=True),
                to_text(event.at),
            ),
        )

    async def events(self, request_id: int | None = None) -> list[Event]:
        if request_id is None:
            rows = await self._all("SELECT * FROM events ORDER BY id")
        else:
            rows = await self._all(
                "SELECT * FROM events WHERE request_id = ? ORDER BY id", (request_id,)
            )
        return [self._event_of(r) for r in rows]

    # ---- outbox ---------------------------------------------------------------------------

    async def enqueue(self, message: Message, chat_id: int, now: datetime) -> int:
        return await self._insert(
            "INSERT INTO outbox (recipient_id, chat_id, kind, request_id, params, edit_key, "
            "urgent, not_before, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                message.recipient_id,
                chat_id,
                message.kind.value,
                message.request_id,
                json.dumps(message.params, ensure_ascii=False, sort_keys=True),
                message.edit_key,
                int(message.urgent),
                to_text(now),
                to_text(now),
            ),
        )

    async def due_messages(self, now: datetime, limit: int) -> list[OutboxRow]:
        """The oldest pending message of each chat, where it is due: chats keep their order."""
        rows = await self._all(
            "SELECT o.* FROM outbox o WHERE o.status = 'pending' AND o.not_before <= ? "
            "AND o.id = (SELECT MIN(h.id) FROM outbox h "
            "            WHERE h.chat_id = o.chat_id AND h.status = 'pending') "
            "ORDER BY o.id LIMIT ?",
            (to_text(now), limit),
        )
        due: list[OutboxRow] = []
        for r in rows:
            try:
                due.append(OutboxRow(r))
            except ValueError as exc:
                # A kind this program does not know (written by a newer or older version): it
                # can never be rendered, and must not stall its chat or the sender.
                await self.mark_failed(int(r["id"]), f"unreadable outbox row: {exc}"[:500])
        return due

    async def pending_count(self) -> int:
        row = await self._one("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'")
        return int(row["n"]) if row else 0

    async def next_due_at(self) -> datetime | None:
        row = await self._one("SELECT MIN(not_before) AS t FROM outbox WHERE status = 'pending'")
        return _dt(row["t"]) if row and row["t"] else None

    async def mark_sent(self, outbox_id: int, now: datetime) -> None:
        await self._run(
            "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?",
            (to_text(now), outbox_id),
        )

    async def mark_failed(self, outbox_id: int, error: str) -> None:
        await self._run(
            "UPDATE outbox SET status = 'failed', last_error = ?, attempts = attempts + 1 "
            "WHERE id = ?",
            (error[:500], outbox_id),
        )

    async def defer(self, outbox_id: int, not_before: datetime, error: str) -> None:
        await self._run(
            "UPDATE outbox SET not_before = ?, last_error = ?, attempts = attempts + 1 "
            "WHERE id = ?",
            (to_text(not_before), error[:500], outbox_id),
        )

    async def outbox_counts(self) -> dict[str, int]:
        rows = await self._all("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
        return {r["status"]: int(r["n"]) for r in rows}

    async def save_ref(
        self, person_id: int, request_id: int, key: str, chat_id: int, message_id: int
    ) -> None:
        await self._run(
            "INSERT INTO message_refs (person_id, request_id, key, chat_id, message_id) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (person_id, request_id, key) "
            "DO UPDATE SET chat_id = excluded.chat_id, message_id = excluded.message_id",
            (person_id, request_id, key, chat_id, message_id),
        )

    async def ref(self, person_id: int, request_id: int, key: str) -> tuple[int, int] | None:
        row = await self._one(
            "SELECT chat_id, message_id FROM message_refs "
            "WHERE person_id = ? AND request_id = ? AND key = ?",
            (person_id, request_id, key),
        )
        return (int(row["chat_id"]), int(row["message_id"])) if row else None

    async def delete_ref(self, person_id: int, request_id: int, key: str) -> None:
        await self._run(
            "DELETE FROM message_refs WHERE person_id = ? AND request_id = ? AND key = ?",
            (person_id, request_id, key),
        )

    async def request_of_message(self, chat_id: int, message_id: int) -> int | None:
        row = await self._one(
            "SELECT request_id FROM message_refs WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        return int(row["request_id"]) if row else None

    # ---- inbox ----------------------------------------------------------------------------

    async def store_updates(self, updates: Iterable[tuple[int, str]], now: datetime) -> list[int]:
        """Stores updates not seen before; returns their ids (a redelivery is not among them)."""
        stored: list[int] = []
        for update_id, payload in updates:
            if await self._run(
                "INSERT OR IGNORE INTO inbox (update_id, payload, received_at) VALUES (?, ?, ?)",
                (update_id, payload, to_text(now)),
            ):
                stored.append(update_id)
        return stored

    async def unprocessed_updates(self) -> list[tuple[int, str]]:
        rows = await self._all(
            "SELECT update_id, payload FROM inbox WHERE processed_at IS NULL ORDER BY update_id"
        )
        return [(int(r["update_id"]), r["payload"]) for r in rows]

    async def last_update_id(self) -> int | None:
        row = await self._one("SELECT MAX(update_id) AS m FROM inbox")
        return int(row["m"]) if row and row["m"] is not None else None

    async def is_processed(self, update_id: int) -> bool:
        row = await self._one("SELECT processed_at FROM inbox WHERE update_id = ?", (update_id,))
        return bool(row and row["processed_at"])

    async def mark_processed(self, update_id: int, now: datetime) -> bool:
        """Marks an update handled; false if it already was (a redelivery)."""
        await self._run(
            "INSERT OR IGNORE INTO inbox (update_id, payload, received_at) VALUES (?, '{}', ?)",
            (update_id, to_text(now)),
        )
        changed = await self._run(
            "UPDATE inbox SET processed_at = ? WHERE update_id = ? AND processed_at IS NULL",
            (to_text(now), update_id),
        )
        return changed == 1

    async def start_handling(self, update_id: int) -> int | None:
        """Counts one more start of handling an update; None if it was handled already."""
        await self._run(
            "UPDATE inbox SET attempts = attempts + 1 WHERE update_id = ? AND processed_at IS NULL",
            (update_id,),
        )
        row = await self._one(
            "SELECT attempts, processed_at FROM inbox WHERE update_id = ?", (update_id,)
        )
        if row is None:
            return 1  # not stored (a test feeding the application directly): a first try
        return None if row["processed_at"] else int(row["attempts"])

    async def add_dead_letter(
        self, update_id: int, payload: str, reason: str, now: datetime
    ) -> bool:
        """Sets an update aside for good (and marks it handled); false if it already was."""
        added = await self._run(
            "INSERT OR IGNORE INTO dead_letters (update_id, payload, reason, at) "
            "VALUES (?, ?, ?, ?)",
            (update_id, payload, reason[:1000], to_text(now)),
        )
        await self.mark_processed(update_id, now)
        return added == 1

    # ---- health (the watchdog's record) ---------------------------------------------------

    async def record_restart(self, component: str, error: str, now: datetime) -> None:
        await self._run(
            "INSERT INTO health (component, restarts, last_error, last_restart_at) "
            "VALUES (?, 1, ?, ?) ON CONFLICT (component) DO UPDATE SET "
            "restarts = restarts + 1, last_error = excluded.last_error, "
            "last_restart_at = excluded.last_restart_at",
            (component, error[:1000], to_text(now)),
        )

    async def heartbeat(self, component: str, now: datetime) -> None:
        await self._run(
            "INSERT INTO health (component, heartbeat_at) VALUES (?, ?) "
            "ON CONFLICT (component) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
            (component, to_text(now)),
        )

    async def restarts(self) -> dict[str, int]:
        rows = await self._all("SELECT component, restarts FROM health WHERE restarts > 0")
        return {r["component"]: int(r["restarts"]) for r in rows}

    # ---- group and channel notices --------------------------------------------------------

    async def claim_chat_notice(self, chat_id: int, now: datetime, since: datetime) -> bool:
        """Records a notice to a group or channel now, unless one was recorded after `since`."""
        changed = await self._run(
            "INSERT INTO chat_notices (chat_id, last_at) VALUES (?, ?) "
            "ON CONFLICT (chat_id) DO UPDATE SET last_at = excluded.last_at "
            "WHERE chat_notices.last_at <= ?",
            (chat_id, to_text(now), to_text(since)),
        )
        return changed == 1

    # ---- drafts ---------------------------------------------------------------------------

    async def draft(self, user_id: int, flow: str) -> tuple[str, dict[str, Any]] | None:
        row = await self._one(
            "SELECT step, data FROM drafts WHERE user_id = ? AND flow = ?", (user_id, flow)
        )
        return (row["step"], json.loads(row["data"])) if row else None

    async def save_draft(
        self, user_id: int, flow: str, step: str, data: dict[str, Any], now: datetime
    ) -> None:
        await self._run(
            "INSERT INTO drafts (user_id, flow, step, data, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (user_id, flow) DO UPDATE SET step = excluded.step, "
            "data = excluded.data, updated_at = excluded.updated_at",
            (user_id, flow, step, json.dumps(data, ensure_ascii=False), to_text(now)),
        )

    async def delete_draft(self, user_id: int, flow: str | None = None) -> None:
        if flow is None:
            await self._run("DELETE FROM drafts WHERE user_id = ?", (user_id,))
        else:
            await self._run("DELETE FROM drafts WHERE user_id = ? AND flow = ?", (user_id, flow))

    async def drafts(self, flow: str) -> list[tuple[int, str]]:
        rows = await self._all("SELECT user_id, step FROM drafts WHERE flow = ?", (flow,))
        return [(int(r["user_id"]), r["step"]) for r in rows]

    # ---- chasing and reports (issue 4) --------------------------------------------------------

    async def requests_with_status(self, statuses: Iterable[RequestStatus]) -> list[Request]:
        marks, states = _in(s.value for s in statuses)
        rows = await self._all(
            f"SELECT * FROM requests WHERE status IN ({marks}) ORDER BY id", states
        )
        return [r for r in [await self._request(row) for row in rows] if r is not None]

    async def set_due(
        self, request_id: int, due_at: datetime, sources: Iterable[RequestStatus]
    ) -> bool:
        """Moves the deadline of a request still in one of `sources` (an approved extension)."""
        marks, states = _in(s.value for s in sources)
        changed = await self._run(
            f"UPDATE requests SET due_at = ? WHERE id = ? AND status IN ({marks})",
            (to_text(due_at), request_id, *states),
        )
        return changed == 1

    @staticmethod
    def _event_of(r: aiosqlite.Row) -> Event:
        return Event(
            request_id=r["request_id"],
            actor_id=r["actor_id"],
            kind=EventKind(r["kind"]),
            from_status=RequestStatus(r["from_status"]) if r["from_status"] else None,
            to_status=RequestStatus(r["to_status"]) if r["to_status"] else None,
            payload=json.loads(r["payload"]),
            at=from_text(r["at"]),
        )

    async def events_of_kind(self, kind: EventKind, since: datetime) -> list[Event]:
        rows = await self._all(
            "SELECT * FROM events WHERE kind = ? AND at >= ? ORDER BY id",
            (kind.value, to_text(since)),
        )
        return [self._event_of(r) for r in rows]

    async def report_events(self, since: datetime) -> list[Event]:
        """Every event of the requests a report from `since` on can involve, in log order.

        That is requests with an event since then, still open, or due since then.
        """
        marks, states = _in(
            s.value
            for s in (
                RequestStatus.SUBMITTED,
                RequestStatus.DISPATCHED,
                RequestStatus.ESCALATED,
                RequestStatus.ACCEPTED,
                RequestStatus.REOPENED,
            )
        )
        rows = await self._all(
            "SELECT * FROM events WHERE request_id IN ("
            "SELECT request_id FROM events WHERE at >= ? AND request_id IS NOT NULL "
            f"UNION SELECT id FROM requests WHERE status IN ({marks}) OR due_at >= ?"
            ") ORDER BY id",
            (to_text(since), *states, to_text(since)),
        )
        return [self._event_of(r) for r in rows]

    # ---- reachability (issue 7, items 2 and 3): people who blocked the bot -----------------

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

    async def mark_reachable_by_telegram(self, telegram_id: int) -> int | None:
        """Clears the mark of the person with this Telegram account; their id if one was set."""
        row = await self._one(
            "UPDATE people SET unreachable_at = NULL "
            "WHERE telegram_id = ? AND unreachable_at IS NOT NULL RETURNING id",
            (telegram_id,),
        )
        return int(row["id"]) if row else None

    async def is_unreachable(self, telegram_id: int) -> bool:
        """Whether the person with this Telegram account is marked (false for strangers)."""
        row = await self._one(
            "SELECT 1 FROM people WHERE telegram_id = ? AND unreachable_at IS NOT NULL",
            (telegram_id,),
        )
        return row is not None

    async def unreachable_people(self) -> list[tuple[Person, datetime]]:
        """Active people marked unreachable, with since when, longest first."""
        rows = await self._all(
            "SELECT * FROM people WHERE unreachable_at IS NOT NULL AND active = 1 "
            "ORDER BY unreachable_at, id"
        )
        out: list[tuple[Person, datetime]] = []
        for row in rows:
            person = await self._person(row)
            if person is not None:
                out.append((person, from_text(row["unreachable_at"])))
        return out

    async def requests_involving(
        self, person_id: int, statuses: Iterable[RequestStatus]
    ) -> list[Request]:
        """Requests in `statuses` this person owns, holds, or has an active offer of."""
        marks, states = _in(s.value for s in statuses)
        rows = await self._all(
            f"SELECT * FROM requests r WHERE r.status IN ({marks}) AND (r.owner_id = ? "
            "OR r.holder_id = ? OR EXISTS (SELECT 1 FROM offers o WHERE o.request_id = r.id "
            "AND o.person_id = ? AND o.active = 1)) ORDER BY r.id",
            (*states, person_id, person_id, person_id),
        )
        return [r for r in [await self._request(row) for row in rows] if r is not None]

    async def next_head_due_at(self) -> datetime | None:
        """When the earliest first-in-line message of any chat is due.

        Messages behind a deferred one wait for it (chats keep their order), so their own,
        older not_before must not make the sender look again at once.
        """
        row = await self._one(
            "SELECT MIN(o.not_before) AS t FROM outbox o JOIN (SELECT MIN(id) AS id "
            "FROM outbox WHERE status = 'pending' GROUP BY chat_id) h ON h.id = o.id"
        )
        return _dt(row["t"]) if row and row["t"] else None
